package storage

import (
	"bytes"
	"sync"
	"testing"

	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/storage/blobinfo"
)

// TestConcurrentUse runs writers, readers, event application and metadata
// puts at once (under -race in CI), then checks the final contents.
func TestConcurrentUse(t *testing.T) {
	backends(t, func(t *testing.T, open func() *Store) {
		s := open()
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := g; i < 200; i += 4 {
					shard, id, sl := crashSliver(i)
					if err := s.PutSliver(shard, id, sl); err != nil {
						t.Error(err)
						return
					}
					got, err := s.GetSliver(shard, sl.Type, id)
					if err != nil || !bytes.Equal(got.Data, sl.Data) {
						t.Errorf("read back %d: %v", i, err)
						return
					}
				}
			}()
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			for h := uint64(1); h <= 50; h++ {
				ev := bev(blobinfo.Registered, h, blobID(int(h)%5), byte(h), 1, 9, true)
				if _, err := s.ApplyEvents([]blobinfo.Event{ev}, EventCursor{Height: h}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				md := testMetadata(t, 100+i)
				if err := s.PutMetadata(md); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		wg.Wait()
		for i := 0; i < 5; i++ {
			in, err := s.BlobInfo(blobID(i))
			if err != nil || in.RegisteredDeletable != 10 {
				t.Fatalf("blob %d: %+v %v", i, in, err)
			}
		}
		if c, _, _ := s.Cursor(); c.Height != 50 {
			t.Fatalf("cursor %+v", c)
		}
		n := 0
		for shard := uint16(0); shard < 4; shard++ {
			for _, ty := range []encoding.SliverType{encoding.Primary, encoding.Secondary} {
				e, err := s.ScanSlivers(shard, ty, encoding.BlobID{}, 1000)
				if err != nil {
					t.Fatal(err)
				}
				n += len(e)
			}
		}
		if n != 200 {
			t.Fatalf("%d slivers, want 200", n)
		}
	})
}
