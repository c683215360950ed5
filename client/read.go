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
	v, _, err := c.committee(ctx)
	if err != nil {
		return nil, err
	}
	md, err := c.metadata(ctx, v, id)
	if err != nil {
		return nil, err
	}
	return c.decode(ctx, v, md, opts)
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
	next, running := 0, 0
	var errs []error
	for {
		for running < c.cfg.MetadataConcurrency && next < len(order) {
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
		case a := <-answers:
			running--
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
// arithmetic) first.
func (c *Client) primarySlivers(ctx context.Context, v *committeeView, md *encoding.VerifiedMetadata) ([]encoding.Sliver, error) {
	p := v.com.NShards()
	params, err := encoding.NewParams(p)
	if err != nil {
		return nil, fmt.Errorf("client: read: %w", err)
	}
	need := params.Primary()
	type job struct {
		m    int
		pair int
	}
	var jobs []job
	for m := range v.com.Len() {
		for _, sh := range v.com.Member(m).Shards {
			jobs = append(jobs, job{m, params.ShardToPair(md.BlobID, int(sh))})
		}
	}
	// Primary sliver index = pair index: systematic first.
	slices.SortStableFunc(jobs, func(a, b job) int { return a.pair - b.pair })

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	queue := make(chan job)
	type answer struct {
		s   *encoding.Sliver
		err error
	}
	answers := make(chan answer)
	var wg sync.WaitGroup
	for range min(c.cfg.MaxConcurrentReads, len(jobs)) {
		wg.Go(func() {
			x, put, err := c.expander(p)
			if err != nil {
				return
			}
			defer put()
			for j := range queue {
				var s *encoding.Sliver
				err := errors.New("no usable address")
				if api := v.nodes[j.m]; api != nil {
					s, err = api.GetSliver(ctx, md.BlobID, uint16(j.pair), encoding.Primary)
				}
				if err == nil && (s.Type != encoding.Primary || int(s.Index) != j.pair) {
					err = fmt.Errorf("got %s sliver %d for primary %d", s.Type, s.Index, j.pair)
				}
				if err == nil {
					err = x.VerifySliver(md, s)
				}
				if err != nil {
					err = fmt.Errorf("%s: primary sliver %d: %w", v.names[j.m], j.pair, err)
				}
				select {
				case answers <- answer{s, err}:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	// Only need requests are issued at first (the systematic slivers); each
	// failure releases one more.
	permits := make(chan struct{}, len(jobs))
	granted := 0
	grant := func() {
		if granted < len(jobs) {
			granted++
			permits <- struct{}{}
		}
	}
	for range need {
		grant()
	}
	// A slow node must not stall the read: without any answer for
	// HedgeDelay, one more request goes out.
	hedge := time.NewTimer(c.cfg.HedgeDelay)
	defer hedge.Stop()
	go func() {
		defer close(queue)
		for _, j := range jobs {
			select {
			case <-permits:
			case <-ctx.Done():
				return
			}
			select {
			case queue <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	defer func() { cancel(); <-done }()

	got := make([]encoding.Sliver, 0, need)
	var errs []error
	for answered := 0; answered < len(jobs); {
		select {
		case <-hedge.C:
			grant()
			hedge.Reset(c.cfg.HedgeDelay)
			continue
		case a := <-answers:
			answered++
			hedge.Reset(c.cfg.HedgeDelay)
			if a.err != nil {
				errs = append(errs, a.err)
				grant()
				if len(errs) > len(jobs)-need {
					return nil, c.unreadable(ctx, v, md.BlobID, fmt.Errorf("%d of %d primary slivers failed: %w", len(errs), len(jobs), errors.Join(errs[:min(len(errs), 8)]...)))
				}
				continue
			}
			got = append(got, *a.s)
			if len(got) == need {
				return got, nil
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-done:
			// Workers could not start (no expander).
			return nil, fmt.Errorf("%w: %s: sliver workers stopped", ErrNotEnoughNodes, md.BlobID)
		}
	}
	return nil, fmt.Errorf("%w: %s: %d of %d primary slivers", ErrNotEnoughNodes, md.BlobID, len(got), need)
}
