package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/chain/abci"
	"github.com/walrus-go/walrus/chain/client"
	"github.com/walrus-go/walrus/crypto/keyfile"
	"github.com/walrus-go/walrus/internal/cmdline"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func generate(t *testing.T, n int, extra ...string) *generateOutput {
	t.Helper()
	dir := t.TempDir()
	args := append([]string{"chain", "generate-network", "--validators", string(rune('0' + n)), "--dir", dir,
		"--base-port", "0", "--n-shards", "10", "--block-interval", "50ms", "--accounts", "2", "--json"}, extra...)
	code, out, errs := run(t, args...)
	if code != cmdline.ExitOK {
		t.Fatalf("generate-network: code %d, %s", code, errs)
	}
	var g generateOutput
	if err := json.Unmarshal([]byte(out), &g); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return &g
}

func TestGenerateNetwork(t *testing.T) {
	g := generate(t, 3, "--chain-id", "gen-test", "--epoch-duration", "2m")
	if len(g.Nodes) != 3 || len(g.Accounts) != 2 || g.ChainID != "gen-test" {
		t.Fatalf("output %+v", g)
	}
	for i, n := range g.Nodes {
		for _, f := range []string{"config/config.toml", "config/genesis.json", "config/node_key.json",
			"config/priv_validator_key.json", "walrus/protocol.key", "walrus/network.pem", "walrus/operator.keystore"} {
			if _, err := os.Stat(filepath.Join(n.Home, f)); err != nil {
				t.Fatalf("node %d: %v", i, err)
			}
		}
		c, err := abci.LoadConfig(n.Home)
		if err != nil {
			t.Fatal(err)
		}
		if c.P2P.ListenAddress != "tcp://"+n.P2P || c.RPC.ListenAddress != "tcp://"+n.RPC ||
			c.Consensus.TimeoutCommit != 50*time.Millisecond || strings.Count(c.P2P.PersistentPeers, "@") != 2 {
			t.Fatalf("node %d config: %+v %+v", i, c.P2P, c.Consensus)
		}
		if _, err := keyfile.LoadBLS(filepath.Join(n.Home, "walrus", "protocol.key")); err != nil {
			t.Fatal(err)
		}
	}
	// The genesis is shared, and its app state is the readable JSON.
	var docs []string
	for _, n := range g.Nodes {
		b, err := os.ReadFile(filepath.Join(n.Home, "config", "genesis.json"))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(b))
	}
	if docs[0] != docs[1] || docs[0] != docs[2] {
		t.Fatal("genesis differs between validators")
	}
	var doc struct {
		AppState chain.Genesis `json:"app_state"`
	}
	if err := json.Unmarshal([]byte(docs[0]), &doc); err != nil {
		t.Fatal(err)
	}
	if gen := doc.AppState; gen.ChainID != "gen-test" || gen.EpochDuration != 2*time.Minute || len(gen.Nodes) != 3 || len(gen.Balances) != 5 {
		t.Fatalf("genesis %+v", gen)
	}
	if !strings.Contains(docs[0], `"epochDuration": "2m0s"`) {
		t.Fatal("genesis app state is not the readable JSON")
	}
	// A second generation into the same directory is refused.
	if code, _, errs := run(t, "chain", "generate-network", "--validators", "3", "--dir", g.Dir); code != cmdline.ExitError || !strings.Contains(errs, "already exists") {
		t.Fatalf("overwrite: code %d, %s", code, errs)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{"chain", "generate-network"},
		{"chain", "generate-network", "--dir", "x", "--validators", "0"},
		{"chain", "generate-network", "--dir", "x", "--n-shards", "2"},
		{"chain", "run"},
		{"chain", "run", "--home", "x", "--log-level", "loud"},
		{"chain", "nope"},
	} {
		if code, _, errs := run(t, args...); code != cmdline.ExitUsage {
			t.Errorf("%q: code %d, %s", args, code, errs)
		}
	}
	if code, _, errs := run(t, "chain", "run", "--home", t.TempDir()); code != cmdline.ExitError || !strings.Contains(errs, "config.toml") {
		t.Errorf("missing home: code %d, %s", code, errs)
	}
}

// validator is a "chain run" running in this process.
type validator struct {
	cancel context.CancelFunc
	done   chan int
	log    *syncBuffer
}

func startValidator(home string) *validator {
	ctx, cancel := context.WithCancel(context.Background())
	v := &validator{cancel: cancel, done: make(chan int, 1), log: &syncBuffer{}}
	go func() {
		v.done <- Run(ctx, []string{"chain", "run", "--home", home, "--progress", "0"}, &bytes.Buffer{}, v.log)
	}()
	return v
}

func (v *validator) stop(t *testing.T) {
	t.Helper()
	v.cancel()
	select {
	case code := <-v.done:
		if code != cmdline.ExitOK {
			t.Fatalf("validator exited with %d: %s", code, v.log.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("validator did not stop")
	}
	if !strings.Contains(v.log.String(), "msg=stopped") {
		t.Fatalf("no stop logged: %s", v.log.String())
	}
}

func rpcClient(t *testing.T, addr, chainID string) *client.Client {
	t.Helper()
	rpc, err := rpchttp.New("tcp://"+addr, "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(client.Config{RPC: rpc, ChainID: chainID, MinFee: 1000, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func waitHeight(t *testing.T, c *client.Client, h uint64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		got, err := c.LatestHeight(context.Background())
		if err == nil && got >= h {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("height %d (err %v), waiting for %d", got, err, h)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestNetworkFailoverAndCatchUp generates a 4-validator network, runs every
// validator with "chain run" (in this process, real sockets on loopback),
// stops one, checks that the other three keep committing blocks and a
// transaction, restarts it from its home and checks that it catches up.
func TestNetworkFailoverAndCatchUp(t *testing.T) {
	if testing.Short() {
		t.Skip("runs four validators")
	}
	g := generate(t, 4)
	vals := make([]*validator, 4)
	for i, n := range g.Nodes {
		vals[i] = startValidator(n.Home)
	}
	defer func() {
		for _, v := range vals {
			if v != nil {
				v.cancel()
				<-v.done
			}
		}
	}()
	c0 := rpcClient(t, g.Nodes[0].RPC, g.ChainID)
	c1 := rpcClient(t, g.Nodes[1].RPC, g.ChainID)
	waitHeight(t, c0, 3)

	vals[3].stop(t)
	vals[3] = nil
	ctx := context.Background()
	h, _ := c0.LatestHeight(ctx)
	waitHeight(t, c1, h+5)

	ks, err := keyfile.LoadKeystore(g.Keystore)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ks.Key("account-0")
	if err != nil {
		t.Fatal(err)
	}
	seed := k.Bytes()
	to := chain.Address{7}
	inc, err := c1.Send(ctx, ed25519.NewKeyFromSeed(seed[:]), &chain.MsgTransfer{To: to, Amount: 12345})
	if err != nil {
		t.Fatal(err)
	}
	missed, _ := c0.LatestHeight(ctx)

	vals[3] = startValidator(g.Nodes[3].Home)
	c3 := rpcClient(t, g.Nodes[3].RPC, g.ChainID)
	waitHeight(t, c3, missed+3)
	acc, err := c3.Account(ctx, to)
	if err != nil || acc.Balance != 12345 {
		t.Fatalf("restarted validator: account %+v, %v (transfer in block %d)", acc, err, inc.Height)
	}
}

// TestSIGTERM runs the built binary and stops it with SIGTERM: it shuts
// down gracefully, logs as JSON, and exits 0.
func TestSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "walrus-node")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	g := generate(t, 1)
	var stderr syncBuffer
	cmd := exec.Command(bin, "chain", "run", "--home", g.Nodes[0].Home, "--log-format", "json", "--progress", "100ms")
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	waitHeight(t, rpcClient(t, g.Nodes[0].RPC, g.ChainID), 3)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, stderr.String())
	}
	var sawStop bool
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not a JSON log line: %q", line)
		}
		if rec["msg"] == "stopped" {
			sawStop = true
		}
	}
	if !sawStop {
		t.Fatalf("no stop logged:\n%s", stderr.String())
	}
}
