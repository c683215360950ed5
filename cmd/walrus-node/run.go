package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	"github.com/walrus-go/walrus/chain/client"
	"github.com/walrus-go/walrus/crypto/bls"
	"github.com/walrus-go/walrus/crypto/keyfile"
	"github.com/walrus-go/walrus/internal/cmdline"
	"github.com/walrus-go/walrus/node"
	"github.com/walrus-go/walrus/storage"
)

func (a *app) runCommand() *cobra.Command {
	var path string
	c := &cobra.Command{
		Use:   "run --config FILE",
		Short: "Run the storage node service described by a configuration file",
		Long: `Runs a storage node: the REST API (HTTPS pinned to the network key), the chain event
follower (over CometBFT RPC), blob sync, the epoch-change service and garbage collection, with
Prometheus metrics on metrics_address (/metrics). Logs are structured (slog) on stderr. Stops
gracefully on SIGINT or SIGTERM. The chain's validator runs separately (walrus-node chain run);
'walrus-node setup' writes a configuration and keys, 'chain generate-network' one per node.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if path == "" {
				return cmdline.Usage(errors.New("--config is required"))
			}
			cfg, err := loadNodeConfig(path)
			if err != nil {
				return err
			}
			log := newLogger(a.stderr, runOptions{LogLevel: cfg.Log.Level, LogFormat: cfg.Log.Format})
			if cfg.Name != "" {
				log = log.With("node", cfg.Name)
			}
			return runNode(cmd.Context(), log, cfg)
		},
	}
	c.Flags().StringVar(&path, "config", "", "the node's YAML configuration file")
	return c
}

// nodeConfig loads the keys and builds the node's configuration.
func (c *nodeFileConfig) nodeConfig(log *slog.Logger, ch node.Chain, reg prometheus.Registerer) (node.Config, error) {
	sk, err := keyfile.LoadBLS(c.ProtocolKeyFile)
	if err != nil {
		return node.Config{}, fmt.Errorf("protocol key: %w", err)
	}
	cfg := node.Config{
		ListenAddress: c.RESTAPIAddress, DataDir: c.DataDir, ProtocolKey: sk, Chain: ch, Logger: log, Registerer: reg,
		StoreOptions:          storage.Options{CacheSize: c.Store.CacheSize, MemTableSize: c.Store.MemTableSize},
		MaxConcurrentRequests: c.Limits.MaxConcurrentRequests, MaxConcurrentRecovery: c.Limits.MaxConcurrentRecovery,
		MaxConcurrentBlobSyncs: c.Limits.MaxConcurrentBlobSyncs, MaxSliverSize: c.Limits.MaxSliverSize,
		BodyHeadroom: c.Limits.BodyHeadroom, MaxHeaderBytes: c.Limits.MaxHeaderBytes,
		MaxPendingBytes: c.Limits.MaxPendingBytes, MaxPendingBlobs: c.Limits.MaxPendingBlobs,
		MaxSyncShardBytes: c.Limits.MaxSyncShardBytes,
		ReadHeaderTimeout: c.Timeouts.ReadHeader, ReadTimeout: c.Timeouts.Read, WriteTimeout: c.Timeouts.Write,
		IdleTimeout: c.Timeouts.Idle, CommitteeRefresh: c.Timeouts.CommitteeRefresh,
		MaxRegistrationWait: c.Timeouts.MaxRegistrationWait, RetryInterval: c.Timeouts.RetryInterval,
		PendingTTL: c.Timeouts.PendingTTL, BlobSyncDelay: c.Timeouts.BlobSyncDelay,
		ShardRecoveryAfter: c.Timeouts.ShardRecoveryAfter,
		PeerPlainHTTP:      c.PeerPlainHTTP,
	}
	if c.NetworkKeyFile != "" {
		if cfg.NetworkKey, err = keyfile.LoadNetwork(c.NetworkKeyFile); err != nil {
			return node.Config{}, fmt.Errorf("network key: %w", err)
		}
	}
	if c.OperatorKeystore != "" {
		ks, err := keyfile.LoadKeystore(c.OperatorKeystore)
		if err != nil {
			return node.Config{}, fmt.Errorf("operator keystore: %w", err)
		}
		k, err := ks.Key(c.OperatorKey)
		if err != nil {
			return node.Config{}, fmt.Errorf("operator key %q in %s: %w", c.OperatorKey, c.OperatorKeystore, err)
		}
		seed := k.Bytes()
		cfg.Operator = ed25519.NewKeyFromSeed(seed[:])
	}
	return cfg, nil
}

// runNode runs the storage node until ctx ends.
func runNode(ctx context.Context, log *slog.Logger, c *nodeFileConfig) error {
	rpc, err := rpchttp.New(c.Chain.RPCAddress, "/websocket")
	if err != nil {
		return fmt.Errorf("chain RPC %s: %w", c.Chain.RPCAddress, err)
	}
	cc, err := client.New(client.Config{RPC: rpc, ChainID: c.Chain.ChainID, MinFee: c.Chain.MinFee, PollInterval: c.Chain.PollInterval})
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	cfg, err := c.nodeConfig(log, cc, reg)
	if err != nil {
		return err
	}

	var metricsSrv *http.Server
	var metricsLn net.Listener
	if c.MetricsAddress != "" {
		if metricsLn, err = net.Listen("tcp", c.MetricsAddress); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
		metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	}
	n, err := node.New(cfg)
	if err != nil {
		if metricsLn != nil {
			metricsLn.Close()
		}
		return err
	}
	pk := cfg.ProtocolKey.PublicKey().Bytes()
	attrs := []any{"rest", n.URL(), "data_dir", c.DataDir, "chain", c.Chain.RPCAddress, "chain_id", c.Chain.ChainID,
		"public_key", fmt.Sprintf("%x", pk[:])}
	metricsErr := make(chan error, 1)
	if metricsSrv != nil {
		attrs = append(attrs, "metrics", "http://"+metricsLn.Addr().String()+"/metrics")
		go func() { metricsErr <- metricsSrv.Serve(metricsLn) }()
	}
	log.Info("storage node started", attrs...)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go checkRegistration(ctx, log, cc, pk, c.PublicAddress)
	runErr := make(chan error, 1)
	go func() { runErr <- n.Run(ctx) }()
	var err1 error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "reason", context.Cause(ctx))
		err1 = <-runErr
	case err1 = <-runErr:
	case err := <-metricsErr:
		err1 = fmt.Errorf("metrics server: %w", err)
		cancel()
		<-runErr
	}
	if metricsSrv != nil {
		sctx, scancel := context.WithTimeout(context.Background(), c.Timeouts.ShutdownGrace)
		if err := metricsSrv.Shutdown(sctx); err != nil {
			metricsSrv.Close()
		}
		scancel()
	}
	err2 := n.Close()
	if err := errors.Join(err1, err2); err != nil {
		log.Error("stopped with error", "err", err)
		return err
	}
	log.Info("stopped")
	return nil
}

// checkRegistration warns when the node's pool is not registered on chain
// or its registered address differs from public_address.
func checkRegistration(ctx context.Context, log *slog.Logger, cc *client.Client, pk [bls.PublicKeySize]byte, public string) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		pools, err := cc.Pools(ctx)
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		for _, p := range pools {
			if p.PublicKey == pk {
				if public != "" && p.NetworkAddress != public {
					log.Warn("the address registered on chain differs from public_address", "registered", p.NetworkAddress, "public_address", public)
				}
				return
			}
		}
		log.Warn("no staking pool on chain has this node's protocol key: the node stays in standby until it is registered")
		return
	}
}
