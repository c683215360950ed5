package storage

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/walrus-go/walrus/encoding"
)

// TestSliverEncoded: slivers stored in their BCS form read back as if
// stored with PutSliver, and the other way round; bad input is refused and
// corrupt records reported.
func TestSliverEncoded(t *testing.T) {
	backends(t, func(t *testing.T, open func() *Store) {
		s := open()
		for i, size := range []int{2, 10_000, 300_000} {
			sl := testSliver(encoding.Secondary, uint16(i), i, size)
			id := blobID(i)
			if err := s.PutSliverEncoded(3, sl.Type, id, encoding.MarshalSliver(sl)); err != nil {
				t.Fatal(err)
			}
			got, err := s.GetSliver(3, sl.Type, id)
			if err != nil || !reflect.DeepEqual(got, sl) {
				t.Fatalf("GetSliver after PutSliverEncoded: %v", err)
			}
			mustPut(t, s, 4, id, sl)
			raw, err := s.GetSliverEncoded(4, sl.Type, id)
			if err != nil || !bytes.Equal(raw, encoding.MarshalSliver(sl)) {
				t.Fatalf("GetSliverEncoded after PutSliver: %v", err)
			}
			if _, err := s.GetSliverEncoded(4, encoding.Primary, id); !errors.Is(err, ErrNotFound) {
				t.Fatalf("missing sliver: %v", err)
			}
		}
		sl := testSliver(encoding.Primary, 1, 1, 100)
		raw := encoding.MarshalSliver(sl)
		for _, bad := range [][]byte{nil, raw[:len(raw)-1], append(bytes.Clone(raw), 0)} {
			if err := s.PutSliverEncoded(1, encoding.Primary, blobID(9), bad); !errors.Is(err, ErrInvalidArg) {
				t.Fatalf("put of %d bad bytes: %v", len(bad), err)
			}
		}
		if err := s.PutSliverEncoded(1, encoding.SliverType(7), blobID(9), raw); !errors.Is(err, ErrInvalidArg) {
			t.Fatalf("bad type: %v", err)
		}
		if ok, _ := s.HasSliver(1, encoding.Primary, blobID(9)); ok {
			t.Fatal("refused sliver stored")
		}
		if err := s.db.Set(sliverKey(1, encoding.Primary, blobID(9)), []byte{0x80}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetSliverEncoded(1, encoding.Primary, blobID(9)); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("corrupt record: %v", err)
		}
	})
}

// TestPutSliverFrom: a sliver written in place by fill is stored; a failing
// fill or bytes that are not a sliver store nothing.
func TestPutSliverFrom(t *testing.T) {
	backends(t, func(t *testing.T, open func() *Store) {
		s := open()
		sl := testSliver(encoding.Primary, 2, 3, 50_000)
		raw := encoding.MarshalSliver(sl)
		if err := s.PutSliverFrom(5, encoding.Primary, blobID(1), len(raw), func(b []byte) error {
			copy(b, raw)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.GetSliver(5, encoding.Primary, blobID(1)); err != nil || !reflect.DeepEqual(got, sl) {
			t.Fatalf("stored sliver: %v", err)
		}
		boom := errors.New("boom")
		if err := s.PutSliverFrom(5, encoding.Primary, blobID(2), len(raw), func(b []byte) error {
			copy(b, raw)
			return boom
		}); err != boom {
			t.Fatalf("failing fill: %v", err)
		}
		if err := s.PutSliverFrom(5, encoding.Primary, blobID(3), len(raw), func(b []byte) error {
			copy(b, raw)
			b[0]++ // the data length no longer matches
			return nil
		}); !errors.Is(err, ErrInvalidArg) {
			t.Fatalf("bad sliver: %v", err)
		}
		if err := s.PutSliverFrom(5, encoding.SliverType(9), blobID(4), len(raw), func([]byte) error { return nil }); !errors.Is(err, ErrInvalidArg) {
			t.Fatalf("bad type: %v", err)
		}
		for _, id := range []encoding.BlobID{blobID(2), blobID(3), blobID(4)} {
			if ok, _ := s.HasSliver(5, encoding.Primary, id); ok {
				t.Fatalf("refused sliver %s stored", id)
			}
		}
		// Durable once returned: it survives a reopen.
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		r := open()
		if got, err := r.GetSliver(5, encoding.Primary, blobID(1)); err != nil || !reflect.DeepEqual(got, sl) {
			t.Fatalf("after reopen: %v", err)
		}
	})
}

// TestOpenOlderFormat: a database written with pebble's default options
// (the format before value separation) opens, is upgraded, and keeps its
// slivers.
func TestOpenOlderFormat(t *testing.T) {
	fs := vfs.NewMem()
	db, err := pebble.Open("db", &pebble.Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	sl := testSliver(encoding.Primary, 3, 5, 100_000)
	if err := db.Set(sliverKey(2, encoding.Primary, blobID(1)), encoding.MarshalSliver(sl), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s := mustOpen(t, "db", Options{sliverFileMin: testFileMin, FS: fs})
	if got, err := s.GetSliver(2, encoding.Primary, blobID(1)); err != nil || !reflect.DeepEqual(got, sl) {
		t.Fatalf("sliver of the older database: %v", err)
	}
	if v := s.db.FormatMajorVersion(); v < pebble.FormatValueSeparation {
		t.Fatalf("format %v after open", v)
	}
	// New large slivers go to sliver files, pebble keeps their pointers.
	big := testSliver(encoding.Secondary, 4, 6, 200_000)
	mustPut(t, s, 2, blobID(2), big)
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetSliver(2, encoding.Secondary, blobID(2)); err != nil || !reflect.DeepEqual(got, big) {
		t.Fatalf("sliver in a file: %v", err)
	}
	if v, err := s.get(sliverKey(2, encoding.Secondary, blobID(2))); err != nil || !isPointer(v) {
		t.Fatalf("pebble value of a large sliver: %d bytes, %v", len(v), err)
	}
}
