package abci

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	cmtcfg "github.com/cometbft/cometbft/config"
	cmtflags "github.com/cometbft/cometbft/libs/cli/flags"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	cmtnode "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	rpclocal "github.com/cometbft/cometbft/rpc/client/local"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/spf13/viper"
	"github.com/walrus-go/walrus/chain"
)

// DefaultBlockInterval is the block time of the embedded node.
const DefaultBlockInterval = 100 * time.Millisecond

// NodeConfig configures an embedded CometBFT node.
type NodeConfig struct {
	// Home is the CometBFT home directory (config/, data/) plus app/ for
	// the application state. Required.
	Home string
	// Genesis is written to Home on first start, with this node as the only
	// validator. Ignored when Home already holds a genesis.
	Genesis *chain.Genesis
	// BlockInterval is the pause after each commit (DefaultBlockInterval if 0).
	BlockInterval time.Duration
	// RPCListen is the CometBFT RPC address ("tcp://127.0.0.1:26657"); empty
	// disables the RPC server (the local client still works).
	RPCListen string
	// P2PListen is the p2p address; empty means "tcp://127.0.0.1:0".
	P2PListen string
	// PersistentPeers is CometBFT's "id@host:port,..." list of peers.
	PersistentPeers string
	// Logger receives CometBFT's and the application's logs; nil discards.
	Logger *slog.Logger
}

// Validate checks the config.
func (c *NodeConfig) Validate() error {
	if c.Home == "" {
		return errors.New("abci: NodeConfig.Home is required")
	}
	if c.BlockInterval < 0 {
		return fmt.Errorf("abci: negative block interval %v", c.BlockInterval)
	}
	return nil
}

// Node is a CometBFT node running the App in-process.
type Node struct {
	node *cmtnode.Node
	app  *App
	db   *DB
	dbs  *dbTracker
}

// dbTracker owns CometBFT's databases. The node does not close all of them
// when it stops (the tx index), and a restart in the same process needs
// their file locks; and the consensus reactor's per-peer routines may still
// read the block store after Stop returns (queryMaj23Routine sleeps up to
// three times peer_query_maj23_sleep_duration between its running check and
// a LoadCommit; on a closed leveldb that panics with "leveldb: closed"). So
// the node gets databases whose Close does nothing, closeAll closes them
// after a grace period, and reads after that find nothing (LoadCommit
// returns nil, which the routine handles) instead of a closed database.
type dbTracker struct {
	mu     sync.Mutex
	dbs    []dbm.DB
	rw     sync.RWMutex // held for reading by every Get and Has, for writing by closeAll
	closed bool
}

// dbCloseGrace is how long closeAll lets stopped routines finish.
const dbCloseGrace = 250 * time.Millisecond

// ownedDB is a database the node may not close.
type ownedDB struct {
	dbm.DB
	t *dbTracker
}

func (ownedDB) Close() error { return nil }

// Get reads through unless the tracker closed the database.
func (o ownedDB) Get(key []byte) ([]byte, error) {
	o.t.rw.RLock()
	defer o.t.rw.RUnlock()
	if o.t.closed {
		return nil, nil
	}
	return o.DB.Get(key)
}

// Has reads through unless the tracker closed the database.
func (o ownedDB) Has(key []byte) (bool, error) {
	o.t.rw.RLock()
	defer o.t.rw.RUnlock()
	if o.t.closed {
		return false, nil
	}
	return o.DB.Has(key)
}

func (t *dbTracker) provide(ctx *cmtcfg.DBContext) (dbm.DB, error) {
	db, err := cmtcfg.DefaultDBProvider(ctx)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.dbs = append(t.dbs, db)
	t.mu.Unlock()
	return ownedDB{DB: db, t: t}, nil
}

func (t *dbTracker) closeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.dbs) == 0 {
		return
	}
	time.Sleep(dbCloseGrace)
	t.rw.Lock()
	t.closed = true
	for _, db := range t.dbs {
		db.Close()
	}
	t.rw.Unlock()
	t.dbs = nil
}

// StartNode starts an in-process CometBFT node over the App, creating the
// home directory (keys, genesis with this node as sole validator) on first
// start.
func StartNode(cfg NodeConfig) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := cmtcfg.DefaultConfig()
	c.SetRoot(cfg.Home)
	cmtcfg.EnsureRoot(cfg.Home)
	c.Moniker = "walrus-local"
	c.RPC.ListenAddress = cfg.RPCListen
	c.P2P.ListenAddress = cfg.P2PListen
	if c.P2P.ListenAddress == "" {
		c.P2P.ListenAddress = "tcp://127.0.0.1:0"
	}
	c.P2P.PersistentPeers = cfg.PersistentPeers
	interval := cfg.BlockInterval
	if interval == 0 {
		interval = DefaultBlockInterval
	}
	tune(c, interval)
	return start(c, cfg.Genesis, cfg.Logger)
}

// tune sets what every node of this project runs with: configured peers
// only (no PEX address book), loopback-friendly p2p, the block interval as
// CometBFT's commit timeout, a short propose timeout, no Prometheus.
func tune(c *cmtcfg.Config, interval time.Duration) {
	c.P2P.AllowDuplicateIP = true
	c.P2P.AddrBookStrict = false
	c.P2P.PexReactor = false
	c.Consensus.TimeoutCommit = interval
	c.Consensus.TimeoutPropose = time.Second
	c.Instrumentation.Prometheus = false
}

// LoadConfig reads a CometBFT home directory's config/config.toml the way
// CometBFT's own command does: the file's values over DefaultConfig, paths
// relative to home, then ValidateBasic.
func LoadConfig(home string) (*cmtcfg.Config, error) {
	path := filepath.Join(home, "config", "config.toml")
	v := viper.New()
	v.SetConfigFile(path)
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("abci: read %s: %w", path, err)
	}
	c := cmtcfg.DefaultConfig()
	if err := v.Unmarshal(c); err != nil {
		return nil, fmt.Errorf("abci: parse %s: %w", path, err)
	}
	c.SetRoot(home)
	if err := c.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("abci: %s: %w", path, err)
	}
	return c, nil
}

// StartHome starts a node from a CometBFT config (see LoadConfig) whose home
// already holds the genesis and keys (see GenerateNetwork). The application
// state lives in home/app.
func StartHome(c *cmtcfg.Config, logger *slog.Logger) (*Node, error) {
	if _, err := os.Stat(c.GenesisFile()); err != nil {
		return nil, fmt.Errorf("abci: genesis: %w", err)
	}
	return start(c, nil, logger)
}

func start(c *cmtcfg.Config, genesis *chain.Genesis, log *slog.Logger) (*Node, error) {
	if err := c.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("abci: CometBFT config: %w", err)
	}
	pv := privval.LoadOrGenFilePV(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile())
	nodeKey, err := p2p.LoadOrGenNodeKey(c.NodeKeyFile())
	if err != nil {
		return nil, fmt.Errorf("abci: node key: %w", err)
	}
	if _, err := os.Stat(c.GenesisFile()); errors.Is(err, os.ErrNotExist) {
		if genesis == nil {
			return nil, errors.New("abci: no genesis in home and none configured")
		}
		if err := writeGenesis(c.GenesisFile(), genesis, pv); err != nil {
			return nil, err
		}
	}
	db, err := OpenDB(filepath.Join(c.RootDir, "app"))
	if err != nil {
		return nil, err
	}
	m, err := chain.New(chain.Config{})
	if err != nil {
		db.Close()
		return nil, err
	}
	app, err := NewApp(AppConfig{DB: db, Machine: m, Logger: log})
	if err != nil {
		db.Close()
		return nil, err
	}
	logger := cmtlog.NewNopLogger()
	if log != nil {
		// config.toml's log_level ("info", "*:error,consensus:info", ...)
		// filters CometBFT's modules, as in CometBFT's own command.
		if logger, err = cmtflags.ParseLogLevel(c.LogLevel, slogAdapter{log}, cmtcfg.DefaultLogLevel); err != nil {
			db.Close()
			return nil, fmt.Errorf("abci: log_level: %w", err)
		}
	}
	dbs := &dbTracker{}
	n, err := cmtnode.NewNode(c, pv, nodeKey, proxy.NewLocalClientCreator(app),
		cmtnode.DefaultGenesisDocProviderFunc(c), dbs.provide,
		cmtnode.DefaultMetricsProvider(c.Instrumentation), logger)
	if err != nil {
		dbs.closeAll()
		db.Close()
		return nil, fmt.Errorf("abci: new CometBFT node: %w", err)
	}
	if err := n.Start(); err != nil {
		dbs.closeAll()
		db.Close()
		return nil, fmt.Errorf("abci: start CometBFT node: %w", err)
	}
	return &Node{node: n, app: app, db: db, dbs: dbs}, nil
}

// writeGenesis writes a CometBFT genesis with pv as the only validator and
// the chain genesis as app state.
func writeGenesis(path string, g *chain.Genesis, pv *privval.FilePV) error {
	state, err := json.Marshal(g)
	if err != nil {
		return err
	}
	pub, err := pv.GetPubKey()
	if err != nil {
		return err
	}
	doc := &cmttypes.GenesisDoc{
		GenesisTime: g.GenesisTime, ChainID: g.ChainID, InitialHeight: 1,
		ConsensusParams: cmttypes.DefaultConsensusParams(),
		Validators:      []cmttypes.GenesisValidator{{Address: pub.Address(), PubKey: pub, Power: 10, Name: "validator"}},
		AppState:        state,
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return fmt.Errorf("abci: genesis: %w", err)
	}
	return doc.SaveAs(path)
}

// Client returns an in-process RPC client of the node.
func (n *Node) Client() *rpclocal.Local { return rpclocal.New(n.node) }

// Done is closed when the node stops, by Close or on its own (a fatal
// consensus error).
func (n *Node) Done() <-chan struct{} { return n.node.Quit() }

// App returns the application.
func (n *Node) App() *App { return n.app }

// Close stops the node and closes the state store.
func (n *Node) Close() error {
	var err error
	if n.node.IsRunning() {
		err = n.node.Stop()
		n.node.Wait()
	}
	n.dbs.closeAll()
	return errors.Join(err, n.db.Close())
}

// slogAdapter routes CometBFT's logger to slog.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Debug(msg string, kv ...any) { a.l.Debug(msg, kv...) }
func (a slogAdapter) Info(msg string, kv ...any)  { a.l.Info(msg, kv...) }
func (a slogAdapter) Error(msg string, kv ...any) { a.l.Error(msg, kv...) }
func (a slogAdapter) With(kv ...any) cmtlog.Logger {
	return slogAdapter{a.l.With(kv...)}
}
