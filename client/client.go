// Package client is the Walrus SDK (reference §7): it stores blobs (encode,
// register on chain, upload metadata and slivers to the committee, collect
// storage confirmations into a certificate, certify on chain), reads them
// back (metadata verified against the blob ID, primary slivers verified
// against the metadata, decoding with a consistency check), reports their
// status and deletes or extends them.
//
// The client talks to the chain through the small Chain interface (the
// chain/client.Client implements it) and to storage nodes with nodeapi
// clients over HTTPS pinned to each node's registered network key. It is safe
// for concurrent use.
package client

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/walrus-go/walrus/chain"
	chainclient "github.com/walrus-go/walrus/chain/client"
	"github.com/walrus-go/walrus/crypto/netkey"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/nodeapi"
	"github.com/walrus-go/walrus/protocol"
)

// Chain is what the client needs from the chain. *chain/client.Client
// implements it.
type Chain interface {
	System(ctx context.Context) (*chain.System, error)
	ProtocolCommittee(ctx context.Context, which string) (*protocol.Committee, error)
	Pools(ctx context.Context) ([]*chain.Pool, error)
	Account(ctx context.Context, a chain.Address) (*chain.Account, error)
	Object(ctx context.Context, id chain.ObjectID) (*chain.Object, error)
	Owned(ctx context.Context, a chain.Address) ([]*chain.Object, error)
	BlobObjects(ctx context.Context, id chain.BlobID) ([]*chain.Object, error)
	Invalid(ctx context.Context, id chain.BlobID) (bool, error)
	Broadcast(ctx context.Context, raw []byte) error
	WaitIncluded(ctx context.Context, raw []byte) (*chainclient.Inclusion, error)
}

// Errors. Each is wrapped with the operation and the details.
var (
	// ErrConfig reports an invalid configuration.
	ErrConfig = errors.New("client: invalid config")
	// ErrNoWallet: a write needs Config.Wallet.
	ErrNoWallet = errors.New("client: no wallet configured")
	// ErrBlobNotFound: no live certified blob with this ID (never stored,
	// deleted, or not certified yet).
	ErrBlobNotFound = errors.New("client: blob not found")
	// ErrBlobExpired: the blob's storage period has ended.
	ErrBlobExpired = errors.New("client: blob expired")
	// ErrBlobInvalid: the blob was marked invalid (inconsistently encoded)
	// on chain, or decoding found it inconsistent.
	ErrBlobInvalid = errors.New("client: blob is invalid")
	// ErrNotEnoughNodes: too few nodes answered correctly (not enough
	// verified slivers to decode, not enough confirmations for a quorum).
	ErrNotEnoughNodes = errors.New("client: not enough storage nodes answered")
	// ErrTooLarge: the blob exceeds the maximum size for the shard count.
	ErrTooLarge = errors.New("client: blob too large")
	// ErrEpochChanged: the committee changed during the operation; retry.
	ErrEpochChanged = errors.New("client: epoch changed during the operation")
	// ErrObjectNotFound: no owned blob object matches.
	ErrObjectNotFound = errors.New("client: no matching blob object owned by the wallet")
)

// Defaults.
const (
	DefaultMaxDataInFlight      = 12_500_000
	DefaultMaxConcurrentReads   = 16
	DefaultMetadataConcurrency  = 3
	DefaultRequestTimeout       = time.Minute
	DefaultRegistrationWait     = 30 * time.Second
	DefaultTailExtraFactor      = 0.5
	DefaultTailExtraBase        = 500 * time.Millisecond
	DefaultPerNodeUploadWorkers = 8
	DefaultHedgeDelay           = 2 * time.Second
	DefaultPendingUploadMaxSize = 1 << 20
)

// Config configures a Client.
type Config struct {
	// Chain is the chain client. Required.
	Chain Chain
	// Wallet signs the client's transactions; required for Store, Delete
	// and Extend.
	Wallet ed25519.PrivateKey
	// PlainHTTP reaches nodes over http:// instead of HTTPS pinned to their
	// registered network keys (for nodes without a network key).
	PlainHTTP bool
	// MaxDataInFlight bounds the sliver bytes being uploaded at once,
	// across all nodes (default 12.5 MB, as Walrus).
	MaxDataInFlight int64
	// PerNodeUploadWorkers bounds the concurrent sliver uploads to one node.
	PerNodeUploadWorkers int
	// MaxConcurrentReads bounds the sliver requests of one read.
	MaxConcurrentReads int
	// HedgeDelay: when a read has had no sliver answer for this long, it
	// sends one more request per sliver still missing (so a hung node does
	// not stall it until RequestTimeout).
	HedgeDelay time.Duration
	// MetadataConcurrency is how many nodes are asked for metadata at once.
	MetadataConcurrency int
	// RequestTimeout bounds each request to a node.
	RequestTimeout time.Duration
	// RegistrationWait bounds how long a node may take to see a
	// registration before the upload to it is given up.
	RegistrationWait time.Duration
	// After slivers reached a quorum, uploads to the remaining nodes go on
	// for TailExtraFactor × elapsed + TailExtraBase (Walrus's
	// sliver_write_extra_time).
	TailExtraFactor float64
	TailExtraBase   time.Duration
	// PendingUploads sends the slivers of blobs up to PendingUploadMaxSize
	// bytes with pending=true while the registration is being committed
	// (Walrus's pending_uploads_enabled): one block less per store. The
	// nodes hold such slivers in a bounded memory cache.
	PendingUploads       bool
	PendingUploadMaxSize int64
	// HTTP1 speaks HTTP/1.1 to the nodes over a pool of connections per
	// node (one per concurrent request) instead of HTTP/2's one multiplexed
	// connection. Measured on the loopback devnet, both cost the same CPU
	// and time for 64 MiB blobs once HTTP/2 has wide windows and 1 MiB
	// frames (see BENCHMARKS.md).
	HTTP1 bool
	// Logger receives debug information; nil discards it.
	Logger *slog.Logger
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.MaxDataInFlight == 0 {
		c.MaxDataInFlight = DefaultMaxDataInFlight
	}
	if c.PerNodeUploadWorkers == 0 {
		c.PerNodeUploadWorkers = DefaultPerNodeUploadWorkers
	}
	if c.MaxConcurrentReads == 0 {
		c.MaxConcurrentReads = DefaultMaxConcurrentReads
	}
	if c.HedgeDelay == 0 {
		c.HedgeDelay = DefaultHedgeDelay
	}
	if c.MetadataConcurrency == 0 {
		c.MetadataConcurrency = DefaultMetadataConcurrency
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.RegistrationWait == 0 {
		c.RegistrationWait = DefaultRegistrationWait
	}
	if c.TailExtraFactor == 0 {
		c.TailExtraFactor = DefaultTailExtraFactor
	}
	if c.TailExtraBase == 0 {
		c.TailExtraBase = DefaultTailExtraBase
	}
	if c.PendingUploadMaxSize == 0 {
		c.PendingUploadMaxSize = DefaultPendingUploadMaxSize
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate checks a config (after WithDefaults).
func (c *Config) Validate() error {
	switch {
	case c.Chain == nil:
		return fmt.Errorf("%w: Chain is required", ErrConfig)
	case c.Wallet != nil && len(c.Wallet) != ed25519.PrivateKeySize:
		return fmt.Errorf("%w: wallet key of %d bytes", ErrConfig, len(c.Wallet))
	case c.PendingUploadMaxSize < 0:
		return fmt.Errorf("%w: negative PendingUploadMaxSize", ErrConfig)
	case c.MaxDataInFlight < 1 || c.PerNodeUploadWorkers < 1 || c.MaxConcurrentReads < 1 || c.MetadataConcurrency < 1:
		return fmt.Errorf("%w: limits must be positive", ErrConfig)
	case c.RequestTimeout < 0 || c.RegistrationWait < 0 || c.HedgeDelay < 0 || c.TailExtraFactor < 0 || c.TailExtraBase < 0:
		return fmt.Errorf("%w: negative duration", ErrConfig)
	}
	return nil
}

// Client is the Walrus SDK client.
type Client struct {
	cfg   Config
	chain Chain

	mu    sync.Mutex
	view  *committeeView
	hcs   map[string]*http.Client // by address and pinned key
	xpool map[int]*sync.Pool      // *encoding.Expander by shard count

	txMu sync.Mutex
	tx   txState

	// claimed holds the owned storage resources and registrations that
	// stores in progress are using, so that concurrent stores never pick
	// the same one (one would win, the others fail on chain).
	claimMu sync.Mutex
	claimed map[chain.ObjectID]bool

	sliverPuts atomic.Int64 // sliver uploads attempted (for tests)
}

// New returns a client.
func New(cfg Config) (*Client, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, chain: cfg.Chain, hcs: map[string]*http.Client{}, xpool: map[int]*sync.Pool{}}, nil
}

// Close closes idle connections to the nodes.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, hc := range c.hcs {
		hc.CloseIdleConnections()
	}
	return nil
}

// Address returns the wallet's address (zero without a wallet).
func (c *Client) Address() chain.Address {
	if c.cfg.Wallet == nil {
		return chain.Address{}
	}
	return chain.AddressOf(c.cfg.Wallet.Public().(ed25519.PublicKey))
}

// committeeView is the current committee with an API client per member.
type committeeView struct {
	epoch uint32
	com   *protocol.Committee
	nodes []*nodeapi.Client // by member index
	names []string          // member addresses, for errors
}

func (v *committeeView) n() int { return v.com.NShards() }

// committee returns the view of the current committee, re-read when the
// chain's epoch moved.
func (c *Client) committee(ctx context.Context) (*committeeView, *chain.System, error) {
	sys, err := c.chain.System(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("client: system: %w", err)
	}
	c.mu.Lock()
	v := c.view
	c.mu.Unlock()
	if v != nil && v.epoch == sys.Epoch {
		return v, sys, nil
	}
	com, err := c.chain.ProtocolCommittee(ctx, chain.CommitteeCurrent)
	if err != nil {
		return nil, nil, fmt.Errorf("client: committee: %w", err)
	}
	pools, err := c.chain.Pools(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("client: pools: %w", err)
	}
	byID := make(map[chain.ObjectID]*chain.Pool, len(pools))
	for _, p := range pools {
		byID[p.NodeID] = p
	}
	v = &committeeView{epoch: com.Epoch(), com: com, nodes: make([]*nodeapi.Client, com.Len()), names: make([]string, com.Len())}
	for m := range com.Len() {
		p := byID[chain.ObjectID(com.Member(m).NodeID)]
		if p == nil {
			return nil, nil, fmt.Errorf("client: committee member %s has no staking pool", chain.ObjectID(com.Member(m).NodeID))
		}
		api, err := c.nodeClient(p)
		if err != nil {
			// A node with a bad registration is simply unreachable.
			c.cfg.Logger.Warn("unusable node registration", "node", p.Name, "err", err)
		}
		v.nodes[m], v.names[m] = api, p.Name+" ("+p.NetworkAddress+")"
	}
	c.mu.Lock()
	c.view = v
	c.mu.Unlock()
	return v, sys, nil
}

func (c *Client) nodeClient(p *chain.Pool) (*nodeapi.Client, error) {
	if c.cfg.PlainHTTP {
		return nodeapi.NewClient(nodeapi.ClientConfig{BaseURL: "http://" + p.NetworkAddress, HTTPClient: c.httpClient("http "+p.NetworkAddress, nil)})
	}
	pk, err := netkey.ParsePublicKey(p.NetworkPublicKey)
	if err != nil {
		return nil, err
	}
	return nodeapi.NewClient(nodeapi.ClientConfig{BaseURL: "https://" + p.NetworkAddress, HTTPClient: c.httpClient(p.NetworkAddress+" "+string(pk[:]), &pk)})
}

// nodeURL is the REST API's base URL of a node at addr (host:port).
func (c *Client) nodeURL(addr string) string {
	if c.cfg.PlainHTTP {
		return "http://" + addr
	}
	return "https://" + addr
}

// unverifiedNodeClient is an API client for a node whose TLS key is not
// known (not registered on chain): the certificate is not checked, so its
// answers are not authenticated. Only health uses it.
func (c *Client) unverifiedNodeClient(base string) (*nodeapi.Client, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // health of an unregistered node, flagged Verified=false
	return nodeapi.NewClient(nodeapi.ClientConfig{BaseURL: base, HTTPClient: &http.Client{Timeout: c.cfg.RequestTimeout, Transport: t}})
}

// httpClient returns the shared HTTP client for a node (so connections are
// reused across committee views).
func (c *Client) httpClient(key string, pk *netkey.PublicKey) *http.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	if hc := c.hcs[key]; hc != nil {
		return hc
	}
	hc := &http.Client{Timeout: c.cfg.RequestTimeout}
	t := http.DefaultTransport.(*http.Transport).Clone()
	if pk != nil {
		t = nodeapi.PinnedTransport(*pk)
	}
	if !c.cfg.HTTP1 {
		// Slivers come in frames of up to 1 MiB instead of HTTP/2's 16 KiB.
		t.HTTP2 = &http.HTTP2Config{MaxReadFrameSize: 1 << 20}
	} else {
		// One connection per concurrent request (the client bounds those);
		// the idle ones are kept for the next blob.
		t.ForceAttemptHTTP2 = false
		if t.TLSClientConfig != nil {
			t.TLSClientConfig.NextProtos = []string{"http/1.1"}
		}
		t.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		t.MaxIdleConnsPerHost = 2 * max(c.cfg.MaxConcurrentReads, c.cfg.PerNodeUploadWorkers)
	}
	if t.TLSClientConfig != nil {
		// Full 16 KiB records from the first byte of each sliver (not 1 KiB
		// ones after every pause): fewer records, fewer writes.
		t.TLSClientConfig.DynamicRecordSizingDisabled = true
	}
	hc.Transport = t
	c.hcs[key] = hc
	return hc
}

// expander borrows an Expander for n shards.
func (c *Client) expander(n int) (*encoding.Expander, func(), error) {
	c.mu.Lock()
	p := c.xpool[n]
	if p == nil {
		p = &sync.Pool{}
		c.xpool[n] = p
	}
	c.mu.Unlock()
	x, _ := p.Get().(*encoding.Expander)
	if x == nil {
		var err error
		if x, err = encoding.NewExpander(n); err != nil {
			return nil, nil, err
		}
	}
	return x, func() { p.Put(x) }, nil
}
