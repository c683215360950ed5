package client

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

// TestNodeProtocols: the client speaks HTTP/2 to the nodes by default and
// HTTP/1.1 with Config.HTTP1; both store and read.
func TestNodeProtocols(t *testing.T) {
	nw, _, ctx := newNet(t)
	for _, h1 := range []bool{false, true} {
		c, err := New(Config{Chain: nw.Chain(), Wallet: nw.Wallet(), HTTP1: h1})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		blob := randomBlob(77, 300_000)
		res, err := c.Store(ctx, blob, StoreOptions{})
		if err != nil {
			t.Fatalf("http1=%v: store: %v", h1, err)
		}
		if got, err := c.Read(ctx, res.BlobID(), ReadOptions{}); err != nil || !bytes.Equal(got, blob) {
			t.Fatalf("http1=%v: read: %v", h1, err)
		}
		url := nw.NodeURLs()[0]
		pk := nw.NetworkPublicKey(0)
		hc := c.httpClient(strings.TrimPrefix(url, "https://")+" "+string(pk[:]), &pk)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/v1/health", nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[bool]int{false: 2, true: 1}[h1]; resp.ProtoMajor != want {
			t.Fatalf("http1=%v: spoke %s", h1, resp.Proto)
		}
	}
}
