package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/walrus-go/walrus/encoding"
)

// ReadOptions are the options of a read.
type ReadOptions struct {
	// Consistency is the check run on the decoded blob (reference §7.2):
	// encoding.CheckDefault, CheckStrict or CheckSkip.
	Consistency encoding.ConsistencyCheck
}

// Read reads a blob (reference §7.2): metadata from the nodes until one
// copy verifies against the blob ID, then primary slivers (systematic ones
// first, each verified against the metadata) until n−2f are in hand, decoded
// with the consistency check. A blob that cannot be read fails with
// ErrBlobNotFound, ErrBlobExpired, ErrBlobInvalid or ErrNotEnoughNodes.
func (c *Client) Read(ctx context.Context, id encoding.BlobID, opts ReadOptions) ([]byte, error) {
	t0 := time.Now()
	v, err := c.readView(ctx, id)
	if err != nil {
		return nil, err
	}
	md, err := c.metadata(ctx, v, id)
	if err != nil {
		return nil, err
	}
	t1 := time.Now()
	b, err := c.decode(ctx, v, md, opts)
	if err == nil {
		c.cfg.Logger.Debug("read", "blob", id, "size", len(b), "metadata", t1.Sub(t0), "slivers+decode", time.Since(t1))
	}
	return b, err
}

// metadata asks the members (MetadataConcurrency at a time) for the blob's
// metadata until one copy verifies against id.
func (c *Client) metadata(ctx context.Context, v *committeeView, id encoding.BlobID) (*encoding.VerifiedMetadata, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	order := membersByWeight(v)
	type answer struct {
		m   int
		md  *encoding.VerifiedMetadata
		err error
	}
	answers := make(chan answer)
	next, running, limit := 0, 0, c.cfg.MetadataConcurrency
	var errs []error
	// Without any answer for HedgeDelay, one more node is asked.
	hedge := time.NewTimer(c.cfg.HedgeDelay)
	defer hedge.Stop()
	for {
		for running < limit && next < len(order) {
			m := order[next]
			next++
			running++
			go func() {
				var md *encoding.VerifiedMetadata
				err := errors.New("no usable address")
				if api := v.nodes[m]; api != nil {
					md, err = api.GetMetadata(ctx, id, v.n())
				}
				select {
				case answers <- answer{m, md, err}:
				case <-ctx.Done():
				}
			}()
		}
		if running == 0 {
			break
		}
		select {
		case <-hedge.C:
			limit++
			hedge.Reset(c.cfg.HedgeDelay)
			continue
		case a := <-answers:
			running--
			hedge.Reset(c.cfg.HedgeDelay)
			if a.err == nil {
				return a.md, nil
			}
			errs = append(errs, fmt.Errorf("%s: %w", v.names[a.m], a.err))
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return nil, c.unreadable(ctx, v, id, fmt.Errorf("no node returned verifying metadata: %w", errors.Join(errs...)))
}

// unreadable classifies a failed read with the chain's view of the blob.
func (c *Client) unreadable(ctx context.Context, v *committeeView, id encoding.BlobID, cause error) error {
	if inv, err := c.chain.Invalid(ctx, id); err == nil && inv {
		return fmt.Errorf("%w: %s was marked invalid on chain", ErrBlobInvalid, id)
	}
	objs, err := c.chain.BlobObjects(ctx, id)
	if err != nil {
		return fmt.Errorf("%w: %s: %w (and the chain: %v)", ErrNotEnoughNodes, id, cause, err)
	}
	certified, end := false, uint32(0)
	for _, o := range objs {
		if b := o.Blob; b != nil && b.Certified() {
			certified, end = true, max(end, b.Storage.End)
		}
	}
	switch {
	case !certified:
		return fmt.Errorf("%w: %s (no certified blob object on chain)", ErrBlobNotFound, id)
	case end <= v.epoch:
		return fmt.Errorf("%w: %s (stored until epoch %d, the current epoch is %d)", ErrBlobExpired, id, end, v.epoch)
	}
	return fmt.Errorf("%w: %s: %w", ErrNotEnoughNodes, id, cause)
}

// membersByWeight orders the members by decreasing shard count (most
// useful answers first).
func membersByWeight(v *committeeView) []int {
	order := make([]int, v.com.Len())
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return v.com.Weight(b) - v.com.Weight(a) })
	return order
}

// primarySlivers fetches verified primary slivers until n−2f are in hand,
// asking for the systematic ones (index < n−2f, which decode without
// arithmetic) first: n−2f requests at first (MaxConcurrentReads at a time),
// one more per failure. A read must not stall on a slow node: when no answer
// came for HedgeDelay, the requests older than that stop counting against
// the concurrency limit, their nodes move to the back of the queue, and one
// more request goes out per sliver still missing.
func (c *Client) primarySlivers(ctx context.Context, v *committeeView, md *encoding.VerifiedMetadata) ([]encoding.Sliver, error) {
	n := v.com.NShards()
	params, err := encoding.NewParams(n)
	if err != nil {
		return nil, fmt.Errorf("client: read: %w", err)
	}
	need := params.Primary()
	type job struct {
		m    int
		pair int
	}
	var queue []job
	for m := range v.com.Len() {
		for _, sh := range v.com.Member(m).Shards {
			queue = append(queue, job{m, params.ShardToPair(md.BlobID, int(sh))})
		}
	}
	total := len(queue)
	// Primary sliver index = pair index: systematic first.
	slices.SortStableFunc(queue, func(a, b job) int { return a.pair - b.pair })

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	type answer struct {
		id  int
		s   *encoding.Sliver
		err error
	}
	type request struct {
		m        int
		start    time.Time
		released bool
	}
	answers := make(chan answer)
	inflight := map[int]*request{}
	slow := make([]bool, v.com.Len())
	slots, budget, issued, nextID := c.cfg.MaxConcurrentReads, need, 0, 0
	issue := func() {
		for slots > 0 && issued < budget && len(queue) > 0 {
			// The first job of a node not known to be slow, else the first.
			k := slices.IndexFunc(queue, func(j job) bool { return !slow[j.m] })
			if k < 0 {
				k = 0
			}
			j := queue[k]
			queue = slices.Delete(queue, k, k+1)
			id := nextID
			nextID++
			issued++
			slots--
			inflight[id] = &request{m: j.m, start: time.Now()}
			wg.Go(func() {
				s, err := c.fetchPrimary(ctx, v, md, j.m, j.pair)
				select {
				case answers <- answer{id, s, err}:
				case <-ctx.Done():
				}
			})
		}
	}
	issue()
	hedge := time.NewTimer(c.cfg.HedgeDelay)
	defer hedge.Stop()
	got := make([]encoding.Sliver, 0, need)
	var errs []error
	for len(inflight) > 0 {
		select {
		case <-hedge.C:
			for _, r := range inflight {
				if !r.released && time.Since(r.start) >= c.cfg.HedgeDelay {
					r.released, slow[r.m] = true, true
					slots++
				}
			}
			budget = min(total, issued+need-len(got))
			issue()
			hedge.Reset(c.cfg.HedgeDelay)
		case a := <-answers:
			hedge.Reset(c.cfg.HedgeDelay)
			r := inflight[a.id]
			delete(inflight, a.id)
			if !r.released {
				slots++
			}
			if a.err != nil {
				errs = append(errs, a.err)
				slow[r.m] = true
				if len(errs) > total-need {
					return nil, c.unreadable(ctx, v, md.BlobID, fmt.Errorf("%d of %d primary slivers failed: %w", len(errs), total, errors.Join(errs[:min(len(errs), 8)]...)))
				}
				budget = min(total, budget+1)
			} else {
				got = append(got, *a.s)
				if len(got) == need {
					return got, nil
				}
			}
			issue()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return nil, c.unreadable(ctx, v, md.BlobID, fmt.Errorf("%w: %d of %d primary slivers: %w", ErrNotEnoughNodes, len(got), need, errors.Join(errs[:min(len(errs), 8)]...)))
}

// fetchPrimary fetches primary sliver pair from member m and verifies it.
func (c *Client) fetchPrimary(ctx context.Context, v *committeeView, md *encoding.VerifiedMetadata, m, pair int) (*encoding.Sliver, error) {
	api := v.nodes[m]
	if api == nil {
		return nil, fmt.Errorf("%s: no usable address", v.names[m])
	}
	s, err := api.GetSliver(ctx, md.BlobID, uint16(pair), encoding.Primary)
	if err == nil && (s.Type != encoding.Primary || int(s.Index) != pair) {
		err = fmt.Errorf("got %s sliver %d", s.Type, s.Index)
	}
	if err == nil {
		x, put, xerr := c.expander(v.n())
		if xerr != nil {
			return nil, xerr
		}
		err = x.VerifySliver(md, s)
		put()
	}
	if err != nil {
		return nil, fmt.Errorf("%s: primary sliver %d: %w", v.names[m], pair, err)
	}
	return s, nil
}
