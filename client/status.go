package client

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/nodeapi"
)

// Status returns a blob's status as the storage nodes report it (reference
// §7.3): every member is asked, answers are grouped by (kind, certified,
// end epoch), and the most advanced status that members holding more than
// f shards agree on is returned (so at least one correct node vouches for
// it). Too few answers fail with ErrNotEnoughNodes.
func (c *Client) Status(ctx context.Context, id encoding.BlobID) (nodeapi.BlobStatus, error) {
	v, _, err := c.committee(ctx)
	if err != nil {
		return nodeapi.BlobStatus{}, err
	}
	p, err := encoding.NewParams(v.n())
	if err != nil {
		return nodeapi.BlobStatus{}, fmt.Errorf("client: status: %w", err)
	}
	type answer struct {
		m   int
		st  nodeapi.BlobStatus
		err error
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	answers := make(chan answer)
	for m := range v.com.Len() {
		wg.Go(func() {
			a := answer{m: m, err: errors.New("no usable address")}
			if api := v.nodes[m]; api != nil {
				a.st, a.err = api.BlobStatus(ctx, id)
			}
			select {
			case answers <- a:
			case <-ctx.Done():
			}
		})
	}
	type group struct {
		st     nodeapi.BlobStatus
		weight int
	}
	var groups []*group
	var errs []error
	best := func() *group {
		var b *group
		for _, g := range groups {
			if g.weight > p.F && (b == nil || statusRank(g.st) > statusRank(b.st)) {
				b = g
			}
		}
		return b
	}
	// Wait for every member, or until members holding n−f shards answered
	// (the rest may be slow or down).
	answered := 0
	for range v.com.Len() {
		var a answer
		select {
		case a = <-answers:
		case <-ctx.Done():
			return nodeapi.BlobStatus{}, ctx.Err()
		}
		if a.err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", v.names[a.m], a.err))
			continue
		}
		answered += v.com.Weight(a.m)
		var g *group
		for _, h := range groups {
			if h.st.Kind == a.st.Kind && h.st.IsCertified == a.st.IsCertified && h.st.EndEpoch == a.st.EndEpoch {
				g = h
			}
		}
		if g == nil {
			g = &group{st: a.st}
			groups = append(groups, g)
		}
		g.weight += v.com.Weight(a.m)
		if answered >= v.n()-p.F && best() != nil {
			break
		}
	}
	b := best()
	if b == nil {
		return nodeapi.BlobStatus{}, fmt.Errorf("%w: status of %s: no status reported by more than %d shards: %w", ErrNotEnoughNodes, id, p.F, errors.Join(errs...))
	}
	return b.st, nil
}

// statusRank orders statuses from least to most advanced.
func statusRank(s nodeapi.BlobStatus) uint64 {
	switch s.Kind {
	case nodeapi.StatusInvalid:
		return 3 << 40
	case nodeapi.StatusPermanent:
		r := uint64(1) << 40
		if s.IsCertified {
			r = 2 << 40
		}
		return r + uint64(s.EndEpoch)
	case nodeapi.StatusDeletable:
		return 1 << 39
	}
	return 0
}

// Delete deletes every deletable Blob object of the blob owned by the
// wallet, in one transaction, and returns their IDs. Without one it fails
// with ErrObjectNotFound.
func (c *Client) Delete(ctx context.Context, id encoding.BlobID) ([]chain.ObjectID, error) {
	if c.cfg.Wallet == nil {
		return nil, ErrNoWallet
	}
	objs, err := c.chain.Owned(ctx, c.Address())
	if err != nil {
		return nil, fmt.Errorf("client: delete: owned objects: %w", err)
	}
	var ids []chain.ObjectID
	var msgs []chain.Msg
	for _, o := range objs {
		if o.Kind == chain.KindBlob && o.Blob != nil && o.Blob.BlobID == id && o.Blob.Deletable {
			ids = append(ids, o.Blob.ID)
			msgs = append(msgs, &chain.MsgDeleteBlob{Blob: o.Blob.ID})
		}
	}
	if len(msgs) == 0 {
		return nil, fmt.Errorf("%w: deletable %s", ErrObjectNotFound, id)
	}
	if _, err := c.send(ctx, msgs...); err != nil {
		return nil, fmt.Errorf("client: delete: %w", err)
	}
	return ids, nil
}

// Extend pays for epochs more epochs of a certified Blob object owned by the
// wallet and returns the object after the extension.
func (c *Client) Extend(ctx context.Context, obj chain.ObjectID, epochs uint32) (*BlobObject, error) {
	if c.cfg.Wallet == nil {
		return nil, ErrNoWallet
	}
	if _, err := c.send(ctx, &chain.MsgExtendBlob{Blob: obj, Epochs: epochs}); err != nil {
		if errors.Is(err, chain.ErrNotFound) || errors.Is(err, chain.ErrNotOwner) {
			return nil, fmt.Errorf("%w: %s: %w", ErrObjectNotFound, obj, err)
		}
		return nil, fmt.Errorf("client: extend: %w", err)
	}
	o, err := c.chain.Object(ctx, obj)
	if err != nil || o.Blob == nil {
		return nil, fmt.Errorf("client: extend: reading %s: %v", obj, err)
	}
	b := blobObjectOf(o.Blob)
	return &b, nil
}
