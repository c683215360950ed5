package storage

import (
	"bytes"
	"errors"
	"reflect"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/walrus-go/walrus/encoding"
)

const bigSize = 100_000 // a sliver stored in its blob's file

func fileExists(t *testing.T, s *Store, id encoding.BlobID) bool {
	t.Helper()
	ok, err := s.files.exists(id)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func storedValue(t *testing.T, s *Store, shard uint16, typ encoding.SliverType, id encoding.BlobID) []byte {
	t.Helper()
	v, err := s.get(sliverKey(shard, typ, id))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func pendingCount(t *testing.T, s *Store) int {
	t.Helper()
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixPending}, UpperBound: []byte{prefixPending + 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	return n
}

// TestSliverFiles: large slivers live in their blob's file with a pointer in
// pebble, small ones inline; every read path serves both; deletions free
// the space and leave no pending records behind.
func TestSliverFiles(t *testing.T) {
	backends(t, func(t *testing.T, open func() *Store) {
		s := open()
		id := blobID(1)
		small := testSliver(encoding.Primary, 1, 1, 1000)
		mustPut(t, s, 1, id, small)
		var bigs []*encoding.Sliver
		for shard := uint16(0); shard < 4; shard++ {
			p := testSliver(encoding.Primary, shard, int(shard), bigSize)
			q := testSliver(encoding.Secondary, 99-shard, 100+int(shard), bigSize+2)
			if shard != 1 {
				mustPut(t, s, shard, id, p)
			}
			if err := s.PutSliverEncoded(shard, encoding.Secondary, id, encoding.MarshalSliver(q)); err != nil {
				t.Fatal(err)
			}
			bigs = append(bigs, p, q)
		}
		if !fileExists(t, s, id) {
			t.Fatal("no sliver file")
		}
		if v := storedValue(t, s, 0, encoding.Primary, id); len(v) != pointerLen {
			t.Fatalf("large sliver stored as %d bytes in pebble", len(v))
		}
		if v := storedValue(t, s, 1, encoding.Primary, id); isPointer(v) {
			t.Fatal("small sliver not inline")
		}
		check := func(s *Store) {
			t.Helper()
			for shard := uint16(0); shard < 4; shard++ {
				want := bigs[2*shard]
				if shard == 1 {
					want = small
				}
				got, err := s.GetSliver(shard, encoding.Primary, id)
				if err != nil || !reflect.DeepEqual(got, want) {
					t.Fatalf("shard %d primary: %v", shard, err)
				}
				raw, err := s.GetSliverEncoded(shard, encoding.Secondary, id)
				if err != nil || !bytes.Equal(raw, encoding.MarshalSliver(bigs[2*shard+1])) {
					t.Fatalf("shard %d secondary: %v", shard, err)
				}
				e, err := s.ScanSlivers(shard, encoding.Secondary, encoding.BlobID{}, 10)
				if err != nil || len(e) != 1 || !reflect.DeepEqual(e[0].Sliver, bigs[2*shard+1]) {
					t.Fatalf("shard %d scan: %v %d", shard, err, len(e))
				}
			}
		}
		check(s)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s = open()
		check(s)

		// Replacing a large sliver frees the old bytes.
		repl := testSliver(encoding.Primary, 0, 77, bigSize)
		mustPut(t, s, 0, id, repl)
		bigs[0] = repl
		check(s)
		if n := pendingCount(t, s); n != 0 {
			t.Fatalf("%d pending records after a replacement", n)
		}

		// Deleting one sliver keeps the file for the others.
		if err := s.DeleteSliver(2, encoding.Primary, id); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetSliver(2, encoding.Primary, id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("deleted sliver: %v", err)
		}
		if !fileExists(t, s, id) || pendingCount(t, s) != 0 {
			t.Fatal("file gone or pending records left after deleting one sliver")
		}
		// Removing a shard keeps the file for the other shards.
		if err := s.RemoveShard(3); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.HasSliver(3, encoding.Secondary, id); ok {
			t.Fatal("sliver of a removed shard")
		}
		if !fileExists(t, s, id) || pendingCount(t, s) != 0 {
			t.Fatal("file gone or pending records left after removing a shard")
		}
		if got, err := s.GetSliver(0, encoding.Primary, id); err != nil || !reflect.DeepEqual(got, repl) {
			t.Fatalf("a remaining sliver: %v", err)
		}
		// Deleting the blob's data in some shards keeps the file; in all of
		// them removes it.
		if err := s.DeleteBlobData(id, []uint16{0}); err != nil {
			t.Fatal(err)
		}
		if !fileExists(t, s, id) {
			t.Fatal("file removed while slivers remain")
		}
		if got, err := s.GetSliver(2, encoding.Secondary, id); err != nil || !reflect.DeepEqual(got, bigs[5]) {
			t.Fatalf("a remaining sliver: %v", err)
		}
		if err := s.DeleteBlobData(id, []uint16{1, 2}); err != nil {
			t.Fatal(err)
		}
		if fileExists(t, s, id) || pendingCount(t, s) != 0 {
			t.Fatal("file or pending records left after deleting the blob's data")
		}
		// The blob can be stored again.
		mustPut(t, s, 0, id, bigs[1+0])
		if got, err := s.GetSliver(0, encoding.Secondary, id); err != nil || !reflect.DeepEqual(got, bigs[1]) {
			t.Fatalf("stored again: %v", err)
		}
	})
}

// TestSliverFileCorruption: damaged file bytes, a missing file and a
// malformed pointer are ErrCorrupt, never a panic or a wrong sliver.
func TestSliverFileCorruption(t *testing.T) {
	fs := vfs.NewMem()
	s := mustOpen(t, "db", Options{sliverFileMin: testFileMin, FS: fs})
	id := blobID(3)
	mustPut(t, s, 0, id, testSliver(encoding.Primary, 0, 1, bigSize))
	f, err := fs.OpenReadWrite(s.files.path(id), vfs.WriteCategoryUnspecified)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{0xff}, 500); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := s.GetSliver(0, encoding.Primary, id); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("damaged bytes: %v", err)
	}
	if _, err := s.ScanSlivers(0, encoding.Primary, encoding.BlobID{}, 5); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("damaged bytes in a scan: %v", err)
	}
	// Pointers past the end of the file, or malformed.
	for _, v := range [][]byte{
		marshalPointer(sliverPointer{Offset: 1 << 40, Length: 10}),
		marshalPointer(sliverPointer{Offset: 0, Length: 1 << 31}),
		{0x80, 0x00, 0x01},
		append(marshalPointer(sliverPointer{Length: 4}), 0),
	} {
		if err := s.db.Set(sliverKey(0, encoding.Primary, id), v, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetSliverEncoded(0, encoding.Primary, id); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("pointer %x: %v", v, err)
		}
	}
	// A pointer to a blob without a file.
	if err := s.db.Set(sliverKey(0, encoding.Primary, blobID(4)), marshalPointer(sliverPointer{Length: 10}), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSliver(0, encoding.Primary, blobID(4)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("missing file: %v", err)
	}
}

// TestInlineLargeSlivers: a data directory written before sliver files
// (large slivers inline in pebble) keeps working: reads, scans, deletions,
// shard removal, replacement by a sliver in a file.
func TestInlineLargeSlivers(t *testing.T) {
	backends(t, func(t *testing.T, open func() *Store) {
		s := open()
		put := func(shard uint16, i int, sl *encoding.Sliver) {
			// The old way: the whole sliver is the pebble value.
			if err := s.db.Set(sliverKey(shard, sl.Type, blobID(i)), encoding.MarshalSliver(sl), pebble.Sync); err != nil {
				t.Fatal(err)
			}
		}
		var want []*encoding.Sliver
		for i := 0; i < 6; i++ {
			sl := testSliver(encoding.Primary, 5, i, bigSize)
			put(5, i, sl)
			put(6, i, testSliver(encoding.Secondary, 6, i, bigSize))
			want = append(want, sl)
		}
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s = open()
		for i, w := range want {
			if got, err := s.GetSliver(5, encoding.Primary, blobID(i)); err != nil || !reflect.DeepEqual(got, w) {
				t.Fatalf("inline sliver %d: %v", i, err)
			}
		}
		e, err := s.ScanSlivers(5, encoding.Primary, encoding.BlobID{}, 100)
		if err != nil || len(e) != len(want) {
			t.Fatalf("scan: %v %d", err, len(e))
		}
		// Mixed: one replaced by a sliver in a file.
		repl := testSliver(encoding.Primary, 5, 50, bigSize)
		mustPut(t, s, 5, blobID(2), repl)
		want[2] = repl
		e, err = s.ScanSlivers(5, encoding.Primary, encoding.BlobID{}, 100)
		if err != nil || len(e) != len(want) {
			t.Fatalf("scan: %v %d", err, len(e))
		}
		for i, x := range e {
			if !reflect.DeepEqual(x.Sliver, want[i]) {
				t.Fatalf("scan entry %d", i)
			}
		}
		if err := s.DeleteSliver(5, encoding.Primary, blobID(0)); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteBlobData(blobID(1), []uint16{5, 6}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteBlobData(blobID(2), []uint16{5, 6}); err != nil {
			t.Fatal(err)
		}
		if fileExists(t, s, blobID(2)) {
			t.Fatal("file of a deleted blob")
		}
		for i := 0; i < 3; i++ {
			if ok, _ := s.HasSliver(5, encoding.Primary, blobID(i)); ok {
				t.Fatalf("deleted sliver %d", i)
			}
		}
		if err := s.RemoveShard(6); err != nil {
			t.Fatal(err)
		}
		if e, err := s.ScanSlivers(6, encoding.Secondary, encoding.BlobID{}, 100); err != nil || len(e) != 0 {
			t.Fatalf("removed shard: %v %d", err, len(e))
		}
		if got, err := s.GetSliver(5, encoding.Primary, blobID(4)); err != nil || !reflect.DeepEqual(got, want[4]) {
			t.Fatalf("remaining inline sliver: %v", err)
		}
	})
}

// TestSliverFileHandles: with few file handles cached, slivers of many
// blobs are written and read concurrently (under -race in CI).
func TestSliverFileHandles(t *testing.T) {
	backends(t, func(t *testing.T, open func() *Store) {
		s := open()
		s.files.maxOpen = 3
		const blobs, shards = 12, 4
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := g; i < blobs*shards; i += 4 {
					shard, id := uint16(i%shards), blobID(i/shards)
					sl := testSliver(encoding.Primary, shard, i, 20_000+2*i)
					if err := s.PutSliver(shard, id, sl); err != nil {
						t.Error(err)
						return
					}
					got, err := s.GetSliver(shard, encoding.Primary, id)
					if err != nil || !reflect.DeepEqual(got, sl) {
						t.Errorf("read back %d: %v", i, err)
						return
					}
					if i%7 == 0 {
						// A blob stored and deleted meanwhile.
						gone := blobID(1000 + i)
						for sh := uint16(0); sh < shards; sh++ {
							if err := s.PutSliver(sh, gone, sl); err != nil {
								t.Error(err)
							}
						}
						if err := s.DeleteBlobData(gone, []uint16{0, 1, 2, 3}); err != nil {
							t.Error(err)
						}
						if ok, _ := s.files.exists(gone); ok {
							t.Errorf("file of deleted blob %d left", 1000+i)
						}
					}
					if _, err := s.ScanSlivers(shard, encoding.Primary, encoding.BlobID{}, 100); err != nil {
						t.Errorf("scan: %v", err)
					}
				}
			}()
		}
		wg.Wait()
		s.files.mu.Lock()
		n := len(s.files.handles)
		s.files.mu.Unlock()
		if n > 3 {
			t.Fatalf("%d handles cached", n)
		}
	})
}

// TestSliverFileCrash takes crash images (only synced data and directory
// entries survive) at the points of a put and a deletion of a sliver in a
// file, and checks what reopens.
func TestSliverFileCrash(t *testing.T) {
	sl := testSliver(encoding.Primary, 1, 1, bigSize)
	other := testSliver(encoding.Secondary, 2, 2, bigSize)
	id := blobID(1)
	image := func(t *testing.T, s *Store, fs *vfs.MemFS, point string, do func()) *vfs.MemFS {
		t.Helper()
		var clone *vfs.MemFS
		s.hook = func(p string) {
			if p == point && clone == nil {
				clone = fs.CrashClone(vfs.CrashCloneCfg{})
			}
		}
		do()
		s.hook = nil
		if clone == nil {
			t.Fatalf("point %s not reached", point)
		}
		return clone
	}

	t.Run("written, not committed", func(t *testing.T) {
		fs := vfs.NewCrashableMem()
		s := mustOpen(t, "db", Options{sliverFileMin: testFileMin, FS: fs})
		clone := image(t, s, fs, "written", func() { mustPut(t, s, 1, id, sl) })
		r := mustOpen(t, "db", Options{sliverFileMin: testFileMin, FS: clone})
		if ok, _ := r.HasSliver(1, encoding.Primary, id); ok {
			t.Fatal("uncommitted sliver visible")
		}
		if _, err := r.GetSliver(1, encoding.Primary, id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("uncommitted sliver: %v", err)
		}
		// The unreferenced bytes are harmless: the blob is stored again,
		// and deleting its data removes the file.
		mustPut(t, r, 1, id, sl)
		if got, err := r.GetSliver(1, encoding.Primary, id); err != nil || !reflect.DeepEqual(got, sl) {
			t.Fatalf("stored again: %v", err)
		}
		if err := r.DeleteBlobData(id, []uint16{1}); err != nil {
			t.Fatal(err)
		}
		if fileExists(t, r, id) {
			t.Fatal("file left")
		}
	})

	t.Run("committed", func(t *testing.T) {
		fs := vfs.NewCrashableMem()
		s := mustOpen(t, "db", Options{sliverFileMin: testFileMin, FS: fs})
		clone := image(t, s, fs, "committed", func() { mustPut(t, s, 1, id, sl) })
		r := mustOpen(t, "db", Options{sliverFileMin: testFileMin, FS: clone})
		if got, err := r.GetSliver(1, encoding.Primary, id); err != nil || !reflect.DeepEqual(got, sl) {
			t.Fatalf("committed sliver after the crash: %v", err)
		}
	})

	for _, tc := range []struct {
		name   string
		delete func(s *Store) error
		gone   bool // the whole file goes
	}{
		{"DeleteBlobData", func(s *Store) error { return s.DeleteBlobData(id, []uint16{1, 2}) }, true},
		{"DeleteSliver", func(s *Store) error { return s.DeleteSliver(1, encoding.Primary, id) }, false},
		{"RemoveShard", func(s *Store) error { return s.RemoveShard(1) }, false},
	} {
		t.Run("deleting/"+tc.name, func(t *testing.T) {
			fs := vfs.NewCrashableMem()
			s := mustOpen(t, "db", Options{sliverFileMin: testFileMin, FS: fs})
			mustPut(t, s, 1, id, sl)
			mustPut(t, s, 2, id, other)
			clone := image(t, s, fs, "deleted", func() {
				if err := tc.delete(s); err != nil {
					t.Fatal(err)
				}
			})
			if fileExists(t, s, id) == tc.gone {
				t.Fatalf("file exists: %v", !tc.gone)
			}
			r := mustOpen(t, "db", Options{sliverFileMin: testFileMin, FS: clone})
			if ok, _ := r.HasSliver(1, encoding.Primary, id); ok {
				t.Fatal("deleted sliver back after the crash")
			}
			if n := pendingCount(t, r); n != 0 {
				t.Fatalf("%d pending records after reopening", n)
			}
			if fileExists(t, r, id) == tc.gone {
				t.Fatalf("after reopening, file exists: %v", !tc.gone)
			}
			if !tc.gone {
				if got, err := r.GetSliver(2, encoding.Secondary, id); err != nil || !reflect.DeepEqual(got, other) {
					t.Fatalf("the other sliver: %v", err)
				}
			}
		})
	}

	t.Run("PutSliverFrom acknowledged", func(t *testing.T) {
		fs := vfs.NewCrashableMem()
		s := mustOpen(t, "db", Options{sliverFileMin: testFileMin, FS: fs})
		raw := encoding.MarshalSliver(sl)
		for i := 0; i < 3; i++ {
			if err := s.PutSliverFrom(uint16(i), encoding.Primary, blobID(i), len(raw), func(b []byte) error {
				copy(b, raw)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		clone := fs.CrashClone(vfs.CrashCloneCfg{})
		r := mustOpen(t, "db", Options{sliverFileMin: testFileMin, FS: clone})
		for i := 0; i < 3; i++ {
			if got, err := r.GetSliver(uint16(i), encoding.Primary, blobID(i)); err != nil || !reflect.DeepEqual(got, sl) {
				t.Fatalf("acknowledged sliver %d after the crash: %v", i, err)
			}
		}
	})
}

// testFileMin is the sliver-file threshold of the tests, so that slivers of
// tens of kilobytes exercise both forms.
const testFileMin = 16 << 10

// TestSliverFileDefaultMin: by default, slivers below DefaultSliverFileMin
// stay inline.
func TestSliverFileDefaultMin(t *testing.T) {
	s := mustOpen(t, "db", Options{FS: vfs.NewMem()})
	mustPut(t, s, 0, blobID(1), testSliver(encoding.Primary, 0, 1, DefaultSliverFileMin-100))
	mustPut(t, s, 0, blobID(2), testSliver(encoding.Primary, 0, 2, DefaultSliverFileMin))
	if isPointer(storedValue(t, s, 0, encoding.Primary, blobID(1))) || !isPointer(storedValue(t, s, 0, encoding.Primary, blobID(2))) {
		t.Fatal("threshold not applied")
	}
}
