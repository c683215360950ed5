package bft

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/walrus-go/walrus/daemon"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/internal/cluster"
	"github.com/walrus-go/walrus/nodeapi"
)

// badRequest is a request that must be refused with a 4xx and a JSON
// error body that says why.
type badRequest struct {
	name, method, path string
	header             http.Header
	body               []byte
	want               int // expected status; 0: any 4xx
}

// send runs each request against base with hc and checks the answers.
func sendBad(t *testing.T, hc *http.Client, base string, reqs []badRequest) {
	t.Helper()
	for _, r := range reqs {
		req, err := http.NewRequest(r.method, base+r.path, bytes.NewReader(r.body))
		if err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		for k, vs := range r.header {
			req.Header[k] = vs
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Errorf("%s: no answer (a panic or a dropped connection?): %v", r.name, err)
			continue
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode > 499 || (r.want != 0 && resp.StatusCode != r.want) {
			t.Errorf("%s: %d %s, want %d (4xx)", r.name, resp.StatusCode, body, r.want)
			continue
		}
		var e struct {
			Error struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(body, &e); err != nil || e.Error.Message == "" || e.Error.Code != resp.StatusCode {
			// 431 (header too large) is written by net/http before any
			// handler runs: plain text is all there is.
			if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
				t.Errorf("%s: %d with an unclear body %q", r.name, resp.StatusCode, body)
			}
			continue
		}
		t.Logf("%-44s %d %s", r.name, resp.StatusCode, e.Error.Message)
	}
}

// TestBadInputNode throws malformed, oversized and out-of-range requests
// at a storage node's REST API (through its proxy, as any client): every
// one gets a 4xx with a JSON error saying why, no 5xx, no panic; then the
// node still stores and serves.
func TestBadInputNode(t *testing.T) {
	e := start(t, 5*time.Minute)
	sn := e.c.Nodes[0]
	blob := randomBlob(60, 50_000)
	enc := e.encode(blob)
	id := e.store(blob)
	// A registered blob whose metadata and slivers the node does not hold
	// yet: uploads to it are parsed and verified, not short-cut as
	// "already stored".
	enc2 := e.encode(randomBlob(62, 60_000))
	wallet, err := e.c.Wallet("account-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cluster.Register(e.ctx, e.cc, wallet, enc2.Metadata, 2); err != nil {
		t.Fatal(err)
	}
	id2 := enc2.Metadata.BlobID
	e.waitFor(sn.Name+" to see the registration", func() (bool, string) {
		st, err := sn.Direct.BlobStatus(e.ctx, id2)
		return err == nil && st.Kind == nodeapi.StatusPermanent, fmt.Sprintf("%+v %v", st, err)
	})
	ids2 := id2.String()
	shards, err := sn.OwnedShards(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	own := enc2.PairForShard(int(shards[0]))
	ownPair := fmt.Sprint(own.PairIndex())
	otherPair := fmt.Sprint((own.PairIndex() + 1) % e.c.Shards)
	pk := sn.NetworkKey.PublicKey()
	hc := &http.Client{Transport: nodeapi.PinnedTransport(pk), Timeout: 30 * time.Second}
	defer hc.CloseIdleConnections()
	ids := id.String()
	unknown := encoding.BlobID{1, 2, 3}.String()
	manyIDs := strings.Repeat("id=1-2&", nodeapi.MaxSymbolIDs+1)
	huge := make([]byte, 64<<20)
	reqs := []badRequest{
		{name: "blob ID not base64", method: "GET", path: "/v1/blobs/not*an*id/metadata", want: 400},
		{name: "blob ID too short", method: "GET", path: "/v1/blobs/AAAA/status", want: 400},
		{name: "blob ID too long", method: "GET", path: "/v1/blobs/" + ids + "AAAA/metadata", want: 400},
		{name: "pair index not a number", method: "GET", path: "/v1/blobs/" + ids + "/slivers/x/primary", want: 400},
		{name: "pair index beyond u16", method: "GET", path: "/v1/blobs/" + ids + "/slivers/70000/primary", want: 400},
		{name: "pair index negative", method: "GET", path: "/v1/blobs/" + ids + "/slivers/-1/primary", want: 400},
		{name: "pair index beyond n", method: "GET", path: "/v1/blobs/" + ids + "/slivers/5000/primary"},
		{name: "sliver type unknown", method: "GET", path: "/v1/blobs/" + ids + "/slivers/1/tertiary", want: 400},
		{name: "metadata of an unknown blob", method: "GET", path: "/v1/blobs/" + unknown + "/metadata", want: 404},
		{name: "metadata body garbage", method: "PUT", path: "/v1/blobs/" + ids2 + "/metadata", body: []byte("garbage"), want: 400},
		{name: "metadata of the wrong blob", method: "PUT", path: "/v1/blobs/" + ids2 + "/metadata", body: enc.Metadata.Metadata.MarshalBCS(), want: 400},
		{name: "metadata body oversized", method: "PUT", path: "/v1/blobs/" + ids + "/metadata", body: huge[:8<<20], want: 413},
		{name: "metadata of another blob", method: "PUT", path: "/v1/blobs/" + unknown + "/metadata", body: enc.Metadata.Metadata.MarshalBCS()},
		{name: "sliver before its metadata", method: "PUT", path: "/v1/blobs/" + ids2 + "/slivers/" + ownPair + "/primary", body: encoding.MarshalSliver(&own.Primary)},
		{name: "sliver body oversized", method: "PUT", path: "/v1/blobs/" + ids + "/slivers/0/primary", body: huge, want: 413},
		{name: "pending flag not a bool", method: "PUT", path: "/v1/blobs/" + ids + "/metadata?pending=maybe", body: enc.Metadata.Metadata.MarshalBCS(), want: 400},
		{name: "recovery query empty", method: "GET", path: "/v1/blobs/" + ids + "/recoverySymbols", want: 400},
		{name: "recovery target not a number", method: "GET", path: "/v1/blobs/" + ids + "/recoverySymbols?targetSliver=abc&targetType=primary", want: 400},
		{name: "recovery target beyond n", method: "GET", path: "/v1/blobs/" + ids + "/recoverySymbols?targetSliver=60000&targetType=primary"},
		{name: "recovery symbol ID malformed", method: "GET", path: "/v1/blobs/" + ids + "/recoverySymbols?id=1-", want: 400},
		{name: "recovery symbol IDs too many", method: "GET", path: "/v1/blobs/" + ids + "/recoverySymbols?" + manyIDs, want: 400},
		{name: "decoding symbols without targets", method: "GET", path: "/v1/blobs/" + ids + "/decodingSymbols", want: 400},
		{name: "inconsistency proof garbage", method: "POST", path: "/v1/blobs/" + ids + "/inconsistencyProof/primary", body: []byte("not a proof"), want: 400},
		{name: "inconsistency proof oversized", method: "POST", path: "/v1/blobs/" + ids + "/inconsistencyProof/primary", body: huge, want: 413},
		{name: "confirmation wait not a number", method: "GET", path: "/v1/blobs/" + ids2 + "/confirmation/permanent?wait_for_registration=true&wait_millis=soon", want: 400},
		{name: "deletable confirmation bad object", method: "GET", path: "/v1/blobs/" + ids + "/confirmation/deletable/0xZZ", want: 400},
		{name: "health detailed not a bool", method: "GET", path: "/v1/health?detailed=perhaps", want: 400},
		{name: "sync shard without Authorization", method: "POST", path: "/v1/migrate/sync_shard", body: []byte{0}, want: 401},
		{name: "sync shard bad Authorization", method: "POST", path: "/v1/migrate/sync_shard", header: http.Header{"Authorization": {"!!"}}, body: []byte{0}, want: 401},
		{name: "unknown route", method: "GET", path: "/v1/nothing", want: 404},
		{name: "wrong method", method: "DELETE", path: "/v1/blobs/" + ids + "/metadata", want: 405},
	}
	// Past the proxy: the node's own answers.
	base := "https://" + sn.Listen
	sendBad(t, hc, base, reqs)
	if r, err := sn.Direct.PutMetadata(e.ctx, enc2.Metadata); err != nil || r != nodeapi.PutStored {
		t.Fatalf("metadata of the registered blob: %v %v", r, err)
	}
	wrong := own.Primary
	wrong.Data = append([]byte(nil), wrong.Data...)
	wrong.Data[0] ^= 1
	afterMetadata := []badRequest{
		{name: "sliver body garbage", method: "PUT", path: "/v1/blobs/" + ids2 + "/slivers/" + ownPair + "/primary", body: []byte{1, 2, 3}, want: 400},
		{name: "sliver at the wrong pair", method: "PUT", path: "/v1/blobs/" + ids2 + "/slivers/" + otherPair + "/primary", body: encoding.MarshalSliver(&own.Primary)},
		{name: "sliver not matching the metadata", method: "PUT", path: "/v1/blobs/" + ids2 + "/slivers/" + ownPair + "/primary", body: encoding.MarshalSliver(&wrong)},
		{name: "sliver of the other type", method: "PUT", path: "/v1/blobs/" + ids2 + "/slivers/" + ownPair + "/secondary", body: encoding.MarshalSliver(&own.Primary)},
	}
	sendBad(t, hc, base, afterMetadata)
	reqs = append(reqs, afterMetadata...)
	// HTTP/2 clients refuse to send headers beyond the node's advertised
	// limit; over HTTP/1.1 the node itself answers 431.
	h1 := nodeapi.PinnedTransport(pk)
	h1.ForceAttemptHTTP2 = false
	h1.TLSClientConfig.NextProtos = []string{"http/1.1"}
	sendBad(t, &http.Client{Transport: h1, Timeout: 30 * time.Second}, base, []badRequest{
		{name: "header too large (HTTP/1.1)", method: "GET", path: "/v1/health", header: http.Header{"X-Big": {strings.Repeat("a", 256<<10)}}, want: 431},
	})
	if ok, err := sn.Direct.SliverStatus(e.ctx, id2, uint16(own.PairIndex()), encoding.Primary); err != nil || ok != nodeapi.Nonexistent {
		t.Errorf("a refused sliver was stored: %v %v", ok, err)
	}
	if !sn.Running() {
		t.Fatal("the node exited")
	}
	// A request is counted once its handler returned, which may be just
	// after the client read the answer; unmatched ones (unknown route,
	// wrong method) count under the route "unmatched"; a request the HTTP
	// client retried (an oversized body cut short) may count twice.
	e.waitFor("the node to count the bad requests as 4xx", func() (bool, string) {
		k := e.requests(sn, "4")
		return k >= float64(len(reqs)), fmt.Sprintf("%v 4xx answers for %d bad requests", k, len(reqs))
	})
	if k := e.requests(sn, "5"); k != 0 {
		t.Errorf("the node answered %v requests with 5xx", k)
	}
	// Still serving: the blob reads back, a new one stores.
	e.read(id, blob)
	blob2 := randomBlob(61, 70_000)
	e.read(e.store(blob2), blob2)
}

// requests adds a node's requests whose status starts with class ("2",
// "4", "5").
func (e *env) requests(sn *cluster.StorageNode, class string) float64 {
	e.t.Helper()
	m, err := sn.Metrics(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	var sum float64
	for k, v := range m {
		if strings.HasPrefix(k, "walrus_node_http_requests_total{") && strings.Contains(k, `status="`+class) {
			sum += v
		}
	}
	return sum
}

// TestBadInputDaemon does the same at the publisher and aggregator
// (package daemon, serving over the multi-process network): malformed,
// oversized and out-of-range requests get 4xx with a JSON error, and the
// daemon still stores and reads afterwards.
func TestBadInputDaemon(t *testing.T) {
	e := start(t, 5*time.Minute)
	srv, err := daemon.New(daemon.Config{Client: e.cl, Publisher: true, Aggregator: true, MaxBodySize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	blob := randomBlob(70, 30_000)
	id := e.store(blob)
	ids := id.String()
	unknown := encoding.BlobID{9, 9}.String()
	reqs := []badRequest{
		{name: "store: epochs 0", method: "PUT", path: "/v1/blobs?epochs=0", body: blob, want: 400},
		{name: "store: epochs not a number", method: "PUT", path: "/v1/blobs?epochs=many", body: blob, want: 400},
		{name: "store: epochs beyond u32", method: "PUT", path: "/v1/blobs?epochs=99999999999", body: blob, want: 400},
		{name: "store: epochs twice", method: "PUT", path: "/v1/blobs?epochs=1&epochs=2", body: blob, want: 400},
		{name: "store: permanent and deletable", method: "PUT", path: "/v1/blobs?permanent=true&deletable=true", body: blob, want: 400},
		{name: "store: permanent not a bool", method: "PUT", path: "/v1/blobs?permanent=maybe", body: blob, want: 400},
		{name: "store: send_object_to malformed", method: "PUT", path: "/v1/blobs?send_object_to=0xZZ", body: blob, want: 400},
		{name: "store: unknown encoding", method: "PUT", path: "/v1/blobs?encoding_type=RS1", body: blob, want: 400},
		{name: "store: body oversized", method: "PUT", path: "/v1/blobs", body: make([]byte, 2<<20), want: 413},
		{name: "read: blob ID malformed", method: "GET", path: "/v1/blobs/not-an-id", want: 400},
		{name: "read: unknown blob", method: "GET", path: "/v1/blobs/" + unknown, want: 404},
		{name: "read: both consistency checks", method: "GET", path: "/v1/blobs/" + ids + "?strict_consistency_check=true&skip_consistency_check=true", want: 400},
		{name: "read: Range beyond the blob", method: "GET", path: "/v1/blobs/" + ids, header: http.Header{"Range": {"bytes=999999-"}}, want: 416},
		{name: "byte-range: start missing", method: "GET", path: "/v1/blobs/" + ids + "/byte-range?length=5", want: 400},
		{name: "byte-range: start negative", method: "GET", path: "/v1/blobs/" + ids + "/byte-range?start=-1&length=5", want: 400},
		{name: "byte-range: length 0", method: "GET", path: "/v1/blobs/" + ids + "/byte-range?start=0&length=0", want: 400},
		{name: "byte-range: beyond the blob", method: "GET", path: "/v1/blobs/" + ids + "/byte-range?start=40000&length=5"},
		{name: "by object: ID malformed", method: "GET", path: "/v1/blobs/by-object-id/0xZZ", want: 400},
		{name: "stream: blob ID malformed", method: "GET", path: "/v1alpha/blobs/xyz/stream", want: 400},
		{name: "unknown route", method: "GET", path: "/v2/anything", want: 404},
		{name: "wrong method", method: "POST", path: "/v1/blobs", want: 405},
	}
	sendBad(t, ts.Client(), ts.URL, reqs)
	// Still serving.
	resp, err := ts.Client().Do(mustRequest(t, "PUT", ts.URL+"/v1/blobs?epochs=2", randomBlob(71, 20_000)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("store after the bad requests: %s", resp.Status)
	}
	resp, err = ts.Client().Get(ts.URL + "/v1/blobs/" + ids)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, blob) {
		t.Fatalf("read after the bad requests: %s, %d bytes", resp.Status, len(got))
	}
}

func mustRequest(t *testing.T, method, url string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}
