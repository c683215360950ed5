package blobinfo

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/walrus-go/walrus/encoding"
)

var (
	blobA = encoding.BlobID{0xaa}
	blobB = encoding.BlobID{0xbb}
	obj1  = ObjectID{1}
	obj2  = ObjectID{2}
	obj3  = ObjectID{3}
)

func ev(kind EventKind, h uint64, o ObjectID, epoch, end uint32, deletable bool) Event {
	return Event{Kind: kind, ID: EventID{Height: h}, BlobID: blobA, ObjectID: o,
		Epoch: epoch, EndEpoch: end, Deletable: deletable}
}

func ext(h uint64, o ObjectID, epoch, end uint32, deletable bool) Event {
	e := ev(Certified, h, o, epoch, end, deletable)
	e.IsExtension = true
	return e
}

// replay applies events to fresh records, keyed by object.
func replay(t *testing.T, events []Event) (Info, map[ObjectID]*Object) {
	t.Helper()
	var in Info
	objs := map[ObjectID]*Object{}
	for _, e := range events {
		next, o, err := Apply(in, objs[e.ObjectID], e)
		if err != nil {
			t.Fatalf("apply %s %s: %v", e.Kind, e.ID, err)
		}
		in = next
		if o != nil {
			objs[e.ObjectID] = o
		}
	}
	return in, objs
}

func TestApplyTable(t *testing.T) {
	type check struct {
		epoch      uint32
		registered bool
		certified  bool
		status     Status
	}
	tests := []struct {
		name   string
		events []Event
		checks []check
	}{
		{
			name:   "nothing",
			checks: []check{{epoch: 0, status: Status{Kind: Nonexistent}}},
		},
		{
			name:   "permanent registered",
			events: []Event{ev(Registered, 10, obj1, 1, 5, false)},
			checks: []check{
				{epoch: 1, registered: true, status: Status{Kind: PermanentStatus, EndEpoch: 5, Event: EventID{Height: 10}}},
				{epoch: 4, registered: true, status: Status{Kind: PermanentStatus, EndEpoch: 5, Event: EventID{Height: 10}}},
				{epoch: 5, status: Status{Kind: Nonexistent}}, // expires at the start of its end epoch
			},
		},
		{
			name:   "permanent certified",
			events: []Event{ev(Registered, 10, obj1, 1, 5, false), ev(Certified, 11, obj1, 2, 5, false)},
			checks: []check{
				{epoch: 1, registered: true, status: Status{Kind: PermanentStatus, EndEpoch: 5, IsCertified: true,
					Event: EventID{Height: 11}, HasInitialCertified: true, InitialCertifiedEpoch: 2}},
				{epoch: 2, registered: true, certified: true, status: Status{Kind: PermanentStatus, EndEpoch: 5, IsCertified: true,
					Event: EventID{Height: 11}, HasInitialCertified: true, InitialCertifiedEpoch: 2}},
				{epoch: 5, status: Status{Kind: Nonexistent}},
			},
		},
		{
			name: "permanent extended",
			events: []Event{ev(Registered, 10, obj1, 1, 5, false), ev(Certified, 11, obj1, 1, 5, false),
				ext(12, obj1, 1, 9, false)},
			checks: []check{
				{epoch: 7, registered: true, certified: true, status: Status{Kind: PermanentStatus, EndEpoch: 9, IsCertified: true,
					Event: EventID{Height: 12}, HasInitialCertified: true, InitialCertifiedEpoch: 1}},
			},
		},
		{
			name:   "deletable registered then certified",
			events: []Event{ev(Registered, 10, obj1, 1, 5, true), ev(Certified, 11, obj1, 1, 5, true)},
			checks: []check{
				{epoch: 1, registered: true, certified: true, status: Status{Kind: DeletableStatus,
					Counts: DeletableCounts{1, 1}, HasInitialCertified: true, InitialCertifiedEpoch: 1}},
				{epoch: 5, status: Status{Kind: Nonexistent}},
			},
		},
		{
			name: "deletable deleted",
			events: []Event{ev(Registered, 10, obj1, 1, 5, true), ev(Certified, 11, obj1, 1, 5, true),
				ev(Deleted, 12, obj1, 2, 5, true)},
			checks: []check{{epoch: 2, status: Status{Kind: Nonexistent}}},
		},
		{
			name: "two deletable, one deleted",
			events: []Event{ev(Registered, 10, obj1, 1, 5, true), ev(Registered, 11, obj2, 1, 8, true),
				ev(Certified, 12, obj2, 1, 8, true), ev(Deleted, 13, obj2, 2, 8, true)},
			checks: []check{{epoch: 2, registered: true, status: Status{Kind: DeletableStatus,
				Counts: DeletableCounts{1, 0}, HasInitialCertified: true, InitialCertifiedEpoch: 1}}},
		},
		{
			name: "permanent and deletable",
			events: []Event{ev(Registered, 10, obj1, 1, 5, true), ev(Certified, 11, obj1, 1, 5, true),
				ev(Registered, 12, obj2, 3, 20, false)},
			checks: []check{{epoch: 3, registered: true, certified: true, status: Status{Kind: PermanentStatus,
				EndEpoch: 20, Event: EventID{Height: 12}, Counts: DeletableCounts{1, 1},
				HasInitialCertified: true, InitialCertifiedEpoch: 1}}},
		},
		{
			name:   "certified without registration seen",
			events: []Event{ev(Certified, 11, obj1, 4, 9, false)},
			checks: []check{{epoch: 4, registered: true, certified: true, status: Status{Kind: PermanentStatus,
				EndEpoch: 9, IsCertified: true, Event: EventID{Height: 11}, HasInitialCertified: true, InitialCertifiedEpoch: 4}}},
		},
		{
			name:   "invalid",
			events: []Event{ev(Registered, 10, obj1, 1, 5, false), {Kind: InvalidBlobID, ID: EventID{Height: 11}, BlobID: blobA}},
			checks: []check{{epoch: 1, status: Status{Kind: InvalidStatus, Event: EventID{Height: 11}}}},
		},
		{
			name: "replays change nothing",
			events: []Event{ev(Registered, 10, obj1, 1, 5, true), ev(Registered, 10, obj1, 1, 5, true),
				ev(Certified, 11, obj1, 1, 5, true), ev(Certified, 11, obj1, 1, 5, true),
				ev(Registered, 12, obj2, 1, 6, true), ev(Deleted, 13, obj2, 1, 6, true), ev(Deleted, 13, obj2, 1, 6, true),
				ev(Deleted, 14, obj3, 1, 6, true)},
			checks: []check{{epoch: 1, registered: true, certified: true, status: Status{Kind: DeletableStatus,
				Counts: DeletableCounts{1, 1}, HasInitialCertified: true, InitialCertifiedEpoch: 1}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, _ := replay(t, tt.events)
			for _, c := range tt.checks {
				if got := in.IsRegistered(c.epoch); got != c.registered {
					t.Errorf("epoch %d: registered %v, want %v", c.epoch, got, c.registered)
				}
				if got := in.IsCertified(c.epoch); got != c.certified {
					t.Errorf("epoch %d: certified %v, want %v", c.epoch, got, c.certified)
				}
				if got := in.Status(c.epoch); got != c.status {
					t.Errorf("epoch %d: status\n got %+v\nwant %+v", c.epoch, got, c.status)
				}
			}
			// Every reached state survives the codec.
			back, err := UnmarshalInfo(MarshalInfo(&in))
			if err != nil || !reflect.DeepEqual(back, in) {
				t.Fatalf("info round trip: %v\n got %+v\nwant %+v", err, back, in)
			}
		})
	}
}

func TestApplyInconsistent(t *testing.T) {
	perm := &Object{BlobID: blobA, EndEpoch: 5}
	del := &Object{BlobID: blobA, EndEpoch: 5, Deletable: true, Deleted: true}
	tests := []struct {
		name string
		obj  *Object
		ev   Event
	}{
		{"delete permanent", perm, ev(Deleted, 1, obj1, 1, 5, true)},
		{"other blob", perm, Event{Kind: Registered, BlobID: blobB, ObjectID: obj1}},
		{"deletable flips", perm, ev(Certified, 1, obj1, 1, 5, true)},
		{"certify deleted", del, ev(Certified, 1, obj1, 1, 5, true)},
		{"unknown kind", nil, Event{Kind: 99}},
	}
	for _, tt := range tests {
		in := Info{PermanentRegistered: &Permanent{Count: 1, EndEpoch: 5}}
		got, o, err := Apply(in, tt.obj, tt.ev)
		if err == nil {
			t.Errorf("%s: no error", tt.name)
		}
		if !reflect.DeepEqual(got, in) || (tt.obj != nil && !reflect.DeepEqual(o, tt.obj)) {
			t.Errorf("%s: records changed on error", tt.name)
		}
	}
	if _, _, err := Apply(Info{}, nil, Event{Kind: 99}); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("unknown kind: %v", err)
	}
}

func TestApplyDoesNotAlias(t *testing.T) {
	in := Info{PermanentRegistered: &Permanent{Count: 1, EndEpoch: 5}}
	o := &Object{BlobID: blobA, EndEpoch: 5}
	_, _, err := Apply(in, o, ext(3, obj1, 1, 9, false))
	if err != nil {
		t.Fatal(err)
	}
	if in.PermanentRegistered.EndEpoch != 5 || o.EndEpoch != 5 || o.Certified {
		t.Fatal("Apply modified its inputs")
	}
}

func TestExpire(t *testing.T) {
	in, objs := replay(t, []Event{
		ev(Registered, 10, obj1, 1, 5, false), ev(Certified, 11, obj1, 1, 5, false),
		ev(Registered, 12, obj2, 1, 4, true), ev(Registered, 13, obj3, 1, 7, true), ev(Deleted, 14, obj3, 2, 7, true),
	})
	in = Expire(in, objs[obj2])
	in = Expire(in, objs[obj3]) // deleted: no change
	if in.RegisteredDeletable != 0 || in.DeletableRegisteredEnd != 0 {
		t.Fatalf("deletable not expired: %+v", in)
	}
	if !in.IsRegistered(4) {
		t.Fatal("permanent object lost")
	}
	in = Expire(in, objs[obj1])
	if in.HasObjects() || in.PermanentCertified != nil || in.IsRegistered(0) {
		t.Fatalf("objects left: %+v", in)
	}
	if in.IsEmpty() != true {
		t.Fatal("not empty")
	}
}

func TestObjectCodec(t *testing.T) {
	for _, o := range []Object{
		{},
		{BlobID: blobA, RegisteredEpoch: 3, Certified: true, CertifiedEpoch: 4, EndEpoch: 9, Deletable: true, Deleted: true,
			Event: EventID{Height: 1 << 40, Index: 7}},
	} {
		b := MarshalObject(&o)
		back, err := UnmarshalObject(b)
		if err != nil || back != o {
			t.Fatalf("round trip %+v: %v %+v", o, err, back)
		}
		if _, err := UnmarshalObject(append(b, 0)); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("trailing byte: %v", err)
		}
		for i := range b {
			if _, err := UnmarshalObject(b[:i]); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("truncated at %d: %v", i, err)
			}
		}
	}
	bad := MarshalObject(&Object{Deleted: true})
	if _, err := UnmarshalObject(bad); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("deleted permanent: %v", err)
	}
}

func TestInfoCodecRejects(t *testing.T) {
	for name, in := range map[string]Info{
		"certified > registered": {RegisteredDeletable: 1, CertifiedDeletable: 2, DeletableRegisteredEnd: 1},
		"end without count":      {DeletableRegisteredEnd: 3},
		"perm cert without reg":  {PermanentCertified: &Permanent{Count: 1}},
		"perm count 0":           {PermanentRegistered: &Permanent{}},
	} {
		if _, err := UnmarshalInfo(MarshalInfo(&in)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := UnmarshalInfo([]byte{1}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("unknown version: %v", err)
	}
}

func FuzzUnmarshalInfo(f *testing.F) {
	f.Add(MarshalInfo(&Info{}))
	in, _ := replay(&testing.T{}, []Event{ev(Registered, 10, obj1, 1, 5, false), ev(Certified, 11, obj1, 1, 5, false),
		ev(Registered, 12, obj2, 1, 4, true), {Kind: InvalidBlobID, ID: EventID{Height: 13}, BlobID: blobA}})
	in.MetadataStored = true
	f.Add(MarshalInfo(&in))
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := UnmarshalInfo(b)
		if err != nil {
			return
		}
		if !bytes.Equal(MarshalInfo(&in), b) {
			t.Fatalf("decoding is not canonical: %x", b)
		}
	})
}

func FuzzUnmarshalObject(f *testing.F) {
	f.Add(MarshalObject(&Object{}))
	f.Add(MarshalObject(&Object{BlobID: blobA, Certified: true, CertifiedEpoch: 2, EndEpoch: 3, Deletable: true}))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := UnmarshalObject(b)
		if err != nil {
			return
		}
		if !bytes.Equal(MarshalObject(&o), b) {
			t.Fatalf("decoding is not canonical: %x", b)
		}
	})
}
