package client

import (
	"bytes"
	"testing"
	"time"

	"github.com/walrus-go/walrus/encoding"
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
// in-process devnet (4 nodes, 100 shards, HTTPS on loopback, pebble). Each
// iteration also encodes the same blob alone (encoding.Encode), so that the
// store is compared with the encoding measured in the same run (issue #6:
// store/encode ≤ 3). Metrics: encode-ms and store-ms per blob, store/encode,
// store-MB/s and read-MB/s (Read: all n−2f slivers, then decode with the
// default check) over the unencoded size, stream-MB/s (Stream: rows written
// in order) and the streamed read's time to first byte.
//
//	go test -run '^$' -bench StoreRead64MiB -benchtime 3x ./client
func BenchmarkStoreRead64MiB(b *testing.B) {
	nw, _, ctx := newNet(b)
	// CLIENT_TEST_LOG=1 shows the store's phases (encode+register, upload,
	// certify).
	c, err := New(Config{Chain: nw.Chain(), Wallet: nw.Wallet(), Logger: testLog()})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	const size = 64 << 20
	var encT, storeT, readT, streamT, ttfb time.Duration
	var encCPU, storeCPU time.Duration
	b.SetBytes(size)
	b.ResetTimer()
	for i := range b.N {
		blob := randomBlob(uint64(1000+i), size)
		start, cpu := time.Now(), cpuTime()
		if _, err := encoding.Encode(blob, nw.Shards()); err != nil {
			b.Fatal(err)
		}
		encT += time.Since(start)
		encCPU += cpuTime() - cpu
		start, cpu = time.Now(), cpuTime()
		res, err := c.Store(ctx, blob, StoreOptions{})
		if err != nil {
			b.Fatal(err)
		}
		storeT += time.Since(start)
		storeCPU += cpuTime() - cpu
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
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 / float64(b.N) }
	b.ReportMetric(ms(encT), "encode-ms")
	b.ReportMetric(ms(storeT), "store-ms")
	b.ReportMetric(storeT.Seconds()/encT.Seconds(), "store/encode")
	// CPU time of the whole process (client, nodes, chain): less sensitive
	// than wall time to other load on the machine.
	b.ReportMetric(ms(encCPU), "encode-cpu-ms")
	b.ReportMetric(ms(storeCPU), "store-cpu-ms")
	b.ReportMetric(mb/storeT.Seconds(), "store-MB/s")
	b.ReportMetric(mb/readT.Seconds(), "read-MB/s")
	b.ReportMetric(mb/streamT.Seconds(), "stream-MB/s")
	b.ReportMetric(ms(ttfb), "ttfb-ms")
}
