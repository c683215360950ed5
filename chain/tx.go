package chain

import (
	"bytes"
	"crypto/ed25519"
	"fmt"

	"github.com/walrus-go/walrus/bcs"
	"github.com/walrus-go/walrus/protocol"
	"golang.org/x/crypto/blake2b"
)

// Size limits of transactions and their fields.
const (
	MaxTxSize         = 64 << 10
	MaxMessages       = 64
	MaxChainIDLen     = 64
	MaxNodeName       = 100
	MaxNetworkAddress = 259
	MaxNetworkKey     = 128
	MaxBitmap         = 1 << 13
	MaxCertMessage    = protocol.MaxMessageSize
	BLSPublicKeySize  = 48
	BLSSignatureSize  = 96
)

// txDomain separates transaction signatures from every other signed message.
const txDomain = "walrus-go/tx/v1"

// Tx is a signed transaction: messages applied atomically on behalf of the
// sender, who pays Fee and must use its next sequence number.
type Tx struct {
	Sender    ed25519.PublicKey
	Sequence  uint64
	Fee       uint64
	Msgs      []Msg
	Signature []byte
}

// SenderAddress returns the sender's account address.
func (tx *Tx) SenderAddress() Address { return AddressOf(tx.Sender) }

func (tx *Tx) encodeBody(e *bcs.Encoder) {
	e.Fixed(tx.Sender)
	e.U64(tx.Sequence)
	e.U64(tx.Fee)
	e.ULEB(uint32(len(tx.Msgs)))
	for _, m := range tx.Msgs {
		e.ULEB(m.tag())
		m.encode(e)
	}
}

// SignBytes returns the bytes the sender signs: the domain, the chain ID and
// the transaction body (everything but the signature).
func (tx *Tx) SignBytes(chainID string) []byte {
	e := bcs.NewEncoder(256)
	e.String(txDomain)
	e.String(chainID)
	tx.encodeBody(e)
	return e.Bytes()
}

// Sign sets the sender and signs the transaction with key.
func (tx *Tx) Sign(chainID string, key ed25519.PrivateKey) {
	tx.Sender = key.Public().(ed25519.PublicKey)
	tx.Signature = ed25519.Sign(key, tx.SignBytes(chainID))
}

// Verify checks the signature over the chain ID.
func (tx *Tx) Verify(chainID string) error {
	if len(tx.Sender) != ed25519.PublicKeySize || len(tx.Signature) != ed25519.SignatureSize ||
		!ed25519.Verify(tx.Sender, tx.SignBytes(chainID), tx.Signature) {
		return fmt.Errorf("%w: sender %s", ErrBadSignature, tx.SenderAddress())
	}
	return nil
}

// Encode returns the canonical encoding: body then the 64-byte signature.
func (tx *Tx) Encode() []byte {
	e := bcs.NewEncoder(256)
	tx.encodeBody(e)
	sig := tx.Signature
	if len(sig) != ed25519.SignatureSize {
		sig = make([]byte, ed25519.SignatureSize)
	}
	e.Fixed(sig)
	return e.Bytes()
}

// TxHash returns BLAKE2b-256 of an encoded transaction.
func TxHash(raw []byte) [32]byte { return blake2b.Sum256(raw) }

// DecodeTx decodes a transaction strictly: bounded lengths, known message
// tags, no trailing bytes.
func DecodeTx(raw []byte) (*Tx, error) {
	if len(raw) > MaxTxSize {
		return nil, fmt.Errorf("%w: transaction of %d bytes exceeds %d", ErrDecode, len(raw), MaxTxSize)
	}
	d := bcs.NewDecoder(raw)
	tx := &Tx{Sender: bytes.Clone(d.Fixed(ed25519.PublicKeySize))}
	tx.Sequence = d.U64()
	tx.Fee = d.U64()
	n := d.Len(MaxMessages, 1)
	if d.Err() == nil && n == 0 {
		return nil, fmt.Errorf("%w: transaction without messages", ErrDecode)
	}
	for range n {
		t := d.Tag(numMsgs)
		if d.Err() != nil {
			break
		}
		m := newMsg(t)
		m.decode(d)
		tx.Msgs = append(tx.Msgs, m)
	}
	tx.Signature = bytes.Clone(d.Fixed(ed25519.SignatureSize))
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("%w: transaction: %v", ErrDecode, err)
	}
	return tx, nil
}

// Msg is one operation of a transaction.
type Msg interface {
	tag() uint32
	encode(e *bcs.Encoder)
	decode(d *bcs.Decoder)
}

// numMsgs is the number of message types; tags are 0..numMsgs-1.
const numMsgs = 29

// newMsg returns an empty message of the given tag.
func newMsg(tag uint32) Msg {
	switch tag {
	case 0:
		return new(MsgTransfer)
	case 1:
		return new(MsgFaucet)
	case 2:
		return new(MsgReserveSpace)
	case 3:
		return new(MsgReserveSpaceFor)
	case 4:
		return new(MsgSplitStorageByEpoch)
	case 5:
		return new(MsgSplitStorageBySize)
	case 6:
		return new(MsgFuseStorage)
	case 7:
		return new(MsgExtendStorage)
	case 8:
		return new(MsgRegisterBlob)
	case 9:
		return new(MsgCertifyBlob)
	case 10:
		return new(MsgExtendBlob)
	case 11:
		return new(MsgExtendBlobWithStorage)
	case 12:
		return new(MsgDeleteBlob)
	case 13:
		return new(MsgBurnBlob)
	case 14:
		return new(MsgSetAttribute)
	case 15:
		return new(MsgRemoveAttribute)
	case 16:
		return new(MsgTransferObject)
	case 17:
		return new(MsgShareBlob)
	case 18:
		return new(MsgFundSharedBlob)
	case 19:
		return new(MsgExtendSharedBlob)
	case 20:
		return new(MsgInvalidateBlob)
	case 21:
		return new(MsgRegisterCandidate)
	case 22:
		return new(MsgSetVotes)
	case 23:
		return new(MsgSetCommission)
	case 24:
		return new(MsgStake)
	case 25:
		return new(MsgRequestWithdraw)
	case 26:
		return new(MsgWithdraw)
	case 27:
		return new(MsgCollectCommission)
	case 28:
		return new(MsgEpochSyncDone)
	}
	return nil
}

// MsgTransfer moves FROST to another account.
type MsgTransfer struct {
	To     Address
	Amount uint64
}

// MsgFaucet mints FROST to the sender (only if genesis enabled the faucet).
type MsgFaucet struct{ Amount uint64 }

// MsgReserveSpace buys Size bytes of encoded storage for the current epoch
// and the EpochsAhead-1 following ones.
type MsgReserveSpace struct {
	Size        uint64
	EpochsAhead uint32
}

// MsgReserveSpaceFor buys Size bytes for the epochs [Start, End).
type MsgReserveSpaceFor struct {
	Size       uint64
	Start, End uint32
}

// MsgSplitStorageByEpoch splits a storage resource at Epoch: the resource
// keeps [start, Epoch) and a new one gets [Epoch, end).
type MsgSplitStorageByEpoch struct {
	Storage ObjectID
	Epoch   uint32
}

// MsgSplitStorageBySize splits a storage resource: it keeps Size bytes and a
// new resource gets the rest.
type MsgSplitStorageBySize struct {
	Storage ObjectID
	Size    uint64
}

// MsgFuseStorage merges Second into First: same size and adjacent periods, or
// same period (sizes add up).
type MsgFuseStorage struct{ First, Second ObjectID }

// MsgExtendStorage pays for Epochs more epochs of a storage resource.
type MsgExtendStorage struct {
	Storage ObjectID
	Epochs  uint32
}

// MsgRegisterBlob registers a blob using a storage resource. Storage may be
// StorageFromThisTx, naming the resource that the latest earlier
// MsgReserveSpace or MsgReserveSpaceFor of the same transaction created:
// its ID derives from the transaction's hash, which is not known while the
// transaction is written, and this way reserving and registering take one
// transaction (applied atomically, as Walrus's programmable transaction).
type MsgRegisterBlob struct {
	Storage      ObjectID
	BlobID       BlobID
	RootHash     [32]byte
	Size         uint64
	EncodingType uint8
	Deletable    bool
}

// StorageFromThisTx, as MsgRegisterBlob.Storage, names the storage resource
// reserved earlier in the same transaction. It is the zero ID, which no
// object has (IDs are BLAKE2b-256 outputs).
var StorageFromThisTx = ObjectID{}

// Certificate is a BLS aggregate certificate as passed on chain (a Move
// call's signature, signers bitmap and message): protocol's on-chain form,
// so a certificate built by protocol.Aggregator is passed as is (see
// protocol.Certificate.OnChain). In a transaction it is BCS: the bitmap and
// the message as byte vectors, then the 96-byte aggregate signature.
type Certificate = protocol.OnChainCertificate

func encodeCertificate(e *bcs.Encoder, c *Certificate) {
	e.ByteVec(c.SignersBitmap)
	e.ByteVec(c.Message)
	e.Fixed(c.Signature[:])
}

func decodeCertificate(d *bcs.Decoder, c *Certificate) {
	c.SignersBitmap = bytes.Clone(d.ByteVec(MaxBitmap))
	c.Message = bytes.Clone(d.ByteVec(MaxCertMessage))
	d.FixedInto(c.Signature[:])
}

// MsgCertifyBlob certifies a registered blob (its point of availability).
type MsgCertifyBlob struct {
	Blob ObjectID
	Cert Certificate
}

// MsgExtendBlob pays for Epochs more epochs of a certified blob.
type MsgExtendBlob struct {
	Blob   ObjectID
	Epochs uint32
}

// MsgExtendBlobWithStorage extends a certified blob with a storage resource
// of the same size that starts at the blob's end epoch.
type MsgExtendBlobWithStorage struct{ Blob, Storage ObjectID }

// MsgDeleteBlob deletes a deletable blob and returns its storage resource.
type MsgDeleteBlob struct{ Blob ObjectID }

// MsgBurnBlob destroys a blob object and its storage, without an event.
type MsgBurnBlob struct{ Blob ObjectID }

// MsgSetAttribute inserts or updates an attribute of a blob.
type MsgSetAttribute struct {
	Blob       ObjectID
	Key, Value string
}

// MsgRemoveAttribute removes an attribute of a blob if it exists.
type MsgRemoveAttribute struct {
	Blob ObjectID
	Key  string
}

// MsgTransferObject gives an owned object (storage, blob, staked WAL) to another address.
type MsgTransferObject struct {
	Object ObjectID
	To     Address
}

// MsgShareBlob turns an owned blob into a shared blob funded with Funds.
type MsgShareBlob struct {
	Blob  ObjectID
	Funds uint64
}

// MsgFundSharedBlob adds WAL to a shared blob's funds; anyone may.
type MsgFundSharedBlob struct {
	Blob   ObjectID
	Amount uint64
}

// MsgExtendSharedBlob extends a shared blob, paid from its funds; anyone may.
type MsgExtendSharedBlob struct {
	Blob   ObjectID
	Epochs uint32
}

// MsgInvalidateBlob records an invalid blob ID on an f+1 certificate.
type MsgInvalidateBlob struct{ Cert Certificate }

// MsgRegisterCandidate creates a staking pool for a storage node operated by
// the sender; the node ID is the new pool's object ID.
type MsgRegisterCandidate struct {
	Name              string
	NetworkAddress    string
	PublicKey         [BLSPublicKeySize]byte
	NetworkPublicKey  []byte
	ProofOfPossession [BLSSignatureSize]byte
	Commission        uint16
	StoragePrice      uint64
	WritePrice        uint64
	Capacity          uint64
}

// MsgSetVotes sets a node's price and capacity votes.
type MsgSetVotes struct {
	Node                     ObjectID
	StoragePrice, WritePrice uint64
	Capacity                 uint64
}

// MsgSetCommission sets a node's commission rate (basis points), effective two
// epochs later.
type MsgSetCommission struct {
	Node ObjectID
	Rate uint16
}

// MsgStake stakes WAL with a node and creates a StakedWAL object.
type MsgStake struct {
	Node   ObjectID
	Amount uint64
}

// MsgRequestWithdraw starts the withdrawal of a stake (or withdraws a stake
// that is not active yet at once).
type MsgRequestWithdraw struct{ Staked ObjectID }

// MsgWithdraw pays out a stake whose withdrawal epoch has come.
type MsgWithdraw struct{ Staked ObjectID }

// MsgCollectCommission pays a node's collectable commission to its operator.
type MsgCollectCommission struct{ Node ObjectID }

// MsgEpochSyncDone tells that the node finished syncing its shards for Epoch.
type MsgEpochSyncDone struct {
	Node  ObjectID
	Epoch uint32
}

func (*MsgTransfer) tag() uint32              { return 0 }
func (*MsgFaucet) tag() uint32                { return 1 }
func (*MsgReserveSpace) tag() uint32          { return 2 }
func (*MsgReserveSpaceFor) tag() uint32       { return 3 }
func (*MsgSplitStorageByEpoch) tag() uint32   { return 4 }
func (*MsgSplitStorageBySize) tag() uint32    { return 5 }
func (*MsgFuseStorage) tag() uint32           { return 6 }
func (*MsgExtendStorage) tag() uint32         { return 7 }
func (*MsgRegisterBlob) tag() uint32          { return 8 }
func (*MsgCertifyBlob) tag() uint32           { return 9 }
func (*MsgExtendBlob) tag() uint32            { return 10 }
func (*MsgExtendBlobWithStorage) tag() uint32 { return 11 }
func (*MsgDeleteBlob) tag() uint32            { return 12 }
func (*MsgBurnBlob) tag() uint32              { return 13 }
func (*MsgSetAttribute) tag() uint32          { return 14 }
func (*MsgRemoveAttribute) tag() uint32       { return 15 }
func (*MsgTransferObject) tag() uint32        { return 16 }
func (*MsgShareBlob) tag() uint32             { return 17 }
func (*MsgFundSharedBlob) tag() uint32        { return 18 }
func (*MsgExtendSharedBlob) tag() uint32      { return 19 }
func (*MsgInvalidateBlob) tag() uint32        { return 20 }
func (*MsgRegisterCandidate) tag() uint32     { return 21 }
func (*MsgSetVotes) tag() uint32              { return 22 }
func (*MsgSetCommission) tag() uint32         { return 23 }
func (*MsgStake) tag() uint32                 { return 24 }
func (*MsgRequestWithdraw) tag() uint32       { return 25 }
func (*MsgWithdraw) tag() uint32              { return 26 }
func (*MsgCollectCommission) tag() uint32     { return 27 }
func (*MsgEpochSyncDone) tag() uint32         { return 28 }

func (m *MsgTransfer) encode(e *bcs.Encoder) { e.Fixed(m.To[:]); e.U64(m.Amount) }
func (m *MsgTransfer) decode(d *bcs.Decoder) { d.FixedInto(m.To[:]); m.Amount = d.U64() }

func (m *MsgFaucet) encode(e *bcs.Encoder) { e.U64(m.Amount) }
func (m *MsgFaucet) decode(d *bcs.Decoder) { m.Amount = d.U64() }

func (m *MsgReserveSpace) encode(e *bcs.Encoder) { e.U64(m.Size); e.U32(m.EpochsAhead) }
func (m *MsgReserveSpace) decode(d *bcs.Decoder) { m.Size = d.U64(); m.EpochsAhead = d.U32() }

func (m *MsgReserveSpaceFor) encode(e *bcs.Encoder) { e.U64(m.Size); e.U32(m.Start); e.U32(m.End) }
func (m *MsgReserveSpaceFor) decode(d *bcs.Decoder) {
	m.Size = d.U64()
	m.Start = d.U32()
	m.End = d.U32()
}

func (m *MsgSplitStorageByEpoch) encode(e *bcs.Encoder) { e.Fixed(m.Storage[:]); e.U32(m.Epoch) }
func (m *MsgSplitStorageByEpoch) decode(d *bcs.Decoder) {
	d.FixedInto(m.Storage[:])
	m.Epoch = d.U32()
}

func (m *MsgSplitStorageBySize) encode(e *bcs.Encoder) { e.Fixed(m.Storage[:]); e.U64(m.Size) }
func (m *MsgSplitStorageBySize) decode(d *bcs.Decoder) {
	d.FixedInto(m.Storage[:])
	m.Size = d.U64()
}

func (m *MsgFuseStorage) encode(e *bcs.Encoder) { e.Fixed(m.First[:]); e.Fixed(m.Second[:]) }
func (m *MsgFuseStorage) decode(d *bcs.Decoder) { d.FixedInto(m.First[:]); d.FixedInto(m.Second[:]) }

func (m *MsgExtendStorage) encode(e *bcs.Encoder) { e.Fixed(m.Storage[:]); e.U32(m.Epochs) }
func (m *MsgExtendStorage) decode(d *bcs.Decoder) { d.FixedInto(m.Storage[:]); m.Epochs = d.U32() }

func (m *MsgRegisterBlob) encode(e *bcs.Encoder) {
	e.Fixed(m.Storage[:])
	e.Fixed(m.BlobID[:])
	e.Fixed(m.RootHash[:])
	e.U64(m.Size)
	e.U8(m.EncodingType)
	e.Bool(m.Deletable)
}

func (m *MsgRegisterBlob) decode(d *bcs.Decoder) {
	d.FixedInto(m.Storage[:])
	d.FixedInto(m.BlobID[:])
	d.FixedInto(m.RootHash[:])
	m.Size = d.U64()
	m.EncodingType = d.U8()
	m.Deletable = d.Bool()
}

func (m *MsgCertifyBlob) encode(e *bcs.Encoder) { e.Fixed(m.Blob[:]); encodeCertificate(e, &m.Cert) }
func (m *MsgCertifyBlob) decode(d *bcs.Decoder) {
	d.FixedInto(m.Blob[:])
	decodeCertificate(d, &m.Cert)
}

func (m *MsgExtendBlob) encode(e *bcs.Encoder) { e.Fixed(m.Blob[:]); e.U32(m.Epochs) }
func (m *MsgExtendBlob) decode(d *bcs.Decoder) { d.FixedInto(m.Blob[:]); m.Epochs = d.U32() }

func (m *MsgExtendBlobWithStorage) encode(e *bcs.Encoder) { e.Fixed(m.Blob[:]); e.Fixed(m.Storage[:]) }
func (m *MsgExtendBlobWithStorage) decode(d *bcs.Decoder) {
	d.FixedInto(m.Blob[:])
	d.FixedInto(m.Storage[:])
}

func (m *MsgDeleteBlob) encode(e *bcs.Encoder) { e.Fixed(m.Blob[:]) }
func (m *MsgDeleteBlob) decode(d *bcs.Decoder) { d.FixedInto(m.Blob[:]) }

func (m *MsgBurnBlob) encode(e *bcs.Encoder) { e.Fixed(m.Blob[:]) }
func (m *MsgBurnBlob) decode(d *bcs.Decoder) { d.FixedInto(m.Blob[:]) }

func (m *MsgSetAttribute) encode(e *bcs.Encoder) {
	e.Fixed(m.Blob[:])
	e.String(m.Key)
	e.String(m.Value)
}

func (m *MsgSetAttribute) decode(d *bcs.Decoder) {
	d.FixedInto(m.Blob[:])
	m.Key = d.String(MaxAttributeKey)
	m.Value = d.String(MaxAttributeValue)
}

func (m *MsgRemoveAttribute) encode(e *bcs.Encoder) { e.Fixed(m.Blob[:]); e.String(m.Key) }
func (m *MsgRemoveAttribute) decode(d *bcs.Decoder) {
	d.FixedInto(m.Blob[:])
	m.Key = d.String(MaxAttributeKey)
}

func (m *MsgTransferObject) encode(e *bcs.Encoder) { e.Fixed(m.Object[:]); e.Fixed(m.To[:]) }
func (m *MsgTransferObject) decode(d *bcs.Decoder) { d.FixedInto(m.Object[:]); d.FixedInto(m.To[:]) }

func (m *MsgShareBlob) encode(e *bcs.Encoder) { e.Fixed(m.Blob[:]); e.U64(m.Funds) }
func (m *MsgShareBlob) decode(d *bcs.Decoder) { d.FixedInto(m.Blob[:]); m.Funds = d.U64() }

func (m *MsgFundSharedBlob) encode(e *bcs.Encoder) { e.Fixed(m.Blob[:]); e.U64(m.Amount) }
func (m *MsgFundSharedBlob) decode(d *bcs.Decoder) { d.FixedInto(m.Blob[:]); m.Amount = d.U64() }

func (m *MsgExtendSharedBlob) encode(e *bcs.Encoder) { e.Fixed(m.Blob[:]); e.U32(m.Epochs) }
func (m *MsgExtendSharedBlob) decode(d *bcs.Decoder) { d.FixedInto(m.Blob[:]); m.Epochs = d.U32() }

func (m *MsgInvalidateBlob) encode(e *bcs.Encoder) { encodeCertificate(e, &m.Cert) }
func (m *MsgInvalidateBlob) decode(d *bcs.Decoder) { decodeCertificate(d, &m.Cert) }

func (m *MsgRegisterCandidate) encode(e *bcs.Encoder) {
	e.String(m.Name)
	e.String(m.NetworkAddress)
	e.Fixed(m.PublicKey[:])
	e.ByteVec(m.NetworkPublicKey)
	e.Fixed(m.ProofOfPossession[:])
	e.U16(m.Commission)
	e.U64(m.StoragePrice)
	e.U64(m.WritePrice)
	e.U64(m.Capacity)
}

func (m *MsgRegisterCandidate) decode(d *bcs.Decoder) {
	m.Name = d.String(MaxNodeName)
	m.NetworkAddress = d.String(MaxNetworkAddress)
	d.FixedInto(m.PublicKey[:])
	m.NetworkPublicKey = bytes.Clone(d.ByteVec(MaxNetworkKey))
	d.FixedInto(m.ProofOfPossession[:])
	m.Commission = d.U16()
	m.StoragePrice = d.U64()
	m.WritePrice = d.U64()
	m.Capacity = d.U64()
}

func (m *MsgSetVotes) encode(e *bcs.Encoder) {
	e.Fixed(m.Node[:])
	e.U64(m.StoragePrice)
	e.U64(m.WritePrice)
	e.U64(m.Capacity)
}

func (m *MsgSetVotes) decode(d *bcs.Decoder) {
	d.FixedInto(m.Node[:])
	m.StoragePrice = d.U64()
	m.WritePrice = d.U64()
	m.Capacity = d.U64()
}

func (m *MsgSetCommission) encode(e *bcs.Encoder) { e.Fixed(m.Node[:]); e.U16(m.Rate) }
func (m *MsgSetCommission) decode(d *bcs.Decoder) { d.FixedInto(m.Node[:]); m.Rate = d.U16() }

func (m *MsgStake) encode(e *bcs.Encoder) { e.Fixed(m.Node[:]); e.U64(m.Amount) }
func (m *MsgStake) decode(d *bcs.Decoder) { d.FixedInto(m.Node[:]); m.Amount = d.U64() }

func (m *MsgRequestWithdraw) encode(e *bcs.Encoder) { e.Fixed(m.Staked[:]) }
func (m *MsgRequestWithdraw) decode(d *bcs.Decoder) { d.FixedInto(m.Staked[:]) }

func (m *MsgWithdraw) encode(e *bcs.Encoder) { e.Fixed(m.Staked[:]) }
func (m *MsgWithdraw) decode(d *bcs.Decoder) { d.FixedInto(m.Staked[:]) }

func (m *MsgCollectCommission) encode(e *bcs.Encoder) { e.Fixed(m.Node[:]) }
func (m *MsgCollectCommission) decode(d *bcs.Decoder) { d.FixedInto(m.Node[:]) }

func (m *MsgEpochSyncDone) encode(e *bcs.Encoder) { e.Fixed(m.Node[:]); e.U32(m.Epoch) }
func (m *MsgEpochSyncDone) decode(d *bcs.Decoder) { d.FixedInto(m.Node[:]); m.Epoch = d.U32() }
