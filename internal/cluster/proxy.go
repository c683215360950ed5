package cluster

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/walrus-go/walrus/crypto/netkey"
	"github.com/walrus-go/walrus/nodeapi"
)

// Proxy is a fault-injecting HTTPS proxy in front of one storage node. It
// listens on the node's registered (public) address with a certificate for
// the node's own network key, so clients and peers that pin the key accept
// it, and forwards each request to the node's hidden listen address over a
// pinned connection. Faults are set at run time: refuse connections, delay
// every answer, or corrupt the bodies of chosen routes' successful answers.
// It counts the response bytes it forwards per route kind.
type Proxy struct {
	addr     string
	upstream atomic.Pointer[string]
	client   *http.Client
	srv      *http.Server
	ln       net.Listener

	refuse  atomic.Bool
	delay   atomic.Int64 // nanoseconds
	corrupt atomic.Uint32

	connsMu sync.Mutex
	conns   map[net.Conn]struct{}

	bytesOut  [numRoutes]atomic.Int64
	requests  [numRoutes]atomic.Int64
	corrupted [numRoutes]atomic.Int64
}

// Route is a kind of request, as the proxy tells them apart.
type Route int

// Route kinds.
const (
	RouteSliver   Route = iota // GET …/slivers/{pair}/{type}
	RouteMetadata              // GET …/metadata
	RouteRecovery              // GET …/recoverySymbols
	RouteOther                 // everything else (uploads, status, health, …)
	numRoutes
)

func (r Route) String() string {
	return [...]string{"sliver", "metadata", "recoverySymbols", "other"}[r]
}

// classify returns the kind of a request.
func classify(r *http.Request) Route {
	if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/v1/blobs/") {
		return RouteOther
	}
	p := r.URL.Path
	switch {
	case strings.HasSuffix(p, "/recoverySymbols"):
		return RouteRecovery
	case strings.HasSuffix(p, "/metadata"):
		return RouteMetadata
	case strings.Contains(p, "/slivers/") && (strings.HasSuffix(p, "/primary") || strings.HasSuffix(p, "/secondary")):
		return RouteSliver
	}
	return RouteOther
}

// maxProxiedBody bounds a buffered response (a sliver of the largest blob
// the tests store, with room).
const maxProxiedBody = 256 << 20

// StartProxy listens on addr and forwards to upstream, a node serving TLS
// with key. It serves until Close.
func StartProxy(addr, upstream string, key *netkey.PrivateKey) (*Proxy, error) {
	host, _, _ := net.SplitHostPort(addr)
	cert, err := nodeapi.Certificate(key, host)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	p := &Proxy{
		addr: ln.Addr().String(), ln: ln, conns: map[net.Conn]struct{}{},
		client: &http.Client{Transport: nodeapi.PinnedTransport(key.PublicKey())},
	}
	p.upstream.Store(&upstream)
	p.srv = &http.Server{
		Handler: p, TLSConfig: nodeapi.ServerTLSConfig(cert), ReadHeaderTimeout: 10 * time.Second,
		ConnState: p.connState,
		// Refused and cut connections fail their TLS handshakes by design.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go func() { _ = p.srv.Serve(tls.NewListener(&refusingListener{Listener: ln, p: p}, p.srv.TLSConfig)) }()
	return p, nil
}

// SetUpstream makes the proxy forward to another address (the node moved).
func (p *Proxy) SetUpstream(addr string) {
	p.upstream.Store(&addr)
	p.closeConns()
}

// Addr is the proxy's address (the node's registered address).
func (p *Proxy) Addr() string { return p.addr }

// Close stops the proxy.
func (p *Proxy) Close() error {
	p.client.CloseIdleConnections()
	return p.srv.Close()
}

// Refuse makes the proxy drop every connection (new ones are closed
// right after accept, open ones are closed now) while on is true: to
// clients and peers the node is cut off.
func (p *Proxy) Refuse(on bool) {
	p.refuse.Store(on)
	if on {
		p.closeConns()
	}
}

// Delay holds every request for d before forwarding it (0: no delay).
func (p *Proxy) Delay(d time.Duration) { p.delay.Store(int64(d)) }

// Corrupt flips bytes in the bodies of the successful answers of the
// given routes (none: stop corrupting). The corruption keeps the body's
// length and framing (the BCS length prefixes at its start), so the reader
// has to notice it by verifying the content.
func (p *Proxy) Corrupt(routes ...Route) {
	var m uint32
	for _, r := range routes {
		m |= 1 << r
	}
	p.corrupt.Store(m)
}

// Heal clears every fault.
func (p *Proxy) Heal() {
	p.refuse.Store(false)
	p.delay.Store(0)
	p.corrupt.Store(0)
}

// BytesOut returns the response body bytes forwarded for a route kind.
func (p *Proxy) BytesOut(r Route) int64 { return p.bytesOut[r].Load() }

// Corrupted returns the answers of a route kind the proxy corrupted.
func (p *Proxy) Corrupted(r Route) int64 { return p.corrupted[r].Load() }

// Requests returns the requests forwarded for a route kind.
func (p *Proxy) Requests(r Route) int64 { return p.requests[r].Load() }

func (p *Proxy) connState(c net.Conn, s http.ConnState) {
	p.connsMu.Lock()
	defer p.connsMu.Unlock()
	switch s {
	case http.StateNew:
		p.conns[c] = struct{}{}
	case http.StateClosed, http.StateHijacked:
		delete(p.conns, c)
	}
}

func (p *Proxy) closeConns() {
	p.connsMu.Lock()
	defer p.connsMu.Unlock()
	for c := range p.conns {
		c.Close()
	}
	// The upstream side too, so that requests in flight end.
	p.client.CloseIdleConnections()
}

// refusingListener closes accepted connections while the proxy refuses.
type refusingListener struct {
	net.Listener
	p *Proxy
}

func (l *refusingListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil || !l.p.refuse.Load() {
			return c, err
		}
		c.Close()
	}
}

// hopHeaders are not forwarded.
var hopHeaders = map[string]bool{"Connection": true, "Keep-Alive": true, "Proxy-Connection": true,
	"Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true, "Content-Length": true}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route := classify(r)
	if d := time.Duration(p.delay.Load()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if p.refuse.Load() {
		// Cut while this request waited: answer nothing.
		panic(http.ErrAbortHandler)
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, "https://"+*p.upstream.Load()+r.URL.RequestURI(), r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.ContentLength = r.ContentLength
	for k, vs := range r.Header {
		if !hopHeaders[k] {
			req.Header[k] = vs
		}
	}
	resp, err := p.client.Do(req)
	if err != nil {
		// As a dead node: the connection ends without an answer.
		panic(http.ErrAbortHandler)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxProxiedBody+1))
	if err != nil || len(body) > maxProxiedBody {
		panic(http.ErrAbortHandler)
	}
	if resp.StatusCode == http.StatusOK && p.corrupt.Load()&(1<<route) != 0 {
		corruptBody(body)
		p.corrupted[route].Add(1)
	}
	for k, vs := range resp.Header {
		if !hopHeaders[k] {
			w.Header()[k] = vs
		}
	}
	w.WriteHeader(resp.StatusCode)
	n, _ := io.Copy(w, bytes.NewReader(body))
	p.bytesOut[route].Add(n)
	p.requests[route].Add(1)
}

// corruptBody flips bits inside b, away from the length prefixes at its
// start and the indices at its end: in a sliver its symbols, in metadata
// its hashes, in recovery symbols some symbols' data or proofs. The body
// still parses; only verifying its content shows the lie.
func corruptBody(b []byte) {
	if len(b) < 16 {
		return
	}
	for _, i := range []int{len(b) / 3, len(b) / 2, 3 * len(b) / 4} {
		b[i] ^= 0x5a
	}
}

// waitDial reports whether addr accepts TCP connections before ctx ends.
func waitDial(ctx context.Context, addr string) error {
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
