package blobinfo

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestApplyProperties applies random event sequences (with replays and
// inconsistent events mixed in) and checks after every step that the counts
// in Info equal those recomputed from the object records, that end-epoch
// bounds cover every counted object (so "registered" never misses a live
// object), and that a duplicated event changes nothing. (Replaying a longer
// stretch of history is prevented by the store's event cursor.)
func TestApplyProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	objects := []ObjectID{{1}, {2}, {3}, {4}, {5}}
	for iter := 0; iter < 2000; iter++ {
		var in Info
		objs := map[ObjectID]*Object{}
		for step := 0; step < 12; step++ {
			e := Event{
				Kind:        EventKind(1 + rng.IntN(4)),
				ID:          EventID{Height: uint64(step)},
				BlobID:      blobA,
				ObjectID:    objects[rng.IntN(len(objects))],
				Epoch:       uint32(rng.IntN(5)),
				EndEpoch:    uint32(1 + rng.IntN(10)),
				IsExtension: rng.IntN(3) == 0,
			}
			e.Deletable = e.ObjectID[0]%2 == 1
			if rng.IntN(20) == 0 {
				e.Deletable = !e.Deletable // an inconsistent event now and then
			}
			next, o, err := Apply(in, objs[e.ObjectID], e)
			if err != nil {
				if !reflect.DeepEqual(next, in) {
					t.Fatalf("iter %d: Info changed by a rejected event", iter)
				}
				continue
			}
			in = next
			if o != nil {
				objs[e.ObjectID] = o
			}
			checkCounts(t, in, objs)
			// A duplicate of the event (a replay) changes nothing.
			dup, o2, err := Apply(in, objs[e.ObjectID], e)
			if err != nil || !reflect.DeepEqual(dup, in) || (o2 != nil && !reflect.DeepEqual(o2, objs[e.ObjectID])) {
				t.Fatalf("iter %d: duplicate %s changed the records (%v)", iter, e.Kind, err)
			}
		}
		// Expiring every object leaves no counts.
		for _, o := range objs {
			in = Expire(in, o)
		}
		if in.HasObjects() || in.CertifiedDeletable != 0 || in.PermanentCertified != nil {
			t.Fatalf("iter %d: counts left after expiring everything: %+v", iter, in)
		}
		if back, err := UnmarshalInfo(MarshalInfo(&in)); err != nil || !reflect.DeepEqual(back, in) {
			t.Fatalf("iter %d: codec: %v", iter, err)
		}
	}
}

func checkCounts(t *testing.T, in Info, objs map[ObjectID]*Object) {
	t.Helper()
	var regDel, certDel, regPerm, certPerm uint32
	var maxEnd uint32
	for _, o := range objs {
		if o.Deleted {
			continue
		}
		maxEnd = max(maxEnd, o.EndEpoch)
		switch {
		case o.Deletable:
			regDel++
			if o.Certified {
				certDel++
				if in.DeletableCertifiedEnd < o.EndEpoch {
					t.Fatalf("certified deletable bound %d < %d", in.DeletableCertifiedEnd, o.EndEpoch)
				}
			}
			if in.DeletableRegisteredEnd < o.EndEpoch {
				t.Fatalf("deletable bound %d < %d", in.DeletableRegisteredEnd, o.EndEpoch)
			}
		default:
			regPerm++
			if in.PermanentRegistered == nil || in.PermanentRegistered.EndEpoch < o.EndEpoch {
				t.Fatalf("permanent bound misses end %d: %+v", o.EndEpoch, in.PermanentRegistered)
			}
			if o.Certified {
				certPerm++
			}
		}
	}
	count := func(p *Permanent) uint32 {
		if p == nil {
			return 0
		}
		return p.Count
	}
	if in.RegisteredDeletable != regDel || in.CertifiedDeletable != certDel ||
		count(in.PermanentRegistered) != regPerm || count(in.PermanentCertified) != certPerm {
		t.Fatalf("counts %d/%d/%d/%d, objects say %d/%d/%d/%d", in.RegisteredDeletable, in.CertifiedDeletable,
			count(in.PermanentRegistered), count(in.PermanentCertified), regDel, certDel, regPerm, certPerm)
	}
	if !in.Invalid && maxEnd > 0 && !in.IsRegistered(maxEnd-1) {
		t.Fatalf("not registered at %d though an object lives until %d", maxEnd-1, maxEnd)
	}
	if err := in.check(); err != nil {
		t.Fatalf("invariant: %v", err)
	}
}
