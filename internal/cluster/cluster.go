// Package cluster runs a Walrus network as separate processes on loopback,
// for tests that kill, restart, pause, wipe or cut off its members: the
// walrus-node binary is built once, "walrus-node chain generate-network"
// writes N validator homes (each validator also a storage node), and each
// validator ("chain run --home") and storage node ("run --config") runs as
// a child process with its log in a file.
//
// Every storage node sits behind a fault-injecting Proxy: the address
// registered on chain is the proxy's, which terminates TLS with the node's
// own network key and forwards to the node on a hidden port, so clients and
// peers reach the node only through it. Faults are injected here and in the
// proxy, never in the node.
package cluster

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/walrus-go/walrus/chain/client"
	sdk "github.com/walrus-go/walrus/client"
	"github.com/walrus-go/walrus/crypto/bls"
	"github.com/walrus-go/walrus/crypto/keyfile"
	"github.com/walrus-go/walrus/crypto/netkey"
	"github.com/walrus-go/walrus/nodeapi"
	"go.yaml.in/yaml/v3"
)

// Config describes the network to run.
type Config struct {
	// Dir holds the network (homes, logs). Required; tests pass t.TempDir().
	Dir string
	// Nodes is the number of validators, each also a storage node
	// (default 4).
	Nodes int
	// Shards is the number of shards (default 100).
	Shards int
	// BlockInterval is CometBFT's pause after each block (default 100 ms).
	BlockInterval time.Duration
	// BlobSyncDelay is how long a node waits after a certification before
	// recovering the slivers it misses (default 1 s).
	BlobSyncDelay time.Duration
	// LogLevel of the storage nodes (default "info").
	LogLevel string
	// Binary is a built walrus-node; empty builds one (once per process,
	// see Build).
	Binary string
}

func (c Config) withDefaults() Config {
	if c.Nodes == 0 {
		c.Nodes = 4
	}
	if c.Shards == 0 {
		c.Shards = 100
	}
	if c.BlockInterval == 0 {
		c.BlockInterval = 100 * time.Millisecond
	}
	if c.BlobSyncDelay == 0 {
		c.BlobSyncDelay = time.Second
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	return c
}

// Cluster is a running network.
type Cluster struct {
	Dir      string
	ChainID  string
	Keystore string // funded client accounts (account-0, account-1)
	Shards   int

	Validators []*Validator
	Nodes      []*StorageNode
}

// Validator is one CometBFT validator process.
type Validator struct {
	*Process
	Index int
	Home  string
	RPC   string // host:port of its CometBFT RPC
}

// StorageNode is one storage node process and its proxy.
type StorageNode struct {
	*Process
	Index       int
	Config      string // its node.yaml
	DataDir     string
	Listen      string // where the node itself listens (hidden behind Proxy)
	Public      string // its registered address: the proxy's
	MetricsAddr string // host:port of its Prometheus endpoint
	NetworkKey  *netkey.PrivateKey
	// ProtocolKey is the node's BLS key (its identity in the committee).
	ProtocolKey *bls.SecretKey
	Proxy       *Proxy
	// API reaches the node through its proxy, as clients and peers do;
	// Direct reaches it on its hidden address, past any fault.
	API, Direct *nodeapi.Client

	cfg Config
}

var (
	buildOnce sync.Once
	buildBin  string
	buildErr  error
	buildDir  string
)

// Build builds the walrus-node binary once per process (into a temporary
// directory that RemoveBuild deletes) and returns its path. It runs "go
// build" in the module that contains the working directory.
func Build() (string, error) {
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "walrus-cluster-")
		if buildErr != nil {
			return
		}
		buildBin = filepath.Join(buildDir, "walrus-node")
		out, err := exec.Command("go", "build", "-o", buildBin, "github.com/walrus-go/walrus/cmd/walrus-node").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("cluster: building walrus-node: %v\n%s", err, out)
		}
	})
	return buildBin, buildErr
}

// RemoveBuild deletes the binary Build made (TestMain calls it).
func RemoveBuild() {
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
}

// generated is generate-network's JSON output (the fields used here).
type generated struct {
	ChainID string `json:"chainId"`
	Nodes   []struct {
		Home    string `json:"home"`
		RPC     string `json:"rpc"`
		REST    string `json:"rest"`
		Metrics string `json:"metrics"`
		Config  string `json:"config"`
	} `json:"nodes"`
	Keystore string `json:"keystore"`
}

// Start generates the network in cfg.Dir, starts every validator, proxy
// and storage node, and waits until every node is active with its shards
// ready. On error everything started is stopped.
func Start(ctx context.Context, cfg Config) (_ *Cluster, err error) {
	cfg = cfg.withDefaults()
	if cfg.Dir == "" {
		return nil, errors.New("cluster: Config.Dir is required")
	}
	bin := cfg.Binary
	if bin == "" {
		if bin, err = Build(); err != nil {
			return nil, err
		}
	}
	netDir := filepath.Join(cfg.Dir, "net")
	out, err := exec.CommandContext(ctx, bin, "chain", "generate-network", "--json",
		"--validators", strconv.Itoa(cfg.Nodes), "--dir", netDir, "--n-shards", strconv.Itoa(cfg.Shards),
		"--base-port", "0", "--rest-base-port", "0", "--metrics-base-port", "0",
		"--block-interval", cfg.BlockInterval.String(), "--accounts", "2",
		"--cometbft-log-level", "*:error").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%w: %s", err, ee.Stderr)
		}
		return nil, fmt.Errorf("cluster: generate-network: %w", err)
	}
	var g generated
	if err := json.Unmarshal(out, &g); err != nil {
		return nil, fmt.Errorf("cluster: generate-network output: %w", err)
	}
	c := &Cluster{Dir: cfg.Dir, ChainID: g.ChainID, Keystore: g.Keystore, Shards: cfg.Shards}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	logs := filepath.Join(cfg.Dir, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return nil, err
	}
	for i, n := range g.Nodes {
		v := &Validator{Index: i, Home: n.Home, RPC: n.RPC, Process: &Process{
			Name: fmt.Sprintf("validator%d", i), LogPath: filepath.Join(logs, fmt.Sprintf("validator%d.log", i)),
			bin: bin, args: []string{"chain", "run", "--home", n.Home},
		}}
		c.Validators = append(c.Validators, v)
		if err := v.Start(); err != nil {
			return nil, err
		}
	}
	for i, n := range g.Nodes {
		sn, err := prepareNode(i, n.Config, n.REST, n.Metrics, cfg)
		if err != nil {
			return nil, err
		}
		sn.Process = &Process{Name: fmt.Sprintf("node%d", i), LogPath: filepath.Join(logs, fmt.Sprintf("node%d.log", i)),
			bin: bin, args: []string{"run", "--config", sn.Config}}
		c.Nodes = append(c.Nodes, sn)
		if sn.Proxy, err = StartProxy(sn.Public, sn.Listen, sn.NetworkKey); err != nil {
			return nil, fmt.Errorf("cluster: proxy of node %d: %w", i, err)
		}
	}
	for _, v := range c.Validators {
		if err := c.WaitValidator(ctx, v, 2); err != nil {
			return nil, err
		}
	}
	for _, sn := range c.Nodes {
		if err := sn.Start(); err != nil {
			return nil, err
		}
	}
	for _, sn := range c.Nodes {
		if err := sn.startReady(ctx); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// prepareNode rewrites node i's configuration (see configure) and loads
// its keys.
func prepareNode(i int, path, public, metrics string, cfg Config) (*StorageNode, error) {
	dir := filepath.Dir(path)
	nk, err := keyfile.LoadNetwork(filepath.Join(dir, "network.pem"))
	if err != nil {
		return nil, err
	}
	sk, err := keyfile.LoadBLS(filepath.Join(dir, "protocol.key"))
	if err != nil {
		return nil, err
	}
	sn := &StorageNode{Index: i, Config: path, Public: public, MetricsAddr: metrics, NetworkKey: nk, ProtocolKey: sk, cfg: cfg}
	pk := nk.PublicKey()
	if sn.API, err = nodeapi.NewClient(nodeapi.ClientConfig{BaseURL: "https://" + public, NetworkPublicKey: &pk, Timeout: 30 * time.Second}); err != nil {
		return nil, err
	}
	if err := sn.configure(false); err != nil {
		return nil, err
	}
	return sn, nil
}

// configure rewrites the node's node.yaml: the node listens on a fresh
// hidden port, its registered address stays public_address (where the
// proxy listens), blob sync waits cfg.BlobSyncDelay. With newMetrics the
// metrics address moves to a fresh port too.
func (sn *StorageNode) configure(newMetrics bool) error {
	b, err := os.ReadFile(sn.Config)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("cluster: %s: %w", sn.Config, err)
	}
	listen, err := freePort()
	if err != nil {
		return err
	}
	if newMetrics {
		if sn.MetricsAddr, err = freePort(); err != nil {
			return err
		}
	}
	doc["rest_api_address"] = listen
	doc["public_address"] = sn.Public
	doc["metrics_address"] = sn.MetricsAddr
	set := func(section, key string, v any) {
		m, _ := doc[section].(map[string]any)
		if m == nil {
			m = map[string]any{}
			doc[section] = m
		}
		m[key] = v
	}
	set("timeouts", "blob_sync_delay", sn.cfg.BlobSyncDelay.String())
	set("timeouts", "shutdown_grace", "5s")
	set("log", "level", sn.cfg.LogLevel)
	if b, err = yaml.Marshal(doc); err != nil {
		return err
	}
	if err := os.WriteFile(sn.Config, b, 0o600); err != nil {
		return err
	}
	dataDir, _ := doc["data_dir"].(string)
	if !filepath.IsAbs(dataDir) {
		dataDir = filepath.Join(filepath.Dir(sn.Config), dataDir)
	}
	pk := sn.NetworkKey.PublicKey()
	direct, err := nodeapi.NewClient(nodeapi.ClientConfig{BaseURL: "https://" + listen, NetworkPublicKey: &pk, Timeout: 30 * time.Second})
	if err != nil {
		return err
	}
	if sn.Direct != nil {
		sn.Direct.CloseIdleConnections()
	}
	sn.Listen, sn.DataDir, sn.Direct = listen, dataDir, direct
	if sn.Proxy != nil {
		sn.Proxy.SetUpstream(listen)
	}
	return nil
}

// startReady starts the node and waits until it is ready. A node that
// exits because a port it was given was taken meanwhile (ports are picked
// free, then bound by the node a moment later) gets fresh ports and
// another try.
func (sn *StorageNode) startReady(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		if !sn.Running() {
			if err := sn.Start(); err != nil {
				return err
			}
		}
		err := sn.WaitReady(ctx)
		if err == nil || attempt == 3 || sn.Running() || !strings.Contains(sn.Log(), "address already in use") {
			return err
		}
		if err := sn.configure(true); err != nil {
			return err
		}
	}
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Close stops every process (SIGKILL: the tests check state, not shutdown)
// and proxy.
func (c *Cluster) Close() {
	for _, sn := range c.Nodes {
		if sn.Running() {
			_ = sn.Kill()
		}
		if sn.Proxy != nil {
			sn.Proxy.Close()
		}
		sn.API.CloseIdleConnections()
		sn.Direct.CloseIdleConnections()
	}
	for _, v := range c.Validators {
		if v.Running() {
			_ = v.Kill()
		}
	}
}

// Logs returns the tail of every process's log (for failure messages).
func (c *Cluster) Logs(maxLines int) string {
	var b strings.Builder
	var procs []*Process
	for _, v := range c.Validators {
		procs = append(procs, v.Process)
	}
	for _, n := range c.Nodes {
		procs = append(procs, n.Process)
	}
	for _, p := range procs {
		lines := strings.Split(strings.TrimRight(p.Log(), "\n"), "\n")
		if len(lines) > maxLines {
			lines = lines[len(lines)-maxLines:]
		}
		fmt.Fprintf(&b, "---- %s (%s)\n%s\n", p.Name, p.LogPath, strings.Join(lines, "\n"))
	}
	return b.String()
}

// ChainClient returns a chain client over validator i's RPC.
func (c *Cluster) ChainClient(i int) (*client.Client, error) {
	rpc, err := rpchttp.New("tcp://"+c.Validators[i].RPC, "/websocket")
	if err != nil {
		return nil, err
	}
	return client.New(client.Config{RPC: rpc, ChainID: c.ChainID, MinFee: 1000, PollInterval: 50 * time.Millisecond})
}

// Wallet returns the funded account alias ("account-0" or "account-1")
// from the network's client keystore.
func (c *Cluster) Wallet(alias string) (ed25519.PrivateKey, error) {
	ks, err := keyfile.LoadKeystore(c.Keystore)
	if err != nil {
		return nil, err
	}
	k, err := ks.Key(alias)
	if err != nil {
		return nil, err
	}
	seed := k.Bytes()
	return ed25519.NewKeyFromSeed(seed[:]), nil
}

// Height returns validator i's latest block height.
func (c *Cluster) Height(ctx context.Context, i int) (uint64, error) {
	cc, err := c.ChainClient(i)
	if err != nil {
		return 0, err
	}
	return cc.LatestHeight(ctx)
}

// WaitValidator waits until validator v has committed height h.
func (c *Cluster) WaitValidator(ctx context.Context, v *Validator, h uint64) error {
	cc, err := c.ChainClient(v.Index)
	if err != nil {
		return err
	}
	for {
		got, err := cc.LatestHeight(ctx)
		if err == nil && got >= h {
			return nil
		}
		if !v.Running() {
			return fmt.Errorf("cluster: %s exited:\n%s", v.Name, tail(v.Log(), 30))
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return fmt.Errorf("cluster: %s at height %d, want %d (%v): %w", v.Name, got, h, err, ctx.Err())
		}
	}
}

// Health returns the node's detailed health, asked past the proxy.
func (sn *StorageNode) Health(ctx context.Context) (*nodeapi.ServiceHealthInfo, error) {
	return sn.Direct.Health(ctx, true)
}

// WaitReady waits until the node is an active committee member whose
// owned shards are all ready.
func (sn *StorageNode) WaitReady(ctx context.Context) error {
	var last string
	for {
		h, err := sn.Health(ctx)
		switch {
		case err != nil:
			last = err.Error()
		case h.NodeStatus == "Active" && h.ShardSummary.Owned > 0 && h.ShardSummary.OwnedShardStatus.Ready == h.ShardSummary.Owned:
			return nil
		default:
			last = fmt.Sprintf("status %s, %d owned, %+v", h.NodeStatus, h.ShardSummary.Owned, h.ShardSummary.OwnedShardStatus)
		}
		if !sn.Running() {
			return fmt.Errorf("cluster: %s exited:\n%s", sn.Name, tail(sn.Log(), 30))
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return fmt.Errorf("cluster: %s not ready (%s): %w", sn.Name, last, err)
		}
	}
}

// OwnedShards returns the shards the node reports it owns.
func (sn *StorageNode) OwnedShards(ctx context.Context) ([]uint16, error) {
	h, err := sn.Health(ctx)
	if err != nil {
		return nil, err
	}
	if h.ShardDetail == nil {
		return nil, errors.New("cluster: health without shard detail")
	}
	var out []uint16
	for _, s := range h.ShardDetail.Owned {
		out = append(out, s.Shard)
	}
	return out, nil
}

// Cut cuts the node off: its proxy refuses every connection from clients
// and peers (the node's own outgoing calls still work).
func (sn *StorageNode) Cut() { sn.Proxy.Refuse(true) }

// Heal clears every fault of the node's proxy.
func (sn *StorageNode) Heal() { sn.Proxy.Heal() }

// Wipe deletes the node's data directory; the node must be stopped.
func (sn *StorageNode) Wipe() error {
	if sn.Running() {
		return fmt.Errorf("cluster: wipe %s while it runs", sn.Name)
	}
	return os.RemoveAll(sn.DataDir)
}

// Metrics scrapes the node's Prometheus endpoint and returns each sample
// ("name{labels}" as exposed) with its value.
func (sn *StorageNode) Metrics(ctx context.Context) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+sn.MetricsAddr+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("cluster: metrics: %s", resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		out[line[:i]] = v
	}
	return out, sc.Err()
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Client returns an SDK client over validator v's RPC with the funded
// account alias as its wallet; opt, if set, adjusts its configuration.
func (c *Cluster) Client(v int, alias string, opt func(*sdk.Config)) (*sdk.Client, error) {
	cc, err := c.ChainClient(v)
	if err != nil {
		return nil, err
	}
	w, err := c.Wallet(alias)
	if err != nil {
		return nil, err
	}
	cfg := sdk.Config{Chain: cc, Wallet: w, RequestTimeout: 20 * time.Second}
	if opt != nil {
		opt(&cfg)
	}
	return sdk.New(cfg)
}
