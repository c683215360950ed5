// Package node is the Walrus storage node service (reference §4):
//
//   - the REST API of §4.2 (package nodeapi is its wire protocol), served
//     over HTTPS/HTTP2 with a certificate for the node's network key:
//     metadata and sliver uploads verified against the blob ID and stored
//     under the owning shard, pending uploads held until registration,
//     reads, storage confirmations signed with the BLS key for the current
//     epoch, recovery and decoding symbols, inconsistency proofs answered
//     with invalid-blob attestations, blob status, health, shard sync;
//   - the event follower (follower.go): chain events from the store's
//     cursor, each block's blob events applied with the cursor in one
//     durable batch;
//   - blob sync (sync.go): slivers missed at upload recovered from the
//     committee after certification, and at start for every certified
//     blob the owned shards lack;
//   - invalid blobs (invalid.go): a recovery that exposes an inconsistent
//     encoding starts one flow per blob that collects invalid-blob
//     attestations for its inconsistency proof from f+1 shards and submits
//     the certificate that invalidates the blob ID on chain;
//   - the epoch-change service (epoch.go): gained shards fetched from their
//     previous owners (or recovered from the committee when the owner does
//     not serve them), epoch_sync_done reported, lost shards removed once
//     the change is done;
//   - garbage collection (gc.go) once per epoch, deletion after a
//     deterministic random delay, and immediate deletion of deleted or
//     invalid blobs;
//   - Prometheus metrics (metrics.go) through Config.Registerer.
//
// Lifecycle: New opens the store and binds the listener, Run serves and
// runs the services until its context ends, Close releases the store.
package node

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/crypto/bls"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/nodeapi"
	"github.com/walrus-go/walrus/storage"
)

// Node is a storage node.
type Node struct {
	cfg     Config
	log     *slog.Logger
	store   *storage.Store
	ln      net.Listener
	srv     *http.Server
	pk      *bls.PublicKey
	started time.Time

	sem    chan struct{} // all requests
	recSem chan struct{} // recovery and proofs

	view   atomic.Pointer[view]
	viewMu sync.Mutex // serializes refreshes

	expMu     sync.Mutex
	expanders map[int]*sync.Pool

	eventsApplied atomic.Uint64
	pending       *pendingCache

	peersMu   sync.Mutex
	peerCache *peerSet
	syncMu    sync.Mutex
	syncing   map[encoding.BlobID]struct{}
	syncSem   chan struct{}
	jobs      sync.WaitGroup // blob syncs and invalid-blob flows

	runCtx       context.Context // Run's context (set before its services start)
	invalidMu    sync.Mutex
	invalidating map[encoding.BlobID]*invalidation // running invalid-blob flows

	epochChanged chan struct{} // signalled when the view's epoch changes (GC)
	epochSignal  chan struct{} // same, for the epoch-change service
	syncedEpoch  atomic.Uint32 // last epoch reported synced on chain
	changeDone   atomic.Uint32 // last epoch whose EpochChangeDone the follower saw
	shardFailMu  sync.Mutex
	shardFail    map[uint16]time.Time // first sync_shard failure per gained shard
	gcMu         sync.Mutex
	gcSeen       map[uint32]time.Time // under gcMu: when each epoch's GC was first attempted
	gcLogged     uint32               // under gcMu

	metrics      *metrics
	latestHeight atomic.Uint64 // chain height read with the committee

	closeOnce sync.Once
	closeErr  error
}

// view is the node's snapshot of the current committee.
type view struct {
	epoch   uint32
	nShards int
	params  encoding.Params
	member  bool
	nodeID  chain.ObjectID            // when member
	owned   []uint16                  // sorted
	owners  [][bls.PublicKeySize]byte // BLS key of each shard's owner
}

func (v *view) owns(shard int) bool {
	_, ok := slices.BinarySearch(v.owned, uint16(shard))
	return ok
}

// New opens the node's store and binds its listener.
func New(cfg Config) (*Node, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	st, err := storage.Open(cfg.DataDir, cfg.StoreOptions)
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	ln := cfg.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.ListenAddress); err != nil {
			st.Close()
			return nil, fmt.Errorf("node: listen: %w", err)
		}
	}
	n := &Node{
		cfg: cfg, log: cfg.Logger, store: st, ln: ln, pk: cfg.ProtocolKey.PublicKey(), started: time.Now(),
		sem: make(chan struct{}, cfg.MaxConcurrentRequests), recSem: make(chan struct{}, cfg.MaxConcurrentRecovery),
		expanders: map[int]*sync.Pool{},
		pending:   newPendingCache(cfg.MaxPendingBytes, cfg.MaxPendingBlobs, cfg.PendingTTL),
		syncing:   map[encoding.BlobID]struct{}{},
		syncSem:   make(chan struct{}, cfg.MaxConcurrentBlobSyncs),

		invalidating: map[encoding.BlobID]*invalidation{},

		epochChanged: make(chan struct{}, 1),
		epochSignal:  make(chan struct{}, 1),
		metrics:      newMetrics(),
	}
	if cfg.Registerer != nil {
		if err := n.registerMetrics(cfg.Registerer); err != nil {
			if cfg.Listener == nil {
				ln.Close()
			}
			st.Close()
			return nil, fmt.Errorf("node: registering metrics: %w", err)
		}
	}
	n.srv = &http.Server{
		Handler:           n.routes(),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug),
		HTTP2:             serverHTTP2(),
	}
	if cfg.NetworkKey != nil {
		var names []string
		if host, _, err := net.SplitHostPort(ln.Addr().String()); err == nil && host != "" {
			names = append(names, host)
		}
		cert, err := nodeapi.Certificate(cfg.NetworkKey, names...)
		if err != nil {
			ln.Close()
			st.Close()
			return nil, fmt.Errorf("node: %w", err)
		}
		n.srv.TLSConfig = nodeapi.ServerTLSConfig(cert)
		// Slivers go out in full 16 KiB records from their first byte.
		n.srv.TLSConfig.DynamicRecordSizingDisabled = true
	}
	return n, nil
}

// Addr returns the address the REST API listens on.
func (n *Node) Addr() net.Addr { return n.ln.Addr() }

// URL returns the REST API's base URL (https when the node has a network
// key).
func (n *Node) URL() string {
	if n.srv.TLSConfig != nil {
		return "https://" + n.ln.Addr().String()
	}
	return "http://" + n.ln.Addr().String()
}

// Store returns the node's store (for tests and tools in the same process).
func (n *Node) Store() *storage.Store { return n.store }

// Run serves the API and follows the chain until ctx ends. It returns nil
// when ctx ends, or the server's error.
func (n *Node) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n.runCtx = ctx
	serveErr := make(chan error, 1)
	go func() {
		if n.srv.TLSConfig != nil {
			serveErr <- n.srv.ServeTLS(n.ln, "", "")
		} else {
			serveErr <- n.srv.Serve(n.ln)
		}
	}()

	var wg sync.WaitGroup
	wg.Go(func() { n.refreshLoop(ctx) })
	wg.Go(func() { n.followLoop(ctx) })
	wg.Go(func() { n.gcLoop(ctx) })
	wg.Go(func() { n.epochLoop(ctx) })
	wg.Go(func() { n.resumeSyncs(ctx) })

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
		err = fmt.Errorf("node: serve: %w", err)
	}
	cancel()
	n.peersMu.Lock()
	if n.peerCache != nil {
		for _, p := range n.peerCache.peers {
			p.api.CloseIdleConnections()
		}
	}
	n.peersMu.Unlock()
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	if serr := n.srv.Shutdown(sctx); serr != nil {
		n.srv.Close()
	}
	scancel()
	wg.Wait()
	n.jobs.Wait()
	return err
}

// Close closes the listener and the store. Call it after Run returned.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		n.srv.Close()
		n.ln.Close()
		n.closeErr = n.store.Close()
	})
	return n.closeErr
}

func (n *Node) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// refreshLoop reads the committee at start (retrying) and then every
// CommitteeRefresh.
func (n *Node) refreshLoop(ctx context.Context) {
	for {
		d := n.cfg.CommitteeRefresh
		if err := n.refreshView(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			n.log.Warn("reading committee", "err", err)
			d = n.cfg.RetryInterval
		}
		if !n.sleep(ctx, d) {
			return
		}
	}
}

// refreshView reads the current committee and updates the node's view and
// the status of its shards.
func (n *Node) refreshView(ctx context.Context) error {
	n.viewMu.Lock()
	defer n.viewMu.Unlock()
	c, err := n.cfg.Chain.Committee(ctx, chain.CommitteeCurrent)
	if err != nil {
		return err
	}
	n.readHeight(ctx)
	params, err := encoding.NewParams(int(c.NShards))
	if err != nil {
		return fmt.Errorf("committee of epoch %d: %w", c.Epoch, err)
	}
	v := &view{epoch: c.Epoch, nShards: int(c.NShards), params: params, owners: make([][bls.PublicKeySize]byte, c.NShards)}
	pkb := n.pk.Bytes()
	for _, m := range c.Members {
		for _, s := range m.Shards {
			if int(s) < len(v.owners) {
				v.owners[s] = m.PublicKey
			}
		}
		if m.PublicKey == pkb {
			v.member = true
			v.nodeID = m.NodeID
			v.owned = slices.Clone(m.Shards)
			slices.Sort(v.owned)
		}
	}
	old := n.view.Load()
	if old != nil && old.epoch == v.epoch && slices.Equal(old.owned, v.owned) {
		return nil
	}
	mode := storage.NodeStandby
	if v.member {
		mode = storage.NodeActive
	}
	if err := n.store.SetNodeStatus(storage.NodeStatus{Mode: mode, Epoch: v.epoch}); err != nil {
		return err
	}
	shards, err := n.store.Shards()
	if err != nil {
		return err
	}
	for _, s := range v.owned {
		// A shard of the genesis committee starts empty and ready; a shard
		// gained later is in transfer until the epoch-change service has
		// fetched it (epochSync).
		if _, ok := shards[s]; !ok {
			st := storage.ShardInTransfer
			if v.epoch <= chain.GenesisEpoch {
				st = storage.ShardReady
			}
			if err := n.store.SetShardStatus(s, st); err != nil {
				return err
			}
		}
	}
	for s, st := range shards {
		if !v.owns(int(s)) && st != storage.ShardReadOnly {
			if err := n.store.SetShardStatus(s, storage.ShardReadOnly); err != nil {
				return err
			}
		}
	}
	n.view.Store(v)
	if old == nil || old.epoch != v.epoch {
		for _, c := range []chan struct{}{n.epochChanged, n.epochSignal} {
			select {
			case c <- struct{}{}:
			default:
			}
		}
	}
	n.log.Info("committee", "epoch", v.epoch, "member", v.member, "shards", len(v.owned))
	return nil
}

// expander borrows an Expander for n shards; call put to return it.
func (n *Node) expander(nShards int) (x *encoding.Expander, put func(), err error) {
	n.expMu.Lock()
	p := n.expanders[nShards]
	if p == nil {
		p = &sync.Pool{}
		n.expanders[nShards] = p
	}
	n.expMu.Unlock()
	if v := p.Get(); v != nil {
		x = v.(*encoding.Expander)
	} else if x, err = encoding.NewExpander(nShards); err != nil {
		return nil, nil, err
	}
	return x, func() { p.Put(x) }, nil
}
