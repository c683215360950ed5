package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/walrus-go/walrus/encoding"
)

// errFallback makes a streaming or range read fall back to a full read.
var errFallback = errors.New("client: systematic sliver unavailable")

// Stream reads a blob and writes it to w in order as its systematic primary
// slivers (the rows of the blob) arrive, MaxConcurrentReads of them in
// flight: the first bytes are written after the metadata and one sliver. If a
// row cannot be fetched, the rest comes from a full read (decoding from any
// n−2f slivers). With the strict consistency check the whole blob is read and
// re-encoded first. It returns the number of bytes written.
func (c *Client) Stream(ctx context.Context, id encoding.BlobID, w io.Writer, opts ReadOptions) (int64, error) {
	if opts.Consistency == encoding.CheckStrict {
		b, err := c.Read(ctx, id, opts)
		if err != nil {
			return 0, err
		}
		n, err := w.Write(b)
		return int64(n), err
	}
	return c.rangeTo(ctx, id, 0, -1, w, opts)
}

// ReadRange reads length bytes of a blob from offset start (reference §7.2
// byte-range reads): only the rows covering the range are fetched. A range
// past the end is cut at the end; a start past the end fails with
// ErrInvalidRange.
func (c *Client) ReadRange(ctx context.Context, id encoding.BlobID, start, length int64, opts ReadOptions) ([]byte, error) {
	if start < 0 || length < 0 {
		return nil, fmt.Errorf("%w: start %d, length %d", ErrInvalidRange, start, length)
	}
	var buf bytesWriter
	if _, err := c.rangeTo(ctx, id, start, length, &buf, opts); err != nil {
		return nil, err
	}
	return buf.b, nil
}

// ErrInvalidRange: a byte range outside the blob.
var ErrInvalidRange = errors.New("client: invalid byte range")

type bytesWriter struct{ b []byte }

func (w *bytesWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

// rangeTo writes bytes [start, start+length) of the blob to w (length < 0:
// to the end).
func (c *Client) rangeTo(ctx context.Context, id encoding.BlobID, start, length int64, w io.Writer, opts ReadOptions) (int64, error) {
	v, err := c.readView(ctx, id)
	if err != nil {
		return 0, err
	}
	md, err := c.metadata(ctx, v, id)
	if err != nil {
		return 0, err
	}
	size := int64(md.Metadata.UnencodedLength)
	if start > size || (start == size && size > 0 && length != 0) {
		return 0, fmt.Errorf("%w: start %d of a %d-byte blob", ErrInvalidRange, start, size)
	}
	end := size
	if length >= 0 && start+length < size {
		end = start + length
	}
	if end == start {
		return 0, nil
	}
	params := md.Params()
	rowSize := int64(params.PrimarySliverSize(md.SymbolSize()))
	first, last := int(start/rowSize), int((end-1)/rowSize)

	written := int64(0)
	err = c.rows(ctx, v, md, first, last, func(row int, data []byte) error {
		lo, hi := int64(row)*rowSize, int64(row+1)*rowSize
		b := data[max(start, lo)-lo : min(end, hi)-lo]
		n, err := w.Write(b)
		written += int64(n)
		return err
	})
	if !errors.Is(err, errFallback) {
		return written, err
	}
	c.cfg.Logger.Debug("range read falls back to a full read", "blob", id, "err", err)
	blob, err := c.decode(ctx, v, md, opts)
	if err != nil {
		return written, err
	}
	n, err := w.Write(blob[start+written : end])
	return written + int64(n), err
}

// decode reads a whole blob whose metadata is known.
func (c *Client) decode(ctx context.Context, v *committeeView, md *encoding.VerifiedMetadata, opts ReadOptions) ([]byte, error) {
	t0 := time.Now()
	slivers, err := c.primarySlivers(ctx, v, md)
	if err != nil {
		return nil, err
	}
	c.cfg.Logger.Debug("primary slivers fetched and verified", "blob", md.BlobID, "n", len(slivers), "took", time.Since(t0))
	x, put, err := c.expander(v.n())
	if err != nil {
		return nil, fmt.Errorf("client: read: %w", err)
	}
	defer put()
	blob, err := x.DecodeBlob(md, slivers, opts.Consistency)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: decoding (%s check): %w", ErrBlobInvalid, md.BlobID, opts.Consistency, err)
	}
	return blob, nil
}

// rows fetches the systematic primary slivers first..last (each verified
// against the metadata), at most MaxConcurrentReads ahead, and calls emit
// for each in order. A sliver that cannot be had ends it with errFallback.
func (c *Client) rows(ctx context.Context, v *committeeView, md *encoding.VerifiedMetadata, first, last int, emit func(row int, data []byte) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	params := md.Params()
	type result struct {
		data []byte
		err  error
	}
	// Slow start: the first rows share the links and cores with few
	// others, so the first bytes come after about one sliver's fetch
	// rather than a whole window's; each row written lets one more request
	// out until MaxConcurrentReads are in flight.
	tokens := make(chan struct{}, c.cfg.MaxConcurrentReads)
	granted := min(2, c.cfg.MaxConcurrentReads)
	for range granted {
		tokens <- struct{}{}
	}
	results := make([]chan result, last-first+1)
	for i := range results {
		results[i] = make(chan result, 1)
	}
	go func() {
		for row := first; row <= last; row++ {
			select {
			case <-tokens:
			case <-ctx.Done():
				return
			}
			go func() {
				data, err := c.fetchRow(ctx, v, md, params, row)
				results[row-first] <- result{data, err}
			}()
		}
	}()
	// A row that keeps the stream waiting for HedgeDelay (a slow or hung
	// node) ends it: the full read hedges around slow nodes.
	stall := time.NewTimer(c.cfg.HedgeDelay)
	defer stall.Stop()
	for row := first; row <= last; row++ {
		var r result
		select {
		case r = <-results[row-first]:
			stall.Reset(c.cfg.HedgeDelay)
		case <-stall.C:
			return fmt.Errorf("%w: row %d: no answer for %v", errFallback, row, c.cfg.HedgeDelay)
		case <-ctx.Done():
			return ctx.Err()
		}
		tokens <- struct{}{}
		if granted < c.cfg.MaxConcurrentReads {
			tokens <- struct{}{}
			granted++
		}
		if r.err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%w: row %d: %w", errFallback, row, r.err)
		}
		if err := emit(row, r.data); err != nil {
			return err
		}
	}
	return nil
}

// fetchRow fetches and verifies primary sliver row from the owner of its
// shard.
func (c *Client) fetchRow(ctx context.Context, v *committeeView, md *encoding.VerifiedMetadata, params encoding.Params, row int) ([]byte, error) {
	m, err := v.com.ShardOwner(uint16(params.PairToShard(md.BlobID, row)))
	if err != nil {
		return nil, err
	}
	api := v.nodes[m]
	if api == nil {
		return nil, errors.New("no usable address")
	}
	s, err := api.GetSliver(ctx, md.BlobID, uint16(row), encoding.Primary)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", v.names[m], err)
	}
	if s.Type != encoding.Primary || int(s.Index) != row {
		return nil, fmt.Errorf("%s: got %s sliver %d for primary %d", v.names[m], s.Type, s.Index, row)
	}
	x, put, err := c.expander(v.n())
	if err != nil {
		return nil, err
	}
	defer put()
	if err := x.VerifySliver(md, s); err != nil {
		return nil, fmt.Errorf("%s: %w", v.names[m], err)
	}
	return s.Data, nil
}
