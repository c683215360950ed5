package storage

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/storage/blobinfo"
)

// backends runs a test against the on-disk store and an in-memory one. open
// (re)opens the same store, so tests can close and reopen it.
func backends(t *testing.T, f func(t *testing.T, open func() *Store)) {
	t.Run("disk", func(t *testing.T) {
		dir := t.TempDir()
		f(t, func() *Store { return mustOpen(t, dir, Options{sliverFileMin: testFileMin}) })
	})
	t.Run("mem", func(t *testing.T) {
		fs := vfs.NewMem()
		f(t, func() *Store { return mustOpen(t, "db", Options{sliverFileMin: testFileMin, FS: fs}) })
	})
}

func mustOpen(t testing.TB, dir string, o Options) *Store {
	t.Helper()
	s, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func blobID(i int) encoding.BlobID {
	var id encoding.BlobID
	id[0], id[1], id[31] = byte(i>>8), byte(i), 0x5a
	return id
}

func testSliver(t encoding.SliverType, index uint16, seed int, size int) *encoding.Sliver {
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(seed*31 + i*7)
	}
	return &encoding.Sliver{Type: t, Index: index, SymbolSize: 2, Data: data}
}

func mustPut(t *testing.T, s *Store, shard uint16, id encoding.BlobID, sl *encoding.Sliver) {
	t.Helper()
	if err := s.PutSliver(shard, id, sl); err != nil {
		t.Fatal(err)
	}
}

func TestSlivers(t *testing.T) {
	backends(t, func(t *testing.T, open func() *Store) {
		s := open()
		for i := 0; i < 20; i++ {
			for _, shard := range []uint16{0, 7, 8, 0xffff} {
				mustPut(t, s, shard, blobID(i), testSliver(encoding.Primary, shard, i, 64))
				mustPut(t, s, shard, blobID(i), testSliver(encoding.Secondary, 100-shard, i+1000, 32))
			}
		}
		got, err := s.GetSliver(7, encoding.Primary, blobID(3))
		if err != nil || !reflect.DeepEqual(got, testSliver(encoding.Primary, 7, 3, 64)) {
			t.Fatalf("get: %v %+v", err, got)
		}
		got, err = s.GetSliver(0xffff, encoding.Secondary, blobID(19))
		if err != nil || !reflect.DeepEqual(got, testSliver(encoding.Secondary, 100-shardMax, 1019, 32)) {
			t.Fatalf("get secondary: %v %+v", err, got)
		}
		if _, err := s.GetSliver(9, encoding.Primary, blobID(3)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing: %v", err)
		}
		if ok, err := s.HasSliver(8, encoding.Secondary, blobID(5)); !ok || err != nil {
			t.Fatalf("has: %v %v", ok, err)
		}
		if _, err := s.GetSliver(7, 2, blobID(3)); !errors.Is(err, ErrInvalidArg) {
			t.Fatalf("bad type: %v", err)
		}

		// Scans are per shard and type, in blob-ID order, from a blob ID.
		entries, err := s.ScanSlivers(7, encoding.Secondary, blobID(5), 4)
		if err != nil || len(entries) != 4 {
			t.Fatalf("scan: %v %d", err, len(entries))
		}
		for i, e := range entries {
			if e.BlobID != blobID(5+i) || !reflect.DeepEqual(e.Sliver, testSliver(encoding.Secondary, 93, 1005+i, 32)) {
				t.Fatalf("scan entry %d: %s", i, e.BlobID)
			}
		}
		all, err := s.ScanSlivers(0xffff, encoding.Secondary, encoding.BlobID{}, 1000)
		if err != nil || len(all) != 20 {
			t.Fatalf("scan all of last shard: %v %d", err, len(all))
		}
		from := blobID(5)
		from[31]++ // just after blob 5: starts at 6
		if e, _ := s.ScanSlivers(7, encoding.Primary, from, 1); len(e) != 1 || e[0].BlobID != blobID(6) {
			t.Fatalf("scan from between keys: %+v", e)
		}

		if err := s.DeleteSliver(7, encoding.Primary, blobID(3)); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.HasSliver(7, encoding.Primary, blobID(3)); ok {
			t.Fatal("deleted sliver still there")
		}

		// Removing shard 7 leaves its neighbours alone.
		if err := s.SetShardStatus(7, ShardReadOnly); err != nil {
			t.Fatal(err)
		}
		if err := s.SetSyncProgress(7, encoding.Primary, blobID(4)); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveShard(7); err != nil {
			t.Fatal(err)
		}
		if e, _ := s.ScanSlivers(7, encoding.Secondary, encoding.BlobID{}, 100); len(e) != 0 {
			t.Fatalf("shard 7 not removed: %d", len(e))
		}
		if st, _ := s.ShardStatus(7); st != ShardUnknown {
			t.Fatalf("shard 7 status %s", st)
		}
		if _, ok, _ := s.SyncProgress(7, encoding.Primary); ok {
			t.Fatal("shard 7 progress survived")
		}
		for _, shard := range []uint16{0, 8, 0xffff} {
			if e, _ := s.ScanSlivers(shard, encoding.Primary, encoding.BlobID{}, 100); len(e) != 20 {
				t.Fatalf("shard %d lost slivers: %d", shard, len(e))
			}
		}
		if err := s.RemoveShard(0xffff); err != nil {
			t.Fatal(err)
		}
		if e, _ := s.ScanSlivers(0xffff, encoding.Primary, encoding.BlobID{}, 100); len(e) != 0 {
			t.Fatal("last shard not removed")
		}

		// Batch put.
		var batch []SliverEntry
		for i := 100; i < 110; i++ {
			batch = append(batch, SliverEntry{BlobID: blobID(i), Sliver: testSliver(encoding.Primary, 3, i, 16)})
		}
		if err := s.PutSlivers(3, batch); err != nil {
			t.Fatal(err)
		}
		if e, _ := s.ScanSlivers(3, encoding.Primary, encoding.BlobID{}, 100); !reflect.DeepEqual(e, batch) {
			t.Fatal("batch put does not scan back")
		}
	})
}

func testMetadata(t testing.TB, seed int) *encoding.VerifiedMetadata {
	t.Helper()
	blob := []byte(fmt.Sprintf("blob number %d for the storage tests", seed))
	md, err := encoding.ComputeMetadata(blob, 10)
	if err != nil {
		t.Fatal(err)
	}
	return md
}

func TestMetadataAndBlobData(t *testing.T) {
	backends(t, func(t *testing.T, open func() *Store) {
		s := open()
		md := testMetadata(t, 1)
		id := md.BlobID
		if ok, _ := s.HasMetadata(id); ok {
			t.Fatal("metadata before put")
		}
		if _, err := s.GetMetadata(id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("get before put: %v", err)
		}
		if err := s.PutMetadata(md); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetMetadata(id)
		if err != nil || !reflect.DeepEqual(got, md) {
			t.Fatalf("get: %v", err)
		}
		if in, err := s.BlobInfo(id); err != nil || !in.MetadataStored {
			t.Fatalf("metadata flag: %v %+v", err, in)
		}
		for _, shard := range []uint16{1, 2} {
			mustPut(t, s, shard, id, testSliver(encoding.Primary, shard, 1, 8))
			mustPut(t, s, shard, id, testSliver(encoding.Secondary, shard, 1, 8))
		}
		mustPut(t, s, 3, id, testSliver(encoding.Primary, 3, 1, 8))
		if err := s.DeleteBlobData(id, []uint16{1, 2}); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.HasMetadata(id); ok {
			t.Fatal("metadata survived")
		}
		for _, shard := range []uint16{1, 2} {
			for _, ty := range []encoding.SliverType{encoding.Primary, encoding.Secondary} {
				if ok, _ := s.HasSliver(shard, ty, id); ok {
					t.Fatalf("sliver %d %s survived", shard, ty)
				}
			}
		}
		if ok, _ := s.HasSliver(3, encoding.Primary, id); !ok {
			t.Fatal("sliver of a shard not named was deleted")
		}
		if _, err := s.BlobInfo(id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("empty blob info kept: %v", err)
		}
	})
}

func TestStateRecords(t *testing.T) {
	backends(t, func(t *testing.T, open func() *Store) {
		s := open()
		if _, ok, err := s.NodeStatus(); ok || err != nil {
			t.Fatalf("node status before set: %v %v", ok, err)
		}
		for _, st := range []NodeStatus{{Mode: NodeActive}, {Mode: NodeRecoveryInProgress, Epoch: 9},
			{Mode: NodeRecoveryCatchUpWithIncompleteHistory, FirstCompleteEpoch: 3, EpochAtStart: 7}} {
			if err := s.SetNodeStatus(st); err != nil {
				t.Fatal(err)
			}
			if got, ok, err := s.NodeStatus(); !ok || err != nil || got != st {
				t.Fatalf("node status: %+v %v %v", got, ok, err)
			}
		}
		if err := s.SetNodeStatus(NodeStatus{Mode: 42}); !errors.Is(err, ErrInvalidArg) {
			t.Fatalf("bad mode: %v", err)
		}
		if err := s.SetGCProgress(GCProgress{LastStarted: 5, LastCompleted: 4}); err != nil {
			t.Fatal(err)
		}
		if g, ok, err := s.GCProgress(); !ok || err != nil || g != (GCProgress{5, 4}) {
			t.Fatalf("gc progress: %+v %v %v", g, ok, err)
		}
		want := map[uint16]ShardStatus{0: ShardReady, 5: ShardInTransfer, 6: ShardInRecovery, 0xffff: ShardReadOnly}
		for shard, st := range want {
			if err := s.SetShardStatus(shard, st); err != nil {
				t.Fatal(err)
			}
			mustPut(t, s, shard, blobID(1), testSliver(encoding.Primary, 0, 1, 8))
		}
		mustPut(t, s, 9, blobID(1), testSliver(encoding.Primary, 0, 1, 8)) // slivers but no status
		if err := s.SetSyncProgress(9, encoding.Secondary, blobID(2)); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Shards(); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("shards: %v %v", got, err)
		}
		if err := s.SetShardStatus(1, 9); !errors.Is(err, ErrInvalidArg) {
			t.Fatalf("bad status: %v", err)
		}
		if last, ok, err := s.SyncProgress(9, encoding.Secondary); !ok || err != nil || last != blobID(2) {
			t.Fatalf("progress: %v %v %v", last, ok, err)
		}
		if _, ok, _ := s.SyncProgress(9, encoding.Primary); ok {
			t.Fatal("progress of the other type")
		}
		if err := s.ClearSyncProgress(9); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := s.SyncProgress(9, encoding.Secondary); ok {
			t.Fatal("progress not cleared")
		}
	})
}

func TestClosed(t *testing.T) {
	s := mustOpen(t, "db", Options{sliverFileMin: testFileMin, FS: vfs.NewMem()})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second close: %v", err)
	}
	if _, err := s.GetSliver(0, encoding.Primary, blobID(0)); !errors.Is(err, ErrClosed) {
		t.Fatalf("get after close: %v", err)
	}
	if _, err := s.ApplyEvents(nil, EventCursor{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("apply after close: %v", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	if _, err := Open("db", Options{sliverFileMin: testFileMin, FS: vfs.NewMem(), MemTableSize: 1000}); !errors.Is(err, ErrOptions) {
		t.Fatalf("small memtable: %v", err)
	}
	if _, err := Open("db", Options{sliverFileMin: testFileMin, FS: vfs.NewMem(), CacheSize: -1}); !errors.Is(err, ErrOptions) {
		t.Fatalf("negative cache: %v", err)
	}
}

// TestCorruptRecords overwrites each kind of record with garbage and checks
// that reads fail with ErrCorrupt instead of panicking.
func TestCorruptRecords(t *testing.T) {
	s := mustOpen(t, "db", Options{sliverFileMin: testFileMin, FS: vfs.NewMem()})
	md := testMetadata(t, 2)
	garbage := [][]byte{nil, {0xff}, bytes.Repeat([]byte{0x80}, 40), {0, 1, 2}}
	for _, g := range garbage {
		for _, k := range [][]byte{metadataKey(md.BlobID), sliverKey(1, encoding.Primary, md.BlobID),
			shardStatusKey(1), syncProgressKey(1, encoding.Primary), blobInfoKey(md.BlobID),
			objectKey(blobinfo.ObjectID{1}), cursorKey, nodeStatusKey, gcKey} {
			if err := s.db.Set(k, g, nil); err != nil {
				t.Fatal(err)
			}
		}
		check := func(name string, err error) {
			t.Helper()
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("%s of %x: %v, want ErrCorrupt", name, g, err)
			}
		}
		_, err := s.GetMetadata(md.BlobID)
		check("metadata", err)
		_, err = s.GetSliver(1, encoding.Primary, md.BlobID)
		check("sliver", err)
		_, err = s.ScanSlivers(1, encoding.Primary, encoding.BlobID{}, 10)
		check("scan", err)
		_, err = s.ShardStatus(1)
		check("shard status", err)
		_, err = s.Shards()
		check("shards", err)
		_, _, err = s.SyncProgress(1, encoding.Primary)
		check("sync progress", err)
		_, err = s.BlobInfo(md.BlobID)
		check("blob info", err)
		_, err = s.ObjectInfo(blobinfo.ObjectID{1})
		check("object", err)
		_, _, err = s.Cursor()
		check("cursor", err)
		_, _, err = s.NodeStatus()
		check("node status", err)
		_, _, err = s.GCProgress()
		check("gc progress", err)
		_, err = s.ApplyEvents(nil, EventCursor{Height: 1})
		check("apply", err)
	}
	// Metadata that decodes but belongs to another blob.
	other := testMetadata(t, 3)
	if err := s.db.Set(metadataKey(md.BlobID), other.Metadata.MarshalBCS(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetMetadata(md.BlobID); !errors.Is(err, ErrCorrupt) {
		t.Errorf("metadata of another blob: %v", err)
	}
}

var shardMax uint16 = 0xffff

func memOptions() Options { return Options{sliverFileMin: testFileMin, FS: vfs.NewMem()} }
