package node

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/storage"
)

// gcBatch is the number of records each garbage-collection step handles.
const gcBatch = 1000

// Garbage collection (§4.3) runs once per epoch, when the node first sees
// the epoch: phase 1 expires the object records whose end epoch has come
// (storage.ExpireObjects), phase 2 deletes the metadata and slivers of the
// queued blobs that are no longer registered. Progress is recorded, so an
// epoch's collection is not repeated after a restart. Walrus spreads phase
// 2 over a random delay of up to half an epoch; this collects at once.

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

// collectGarbage runs both phases for epoch e.
func (n *Node) collectGarbage(ctx context.Context, e uint32) error {
	g, _, err := n.store.GCProgress()
	if err != nil {
		return err
	}
	g.LastStarted = e
	if err := n.store.SetGCProgress(g); err != nil {
		return err
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
