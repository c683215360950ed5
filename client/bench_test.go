package client

import (
	"bytes"
	"testing"
	"time"
)

// firstByte records when the first bytes were written.
type firstByte struct {
	start, first time.Time
	n            int64
}

func (w *firstByte) Write(p []byte) (int, error) {
	if w.first.IsZero() {
		w.first = time.Now()
	}
	w.n += int64(len(p))
	return len(p), nil
}

// BenchmarkStoreRead64MiB stores and reads back a 64 MiB blob on the
// in-process devnet (4 nodes, 100 shards, HTTPS on loopback, pebble):
// store-MB/s and read-MB/s (Read: all n−2f slivers, then decode) over the
// unencoded size, stream-MB/s (Stream: rows written in order) and the
// streamed read's time to first byte.
//
//	go test -run '^$' -bench StoreRead64MiB -benchtime 3x ./client
func BenchmarkStoreRead64MiB(b *testing.B) {
	_, c, ctx := newNet(b)
	const size = 64 << 20
	var storeT, readT, streamT, ttfb time.Duration
	b.SetBytes(size)
	b.ResetTimer()
	for i := range b.N {
		blob := randomBlob(uint64(1000+i), size)
		start := time.Now()
		res, err := c.Store(ctx, blob, StoreOptions{})
		if err != nil {
			b.Fatal(err)
		}
		storeT += time.Since(start)
		start = time.Now()
		got, err := c.Read(ctx, res.BlobID(), ReadOptions{})
		if err != nil || !bytes.Equal(got, blob) {
			b.Fatalf("read: %v", err)
		}
		readT += time.Since(start)
		w := &firstByte{start: time.Now()}
		if _, err := c.Stream(ctx, res.BlobID(), w, ReadOptions{}); err != nil || w.n != size {
			b.Fatalf("stream: %v", err)
		}
		streamT += time.Since(w.start)
		ttfb += w.first.Sub(w.start)
	}
	mb := float64(size) * float64(b.N) / 1e6
	b.ReportMetric(mb/storeT.Seconds(), "store-MB/s")
	b.ReportMetric(mb/readT.Seconds(), "read-MB/s")
	b.ReportMetric(mb/streamT.Seconds(), "stream-MB/s")
	b.ReportMetric(float64(ttfb.Microseconds())/1e3/float64(b.N), "ttfb-ms")
}
