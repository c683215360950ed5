package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/chain/abci"
	"github.com/walrus-go/walrus/crypto/account"
	"github.com/walrus-go/walrus/crypto/keyfile"
	"github.com/walrus-go/walrus/internal/cmdline"
	"github.com/walrus-go/walrus/internal/loopback"
)

// Files of a storage node under its home directory (next to CometBFT's
// config/ and data/): the node's own keys.
const (
	nodeKeysDir      = "walrus"
	protocolKeyFile  = "protocol.key"      // BLS, base64(0x04 || secret)
	networkKeyFile   = "network.pem"       // secp256r1, PKCS#8 PEM
	operatorKeystore = "operator.keystore" // Ed25519 account in Sui's format
	clientKeystore   = "client.keystore"   // in the network directory: funded accounts
)

// networkOptions are the parameters of generate-network.
type networkOptions struct {
	Validators      int
	Dir             string
	ChainID         string
	NShards         int
	EpochDuration   time.Duration
	MaxEpochsAhead  uint32
	BlockInterval   time.Duration
	Host            string
	BasePort        int // node i: p2p BasePort+10i+6, RPC +7; 0 picks free ports
	RESTBasePort    int // node i's storage REST API: RESTBasePort+i; 0 picks free ports
	MetricsBasePort int // node i's metrics: MetricsBasePort+i; 0 picks free ports, -1 turns metrics off
	StakeWAL        uint64
	Accounts        int
	AccountWAL      uint64
	MinFee          uint64
	Faucet          bool
	LogLevel        string // CometBFT's log_level in config.toml
	GenesisTime     time.Time
}

func defaultNetworkOptions() networkOptions {
	return networkOptions{
		Validators: 4, ChainID: "walrus-local", NShards: 100, EpochDuration: time.Hour, MaxEpochsAhead: 53,
		BlockInterval: abci.DefaultBlockInterval, Host: "127.0.0.1", BasePort: 26650, RESTBasePort: 9185,
		MetricsBasePort: 9285,
		StakeWAL:        1000, Accounts: 1, AccountWAL: 1_000_000, MinFee: 1000, Faucet: true,
		LogLevel: abci.DefaultNetworkLogLevel,
	}
}

// Validate checks the options.
func (o *networkOptions) Validate() error {
	switch {
	case o.Validators < 1 || o.Validators > 100:
		return fmt.Errorf("--validators %d: want 1 to 100", o.Validators)
	case o.Dir == "":
		return errors.New("--dir is required")
	case o.ChainID == "" || len(o.ChainID) > chain.MaxChainIDLen:
		return fmt.Errorf("--chain-id %q: want 1 to %d bytes", o.ChainID, chain.MaxChainIDLen)
	case o.NShards < 4 || o.NShards > 1<<16-1:
		return fmt.Errorf("--n-shards %d: want 4 to 65535", o.NShards)
	case o.NShards < o.Validators:
		return fmt.Errorf("--n-shards %d: fewer shards than validators", o.NShards)
	case o.EpochDuration < time.Second:
		return fmt.Errorf("--epoch-duration %v: want at least 1s", o.EpochDuration)
	case o.MaxEpochsAhead == 0:
		return errors.New("--max-epochs-ahead must be positive")
	case o.BlockInterval <= 0:
		return fmt.Errorf("--block-interval %v: want a positive duration", o.BlockInterval)
	case o.BasePort < 0 || o.BasePort+10*o.Validators > 65535:
		return fmt.Errorf("--base-port %d: ports out of range", o.BasePort)
	case o.RESTBasePort < 0 || o.RESTBasePort+o.Validators > 65535:
		return fmt.Errorf("--rest-base-port %d: ports out of range", o.RESTBasePort)
	case o.MetricsBasePort < -1 || o.MetricsBasePort+o.Validators > 65535:
		return fmt.Errorf("--metrics-base-port %d: ports out of range", o.MetricsBasePort)
	case o.MetricsBasePort > 0 && o.RESTBasePort > 0 && o.MetricsBasePort < o.RESTBasePort+o.Validators && o.RESTBasePort < o.MetricsBasePort+o.Validators:
		return fmt.Errorf("--metrics-base-port %d: overlaps the REST ports from %d", o.MetricsBasePort, o.RESTBasePort)
	case o.StakeWAL == 0:
		return errors.New("--stake must be positive")
	case o.Accounts < 0 || o.Accounts > 10000:
		return fmt.Errorf("--accounts %d: want 0 to 10000", o.Accounts)
	}
	return nil
}

// generatedNode describes one generated validator.
type generatedNode struct {
	Home     string        `json:"home"`
	P2P      string        `json:"p2p"`
	RPC      string        `json:"rpc"`
	REST     string        `json:"rest"`
	Metrics  string        `json:"metrics,omitempty"`
	Config   string        `json:"config"` // the storage node's walrus/node.yaml
	Operator chain.Address `json:"operator"`
}

type generateOutput struct {
	ChainID  string          `json:"chainId"`
	Dir      string          `json:"dir"`
	Nodes    []generatedNode `json:"nodes"`
	Accounts []chain.Address `json:"accounts"`
	Keystore string          `json:"keystore,omitempty"`
}

func (a *app) generateNetworkCommand() *cobra.Command {
	o := defaultNetworkOptions()
	var genesisTime string
	c := &cobra.Command{
		Use:   "generate-network --validators N --dir DIR",
		Short: "Write the home directories and shared genesis of an N-validator network",
		Long: `Writes DIR/node0 .. DIR/node{N-1}, each a standard CometBFT home (config/config.toml,
config/genesis.json, node and validator keys) plus the storage node's keys in walrus/
(protocol.key, network.pem, operator.keystore) and its configuration walrus/node.yaml, and
DIR/client.keystore with funded accounts. Every validator is also a storage node of the
genesis committee with equal stake. Run each validator with
  walrus-node chain run --home DIR/nodeI
and its storage node with
  walrus-node run --config DIR/nodeI/walrus/node.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if genesisTime != "" {
				t, err := time.Parse(time.RFC3339, genesisTime)
				if err != nil {
					return cmdline.Usage(fmt.Errorf("--genesis-time: %w", err))
				}
				o.GenesisTime = t
			}
			if err := o.Validate(); err != nil {
				return cmdline.Usage(err)
			}
			out, err := generateNetwork(o)
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(out)
			}
			fmt.Fprintf(a.stdout, "Generated %d validators of chain %q in %s\n", len(out.Nodes), out.ChainID, out.Dir)
			for i, n := range out.Nodes {
				fmt.Fprintf(a.stdout, "  node%d: home %s, p2p %s, rpc %s, rest %s, metrics %s, operator %s\n", i, n.Home, n.P2P, n.RPC, n.REST, n.Metrics, n.Operator)
			}
			if out.Keystore != "" {
				fmt.Fprintf(a.stdout, "Funded accounts in %s\n", out.Keystore)
			}
			fmt.Fprintf(a.stdout, "Run each with: walrus-node chain run --home %s\n", filepath.Join(out.Dir, "nodeI"))
			fmt.Fprintf(a.stdout, "         and: walrus-node run --config %s\n", filepath.Join(out.Dir, "nodeI", nodeKeysDir, nodeConfigFile))
			return nil
		},
	}
	f := c.Flags()
	f.IntVar(&o.Validators, "validators", o.Validators, "number of validators (each also a storage node)")
	f.StringVar(&o.Dir, "dir", "", "directory for the validators' homes (must not hold a network yet)")
	f.StringVar(&o.ChainID, "chain-id", o.ChainID, "chain ID")
	f.IntVar(&o.NShards, "n-shards", o.NShards, "number of shards")
	f.DurationVar(&o.EpochDuration, "epoch-duration", o.EpochDuration, "epoch duration")
	f.Uint32Var(&o.MaxEpochsAhead, "max-epochs-ahead", o.MaxEpochsAhead, "how many epochs ahead storage can be bought")
	f.DurationVar(&o.BlockInterval, "block-interval", o.BlockInterval, "pause after each block (CometBFT's timeout_commit)")
	f.StringVar(&o.Host, "host", o.Host, "host the validators listen on and reach each other at")
	f.IntVar(&o.BasePort, "base-port", o.BasePort, "node i listens on p2p BASE+10i+6 and RPC BASE+10i+7; 0 picks free ports")
	f.IntVar(&o.RESTBasePort, "rest-base-port", o.RESTBasePort, "node i's storage REST API port (in the genesis committee) is REST+i; 0 picks free ports")
	f.IntVar(&o.MetricsBasePort, "metrics-base-port", o.MetricsBasePort, "node i's metrics port is METRICS+i; 0 picks free ports, -1 turns metrics off")
	f.Uint64Var(&o.StakeWAL, "stake", o.StakeWAL, "WAL staked on each node at genesis")
	f.IntVar(&o.Accounts, "accounts", o.Accounts, "funded client accounts to create in DIR/client.keystore")
	f.Uint64Var(&o.AccountWAL, "account-balance", o.AccountWAL, "WAL of each client account")
	f.Uint64Var(&o.MinFee, "min-fee", o.MinFee, "minimum transaction fee in FROST")
	f.BoolVar(&o.Faucet, "faucet", o.Faucet, "enable the faucet (local and test networks)")
	f.StringVar(&o.LogLevel, "cometbft-log-level", o.LogLevel, "CometBFT's log_level in config.toml (e.g. info, *:error,consensus:info)")
	f.StringVar(&genesisTime, "genesis-time", "", "genesis time, RFC 3339 (default: now)")
	return c
}

// generateNetwork writes the network and returns its description.
func generateNetwork(o networkOptions) (*generateOutput, error) {
	for i := range o.Validators {
		if _, err := os.Stat(abci.NodeHome(o.Dir, i)); !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s already exists: refusing to overwrite a network", abci.NodeHome(o.Dir, i))
		}
	}
	if o.GenesisTime.IsZero() {
		o.GenesisTime = time.Now()
	}
	g := &chain.Genesis{
		ChainID: o.ChainID, GenesisTime: o.GenesisTime.UTC().Truncate(time.Millisecond), NShards: uint16(o.NShards),
		EpochDuration: o.EpochDuration, MaxEpochsAhead: o.MaxEpochsAhead, MinFee: o.MinFee,
		FaucetEnabled: o.Faucet, FaucetMax: 1000 * chain.FrostPerWAL,
	}
	out := &generateOutput{ChainID: o.ChainID, Dir: o.Dir}
	// Free ports stay bound until every port is chosen, so the kernel
	// cannot hand the same one out twice (a REST port equal to another
	// node's metrics port).
	res := &portReserver{}
	defer res.release()
	p2p, rpc, err := ports(o, res)
	if err != nil {
		return nil, err
	}
	for i := range o.Validators {
		home := abci.NodeHome(o.Dir, i)
		n, err := generateNodeKeys(home, i, o, g, res)
		if err != nil {
			return nil, err
		}
		n.P2P, n.RPC = p2p[i], rpc[i]
		if err := writeGeneratedConfig(n, i, o, res); err != nil {
			return nil, err
		}
		out.Nodes = append(out.Nodes, *n)
	}
	if o.Accounts > 0 {
		ks := account.NewKeystore()
		for i := range o.Accounts {
			k, err := ks.Generate("account-" + strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			g.Balances = append(g.Balances, chain.GenesisBalance{Address: k.Address(), Amount: o.AccountWAL * chain.FrostPerWAL})
			out.Accounts = append(out.Accounts, k.Address())
		}
		out.Keystore = filepath.Join(o.Dir, clientKeystore)
		if err := keyfile.SaveKeystore(out.Keystore, ks); err != nil {
			return nil, err
		}
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	if _, err := abci.GenerateNetwork(abci.NetworkConfig{
		Dir: o.Dir, Genesis: g, P2PAddrs: p2p, RPCAddrs: rpc, BlockInterval: o.BlockInterval, LogLevel: o.LogLevel,
	}); err != nil {
		return nil, err
	}
	return out, nil
}

// generateNodeKeys writes a storage node's keys under home and adds it to
// the genesis committee.
func generateNodeKeys(home string, i int, o networkOptions, g *chain.Genesis, res *portReserver) (*generatedNode, error) {
	dir := filepath.Join(home, nodeKeysDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	keys, err := writeNodeKeys(dir)
	if err != nil {
		return nil, err
	}
	sk, nk, op := keys.protocol, keys.network, keys.operator
	rest, err := res.nodePort(o.Host, o.RESTBasePort, i)
	if err != nil {
		return nil, err
	}
	npk := nk.PublicKey()
	g.Nodes = append(g.Nodes, chain.GenesisNode{
		Operator: op.Address(), Name: fmt.Sprintf("node%d", i), NetworkAddress: rest,
		PublicKey: sk.PublicKey().Bytes(), NetworkPublicKey: npk[:], Stake: o.StakeWAL * chain.FrostPerWAL,
		Commission: 0, StoragePrice: 100_000, WritePrice: 20_000, Capacity: 1 << 40,
	})
	// Enough WAL for the operator's transactions (epoch sync, votes).
	g.Balances = append(g.Balances, chain.GenesisBalance{Address: op.Address(), Amount: 1000 * chain.FrostPerWAL})
	return &generatedNode{Home: home, REST: rest, Operator: op.Address()}, nil
}

// nodePort returns node i's "host:port" from a base port (0: a free port).
func (r *portReserver) nodePort(host string, base, i int) (string, error) {
	if base == 0 {
		return r.freePort(host)
	}
	return net.JoinHostPort(host, strconv.Itoa(base+i)), nil
}

// writeGeneratedConfig writes node i's walrus/node.yaml: its REST address
// (as in the genesis committee), metrics, and its validator's RPC.
func writeGeneratedConfig(n *generatedNode, i int, o networkOptions, res *portReserver) error {
	c := defaultNodeFileConfig()
	c.Name = fmt.Sprintf("node%d", i)
	c.RESTAPIAddress, c.PublicAddress = n.REST, n.REST
	c.MetricsAddress = ""
	if o.MetricsBasePort >= 0 {
		m, err := res.nodePort(o.Host, o.MetricsBasePort, i)
		if err != nil {
			return err
		}
		c.MetricsAddress, n.Metrics = m, m
	}
	c.Chain.RPCAddress = "tcp://" + n.RPC
	c.Chain.ChainID = o.ChainID
	c.Chain.MinFee = o.MinFee
	if err := c.Validate(); err != nil {
		return err
	}
	n.Config = filepath.Join(n.Home, nodeKeysDir, nodeConfigFile)
	return writeNodeConfig(n.Config, &c)
}

// ports returns each validator's p2p and RPC "host:port".
func ports(o networkOptions, res *portReserver) (p2p, rpc []string, err error) {
	for i := range o.Validators {
		if o.BasePort != 0 {
			p2p = append(p2p, net.JoinHostPort(o.Host, strconv.Itoa(o.BasePort+10*i+6)))
			rpc = append(rpc, net.JoinHostPort(o.Host, strconv.Itoa(o.BasePort+10*i+7)))
			continue
		}
		for range 2 {
			p, err := res.freePort(o.Host)
			if err != nil {
				return nil, nil, err
			}
			if len(p2p) == i {
				p2p = append(p2p, p)
			} else {
				rpc = append(rpc, p)
			}
		}
	}
	return p2p, rpc, nil
}

// portReserver hands out free ports and keeps each bound until release.
type portReserver struct{ held []net.Listener }

// freePort finds a free TCP port on host outside the kernel's ephemeral
// range (so that a restarted validator or node gets it back).
func (r *portReserver) freePort(host string) (string, error) {
	l, err := loopback.ListenHost(host)
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	r.held = append(r.held, l)
	return l.Addr().String(), nil
}

func (r *portReserver) release() {
	for _, l := range r.held {
		l.Close()
	}
	r.held = nil
}
