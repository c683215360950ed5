package storage

import (
	"bytes"
	"errors"
	"testing"

	"github.com/walrus-go/walrus/encoding"
)

// The record decoders must reject any input that is not a canonical record,
// without panicking: a decoded record re-encodes to the same bytes.

func FuzzCursor(f *testing.F) {
	f.Add(marshalCursor(EventCursor{Height: 7, Index: 3}))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := unmarshalCursor(b)
		if err == nil && !bytes.Equal(marshalCursor(c), b) {
			t.Fatalf("not canonical: %x", b)
		}
	})
}

func FuzzNodeStatus(f *testing.F) {
	f.Add(marshalNodeStatus(NodeStatus{Mode: NodeActive}))
	f.Add(marshalNodeStatus(NodeStatus{Mode: NodeRecoveryInProgress, Epoch: 4}))
	f.Add(marshalNodeStatus(NodeStatus{Mode: NodeRecoveryCatchUpWithIncompleteHistory, FirstCompleteEpoch: 1, EpochAtStart: 2}))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := unmarshalNodeStatus(b)
		if err == nil && !bytes.Equal(marshalNodeStatus(s), b) {
			t.Fatalf("not canonical: %x", b)
		}
	})
}

func FuzzSmallRecords(f *testing.F) {
	f.Add(marshalShardStatus(ShardReadOnly))
	f.Add(marshalGCProgress(GCProgress{LastStarted: 3, LastCompleted: 2}))
	f.Add(marshalBlobIDRecord(blobID(5)))
	f.Fuzz(func(t *testing.T, b []byte) {
		if s, err := unmarshalShardStatus(b); err == nil && !bytes.Equal(marshalShardStatus(s), b) {
			t.Fatalf("shard status not canonical: %x", b)
		}
		if g, err := unmarshalGCProgress(b); err == nil && !bytes.Equal(marshalGCProgress(g), b) {
			t.Fatalf("gc progress not canonical: %x", b)
		}
		if id, err := unmarshalBlobIDRecord(b); err == nil && !bytes.Equal(marshalBlobIDRecord(id), b) {
			t.Fatalf("sync progress not canonical: %x", b)
		}
	})
}

// FuzzStoredSliver feeds arbitrary bytes to the store as a stored sliver
// record: reading it back fails cleanly or returns a sliver that re-encodes
// to the same bytes.
func FuzzStoredSliver(f *testing.F) {
	f.Add(encoding.MarshalSliver(testSliver(encoding.Primary, 1, 1, 16)))
	f.Add([]byte{0x80, 0x80, 0x80, 0x80, 0x08})
	f.Add(marshalPointer(sliverPointer{Offset: 0, Length: 100}))
	s := mustOpen(f, "db", memOptions())
	// A sliver file for the fuzzed pointers to point into.
	if err := s.PutSliver(2, blobID(1), testSliver(encoding.Primary, 1, 1, 20_000)); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		key := sliverKey(1, encoding.Secondary, blobID(1))
		if err := s.db.Set(key, b, nil); err != nil {
			t.Fatal(err)
		}
		sl, err := s.GetSliver(1, encoding.Secondary, blobID(1))
		// (A pointer that finds bytes with its checksum reads as those bytes.)
		if err == nil && !isPointer(b) && !bytes.Equal(encoding.MarshalSliver(sl), b) {
			t.Fatalf("not canonical: %x", b)
		}
	})
}

// FuzzSliverPointer: a pointer record decodes only from its canonical form,
// and a stored value that starts like one never reads as a sliver unless it
// points at the right bytes.
func FuzzSliverPointer(f *testing.F) {
	f.Add(marshalPointer(sliverPointer{Offset: 7, Length: 20_000, CRC: 0xdeadbeef}))
	f.Add([]byte{0x80, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parsePointer(b)
		if err == nil && !bytes.Equal(marshalPointer(p), b) {
			t.Fatalf("not canonical: %x", b)
		}
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("error %v is not ErrCorrupt", err)
		}
	})
}
