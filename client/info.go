package client

import (
	"context"
	"fmt"
	"sync"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/nodeapi"
)

// NodeHealth is one committee member's health answer.
type NodeHealth struct {
	NodeID chain.ObjectID
	Name   string // "name (address)"
	Shards int
	Health *nodeapi.ServiceHealthInfo // nil when Err is set
	Err    error
}

// Health asks every member of the current committee for its health
// (reference §7.4 `health --committee`), in committee order.
func (c *Client) Health(ctx context.Context, detailed bool) ([]NodeHealth, error) {
	v, _, err := c.committee(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]NodeHealth, v.com.Len())
	var wg sync.WaitGroup
	for m := range out {
		out[m] = NodeHealth{NodeID: chain.ObjectID(v.com.Member(m).NodeID), Name: v.names[m], Shards: v.com.Weight(m)}
		wg.Go(func() {
			if api := v.nodes[m]; api == nil {
				out[m].Err = fmt.Errorf("no usable address")
			} else {
				out[m].Health, out[m].Err = api.Health(ctx, detailed)
			}
		})
	}
	wg.Wait()
	return out, nil
}

// ListBlobs returns the Blob objects owned by the wallet (reference §7.3
// `list-blobs`); expired ones only with includeExpired.
func (c *Client) ListBlobs(ctx context.Context, includeExpired bool) ([]BlobObject, error) {
	if c.cfg.Wallet == nil {
		return nil, ErrNoWallet
	}
	sys, err := c.chain.System(ctx)
	if err != nil {
		return nil, fmt.Errorf("client: system: %w", err)
	}
	objs, err := c.chain.Owned(ctx, c.Address())
	if err != nil {
		return nil, fmt.Errorf("client: owned objects: %w", err)
	}
	var out []BlobObject
	for _, o := range objs {
		if o.Kind != chain.KindBlob || o.Blob == nil {
			continue
		}
		if !includeExpired && o.Blob.Storage.End <= sys.Epoch {
			continue
		}
		out = append(out, blobObjectOf(o.Blob))
	}
	return out, nil
}
