package blobinfo

import (
	"errors"
	"fmt"

	"github.com/walrus-go/walrus/bcs"
)

// ErrCorrupt reports a stored record that does not decode or breaks an
// invariant of its type.
var ErrCorrupt = errors.New("blobinfo: corrupt record")

// Record versions: every record starts with a ULEB128 version tag so that a
// later layout can be told apart from this one.
const (
	infoV1     = 0
	objectV1   = 0
	numVersion = 1
)

// EncodeEventID appends an event ID (u64 height, u32 index).
func EncodeEventID(e *bcs.Encoder, id EventID) {
	e.U64(id.Height)
	e.U32(id.Index)
}

// DecodeEventID reads an event ID.
func DecodeEventID(d *bcs.Decoder) EventID {
	return EventID{Height: d.U64(), Index: d.U32()}
}

func encodeOption(e *bcs.Encoder, some bool) {
	if some {
		e.ULEB(1)
	} else {
		e.ULEB(0)
	}
}

func decodeOption(d *bcs.Decoder) bool { return d.Tag(2) == 1 }

func encodePermanent(e *bcs.Encoder, p *Permanent) {
	encodeOption(e, p != nil)
	if p != nil {
		e.U32(p.Count)
		e.U32(p.EndEpoch)
		EncodeEventID(e, p.Event)
	}
}

func decodePermanent(d *bcs.Decoder) *Permanent {
	if !decodeOption(d) {
		return nil
	}
	p := &Permanent{Count: d.U32(), EndEpoch: d.U32(), Event: DecodeEventID(d)}
	if d.Err() == nil && p.Count == 0 {
		d.Fail(fmt.Errorf("%w: permanent record with count 0", bcs.ErrInvalidData))
	}
	return p
}

// MarshalInfo returns the stored form of an Info.
func MarshalInfo(in *Info) []byte {
	e := bcs.NewEncoder(64)
	e.ULEB(infoV1)
	e.U32(in.RegisteredDeletable)
	e.U32(in.CertifiedDeletable)
	e.U32(in.DeletableRegisteredEnd)
	e.U32(in.DeletableCertifiedEnd)
	encodePermanent(e, in.PermanentRegistered)
	encodePermanent(e, in.PermanentCertified)
	encodeOption(e, in.HasInitialCertified)
	if in.HasInitialCertified {
		e.U32(in.InitialCertifiedEpoch)
	}
	e.Bool(in.MetadataStored)
	encodeOption(e, in.Invalid)
	if in.Invalid {
		EncodeEventID(e, in.InvalidEvent)
	}
	return e.Bytes()
}

// UnmarshalInfo parses a stored Info strictly: canonical BCS, no trailing
// bytes, and the record's invariants (certified counts within registered
// ones, no end epoch without a count).
func UnmarshalInfo(b []byte) (Info, error) {
	var in Info
	d := bcs.NewDecoder(b)
	d.Tag(numVersion)
	in.RegisteredDeletable = d.U32()
	in.CertifiedDeletable = d.U32()
	in.DeletableRegisteredEnd = d.U32()
	in.DeletableCertifiedEnd = d.U32()
	in.PermanentRegistered = decodePermanent(d)
	in.PermanentCertified = decodePermanent(d)
	if in.HasInitialCertified = decodeOption(d); in.HasInitialCertified {
		in.InitialCertifiedEpoch = d.U32()
	}
	in.MetadataStored = d.Bool()
	if in.Invalid = decodeOption(d); in.Invalid {
		in.InvalidEvent = DecodeEventID(d)
	}
	if err := d.Finish(); err != nil {
		return Info{}, fmt.Errorf("%w: blob info: %w", ErrCorrupt, err)
	}
	if err := in.check(); err != nil {
		return Info{}, fmt.Errorf("%w: blob info: %w", ErrCorrupt, err)
	}
	return in, nil
}

func (in *Info) check() error {
	switch {
	case in.CertifiedDeletable > in.RegisteredDeletable:
		return errors.New("more certified than registered deletable objects")
	case in.RegisteredDeletable == 0 && in.DeletableRegisteredEnd != 0,
		in.CertifiedDeletable == 0 && in.DeletableCertifiedEnd != 0:
		return errors.New("end epoch without objects")
	case in.PermanentCertified != nil && (in.PermanentRegistered == nil ||
		in.PermanentCertified.Count > in.PermanentRegistered.Count):
		return errors.New("more certified than registered permanent objects")
	}
	return nil
}

// MarshalObject returns the stored form of an Object.
func MarshalObject(o *Object) []byte {
	e := bcs.NewEncoder(64)
	e.ULEB(objectV1)
	e.Fixed(o.BlobID[:])
	e.U32(o.RegisteredEpoch)
	encodeOption(e, o.Certified)
	if o.Certified {
		e.U32(o.CertifiedEpoch)
	}
	e.U32(o.EndEpoch)
	e.Bool(o.Deletable)
	e.Bool(o.Deleted)
	EncodeEventID(e, o.Event)
	return e.Bytes()
}

// UnmarshalObject parses a stored Object strictly.
func UnmarshalObject(b []byte) (Object, error) {
	var o Object
	d := bcs.NewDecoder(b)
	d.Tag(numVersion)
	d.FixedInto(o.BlobID[:])
	o.RegisteredEpoch = d.U32()
	if o.Certified = decodeOption(d); o.Certified {
		o.CertifiedEpoch = d.U32()
	}
	o.EndEpoch = d.U32()
	o.Deletable = d.Bool()
	o.Deleted = d.Bool()
	o.Event = DecodeEventID(d)
	if err := d.Finish(); err != nil {
		return Object{}, fmt.Errorf("%w: object: %w", ErrCorrupt, err)
	}
	if o.Deleted && !o.Deletable {
		return Object{}, fmt.Errorf("%w: object: deleted permanent object", ErrCorrupt)
	}
	return o, nil
}
