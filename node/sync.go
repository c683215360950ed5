package node

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/crypto/bls"
	"github.com/walrus-go/walrus/crypto/netkey"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/nodeapi"
	"github.com/walrus-go/walrus/storage"
)

// Blob sync (§4.3): when a blob is certified and the node does not store
// every sliver of its shards (it missed the upload), it fetches the
// metadata from a peer and recovers each missing sliver from the
// recovery symbols of the other committee members, verified against the
// metadata. Sync jobs live in memory; at start the node scans its blob
// info for certified blobs its owned shards lack (resumeSyncs), so a job
// interrupted by a restart is resumed.

// peer is another committee member's API.
type peer struct {
	pk  [bls.PublicKeySize]byte
	api *nodeapi.Client
}

type peerSet struct {
	epoch uint32
	peers []peer
}

// peers returns the APIs of the other storage nodes (members of the
// current committee first), from their pools' registered addresses and
// network keys (cached per epoch).
func (n *Node) peers(ctx context.Context, v *view) ([]peer, error) {
	n.peersMu.Lock()
	defer n.peersMu.Unlock()
	if n.peerCache != nil && n.peerCache.epoch == v.epoch {
		return n.peerCache.peers, nil
	}
	pools, err := n.cfg.Chain.Pools(ctx)
	if err != nil {
		return nil, err
	}
	members := map[[bls.PublicKeySize]byte]bool{}
	for _, pk := range v.owners {
		members[pk] = true
	}
	own := n.pk.Bytes()
	ps := &peerSet{epoch: v.epoch}
	slices.SortStableFunc(pools, func(a, b *chain.Pool) int {
		return cmpBool(members[b.PublicKey], members[a.PublicKey])
	})
	for _, p := range pools {
		if p.PublicKey == own {
			continue
		}
		cfg := nodeapi.ClientConfig{BaseURL: "http://" + p.NetworkAddress, Timeout: time.Minute}
		if !n.cfg.PeerPlainHTTP {
			nk, err := netkey.ParsePublicKey(p.NetworkPublicKey)
			if err != nil {
				n.log.Warn("peer without a valid network key", "node", p.NodeID, "err", err)
				continue
			}
			cfg.BaseURL = "https://" + p.NetworkAddress
			cfg.HTTPClient = &http.Client{Transport: nodeapi.PinnedTransport(nk), Timeout: time.Minute}
		}
		c, err := nodeapi.NewClient(cfg)
		if err != nil {
			n.log.Warn("peer with an invalid address", "node", p.NodeID, "addr", p.NetworkAddress, "err", err)
			continue
		}
		ps.peers = append(ps.peers, peer{pk: p.PublicKey, api: c})
	}
	n.peerCache = ps
	return ps.peers, nil
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// peerByKey returns the API of the node with BLS key pk.
func (n *Node) peerByKey(ctx context.Context, v *view, pk [bls.PublicKeySize]byte) (*nodeapi.Client, error) {
	peers, err := n.peers(ctx, v)
	if err != nil {
		return nil, err
	}
	for _, p := range peers {
		if p.pk == pk {
			return p.api, nil
		}
	}
	return nil, fmt.Errorf("no reachable node with key %x", pk[:8])
}

// needsSync reports whether the node misses metadata or slivers of blob id
// in its ready shards (a shard in transfer or recovery is being filled by
// the epoch-change service: a blob sync there would recover, blob by blob,
// what sync_shard fetches in batches).
func (n *Node) needsSync(id encoding.BlobID, v *view) (bool, error) {
	if ok, err := n.store.HasMetadata(id); err != nil || !ok {
		return true, err
	}
	for _, s := range v.owned {
		if st, err := n.store.ShardStatus(s); err != nil || st != storage.ShardReady {
			if err != nil {
				return false, err
			}
			continue
		}
		for _, t := range []encoding.SliverType{encoding.Primary, encoding.Secondary} {
			if ok, err := n.store.HasSliver(s, t, id); err != nil || !ok {
				return true, err
			}
		}
	}
	return false, nil
}

// resumeScanBatch is the number of blob-info records read per step of the
// restart scan.
const resumeScanBatch = 1000

// resumeSyncs runs once the node knows the committee: it pages through
// the stored blob info and starts a sync (without the upload delay) for
// every valid certified blob whose metadata or slivers of the owned shards
// are missing. It keeps at most 4×MaxConcurrentBlobSyncs jobs queued.
func (n *Node) resumeSyncs(ctx context.Context) {
	var v *view
	for v = n.view.Load(); v == nil; v = n.view.Load() {
		if !n.sleep(ctx, n.cfg.RetryInterval/4) {
			return
		}
	}
	if !v.member {
		return
	}
	var from encoding.BlobID
	started, scanned := 0, 0
	for ctx.Err() == nil {
		page, err := n.store.BlobInfos(from, resumeScanBatch)
		if err != nil {
			n.log.Warn("scanning blobs to sync", "err", err)
			return
		}
		for _, e := range page {
			scanned++
			if e.Info.Invalid || !e.Info.IsCertified(v.epoch) || n.checkAllowed(e.BlobID) != nil {
				continue
			}
			need, err := n.needsSync(e.BlobID, v)
			if err != nil {
				n.log.Warn("scanning blobs to sync", "blob", e.BlobID, "err", err)
				return
			}
			if !need {
				continue
			}
			for n.syncBacklog() >= 4*n.cfg.MaxConcurrentBlobSyncs {
				if !n.sleep(ctx, 50*time.Millisecond) {
					return
				}
			}
			n.startSyncAfter(ctx, e.BlobID, 0)
			started++
		}
		if len(page) < resumeScanBatch {
			break
		}
		var more bool
		if from, more = next(page[len(page)-1].BlobID); !more {
			break
		}
	}
	if ctx.Err() == nil {
		n.log.Info("restart scan of certified blobs", "scanned", scanned, "syncs started", started)
	}
}

func (n *Node) syncBacklog() int {
	n.syncMu.Lock()
	defer n.syncMu.Unlock()
	return len(n.syncing)
}

// startSync starts a sync job for a certified blob unless one is running.
func (n *Node) startSync(ctx context.Context, id encoding.BlobID) {
	n.startSyncAfter(ctx, id, n.cfg.BlobSyncDelay)
}

// startSyncAfter starts a sync job that waits delay first.
func (n *Node) startSyncAfter(ctx context.Context, id encoding.BlobID, delay time.Duration) {
	n.syncMu.Lock()
	if _, ok := n.syncing[id]; ok {
		n.syncMu.Unlock()
		return
	}
	n.syncing[id] = struct{}{}
	n.syncMu.Unlock()
	n.metrics.syncsActive.Inc()
	n.jobs.Go(func() {
		defer func() {
			n.syncMu.Lock()
			delete(n.syncing, id)
			n.syncMu.Unlock()
			n.metrics.syncsActive.Dec()
		}()
		if delay > 0 && !n.sleep(ctx, delay) {
			return
		}
		select {
		case n.syncSem <- struct{}{}:
			defer func() { <-n.syncSem }()
		case <-ctx.Done():
			return
		}
		backoff := n.cfg.RetryInterval
		for {
			err := n.syncBlob(ctx, id)
			if err == nil {
				n.metrics.syncs.WithLabelValues("synced").Inc()
				return
			}
			if ctx.Err() != nil {
				return
			}
			if errors.Is(err, errInconsistent) {
				// The invalid-blob flow has taken over; recovering
				// again would only find the same inconsistency.
				n.metrics.syncs.WithLabelValues("inconsistent").Inc()
				n.log.Warn("blob sync stopped", "blob", id, "err", err)
				return
			}
			n.metrics.syncs.WithLabelValues("failed").Inc()
			n.log.Warn("blob sync", "blob", id, "err", err)
			if !n.sleep(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, maxSyncBackoff)
		}
	})
}

var errInconsistent = errors.New("node: blob is inconsistently encoded")

// syncBlob stores the metadata and every missing sliver of the node's
// shards for blob id, if the blob is still certified and valid.
func (n *Node) syncBlob(ctx context.Context, id encoding.BlobID) error {
	v, err := n.currentView()
	if err != nil {
		return err
	}
	in, err := n.store.BlobInfo(id)
	if err != nil || in.Invalid || !in.IsCertified(v.epoch) || n.checkAllowed(id) != nil {
		return nil // gone, invalid, not certified or denied: nothing to sync
	}
	if need, err := n.needsSync(id, v); err != nil || !need {
		return err
	}
	peers, err := n.peers(ctx, v)
	if err != nil {
		return fmt.Errorf("listing peers: %w", err)
	}
	md, err := n.store.GetMetadata(id)
	if err != nil {
		for _, p := range peers {
			if md, err = p.api.GetMetadata(ctx, id, v.nShards); err == nil {
				break
			}
		}
		if md == nil {
			return fmt.Errorf("no peer served the metadata: %w", err)
		}
		n.metrics.recoveryBytes.WithLabelValues("metadata").Add(float64(len(md.MarshalBCS())))
		if err := n.store.PutMetadata(md); err != nil {
			return err
		}
		n.metrics.metadata.WithLabelValues("blob_sync").Inc()
	}
	p := md.Params()
	x, put, err := n.expander(p.N)
	if err != nil {
		return err
	}
	defer put()
	for _, s := range v.owned {
		// A shard in transfer or recovery is the epoch-change service's
		// (it recovers what the previous owner did not have once the
		// transfer is done).
		if st, err := n.store.ShardStatus(s); err != nil || st != storage.ShardReady {
			if err != nil {
				return err
			}
			continue
		}
		pair := p.ShardToPair(id, int(s))
		// Secondary slivers first: they need only f+1 symbols (§3.1).
		for _, t := range []encoding.SliverType{encoding.Secondary, encoding.Primary} {
			if ok, err := n.store.HasSliver(s, t, id); err != nil || ok {
				if err != nil {
					return err
				}
				continue
			}
			idx := p.SliverIndex(t, pair)
			sl, err := n.recoverSliver(ctx, x, md, peers, t, idx)
			if err != nil {
				return fmt.Errorf("shard %d, %s sliver %d: %w", s, t, idx, err)
			}
			if err := n.store.PutSliver(s, id, sl); err != nil {
				return err
			}
			n.metrics.storedSlivers("blob_sync", t, 1)
		}
	}
	n.log.Info("blob synced", "blob", id)
	return nil
}

// localSymbols computes the recovery symbols for sliver (t, idx) of a blob
// from the orthogonal slivers the node holds in any of its shards.
func (n *Node) localSymbols(x *encoding.Expander, md *encoding.VerifiedMetadata, t encoding.SliverType, idx int) ([]encoding.RecoverySymbol, error) {
	held, err := n.heldShards()
	if err != nil {
		return nil, err
	}
	p := md.Params()
	src := t.Orthogonal()
	var out []encoding.RecoverySymbol
	for _, h := range held {
		if int(h) >= p.N {
			continue
		}
		pair := p.ShardToPair(md.BlobID, int(h))
		sidx := p.SliverIndex(src, pair)
		if src == t && sidx == idx {
			continue
		}
		sl, err := n.store.GetSliver(h, src, md.BlobID)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		gs, err := x.RecoverySymbols(md, sl, []int{idx})
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			if g.TargetType == t && int(g.TargetIndex) == idx {
				out = append(out, g.Symbol)
			}
		}
	}
	return out, nil
}

// recoverSliver collects recovery symbols for sliver (t, idx) until they
// decode to a sliver matching the metadata: first those the node computes
// from its own slivers, then from the peers, each asked by symbol ID for
// only as many of its shards' symbols as are still missing (so the node
// downloads about the recovery threshold, not every peer's every symbol);
// if that falls short (a peer lacks slivers, lies or is down), a second
// pass asks each peer for all it has. Symbols are verified as they arrive.
// Symbols that decode to a sliver the metadata does not match start the
// invalid-blob flow (invalid.go) and fail with errInconsistent.
func (n *Node) recoverSliver(ctx context.Context, x *encoding.Expander, md *encoding.VerifiedMetadata, peers []peer, t encoding.SliverType, idx int) (*encoding.Sliver, error) {
	p := md.Params()
	need := p.RecoveryThreshold(t)
	src := t.Orthogonal()
	local, err := n.localSymbols(x, md, t, idx)
	if err != nil {
		return nil, err
	}
	var syms []encoding.RecoverySymbol
	have := make(map[uint16]bool, need)
	keep := func(s encoding.RecoverySymbol) {
		if !have[s.Index] && encoding.VerifyRecoverySymbol(md, t, idx, &s) == nil {
			have[s.Index] = true
			syms = append(syms, s)
		}
	}
	for _, s := range local {
		keep(s)
	}
	// The source sliver indices each peer holds, from the shard map.
	sources := map[[bls.PublicKeySize]byte][]uint16{}
	if v, err := n.currentView(); err == nil {
		for sh, pk := range v.owners {
			if sh < p.N {
				sources[pk] = append(sources[pk], uint16(p.SliverIndex(src, p.ShardToPair(md.BlobID, sh))))
			}
		}
	}
	var lastErr error
	for pass := 0; pass < 2 && len(syms) < need; pass++ {
		for _, pr := range peers {
			if len(syms) >= need {
				break
			}
			q := &nodeapi.RecoveryQuery{HasTarget: true, TargetSliver: uint16(idx), TargetType: t}
			if pass == 0 {
				var ids []encoding.SymbolID
				for _, j := range sources[pr.pk] {
					if len(syms)+len(ids) == need {
						break
					}
					if have[j] {
						continue
					}
					if t == encoding.Primary {
						ids = append(ids, encoding.SymbolID{Primary: uint16(idx), Secondary: j})
					} else {
						ids = append(ids, encoding.SymbolID{Primary: j, Secondary: uint16(idx)})
					}
				}
				if len(ids) == 0 {
					continue
				}
				q = &nodeapi.RecoveryQuery{IDs: ids, ProofAxis: &src}
			}
			gs, err := pr.api.RecoverySymbols(ctx, md.BlobID, q)
			if err != nil {
				lastErr = err
				continue
			}
			// What the peer sent (its body is exactly this BCS vector).
			n.metrics.recoveryBytes.WithLabelValues("symbols").Add(float64(len(encoding.MarshalGeneralRecoverySymbols(gs))))
			for _, g := range gs {
				if g.TargetType == t && int(g.TargetIndex) == idx {
					keep(g.Symbol)
				}
			}
		}
	}
	if len(syms) < need {
		return nil, fmt.Errorf("%d of %d symbols: %v", len(syms), need, lastErr)
	}
	sl, proof, err := x.RecoverVerifiedSliver(md, t, idx, syms) // verified by keep
	if proof != nil {
		n.reportInconsistency(md, proof)
		return nil, fmt.Errorf("%w: %v", errInconsistent, err)
	}
	return sl, err
}
