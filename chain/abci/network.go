package abci

import (
	"cmp"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/walrus-go/walrus/chain"
)

// NetworkConfig describes an N-validator network to generate.
type NetworkConfig struct {
	Dir     string         // parent directory; homes are Dir/node0..node{N-1}
	Genesis *chain.Genesis // the chain genesis shared by every validator
	// P2PAddrs and RPCAddrs are each validator's "host:port" for p2p and
	// RPC; their count is the number of validators.
	P2PAddrs []string
	RPCAddrs []string
	// BlockInterval is CometBFT's commit timeout (DefaultBlockInterval if 0).
	BlockInterval time.Duration
	// LogLevel is config.toml's log_level, CometBFT's per-module filter;
	// "" means DefaultNetworkLogLevel.
	LogLevel string
}

// DefaultNetworkLogLevel keeps CometBFT's logs to errors: a validator logs
// ten blocks a second otherwise.
const DefaultNetworkLogLevel = "*:error"

// NodeHome returns the home directory of validator i under dir.
func NodeHome(dir string, i int) string { return filepath.Join(dir, fmt.Sprintf("node%d", i)) }

// Validate checks the config.
func (c *NetworkConfig) Validate() error {
	if c.Dir == "" || c.Genesis == nil || len(c.P2PAddrs) == 0 || len(c.RPCAddrs) != len(c.P2PAddrs) {
		return fmt.Errorf("abci: NetworkConfig needs Dir, Genesis and as many RPC as p2p addresses")
	}
	if c.BlockInterval < 0 {
		return fmt.Errorf("abci: negative block interval %v", c.BlockInterval)
	}
	return nil
}

// GenerateNetwork writes a standard CometBFT home directory per validator
// (config.toml, genesis.json with every validator at equal power, node and
// validator keys) and returns the NodeConfig that starts each of them.
func GenerateNetwork(cfg NetworkConfig) ([]NodeConfig, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := len(cfg.P2PAddrs)
	homes := make([]string, n)
	ids := make([]string, n)
	var vals []cmttypes.GenesisValidator
	for i := range n {
		homes[i] = NodeHome(cfg.Dir, i)
		cmtcfg.EnsureRoot(homes[i])
		c := cmtcfg.DefaultConfig().SetRoot(homes[i])
		pv := privval.LoadOrGenFilePV(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile())
		nk, err := p2p.LoadOrGenNodeKey(c.NodeKeyFile())
		if err != nil {
			return nil, fmt.Errorf("abci: node key %d: %w", i, err)
		}
		ids[i] = string(nk.ID())
		pub, err := pv.GetPubKey()
		if err != nil {
			return nil, err
		}
		vals = append(vals, cmttypes.GenesisValidator{Address: pub.Address(), PubKey: pub, Power: 10, Name: fmt.Sprintf("node%d", i)})
	}
	state, err := json.Marshal(cfg.Genesis)
	if err != nil {
		return nil, err
	}
	doc := &cmttypes.GenesisDoc{
		GenesisTime: cfg.Genesis.GenesisTime, ChainID: cfg.Genesis.ChainID, InitialHeight: 1,
		ConsensusParams: cmttypes.DefaultConsensusParams(), Validators: vals, AppState: state,
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return nil, fmt.Errorf("abci: genesis: %w", err)
	}
	interval := cfg.BlockInterval
	if interval == 0 {
		interval = DefaultBlockInterval
	}
	out := make([]NodeConfig, n)
	for i := range n {
		var peers []string
		for j := range n {
			if j != i {
				peers = append(peers, ids[j]+"@"+cfg.P2PAddrs[j])
			}
		}
		c := cmtcfg.DefaultConfig().SetRoot(homes[i])
		c.Moniker = fmt.Sprintf("node%d", i)
		c.P2P.ListenAddress = "tcp://" + cfg.P2PAddrs[i]
		c.RPC.ListenAddress = "tcp://" + cfg.RPCAddrs[i]
		c.P2P.PersistentPeers = strings.Join(peers, ",")
		tune(c, interval)
		c.LogLevel = cmp.Or(cfg.LogLevel, DefaultNetworkLogLevel)
		if err := doc.SaveAs(c.GenesisFile()); err != nil {
			return nil, err
		}
		cmtcfg.WriteConfigFile(filepath.Join(homes[i], "config", "config.toml"), c)
		out[i] = NodeConfig{Home: homes[i], RPCListen: c.RPC.ListenAddress, P2PListen: c.P2P.ListenAddress,
			PersistentPeers: c.P2P.PersistentPeers, BlockInterval: interval}
	}
	return out, nil
}
