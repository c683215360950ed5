package chain

import (
	"fmt"

	"github.com/walrus-go/walrus/bcs"
)

// EventKind is the tag of an event in its canonical encoding.
type EventKind uint8

// Event kinds. The payload of each is the BCS of its fields in the order of
// Walrus's walrus::events module (§6.4 of the reference).
const (
	KindBlobRegistered EventKind = iota
	KindBlobCertified
	KindBlobDeleted
	KindInvalidBlobID
	KindEpochChangeStart
	KindEpochChangeDone
	KindShardsReceived
	KindEpochParametersSelected
	KindPricesUpdated
	numEventKinds
)

// String returns the Walrus name of the event.
func (k EventKind) String() string {
	switch k {
	case KindBlobRegistered:
		return "BlobRegistered"
	case KindBlobCertified:
		return "BlobCertified"
	case KindBlobDeleted:
		return "BlobDeleted"
	case KindInvalidBlobID:
		return "InvalidBlobID"
	case KindEpochChangeStart:
		return "EpochChangeStart"
	case KindEpochChangeDone:
		return "EpochChangeDone"
	case KindShardsReceived:
		return "ShardsReceived"
	case KindEpochParametersSelected:
		return "EpochParametersSelected"
	case KindPricesUpdated:
		return "PricesUpdated"
	}
	return fmt.Sprintf("event(%d)", uint8(k))
}

// Event is an event emitted by the state machine.
type Event interface {
	Kind() EventKind
	encode(e *bcs.Encoder)
	decode(d *bcs.Decoder)
}

// EventID is an event's stable identifier: the block height and the event's
// index among all events of that block (block-boundary events first, then
// those of each transaction in order).
type EventID struct {
	Height uint64
	Index  uint32
}

// Less orders event IDs.
func (a EventID) Less(b EventID) bool {
	return a.Height < b.Height || (a.Height == b.Height && a.Index < b.Index)
}

// BlobRegistered is emitted when a blob is registered.
type BlobRegistered struct {
	Epoch        uint32
	BlobID       BlobID
	Size         uint64
	EncodingType uint8
	EndEpoch     uint32
	Deletable    bool
	ObjectID     ObjectID
}

// BlobCertified is emitted when a blob is certified or its certified
// lifetime is extended.
type BlobCertified struct {
	Epoch       uint32
	BlobID      BlobID
	EndEpoch    uint32
	Deletable   bool
	ObjectID    ObjectID
	IsExtension bool
}

// BlobDeleted is emitted when a deletable blob is deleted.
type BlobDeleted struct {
	Epoch        uint32
	BlobID       BlobID
	EndEpoch     uint32
	ObjectID     ObjectID
	WasCertified bool
}

// InvalidBlobID is emitted when an f+1 certificate marks a blob ID invalid.
type InvalidBlobID struct {
	Epoch  uint32
	BlobID BlobID
}

// EpochChangeStart is emitted when an epoch begins and shards start moving.
type EpochChangeStart struct{ Epoch uint32 }

// EpochChangeDone is emitted when a quorum of the committee finished syncing.
type EpochChangeDone struct{ Epoch uint32 }

// ShardsReceived is emitted when a node reports its shards synced.
type ShardsReceived struct {
	Epoch  uint32
	Shards []uint16
}

// EpochParametersSelected is emitted at voting end, when the next committee
// and parameters are selected.
type EpochParametersSelected struct{ NextEpoch uint32 }

// PricesUpdated is emitted when the storage or write price changes.
type PricesUpdated struct {
	Epoch        uint32
	StoragePrice uint64
	WritePrice   uint64
}

func (*BlobRegistered) Kind() EventKind          { return KindBlobRegistered }
func (*BlobCertified) Kind() EventKind           { return KindBlobCertified }
func (*BlobDeleted) Kind() EventKind             { return KindBlobDeleted }
func (*InvalidBlobID) Kind() EventKind           { return KindInvalidBlobID }
func (*EpochChangeStart) Kind() EventKind        { return KindEpochChangeStart }
func (*EpochChangeDone) Kind() EventKind         { return KindEpochChangeDone }
func (*ShardsReceived) Kind() EventKind          { return KindShardsReceived }
func (*EpochParametersSelected) Kind() EventKind { return KindEpochParametersSelected }
func (*PricesUpdated) Kind() EventKind           { return KindPricesUpdated }

func (v *BlobRegistered) encode(e *bcs.Encoder) {
	e.U32(v.Epoch)
	e.Fixed(v.BlobID[:])
	e.U64(v.Size)
	e.U8(v.EncodingType)
	e.U32(v.EndEpoch)
	e.Bool(v.Deletable)
	e.Fixed(v.ObjectID[:])
}

func (v *BlobRegistered) decode(d *bcs.Decoder) {
	v.Epoch = d.U32()
	d.FixedInto(v.BlobID[:])
	v.Size = d.U64()
	v.EncodingType = d.U8()
	v.EndEpoch = d.U32()
	v.Deletable = d.Bool()
	d.FixedInto(v.ObjectID[:])
}

func (v *BlobCertified) encode(e *bcs.Encoder) {
	e.U32(v.Epoch)
	e.Fixed(v.BlobID[:])
	e.U32(v.EndEpoch)
	e.Bool(v.Deletable)
	e.Fixed(v.ObjectID[:])
	e.Bool(v.IsExtension)
}

func (v *BlobCertified) decode(d *bcs.Decoder) {
	v.Epoch = d.U32()
	d.FixedInto(v.BlobID[:])
	v.EndEpoch = d.U32()
	v.Deletable = d.Bool()
	d.FixedInto(v.ObjectID[:])
	v.IsExtension = d.Bool()
}

func (v *BlobDeleted) encode(e *bcs.Encoder) {
	e.U32(v.Epoch)
	e.Fixed(v.BlobID[:])
	e.U32(v.EndEpoch)
	e.Fixed(v.ObjectID[:])
	e.Bool(v.WasCertified)
}

func (v *BlobDeleted) decode(d *bcs.Decoder) {
	v.Epoch = d.U32()
	d.FixedInto(v.BlobID[:])
	v.EndEpoch = d.U32()
	d.FixedInto(v.ObjectID[:])
	v.WasCertified = d.Bool()
}

func (v *InvalidBlobID) encode(e *bcs.Encoder) { e.U32(v.Epoch); e.Fixed(v.BlobID[:]) }
func (v *InvalidBlobID) decode(d *bcs.Decoder) { v.Epoch = d.U32(); d.FixedInto(v.BlobID[:]) }

func (v *EpochChangeStart) encode(e *bcs.Encoder) { e.U32(v.Epoch) }
func (v *EpochChangeStart) decode(d *bcs.Decoder) { v.Epoch = d.U32() }

func (v *EpochChangeDone) encode(e *bcs.Encoder) { e.U32(v.Epoch) }
func (v *EpochChangeDone) decode(d *bcs.Decoder) { v.Epoch = d.U32() }

func (v *ShardsReceived) encode(e *bcs.Encoder) {
	e.U32(v.Epoch)
	e.ULEB(uint32(len(v.Shards)))
	for _, s := range v.Shards {
		e.U16(s)
	}
}

func (v *ShardsReceived) decode(d *bcs.Decoder) {
	v.Epoch = d.U32()
	n := d.Len(1<<16, 2)
	v.Shards = make([]uint16, n)
	for i := range v.Shards {
		v.Shards[i] = d.U16()
	}
}

func (v *EpochParametersSelected) encode(e *bcs.Encoder) { e.U32(v.NextEpoch) }
func (v *EpochParametersSelected) decode(d *bcs.Decoder) { v.NextEpoch = d.U32() }

func (v *PricesUpdated) encode(e *bcs.Encoder) {
	e.U32(v.Epoch)
	e.U64(v.StoragePrice)
	e.U64(v.WritePrice)
}

func (v *PricesUpdated) decode(d *bcs.Decoder) {
	v.Epoch = d.U32()
	v.StoragePrice = d.U64()
	v.WritePrice = d.U64()
}

// EventPayload returns the BCS of the event's fields (without the kind).
func EventPayload(ev Event) []byte {
	e := bcs.NewEncoder(96)
	ev.encode(e)
	return e.Bytes()
}

// EncodeEvent returns the canonical encoding of an event: the kind as a
// ULEB128 tag followed by the payload.
func EncodeEvent(ev Event) []byte {
	e := bcs.NewEncoder(96)
	e.ULEB(uint32(ev.Kind()))
	ev.encode(e)
	return e.Bytes()
}

func newEvent(k EventKind) Event {
	switch k {
	case KindBlobRegistered:
		return new(BlobRegistered)
	case KindBlobCertified:
		return new(BlobCertified)
	case KindBlobDeleted:
		return new(BlobDeleted)
	case KindInvalidBlobID:
		return new(InvalidBlobID)
	case KindEpochChangeStart:
		return new(EpochChangeStart)
	case KindEpochChangeDone:
		return new(EpochChangeDone)
	case KindShardsReceived:
		return new(ShardsReceived)
	case KindEpochParametersSelected:
		return new(EpochParametersSelected)
	case KindPricesUpdated:
		return new(PricesUpdated)
	}
	return nil
}

// DecodeEvent decodes the canonical encoding of an event.
func DecodeEvent(b []byte) (Event, error) {
	d := bcs.NewDecoder(b)
	k := d.Tag(uint32(numEventKinds))
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("%w: event: %v", ErrDecode, err)
	}
	ev := newEvent(EventKind(k))
	ev.decode(d)
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("%w: event %s: %v", ErrDecode, EventKind(k), err)
	}
	return ev, nil
}
