// Package blobinfo is the storage node's view of the blobs on chain, as pure
// logic: an aggregate record per blob ID (Info) and a record per Blob object
// (Object), the updates that chain events make to them, and the status a node
// reports. It does no I/O; package storage persists the records and calls
// Apply, Expire and the queries here.
//
// Counts are kept exact and idempotent by deriving every change to Info from
// the change an event makes to the object it names: an event that does not
// change its object (a replayed registration, a second deletion) does not
// change Info either. End epochs in Info are upper bounds ("latest seen"):
// deleting the longest-lived deletable object of a blob leaves the bound where
// it was until the remaining objects are expired by Expire at an epoch
// boundary, when the counts drop to zero and the bound is reset.
package blobinfo

import (
	"errors"
	"fmt"

	"github.com/walrus-go/walrus/encoding"
)

// Errors reported for events that do not fit the records (the caller may log
// and skip them: they cannot happen on a consistent chain).
var (
	ErrInconsistent = errors.New("blobinfo: event inconsistent with the recorded object")
	ErrUnknownKind  = errors.New("blobinfo: unknown event kind")
)

// EventID identifies a chain event: the block height and the event's index
// in that block. Event IDs are totally ordered.
type EventID struct {
	Height uint64
	Index  uint32
}

// Less orders event IDs.
func (a EventID) Less(b EventID) bool {
	return a.Height < b.Height || (a.Height == b.Height && a.Index < b.Index)
}

// String returns "height:index".
func (a EventID) String() string { return fmt.Sprintf("%d:%d", a.Height, a.Index) }

// ObjectID is the ID of a Blob object on chain.
type ObjectID [32]byte

// String returns the ID as 0x-prefixed hex.
func (o ObjectID) String() string { return fmt.Sprintf("0x%x", o[:]) }

// EventKind tells blob events apart.
type EventKind uint8

// The blob event kinds.
const (
	Registered EventKind = iota + 1
	Certified
	Deleted
	InvalidBlobID
)

// String names the kind.
func (k EventKind) String() string {
	switch k {
	case Registered:
		return "registered"
	case Certified:
		return "certified"
	case Deleted:
		return "deleted"
	case InvalidBlobID:
		return "invalid-blob-id"
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Event is the input to Apply: one blob event of the chain, in the node's own
// terms. ObjectID, EndEpoch, Deletable and IsExtension are ignored for
// InvalidBlobID.
type Event struct {
	Kind        EventKind
	ID          EventID
	BlobID      encoding.BlobID
	ObjectID    ObjectID
	Epoch       uint32 // epoch the event happened in
	EndEpoch    uint32 // the object's (new) end epoch
	Deletable   bool
	IsExtension bool // Certified only: the end epoch was extended
}

// Object is the record of one Blob object.
type Object struct {
	BlobID          encoding.BlobID
	RegisteredEpoch uint32
	Certified       bool
	CertifiedEpoch  uint32 // meaningful when Certified
	EndEpoch        uint32 // exclusive: the object expires at the start of EndEpoch
	Deletable       bool
	Deleted         bool
	Event           EventID // the event that last changed the object
}

// Live reports whether the object counts towards its blob at epoch e.
func (o *Object) Live(e uint32) bool { return !o.Deleted && o.EndEpoch > e }

// Permanent aggregates the permanent objects of a blob in one state
// (registered, or certified).
type Permanent struct {
	Count    uint32
	EndEpoch uint32  // the largest end epoch seen (upper bound)
	Event    EventID // the latest event that changed the record
}

// Info is the aggregate record of a blob ID. Counted objects are those not
// deleted and not yet expired by Expire; certified objects are counted among
// the registered ones too.
type Info struct {
	RegisteredDeletable    uint32
	CertifiedDeletable     uint32
	DeletableRegisteredEnd uint32 // upper bound of the counted deletable objects' end epochs
	DeletableCertifiedEnd  uint32 // same, certified ones
	PermanentRegistered    *Permanent
	PermanentCertified     *Permanent
	HasInitialCertified    bool
	InitialCertifiedEpoch  uint32
	MetadataStored         bool
	Invalid                bool
	InvalidEvent           EventID
}

// Clone returns a deep copy.
func (in Info) Clone() Info {
	if in.PermanentRegistered != nil {
		p := *in.PermanentRegistered
		in.PermanentRegistered = &p
	}
	if in.PermanentCertified != nil {
		p := *in.PermanentCertified
		in.PermanentCertified = &p
	}
	return in
}

// HasObjects reports whether any object is still counted.
func (in *Info) HasObjects() bool {
	return in.RegisteredDeletable > 0 || in.PermanentRegistered != nil
}

// IsEmpty reports whether the record carries nothing worth keeping: no
// counted objects, no stored metadata and no invalid mark.
func (in *Info) IsEmpty() bool {
	return !in.HasObjects() && !in.MetadataStored && !in.Invalid
}

// IsRegistered reports whether the blob is registered at epoch e: not invalid
// and some counted object has an end epoch after e.
func (in *Info) IsRegistered(e uint32) bool {
	if in.Invalid {
		return false
	}
	if p := in.PermanentRegistered; p != nil && p.EndEpoch > e {
		return true
	}
	return in.RegisteredDeletable > 0 && in.DeletableRegisteredEnd > e
}

// IsCertified reports whether the blob is certified at epoch e: registered,
// first certified no later than e, and some counted certified object has an
// end epoch after e.
func (in *Info) IsCertified(e uint32) bool {
	if in.Invalid || !in.HasInitialCertified || in.InitialCertifiedEpoch > e {
		return false
	}
	if p := in.PermanentCertified; p != nil && p.EndEpoch > e {
		return true
	}
	return in.CertifiedDeletable > 0 && in.DeletableCertifiedEnd > e
}

// Apply returns the records after event ev, given the blob's record (the zero
// Info if there is none) and the object's record (nil if there is none; it is
// ignored for InvalidBlobID). The inputs are not modified. The returned object
// is nil when the event leaves no object record (InvalidBlobID, or an event
// about an unknown object that does not create one). An error means the event
// does not fit the records; the returned records are then the inputs.
func Apply(in Info, obj *Object, ev Event) (Info, *Object, error) {
	in = in.Clone()
	var old *Object
	if obj != nil {
		o := *obj
		old = &o
	}
	if ev.Kind == InvalidBlobID {
		if !in.Invalid {
			in.Invalid = true
			in.InvalidEvent = ev.ID
		}
		return in, nil, nil
	}
	if old != nil && old.BlobID != ev.BlobID {
		return in, old, fmt.Errorf("%w: %s %s names blob %s, object has blob %s",
			ErrInconsistent, ev.Kind, ev.ObjectID, ev.BlobID, old.BlobID)
	}
	if old != nil && old.Deletable != ev.Deletable && ev.Kind != Deleted {
		return in, old, fmt.Errorf("%w: %s %s changes deletable", ErrInconsistent, ev.Kind, ev.ObjectID)
	}
	var next *Object
	switch ev.Kind {
	case Registered:
		if old != nil {
			return in, old, nil // replay, or a duplicate: nothing changes
		}
		next = &Object{BlobID: ev.BlobID, RegisteredEpoch: ev.Epoch, EndEpoch: ev.EndEpoch,
			Deletable: ev.Deletable, Event: ev.ID}
	case Certified:
		if old == nil {
			// Registration before the node's history: certification implies it.
			next = &Object{BlobID: ev.BlobID, RegisteredEpoch: ev.Epoch, Deletable: ev.Deletable}
		} else {
			o := *old
			next = &o
		}
		if next.Deleted {
			return in, old, fmt.Errorf("%w: certified %s after deletion", ErrInconsistent, ev.ObjectID)
		}
		if next.Certified && next.EndEpoch >= ev.EndEpoch {
			return in, old, nil // replay, or an extension already seen
		}
		if !next.Certified {
			next.Certified = true
			next.CertifiedEpoch = ev.Epoch
		}
		next.EndEpoch = max(next.EndEpoch, ev.EndEpoch)
		next.Event = ev.ID
	case Deleted:
		if old == nil || old.Deleted {
			return in, old, nil // unknown to the node, or replay
		}
		if !old.Deletable {
			return in, old, fmt.Errorf("%w: deleted permanent object %s", ErrInconsistent, ev.ObjectID)
		}
		o := *old
		o.Deleted = true
		o.Event = ev.ID
		next = &o
	default:
		return in, old, fmt.Errorf("%w: %d", ErrUnknownKind, uint8(ev.Kind))
	}
	uncount(&in, old)
	count(&in, next, ev.ID)
	if next.Certified && (!in.HasInitialCertified || next.CertifiedEpoch < in.InitialCertifiedEpoch) {
		in.HasInitialCertified = true
		in.InitialCertifiedEpoch = next.CertifiedEpoch
	}
	return in, next, nil
}

// Expire removes object o (whose end epoch has passed) from the counts of in
// and returns the new Info; the caller deletes the object record. Deleted
// objects are no longer counted, so expiring them changes nothing.
func Expire(in Info, o *Object) Info {
	in = in.Clone()
	uncount(&in, o)
	return in
}

// uncount removes o from the counts. Maxima stay as upper bounds; a record
// whose count drops to zero is reset.
func uncount(in *Info, o *Object) {
	if o == nil || o.Deleted {
		return
	}
	if o.Deletable {
		in.RegisteredDeletable = decr(in.RegisteredDeletable)
		if in.RegisteredDeletable == 0 {
			in.DeletableRegisteredEnd = 0
		}
		if o.Certified {
			in.CertifiedDeletable = decr(in.CertifiedDeletable)
			if in.CertifiedDeletable == 0 {
				in.DeletableCertifiedEnd = 0
			}
		}
		return
	}
	in.PermanentRegistered = decrPermanent(in.PermanentRegistered)
	if o.Certified {
		in.PermanentCertified = decrPermanent(in.PermanentCertified)
	}
}

// count adds o to the counts, as changed by event id.
func count(in *Info, o *Object, id EventID) {
	if o == nil || o.Deleted {
		return
	}
	if o.Deletable {
		in.RegisteredDeletable++
		in.DeletableRegisteredEnd = max(in.DeletableRegisteredEnd, o.EndEpoch)
		if o.Certified {
			in.CertifiedDeletable++
			in.DeletableCertifiedEnd = max(in.DeletableCertifiedEnd, o.EndEpoch)
		}
		return
	}
	in.PermanentRegistered = incrPermanent(in.PermanentRegistered, o.EndEpoch, id)
	if o.Certified {
		in.PermanentCertified = incrPermanent(in.PermanentCertified, o.EndEpoch, id)
	}
}

func decr(v uint32) uint32 {
	if v == 0 {
		return 0
	}
	return v - 1
}

func decrPermanent(p *Permanent) *Permanent {
	if p == nil || p.Count <= 1 {
		return nil
	}
	p.Count--
	return p
}

func incrPermanent(p *Permanent, end uint32, id EventID) *Permanent {
	if p == nil {
		return &Permanent{Count: 1, EndEpoch: end, Event: id}
	}
	p.Count++
	p.EndEpoch = max(p.EndEpoch, end)
	p.Event = id
	return p
}
