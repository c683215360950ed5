package clientconfig

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/walrus-go/walrus/chain"
	chainclient "github.com/walrus-go/walrus/chain/client"
	"github.com/walrus-go/walrus/client"
	"github.com/walrus-go/walrus/crypto/account"
)

// dialTimeout bounds the first request to each RPC URL.
const dialTimeout = 10 * time.Second

// Conn is a connection to a network: the SDK client, the chain client it
// uses and the wallet's key (nil without a wallet).
type Conn struct {
	Client *client.Client
	Chain  *chainclient.Client
	Wallet *account.PrivateKey
	// RPCURL is the endpoint in use; System is the chain's state when the
	// connection was made.
	RPCURL string
	System *chain.System

	rpc *rpchttp.HTTP
}

// Close releases the connection.
func (c *Conn) Close() error {
	c.Client.Close()
	if c.rpc.IsRunning() {
		return c.rpc.Stop()
	}
	return nil
}

// Options are the overrides of Connect.
type Options struct {
	// WalletPath replaces the context's keystore (--wallet).
	WalletPath string
	// Logger receives the SDK's debug log; nil discards it.
	Logger *slog.Logger
}

// Connect builds an SDK client for the context: it uses the first RPC URL
// that answers, checks the chain ID and shard count the context pins, and
// loads the wallet.
func (c *Context) Connect(ctx context.Context, opts Options) (*Conn, error) {
	key, err := c.LoadWallet(opts.WalletPath)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, url := range c.RPCURLs {
		conn, err := c.dial(ctx, url, key, opts.Logger)
		if err == nil {
			return conn, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("no chain RPC endpoint answered: %w", errors.Join(errs...))
}

func (c *Context) dial(ctx context.Context, url string, key *account.PrivateKey, logger *slog.Logger) (*Conn, error) {
	rpc, err := rpchttp.New(url, "/websocket")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	st, err := rpc.Status(dctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	chainID := st.NodeInfo.Network
	if c.ChainID != "" && c.ChainID != chainID {
		return nil, fmt.Errorf("%s: chain ID %q, the configuration expects %q", url, chainID, c.ChainID)
	}
	// The fee is a genesis parameter: read it with a first client, then
	// build the one that signs.
	probe, err := chainclient.New(chainclient.Config{RPC: rpc, ChainID: chainID})
	if err != nil {
		return nil, err
	}
	sys, err := probe.System(dctx)
	if err != nil {
		return nil, fmt.Errorf("%s: system state: %w", url, err)
	}
	if c.NShards != 0 && int(sys.NShards) != c.NShards {
		return nil, fmt.Errorf("%s: the chain has %d shards, the configuration expects %d", url, sys.NShards, c.NShards)
	}
	// The websocket lets the chain client hear of new blocks instead of
	// polling; without it, polling still works.
	if err := rpc.Start(); err != nil && logger != nil {
		logger.Debug("chain websocket unavailable; polling", "url", url, "err", err)
	}
	cc, err := chainclient.New(chainclient.Config{RPC: rpc, ChainID: chainID, MinFee: sys.MinFee})
	if err != nil {
		return nil, err
	}
	cfg := c.ClientConfig()
	cfg.Chain = cc
	cfg.Logger = logger
	if key != nil {
		seed := key.Bytes()
		cfg.Wallet = ed25519.NewKeyFromSeed(seed[:])
	}
	sdk, err := client.New(cfg)
	if err != nil {
		if rpc.IsRunning() {
			rpc.Stop()
		}
		return nil, err
	}
	return &Conn{Client: sdk, Chain: cc, Wallet: key, RPCURL: url, System: sys, rpc: rpc}, nil
}

// EpochsLimit is the largest number of epochs a store may buy: the
// chain's limit, lowered by the context's max_epochs_ahead.
func (c *Context) EpochsLimit(sys *chain.System) uint32 {
	m := sys.MaxEpochsAhead
	if c.MaxEpochsAhead != 0 && c.MaxEpochsAhead < m {
		m = c.MaxEpochsAhead
	}
	return m
}
