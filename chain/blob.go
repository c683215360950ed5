package chain

import (
	"fmt"
	"slices"
	"strings"

	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/protocol"
)

func (x *exec) registerBlob(m *MsgRegisterBlob) error {
	sid := m.Storage
	if sid == StorageFromThisTx {
		if !x.hasReserved {
			return fmt.Errorf("%w: register blob with the storage reserved in this transaction, but no earlier message reserved any", ErrInvalidArgument)
		}
		sid = x.reserved
	}
	o, err := x.ownedObject(sid, KindStorage)
	if err != nil {
		return err
	}
	s := o.Storage
	cur := x.sys.Epoch
	if s.Start > cur || cur >= s.End {
		return fmt.Errorf("%w: storage [%d, %d) does not cover the current epoch %d", ErrEpochRange, s.Start, s.End, cur)
	}
	if m.EncodingType != encoding.EncodingTypeRS2 {
		return fmt.Errorf("%w: %d", ErrEncodingType, m.EncodingType)
	}
	encoded, err := encoding.EncodedBlobLength(m.Size, int(x.sys.NShards))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBlobSize, err)
	}
	if encoded > s.Size {
		return fmt.Errorf("%w: encoded length %d, storage %d", ErrBlobSize, encoded, s.Size)
	}
	if id := encoding.DeriveBlobID(m.EncodingType, m.Size, m.RootHash); id != m.BlobID {
		return fmt.Errorf("%w: got %s, derived %s", ErrBlobID, m.BlobID, id)
	}
	fee, err := storageCost(x.sys.WritePrice, encoded, 1)
	if err != nil {
		return err
	}
	if err := x.debit(x.sender, fee, "write fee"); err != nil {
		return err
	}
	if err := x.addRewards(cur, fee); err != nil {
		return err
	}
	b := &Blob{
		ID: x.newID(), RegisteredEpoch: cur, BlobID: m.BlobID, Size: m.Size,
		EncodingType: m.EncodingType, Storage: *s, Deletable: m.Deletable,
	}
	x.st.deleteObject(o)
	x.st.putObject(&Object{Owner: x.sender, Kind: KindBlob, Blob: b}, nil)
	x.st.o.set(key(PrefixBlobIndex, b.BlobID[:], b.ID[:]), nil)
	x.emit(&BlobRegistered{Epoch: cur, BlobID: b.BlobID, Size: b.Size, EncodingType: b.EncodingType,
		EndEpoch: s.End, Deletable: b.Deletable, ObjectID: b.ID})
	return nil
}

func (x *exec) certifyBlob(m *MsgCertifyBlob) error {
	o, err := x.ownedObject(m.Blob, KindBlob)
	if err != nil {
		return err
	}
	b := o.Blob
	if b.Certified() {
		return fmt.Errorf("%w: %s in epoch %d", ErrAlreadyCertified, b.ID, *b.CertifiedEpoch)
	}
	if x.sys.Epoch >= b.Storage.End {
		return fmt.Errorf("%w: blob %s ended at epoch %d", ErrExpired, b.ID, b.Storage.End)
	}
	msg, err := x.verifyCertificate(&m.Cert, protocol.IntentBlobCertification)
	if err != nil {
		return err
	}
	conf, err := protocol.ParseStorageConfirmation(msg)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCertificate, err)
	}
	switch {
	case conf.BlobID != b.BlobID:
		return fmt.Errorf("%w: certificate is for blob ID %s, not %s", ErrCertificate, conf.BlobID, b.BlobID)
	case conf.Deletable != b.Deletable:
		return fmt.Errorf("%w: certificate persistence (deletable %v) does not match the blob's (%v)", ErrCertificate, conf.Deletable, b.Deletable)
	case b.Deletable && ObjectID(conf.ObjectID) != b.ID:
		return fmt.Errorf("%w: certificate is for the deletable blob %s, not %s", ErrCertificate, ObjectID(conf.ObjectID), b.ID)
	}
	cur := x.sys.Epoch
	b.CertifiedEpoch = &cur
	owner := o.Owner
	x.st.putObject(o, &owner)
	x.emit(&BlobCertified{Epoch: cur, BlobID: b.BlobID, EndEpoch: b.Storage.End, Deletable: b.Deletable, ObjectID: b.ID})
	return nil
}

// extendLive extends a certified, unexpired blob by epochs, paid by pay.
func (x *exec) extendLive(b *Blob, epochs uint32, pay func(uint64) error) error {
	if !b.Certified() {
		return fmt.Errorf("%w: %s", ErrNotCertified, b.ID)
	}
	if x.sys.Epoch >= b.Storage.End {
		return fmt.Errorf("%w: blob %s ended at epoch %d", ErrExpired, b.ID, b.Storage.End)
	}
	end, err := x.extensionEnd(b.Storage.End, epochs)
	if err != nil {
		return err
	}
	if err := x.reserve(b.Storage.Size, b.Storage.End, end, pay); err != nil {
		return err
	}
	b.Storage.End = end
	x.emitExtension(b)
	return nil
}

func (x *exec) emitExtension(b *Blob) {
	x.emit(&BlobCertified{Epoch: *b.CertifiedEpoch, BlobID: b.BlobID, EndEpoch: b.Storage.End,
		Deletable: b.Deletable, ObjectID: b.ID, IsExtension: true})
}

func (x *exec) extendBlob(m *MsgExtendBlob) error {
	o, err := x.ownedObject(m.Blob, KindBlob)
	if err != nil {
		return err
	}
	if err := x.extendLive(o.Blob, m.Epochs, x.payFromSender("blob extension")); err != nil {
		return err
	}
	owner := o.Owner
	x.st.putObject(o, &owner)
	return nil
}

func (x *exec) extendBlobWithStorage(m *MsgExtendBlobWithStorage) error {
	o, err := x.ownedObject(m.Blob, KindBlob)
	if err != nil {
		return err
	}
	so, err := x.ownedObject(m.Storage, KindStorage)
	if err != nil {
		return err
	}
	b, s := o.Blob, so.Storage
	if !b.Certified() {
		return fmt.Errorf("%w: %s", ErrNotCertified, b.ID)
	}
	if x.sys.Epoch >= b.Storage.End {
		return fmt.Errorf("%w: blob %s ended at epoch %d", ErrExpired, b.ID, b.Storage.End)
	}
	if s.Start != b.Storage.End || s.Size != b.Storage.Size {
		return fmt.Errorf("%w: storage [%d, %d) of %d bytes cannot extend a blob ending at %d with %d bytes",
			ErrStorageMismatch, s.Start, s.End, s.Size, b.Storage.End, b.Storage.Size)
	}
	b.Storage.End = s.End
	x.st.deleteObject(so)
	owner := o.Owner
	x.st.putObject(o, &owner)
	x.emitExtension(b)
	return nil
}

func (x *exec) deleteBlob(m *MsgDeleteBlob) error {
	o, err := x.ownedObject(m.Blob, KindBlob)
	if err != nil {
		return err
	}
	b := o.Blob
	if !b.Deletable {
		return fmt.Errorf("%w: %s", ErrNotDeletable, b.ID)
	}
	if x.sys.Epoch >= b.Storage.End {
		return fmt.Errorf("%w: blob %s ended at epoch %d", ErrExpired, b.ID, b.Storage.End)
	}
	x.removeBlob(o)
	s := b.Storage
	x.st.putObject(&Object{Owner: x.sender, Kind: KindStorage, Storage: &s}, nil)
	x.emit(&BlobDeleted{Epoch: x.sys.Epoch, BlobID: b.BlobID, EndEpoch: s.End, ObjectID: b.ID, WasCertified: b.Certified()})
	return nil
}

func (x *exec) removeBlob(o *Object) {
	x.st.deleteObject(o)
	x.st.o.del(key(PrefixBlobIndex, o.Blob.BlobID[:], o.Blob.ID[:]))
}

func (x *exec) burnBlob(m *MsgBurnBlob) error {
	o, err := x.ownedObject(m.Blob, KindBlob)
	if err != nil {
		return err
	}
	x.removeBlob(o)
	return nil
}

func (x *exec) setAttribute(m *MsgSetAttribute) error {
	o, err := x.ownedObject(m.Blob, KindBlob)
	if err != nil {
		return err
	}
	if m.Key == "" {
		return fmt.Errorf("%w: empty attribute key", ErrInvalidArgument)
	}
	b := o.Blob
	i, found := slices.BinarySearchFunc(b.Attributes, m.Key, func(a Attribute, k string) int { return strings.Compare(a.Key, k) })
	if found {
		b.Attributes[i].Value = m.Value
	} else {
		if len(b.Attributes) >= MaxAttributes {
			return fmt.Errorf("%w: blob %s has %d attributes", ErrTooMany, b.ID, len(b.Attributes))
		}
		b.Attributes = slices.Insert(b.Attributes, i, Attribute{Key: m.Key, Value: m.Value})
	}
	owner := o.Owner
	x.st.putObject(o, &owner)
	return nil
}

func (x *exec) removeAttribute(m *MsgRemoveAttribute) error {
	o, err := x.ownedObject(m.Blob, KindBlob)
	if err != nil {
		return err
	}
	b := o.Blob
	i, found := slices.BinarySearchFunc(b.Attributes, m.Key, func(a Attribute, k string) int { return strings.Compare(a.Key, k) })
	if !found {
		return fmt.Errorf("%w: attribute %q of blob %s", ErrNotFound, m.Key, b.ID)
	}
	b.Attributes = slices.Delete(b.Attributes, i, i+1)
	owner := o.Owner
	x.st.putObject(o, &owner)
	return nil
}

func (x *exec) shareBlob(m *MsgShareBlob) error {
	o, err := x.ownedObject(m.Blob, KindBlob)
	if err != nil {
		return err
	}
	if !o.Blob.Certified() {
		return fmt.Errorf("%w: only certified blobs can be shared: %s", ErrNotCertified, o.Blob.ID)
	}
	if x.sys.Epoch >= o.Blob.Storage.End {
		return fmt.Errorf("%w: blob %s ended at epoch %d", ErrExpired, o.Blob.ID, o.Blob.Storage.End)
	}
	if err := x.debit(x.sender, m.Funds, "shared blob funds"); err != nil {
		return err
	}
	prev := o.Owner
	o.Owner, o.Kind, o.Funds = Address{}, KindSharedBlob, m.Funds
	x.st.putObject(o, &prev)
	return nil
}

func (x *exec) sharedBlob(id ObjectID) (*Object, error) {
	o, err := x.st.object(id)
	if err != nil {
		return nil, err
	}
	if o.Kind != KindSharedBlob {
		return nil, fmt.Errorf("%w: %s is a %s, not a shared blob", ErrWrongKind, id, o.Kind)
	}
	return o, nil
}

func (x *exec) fundSharedBlob(m *MsgFundSharedBlob) error {
	o, err := x.sharedBlob(m.Blob)
	if err != nil {
		return err
	}
	if m.Amount == 0 {
		return fmt.Errorf("%w: funding of 0", ErrInvalidArgument)
	}
	if err := x.debit(x.sender, m.Amount, "shared blob funding"); err != nil {
		return err
	}
	if o.Funds, err = add64(o.Funds, m.Amount); err != nil {
		return err
	}
	owner := o.Owner
	x.st.putObject(o, &owner)
	return nil
}

func (x *exec) extendSharedBlob(m *MsgExtendSharedBlob) error {
	o, err := x.sharedBlob(m.Blob)
	if err != nil {
		return err
	}
	pay := func(cost uint64) error {
		if cost > o.Funds {
			return fmt.Errorf("%w: extension costs %d, shared blob %s holds %d", ErrInsufficientFunds, cost, o.Blob.ID, o.Funds)
		}
		o.Funds -= cost
		return nil
	}
	if err := x.extendLive(o.Blob, m.Epochs, pay); err != nil {
		return err
	}
	owner := o.Owner
	x.st.putObject(o, &owner)
	return nil
}

func (x *exec) invalidateBlob(m *MsgInvalidateBlob) error {
	msg, err := x.verifyCertificate(&m.Cert, protocol.IntentInvalidBlobID)
	if err != nil {
		return err
	}
	inv, err := protocol.ParseInvalidBlobID(msg)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCertificate, err)
	}
	id := inv.BlobID
	x.st.o.set(key(PrefixInvalid, id[:]), be32(x.sys.Epoch))
	x.emit(&InvalidBlobID{Epoch: x.sys.Epoch, BlobID: id})
	return nil
}
