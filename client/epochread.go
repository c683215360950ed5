package client

import (
	"context"
	"fmt"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/nodeapi"
)

// Reads during an epoch change (Walrus's read_committee): from
// EpochChangeStart until EpochChangeDone the new committee's members may
// still be fetching the shards they gained, while the previous committee
// keeps every shard it held (lost shards turn read-only and are removed only
// once the change is done). A blob certified before the current epoch is
// therefore read from the previous committee while the change is in
// progress; any other read, and every write, uses the current committee.

// readView returns the committee to read blob id from.
func (c *Client) readView(ctx context.Context, id encoding.BlobID) (*committeeView, error) {
	v, sys, err := c.committee(ctx)
	if err != nil || sys.State != chain.StateChangeSync || sys.Epoch <= chain.GenesisEpoch {
		return v, err
	}
	objs, err := c.chain.BlobObjects(ctx, id)
	if err != nil {
		return v, nil // the current committee; the read classifies failures
	}
	before := false
	for _, o := range objs {
		if b := o.Blob; b != nil && b.Certified() && *b.CertifiedEpoch < sys.Epoch && b.Storage.End > sys.Epoch {
			before = true
		}
	}
	if !before {
		return v, nil
	}
	prev, err := c.previousView(ctx, sys.Epoch-1)
	if err != nil {
		c.cfg.Logger.Debug("no previous committee to read from", "err", err)
		return v, nil
	}
	return prev, nil
}

// previousView builds the view of the previous committee (of epoch e) with
// an API client per member, from their pools' registrations.
func (c *Client) previousView(ctx context.Context, e uint32) (*committeeView, error) {
	com, err := c.chain.ProtocolCommittee(ctx, chain.CommitteePrevious)
	if err != nil {
		return nil, fmt.Errorf("client: previous committee: %w", err)
	}
	if com.Epoch() != e {
		return nil, fmt.Errorf("client: previous committee of epoch %d, want %d", com.Epoch(), e)
	}
	pools, err := c.chain.Pools(ctx)
	if err != nil {
		return nil, fmt.Errorf("client: pools: %w", err)
	}
	byID := make(map[chain.ObjectID]*chain.Pool, len(pools))
	for _, p := range pools {
		byID[p.NodeID] = p
	}
	v := &committeeView{epoch: com.Epoch(), com: com, nodes: make([]*nodeapi.Client, com.Len()), names: make([]string, com.Len())}
	for m := range com.Len() {
		p := byID[chain.ObjectID(com.Member(m).NodeID)]
		if p == nil {
			continue // unreachable member
		}
		api, err := c.nodeClient(p)
		if err != nil {
			c.cfg.Logger.Warn("unusable node registration", "node", p.Name, "err", err)
		}
		v.nodes[m], v.names[m] = api, p.Name+" ("+p.NetworkAddress+")"
	}
	return v, nil
}
