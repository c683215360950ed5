package node

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/walrus-go/walrus/chain"

	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/storage"
)

// gcBatch is the number of records each garbage-collection step handles.
const gcBatch = 1000

// Garbage collection (§4.3) runs once per epoch, when the node first sees
// the epoch: phase 1 expires the object records whose end epoch has come
// (storage.ExpireObjects), phase 2 deletes the metadata and slivers of the
// queued blobs that are no longer registered. Progress is recorded, so an
// epoch's collection is not repeated after a restart. As in Walrus, phase 2
// waits a deterministic random delay of up to half an epoch after the
// epoch's start (GCRandomDelay: derived from the node's public key and the
// epoch), so that the nodes of a committee do not all delete at once.

// gcLoop collects garbage whenever the view's epoch is newer than the last
// completed collection.
func (n *Node) gcLoop(ctx context.Context) {
	for {
		if v := n.view.Load(); v != nil {
			if err := n.maybeCollect(ctx, v.epoch); err != nil && ctx.Err() == nil {
				n.log.Warn("garbage collection", "epoch", v.epoch, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-n.epochChanged:
		case <-time.After(n.cfg.CommitteeRefresh):
		}
	}
}

func (n *Node) maybeCollect(ctx context.Context, e uint32) error {
	n.gcMu.Lock()
	defer n.gcMu.Unlock()
	g, ok, err := n.store.GCProgress()
	if err != nil || (ok && g.LastCompleted >= e) {
		return err
	}
	return n.collectGarbage(ctx, e)
}

// GCRandomDelay is the delay, in [0, epochDuration/2), after an epoch's
// start before a node deletes the data of unregistered blobs: a hash of the
// node's public key and the epoch, so it is the same after a restart and
// differs between nodes and epochs.
func GCRandomDelay(publicKey []byte, epoch uint32, epochDuration time.Duration) time.Duration {
	half := uint64(epochDuration / 2)
	if half == 0 {
		return 0
	}
	h := sha256.New()
	h.Write([]byte("walrus-go/gc-delay"))
	h.Write(publicKey)
	h.Write(binary.LittleEndian.AppendUint32(nil, epoch))
	return time.Duration(binary.LittleEndian.Uint64(h.Sum(nil)) % half)
}

func (n *Node) now() time.Time {
	if n.cfg.Clock != nil {
		return n.cfg.Clock()
	}
	return time.Now()
}

// systemReader is implemented by chain clients that read the system object
// (*client.Client does): its epoch start and duration schedule GC.
type systemReader interface {
	System(ctx context.Context) (*chain.System, error)
}

// gcPhase2Start returns when phase 2 of epoch e's collection may start: the
// epoch's start on chain (or, when the chain has moved on or cannot tell,
// when this process first looked) plus the node's delay.
func (n *Node) gcPhase2Start(ctx context.Context, e uint32) time.Time {
	start, ok := n.gcSeen[e]
	if !ok {
		start = n.now()
		n.gcSeen = map[uint32]time.Time{e: start} // only the latest epoch matters
	}
	var dur time.Duration
	if sr, ok := n.cfg.Chain.(systemReader); ok {
		if sys, err := sr.System(ctx); err == nil {
			dur = time.Duration(sys.EpochDurationMs) * time.Millisecond
			if sys.Epoch == e {
				start = time.UnixMilli(int64(sys.EpochStartMs))
			}
		}
	}
	if n.cfg.GCDelay != nil {
		return start.Add(n.cfg.GCDelay(e))
	}
	pk := n.pk.Bytes()
	return start.Add(GCRandomDelay(pk[:], e, dur))
}

// collectGarbage runs phase 1 for epoch e and, once its delay has passed,
// phase 2.
func (n *Node) collectGarbage(ctx context.Context, e uint32) error {
	g, _, err := n.store.GCProgress()
	if err != nil {
		return err
	}
	if g.LastStarted != e {
		g.LastStarted = e
		if err := n.store.SetGCProgress(g); err != nil {
			return err
		}
	}
	expired := 0
	for ctx.Err() == nil {
		k, err := n.store.ExpireObjects(e, gcBatch)
		if err != nil {
			return fmt.Errorf("expiring objects: %w", err)
		}
		if expired += k; k == 0 {
			break
		}
	}
	if at := n.gcPhase2Start(ctx, e); n.now().Before(at) {
		if expired > 0 || n.gcLogged != e {
			n.gcLogged = e
			n.log.Info("garbage collection phase 1 done, deletion scheduled", "epoch", e, "expired objects", expired, "at", at)
		}
		return nil
	}
	var from encoding.BlobID
	deleted := 0
	for ctx.Err() == nil {
		ids, err := n.store.DeletionQueue(from, gcBatch)
		if err != nil {
			return fmt.Errorf("reading the deletion queue: %w", err)
		}
		for _, id := range ids {
			ok, err := n.deleteIfUnregistered(id, e)
			if err != nil {
				return err
			}
			if ok {
				deleted++
			}
		}
		if len(ids) < gcBatch {
			break
		}
		var more bool
		if from, more = next(ids[len(ids)-1]); !more {
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	g.LastCompleted = e
	if err := n.store.SetGCProgress(g); err != nil {
		return err
	}
	n.metrics.gcEpoch.Set(float64(e))
	n.log.Info("garbage collected", "epoch", e, "expired objects", expired, "deleted blobs", deleted)
	return nil
}

// deleteIfUnregistered deletes the data of blob id in every shard the node
// holds, unless the blob is registered at epoch e.
func (n *Node) deleteIfUnregistered(id encoding.BlobID, e uint32) (bool, error) {
	in, err := n.store.BlobInfo(id)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return false, err
	}
	if err == nil && in.IsRegistered(e) {
		return false, nil
	}
	shards, err := n.heldShards()
	if err != nil {
		return false, err
	}
	if err := n.store.DeleteBlobData(id, shards); err != nil {
		return false, fmt.Errorf("deleting blob %s: %w", id, err)
	}
	n.metrics.blobsDeleted.Inc()
	return true, nil
}

// heldShards returns every shard the node may hold data of: those with a
// stored status and those it owns.
func (n *Node) heldShards() ([]uint16, error) {
	st, err := n.store.Shards()
	if err != nil {
		return nil, err
	}
	var out []uint16
	for s := range st {
		out = append(out, s)
	}
	if v := n.view.Load(); v != nil {
		out = append(out, v.owned...)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
