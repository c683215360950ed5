// Package devnet runs a whole Walrus network in one process, as a library:
// a single-validator CometBFT chain (chain/abci.StartNode) with a short block
// time, N storage nodes (package node) serving HTTPS on loopback with pebble
// stores under one directory, a genesis committee holding their keys and
// shards, and a funded wallet. It is the local default for the CLI and the
// network that whole-system tests run against.
//
// Everything lives under Config.Dir: devnet.json (the network's parameters,
// the loopback addresses the nodes registered on chain and the secret seed
// every key derives from; mode 0600), chain/ (the validator's CometBFT home and
// application state, including the genesis) and node<i>/ (each node's store).
// Start on a directory that already holds a network restarts it with its
// keys, genesis and every stored blob; the configuration's shape fields are
// then ignored.
//
// Config.Candidates adds storage nodes that are registered on chain as
// candidates (register_candidate with a proof of possession, no stake) but
// are not in the genesis committee: staking to them moves shards at the next
// epoch change, which is how whole-system tests exercise committee changes.
// Each node's operator key (Operator) signs its pool's staking messages.
package devnet

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/chain/abci"
	chainclient "github.com/walrus-go/walrus/chain/client"
	"github.com/walrus-go/walrus/crypto/bls"
	"github.com/walrus-go/walrus/crypto/netkey"
	"github.com/walrus-go/walrus/internal/loopback"
	"github.com/walrus-go/walrus/node"
	"github.com/walrus-go/walrus/nodeapi"
	"github.com/walrus-go/walrus/storage"
)

// Defaults.
const (
	DefaultNodes          = 4
	DefaultShards         = 100
	DefaultBlockInterval  = 50 * time.Millisecond
	DefaultEpochDuration  = time.Hour
	DefaultMaxEpochsAhead = 53
	DefaultWalletBalance  = 1_000_000 * chain.FrostPerWAL
	DefaultStartTimeout   = time.Minute
	// GenesisStake is each genesis node's stake, owned by its operator.
	GenesisStake = 1000 * chain.FrostPerWAL
	stateFile    = "devnet.json"
	stateVersion = 1
)

// Errors.
var (
	ErrConfig = errors.New("devnet: invalid config")
	ErrState  = errors.New("devnet: invalid state directory")
)

// Config configures a network. Nodes, Candidates, Shards, EpochDuration,
// MaxEpochsAhead and WalletBalance shape a new network and are ignored on
// restart.
type Config struct {
	// Dir holds the whole network. Required.
	Dir string
	// Nodes is the number of storage nodes in the genesis committee
	// (DefaultNodes if 0).
	Nodes int
	// Candidates is the number of further storage nodes (indices Nodes ..
	// Nodes+Candidates-1) registered as candidates after genesis, with no
	// stake: they run in standby until stake brings them into a committee.
	Candidates int
	// Shards is the number of shards (DefaultShards if 0), spread over the
	// nodes by stake.
	Shards int
	// BlockInterval is the chain's block time (DefaultBlockInterval if 0).
	BlockInterval time.Duration
	// EpochDuration is the length of an epoch (DefaultEpochDuration if 0).
	EpochDuration time.Duration
	// MaxEpochsAhead bounds storage purchases (DefaultMaxEpochsAhead if 0).
	MaxEpochsAhead uint32
	// WalletBalance is each funded wallet's genesis balance in FROST
	// (DefaultWalletBalance if 0).
	WalletBalance uint64
	// Wallets is the number of funded wallets (1 if 0).
	Wallets int
	// FaucetMax, if not 0, enables the chain's faucet (get-wal) with this
	// many FROST at most per request; like the shape fields, it is fixed
	// when the network is created.
	FaucetMax uint64
	// RPCListen, if set, serves CometBFT's RPC there (e.g.
	// "tcp://127.0.0.1:26657") for clients in other processes.
	RPCListen string
	// BlobSyncDelay is passed to the nodes (node.DefaultBlobSyncDelay if 0).
	BlobSyncDelay time.Duration
	// StartTimeout bounds the wait for every node to be active
	// (DefaultStartTimeout if 0).
	StartTimeout time.Duration
	// ShardRecoveryAfter and MaxSyncShardBytes are passed to the nodes
	// (the node's defaults if 0): how long a gained shard's previous owner
	// may fail before the shard is recovered from the committee, and the
	// size of one sync_shard response.
	ShardRecoveryAfter time.Duration
	MaxSyncShardBytes  int64
	// Logger receives the nodes' logs (with a "node" attribute); nil
	// discards them.
	Logger *slog.Logger
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Nodes == 0 {
		c.Nodes = DefaultNodes
	}
	if c.Shards == 0 {
		c.Shards = DefaultShards
	}
	if c.BlockInterval == 0 {
		c.BlockInterval = DefaultBlockInterval
	}
	if c.EpochDuration == 0 {
		c.EpochDuration = DefaultEpochDuration
	}
	if c.MaxEpochsAhead == 0 {
		c.MaxEpochsAhead = DefaultMaxEpochsAhead
	}
	if c.WalletBalance == 0 {
		c.WalletBalance = DefaultWalletBalance
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = DefaultStartTimeout
	}
	if c.Wallets == 0 {
		c.Wallets = 1
	}
	return c
}

// Validate checks a config (after WithDefaults).
func (c *Config) Validate() error {
	switch {
	case c.Dir == "":
		return fmt.Errorf("%w: Dir is required", ErrConfig)
	case c.Wallets < 1 || c.Wallets > 1000:
		return fmt.Errorf("%w: %d wallets (1..1000)", ErrConfig, c.Wallets)
	case c.Nodes < 1 || c.Candidates < 0 || c.Nodes+c.Candidates > 256:
		return fmt.Errorf("%w: %d nodes and %d candidates (1..256 in all)", ErrConfig, c.Nodes, c.Candidates)
	case c.Shards < c.Nodes || c.Shards < 4 || c.Shards > 65535:
		return fmt.Errorf("%w: %d shards (at least 4 and one per node)", ErrConfig, c.Shards)
	case c.MaxSyncShardBytes < 0:
		return fmt.Errorf("%w: negative MaxSyncShardBytes", ErrConfig)
	case c.BlockInterval < 0 || c.EpochDuration <= 0 || c.StartTimeout < 0 || c.BlobSyncDelay < 0 || c.ShardRecoveryAfter < 0:
		return fmt.Errorf("%w: invalid duration", ErrConfig)
	}
	return nil
}

// state is devnet.json.
type state struct {
	Version         int      `json:"version"`
	ChainID         string   `json:"chainId"`
	Seed            string   `json:"seed"` // hex; every key derives from it
	Shards          int      `json:"shards"`
	EpochDurationMs int64    `json:"epochDurationMs"`
	MaxEpochsAhead  uint32   `json:"maxEpochsAhead"`
	WalletBalance   uint64   `json:"walletBalance"`
	Wallets         int      `json:"wallets"`
	Addresses       []string `json:"addresses"` // each node's REST address, as registered on chain
	// Candidates is how many of the last Addresses are candidates, not in
	// the genesis committee.
	Candidates int `json:"candidates,omitempty"`
}

// genesisNodes is the number of nodes in the genesis committee.
func (st *state) genesisNodes() int { return len(st.Addresses) - st.Candidates }

// keys are the secrets of a network, derived from its seed.
type keys struct {
	wallets   []ed25519.PrivateKey
	operators []ed25519.PrivateKey
	protocol  []*bls.SecretKey
	network   []*netkey.PrivateKey
}

func derive(seed []byte, label string, i int) []byte {
	h := sha256.New()
	h.Write([]byte("walrus-go/devnet/"))
	h.Write([]byte(label))
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(i))
	h.Write(b[:])
	h.Write(seed)
	return h.Sum(nil)
}

func deriveKeys(seed []byte, n, wallets int) (*keys, error) {
	k := &keys{}
	for i := range max(wallets, 1) {
		k.wallets = append(k.wallets, ed25519.NewKeyFromSeed(derive(seed, "wallet", i)))
	}
	for i := range n {
		k.operators = append(k.operators, ed25519.NewKeyFromSeed(derive(seed, "operator", i)))
		sk, err := bls.KeyFromSeed(derive(seed, "protocol", i))
		if err != nil {
			return nil, fmt.Errorf("devnet: protocol key %d: %w", i, err)
		}
		k.protocol = append(k.protocol, sk)
		// A scalar outside the curve order is astronomically unlikely;
		// rehash until one parses.
		var nk *netkey.PrivateKey
		for j := 0; nk == nil; j++ {
			nk, err = netkey.ParseSecretKey(derive(seed, "network/"+strconv.Itoa(j), i))
			if err != nil && j > 8 {
				return nil, fmt.Errorf("devnet: network key %d: %w", i, err)
			}
		}
		k.network = append(k.network, nk)
	}
	return k, nil
}

// Network is a running local network.
type Network struct {
	cfg   Config
	st    state
	keys  *keys
	chain *abci.Node
	cc    *chainclient.Client

	mu    sync.Mutex
	nodes []*runningNode
}

type runningNode struct {
	n       *node.Node
	metrics *prometheus.Registry
	cancel  context.CancelFunc
	done    chan error
}

// Start starts the network in cfg.Dir, creating it on first use, and waits
// until every node serves the current committee.
func Start(ctx context.Context, cfg Config) (*Network, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("devnet: %w", err)
	}
	st, lns, fresh, err := loadOrCreate(cfg)
	if err != nil {
		return nil, err
	}
	closeLns := func() {
		for _, ln := range lns {
			if ln != nil {
				ln.Close()
			}
		}
	}
	seed, err := hex.DecodeString(st.Seed)
	if err != nil || len(seed) != 32 {
		closeLns()
		return nil, fmt.Errorf("%w: seed", ErrState)
	}
	ks, err := deriveKeys(seed, len(st.Addresses), st.Wallets)
	if err != nil {
		closeLns()
		return nil, err
	}
	nw := &Network{cfg: cfg, st: st, keys: ks, nodes: make([]*runningNode, len(st.Addresses))}
	var g *chain.Genesis
	if fresh {
		g = nw.genesis()
	}
	cn, err := abci.StartNode(abci.NodeConfig{Home: filepath.Join(cfg.Dir, "chain"), Genesis: g, BlockInterval: cfg.BlockInterval, RPCListen: cfg.RPCListen})
	if err != nil {
		closeLns()
		return nil, fmt.Errorf("devnet: chain: %w", err)
	}
	nw.chain = cn
	if nw.cc, err = nw.newChainClient(); err != nil {
		closeLns()
		cn.Close()
		return nil, err
	}
	// Candidates register before their nodes start (again after a crash
	// between genesis and registration).
	if err := nw.registerCandidates(ctx); err != nil {
		closeLns()
		cn.Close()
		return nil, err
	}
	for i := range nw.nodes {
		if err := nw.startNode(i, lns[i]); err != nil {
			lns[i] = nil
			closeLns()
			nw.Close()
			return nil, err
		}
		lns[i] = nil
	}
	wctx, cancel := context.WithTimeout(ctx, cfg.StartTimeout)
	defer cancel()
	com, err := nw.cc.Committee(wctx, chain.CommitteeCurrent)
	if err != nil {
		nw.Close()
		return nil, fmt.Errorf("devnet: committee: %w", err)
	}
	for i := range nw.nodes {
		wait := nw.WaitServing
		pk := nw.keys.protocol[i].PublicKey().Bytes()
		for _, m := range com.Members {
			if m.PublicKey == pk {
				wait = nw.WaitActive
			}
		}
		if err := wait(wctx, i); err != nil {
			nw.Close()
			return nil, err
		}
	}
	return nw, nil
}

// registerCandidates registers the candidate nodes that have no staking
// pool yet: register_candidate signed by the node's operator, with a proof
// of possession of its BLS key for the current epoch.
func (nw *Network) registerCandidates(ctx context.Context) error {
	if nw.st.Candidates == 0 {
		return nil
	}
	pools, err := nw.cc.Pools(ctx)
	if err != nil {
		return fmt.Errorf("devnet: pools: %w", err)
	}
	for i := nw.st.genesisNodes(); i < len(nw.st.Addresses); i++ {
		pk := nw.keys.protocol[i].PublicKey().Bytes()
		if slices.ContainsFunc(pools, func(p *chain.Pool) bool { return p.PublicKey == pk }) {
			continue
		}
		sys, err := nw.cc.System(ctx)
		if err != nil {
			return fmt.Errorf("devnet: system: %w", err)
		}
		npk := nw.keys.network[i].PublicKey()
		msg := &chain.MsgRegisterCandidate{
			Name: "devnet-node-" + strconv.Itoa(i), NetworkAddress: nw.st.Addresses[i], PublicKey: pk, NetworkPublicKey: npk[:],
			ProofOfPossession: nw.keys.protocol[i].ProvePossession(sys.Epoch, addrOf(nw.keys.operators[i])).Bytes(),
			StoragePrice:      10_000, WritePrice: 2_000, Capacity: 1 << 40,
		}
		if _, err := nw.cc.Send(ctx, nw.keys.operators[i], msg); err != nil {
			return fmt.Errorf("devnet: registering candidate %d: %w", i, err)
		}
	}
	return nil
}

// loadOrCreate reads devnet.json, or creates a new network's state with
// listeners bound to fresh loopback ports (returned, to be used by the nodes'
// first start so no other process can take the ports in between).
func loadOrCreate(cfg Config) (state, []net.Listener, bool, error) {
	path := filepath.Join(cfg.Dir, stateFile)
	b, err := os.ReadFile(path)
	if err == nil {
		var st state
		if err := json.Unmarshal(b, &st); err != nil {
			return st, nil, false, fmt.Errorf("%w: %s: %v", ErrState, path, err)
		}
		if st.Version != stateVersion || len(st.Addresses) == 0 || st.Candidates < 0 || st.Candidates >= len(st.Addresses) {
			return st, nil, false, fmt.Errorf("%w: %s: version %d, %d nodes", ErrState, path, st.Version, len(st.Addresses))
		}
		return st, make([]net.Listener, len(st.Addresses)), false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return state{}, nil, false, fmt.Errorf("devnet: %w", err)
	}
	var seed [32]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return state{}, nil, false, fmt.Errorf("devnet: %w", err)
	}
	st := state{
		Version: stateVersion, ChainID: "walrus-devnet-" + hex.EncodeToString(seed[:4]), Seed: hex.EncodeToString(seed[:]),
		Shards: cfg.Shards, EpochDurationMs: cfg.EpochDuration.Milliseconds(), MaxEpochsAhead: cfg.MaxEpochsAhead,
		WalletBalance: cfg.WalletBalance, Wallets: cfg.Wallets, Candidates: cfg.Candidates,
	}
	lns := make([]net.Listener, cfg.Nodes+cfg.Candidates)
	for i := range lns {
		ln, err := loopback.Listen()
		if err != nil {
			for _, l := range lns[:i] {
				l.Close()
			}
			return st, nil, false, fmt.Errorf("devnet: %w", err)
		}
		lns[i] = ln
		st.Addresses = append(st.Addresses, ln.Addr().String())
	}
	out, _ := json.MarshalIndent(st, "", "  ")
	if err := writeFileAtomic(path, append(out, '\n')); err != nil {
		for _, l := range lns {
			l.Close()
		}
		return st, nil, false, err
	}
	return st, lns, true, nil
}

func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("devnet: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("devnet: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("devnet: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("devnet: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("devnet: %w", err)
	}
	return nil
}

func (nw *Network) genesis() *chain.Genesis {
	st := &nw.st
	g := &chain.Genesis{
		ChainID: st.ChainID, GenesisTime: time.Now().Add(-time.Second).UTC().Truncate(time.Millisecond),
		NShards: uint16(st.Shards), EpochDuration: time.Duration(st.EpochDurationMs) * time.Millisecond,
		MaxEpochsAhead: st.MaxEpochsAhead, MinFee: 1,
		FaucetEnabled: nw.cfg.FaucetMax > 0, FaucetMax: nw.cfg.FaucetMax,
	}
	for _, w := range nw.keys.wallets {
		g.Balances = append(g.Balances, chain.GenesisBalance{Address: addrOf(w), Amount: st.WalletBalance})
	}
	for i, addr := range st.Addresses {
		// Every operator, candidates' included, can pay its fees.
		g.Balances = append(g.Balances, chain.GenesisBalance{Address: addrOf(nw.keys.operators[i]), Amount: 10 * chain.FrostPerWAL})
		if i >= st.genesisNodes() {
			continue
		}
		npk := nw.keys.network[i].PublicKey()
		g.Nodes = append(g.Nodes, chain.GenesisNode{
			Operator: addrOf(nw.keys.operators[i]), Name: "devnet-node-" + strconv.Itoa(i), NetworkAddress: addr,
			PublicKey: nw.keys.protocol[i].PublicKey().Bytes(), NetworkPublicKey: npk[:],
			Stake: GenesisStake, StoragePrice: 10_000, WritePrice: 2_000, Capacity: 1 << 40,
		})
	}
	return g
}

func addrOf(k ed25519.PrivateKey) chain.Address {
	return chain.AddressOf(k.Public().(ed25519.PublicKey))
}

func (nw *Network) newChainClient() (*chainclient.Client, error) {
	c, err := chainclient.New(chainclient.Config{RPC: nw.chain.Client(), ChainID: nw.st.ChainID, MinFee: 1, PollInterval: 20 * time.Millisecond})
	if err != nil {
		return nil, fmt.Errorf("devnet: chain client: %w", err)
	}
	return c, nil
}

func (nw *Network) nodeLogger(i int) *slog.Logger {
	if nw.cfg.Logger == nil {
		return nil
	}
	return nw.cfg.Logger.With("node", i)
}

func (nw *Network) startNode(i int, ln net.Listener) error {
	cc, err := nw.newChainClient()
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	n, err := node.New(node.Config{
		ListenAddress: nw.st.Addresses[i], Listener: ln, DataDir: filepath.Join(nw.cfg.Dir, "node"+strconv.Itoa(i)),
		StoreOptions: storage.Options{CacheSize: 16 << 20, MemTableSize: 8 << 20},
		ProtocolKey:  nw.keys.protocol[i], NetworkKey: nw.keys.network[i], Operator: nw.keys.operators[i],
		Chain: cc, Logger: nw.nodeLogger(i), BlobSyncDelay: nw.cfg.BlobSyncDelay,
		CommitteeRefresh: time.Second, RetryInterval: 100 * time.Millisecond,
		ShardRecoveryAfter: nw.cfg.ShardRecoveryAfter, MaxSyncShardBytes: nw.cfg.MaxSyncShardBytes,
		Registerer: reg,
	})
	if err != nil {
		return fmt.Errorf("devnet: node %d: %w", i, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rn := &runningNode{n: n, metrics: reg, cancel: cancel, done: make(chan error, 1)}
	go func() { rn.done <- n.Run(ctx) }()
	nw.mu.Lock()
	nw.nodes[i] = rn
	nw.mu.Unlock()
	return nil
}

// StartNode restarts a stopped node on its address. It does not wait for
// the node to be active (see WaitActive).
func (nw *Network) StartNode(i int) error {
	if i < 0 || i >= len(nw.st.Addresses) {
		return fmt.Errorf("%w: no node %d", ErrConfig, i)
	}
	nw.mu.Lock()
	running := nw.nodes[i] != nil
	nw.mu.Unlock()
	if running {
		return nil
	}
	return nw.startNode(i, nil)
}

// StopNode stops node i (its store stays on disk); stopping a stopped node
// does nothing.
func (nw *Network) StopNode(i int) error {
	if i < 0 || i >= len(nw.st.Addresses) {
		return fmt.Errorf("%w: no node %d", ErrConfig, i)
	}
	nw.mu.Lock()
	rn := nw.nodes[i]
	nw.nodes[i] = nil
	nw.mu.Unlock()
	if rn == nil {
		return nil
	}
	rn.cancel()
	err := <-rn.done
	if cerr := rn.n.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("devnet: node %d: %w", i, err)
	}
	return nil
}

// WaitActive waits until node i reports itself active in the current
// epoch.
func (nw *Network) WaitActive(ctx context.Context, i int) error {
	api, err := nw.NodeClient(i)
	if err != nil {
		return err
	}
	defer api.CloseIdleConnections()
	for {
		sys, err := nw.cc.System(ctx)
		if err == nil {
			h, herr := api.Health(ctx, false)
			if herr == nil && h.NodeStatus == "Active" && h.Epoch == sys.Epoch {
				return nil
			}
			err = herr
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("devnet: node %d not active: %w (last: %v)", i, ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// WaitServing waits until node i serves its view of the current epoch,
// whether it is a committee member or not (a candidate is in standby).
func (nw *Network) WaitServing(ctx context.Context, i int) error {
	api, err := nw.NodeClient(i)
	if err != nil {
		return err
	}
	defer api.CloseIdleConnections()
	for {
		sys, err := nw.cc.System(ctx)
		if err == nil {
			h, herr := api.Health(ctx, false)
			if herr == nil && h.Epoch == sys.Epoch {
				return nil
			}
			err = herr
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("devnet: node %d not serving: %w (last: %v)", i, ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Close stops the nodes, then the chain.
func (nw *Network) Close() error {
	var wg sync.WaitGroup
	errs := make([]error, len(nw.nodes))
	for i := range nw.nodes {
		wg.Go(func() { errs[i] = nw.StopNode(i) })
	}
	wg.Wait()
	if nw.chain != nil {
		errs = append(errs, nw.chain.Close())
		nw.chain = nil
	}
	return errors.Join(errs...)
}

// Chain returns a chain client of the network (shared; safe for concurrent
// use).
func (nw *Network) Chain() *chainclient.Client { return nw.cc }

// ChainID returns the chain's ID.
func (nw *Network) ChainID() string { return nw.st.ChainID }

// Shards returns the number of shards.
func (nw *Network) Shards() int { return nw.st.Shards }

// Nodes returns the number of storage nodes, candidates included.
func (nw *Network) Nodes() int { return len(nw.st.Addresses) }

// GenesisNodes returns the number of nodes of the genesis committee (nodes
// 0 .. GenesisNodes()-1; the others are candidates).
func (nw *Network) GenesisNodes() int { return nw.st.genesisNodes() }

// Operator returns node i's operator key: it owns the node's staking pool
// (and, for a genesis node, its genesis stake) and signs epoch_sync_done.
func (nw *Network) Operator(i int) ed25519.PrivateKey { return nw.keys.operators[i] }

// NodeID returns node i's ID on chain (its staking pool's ID).
func (nw *Network) NodeID(ctx context.Context, i int) (chain.ObjectID, error) {
	if i < 0 || i >= len(nw.st.Addresses) {
		return chain.ObjectID{}, fmt.Errorf("%w: no node %d", ErrConfig, i)
	}
	pools, err := nw.cc.Pools(ctx)
	if err != nil {
		return chain.ObjectID{}, fmt.Errorf("devnet: pools: %w", err)
	}
	pk := nw.keys.protocol[i].PublicKey().Bytes()
	for _, p := range pools {
		if p.PublicKey == pk {
			return p.NodeID, nil
		}
	}
	return chain.ObjectID{}, fmt.Errorf("devnet: node %d has no staking pool", i)
}

// NodeIndex returns the index of the node with BLS key pk, or -1.
func (nw *Network) NodeIndex(pk [bls.PublicKeySize]byte) int {
	for i, sk := range nw.keys.protocol {
		if sk.PublicKey().Bytes() == pk {
			return i
		}
	}
	return -1
}

// Metrics returns running node i's Prometheus metrics (a registry per
// start: counters restart with the node), or nil if it is stopped.
func (nw *Network) Metrics(i int) prometheus.Gatherer {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if rn := nw.nodes[i]; rn != nil {
		return rn.metrics
	}
	return nil
}

// Wallet returns the first funded account's key.
func (nw *Network) Wallet() ed25519.PrivateKey { return nw.keys.wallets[0] }

// WalletAddress returns the first funded account's address.
func (nw *Network) WalletAddress() chain.Address { return addrOf(nw.keys.wallets[0]) }

// Wallets returns every funded account's key.
func (nw *Network) Wallets() []ed25519.PrivateKey { return slices.Clone(nw.keys.wallets) }

// NodeURLs returns each node's REST API base URL (HTTPS; see
// NetworkPublicKey for the key to pin).
func (nw *Network) NodeURLs() []string {
	out := make([]string, len(nw.st.Addresses))
	for i, a := range nw.st.Addresses {
		out[i] = "https://" + a
	}
	return out
}

// NetworkPublicKey returns node i's TLS key.
func (nw *Network) NetworkPublicKey(i int) netkey.PublicKey { return nw.keys.network[i].PublicKey() }

// ProtocolPublicKey returns node i's BLS key.
func (nw *Network) ProtocolPublicKey(i int) *bls.PublicKey { return nw.keys.protocol[i].PublicKey() }

// ProtocolKey returns node i's BLS secret key: tests sign with it to stand
// for nodes that misbehave (a devnet's keys are no secret).
func (nw *Network) ProtocolKey(i int) *bls.SecretKey { return nw.keys.protocol[i] }

// NodeClient returns an API client for node i, pinned to its network key.
func (nw *Network) NodeClient(i int) (*nodeapi.Client, error) {
	if i < 0 || i >= len(nw.st.Addresses) {
		return nil, fmt.Errorf("%w: no node %d", ErrConfig, i)
	}
	pk := nw.NetworkPublicKey(i)
	hc := &http.Client{Transport: nodeapi.PinnedTransport(pk), Timeout: time.Minute}
	return nodeapi.NewClient(nodeapi.ClientConfig{BaseURL: nw.NodeURLs()[i], HTTPClient: hc})
}

// Node returns running node i, or nil if it is stopped.
func (nw *Network) Node(i int) *node.Node {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if rn := nw.nodes[i]; rn != nil {
		return rn.n
	}
	return nil
}
