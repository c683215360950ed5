package node

import (
	"context"
	"fmt"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/chain/client"
	"github.com/walrus-go/walrus/storage"
	"github.com/walrus-go/walrus/storage/blobinfo"
)

// followLoop follows chain events from the store's cursor until ctx ends,
// restarting after errors.
func (n *Node) followLoop(ctx context.Context) {
	for {
		err := n.follow(ctx)
		if ctx.Err() != nil {
			return
		}
		n.log.Warn("following events", "err", err)
		if !n.sleep(ctx, n.cfg.RetryInterval) {
			return
		}
	}
}

// follow resumes the event stream right after the stored cursor (the last
// event handled) and applies each event with its ID as the new cursor in one
// durable batch, so a crash at any point neither loses nor repeats an event.
func (n *Node) follow(ctx context.Context) error {
	cur, ok, err := n.store.Cursor()
	if err != nil {
		return err
	}
	start := chain.EventID{Height: 1}
	if ok {
		start = chain.EventID{Height: cur.Height, Index: cur.Index + 1}
	}
	return n.cfg.Chain.Follow(ctx, start, func(r client.EventRecord) error {
		return n.handleEvent(ctx, r)
	})
}

// handleEvent applies one chain event.
func (n *Node) handleEvent(ctx context.Context, r client.EventRecord) error {
	var evs []blobinfo.Event
	if ev, ok := BlobEvent(r); ok {
		evs = append(evs, ev)
	}
	res, err := n.store.ApplyEvents(evs, storage.EventCursor{Height: r.ID.Height, Index: r.ID.Index})
	if err != nil {
		return fmt.Errorf("applying event %d:%d: %w", r.ID.Height, r.ID.Index, err)
	}
	n.eventsApplied.Add(1)
	for _, ig := range res.Ignored {
		n.log.Warn("event ignored", "event", ig.Event.ID, "kind", ig.Event.Kind, "err", ig.Err)
	}
	// Blobs left without live objects (deleted) or marked invalid lose
	// their data at once (§3.2, §4.3); they are also in the store's
	// deletion queue, so a crash before this point leaves the work to the
	// garbage collector.
	if v := n.view.Load(); v != nil {
		for _, id := range res.Unregistered {
			if _, err := n.deleteIfUnregistered(id, v.epoch); err != nil {
				return err
			}
		}
	}
	switch e := r.Event.(type) {
	case *chain.BlobRegistered:
		n.flushPending(e.BlobID)
	case *chain.BlobCertified:
		if v := n.view.Load(); v != nil && v.member && !e.IsExtension {
			if need, err := n.needsSync(e.BlobID, v); err == nil && need {
				n.startSync(ctx, e.BlobID)
			}
		}
	case *chain.InvalidBlobID:
		n.pending.take(e.BlobID)
	case *chain.EpochChangeStart, *chain.EpochChangeDone:
		if err := n.refreshView(ctx); err != nil {
			return fmt.Errorf("refreshing committee at epoch event: %w", err)
		}
	}
	return nil
}

// BlobEvent maps a chain blob event to the store's blobinfo.Event; ok is
// false for events that do not concern blobs.
func BlobEvent(r client.EventRecord) (blobinfo.Event, bool) {
	id := blobinfo.EventID{Height: r.ID.Height, Index: r.ID.Index}
	switch e := r.Event.(type) {
	case *chain.BlobRegistered:
		return blobinfo.Event{Kind: blobinfo.Registered, ID: id, BlobID: e.BlobID, ObjectID: blobinfo.ObjectID(e.ObjectID),
			Epoch: e.Epoch, EndEpoch: e.EndEpoch, Deletable: e.Deletable}, true
	case *chain.BlobCertified:
		return blobinfo.Event{Kind: blobinfo.Certified, ID: id, BlobID: e.BlobID, ObjectID: blobinfo.ObjectID(e.ObjectID),
			Epoch: e.Epoch, EndEpoch: e.EndEpoch, Deletable: e.Deletable, IsExtension: e.IsExtension}, true
	case *chain.BlobDeleted:
		return blobinfo.Event{Kind: blobinfo.Deleted, ID: id, BlobID: e.BlobID, ObjectID: blobinfo.ObjectID(e.ObjectID),
			Epoch: e.Epoch, EndEpoch: e.EndEpoch, Deletable: true}, true
	case *chain.InvalidBlobID:
		return blobinfo.Event{Kind: blobinfo.InvalidBlobID, ID: id, BlobID: e.BlobID, Epoch: e.Epoch}, true
	}
	return blobinfo.Event{}, false
}
