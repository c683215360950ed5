package client

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"
)

// Subscriber is the part of CometBFT's event client that lets the client
// hear of new blocks instead of polling for them: rpc/client/local and
// rpc/client/http (over its websocket, once Started) implement it. When the
// RPC implements it, Follow and WaitIncluded look again as soon as a block
// is committed; the poll interval stays as a safety net, so a dropped
// subscription only costs latency, never an event (the cursor is the truth).
type Subscriber interface {
	Subscribe(ctx context.Context, subscriber, query string, outCapacity ...int) (<-chan ctypes.ResultEvent, error)
	Unsubscribe(ctx context.Context, subscriber, query string) error
}

// resubscribeDelay is the pause before subscribing again after a failure.
const resubscribeDelay = time.Second

var subscriberSeq atomic.Uint64

// blockWatch shares one new-block subscription among a client's waiters.
// It runs while at least one waiter is registered.
type blockWatch struct {
	mu     sync.Mutex
	name   string
	wake   map[chan struct{}]struct{}
	cancel context.CancelFunc
	done   chan struct{} // closed when the last watcher goroutine has unsubscribed
}

// watchBlocks registers a waiter: the channel receives (without blocking
// the watcher, so signals coalesce) after each committed block. release
// unregisters it. Without a Subscriber both are no-ops and the channel is
// nil.
func (c *Client) watchBlocks() (wake <-chan struct{}, release func()) {
	sub, ok := c.rpc.(Subscriber)
	if !ok {
		return nil, func() {}
	}
	w := &c.watch
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.wake == nil {
		w.wake = make(map[chan struct{}]struct{})
		w.name = fmt.Sprintf("walrus-client-%d", subscriberSeq.Add(1))
	}
	w.wake[ch] = struct{}{}
	if len(w.wake) == 1 {
		ctx, cancel := context.WithCancel(context.Background())
		prev, done := w.done, make(chan struct{})
		w.cancel, w.done = cancel, done
		go w.run(ctx, sub, prev, done)
	}
	return ch, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if _, ok := w.wake[ch]; !ok {
			return
		}
		delete(w.wake, ch)
		if len(w.wake) == 0 {
			w.cancel()
		}
	}
}

// run subscribes to new block headers and fans them out until ctx ends,
// subscribing again when the subscription fails or ends. It starts after
// the previous watcher (prev) has unsubscribed, so that the two never hold
// the same subscription.
func (w *blockWatch) run(ctx context.Context, sub Subscriber, prev, done chan struct{}) {
	defer close(done)
	if prev != nil {
		<-prev
	}
	query := cmttypes.EventQueryNewBlockHeader.String()
	for ctx.Err() == nil {
		out, err := sub.Subscribe(ctx, w.name, query, 16)
		if err == nil {
			w.forward(ctx, out)
			uctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = sub.Unsubscribe(uctx, w.name, query)
			cancel()
		}
		select {
		case <-ctx.Done():
		case <-time.After(resubscribeDelay):
		}
	}
}

func (w *blockWatch) forward(ctx context.Context, out <-chan ctypes.ResultEvent) {
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-out:
			if !ok {
				return
			}
			w.mu.Lock()
			for ch := range w.wake {
				select {
				case ch <- struct{}{}:
				default:
				}
			}
			w.mu.Unlock()
		}
	}
}

// indexLag is how soon WaitIncluded looks again when a new block did not
// yet show its transaction: CometBFT indexes transactions just after it
// announces the block.
const (
	indexLag     = 5 * time.Millisecond
	indexRetries = 20
)

// pause waits for d, a new block (if wake is not nil) or the end of ctx,
// and reports whether a new block woke it.
func pause(ctx context.Context, wake <-chan struct{}, d time.Duration) (bool, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false, ctx.Err()
	case <-wake:
		return true, nil
	case <-t.C:
		return false, nil
	}
}
