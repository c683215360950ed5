package storage

import (
	"os"
	"syscall"
	"testing"

	"github.com/walrus-go/walrus/encoding"
)

// TestPunchHole: on the OS file system, deleting a sliver frees its disk
// blocks while the file stays for the blob's other slivers.
func TestPunchHole(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{sliverFileMin: testFileMin})
	id := blobID(9)
	for shard := uint16(0); shard < 4; shard++ {
		mustPut(t, s, shard, id, testSliver(encoding.Primary, shard, int(shard), 1<<20))
	}
	blocks := func() int64 {
		fi, err := os.Stat(s.files.path(id))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Blocks * 512
	}
	before := blocks()
	for shard := uint16(0); shard < 3; shard++ {
		if err := s.DeleteSliver(shard, encoding.Primary, id); err != nil {
			t.Fatal(err)
		}
	}
	after := blocks()
	t.Logf("%d bytes allocated before, %d after deleting 3 of 4 slivers", before, after)
	if after > before/2 {
		t.Skip("the file system does not punch holes")
	}
	if _, err := s.GetSliver(3, encoding.Primary, id); err != nil {
		t.Fatal(err)
	}
}
