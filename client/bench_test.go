package client

import (
	"bytes"
	"testing"
	"time"
)

// BenchmarkStoreRead64MiB stores and reads back a 64 MiB blob on the
// in-process devnet (4 nodes, 100 shards, HTTPS on loopback, pebble):
// store-MB/s and read-MB/s over the unencoded size, and the latency of a
// whole read of a 1-byte blob (this client's time to first byte: reads are
// not streamed yet).
//
//	go test -run '^$' -bench StoreRead64MiB -benchtime 3x ./client
func BenchmarkStoreRead64MiB(b *testing.B) {
	_, c, ctx := newNet(b)
	small, err := c.Store(ctx, []byte{42}, StoreOptions{Permanent: true})
	if err != nil {
		b.Fatal(err)
	}
	const size = 64 << 20
	var storeT, readT, firstT time.Duration
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
		start = time.Now()
		if _, err := c.Read(ctx, small.BlobID(), ReadOptions{}); err != nil {
			b.Fatal(err)
		}
		firstT += time.Since(start)
	}
	mb := float64(size) * float64(b.N) / 1e6
	b.ReportMetric(mb/storeT.Seconds(), "store-MB/s")
	b.ReportMetric(mb/readT.Seconds(), "read-MB/s")
	b.ReportMetric(float64(firstT.Milliseconds())/float64(b.N), "small-read-ms")
}
