package node

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/chain/client"
	"github.com/walrus-go/walrus/crypto/bls"
	"github.com/walrus-go/walrus/crypto/netkey"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/storage"
)

// Chain is what the node needs from the chain: the committee and the event
// stream. *client.Client implements it.
type Chain interface {
	Committee(ctx context.Context, which string) (*chain.Committee, error)
	Pools(ctx context.Context) ([]*chain.Pool, error)
	Send(ctx context.Context, key ed25519.PrivateKey, msgs ...chain.Msg) (*client.Inclusion, error)
	Follow(ctx context.Context, cursor chain.EventID, fn func(client.EventRecord) error) error
}

// Defaults.
const (
	DefaultListenAddress         = "0.0.0.0:9185"
	DefaultMaxConcurrentRequests = 256
	DefaultMaxConcurrentRecovery = 16
	DefaultBodyHeadroom          = 4 << 10
	DefaultMaxHeaderBytes        = 64 << 10
	DefaultReadHeaderTimeout     = 10 * time.Second
	DefaultReadTimeout           = 2 * time.Minute
	DefaultWriteTimeout          = 2 * time.Minute
	DefaultIdleTimeout           = 2 * time.Minute
	DefaultCommitteeRefresh      = 5 * time.Second
	DefaultMaxRegistrationWait   = 10 * time.Second
	DefaultRetryInterval         = time.Second
	DefaultMaxPendingBytes       = 64 << 20
	DefaultMaxPendingBlobs       = 1024
	DefaultPendingTTL            = time.Minute
	DefaultMaxSyncShardBytes     = 32 << 20
	DefaultBlobSyncDelay         = 15 * time.Second
	DefaultMaxConcurrentSyncs    = 8
	DefaultShardRecoveryAfter    = 12 * time.Hour
	maxSyncBackoff               = 30 * time.Second
)

// ErrConfig reports an invalid configuration.
var ErrConfig = errors.New("node: invalid config")

// Config configures a storage node.
type Config struct {
	// ListenAddress is the REST API's address (DefaultListenAddress if
	// empty; tests use "127.0.0.1:0").
	ListenAddress string
	// Listener, if set, is used instead of listening on ListenAddress (a
	// caller that must know the address before the node starts binds it).
	Listener net.Listener
	// DataDir holds the node's pebble store. Required.
	DataDir string
	// StoreOptions are passed to storage.Open.
	StoreOptions storage.Options
	// ProtocolKey is the node's BLS key; the node finds itself in the
	// committee by its public key. Required.
	ProtocolKey *bls.SecretKey
	// NetworkKey, if set, makes the API serve HTTPS (HTTP/2) with a
	// self-signed certificate for this key, which clients pin (§4.1);
	// without it the API is plain HTTP (for loopback tests and proxies).
	NetworkKey *netkey.PrivateKey
	// Operator is the account key that operates the node's staking pool; the
	// node sends its epoch_sync_done with it. Without it the node syncs its
	// gained shards but does not report (an operator must).
	Operator ed25519.PrivateKey
	// Chain is the chain client. Required.
	Chain Chain
	// Logger receives the node's log; nil discards it.
	Logger *slog.Logger

	// MaxConcurrentRequests bounds the requests handled at once; more are
	// refused with 503.
	MaxConcurrentRequests int
	// MaxConcurrentRecovery bounds the recovery-symbol and inconsistency-
	// proof requests (CPU-bound) handled at once; more are refused with 503.
	MaxConcurrentRecovery int
	// MaxSliverSize caps the sliver size the node accepts; 0 means the
	// largest sliver the shard count allows (max symbol size × symbols).
	MaxSliverSize int64
	// BodyHeadroom is added to exact body sizes (BCS framing).
	BodyHeadroom int64
	// MaxHeaderBytes bounds request headers (and so URLs).
	MaxHeaderBytes int
	// HTTP server timeouts.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// CommitteeRefresh is how often the committee is re-read (besides on
	// epoch events).
	CommitteeRefresh time.Duration
	// MaxRegistrationWait caps a confirmation request's wait_millis.
	MaxRegistrationWait time.Duration
	// RetryInterval is the pause before retrying a failed chain call.
	RetryInterval time.Duration
	// Pending uploads (pending=true before registration) are held in memory
	// up to MaxPendingBytes and MaxPendingBlobs, for at most PendingTTL.
	MaxPendingBytes int64
	MaxPendingBlobs int
	PendingTTL      time.Duration
	// MaxSyncShardBytes bounds the sliver bytes of one sync-shard response.
	MaxSyncShardBytes int64

	// BlobSyncDelay is how long the node waits after a blob's certification
	// before recovering the slivers it misses (the live upload may still be
	// arriving).
	BlobSyncDelay time.Duration
	// MaxConcurrentBlobSyncs bounds the blobs being recovered at once.
	MaxConcurrentBlobSyncs int
	// Blocked, if set, names the blobs on the node's deny list: their
	// uploads and reads are refused with 403.
	Blocked func(encoding.BlobID) bool
	// ShardRecoveryAfter is how long the node keeps asking a gained shard's
	// previous owner (sync_shard) before recovering the shard blob by blob
	// from the committee's recovery symbols.
	ShardRecoveryAfter time.Duration
	// Registerer, if set, receives the node's Prometheus metrics (requests
	// by route and status, bytes in and out, slivers stored, blob and
	// shard sync progress, shard status, event cursor and lag). One node
	// per registry.
	Registerer prometheus.Registerer
	// GCDelay, if set, replaces the deterministic random delay before
	// phase 2 of an epoch's garbage collection (tests; 0 keeps it).
	GCDelay func(epoch uint32) time.Duration
	// Clock, if set, replaces time.Now for the garbage-collection schedule
	// (tests inject time).
	Clock func() time.Time
	// failSyncShard, if set (tests in this package), makes sync_shard
	// requests to a previous owner fail, as if it did not answer.
	failSyncShard func(shard uint16) bool
	// PeerPlainHTTP makes the node reach its peers over plain HTTP instead
	// of HTTPS pinned to their registered network keys.
	PeerPlainHTTP bool
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	set := func(p *time.Duration, d time.Duration) {
		if *p == 0 {
			*p = d
		}
	}
	if c.ListenAddress == "" {
		c.ListenAddress = DefaultListenAddress
	}
	if c.MaxConcurrentRequests == 0 {
		c.MaxConcurrentRequests = DefaultMaxConcurrentRequests
	}
	if c.MaxConcurrentRecovery == 0 {
		c.MaxConcurrentRecovery = DefaultMaxConcurrentRecovery
	}
	if c.BodyHeadroom == 0 {
		c.BodyHeadroom = DefaultBodyHeadroom
	}
	if c.MaxHeaderBytes == 0 {
		c.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	set(&c.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	set(&c.ReadTimeout, DefaultReadTimeout)
	set(&c.WriteTimeout, DefaultWriteTimeout)
	set(&c.IdleTimeout, DefaultIdleTimeout)
	set(&c.CommitteeRefresh, DefaultCommitteeRefresh)
	set(&c.MaxRegistrationWait, DefaultMaxRegistrationWait)
	set(&c.RetryInterval, DefaultRetryInterval)
	set(&c.PendingTTL, DefaultPendingTTL)
	if c.MaxPendingBytes == 0 {
		c.MaxPendingBytes = DefaultMaxPendingBytes
	}
	set(&c.BlobSyncDelay, DefaultBlobSyncDelay)
	set(&c.ShardRecoveryAfter, DefaultShardRecoveryAfter)
	if c.MaxConcurrentBlobSyncs == 0 {
		c.MaxConcurrentBlobSyncs = DefaultMaxConcurrentSyncs
	}
	if c.MaxSyncShardBytes == 0 {
		c.MaxSyncShardBytes = DefaultMaxSyncShardBytes
	}
	if c.MaxPendingBlobs == 0 {
		c.MaxPendingBlobs = DefaultMaxPendingBlobs
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate checks a config (after WithDefaults).
func (c *Config) Validate() error {
	switch {
	case c.DataDir == "":
		return fmt.Errorf("%w: DataDir is required", ErrConfig)
	case c.ProtocolKey == nil:
		return fmt.Errorf("%w: ProtocolKey is required", ErrConfig)
	case c.Chain == nil:
		return fmt.Errorf("%w: Chain is required", ErrConfig)
	case c.MaxConcurrentRequests < 1 || c.MaxConcurrentRecovery < 1 || c.MaxConcurrentBlobSyncs < 1:
		return fmt.Errorf("%w: concurrency limits must be positive", ErrConfig)
	case c.MaxSliverSize < 0 || c.BodyHeadroom < 0 || c.MaxHeaderBytes < 1 || c.MaxPendingBytes < 0 || c.MaxPendingBlobs < 0 || c.MaxSyncShardBytes < 0:
		return fmt.Errorf("%w: negative size limit", ErrConfig)
	case c.ReadHeaderTimeout < 0 || c.ReadTimeout < 0 || c.WriteTimeout < 0 || c.IdleTimeout < 0 ||
		c.CommitteeRefresh <= 0 || c.MaxRegistrationWait < 0 || c.RetryInterval <= 0 || c.PendingTTL < 0 || c.BlobSyncDelay < 0 || c.ShardRecoveryAfter < 0:
		return fmt.Errorf("%w: invalid duration", ErrConfig)
	}
	return c.StoreOptions.WithDefaults().Validate()
}
