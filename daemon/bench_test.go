package daemon

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/walrus-go/walrus/client"
)

// BenchmarkAggregatorRead reads a 1 MiB blob through the aggregator on a
// devnet, from parallel HTTP clients.
func BenchmarkAggregatorRead(b *testing.B) {
	tn := newTestNet(b, Config{Publisher: true, Aggregator: true})
	blob := randomBlob(1, 1<<20)
	res, err := tn.c.Store(tn.ctx, blob, client.StoreOptions{})
	if err != nil {
		b.Fatal(err)
	}
	url := tn.url + "/v1/blobs/" + res.BlobID().String()
	b.SetBytes(int64(len(blob)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := http.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 || !bytes.Equal(got, blob) {
				b.Errorf("read: %d %v", resp.StatusCode, err)
				return
			}
		}
	})
}

// BenchmarkPublisherStore stores distinct 1 MiB blobs through the publisher.
func BenchmarkPublisherStore(b *testing.B) {
	tn := newTestNet(b, Config{Publisher: true, Aggregator: true})
	b.SetBytes(1 << 20)
	b.ResetTimer()
	for i := range b.N {
		resp, err := http.DefaultClient.Do(mustPut(b, tn.url+"/v1/blobs", randomBlob(uint64(1000+i), 1<<20)))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("store: %d", resp.StatusCode)
		}
	}
}

func mustPut(t testing.TB, url string, data []byte) *http.Request {
	req, err := http.NewRequest(http.MethodPut, url, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return req
}
