package storage

import (
	"errors"
	"reflect"
	"testing"

	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/storage/blobinfo"
)

func bev(kind blobinfo.EventKind, h uint64, blob encoding.BlobID, obj byte, epoch, end uint32, deletable bool) blobinfo.Event {
	return blobinfo.Event{Kind: kind, ID: blobinfo.EventID{Height: h}, BlobID: blob,
		ObjectID: blobinfo.ObjectID{obj}, Epoch: epoch, EndEpoch: end, Deletable: deletable}
}

func mustApply(t *testing.T, s *Store, evs []blobinfo.Event, c EventCursor) ApplyResult {
	t.Helper()
	res, err := s.ApplyEvents(evs, c)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestApplyEvents(t *testing.T) {
	backends(t, func(t *testing.T, open func() *Store) {
		s := open()
		a, b := blobID(1), blobID(2)
		if _, ok, _ := s.Cursor(); ok {
			t.Fatal("cursor before any event")
		}
		res := mustApply(t, s, []blobinfo.Event{
			bev(blobinfo.Registered, 1, a, 1, 1, 5, true),
			bev(blobinfo.Registered, 2, a, 2, 1, 8, false),
			bev(blobinfo.Registered, 3, b, 3, 1, 4, true),
		}, EventCursor{Height: 3, Index: 9})
		if res.Applied != 3 || res.Skipped != 0 {
			t.Fatalf("result %+v", res)
		}
		if c, ok, err := s.Cursor(); !ok || err != nil || c != (EventCursor{3, 9}) {
			t.Fatalf("cursor %+v %v %v", c, ok, err)
		}

		// A replayed batch (as after a crash before the caller learnt of
		// the commit) changes nothing.
		before, _ := s.BlobInfo(a)
		res = mustApply(t, s, []blobinfo.Event{
			bev(blobinfo.Registered, 1, a, 1, 1, 5, true),
			bev(blobinfo.Registered, 2, a, 2, 1, 8, false),
		}, EventCursor{Height: 2})
		if res.Skipped != 2 || res.Applied != 0 {
			t.Fatalf("replay result %+v", res)
		}
		if after, _ := s.BlobInfo(a); !reflect.DeepEqual(before, after) {
			t.Fatal("replay changed blob info")
		}
		if c, _, _ := s.Cursor(); c != (EventCursor{3, 9}) {
			t.Fatalf("cursor moved back to %+v", c)
		}

		// Certify and extend; delete b's only object.
		ext := bev(blobinfo.Certified, 5, a, 2, 2, 12, false)
		ext.IsExtension = true
		res = mustApply(t, s, []blobinfo.Event{
			bev(blobinfo.Certified, 4, a, 2, 2, 8, false),
			ext,
			bev(blobinfo.Deleted, 6, b, 3, 2, 4, true),
			bev(blobinfo.Deleted, 7, a, 2, 2, 12, true), // deleting a permanent object: ignored
		}, EventCursor{Height: 7})
		if res.Applied != 3 || len(res.Ignored) != 1 || !errors.Is(res.Ignored[0].Err, blobinfo.ErrInconsistent) {
			t.Fatalf("result %+v", res)
		}
		if !reflect.DeepEqual(res.Unregistered, []encoding.BlobID{b}) {
			t.Fatalf("unregistered %v", res.Unregistered)
		}
		st, err := s.BlobStatus(a, 3)
		if err != nil || st.Kind != blobinfo.PermanentStatus || st.EndEpoch != 12 || !st.IsCertified ||
			st.Counts != (blobinfo.DeletableCounts{Total: 1}) || st.InitialCertifiedEpoch != 2 {
			t.Fatalf("status of a: %+v %v", st, err)
		}
		if st, _ := s.BlobStatus(b, 3); st.Kind != blobinfo.Nonexistent {
			t.Fatalf("status of b: %+v", st)
		}
		if st, _ := s.BlobStatus(blobID(99), 3); st.Kind != blobinfo.Nonexistent {
			t.Fatalf("status of unknown: %+v", st)
		}
		o, err := s.ObjectInfo(blobinfo.ObjectID{2})
		if err != nil || o.EndEpoch != 12 || !o.Certified || o.CertifiedEpoch != 2 || o.Event.Height != 5 {
			t.Fatalf("object 2: %+v %v", o, err)
		}
		if _, err := s.ObjectInfo(blobinfo.ObjectID{77}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown object: %v", err)
		}
		if q, _ := s.DeletionQueue(encoding.BlobID{}, 10); !reflect.DeepEqual(q, []encoding.BlobID{b}) {
			t.Fatalf("queue %v", q)
		}

		// Garbage collection. At epoch 4 blob b (deleted, end 4) is expired;
		// a is registered until 12.
		if got, _ := s.ExpiredBlobs(4, 10); !reflect.DeepEqual(got, []encoding.BlobID{b}) {
			t.Fatalf("expired at 4: %v", got)
		}
		if got, _ := s.ExpiredBlobs(5, 10); !reflect.DeepEqual(got, []encoding.BlobID{b}) {
			t.Fatalf("expired at 5 (a still has object 2): %v", got)
		}
		if got, _ := s.ExpiredBlobs(12, 10); !reflect.DeepEqual(got, []encoding.BlobID{b, a}) { // by end epoch
			t.Fatalf("expired at 12: %v", got)
		}
		n, err := s.ExpireObjects(5, 1)
		if err != nil || n != 1 {
			t.Fatalf("expire: %d %v", n, err)
		}
		if n, _ := s.ExpireObjects(5, 10); n != 1 {
			t.Fatalf("expire rest: %d", n)
		}
		if n, _ := s.ExpireObjects(5, 10); n != 0 {
			t.Fatalf("expire again: %d", n)
		}
		if _, err := s.ObjectInfo(blobinfo.ObjectID{1}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("expired object kept: %v", err)
		}
		if _, err := s.BlobInfo(b); !errors.Is(err, ErrNotFound) {
			t.Fatalf("empty info of b kept: %v", err)
		}
		in, _ := s.BlobInfo(a)
		if in.RegisteredDeletable != 0 || in.PermanentRegistered == nil || !in.IsRegistered(11) {
			t.Fatalf("info of a after expiry: %+v", in)
		}
		if q, _ := s.DeletionQueue(encoding.BlobID{}, 10); len(q) != 0 {
			t.Fatalf("queue after expiry of an empty record: %v", q)
		}

		// a has metadata; expiring its last object queues it for deletion.
		in.MetadataStored = true
		if err := s.db.Set(blobInfoKey(a), blobinfo.MarshalInfo(&in), nil); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.ExpireObjects(12, 10); n != 1 {
			t.Fatalf("expire a: %d", n)
		}
		if q, _ := s.DeletionQueue(encoding.BlobID{}, 10); !reflect.DeepEqual(q, []encoding.BlobID{a}) {
			t.Fatalf("queue %v", q)
		}
		if err := s.DeleteBlobData(a, []uint16{0}); err != nil {
			t.Fatal(err)
		}
		if q, _ := s.DeletionQueue(encoding.BlobID{}, 10); len(q) != 0 {
			t.Fatalf("queue after deletion: %v", q)
		}
		if _, err := s.BlobInfo(a); !errors.Is(err, ErrNotFound) {
			t.Fatalf("info of a kept: %v", err)
		}
	})
}

func TestApplyEventsOrder(t *testing.T) {
	s := mustOpen(t, t.TempDir(), Options{})
	a := blobID(1)
	if _, err := s.ApplyEvents([]blobinfo.Event{bev(blobinfo.Registered, 2, a, 1, 1, 5, true),
		bev(blobinfo.Registered, 2, a, 2, 1, 5, true)}, EventCursor{Height: 2}); !errors.Is(err, ErrEventOrder) {
		t.Fatalf("repeated ID: %v", err)
	}
	if _, err := s.ApplyEvents([]blobinfo.Event{bev(blobinfo.Registered, 3, a, 1, 1, 5, true)},
		EventCursor{Height: 2}); !errors.Is(err, ErrEventOrder) {
		t.Fatalf("event after cursor: %v", err)
	}
	if _, ok, _ := s.Cursor(); ok {
		t.Fatal("cursor stored by a rejected batch")
	}
}

func TestInvalidAndReregister(t *testing.T) {
	s := mustOpen(t, t.TempDir(), Options{})
	a := blobID(1)
	res := mustApply(t, s, []blobinfo.Event{
		bev(blobinfo.Registered, 1, a, 1, 1, 5, true),
		bev(blobinfo.Deleted, 2, a, 1, 1, 5, true),
	}, EventCursor{Height: 2})
	if len(res.Unregistered) != 1 {
		t.Fatalf("%+v", res)
	}
	// A new registration takes the blob out of the deletion queue.
	mustApply(t, s, []blobinfo.Event{bev(blobinfo.Registered, 3, a, 2, 1, 6, true)}, EventCursor{Height: 3})
	if q, _ := s.DeletionQueue(encoding.BlobID{}, 10); len(q) != 0 {
		t.Fatalf("queue %v", q)
	}
	// Invalidation queues it again.
	res = mustApply(t, s, []blobinfo.Event{{Kind: blobinfo.InvalidBlobID, ID: blobinfo.EventID{Height: 4}, BlobID: a}},
		EventCursor{Height: 4})
	if !reflect.DeepEqual(res.Unregistered, []encoding.BlobID{a}) {
		t.Fatalf("%+v", res)
	}
	if st, _ := s.BlobStatus(a, 1); st.Kind != blobinfo.InvalidStatus || st.Event.Height != 4 {
		t.Fatalf("status %+v", st)
	}
	if q, _ := s.DeletionQueue(encoding.BlobID{}, 10); !reflect.DeepEqual(q, []encoding.BlobID{a}) {
		t.Fatalf("queue %v", q)
	}
}

// TestRestart closes and reopens the store: contents are the same and the
// event cursor resumes where it was.
func TestRestart(t *testing.T) {
	backends(t, func(t *testing.T, open func() *Store) {
		s := open()
		md := testMetadata(t, 4)
		if err := s.PutMetadata(md); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 50; i++ {
			mustPut(t, s, uint16(i%3), blobID(i), testSliver(encoding.Primary, uint16(i), i, 1000))
		}
		mustApply(t, s, []blobinfo.Event{bev(blobinfo.Registered, 10, md.BlobID, 1, 1, 5, false)}, EventCursor{Height: 10, Index: 3})
		if err := s.SetShardStatus(2, ShardReady); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}

		s = open()
		if got, err := s.GetMetadata(md.BlobID); err != nil || !reflect.DeepEqual(got, md) {
			t.Fatalf("metadata after restart: %v", err)
		}
		for i := 0; i < 50; i++ {
			got, err := s.GetSliver(uint16(i%3), encoding.Primary, blobID(i))
			if err != nil || !reflect.DeepEqual(got, testSliver(encoding.Primary, uint16(i), i, 1000)) {
				t.Fatalf("sliver %d after restart: %v", i, err)
			}
		}
		c, ok, err := s.Cursor()
		if !ok || err != nil || c != (EventCursor{Height: 10, Index: 3}) {
			t.Fatalf("cursor after restart: %+v %v %v", c, ok, err)
		}
		// Resuming: the event at the cursor is skipped, the next applies.
		res := mustApply(t, s, []blobinfo.Event{
			bev(blobinfo.Registered, 10, md.BlobID, 1, 1, 5, false),
			bev(blobinfo.Certified, 11, md.BlobID, 1, 1, 5, false),
		}, EventCursor{Height: 11})
		if res.Skipped != 1 || res.Applied != 1 {
			t.Fatalf("resume: %+v", res)
		}
		if in, _ := s.BlobInfo(md.BlobID); !in.MetadataStored || in.PermanentCertified == nil ||
			in.PermanentRegistered.Count != 1 {
			t.Fatalf("info after restart: %+v", in)
		}
		if st, _ := s.ShardStatus(2); st != ShardReady {
			t.Fatalf("shard status after restart: %s", st)
		}
	})
}

// TestExpireStaleIndex checks that an index entry that does not match its
// object's end epoch is dropped without touching the object.
func TestExpireStaleIndex(t *testing.T) {
	s := mustOpen(t, "db", memOptions())
	a := blobID(1)
	mustApply(t, s, []blobinfo.Event{bev(blobinfo.Registered, 1, a, 1, 1, 9, true)}, EventCursor{Height: 1})
	if err := s.db.Set(expiryKey(3, a, blobinfo.ObjectID{1}), nil, nil); err != nil {
		t.Fatal(err)
	}
	if n, err := s.ExpireObjects(5, 10); n != 1 || err != nil {
		t.Fatalf("expire: %d %v", n, err)
	}
	if _, err := s.ObjectInfo(blobinfo.ObjectID{1}); err != nil {
		t.Fatalf("live object removed: %v", err)
	}
	if in, _ := s.BlobInfo(a); in.RegisteredDeletable != 1 {
		t.Fatalf("counts changed: %+v", in)
	}
}

func TestBlobInfos(t *testing.T) {
	backends(t, func(t *testing.T, open func() *Store) {
		s := open()
		if got, err := s.BlobInfos(encoding.BlobID{}, 10); err != nil || len(got) != 0 {
			t.Fatalf("empty store: %v %v", got, err)
		}
		var evs []blobinfo.Event
		for i := range 5 {
			evs = append(evs, bev(blobinfo.Registered, uint64(i+1), blobID(5-i), byte(i+1), 1, 5, false))
		}
		evs = append(evs, bev(blobinfo.Certified, 6, blobID(3), 3, 1, 5, false))
		mustApply(t, s, evs, EventCursor{Height: 6})
		first, err := s.BlobInfos(encoding.BlobID{}, 3)
		if err != nil || len(first) != 3 {
			t.Fatalf("first page: %v %v", first, err)
		}
		next, _ := nextID(first[2].BlobID)
		rest, err := s.BlobInfos(next, 3)
		if err != nil || len(rest) != 2 {
			t.Fatalf("second page: %v %v", rest, err)
		}
		all := append(first, rest...)
		for i, e := range all {
			if e.BlobID != blobID(i+1) {
				t.Fatalf("entry %d: %s, want blob %d (blob-ID order)", i, e.BlobID, i+1)
			}
			if certified := e.Info.IsCertified(1); certified != (i+1 == 3) {
				t.Fatalf("blob %d certified %v", i+1, certified)
			}
		}
	})
}

// nextID is the blob ID right after id.
func nextID(id encoding.BlobID) (encoding.BlobID, bool) {
	for i := len(id) - 1; i >= 0; i-- {
		id[i]++
		if id[i] != 0 {
			return id, true
		}
	}
	return id, false
}
