package daemon

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/walrus-go/walrus/chain"
	chainclient "github.com/walrus-go/walrus/chain/client"
	"github.com/walrus-go/walrus/client"
)

func TestParseRange(t *testing.T) {
	for _, c := range []struct {
		h          string
		size       int64
		ok         bool // a range is served
		err        bool // 416
		start, len int64
	}{
		{"", 10, false, false, 0, 0},
		{"bytes=0-4", 10, true, false, 0, 5},
		{"Bytes = 2-", 10, true, false, 2, 8},
		{"bytes=-3", 10, true, false, 7, 3},
		{"bytes=-30", 10, true, false, 0, 10},
		{"bytes=5-99999999999999999999999", 10, true, false, 5, 5},
		{"bytes=10-", 10, false, true, 0, 0},
		{"bytes=99999999999999999999999-", 10, false, true, 0, 0},
		{"bytes=-0", 10, false, true, 0, 0},
		{"bytes=0-", 0, false, true, 0, 0},
		{"bytes=-5", 0, false, false, 0, 0},
		{"bytes=4-3", 10, false, false, 0, 0},
		{"bytes=1-2,4-5", 10, false, false, 0, 0},
		{"bytes=+1-2", 10, false, false, 0, 0},
		{"bytes=1", 10, false, false, 0, 0},
		{"bytes=-", 10, false, false, 0, 0},
		{"lines=1-2", 10, false, false, 0, 0},
	} {
		r, err := parseRange(c.h, c.size)
		if (r != nil) != c.ok || (err != nil) != c.err || (r != nil && (r.start != c.start || r.length != c.len)) {
			t.Errorf("parseRange(%q, %d) = %+v, %v", c.h, c.size, r, err)
		}
	}
}

func TestParseStoreQuery(t *testing.T) {
	q, _ := url.ParseQuery("epochs=5&permanent=true&force=true&send_object_to=0x2a")
	if o, err := parseStoreQuery(url.Values{"reuse_resources": {"true"}}); err != nil || o.IgnoreResources {
		t.Fatalf("reuse_resources: %+v %v", o, err)
	}
	o, err := parseStoreQuery(q)
	if err != nil || o.Epochs != 5 || !o.Permanent || !o.Force || o.SendObjectTo == nil || o.SendObjectTo[31] != 0x2a || o.Share || !o.IgnoreResources {
		t.Fatalf("%+v %v", o, err)
	}
	o, err = parseStoreQuery(url.Values{})
	if err != nil || o.Epochs != 1 || o.Permanent || o.Force || o.SendObjectTo != nil {
		t.Fatalf("defaults %+v %v", o, err)
	}
	for _, s := range []string{"epochs=01", "epochs=", "permanent=", "deletable=1", "share=true&send_object_to=0x1", "send_object_to=0x"} {
		q, _ := url.ParseQuery(s)
		if _, err := parseStoreQuery(q); err == nil || err.Code != 400 {
			t.Errorf("%q accepted", s)
		}
	}
}

// FuzzParsers feeds arbitrary request parts to every parser: none may
// panic, and a range served must lie inside the blob.
func FuzzParsers(f *testing.F) {
	for _, s := range []string{"bytes=0-10", "bytes=-5", "bytes=3-", "epochs=2&permanent=true", "start=1&length=2",
		"send_object_to=0x1&share=false", "strict_consistency_check=true", "0x" + "ab", "W/\"x\", *", "%zz&;="} {
		f.Add(s, int64(100))
	}
	f.Fuzz(func(t *testing.T, s string, size int64) {
		if size < 0 {
			size = -(size + 1)
		}
		if r, err := parseRange(s, size); r != nil {
			if err != nil || r.start < 0 || r.length < 1 || r.start > size-r.length {
				t.Fatalf("parseRange(%q, %d) = %+v", s, size, r)
			}
		}
		if q, err := url.ParseQuery(s); err == nil {
			if o, err := parseStoreQuery(q); err == nil && (o.Epochs == 0 || (o.Share && o.SendObjectTo != nil)) {
				t.Fatalf("store query %q: %+v", s, o)
			}
			_, _ = parseReadQuery(q)
			if a, b, err := parseByteRangeQuery(q); err == nil && (a < 0 || b < 1 || b > math.MaxInt64) {
				t.Fatalf("byte-range query %q: %d %d", s, a, b)
			}
		}
		if id, err := parseBlobID(s); err == nil && id.String() != s {
			t.Fatalf("blob ID %q reads as %s", s, id)
		}
		_, _ = parseObjectID(s)
		_ = etagMatches(s, "etag")
		_ = validHeaderValue(s)
	})
}

// TestErrorMapping: each SDK error gets its status and reason.
func TestErrorMapping(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("client: reading blob X: %w", err) }
	for _, c := range []struct {
		err    error
		code   int
		reason string
	}{
		{wrap(client.ErrBlobNotFound), 404, ReasonBlobNotFound},
		{wrap(client.ErrBlobExpired), 404, ReasonBlobExpired},
		{wrap(client.ErrBlobInvalid), 404, ReasonBlobInvalid},
		{wrap(client.ErrObjectNotFound), 404, ReasonObjectNotFound},
		{wrap(client.ErrInvalidRange), 416, ReasonRangeNotSatisfy},
		{wrap(client.ErrNotEnoughNodes), 503, ReasonNotEnoughNodes},
		{wrap(context.DeadlineExceeded), 504, ReasonTimeout},
		{errors.New("other"), 500, ReasonInternal},
	} {
		if e := readError(c.err); e.Code != c.code || e.Reason != c.reason || !strings.Contains(e.Message, c.err.Error()) {
			t.Errorf("read error %v: %+v", c.err, e)
		}
	}
	for _, c := range []struct {
		err    error
		code   int
		reason string
	}{
		{wrap(client.ErrConfig), 400, ReasonInvalidParameter},
		{wrap(client.ErrTooLarge), 413, ReasonTooLarge},
		{wrap(client.ErrNotEnoughNodes), 504, ReasonNotEnoughNodes},
		{wrap(client.ErrEpochChanged), 504, ReasonNotEnoughNodes},
		{wrap(context.DeadlineExceeded), 504, ReasonTimeout},
		{wrap(chain.ErrInsufficientFunds), 500, ReasonInternal},
	} {
		if e := storeError(c.err); e.Code != c.code || e.Reason != c.reason {
			t.Errorf("store error %v: %+v", c.err, e)
		}
	}
}

// TestLimiter: one slot and one queue place; the third waiter is shed, a
// queued one gets the slot when it is released, or gives up after the
// queue timeout.
func TestLimiter(t *testing.T) {
	ctx := context.Background()
	l := newLimiter(1, 1, time.Hour)
	rel, err := l.acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan func(), 1)
	go func() {
		r, err := l.acquire(ctx)
		if err != nil {
			t.Errorf("queued: %v", err)
		}
		got <- r
	}()
	for l.waiting() != 1 {
		time.Sleep(time.Millisecond)
	}
	if _, err := l.acquire(ctx); err != errShed {
		t.Fatalf("third: %v", err)
	}
	rel()
	(<-got)()
	if l.inFlight() != 0 || l.waiting() != 0 {
		t.Fatalf("%d in flight, %d waiting", l.inFlight(), l.waiting())
	}

	l = newLimiter(1, 1, time.Millisecond)
	rel, _ = l.acquire(ctx)
	if _, err := l.acquire(ctx); err != errQueueTimeout {
		t.Fatalf("queue timeout: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	l.timeout = time.Hour
	if _, err := l.acquire(cctx); err == nil || err.Code != 499 {
		t.Fatalf("cancelled: %v", err)
	}
	rel()
}

// FuzzHandler sends arbitrary requests to the whole handler, with a client
// whose chain is not running (every read and store fails): no input may
// make a handler panic (the instrumentation would turn a panic into a 500
// "internal error", which the target treats as a failure).
func FuzzHandler(f *testing.F) {
	for _, s := range [][4]string{
		{"GET", "/v1/blobs/" + strings.Repeat("A", 43), "", "bytes=0-10"},
		{"GET", "/v1/blobs/" + strings.Repeat("A", 43) + "/byte-range", "start=0&length=5", ""},
		{"GET", "/v1/blobs/by-object-id/0x12", "strict_consistency_check=true", ""},
		{"HEAD", "/v1alpha/blobs/x/stream", "", ""},
		{"PUT", "/v1/blobs", "epochs=3&share=true", ""},
		{"PUT", "/v1/store", "send_object_to=0x1", ""},
		{"GET", "/v1/api", "", ""},
		{"GET", "/v1alpha/blobs/concat", "ids=" + strings.Repeat("A", 43) + ",0x1", ""},
		{"POST", "/v1alpha/blobs/concat", "", ""},
		{"POST", "/../v1//blobs/%2F", "%zz", "bytes=-"},
	} {
		f.Add(s[0], s[1], s[2], s[3], []byte("body"))
	}
	s := deadServer(f)
	h := s.Handler()
	f.Fuzz(func(t *testing.T, method, path, query, rng string, body []byte) {
		if !validMethod(method) || !strings.HasPrefix(path, "/") || strings.ContainsAny(path+query, " \r\n#?") {
			return
		}
		req := httptest.NewRequest(http.MethodGet, "/", bytes.NewReader(body))
		req.Method, req.URL.Path, req.URL.RawQuery, req.RequestURI = method, path, query, path+"?"+query
		req.Header.Set("Range", rng)
		req.Header.Set("If-None-Match", rng)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req.WithContext(ctx))
		if rec.Code == 500 && strings.Contains(rec.Body.String(), `"message":"internal error"`) {
			t.Fatalf("%s %s?%s: handler panicked", method, path, query)
		}
	})
}

func validMethod(m string) bool {
	switch m {
	case "GET", "HEAD", "PUT", "POST", "DELETE":
		return true
	}
	return false
}

// deadServer is a daemon whose client's chain does not answer.
func deadServer(t testing.TB) *Server {
	rpc, err := rpchttp.New("tcp://127.0.0.1:1", "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	cc, err := chainclient.New(chainclient.Config{RPC: rpc, ChainID: "none"})
	if err != nil {
		t.Fatal(err)
	}
	wallet := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	c, err := client.New(client.Config{Chain: cc, Wallet: wallet})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Client: c, Publisher: true, Aggregator: true, MaxBodySize: 100, QueueTimeout: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestKeyedLock: one holder per key, other keys free, a cancelled wait
// gives up, and entries go away with their last user.
func TestKeyedLock(t *testing.T) {
	var k keyedLock
	ctx := context.Background()
	a1, err := k.lock(ctx, [32]byte{1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := k.lock(ctx, [32]byte{2})
	if err != nil {
		t.Fatal(err)
	}
	b()
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := k.lock(cctx, [32]byte{1}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
	got := make(chan func())
	go func() {
		u, err := k.lock(ctx, [32]byte{1})
		if err != nil {
			t.Error(err)
		}
		got <- u
	}()
	select {
	case <-got:
		t.Fatal("two holders of one key")
	case <-time.After(20 * time.Millisecond):
	}
	a1()
	(<-got)()
	if len(k.locks) != 0 {
		t.Fatalf("%d entries left", len(k.locks))
	}
}

func TestReadBody(t *testing.T) {
	for _, c := range []struct {
		n, contentLength, limit int64
		ok                      bool
	}{
		{10, 10, 10, true},
		{10, -1, 10, true},
		{11, -1, 10, false},
		{0, 0, 10, true},
		{5, -1, math.MaxInt64, true},
		{5, 10, 10, false}, // shorter than announced
	} {
		got, err := readBody(bytes.NewReader(make([]byte, c.n)), c.contentLength, c.limit)
		if (err == nil) != c.ok || (c.ok && int64(len(got)) != c.n) {
			t.Errorf("%+v: %d bytes, %v", c, len(got), err)
		}
	}
}
