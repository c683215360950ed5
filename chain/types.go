package chain

import (
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/walrus-go/walrus/bcs"
	"github.com/walrus-go/walrus/crypto/account"
	"github.com/walrus-go/walrus/encoding"
	"golang.org/x/crypto/blake2b"
)

// FrostPerWAL is the number of FROST in one WAL.
const FrostPerWAL = 1_000_000_000

// StorageUnit is the unit of storage prices: 1 MiB of encoded size.
const StorageUnit = 1 << 20

// Address identifies an account: BLAKE2b-256(0x00 ‖ Ed25519 public key),
// as Sui derives addresses (crypto/account).
type Address = account.Address

// AddressOf returns the address of an Ed25519 public key.
// A key of the wrong length has the zero address.
func AddressOf(pub ed25519.PublicKey) Address {
	if len(pub) != ed25519.PublicKeySize {
		return Address{}
	}
	return account.PublicKey(pub).Address()
}

// ObjectID identifies an on-chain object (storage resource, blob, staked WAL,
// staking pool = node ID).
type ObjectID [32]byte

// String returns the ID as 0x-prefixed hex.
func (id ObjectID) String() string { return "0x" + hex.EncodeToString(id[:]) }

// BlobID is the blob identifier of the encoding package.
type BlobID = encoding.BlobID

// DeriveObjectID returns the counter-th object ID created by the
// transaction with the given hash (TxHash).
func DeriveObjectID(txHash [32]byte, counter uint32) ObjectID { return deriveObjectID(txHash, counter) }

// deriveObjectID returns BLAKE2b-256("walrus-go/object" ‖ txHash ‖ u32le counter).
func deriveObjectID(txHash [32]byte, counter uint32) ObjectID {
	h, _ := blake2b.New256(nil)
	h.Write([]byte("walrus-go/object"))
	h.Write(txHash[:])
	var c [4]byte
	binary.LittleEndian.PutUint32(c[:], counter)
	h.Write(c[:])
	var id ObjectID
	h.Sum(id[:0])
	return id
}

// Account is an account's balance and next expected sequence number.
type Account struct {
	Balance  uint64
	Sequence uint64
}

func (a *Account) encode(e *bcs.Encoder) { e.U64(a.Balance); e.U64(a.Sequence) }
func (a *Account) decode(d *bcs.Decoder) { a.Balance = d.U64(); a.Sequence = d.U64() }

// Storage is a storage resource: Size bytes of encoded size for the epochs
// [Start, End).
type Storage struct {
	ID    ObjectID
	Start uint32
	End   uint32
	Size  uint64
}

func (s *Storage) encode(e *bcs.Encoder) {
	e.Fixed(s.ID[:])
	e.U32(s.Start)
	e.U32(s.End)
	e.U64(s.Size)
}

func (s *Storage) decode(d *bcs.Decoder) {
	d.FixedInto(s.ID[:])
	s.Start = d.U32()
	s.End = d.U32()
	s.Size = d.U64()
}

// Attribute is one key-value pair of a blob's metadata.
type Attribute struct {
	Key, Value string
}

// Limits on attributes.
const (
	MaxAttributes     = 64
	MaxAttributeKey   = 256
	MaxAttributeValue = 4096
)

// Blob is a registered blob. CertifiedEpoch is nil until certification.
type Blob struct {
	ID              ObjectID
	RegisteredEpoch uint32
	BlobID          BlobID
	Size            uint64
	EncodingType    uint8
	CertifiedEpoch  *uint32
	Storage         Storage
	Deletable       bool
	Attributes      []Attribute // sorted by key
}

// Certified reports whether the blob has been certified.
func (b *Blob) Certified() bool { return b.CertifiedEpoch != nil }

func (b *Blob) encode(e *bcs.Encoder) {
	e.Fixed(b.ID[:])
	e.U32(b.RegisteredEpoch)
	e.Fixed(b.BlobID[:])
	e.U64(b.Size)
	e.U8(b.EncodingType)
	if b.CertifiedEpoch == nil {
		e.U8(0)
	} else {
		e.U8(1)
		e.U32(*b.CertifiedEpoch)
	}
	b.Storage.encode(e)
	e.Bool(b.Deletable)
	e.ULEB(uint32(len(b.Attributes)))
	for _, a := range b.Attributes {
		e.String(a.Key)
		e.String(a.Value)
	}
}

func (b *Blob) decode(d *bcs.Decoder) {
	d.FixedInto(b.ID[:])
	b.RegisteredEpoch = d.U32()
	d.FixedInto(b.BlobID[:])
	b.Size = d.U64()
	b.EncodingType = d.U8()
	if d.Tag(2) == 1 {
		v := d.U32()
		b.CertifiedEpoch = &v
	}
	b.Storage.decode(d)
	b.Deletable = d.Bool()
	n := d.Len(MaxAttributes, 2)
	b.Attributes = nil
	for range n {
		b.Attributes = append(b.Attributes, Attribute{Key: d.String(MaxAttributeKey), Value: d.String(MaxAttributeValue)})
	}
}

// StakedWAL is a stake in a node's pool. While Withdrawing, WithdrawEpoch is
// the epoch from which Withdraw pays it out and Shares the pool shares it
// gave up.
type StakedWAL struct {
	ID              ObjectID
	NodeID          ObjectID
	Principal       uint64
	ActivationEpoch uint32
	Withdrawing     bool
	WithdrawEpoch   uint32
	Shares          uint64
}

func (s *StakedWAL) encode(e *bcs.Encoder) {
	e.Fixed(s.ID[:])
	e.Fixed(s.NodeID[:])
	e.U64(s.Principal)
	e.U32(s.ActivationEpoch)
	e.Bool(s.Withdrawing)
	e.U32(s.WithdrawEpoch)
	e.U64(s.Shares)
}

func (s *StakedWAL) decode(d *bcs.Decoder) {
	d.FixedInto(s.ID[:])
	d.FixedInto(s.NodeID[:])
	s.Principal = d.U64()
	s.ActivationEpoch = d.U32()
	s.Withdrawing = d.Bool()
	s.WithdrawEpoch = d.U32()
	s.Shares = d.U64()
}

// ObjectKind tells which value an Object holds.
type ObjectKind uint8

// Object kinds.
const (
	KindStorage ObjectKind = iota
	KindBlob
	KindSharedBlob
	KindStakedWAL
	numKinds
)

func (k ObjectKind) String() string {
	switch k {
	case KindStorage:
		return "storage"
	case KindBlob:
		return "blob"
	case KindSharedBlob:
		return "shared blob"
	case KindStakedWAL:
		return "staked WAL"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Object is a stored object: its owner (the zero address for shared objects)
// and exactly one of the values, chosen by Kind. A shared blob uses Blob and
// Funds (the WAL anyone can add to pay for extensions).
type Object struct {
	Owner   Address
	Kind    ObjectKind
	Storage *Storage
	Blob    *Blob
	Funds   uint64
	Staked  *StakedWAL
}

// ID returns the object's ID.
func (o *Object) ID() ObjectID {
	switch o.Kind {
	case KindStorage:
		return o.Storage.ID
	case KindBlob, KindSharedBlob:
		return o.Blob.ID
	default:
		return o.Staked.ID
	}
}

func (o *Object) encode(e *bcs.Encoder) {
	e.Fixed(o.Owner[:])
	e.ULEB(uint32(o.Kind))
	switch o.Kind {
	case KindStorage:
		o.Storage.encode(e)
	case KindBlob:
		o.Blob.encode(e)
	case KindSharedBlob:
		o.Blob.encode(e)
		e.U64(o.Funds)
	case KindStakedWAL:
		o.Staked.encode(e)
	}
}

func (o *Object) decode(d *bcs.Decoder) {
	d.FixedInto(o.Owner[:])
	o.Kind = ObjectKind(d.Tag(uint32(numKinds)))
	switch o.Kind {
	case KindStorage:
		o.Storage = new(Storage)
		o.Storage.decode(d)
	case KindBlob:
		o.Blob = new(Blob)
		o.Blob.decode(d)
	case KindSharedBlob:
		o.Blob = new(Blob)
		o.Blob.decode(d)
		o.Funds = d.U64()
	case KindStakedWAL:
		o.Staked = new(StakedWAL)
		o.Staked.decode(d)
	}
}

// Accounting is one epoch's entry of the future accounting: the capacity
// reserved for that epoch and the rewards collected for it.
type Accounting struct {
	Used    uint64
	Rewards uint64
}

func (a *Accounting) encode(e *bcs.Encoder) { e.U64(a.Used); e.U64(a.Rewards) }
func (a *Accounting) decode(d *bcs.Decoder) { a.Used = d.U64(); a.Rewards = d.U64() }

// EpochState is the phase of the epoch state machine.
type EpochState uint8

// Epoch states, as in Walrus's staking contract.
const (
	// StateChangeSync: the epoch changed, nodes are moving shards.
	StateChangeSync EpochState = iota
	// StateChangeDone: a quorum of the committee finished syncing.
	StateChangeDone
	// StateParamsSelected: voting ended; the next committee is known.
	StateParamsSelected
	numStates
)

func (s EpochState) String() string {
	switch s {
	case StateChangeSync:
		return "EpochChangeSync"
	case StateChangeDone:
		return "EpochChangeDone"
	case StateParamsSelected:
		return "NextParamsSelected"
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}
