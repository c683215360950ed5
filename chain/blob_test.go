package chain

import (
	"reflect"
	"testing"

	"github.com/walrus-go/walrus/encoding"
)

func TestRegisterBlob(t *testing.T) {
	e := newEnv(t)
	cur := e.sys().Epoch
	size := uint64(5000)
	enc := encodedSize(t, size)
	r := e.ok(alice, &MsgReserveSpace{Size: enc, EpochsAhead: 2})
	sid := created(r, 0)
	id, root := testBlob(1, size)
	reg := func(m MsgRegisterBlob) *MsgRegisterBlob { return &m }
	good := MsgRegisterBlob{Storage: sid, BlobID: id, RootHash: root, Size: size, EncodingType: encoding.EncodingTypeRS2}

	bad := good
	bad.BlobID[0] ^= 1
	e.fail(ErrBlobID, alice, reg(bad))
	bad = good
	bad.Size++
	e.fail(ErrBlobID, alice, reg(bad))
	bad = good
	bad.EncodingType = 2
	e.fail(ErrEncodingType, alice, reg(bad))
	bad = good
	bad.Size = 10 * enc
	bad.BlobID, _ = testBlob(1, bad.Size)
	e.fail(ErrBlobSize, alice, reg(bad))
	e.fail(ErrNotOwner, bob, reg(good))
	r = e.ok(alice, &MsgReserveSpace{Size: enc, EpochsAhead: 2}, &MsgTransfer{To: addrOf(carol), Amount: 2 * testMinFee})
	e.ok(alice, &MsgTransferObject{Object: created(r, 0), To: addrOf(carol)})
	bad = good
	bad.Storage = created(r, 0)
	e.fail(ErrInsufficientFunds, carol, reg(bad))
	r = e.ok(alice, &MsgReserveSpaceFor{Size: enc, Start: cur + 1, End: cur + 2})
	bad = good
	bad.Storage = created(r, 0)
	e.fail(ErrEpochRange, alice, reg(bad))

	a0 := e.balance(alice)
	r = e.ok(alice, reg(good))
	if fee := a0 - e.balance(alice); fee != testWrite*storageUnits(enc)+testMinFee {
		t.Fatalf("write fee %d", fee)
	}
	bid := created(r, 0)
	want := &BlobRegistered{Epoch: cur, BlobID: id, Size: size, EncodingType: 1, EndEpoch: cur + 2, Deletable: false, ObjectID: bid}
	if len(r.Events) != 1 || !reflect.DeepEqual(r.Events[0], want) {
		t.Fatalf("events %+v", r.Events)
	}
	o := e.object(bid)
	if o.Kind != KindBlob || o.Blob.Storage.ID != sid || o.Blob.Certified() || e.exists(sid) {
		t.Fatalf("blob %+v", o.Blob)
	}
	if len(e.store.Keys(BlobIndexPrefix(id))) != 1 {
		t.Fatal("blob index")
	}
	// The storage is used up.
	e.fail(ErrNotFound, alice, reg(good))
}

func TestCertifyBlob(t *testing.T) {
	e := newEnv(t)
	cur := e.sys().Epoch
	size := uint64(100)
	register := func(deletable bool) (ObjectID, BlobID) {
		r := e.ok(alice, &MsgReserveSpace{Size: encodedSize(t, size), EpochsAhead: 1})
		id, root := testBlob(byte(e.height), size)
		r = e.ok(alice, &MsgRegisterBlob{Storage: created(r, 0), BlobID: id, RootHash: root, Size: size, EncodingType: 1, Deletable: deletable})
		return created(r, 0), id
	}
	perm, permID := register(false)
	del, delID := register(true)
	all := e.allSigners()
	com := e.committee(keyCommitteeCur)
	// 10 shards, members hold 3,3,2,2 (or a permutation); quorum is 7.
	var three []int
	var w int
	for i, m := range com.Members {
		if w+m.Weight() <= 6 {
			three = append(three, i)
			w += m.Weight()
		}
	}
	msg := CertifyMessage(cur, permID, false, ObjectID{})
	wrongSig := e.cert(msg, all...)
	wrongSig.Signature = e.cert(CertifyMessage(cur, delID, false, ObjectID{}), all...).Signature
	beyond := e.cert(msg, all...)
	beyond.SignersBitmap = []byte{0xff}
	long := e.cert(msg, all...)
	long.SignersBitmap = append(long.SignersBitmap, 0)
	header := e.cert(msg, all...)
	header.Message = append([]byte{9}, msg[1:]...)
	cases := []struct {
		name string
		blob ObjectID
		cert Certificate
		want error
	}{
		{"wrong epoch", perm, e.cert(CertifyMessage(cur+1, permID, false, ObjectID{}), all...), ErrCertificate},
		{"below quorum", perm, e.cert(msg, three...), ErrNotEnoughWeight},
		{"no signers", perm, Certificate{Message: msg}, ErrNotEnoughWeight},
		{"bad signature", perm, wrongSig, ErrCertificate},
		{"bits beyond members", perm, beyond, ErrCertificate},
		{"bitmap too long", perm, long, ErrCertificate},
		{"wrong intent", perm, header, ErrCertificate},
		{"wrong blob", perm, e.cert(CertifyMessage(cur, delID, false, ObjectID{}), all...), ErrCertificate},
		{"deletable cert for permanent", perm, e.cert(CertifyMessage(cur, permID, true, perm), all...), ErrCertificate},
		{"permanent cert for deletable", del, e.cert(CertifyMessage(cur, delID, false, ObjectID{}), all...), ErrCertificate},
		{"deletable cert for other object", del, e.cert(CertifyMessage(cur, delID, true, perm), all...), ErrCertificate},
		{"not a blob", e.nodes[0].nodeID, e.cert(msg, all...), ErrNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { e.fail(c.want, alice, &MsgCertifyBlob{Blob: c.blob, Cert: c.cert}) })
	}
	e.fail(ErrNotOwner, bob, &MsgCertifyBlob{Blob: perm, Cert: e.cert(msg, all...)})

	// A quorum (not everyone) certifies.
	quorum := all[:len(all)-1]
	if w := func() (w int) {
		for _, i := range quorum {
			w += com.Members[i].Weight()
		}
		return
	}(); !isQuorum(uint64(w), testShards) {
		quorum = all
	}
	r := e.ok(alice, &MsgCertifyBlob{Blob: perm, Cert: e.cert(msg, quorum...)})
	want := &BlobCertified{Epoch: cur, BlobID: permID, EndEpoch: cur + 1, ObjectID: perm}
	if len(r.Events) != 1 || !reflect.DeepEqual(r.Events[0], want) {
		t.Fatalf("events %+v", r.Events)
	}
	if c := e.object(perm).Blob.CertifiedEpoch; c == nil || *c != cur {
		t.Fatal("not certified")
	}
	e.fail(ErrAlreadyCertified, alice, &MsgCertifyBlob{Blob: perm, Cert: e.cert(msg, all...)})
	r = e.ok(alice, &MsgCertifyBlob{Blob: del, Cert: e.cert(CertifyMessage(cur, delID, true, del), all...)})
	if ev := r.Events[0].(*BlobCertified); !ev.Deletable || ev.ObjectID != del {
		t.Fatalf("deletable certified event %+v", ev)
	}
}

func TestBlobLifecycle(t *testing.T) {
	e := newEnv(t)
	cur := e.sys().Epoch
	size := uint64(2000)
	enc := encodedSize(t, size)
	perm := e.storeBlob(alice, 1, size, 2, false)
	del := e.storeBlob(alice, 2, size, 2, true)

	// Extend with payment.
	a0 := e.balance(alice)
	r := e.ok(alice, &MsgExtendBlob{Blob: perm, Epochs: 2})
	if paid := a0 - e.balance(alice); paid != testPrice*storageUnits(enc)*2+testMinFee {
		t.Fatalf("extension paid %d", paid)
	}
	if ev := r.Events[0].(*BlobCertified); !ev.IsExtension || ev.EndEpoch != cur+4 || ev.Epoch != cur {
		t.Fatalf("extension event %+v", ev)
	}
	e.fail(ErrEpochRange, alice, &MsgExtendBlob{Blob: perm, Epochs: 2})
	e.fail(ErrEpochRange, alice, &MsgExtendBlob{Blob: perm, Epochs: 0})
	e.fail(ErrNotOwner, bob, &MsgExtendBlob{Blob: perm, Epochs: 1})

	// Extend with a storage resource that starts at the blob's end.
	r = e.ok(alice, &MsgReserveSpaceFor{Size: enc, Start: cur + 2, End: cur + 3})
	s := created(r, 0)
	r = e.ok(alice, &MsgReserveSpaceFor{Size: enc + 1, Start: cur + 2, End: cur + 3})
	wrongSize := created(r, 0)
	e.fail(ErrStorageMismatch, alice, &MsgExtendBlobWithStorage{Blob: del, Storage: wrongSize})
	e.fail(ErrStorageMismatch, alice, &MsgExtendBlobWithStorage{Blob: perm, Storage: s})
	r = e.ok(alice, &MsgExtendBlobWithStorage{Blob: del, Storage: s})
	if e.object(del).Blob.Storage.End != cur+3 || e.exists(s) {
		t.Fatal("extension with storage")
	}

	// Attributes.
	e.ok(alice, &MsgSetAttribute{Blob: del, Key: "b", Value: "1"}, &MsgSetAttribute{Blob: del, Key: "a", Value: "2"}, &MsgSetAttribute{Blob: del, Key: "b", Value: "3"})
	if got := e.object(del).Blob.Attributes; !reflect.DeepEqual(got, []Attribute{{"a", "2"}, {"b", "3"}}) {
		t.Fatalf("attributes %v", got)
	}
	e.ok(alice, &MsgRemoveAttribute{Blob: del, Key: "a"})
	e.fail(ErrNotFound, alice, &MsgRemoveAttribute{Blob: del, Key: "a"})
	e.fail(ErrInvalidArgument, alice, &MsgSetAttribute{Blob: del, Key: ""})
	e.fail(ErrNotOwner, bob, &MsgSetAttribute{Blob: del, Key: "x"})

	// Delete: only deletable blobs; storage comes back.
	e.fail(ErrNotDeletable, alice, &MsgDeleteBlob{Blob: perm})
	e.fail(ErrNotOwner, bob, &MsgDeleteBlob{Blob: del})
	storageID := e.object(del).Blob.Storage.ID
	blobID := e.object(del).Blob.BlobID
	r = e.ok(alice, &MsgDeleteBlob{Blob: del})
	if want := (&BlobDeleted{Epoch: cur, BlobID: blobID, EndEpoch: cur + 3, ObjectID: del, WasCertified: true}); !reflect.DeepEqual(r.Events[0], want) {
		t.Fatalf("delete event %+v", r.Events[0])
	}
	if e.exists(del) || e.object(storageID).Owner != addrOf(alice) || len(e.store.Keys(BlobIndexPrefix(blobID))) != 0 {
		t.Fatal("delete did not return the storage")
	}
	// The returned storage is reusable.
	id, root := testBlob(9, size)
	e.ok(alice, &MsgRegisterBlob{Storage: storageID, BlobID: id, RootHash: root, Size: size, EncodingType: 1})

	// Transfer and burn.
	e.ok(alice, &MsgTransferObject{Object: perm, To: addrOf(bob)})
	e.fail(ErrNotOwner, alice, &MsgBurnBlob{Blob: perm})
	r = e.ok(bob, &MsgBurnBlob{Blob: perm})
	if e.exists(perm) || len(r.Events) != 0 {
		t.Fatal("burn")
	}
	e.fail(ErrNotFound, bob, &MsgExtendBlob{Blob: perm, Epochs: 1})
}

func TestUncertifiedAndExpired(t *testing.T) {
	e := newEnv(t)
	size := uint64(10)
	r := e.ok(alice, &MsgReserveSpace{Size: encodedSize(t, size), EpochsAhead: 1})
	id, root := testBlob(3, size)
	r = e.ok(alice, &MsgRegisterBlob{Storage: created(r, 0), BlobID: id, RootHash: root, Size: size, EncodingType: 1, Deletable: true})
	b := created(r, 0)
	e.fail(ErrNotCertified, alice, &MsgExtendBlob{Blob: b, Epochs: 1})
	e.fail(ErrNotCertified, alice, &MsgShareBlob{Blob: b})
	// An uncertified deletable blob can be deleted.
	cert := e.storeBlob(alice, 4, size, 1, true)
	cur := e.sys().Epoch
	e.runEpoch()
	if e.sys().Epoch != cur+1 {
		t.Fatal("no epoch change")
	}
	e.fail(ErrExpired, alice, &MsgExtendBlob{Blob: cert, Epochs: 1})
	e.fail(ErrExpired, alice, &MsgDeleteBlob{Blob: cert})
	e.fail(ErrExpired, alice, &MsgCertifyBlob{Blob: b, Cert: e.cert(CertifyMessage(cur+1, id, true, b), e.allSigners()...)})
	e.ok(alice, &MsgBurnBlob{Blob: cert})
}

func TestSharedBlob(t *testing.T) {
	e := newEnv(t)
	cur := e.sys().Epoch
	size := uint64(100)
	enc := encodedSize(t, size)
	b := e.storeBlob(alice, 1, size, 1, false)
	e.ok(alice, &MsgShareBlob{Blob: b, Funds: 10})
	o := e.object(b)
	if o.Kind != KindSharedBlob || o.Owner != (Address{}) || o.Funds != 10 {
		t.Fatalf("shared %+v", o)
	}
	cost := testPrice * storageUnits(enc)
	e.fail(ErrInsufficientFunds, bob, &MsgExtendSharedBlob{Blob: b, Epochs: 1})
	e.ok(bob, &MsgFundSharedBlob{Blob: b, Amount: 2 * cost})
	r := e.ok(carol, &MsgExtendSharedBlob{Blob: b, Epochs: 2})
	if ev := r.Events[0].(*BlobCertified); !ev.IsExtension || ev.EndEpoch != cur+3 {
		t.Fatalf("event %+v", ev)
	}
	if o := e.object(b); o.Funds != 10 || o.Blob.Storage.End != cur+3 {
		t.Fatalf("after extension %+v", o)
	}
	e.fail(ErrInvalidArgument, bob, &MsgFundSharedBlob{Blob: b, Amount: 0})
	e.fail(ErrWrongKind, alice, &MsgDeleteBlob{Blob: b})
	e.fail(ErrWrongKind, alice, &MsgTransferObject{Object: b, To: addrOf(bob)})
	e.fail(ErrWrongKind, alice, &MsgFundSharedBlob{Blob: e.storeBlob(alice, 2, size, 1, false), Amount: 1})
}

func TestInvalidateBlob(t *testing.T) {
	e := newEnv(t)
	cur := e.sys().Epoch
	id, _ := testBlob(7, 1)
	com := e.committee(keyCommitteeCur)
	// f+1 = validity: 3w >= n+1 = 11 → w >= 4.
	var sig []int
	var w int
	for i, m := range com.Members {
		if !isValidity(uint64(w), testShards) {
			sig = append(sig, i)
			w += m.Weight()
		}
	}
	one := []int{0}
	if isValidity(uint64(com.Members[0].Weight()), testShards) {
		t.Fatal("test assumes one member is below validity")
	}
	e.fail(ErrNotEnoughWeight, alice, &MsgInvalidateBlob{Cert: e.cert(InvalidBlobMessage(cur, id), one...)})
	e.fail(ErrCertificate, alice, &MsgInvalidateBlob{Cert: e.cert(CertifyMessage(cur, id, false, ObjectID{}), sig...)})
	r := e.ok(alice, &MsgInvalidateBlob{Cert: e.cert(InvalidBlobMessage(cur, id), sig...)})
	if !reflect.DeepEqual(r.Events[0], &InvalidBlobID{Epoch: cur, BlobID: id}) {
		t.Fatalf("event %+v", r.Events[0])
	}
	if _, ok, _ := e.store.Get(key(PrefixInvalid, id[:])); !ok {
		t.Fatal("invalid blob not recorded")
	}
}
