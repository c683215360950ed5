package node

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/chain/client"
	"github.com/walrus-go/walrus/crypto/bls"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/nodeapi"
	"github.com/walrus-go/walrus/protocol"
	"github.com/walrus-go/walrus/storage"
)

// Epoch change (§4.3): when an epoch starts, the node fetches the shards it
// gained from their previous owners with sync_shard (primary then
// secondary slivers, in batches, resumable through the stored sync
// progress; up to maxShardSyncs shards at once), verifies every sliver
// against its blob's metadata, then recovers from the committee what the
// owner lacked (blobs certified since it lost the shard and missed by their
// upload), marks the shards ready and reports epoch_sync_done on chain with
// its operator key. Shards it lost become read-only (refreshView) and are
// removed from the store once the epoch change is done on chain
// (removeLostShards), when a quorum holds the new assignment. When a
// previous owner has not served a gained shard for ShardRecoveryAfter, or
// answers that it does not hold it, the node falls back to shard recovery
// (recoverShard): the shard turns inRecovery and every certified blob's
// slivers of it are recovered from the committee's recovery symbols.

// shardSyncBatch is the number of slivers asked for per sync_shard call.
const shardSyncBatch = 1000

// epochLoop runs the epoch-change work whenever the node is a committee
// member of an epoch it has not reported synced.
func (n *Node) epochLoop(ctx context.Context) {
	backoff := n.cfg.RetryInterval
	for {
		d := n.cfg.CommitteeRefresh
		if v := n.view.Load(); v != nil {
			if err := n.removeLostShards(ctx, v); err != nil && ctx.Err() == nil {
				n.log.Warn("removing lost shards", "epoch", v.epoch, "err", err)
			}
		}
		if v := n.view.Load(); v != nil && v.member && n.syncedEpoch.Load() < v.epoch {
			if err := n.epochSync(ctx, v); err != nil {
				if ctx.Err() != nil {
					return
				}
				n.log.Warn("epoch sync", "epoch", v.epoch, "err", err)
				d, backoff = backoff, min(2*backoff, maxSyncBackoff)
			} else {
				backoff = n.cfg.RetryInterval
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-n.epochSignal:
		case <-time.After(d):
		}
	}
}

// shardSyncFailing returns when shard sync of s first failed (now, at the
// first failure), for the fallback to shard recovery.
func (n *Node) shardSyncFailing(s uint16) time.Time {
	n.shardFailMu.Lock()
	defer n.shardFailMu.Unlock()
	if n.shardFail == nil {
		n.shardFail = map[uint16]time.Time{}
	}
	t, ok := n.shardFail[s]
	if !ok {
		t = n.now()
		n.shardFail[s] = t
	}
	return t
}

// shardSyncSucceeded forgets the failures of shard s's sync.
func (n *Node) shardSyncSucceeded(s uint16) {
	n.shardFailMu.Lock()
	defer n.shardFailMu.Unlock()
	delete(n.shardFail, s)
}

// recoverShard recovers, for every blob certified at v's epoch, the
// slivers of shard s the node lacks, from the recovery symbols of the
// other nodes (the shard's previous owner being unavailable). Blobs are
// recovered one after the other; a restart resumes at the missing slivers.
func (n *Node) recoverShard(ctx context.Context, v *view, s uint16) error {
	peers, err := n.peers(ctx, v)
	if err != nil {
		return err
	}
	var from encoding.BlobID
	recovered := 0
	for {
		page, err := n.store.BlobInfos(from, resumeScanBatch)
		if err != nil {
			return err
		}
		for _, e := range page {
			if e.Info.Invalid || !e.Info.IsCertified(v.epoch) || n.checkAllowed(e.BlobID) != nil {
				continue
			}
			k, err := n.recoverShardBlob(ctx, v, peers, s, e.BlobID)
			if errors.Is(err, errInconsistent) {
				// Left to the invalid-blob flow: the blob is about to
				// be invalidated and deleted.
				n.log.Warn("shard recovery skips an inconsistent blob", "shard", s, "blob", e.BlobID, "err", err)
				continue
			}
			if err != nil {
				return fmt.Errorf("blob %s: %w", e.BlobID, err)
			}
			recovered += k
		}
		if len(page) < resumeScanBatch {
			break
		}
		var more bool
		if from, more = next(page[len(page)-1].BlobID); !more {
			break
		}
	}
	n.log.Info("shard recovered", "shard", s, "epoch", v.epoch, "slivers", recovered)
	return nil
}

// recoverShardBlob recovers blob id's missing slivers of shard s.
func (n *Node) recoverShardBlob(ctx context.Context, v *view, peers []peer, s uint16, id encoding.BlobID) (int, error) {
	missing := false
	for _, t := range []encoding.SliverType{encoding.Secondary, encoding.Primary} {
		ok, err := n.store.HasSliver(s, t, id)
		if err != nil {
			return 0, err
		}
		missing = missing || !ok
	}
	if !missing {
		return 0, nil
	}
	md, err := n.metadataFromPeers(ctx, v, peers, id)
	if err != nil {
		return 0, err
	}
	p := md.Params()
	x, put, err := n.expander(p.N)
	if err != nil {
		return 0, err
	}
	defer put()
	pair := p.ShardToPair(id, int(s))
	k := 0
	for _, t := range []encoding.SliverType{encoding.Secondary, encoding.Primary} {
		if ok, err := n.store.HasSliver(s, t, id); err != nil || ok {
			if err != nil {
				return k, err
			}
			continue
		}
		idx := p.SliverIndex(t, pair)
		sl, err := n.recoverSliver(ctx, x, md, peers, t, idx)
		if err != nil {
			return k, fmt.Errorf("%s sliver %d: %w", t, idx, err)
		}
		if err := n.store.PutSliver(s, id, sl); err != nil {
			return k, err
		}
		n.metrics.storedSlivers("shard_recovery", t, 1)
		k++
	}
	return k, nil
}

// metadataFromPeers returns blob id's stored metadata, or fetches it from
// the peers (verified against the blob ID) and stores it.
func (n *Node) metadataFromPeers(ctx context.Context, v *view, peers []peer, id encoding.BlobID) (*encoding.VerifiedMetadata, error) {
	md, err := n.store.GetMetadata(id)
	if err == nil || !errors.Is(err, storage.ErrNotFound) {
		return md, err
	}
	for _, p := range peers {
		if md, err = p.api.GetMetadata(ctx, id, v.nShards); err == nil {
			break
		}
	}
	if md == nil {
		return nil, fmt.Errorf("no peer served the metadata: %w", err)
	}
	if err := n.store.PutMetadata(md); err != nil {
		return nil, err
	}
	n.metrics.metadata.WithLabelValues("shard_recovery").Inc()
	return md, nil
}

// removeLostShards deletes the read-only shards (lost in an epoch change)
// once the change to v's epoch is done (the chain emitted EpochChangeDone
// for it, or its system object has left the sync state) and the shard's
// new owner has reported the epoch synced: until then the new owner may
// still fetch the shard with sync_shard.
func (n *Node) removeLostShards(ctx context.Context, v *view) error {
	shards, err := n.store.Shards()
	if err != nil {
		return err
	}
	var lost []uint16
	for s, st := range shards {
		if st == storage.ShardReadOnly && !v.owns(int(s)) {
			lost = append(lost, s)
		}
	}
	if len(lost) == 0 {
		return nil
	}
	done := n.changeDone.Load() >= v.epoch
	if sr, ok := n.cfg.Chain.(systemReader); ok && !done {
		sys, err := sr.System(ctx)
		if err != nil {
			return err
		}
		done = sys.Epoch > v.epoch || (sys.Epoch == v.epoch && sys.State != chain.StateChangeSync)
	}
	if !done {
		return nil
	}
	pools, err := n.cfg.Chain.Pools(ctx)
	if err != nil {
		return err
	}
	synced := map[[bls.PublicKeySize]byte]bool{}
	for _, p := range pools {
		if p.LastSyncEpoch >= v.epoch {
			synced[p.PublicKey] = true
		}
	}
	slices.Sort(lost)
	var removed []uint16
	for _, s := range lost {
		if int(s) >= len(v.owners) || !synced[v.owners[s]] {
			continue
		}
		if err := n.store.RemoveShard(s); err != nil {
			return err
		}
		removed = append(removed, s)
	}
	if len(removed) > 0 {
		n.log.Info("lost shards removed", "epoch", v.epoch, "shards", removed)
	}
	return nil
}

// maxShardSyncs bounds the gained shards fetched at once (Walrus: 10).
const maxShardSyncs = 4

// epochSync brings every owned shard of v's epoch to ready and reports the
// epoch synced. A shard gained from another node is fetched from that
// previous owner (syncShardFrom), up to maxShardSyncs at once; once the
// owner has failed for ShardRecoveryAfter, its shards are recovered from the
// committee instead. An owned shard that is not ready and was not gained
// from another node (the node held it in the previous epoch too, or no
// previous committee names an owner) is one the node should hold but lacks,
// e.g. after missing an epoch change: it is recovered from the committee.
func (n *Node) epochSync(ctx context.Context, v *view) error {
	own := n.pk.Bytes()
	pools, err := n.cfg.Chain.Pools(ctx)
	if err != nil {
		return err
	}
	for _, p := range pools {
		if p.PublicKey == own && p.LastSyncEpoch >= v.epoch {
			n.syncedEpoch.Store(v.epoch)
			return nil // already reported (before a restart)
		}
	}
	prev, err := n.cfg.Chain.Committee(ctx, chain.CommitteePrevious)
	if err != nil && !errors.Is(err, client.ErrNotFound) {
		return err
	}
	if prev != nil && prev.Epoch+1 != v.epoch {
		// The chain moved past the view: wait for the view to follow
		// rather than judge the shards against the wrong committee.
		return fmt.Errorf("previous committee is of epoch %d, the view of epoch %d", prev.Epoch, v.epoch)
	}
	prevOwner := map[uint16][bls.PublicKeySize]byte{}
	if prev != nil {
		for _, m := range prev.Members {
			for _, s := range m.Shards {
				prevOwner[s] = m.PublicKey
			}
		}
	}
	type job struct {
		s     uint16
		owner [bls.PublicKeySize]byte
		peer  bool // gained from another node
	}
	var jobs []job
	gained := 0
	for _, s := range v.owned {
		o, ok := prevOwner[s]
		peer := ok && o != own
		if peer {
			gained++
		}
		st, err := n.store.ShardStatus(s)
		if err != nil {
			return err
		}
		if st != storage.ShardReady {
			jobs = append(jobs, job{s, o, peer})
		}
	}
	sem := make(chan struct{}, maxShardSyncs)
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			errs[i] = ctx.Err()
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := n.syncOwnedShard(ctx, v, j.s, j.owner, j.peer); err != nil {
				errs[i] = fmt.Errorf("shard %d: %w", j.s, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if n.cfg.Operator == nil {
		n.syncedEpoch.Store(v.epoch) // reporting is left to the operator
		return nil
	}
	_, err = n.cfg.Chain.Send(ctx, n.cfg.Operator, &chain.MsgEpochSyncDone{Node: v.nodeID, Epoch: v.epoch})
	if err != nil && !errors.Is(err, chain.ErrEpochState) {
		return fmt.Errorf("reporting epoch %d synced: %w", v.epoch, err)
	}
	n.syncedEpoch.Store(v.epoch)
	n.log.Info("epoch synced", "epoch", v.epoch, "gained shards", gained)
	return nil
}

// syncOwnedShard makes owned shard s ready: fetched from its previous
// owner when peer is set, recovered from the committee when it is already
// in recovery, when the owner has failed for ShardRecoveryAfter, or when
// the shard had no other previous owner.
func (n *Node) syncOwnedShard(ctx context.Context, v *view, s uint16, owner [bls.PublicKeySize]byte, peer bool) error {
	st, err := n.store.ShardStatus(s)
	if err != nil {
		return err
	}
	if st != storage.ShardInRecovery && peer {
		if st != storage.ShardInTransfer {
			if err := n.store.SetShardStatus(s, storage.ShardInTransfer); err != nil {
				return err
			}
		}
		err := n.syncShardFrom(ctx, v, s, owner)
		if err == nil {
			n.shardSyncSucceeded(s)
			// Blobs certified since the owner lost the shard, and missed
			// by their upload, are not on the owner: blob sync leaves
			// shards in transfer alone, so they are recovered here (only
			// the missing slivers; usually none).
			if err := n.recoverShard(ctx, v, s); err != nil {
				return fmt.Errorf("recovering blobs the previous owner lacked: %w", err)
			}
		} else {
			if ctx.Err() != nil {
				return err
			}
			// A previous owner in another epoch is alive: it is behind or
			// ahead, which the next attempt sorts out. One that answers
			// that it does not hold the shard (it lost its data) will not
			// serve it later either: recover at once.
			notHeld := errors.Is(err, nodeapi.ErrShardNotAssigned)
			if !notHeld && (errors.Is(err, nodeapi.ErrEpochMismatch) || n.now().Sub(n.shardSyncFailing(s)) < n.cfg.ShardRecoveryAfter) {
				return err
			}
			n.log.Warn("previous owner does not serve the shard: recovering it from the committee", "shard", s, "err", err)
			st = storage.ShardInRecovery
		}
	} else if st != storage.ShardInRecovery {
		n.log.Warn("owned shard missing (not gained from another node): recovering it from the committee", "shard", s, "status", st)
		st = storage.ShardInRecovery
	}
	if st == storage.ShardInRecovery {
		if err := n.store.SetShardStatus(s, storage.ShardInRecovery); err != nil {
			return err
		}
		if err := n.recoverShard(ctx, v, s); err != nil {
			return fmt.Errorf("recovering: %w", err)
		}
	}
	if err := n.store.ClearSyncProgress(s); err != nil {
		return err
	}
	if err := n.store.SetShardStatus(s, storage.ShardReady); err != nil {
		return err
	}
	n.log.Info("shard synced", "shard", s, "epoch", v.epoch, "from", map[bool]string{true: "previous owner", false: "recovery"}[st != storage.ShardInRecovery])
	return nil
}

// syncShardFrom fetches shard s from its previous owner (BLS key owner),
// both sliver types, from the stored progress on.
func (n *Node) syncShardFrom(ctx context.Context, v *view, s uint16, owner [bls.PublicKeySize]byte) error {
	if n.cfg.failSyncShard != nil && n.cfg.failSyncShard(s) {
		return errors.New("sync_shard: injected failure")
	}
	api, err := n.peerByKey(ctx, v, owner)
	if err != nil {
		return err
	}
	for _, t := range []encoding.SliverType{encoding.Primary, encoding.Secondary} {
		var start encoding.BlobID
		if last, ok, err := n.store.SyncProgress(s, t); err != nil {
			return err
		} else if ok {
			if start, ok = next(last); !ok {
				continue
			}
		}
		for {
			req := &protocol.SyncShardRequest{Epoch: v.epoch, ShardIndex: s, SliverType: protocol.SliverType(t),
				StartingBlobID: start, SliverCount: shardSyncBatch, RequestEpoch: v.epoch}
			entries, err := api.SyncShard(ctx, n.cfg.ProtocolKey, req)
			if err != nil {
				return fmt.Errorf("sync_shard %s from %s: %w", t, start, err)
			}
			var keep []storage.SliverEntry
			for _, e := range entries {
				if e.Sliver.Type != t {
					continue
				}
				if err := n.verifyShardSliver(ctx, v, s, e); err != nil {
					n.log.Warn("sliver from shard sync dropped", "shard", s, "blob", e.BlobID, "err", err)
					continue
				}
				keep = append(keep, storage.SliverEntry{BlobID: e.BlobID, Sliver: e.Sliver})
			}
			if len(keep) > 0 {
				if err := n.store.PutSlivers(s, keep); err != nil {
					return err
				}
				n.metrics.storedSlivers("shard_sync", t, len(keep))
				n.metrics.shardSlivers.WithLabelValues(t.String()).Add(float64(len(keep)))
			}
			if len(entries) == 0 {
				break
			}
			last := entries[len(entries)-1].BlobID
			if err := n.store.SetSyncProgress(s, t, last); err != nil {
				return err
			}
			var ok bool
			if start, ok = next(last); !ok || len(entries) < shardSyncBatch {
				break
			}
		}
	}
	return nil
}

// verifyShardSliver checks a sliver received by shard sync: the blob is
// registered, the sliver belongs to shard s, and it matches the metadata
// (fetched from a peer if the node lacks it).
func (n *Node) verifyShardSliver(ctx context.Context, v *view, s uint16, e nodeapi.SyncShardEntry) error {
	in, err := n.store.BlobInfo(e.BlobID)
	if err != nil || !in.IsRegistered(v.epoch) {
		return fmt.Errorf("blob not registered at epoch %d", v.epoch)
	}
	md, err := n.store.GetMetadata(e.BlobID)
	if errors.Is(err, storage.ErrNotFound) {
		peers, perr := n.peers(ctx, v)
		if perr != nil {
			return perr
		}
		for _, p := range peers {
			if md, err = p.api.GetMetadata(ctx, e.BlobID, v.nShards); err == nil {
				break
			}
		}
		if err == nil {
			err = n.store.PutMetadata(md)
		}
	}
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	p := md.Params()
	if err := p.CheckSliverShape(e.Sliver, md.SymbolSize()); err != nil {
		return err
	}
	if got := p.PairToShard(e.BlobID, e.Sliver.PairIndex(p)); got != int(s) {
		return fmt.Errorf("sliver of shard %d, not %d", got, s)
	}
	x, put, err := n.expander(p.N)
	if err != nil {
		return err
	}
	defer put()
	return x.VerifySliver(md, e.Sliver)
}
