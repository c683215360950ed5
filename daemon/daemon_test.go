package daemon

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/walrus-go/walrus/chain"
	chainclient "github.com/walrus-go/walrus/chain/client"
	"github.com/walrus-go/walrus/client"
	"github.com/walrus-go/walrus/devnet"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/internal/testrand"
	"github.com/walrus-go/walrus/nodeapi"
)

func randomBlob(seed uint64, n int) []byte { return testrand.Bytes(seed, n) }

// testNet is a devnet, an SDK client with its wallet, and a daemon (both
// APIs) on a loopback httptest server.
type testNet struct {
	nw  *devnet.Network
	c   *client.Client
	ctx context.Context
	url string
	reg *prometheus.Registry
	srv *Server
}

func newTestNet(t testing.TB, cfg Config) *testNet {
	return newTestNetWith(t, cfg, devnet.Config{})
}

func newTestNetWith(t testing.TB, cfg Config, dcfg devnet.Config) *testNet {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	dcfg.Dir, dcfg.BlobSyncDelay = t.TempDir(), time.Hour
	nw, err := devnet.Start(ctx, dcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := nw.Close(); err != nil {
			t.Errorf("devnet close: %v", err)
		}
	})
	c, err := client.New(client.Config{Chain: nw.Chain(), Wallet: nw.Wallet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	tn := &testNet{nw: nw, c: c, ctx: ctx, reg: prometheus.NewRegistry()}
	cfg.Client, cfg.Registerer = c, tn.reg
	tn.srv, tn.url = serve(t, cfg)
	return tn
}

func serve(t testing.TB, cfg Config) (*Server, string) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return s, hs.URL
}

type answer struct {
	code   int
	header http.Header
	body   []byte
}

// reason is the ErrorInfo reason of an error answer ("" if none).
func (a answer) reason() string {
	var e errorBody
	if json.Unmarshal(a.body, &e) != nil || len(e.Error.Details) == 0 {
		return ""
	}
	return e.Error.Details[0].Reason
}

func (a answer) String() string {
	b := a.body
	if len(b) > 300 {
		b = b[:300]
	}
	return fmt.Sprintf("%d %q", a.code, b)
}

func do(t *testing.T, method, url string, body io.Reader, header ...string) answer {
	t.Helper()
	a, err := try(method, url, body, header...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// try makes a request; an error is a failed request or a cut answer.
func try(method, url string, body io.Reader, header ...string) (answer, error) {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return answer{}, err
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: reading the body: %w", method, url, err)
	}
	return answer{resp.StatusCode, resp.Header, b}, nil
}

// storeJSON is the part of a store answer the tests look at.
type storeJSON struct {
	NewlyCreated *struct {
		BlobObject struct {
			ID        string `json:"id"`
			BlobID    string `json:"blobId"`
			Size      uint64 `json:"size"`
			Deletable bool   `json:"deletable"`
			Storage   struct {
				EndEpoch uint32 `json:"endEpoch"`
			} `json:"storage"`
		} `json:"blobObject"`
		ResourceOperation map[string]json.RawMessage `json:"resourceOperation"`
		SharedBlobObject  string                     `json:"sharedBlobObject"`
	} `json:"newlyCreated"`
	AlreadyCertified *struct {
		BlobID   string          `json:"blobId"`
		EndEpoch uint32          `json:"endEpoch"`
		Object   string          `json:"object"`
		Event    json.RawMessage `json:"event"`
	} `json:"alreadyCertified"`
}

func put(t *testing.T, url string, data []byte, query string) storeJSON {
	t.Helper()
	a := do(t, http.MethodPut, url+"/v1/blobs"+query, bytes.NewReader(data))
	if a.code != http.StatusOK {
		t.Fatalf("store %d bytes%s: %v", len(data), query, a)
	}
	var s storeJSON
	if err := json.Unmarshal(a.body, &s); err != nil {
		t.Fatalf("store answer %s: %v", a.body, err)
	}
	return s
}

func TestDaemon(t *testing.T) {
	// Deadlines well below the test's own, so that a hung operation fails
	// with its error.
	tn := newTestNet(t, Config{Publisher: true, Aggregator: true, MaxBodySize: 80 << 20, StoreTimeout: 3 * time.Minute, ReadTimeout: 3 * time.Minute})
	url := tn.url

	t.Run("StoreAndRead", func(t *testing.T) {
		sizes := []int{0, 1, 1 << 20}
		if !testing.Short() {
			sizes = append(sizes, 64<<20)
		}
		for i, size := range sizes {
			blob := randomBlob(uint64(i+1), size)
			start := time.Now()
			res := put(t, url, blob, "?epochs=2")
			stored := time.Since(start)
			md, err := encoding.ComputeMetadata(blob, tn.nw.Shards())
			if err != nil {
				t.Fatal(err)
			}
			nc := res.NewlyCreated
			if nc == nil || nc.BlobObject.BlobID != md.BlobID.String() || nc.BlobObject.Size != uint64(size) || !nc.BlobObject.Deletable ||
				nc.BlobObject.Storage.EndEpoch != chain.GenesisEpoch+2 {
				t.Fatalf("store %d bytes: %+v", size, res)
			}
			start = time.Now()
			a := do(t, http.MethodGet, url+"/v1/blobs/"+md.BlobID.String(), nil)
			if a.code != http.StatusOK || !bytes.Equal(a.body, blob) {
				t.Fatalf("read %d bytes: %d, %d bytes, equal %v", size, a.code, len(a.body), bytes.Equal(a.body, blob))
			}
			t.Logf("%d bytes over HTTP: store %v, read %v", size, stored.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
			h := a.header
			if h.Get("ETag") != md.BlobID.String() || h.Get("Cache-Control") != cacheControl || h.Get("X-Content-Type-Options") != "nosniff" ||
				h.Get("Content-Length") != fmt.Sprint(size) {
				t.Fatalf("headers %v", h)
			}
			if _, ok := h["Content-Type"]; ok {
				t.Fatalf("Content-Type %q without Accept or Content-Type in the request", h.Get("Content-Type"))
			}
			st := do(t, http.MethodGet, url+"/v1alpha/blobs/"+md.BlobID.String()+"/stream", nil)
			if st.code != http.StatusOK || !bytes.Equal(st.body, blob) || st.header.Get("ETag") != md.BlobID.String() {
				t.Fatalf("stream %d bytes: %d, %d bytes", size, st.code, len(st.body))
			}
			hd := do(t, http.MethodHead, url+"/v1/blobs/"+md.BlobID.String(), nil)
			if hd.code != http.StatusOK || len(hd.body) != 0 || hd.header.Get("Content-Length") != fmt.Sprint(size) {
				t.Fatalf("HEAD: %v %v", hd, hd.header)
			}
		}
	})

	blob := randomBlob(99, 300_000)
	res := put(t, url, blob, "")
	id := res.NewlyCreated.BlobObject.BlobID
	objID := res.NewlyCreated.BlobObject.ID

	t.Run("Headers", func(t *testing.T) {
		for _, c := range []struct{ accept, ctype, want string }{
			{"text/plain", "", "text/plain"},
			{"image/*", "application/pdf", "application/pdf"},
			{"*/*", "", ""},
			{"", "video/mp4", "video/mp4"},
		} {
			var hdr []string
			if c.accept != "" {
				hdr = append(hdr, "Accept", c.accept)
			}
			if c.ctype != "" {
				hdr = append(hdr, "Content-Type", c.ctype)
			}
			a := do(t, http.MethodGet, url+"/v1/blobs/"+id, nil, hdr...)
			if a.code != 200 || a.header.Get("Content-Type") != c.want || !bytes.Equal(a.body, blob) {
				t.Fatalf("Accept %q, Content-Type %q: %d, Content-Type %q", c.accept, c.ctype, a.code, a.header.Get("Content-Type"))
			}
		}
		for _, inm := range []string{id, `"` + id + `"`, `W/"other", "` + id + `"`, "*"} {
			if a := do(t, http.MethodGet, url+"/v1/blobs/"+id, nil, "If-None-Match", inm); a.code != http.StatusNotModified || len(a.body) != 0 {
				t.Fatalf("If-None-Match %q: %v", inm, a)
			}
		}
		if a := do(t, http.MethodGet, url+"/v1/blobs/"+id, nil, "If-None-Match", `"other"`); a.code != 200 {
			t.Fatalf("If-None-Match other: %v", a)
		}
	})

	t.Run("Ranges", func(t *testing.T) {
		n := len(blob)
		for _, c := range []struct {
			rng        string
			code       int
			start, end int // served [start, end)
		}{
			{"bytes=0-0", 206, 0, 1},
			{"bytes=10-99", 206, 10, 100},
			{"bytes=1000-250000", 206, 1000, 250001}, // several rows
			{fmt.Sprintf("bytes=%d-", n-5), 206, n - 5, n},
			{"bytes=-100", 206, n - 100, n},
			{"bytes=-10000000", 206, 0, n},
			{fmt.Sprintf("bytes=5-%d", n+1000), 206, 5, n},
			{fmt.Sprintf("bytes=%d-", n), 416, 0, 0},
			{fmt.Sprintf("bytes=%d-%d", n+10, n+20), 416, 0, 0},
			{"bytes=-0", 416, 0, 0},
			{"bytes=0-1,5-6", 200, 0, n}, // multiple ranges: the whole blob
			{"bytes=9-3", 200, 0, n},     // malformed: ignored
			{"items=0-3", 200, 0, n},
		} {
			a := do(t, http.MethodGet, url+"/v1/blobs/"+id, nil, "Range", c.rng)
			if a.code != c.code {
				t.Fatalf("Range %q: %v", c.rng, a)
			}
			switch c.code {
			case 206:
				if !bytes.Equal(a.body, blob[c.start:c.end]) || a.header.Get("Content-Range") != fmt.Sprintf("bytes %d-%d/%d", c.start, c.end-1, n) {
					t.Fatalf("Range %q: Content-Range %q, %d bytes", c.rng, a.header.Get("Content-Range"), len(a.body))
				}
			case 200:
				if !bytes.Equal(a.body, blob) {
					t.Fatalf("Range %q: %d bytes", c.rng, len(a.body))
				}
			case 416:
				if a.header.Get("Content-Range") != fmt.Sprintf("bytes */%d", n) || a.reason() != ReasonRangeNotSatisfy {
					t.Fatalf("Range %q: %v %v", c.rng, a, a.header)
				}
			}
		}
		a := do(t, http.MethodGet, url+"/v1/blobs/"+id+"/byte-range?start=100&length=200000", nil)
		if a.code != 206 || !bytes.Equal(a.body, blob[100:200100]) {
			t.Fatalf("byte-range: %d, %d bytes", a.code, len(a.body))
		}
		a = do(t, http.MethodGet, url+"/v1/blobs/"+id+fmt.Sprintf("/byte-range?start=%d&length=100", n-10), nil)
		if a.code != 206 || !bytes.Equal(a.body, blob[n-10:]) {
			t.Fatalf("byte-range past the end: %d, %d bytes", a.code, len(a.body))
		}
		if a := do(t, http.MethodGet, url+"/v1/blobs/"+id+fmt.Sprintf("/byte-range?start=%d&length=1", n), nil); a.code != 416 {
			t.Fatalf("byte-range from the end: %v", a)
		}
		for _, q := range []string{"start=0", "length=5", "start=-1&length=5", "start=0&length=0", "start=x&length=1", "start=1&start=2&length=1"} {
			if a := do(t, http.MethodGet, url+"/v1/blobs/"+id+"/byte-range?"+q, nil); a.code != 400 || a.reason() != ReasonInvalidParameter {
				t.Fatalf("byte-range?%s: %v", q, a)
			}
		}
	})

	t.Run("ByObjectID", func(t *testing.T) {
		obj, perr := parseObjectID(objID)
		if perr != nil {
			t.Fatal(perr)
		}
		attrs := map[string]string{"content-type": "image/png", "Content-Disposition": "attachment; filename=\"x.png\"", "link": "</a>; rel=next", "x-secret": "no"}
		if err := tn.c.SetAttributes(tn.ctx, obj, attrs); err != nil {
			t.Fatal(err)
		}
		a := do(t, http.MethodGet, url+"/v1/blobs/by-object-id/"+objID, nil, "Accept", "text/plain")
		if a.code != 200 || !bytes.Equal(a.body, blob) {
			t.Fatalf("by object ID: %v", a)
		}
		h := a.header
		if h.Get("Content-Type") != "image/png" || h.Get("Content-Disposition") != attrs["Content-Disposition"] || h.Get("Link") != attrs["link"] ||
			h.Get("X-Secret") != "" || h.Get("ETag") != id {
			t.Fatalf("headers %v", h)
		}
		if a := do(t, http.MethodGet, url+"/v1/blobs/by-object-id/"+objID, nil, "Range", "bytes=5-9"); a.code != 206 || !bytes.Equal(a.body, blob[5:10]) {
			t.Fatalf("by object ID with a range: %v", a)
		}
		if a := do(t, http.MethodGet, url+"/v1/blobs/by-object-id/0x1234", nil); a.code != 404 || a.reason() != ReasonObjectNotFound {
			t.Fatalf("missing object: %v", a)
		}
		if a := do(t, http.MethodGet, url+"/v1/blobs/by-object-id/nothex", nil); a.code != 400 || a.reason() != ReasonInvalidObjectID {
			t.Fatalf("bad object ID: %v", a)
		}
	})

	t.Run("StoreOptions", func(t *testing.T) {
		// Already certified: the same blob again, for no longer.
		again := put(t, url, blob, "?epochs=1")
		if again.AlreadyCertified == nil || again.AlreadyCertified.BlobID != id || again.AlreadyCertified.EndEpoch != res.NewlyCreated.BlobObject.Storage.EndEpoch {
			t.Fatalf("store again: %+v", again)
		}
		if ac := again.AlreadyCertified; (ac.Object == "") == (ac.Event == nil) {
			t.Fatalf("alreadyCertified must name its event or its object: %+v", ac)
		}
		if a := do(t, http.MethodPut, url+"/v1/store", bytes.NewReader(blob)); a.code != 200 || !bytes.Contains(a.body, []byte(`"alreadyCertified"`)) {
			t.Fatalf("legacy route: %v", a)
		}
		perm := put(t, url, randomBlob(5, 5000), "?permanent=true&epochs=3")
		if perm.NewlyCreated == nil || perm.NewlyCreated.BlobObject.Deletable || perm.NewlyCreated.BlobObject.Storage.EndEpoch != chain.GenesisEpoch+3 {
			t.Fatalf("permanent: %+v", perm)
		}
		to := chain.Address{0x42}
		sent := put(t, url, randomBlob(6, 5000), "?send_object_to="+to.String())
		sentID, _ := parseObjectID(sent.NewlyCreated.BlobObject.ID)
		if info, err := tn.c.BlobByObjectID(tn.ctx, sentID); err != nil || info.Owner != to {
			t.Fatalf("send_object_to: %+v %v", info, err)
		}
		shared := put(t, url, randomBlob(7, 5000), "?share=true")
		if shared.NewlyCreated == nil || shared.NewlyCreated.SharedBlobObject == "" {
			t.Fatalf("share: %+v", shared)
		}
		if a := do(t, http.MethodGet, url+"/v1/blobs/by-object-id/"+shared.NewlyCreated.SharedBlobObject, nil); a.code != 200 || !bytes.Equal(a.body, randomBlob(7, 5000)) {
			t.Fatalf("shared blob by object ID: %v", a)
		}
		for _, q := range []string{"?permanent=true&deletable=true", "?share=true&send_object_to=0x1", "?epochs=0", "?epochs=abc", "?epochs=1&epochs=2",
			"?epochs=4294967296", "?send_object_to=0xzz", "?send_object_to=42", "?force=yes", "?encoding_type=RS1", "?epochs=1000"} {
			if a := do(t, http.MethodPut, url+"/v1/blobs"+q, strings.NewReader("x")); a.code != 400 || a.reason() != ReasonInvalidParameter {
				t.Fatalf("store%s: %v", q, a)
			}
		}
	})

	t.Run("Errors", func(t *testing.T) {
		missing, _ := encoding.ComputeMetadata([]byte("never stored"), tn.nw.Shards())
		for _, path := range []string{"/v1/blobs/", "/v1alpha/blobs/", "/v1/blobs/"} {
			suffix := map[string]string{"/v1alpha/blobs/": "/stream"}[path]
			if a := do(t, http.MethodGet, url+path+missing.BlobID.String()+suffix, nil); a.code != 404 || a.reason() != ReasonBlobNotFound ||
				a.header.Get("Content-Type") != "application/json" || a.header.Get("ETag") != "" {
				t.Fatalf("missing blob %s: %v %v", path, a, a.header)
			}
		}
		if a := do(t, http.MethodGet, url+"/v1/blobs/tooshort", nil); a.code != 400 || a.reason() != ReasonInvalidBlobID {
			t.Fatalf("bad blob ID: %v", a)
		}
		if a := do(t, http.MethodGet, url+"/v1/blobs/"+id+"?strict_consistency_check=true&skip_consistency_check=true", nil); a.code != 400 {
			t.Fatalf("both checks: %v", a)
		}
		for _, q := range []string{"strict_consistency_check=true", "skip_consistency_check=true"} {
			if a := do(t, http.MethodGet, url+"/v1/blobs/"+id+"?"+q, nil); a.code != 200 || !bytes.Equal(a.body, blob) {
				t.Fatalf("read with %s: %v", q, a)
			}
			if a := do(t, http.MethodGet, url+"/v1/blobs/"+id+"?"+q, nil, "Range", "bytes=70000-70999"); a.code != 206 || !bytes.Equal(a.body, blob[70000:71000]) {
				t.Fatalf("range read with %s: %v", q, a)
			}
		}
		for _, p := range []string{"/nothing", "/v1/blobs/a/b/c", "/v1/blobs/" + id + "/other"} {
			if a := do(t, http.MethodGet, url+p, nil); a.code != 404 || a.reason() != ReasonRouteNotFound {
				t.Fatalf("GET %s: %v", p, a)
			}
		}
		if a := do(t, http.MethodPost, url+"/v1/blobs/"+id, nil); a.code != 405 || a.reason() != ReasonMethodNotAllowed || a.header.Get("Allow") == "" {
			t.Fatalf("POST to a blob: %v", a)
		}
	})

	t.Run("Concat", func(t *testing.T) {
		b := randomBlob(40, 70_000)
		rb := put(t, url, b, "")
		idB, objB := rb.NewlyCreated.BlobObject.BlobID, rb.NewlyCreated.BlobObject.ID
		// The empty blob (StoreAndRead stored it).
		emd, err := encoding.ComputeMetadata(nil, tn.nw.Shards())
		if err != nil {
			t.Fatal(err)
		}
		idE := emd.BlobID.String()
		obj, perr := parseObjectID(objB)
		if perr != nil {
			t.Fatal(perr)
		}
		if err := tn.c.SetAttributes(tn.ctx, obj, map[string]string{"content-type": "text/csv", "x-other": "no"}); err != nil {
			t.Fatal(err)
		}
		etag := func(ids ...string) string {
			s := sha256.Sum256([]byte(strings.Join(ids, ",")))
			return base64.RawURLEncoding.EncodeToString(s[:])
		}
		want := append(append([]byte(nil), blob...), b...)
		a := do(t, http.MethodGet, url+"/v1alpha/blobs/concat?ids="+id+","+idE+","+idB, nil)
		if a.code != 200 || !bytes.Equal(a.body, want) || a.header.Get("Content-Length") != fmt.Sprint(len(want)) ||
			a.header.Get("ETag") != etag(id, idE, idB) || a.header.Get("Cache-Control") != cacheControl {
			t.Fatalf("GET concat: %d, %d bytes, headers %v", a.code, len(a.body), a.header)
		}
		// Spaces and empty IDs are dropped, a blob may come twice.
		a = do(t, http.MethodGet, url+"/v1alpha/blobs/concat?ids=%20"+idB+"%20,,"+idB, nil)
		if a.code != 200 || !bytes.Equal(a.body, append(append([]byte(nil), b...), b...)) || a.header.Get("ETag") != etag(idB, idB) {
			t.Fatalf("GET concat twice: %d, %d bytes", a.code, len(a.body))
		}
		// POST, an object ID first: its allowed attributes become headers.
		body := fmt.Sprintf(`{"ids":[%q,%q],"skip_consistency_check":true}`, objB, id)
		a = do(t, http.MethodPost, url+"/v1alpha/blobs/concat", strings.NewReader(body))
		if a.code != 200 || !bytes.Equal(a.body, append(append([]byte(nil), b...), blob...)) || a.header.Get("Content-Type") != "text/csv" ||
			a.header.Get("X-Other") != "" || a.header.Get("ETag") != etag(objB, id) {
			t.Fatalf("POST concat: %d, %d bytes, headers %v", a.code, len(a.body), a.header)
		}
		if a := do(t, http.MethodGet, url+"/v1alpha/blobs/concat?strict_consistency_check=true&ids="+idB+","+id, nil); a.code != 200 ||
			!bytes.Equal(a.body, append(append([]byte(nil), b...), blob...)) {
			t.Fatalf("strict concat: %v", a)
		}
		if a := do(t, http.MethodHead, url+"/v1alpha/blobs/concat?ids="+id+","+idB, nil); a.code != 200 || len(a.body) != 0 ||
			a.header.Get("Content-Length") != fmt.Sprint(len(want)) {
			t.Fatalf("HEAD concat: %v %v", a, a.header)
		}
		if a := do(t, http.MethodGet, url+"/v1alpha/blobs/concat?ids="+id+","+idB, nil, "If-None-Match", `"`+etag(id, idB)+`"`); a.code != 304 {
			t.Fatalf("If-None-Match: %v", a)
		}
		missing, _ := encoding.ComputeMetadata([]byte("never stored either"), tn.nw.Shards())
		many := strings.TrimSuffix(strings.Repeat(idB+",", DefaultMaxConcatIDs+1), ",")
		for _, c := range []struct {
			method, query, body string
			code                int
			reason              string
		}{
			{"GET", "", "", 400, ReasonInvalidParameter},
			{"GET", "ids=", "", 400, ReasonInvalidParameter},
			{"GET", "ids=" + idB + "&ids=" + idB, "", 400, ReasonInvalidParameter},
			{"GET", "ids=" + idB + ",nope", "", 400, ReasonInvalidBlobID},
			{"GET", "ids=" + idB + "&color=red", "", 400, ReasonInvalidParameter},
			{"GET", "ids=" + idB + "&strict_consistency_check=true&skip_consistency_check=true", "", 400, ReasonInvalidParameter},
			{"GET", "ids=" + many, "", 400, ReasonInvalidParameter},
			{"GET", "ids=" + idB + "," + missing.BlobID.String(), "", 404, ReasonBlobNotFound},
			{"GET", "ids=0x1234," + idB, "", 404, ReasonObjectNotFound},
			{"POST", "", `{"ids":["` + idB + `"],"other":1}`, 400, ReasonInvalidParameter},
			{"POST", "", `{"ids":[]}`, 400, ReasonInvalidParameter},
			{"POST", "", `{}`, 400, ReasonInvalidParameter},
			{"POST", "", `{"ids":"` + idB + `"}`, 400, ReasonInvalidParameter},
			{"POST", "", `{"ids":["` + idB + `"]} []`, 400, ReasonInvalidParameter},
			{"POST", "", `{"ids":["` + strings.Repeat("A", DefaultMaxConcatBodySize) + `"]}`, 413, ReasonTooLarge},
			{"PUT", "", "", 405, ReasonMethodNotAllowed},
		} {
			a := do(t, c.method, url+"/v1alpha/blobs/concat?"+c.query, strings.NewReader(c.body))
			if a.code != c.code || a.reason() != c.reason || a.header.Get("ETag") != "" {
				t.Errorf("%s concat?%.60s %.60s: %v", c.method, c.query, c.body, a)
			}
		}
		a = do(t, http.MethodGet, url+"/v1alpha/blobs/concat?ids="+idB+","+missing.BlobID.String(), nil)
		if !strings.Contains(string(a.body), missing.BlobID.String()) {
			t.Errorf("the 404 does not name the missing blob: %s", a.body)
		}
	})

	t.Run("ConcatCutMidStream", func(t *testing.T) {
		// A concat whose second blob is deleted while the first is being
		// sent: the answer started (200 and a Content-Length), so the
		// connection is cut; the bytes received are a prefix of the right
		// ones. The first blob is larger than the loopback socket buffers,
		// so the server is still writing it when the client stops reading.
		big := randomBlob(41, 24<<20)
		small := randomBlob(42, 10_000)
		idBig := put(t, url, big, "").NewlyCreated.BlobObject.BlobID
		idSmall, err := encoding.ParseBlobID(put(t, url, small, "").NewlyCreated.BlobObject.BlobID)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(url + "/v1alpha/blobs/concat?ids=" + idBig + "," + idSmall.String())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 || resp.ContentLength != int64(len(big)+len(small)) {
			t.Fatalf("concat: %d, Content-Length %d", resp.StatusCode, resp.ContentLength)
		}
		head := make([]byte, 1000)
		if _, err := io.ReadFull(resp.Body, head); err != nil || !bytes.Equal(head, big[:1000]) {
			t.Fatalf("first bytes: %v", err)
		}
		if _, err := tn.c.Delete(tn.ctx, idSmall); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(time.Minute)
		for {
			a, err := try(http.MethodGet, url+"/v1/blobs/"+idSmall.String(), nil)
			if err == nil && a.code == 404 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the deleted blob still reads: %v %v", a, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		rest, err := io.ReadAll(resp.Body)
		got := append(head, rest...)
		if err == nil || len(got) >= len(big)+len(small) {
			t.Fatalf("the answer was not cut: %d bytes, %v", len(got), err)
		}
		if !bytes.Equal(got, append(big, small...)[:len(got)]) {
			t.Fatalf("the %d bytes received are not a prefix of the blobs", len(got))
		}
		t.Logf("cut after %d of %d bytes: %v", len(got), len(big)+len(small), err)
	})

	t.Run("BurnAfterStore", func(t *testing.T) {
		_, bu := serve(t, Config{Client: tn.c, Publisher: true, Aggregator: true, BurnAfterStore: true})
		// newObject stores data and returns the new Blob object's ID and
		// the blob ID.
		newObject := func(query string, data []byte) (chain.ObjectID, string) {
			t.Helper()
			a := do(t, http.MethodPut, bu+"/v1/blobs"+query, bytes.NewReader(data))
			var res struct {
				NewlyCreated *struct {
					BlobObject struct {
						ID             string  `json:"id"`
						BlobID         string  `json:"blobId"`
						CertifiedEpoch *uint32 `json:"certifiedEpoch"`
					} `json:"blobObject"`
				} `json:"newlyCreated"`
			}
			if a.code != 200 || json.Unmarshal(a.body, &res) != nil || res.NewlyCreated == nil || res.NewlyCreated.BlobObject.CertifiedEpoch == nil {
				t.Fatalf("store%s with burn-after-store: %v", query, a)
			}
			id, err := nodeapi.ParseObjectID(res.NewlyCreated.BlobObject.ID)
			if err != nil {
				t.Fatal(err)
			}
			return chain.ObjectID(id), res.NewlyCreated.BlobObject.BlobID
		}
		data := randomBlob(45, 3000)
		obj, blobID := newObject("?epochs=2", data)
		if _, err := tn.nw.Chain().Object(tn.ctx, obj); err == nil {
			t.Fatal("the Blob object was not burned")
		}
		if a := do(t, http.MethodGet, bu+"/v1/blobs/"+blobID, nil); a.code != 200 || !bytes.Equal(a.body, data) {
			t.Fatalf("read of the burned blob: %v", a)
		}
		// A store that sends the object keeps it (for the recipient).
		to := chain.Address{0x44}
		obj, _ = newObject("?send_object_to="+to.String(), randomBlob(46, 3000))
		if o, err := tn.nw.Chain().Object(tn.ctx, obj); err != nil || o.Owner != to {
			t.Fatalf("the sent object: %+v %v", o, err)
		}
	})

	t.Run("AuthenticatedPublisher", func(t *testing.T) {
		_, au := serve(t, Config{Client: tn.c, Publisher: true, Aggregator: true,
			Auth: &AuthConfig{Secret: "0x" + hex.EncodeToString(testSecret), VerifyUpload: true}})
		exp := time.Now().Add(10 * time.Minute).Unix()
		to := chain.Address{0x42}
		storeWith := func(query string, body io.Reader, hdr ...string) answer {
			return do(t, http.MethodPut, au+"/v1/blobs"+query, body, hdr...)
		}
		auth := func(tok string) []string { return []string{"Authorization", "Bearer " + tok} }
		data := randomBlob(43, 500)

		a := storeWith("", bytes.NewReader(data))
		if a.code != 401 || a.reason() != ReasonMissingToken || a.header.Get("WWW-Authenticate") == "" {
			t.Fatalf("no token: %v %v", a, a.header)
		}
		if a := do(t, http.MethodPut, au+"/v1/store", bytes.NewReader(data)); a.code != 401 {
			t.Fatalf("legacy route without a token: %v", a)
		}
		forged := makeToken(t, "HS256", map[string]any{"exp": exp, "jti": "forged"}, hmacSigner(sha256.New, []byte("guess")))
		if a := storeWith("", bytes.NewReader(data), auth(forged)...); a.code != 401 || a.reason() != ReasonInvalidSignature {
			t.Fatalf("forged token: %v", a)
		}
		if a := storeWith("", bytes.NewReader(data), auth(makeToken(t, "none", map[string]any{"exp": exp, "jti": "none"}, nil))...); a.code != 401 {
			t.Fatalf("alg none: %v", a)
		}
		old := hs256(t, map[string]any{"exp": time.Now().Add(-time.Hour).Unix(), "jti": "old"})
		if a := storeWith("", bytes.NewReader(data), auth(old)...); a.code != 401 || a.reason() != ReasonExpiredSignature {
			t.Fatalf("expired token: %v", a)
		}

		// A token for 2 epochs, to 0x42, at most 1000 bytes: requests it does
		// not allow are refused before the body, and do not spend it.
		tok := hs256(t, map[string]any{"exp": exp, "jti": "store-1", "epochs": 2, "send_object_to": to.String(), "max_size": 1000})
		for _, c := range []struct {
			query  string
			size   int
			reason string
		}{
			{"?epochs=1&send_object_to=" + to.String(), 500, ReasonInvalidEpochs},
			{"?epochs=2", 500, ReasonMissingSendObjectTo},
			{"?epochs=2&send_object_to=0x43", 500, ReasonInvalidSendObjectTo},
			{"?epochs=2&send_object_to=" + to.String(), 2000, ReasonMaxSizeExceeded},
		} {
			if a := storeWith(c.query, bytes.NewReader(randomBlob(44, c.size)), auth(tok)...); a.code != 400 || a.reason() != c.reason {
				t.Fatalf("store%s of %d bytes: %v", c.query, c.size, a)
			}
		}
		a = storeWith("?epochs=2&send_object_to="+to.String(), bytes.NewReader(data), auth(tok)...)
		var res storeJSON
		if a.code != 200 || json.Unmarshal(a.body, &res) != nil || res.NewlyCreated == nil || res.NewlyCreated.BlobObject.Storage.EndEpoch != chain.GenesisEpoch+2 {
			t.Fatalf("authorized store: %v", a)
		}
		objID, _ := parseObjectID(res.NewlyCreated.BlobObject.ID)
		if info, err := tn.c.BlobByObjectID(tn.ctx, objID); err != nil || info.Owner != to {
			t.Fatalf("the Blob object went to %v (%v), not %s", info, err, to)
		}
		// Single use.
		if a := storeWith("?epochs=2&send_object_to="+to.String(), bytes.NewReader(data), auth(tok)...); a.code != 401 || a.reason() != ReasonTokenAlreadyUsed {
			t.Fatalf("token reused: %v", a)
		}
		// A body without Content-Length is read no further than the token's
		// size allows; the token is spent (its body was read).
		sized := hs256(t, map[string]any{"exp": exp, "jti": "store-2", "size": 100})
		req, _ := http.NewRequest(http.MethodPut, au+"/v1/blobs", io.MultiReader(bytes.NewReader(make([]byte, 150))))
		req.ContentLength = -1
		req.Header.Set("Authorization", "Bearer "+sized)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		rb, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if a := (answer{resp.StatusCode, resp.Header, rb}); a.code != 400 || a.reason() != ReasonInvalidSize {
			t.Fatalf("chunked body over the token's size: %v", a)
		}
		if a := storeWith("", bytes.NewReader(make([]byte, 100)), auth(sized)...); a.code != 401 || a.reason() != ReasonTokenAlreadyUsed {
			t.Fatalf("token spent on a refused body: %v", a)
		}
		// The aggregator's routes need no token; the API description says
		// how to authenticate.
		if a := do(t, http.MethodGet, au+"/v1/blobs/"+res.NewlyCreated.BlobObject.BlobID, nil); a.code != 200 || !bytes.Equal(a.body, data) {
			t.Fatalf("read from the authenticated daemon: %v", a)
		}
		if a := do(t, http.MethodGet, au+"/v1/api", nil); a.code != 200 || !strings.Contains(string(a.body), "bearerJWT") {
			t.Fatalf("api: %v", a)
		}
		var st Status
		if a := do(t, http.MethodGet, au+"/status", nil); a.code != 200 || json.Unmarshal(a.body, &st) != nil || !st.Authenticated {
			t.Fatalf("status: %v", a)
		}
	})

	t.Run("DeleteThenRead", func(t *testing.T) {
		data := randomBlob(8, 20_000)
		r := put(t, url, data, "")
		bid, err := encoding.ParseBlobID(r.NewlyCreated.BlobObject.BlobID)
		if err != nil {
			t.Fatal(err)
		}
		// Read first: the aggregator now knows its size.
		if a := do(t, http.MethodGet, url+"/v1/blobs/"+bid.String(), nil); a.code != 200 || !bytes.Equal(a.body, data) {
			t.Fatalf("read before delete: %v", a)
		}
		if _, err := tn.c.Delete(tn.ctx, bid); err != nil {
			t.Fatal(err)
		}
		// The nodes drop the blob when they see the deletion event; a read
		// meanwhile may be cut short (some nodes served rows, then the rest
		// were gone): the aggregator aborts that answer.
		deadline := time.Now().Add(30 * time.Second)
		for {
			a, err := try(http.MethodGet, url+"/v1/blobs/"+bid.String(), nil)
			if err == nil && a.code == 404 && a.reason() == ReasonBlobNotFound {
				break
			}
			if err == nil && a.code == 200 && !bytes.Equal(a.body, data) {
				t.Fatalf("read during the deletion: wrong bytes")
			}
			if time.Now().After(deadline) {
				t.Fatalf("read after delete: %v %v", a, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		for _, c := range []struct{ method, rng string }{{"GET", "bytes=1-5"}, {"HEAD", ""}, {"GET", ""}} {
			a := do(t, c.method, url+"/v1/blobs/"+bid.String(), nil, "Range", c.rng)
			if a.code != 404 || a.header.Get("Content-Length") == fmt.Sprint(len(data)) || (c.method == "GET" && a.reason() != ReasonBlobNotFound) {
				t.Fatalf("%s (Range %q) after delete: %v %v", c.method, c.rng, a, a.header)
			}
		}
		if a := do(t, http.MethodGet, url+"/v1/blobs/by-object-id/"+r.NewlyCreated.BlobObject.ID, nil); a.code != 404 || a.reason() != ReasonObjectNotFound {
			t.Fatalf("deleted object: %v", a)
		}
		// The deletion gave the storage back to the publisher's wallet: a
		// store uses it only with reuse_resources=true.
		fresh := put(t, url, randomBlob(9, 10_000), "")
		if _, ok := fresh.NewlyCreated.ResourceOperation["registerFromScratch"]; !ok {
			t.Fatalf("default store: %+v", fresh.NewlyCreated.ResourceOperation)
		}
		reused := put(t, url, randomBlob(10, 10_000), "?reuse_resources=true")
		if _, ok := reused.NewlyCreated.ResourceOperation["reuseStorage"]; !ok {
			t.Fatalf("store with reuse_resources: %+v", reused.NewlyCreated.ResourceOperation)
		}
	})

	t.Run("StatusAPIMetrics", func(t *testing.T) {
		a := do(t, http.MethodGet, url+"/status", nil)
		var st Status
		if a.code != 200 || json.Unmarshal(a.body, &st) != nil || !st.Publisher || !st.Aggregator || st.Nodes != 4 || st.Shards != 100 ||
			st.Epoch < chain.GenesisEpoch || st.Error != "" || st.Wallet != tn.c.Address().String() {
			t.Fatalf("status: %v", a)
		}
		a = do(t, http.MethodGet, url+"/v1/api", nil)
		var doc struct {
			Paths map[string]map[string]any `json:"paths"`
		}
		if a.code != 200 || json.Unmarshal(a.body, &doc) != nil || doc.Paths["/v1/blobs"]["put"] == nil || doc.Paths["/v1/blobs/{blob_id}/byte-range"]["get"] == nil {
			t.Fatalf("api: %v", a)
		}
		mfs, err := tn.reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]float64{}
		for _, mf := range mfs {
			if mf.GetName() != "walrus_daemon_http_requests_total" {
				continue
			}
			for _, m := range mf.GetMetric() {
				labels := map[string]string{}
				for _, l := range m.GetLabel() {
					labels[l.GetName()] = l.GetValue()
				}
				counts[labels["route"]+" "+labels["status"]] += m.GetCounter().GetValue()
			}
		}
		for _, k := range []string{routeStore + " 200", routeStore + " 400", routeBlob + " 200", routeBlob + " 206", routeBlob + " 416",
			routeByObject + " 200", routeByteRange + " 206", routeStream + " 200", routeBlob + " 404", routeUnknown + " 404"} {
			if counts[k] == 0 {
				t.Errorf("no request counted for %q: %v", k, counts)
			}
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		// Parallel stores and reads (more than MaxConcurrentRequests: some
		// queue) all succeed, half of the stores allowed to use the
		// wallet's storage resources (the SDK gives each to one store).
		const n = 12
		blobs := make([][]byte, n)
		ids := make([]string, n)
		errs := make(chan error, 2*n)
		var wg sync.WaitGroup
		for i := range n {
			blobs[i] = randomBlob(uint64(500+i), 10_000+i)
			wg.Go(func() {
				query := ""
				if i%2 == 1 {
					query = "?reuse_resources=true"
				}
				resp, err := http.DefaultClient.Do(mustPut(t, url+"/v1/blobs"+query, blobs[i]))
				if err != nil {
					errs <- err
					return
				}
				defer resp.Body.Close()
				body, err := io.ReadAll(resp.Body)
				var s storeJSON
				if err != nil || resp.StatusCode != 200 || json.Unmarshal(body, &s) != nil || s.NewlyCreated == nil {
					errs <- fmt.Errorf("store %d: %d %s %v", i, resp.StatusCode, body, err)
					return
				}
				ids[i] = s.NewlyCreated.BlobObject.BlobID
			})
		}
		// The same bytes stored four times at once: one store creates the
		// blob, the others find it certified.
		same := randomBlob(600, 30_000)
		results := make(chan storeJSON, 4)
		for range 4 {
			wg.Go(func() {
				a := do(t, http.MethodPut, url+"/v1/blobs", bytes.NewReader(same))
				var s storeJSON
				if a.code != 200 || json.Unmarshal(a.body, &s) != nil {
					errs <- fmt.Errorf("same blob: %v", a)
				}
				results <- s
			})
		}
		wg.Wait()
		close(results)
		created := 0
		for s := range results {
			if s.NewlyCreated != nil {
				created++
			}
		}
		if created != 1 {
			t.Errorf("the same blob stored at once 4 times: %d newly created", created)
		}
		for i := range n {
			wg.Go(func() {
				resp, err := http.Get(url + "/v1/blobs/" + ids[i])
				if err != nil {
					errs <- err
					return
				}
				defer resp.Body.Close()
				got, err := io.ReadAll(resp.Body)
				if err != nil || resp.StatusCode != 200 || !bytes.Equal(got, blobs[i]) {
					errs <- fmt.Errorf("read %d: %d %v", i, resp.StatusCode, err)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})

	t.Run("Limits", func(t *testing.T) {
		// A small publisher on the same client: 413 with or without a
		// Content-Length, and load shedding with one slot and one queued.
		_, small := serve(t, Config{Client: tn.c, Publisher: true, MaxBodySize: 1000, MaxConcurrentRequests: 1, MaxQueuedRequests: 1})
		if a := do(t, http.MethodPut, small+"/v1/blobs", bytes.NewReader(make([]byte, 1001))); a.code != 413 || a.reason() != ReasonTooLarge {
			t.Fatalf("over the limit: %v", a)
		}
		req, _ := http.NewRequest(http.MethodPut, small+"/v1/blobs", io.MultiReader(bytes.NewReader(make([]byte, 5000))))
		req.ContentLength = -1
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 413 {
			t.Fatalf("chunked over the limit: %d", resp.StatusCode)
		}
		if a := do(t, http.MethodGet, small+"/v1/blobs/"+id, nil); a.code != 404 || a.reason() != ReasonRouteNotFound {
			t.Fatalf("aggregator route on a publisher: %v", a)
		}

		// Two stores whose bodies never finish: one holds the slot, one
		// waits; the third is shed.
		type pending struct {
			w    *io.PipeWriter
			done chan int
		}
		start := func() pending {
			pr, pw := io.Pipe()
			p := pending{pw, make(chan int, 1)}
			req, _ := http.NewRequest(http.MethodPut, small+"/v1/blobs", pr)
			req.ContentLength = -1
			go func() {
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					p.done <- -1
					return
				}
				resp.Body.Close()
				p.done <- resp.StatusCode
			}()
			return p
		}
		waitStatus := func(inFlight, queued int) {
			t.Helper()
			deadline := time.Now().Add(time.Minute)
			for !time.Now().After(deadline) {
				var st Status
				a := do(t, http.MethodGet, small+"/status", nil)
				if json.Unmarshal(a.body, &st) == nil && st.StoresInFlight == inFlight && st.StoresQueued == queued {
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
			t.Fatalf("never %d stores in flight and %d queued", inFlight, queued)
		}
		p1 := start()
		defer p1.w.Close()
		waitStatus(1, 0)
		p2 := start()
		defer p2.w.Close()
		waitStatus(1, 1)
		a := do(t, http.MethodPut, small+"/v1/blobs", strings.NewReader("x"))
		if a.code != http.StatusTooManyRequests || a.reason() != ReasonOverloaded || a.header.Get("Retry-After") == "" {
			t.Fatalf("third store: %v", a)
		}
		// The first body fails (the client drops the connection): its slot
		// goes to the second.
		p1.w.CloseWithError(io.ErrUnexpectedEOF)
		<-p1.done
		waitStatus(1, 0)
		p2.w.CloseWithError(io.ErrUnexpectedEOF)
		<-p2.done
		waitStatus(0, 0)
	})
}

// TestConfig checks New's validation.
func TestConfig(t *testing.T) {
	// A client of a chain that is not running: New must not need it.
	rpc, err := rpchttp.New("tcp://127.0.0.1:1", "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	cc, err := chainclient.New(chainclient.Config{RPC: rpc, ChainID: "none"})
	if err != nil {
		t.Fatal(err)
	}
	ro, err := client.New(client.Config{Chain: cc})
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []Config{
		{Publisher: true},
		{Client: ro},
		{Client: ro, Publisher: true}, // no wallet
		{Client: ro, Aggregator: true, MaxConcurrentReads: -1},
		{Client: ro, Aggregator: true, AllowedHeaders: []string{"content-type", "bad header"}},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	s, err := New(Config{Client: ro, Aggregator: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.cfg.MaxConcurrentReads != DefaultMaxConcurrentReads || s.cfg.MaxBodySize != DefaultMaxBodySize || len(s.allowed) != len(DefaultAllowedHeaders) {
		t.Fatalf("defaults %+v", s.cfg)
	}
}

// TestPanic: a handler's panic answers 500 before the header, and aborts the
// answer after it.
func TestPanic(t *testing.T) {
	s := &Server{cfg: Config{}.WithDefaults(), metrics: newMetrics()}
	h := s.instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/late" {
			w.WriteHeader(200)
			_, _ = w.Write([]byte("partial"))
		}
		var m map[string]int
		m["x"]++ // nil map: panics
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/early", nil))
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), ReasonInternal) {
		t.Fatalf("early panic: %d %s", rec.Code, rec.Body)
	}
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Fatalf("late panic: recovered %v", p)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/late", nil))
	t.Fatal("no panic after the header")
}

// TestExpired: once its storage period ended, a blob reads as 404 with the
// reason BLOB_EXPIRED, by blob ID and by object ID.
func TestExpired(t *testing.T) {
	tn := newTestNetWith(t, Config{Publisher: true, Aggregator: true}, devnet.Config{Shards: 20, EpochDuration: 2 * time.Second})
	blob := randomBlob(31, 5000)
	res := put(t, tn.url, blob, "?epochs=1")
	id, obj := res.NewlyCreated.BlobObject.BlobID, res.NewlyCreated.BlobObject.ID
	if a := do(t, http.MethodGet, tn.url+"/v1/blobs/"+id, nil); a.code != 200 || !bytes.Equal(a.body, blob) {
		t.Fatalf("read before expiry: %v", a)
	}
	end := res.NewlyCreated.BlobObject.Storage.EndEpoch
	deadline := time.Now().Add(2 * time.Minute)
	for {
		n, err := tn.c.Network(tn.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n.Epoch > end {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still epoch %d, the blob ends at %d", n.Epoch, end)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, p := range []string{"/v1/blobs/" + id, "/v1/blobs/by-object-id/" + obj, "/v1alpha/blobs/" + id + "/stream"} {
		if a := do(t, http.MethodGet, tn.url+p, nil); a.code != 404 || a.reason() != ReasonBlobExpired {
			t.Fatalf("GET %s after expiry: %v", p, a)
		}
	}
}
