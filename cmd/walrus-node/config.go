package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/walrus-go/walrus/node"
	"go.yaml.in/yaml/v3"
)

// The storage node's configuration file (YAML, walrus-node run --config).
// Relative paths are relative to the file's directory. Unknown fields are
// rejected; absent fields keep their defaults.

// Default addresses and chain settings of a node's configuration file.
const (
	defaultMetricsAddress = "127.0.0.1:9184"
	defaultChainRPC       = "tcp://127.0.0.1:26657"
	defaultChainID        = "walrus-local"
	defaultMinFee         = 1000
	defaultPollInterval   = 100 * time.Millisecond
	defaultShutdownGrace  = 10 * time.Second
	nodeConfigFile        = "node.yaml"
)

// nodeFileConfig is the YAML configuration file of a storage node.
type nodeFileConfig struct {
	// Name labels the node's logs.
	Name string `yaml:"name"`
	// RESTAPIAddress is where the REST API listens (host:port).
	RESTAPIAddress string `yaml:"rest_api_address"`
	// PublicAddress is the host:port registered on chain, where the other
	// nodes and clients reach this node (checked against the chain at start).
	PublicAddress string `yaml:"public_address"`
	// DataDir holds the node's database.
	DataDir string `yaml:"data_dir"`
	// ProtocolKeyFile is the node's BLS key (walrus-node setup writes it).
	ProtocolKeyFile string `yaml:"protocol_key_file"`
	// NetworkKeyFile is the node's TLS key (secp256r1 PEM); empty serves
	// plain HTTP (behind a TLS proxy only).
	NetworkKeyFile string `yaml:"network_key_file"`
	// OperatorKeystore and OperatorKey (alias or address in the keystore)
	// hold the account that operates the node's pool: the node reports
	// epoch_sync_done with it. Empty: the operator reports by hand.
	OperatorKeystore string `yaml:"operator_keystore"`
	OperatorKey      string `yaml:"operator_key"`
	// MetricsAddress serves Prometheus metrics at /metrics; empty disables.
	MetricsAddress string          `yaml:"metrics_address"`
	Chain          chainFileConfig `yaml:"chain"`
	Log            logFileConfig   `yaml:"log"`
	Limits         limitsConfig    `yaml:"limits"`
	Timeouts       timeoutsConfig  `yaml:"timeouts"`
	Store          storeConfig     `yaml:"store"`
	// PeerPlainHTTP reaches the other nodes over plain HTTP (test networks
	// whose nodes have no network keys).
	PeerPlainHTTP bool `yaml:"peer_plain_http"`
}

type chainFileConfig struct {
	// RPCAddress is a CometBFT RPC endpoint of the chain (tcp://host:port).
	RPCAddress string `yaml:"rpc_address"`
	ChainID    string `yaml:"chain_id"`
	// MinFee is the fee put on the node's transactions, in FROST.
	MinFee uint64 `yaml:"min_fee"`
	// PollInterval is how often the node looks for new blocks.
	PollInterval time.Duration `yaml:"poll_interval"`
}

type logFileConfig struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text, json
}

type limitsConfig struct {
	MaxConcurrentRequests  int   `yaml:"max_concurrent_requests"`
	MaxConcurrentRecovery  int   `yaml:"max_concurrent_recovery"`
	MaxConcurrentBlobSyncs int   `yaml:"max_concurrent_blob_syncs"`
	MaxSliverSize          int64 `yaml:"max_sliver_size"` // 0: the largest the shard count allows
	BodyHeadroom           int64 `yaml:"body_headroom"`
	MaxHeaderBytes         int   `yaml:"max_header_bytes"`
	MaxPendingBytes        int64 `yaml:"max_pending_bytes"`
	MaxPendingBlobs        int   `yaml:"max_pending_blobs"`
	MaxSyncShardBytes      int64 `yaml:"max_sync_shard_bytes"`
}

type timeoutsConfig struct {
	ReadHeader          time.Duration `yaml:"read_header"`
	Read                time.Duration `yaml:"read"`
	Write               time.Duration `yaml:"write"`
	Idle                time.Duration `yaml:"idle"`
	CommitteeRefresh    time.Duration `yaml:"committee_refresh"`
	MaxRegistrationWait time.Duration `yaml:"max_registration_wait"`
	RetryInterval       time.Duration `yaml:"retry_interval"`
	PendingTTL          time.Duration `yaml:"pending_ttl"`
	BlobSyncDelay       time.Duration `yaml:"blob_sync_delay"`
	ShardRecoveryAfter  time.Duration `yaml:"shard_recovery_after"`
	ShutdownGrace       time.Duration `yaml:"shutdown_grace"`
}

type storeConfig struct {
	CacheSize    int64  `yaml:"cache_size"`
	MemTableSize uint64 `yaml:"memtable_size"`
}

// defaultNodeFileConfig returns the defaults (those of package node for the
// limits and timeouts).
func defaultNodeFileConfig() nodeFileConfig {
	return nodeFileConfig{
		RESTAPIAddress:   node.DefaultListenAddress,
		DataDir:          "db",
		ProtocolKeyFile:  protocolKeyFile,
		NetworkKeyFile:   networkKeyFile,
		OperatorKeystore: operatorKeystore,
		OperatorKey:      "operator",
		MetricsAddress:   defaultMetricsAddress,
		Chain:            chainFileConfig{RPCAddress: defaultChainRPC, ChainID: defaultChainID, MinFee: defaultMinFee, PollInterval: defaultPollInterval},
		Log:              logFileConfig{Level: "info", Format: "text"},
		Limits: limitsConfig{
			MaxConcurrentRequests: node.DefaultMaxConcurrentRequests, MaxConcurrentRecovery: node.DefaultMaxConcurrentRecovery,
			MaxConcurrentBlobSyncs: node.DefaultMaxConcurrentSyncs, BodyHeadroom: node.DefaultBodyHeadroom,
			MaxHeaderBytes: node.DefaultMaxHeaderBytes, MaxPendingBytes: node.DefaultMaxPendingBytes,
			MaxPendingBlobs: node.DefaultMaxPendingBlobs, MaxSyncShardBytes: node.DefaultMaxSyncShardBytes,
		},
		Timeouts: timeoutsConfig{
			ReadHeader: node.DefaultReadHeaderTimeout, Read: node.DefaultReadTimeout, Write: node.DefaultWriteTimeout,
			Idle: node.DefaultIdleTimeout, CommitteeRefresh: node.DefaultCommitteeRefresh,
			MaxRegistrationWait: node.DefaultMaxRegistrationWait, RetryInterval: node.DefaultRetryInterval,
			PendingTTL: node.DefaultPendingTTL, BlobSyncDelay: node.DefaultBlobSyncDelay, ShutdownGrace: defaultShutdownGrace,
			ShardRecoveryAfter: node.DefaultShardRecoveryAfter,
		},
		Store: storeConfig{CacheSize: 64 << 20, MemTableSize: 64 << 20},
	}
}

// errNodeConfig marks an invalid configuration file.
var errNodeConfig = errors.New("invalid node configuration")

func checkHostPort(field, addr string, required bool) error {
	if addr == "" {
		if required {
			return fmt.Errorf("%w: %s is required", errNodeConfig, field)
		}
		return nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("%w: %s %q: want host:port (%v)", errNodeConfig, field, addr, err)
	}
	return nil
}

// Validate checks the configuration.
func (c *nodeFileConfig) Validate() error {
	if err := checkHostPort("rest_api_address", c.RESTAPIAddress, true); err != nil {
		return err
	}
	if err := checkHostPort("public_address", c.PublicAddress, false); err != nil {
		return err
	}
	if err := checkHostPort("metrics_address", c.MetricsAddress, false); err != nil {
		return err
	}
	if c.MetricsAddress != "" && c.MetricsAddress == c.RESTAPIAddress {
		return fmt.Errorf("%w: metrics_address and rest_api_address are both %s", errNodeConfig, c.MetricsAddress)
	}
	switch {
	case c.DataDir == "":
		return fmt.Errorf("%w: data_dir is required", errNodeConfig)
	case c.ProtocolKeyFile == "":
		return fmt.Errorf("%w: protocol_key_file is required", errNodeConfig)
	case c.OperatorKeystore != "" && c.OperatorKey == "":
		return fmt.Errorf("%w: operator_key (alias or address) is required with operator_keystore", errNodeConfig)
	case c.Chain.RPCAddress == "":
		return fmt.Errorf("%w: chain.rpc_address is required", errNodeConfig)
	case !strings.Contains(c.Chain.RPCAddress, "://"):
		return fmt.Errorf("%w: chain.rpc_address %q: want a URL such as tcp://127.0.0.1:26657", errNodeConfig, c.Chain.RPCAddress)
	case c.Chain.ChainID == "":
		return fmt.Errorf("%w: chain.chain_id is required", errNodeConfig)
	case c.Chain.PollInterval <= 0:
		return fmt.Errorf("%w: chain.poll_interval must be positive", errNodeConfig)
	case c.Log.Format != "text" && c.Log.Format != "json":
		return fmt.Errorf("%w: log.format %q: want text or json", errNodeConfig, c.Log.Format)
	case c.Timeouts.ShutdownGrace <= 0:
		return fmt.Errorf("%w: timeouts.shutdown_grace must be positive", errNodeConfig)
	case c.Store.CacheSize < 0:
		return fmt.Errorf("%w: store.cache_size must not be negative", errNodeConfig)
	}
	if _, err := parseLevel(c.Log.Level); err != nil {
		return fmt.Errorf("%w: log.level %q: want debug, info, warn or error", errNodeConfig, c.Log.Level)
	}
	l := c.Limits
	if l.MaxConcurrentRequests < 1 || l.MaxConcurrentRecovery < 1 || l.MaxConcurrentBlobSyncs < 1 {
		return fmt.Errorf("%w: limits.max_concurrent_* must be at least 1", errNodeConfig)
	}
	if l.MaxSliverSize < 0 || l.BodyHeadroom < 0 || l.MaxHeaderBytes < 1 || l.MaxPendingBytes < 0 || l.MaxPendingBlobs < 0 || l.MaxSyncShardBytes < 0 {
		return fmt.Errorf("%w: limits: sizes must not be negative (max_header_bytes at least 1)", errNodeConfig)
	}
	t := c.Timeouts
	for name, d := range map[string]time.Duration{
		"read_header": t.ReadHeader, "read": t.Read, "write": t.Write, "idle": t.Idle,
		"max_registration_wait": t.MaxRegistrationWait, "pending_ttl": t.PendingTTL, "blob_sync_delay": t.BlobSyncDelay,
		"shard_recovery_after": t.ShardRecoveryAfter,
	} {
		if d < 0 {
			return fmt.Errorf("%w: timeouts.%s must not be negative", errNodeConfig, name)
		}
	}
	if t.CommitteeRefresh <= 0 || t.RetryInterval <= 0 {
		return fmt.Errorf("%w: timeouts.committee_refresh and timeouts.retry_interval must be positive", errNodeConfig)
	}
	return nil
}

// parseNodeConfig decodes a configuration over the defaults, rejecting
// unknown fields, and validates it. Relative paths are resolved against
// dir.
func parseNodeConfig(r io.Reader, dir string) (*nodeFileConfig, error) {
	c := defaultNodeFileConfig()
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %v", errNodeConfig, err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	for _, p := range []*string{&c.DataDir, &c.ProtocolKeyFile, &c.NetworkKeyFile, &c.OperatorKeystore} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	return &c, nil
}

// loadNodeConfig reads a configuration file.
func loadNodeConfig(path string) (*nodeFileConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := parseNodeConfig(bytes.NewReader(b), filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// writeNodeConfig writes c as YAML to path (mode 0600), refusing to
// overwrite.
func writeNodeConfig(path string, c *nodeFileConfig) error {
	var b bytes.Buffer
	b.WriteString("# Walrus storage node configuration (walrus-node run --config FILE).\n" +
		"# Relative paths are relative to this file's directory; durations are Go durations (10s, 2m).\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
