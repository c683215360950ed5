package cluster

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/walrus-go/walrus/crypto/netkey"
	"github.com/walrus-go/walrus/nodeapi"
)

// upstream serves body on every path over TLS with key, like a node.
func upstream(t *testing.T, key *netkey.PrivateKey, body []byte, hits *atomic.Int64) string {
	t.Helper()
	cert, err := nodeapi.Certificate(key, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{TLSConfig: nodeapi.ServerTLSConfig(cert), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Method == http.MethodPut {
			b, _ := io.ReadAll(r.Body)
			w.WriteHeader(http.StatusCreated)
			w.Write(b)
			return
		}
		w.Write(body)
	})}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// TestProxy: the proxy is accepted by clients pinned to the node's key,
// passes requests and bodies through, and injects each fault on demand.
func TestProxy(t *testing.T) {
	key, err := netkey.Generate()
	if err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("0123456789abcdef"), 64)
	var hits atomic.Int64
	up := upstream(t, key, body, &hits)
	p, err := StartProxy("127.0.0.1:0", up, key)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	hc := &http.Client{Transport: nodeapi.PinnedTransport(key.PublicKey()), Timeout: 10 * time.Second}
	sliver := "https://" + p.Addr() + "/v1/blobs/x/slivers/3/primary"
	get := func(url string) ([]byte, error) {
		resp, err := hc.Get(url)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		return io.ReadAll(resp.Body)
	}

	if got, err := get(sliver); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("pass-through: %v", err)
	}
	resp, err := hc.Post("https://"+p.Addr()+"/v1/blobs/x/inconsistencyProof/primary", "application/octet-stream", bytes.NewReader([]byte("up")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if p.BytesOut(RouteSliver) != int64(len(body)) || p.Requests(RouteOther) != 1 {
		t.Fatalf("counters: %d sliver bytes, %d other requests", p.BytesOut(RouteSliver), p.Requests(RouteOther))
	}

	p.Corrupt(RouteSliver)
	got, err := get(sliver)
	if err != nil || len(got) != len(body) || bytes.Equal(got, body) {
		t.Fatalf("corrupt: %d bytes, equal %v, %v", len(got), bytes.Equal(got, body), err)
	}
	if got, err := get("https://" + p.Addr() + "/v1/blobs/x/metadata"); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("a route not chosen was corrupted: %v", err)
	}
	if p.Corrupted(RouteSliver) != 1 || p.Corrupted(RouteMetadata) != 0 {
		t.Fatalf("corrupted counts %d %d", p.Corrupted(RouteSliver), p.Corrupted(RouteMetadata))
	}

	p.Heal()
	p.Refuse(true)
	before := hits.Load()
	hc.CloseIdleConnections()
	if _, err := get(sliver); err == nil {
		t.Fatal("a refusing proxy answered")
	}
	if hits.Load() != before {
		t.Fatal("a refused request reached the node")
	}
	p.Heal()
	if got, err := get(sliver); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("after heal: %v", err)
	}

	// A delayed request is held: a deadline shorter than the delay ends it
	// without reaching the node.
	p.Delay(time.Hour)
	before = hits.Load()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, sliver, nil)
	if resp, err := hc.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("a request delayed by an hour answered")
	}
	if hits.Load() != before {
		t.Fatal("a delayed request reached the node early")
	}
	p.Heal()

	// A client pinned to another key refuses the proxy.
	other, _ := netkey.Generate()
	hc2 := &http.Client{Transport: nodeapi.PinnedTransport(other.PublicKey()), Timeout: 10 * time.Second}
	if _, err := hc2.Get(sliver); err == nil {
		t.Fatal("the proxy passed a pin to another key")
	}
}

// TestProcess: start, pause, resume, stop, restart and kill a child.
func TestProcess(t *testing.T) {
	p := &Process{Name: "sleeper", LogPath: t.TempDir() + "/sleep.log", bin: "sleep", args: []string{"60"}}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err == nil {
		t.Fatal("started twice")
	}
	if err := p.Pause(); err != nil {
		t.Fatal(err)
	}
	if err := p.Resume(); err != nil {
		t.Fatal(err)
	}
	pid := p.Pid()
	if err := p.Restart(); err != nil {
		t.Fatal(err)
	}
	if p.Pid() == pid || !p.Running() {
		t.Fatal("restart kept the old process")
	}
	if err := p.Pause(); err != nil {
		t.Fatal(err)
	}
	// sleep dies of SIGTERM: Stop reports that exit status.
	if err := p.Stop(5 * time.Second); err == nil || p.Running() {
		t.Fatalf("stop of a paused process: %v, running %v", err, p.Running())
	}
	if err := p.Kill(); err == nil {
		t.Fatal("killed a stopped process")
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if err := p.Kill(); err != nil || p.Running() {
		t.Fatalf("kill: %v", err)
	}
	if log := p.Log(); !bytes.Contains([]byte(log), []byte("exit signal: killed")) {
		t.Fatalf("log: %s", log)
	}
}
