package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/chain/client"
	"github.com/walrus-go/walrus/storage"
	"github.com/walrus-go/walrus/storage/blobinfo"
)

// Event batching: the events of one block are applied in one durable batch
// with the cursor of the block's last event. A block's events are flushed
// when the next block's first event arrives, when maxEventBatch are
// buffered, or after eventFlushInterval without new events (Follow does not
// say where a block ends).
const (
	maxEventBatch      = 512
	eventFlushInterval = 10 * time.Millisecond
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
// event handled) and applies events in batches together with the cursor,
// so a crash at any point neither loses nor repeats an event: a batch that
// failed is delivered again when follow restarts from the stored cursor.
func (n *Node) follow(ctx context.Context) error {
	cur, ok, err := n.store.Cursor()
	if err != nil {
		return err
	}
	start := chain.EventID{Height: 1}
	if ok {
		start = chain.EventID{Height: cur.Height, Index: cur.Index + 1}
	}
	fctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu     sync.Mutex
		buf    []client.EventRecord
		failed error // sticky: nothing is applied after a failed batch
	)
	flush := func() error { // mu held
		if failed != nil || len(buf) == 0 {
			return failed
		}
		failed = n.applyRecords(fctx, buf)
		buf = buf[:0]
		return failed
	}
	tickerDone := make(chan struct{})
	go func() {
		defer close(tickerDone)
		t := time.NewTicker(eventFlushInterval)
		defer t.Stop()
		for {
			select {
			case <-fctx.Done():
				return
			case <-t.C:
				mu.Lock()
				err := flush()
				mu.Unlock()
				if err != nil {
					cancel(err)
					return
				}
			}
		}
	}()
	err = n.cfg.Chain.Follow(fctx, start, func(r client.EventRecord) error {
		mu.Lock()
		defer mu.Unlock()
		if len(buf) > 0 && (buf[0].ID.Height != r.ID.Height || len(buf) >= maxEventBatch) {
			if err := flush(); err != nil {
				return err
			}
		}
		if failed != nil {
			return failed
		}
		buf = append(buf, r)
		return nil
	})
	cancel(nil)
	<-tickerDone
	mu.Lock()
	ferr := flush() // events already delivered: apply them before leaving
	mu.Unlock()
	if cause := context.Cause(fctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	if ferr != nil {
		return ferr
	}
	return err
}

// applyRecords applies the blob events among records and the cursor of the
// last record in one durable batch, then acts on them in order.
func (n *Node) applyRecords(ctx context.Context, records []client.EventRecord) error {
	var evs []blobinfo.Event
	for _, r := range records {
		if ev, ok := BlobEvent(r); ok {
			evs = append(evs, ev)
		}
	}
	last := records[len(records)-1].ID
	res, err := n.store.ApplyEvents(evs, storage.EventCursor{Height: last.Height, Index: last.Index})
	if err != nil {
		return fmt.Errorf("applying events up to %d:%d: %w", last.Height, last.Index, err)
	}
	n.eventsApplied.Add(uint64(len(records)))
	n.metrics.eventsTotal.Add(float64(len(records)))
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
	for _, r := range records {
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
			n.stopInvalidation(e.BlobID)
		case *chain.EpochChangeDone:
			if e.Epoch > n.changeDone.Load() {
				n.changeDone.Store(e.Epoch)
			}
			if err := n.refreshView(ctx); err != nil && ctx.Err() == nil {
				n.log.Warn("refreshing committee at epoch event", "err", err)
			}
			select {
			case n.epochSignal <- struct{}{}: // removes the lost shards
			default:
			}
		case *chain.EpochChangeStart:
			// The view is re-read now (and periodically); a failure here
			// does not undo the applied batch.
			if err := n.refreshView(ctx); err != nil && ctx.Err() == nil {
				n.log.Warn("refreshing committee at epoch event", "err", err)
			}
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
