package storage

import (
	"fmt"
	"testing"

	"github.com/walrus-go/walrus/encoding"
)

// Benchmarks run on disk in b.TempDir() with synced writes (the default).
// Reproduce with: go test -run XXX -bench . -benchtime 2s ./storage/

var benchSizes = []int{64 << 10, 1 << 20}

func sizeName(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return fmt.Sprintf("%dKiB", n>>10)
}

func BenchmarkPutSliver(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			s := mustOpen(b, b.TempDir(), Options{})
			sl := testSliver(encoding.Primary, 0, 1, size)
			b.SetBytes(int64(size))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := s.PutSliver(uint16(i%8), blobID(i), sl); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPutSliverParallel measures synced puts from many goroutines,
// which pebble's commit pipeline group-commits.
func BenchmarkPutSliverParallel(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			s := mustOpen(b, b.TempDir(), Options{})
			sl := testSliver(encoding.Primary, 0, 1, size)
			b.SetBytes(int64(size))
			b.SetParallelism(8)
			var next = make(chan int, 1)
			next <- 0
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := <-next
					next <- i + 1
					if err := s.PutSliver(uint16(i%8), blobID(i), sl); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func fill(b *testing.B, s *Store, shard uint16, count, size int) {
	b.Helper()
	var batch []SliverEntry
	for i := 0; i < count; i++ {
		batch = append(batch, SliverEntry{BlobID: blobID(i), Sliver: testSliver(encoding.Primary, 0, i, size)})
		if len(batch) == 16 || i == count-1 {
			if err := s.PutSlivers(shard, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := s.Flush(); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkGetSliver(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			s := mustOpen(b, b.TempDir(), Options{})
			count := (128 << 20) / size
			fill(b, s, 0, count, size)
			b.SetBytes(int64(size))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.GetSliver(0, encoding.Primary, blobID((i*7919)%count)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkScanSlivers scans a shard in pages of 100 slivers, as shard sync
// does.
func BenchmarkScanSlivers(b *testing.B) {
	const size, count, page = 64 << 10, 2048, 100
	s := mustOpen(b, b.TempDir(), Options{})
	fill(b, s, 0, count, size)
	b.SetBytes(size * page)
	b.ResetTimer()
	from := encoding.BlobID{}
	for i := 0; i < b.N; i++ {
		entries, err := s.ScanSlivers(0, encoding.Primary, from, page)
		if err != nil {
			b.Fatal(err)
		}
		if len(entries) < page {
			from = encoding.BlobID{}
			continue
		}
		from = entries[len(entries)-1].BlobID
		from[31]++ // blobID(i) ends in 0x5a: the next key is past it
	}
}

// BenchmarkPutSliverPerBlob puts slivers as a node receives them, from 8
// writers: n per blob (a primary and a secondary per shard held: 2 for a
// node with one shard, 50 for a node with 25).
func BenchmarkPutSliverPerBlob(b *testing.B) {
	for _, n := range []int{2, 50} {
		for _, size := range benchSizes {
			b.Run(fmt.Sprintf("%d/%s", n, sizeName(size)), func(b *testing.B) {
				s := mustOpen(b, b.TempDir(), Options{})
				sl := testSliver(encoding.Primary, 0, 1, size)
				b.SetBytes(int64(size))
				b.SetParallelism(4)
				var next = make(chan int, 1)
				next <- 0
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						i := <-next
						next <- i + 1
						if err := s.PutSliver(uint16(i%n), blobID(i/n), sl); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}
