package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/chain/abci"
	"github.com/walrus-go/walrus/protocol"
)

// get returns the committed value of a state key.
func (c *Client) get(ctx context.Context, key []byte) ([]byte, error) {
	r, err := c.rpc.ABCIQuery(ctx, abci.QueryKey, key)
	if err != nil {
		return nil, fmt.Errorf("client: query %q: %w", key, err)
	}
	switch r.Response.Code {
	case abci.CodeOK:
		return r.Response.Value, nil
	case abci.CodeNotFound:
		return nil, fmt.Errorf("%w: %q", ErrNotFound, key)
	}
	return nil, fmt.Errorf("client: query %q: code %d: %s", key, r.Response.Code, r.Response.Log)
}

// scan returns every entry under prefix, paging through the store.
func (c *Client) scan(ctx context.Context, prefix []byte) ([]abci.KV, error) {
	var out []abci.KV
	var after []byte
	for {
		r, err := c.rpc.ABCIQuery(ctx, abci.QueryScan, abci.EncodeScan(prefix, after, abci.MaxScan))
		if err != nil {
			return nil, fmt.Errorf("client: scan %q: %w", prefix, err)
		}
		if r.Response.Code != abci.CodeOK {
			return nil, fmt.Errorf("client: scan %q: code %d: %s", prefix, r.Response.Code, r.Response.Log)
		}
		kvs, err := abci.DecodeKVs(r.Response.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, kvs...)
		if len(kvs) < abci.MaxScan {
			return out, nil
		}
		after = kvs[len(kvs)-1].Key
	}
}

// System returns the global state: epoch, epoch state, prices, capacity and
// the genesis parameters.
func (c *Client) System(ctx context.Context) (*chain.System, error) {
	b, err := c.get(ctx, chain.SystemKey())
	if err != nil {
		return nil, err
	}
	return chain.DecodeSystem(b)
}

// Committee returns the previous, current or next committee
// (chain.CommitteePrevious, CommitteeCurrent, CommitteeNext).
func (c *Client) Committee(ctx context.Context, which string) (*chain.Committee, error) {
	b, err := c.get(ctx, chain.CommitteeKey(which))
	if err != nil {
		return nil, err
	}
	return chain.DecodeCommittee(b)
}

// ProtocolCommittee returns the previous, current or next committee in
// protocol's form, to aggregate or verify certificates: members in signer
// order with their BLS keys and shards (see chain.ProtocolCommittee).
func (c *Client) ProtocolCommittee(ctx context.Context, which string) (*protocol.Committee, error) {
	com, err := c.Committee(ctx, which)
	if err != nil {
		return nil, err
	}
	return chain.ProtocolCommittee(com)
}

// Account returns an account (a zero account if it does not exist).
func (c *Client) Account(ctx context.Context, a chain.Address) (*chain.Account, error) {
	b, err := c.get(ctx, chain.AccountKey(a))
	if err != nil {
		if isNotFound(err) {
			return &chain.Account{}, nil
		}
		return nil, err
	}
	return chain.DecodeAccount(b)
}

// Object returns an object (storage, blob, shared blob, staked WAL) by ID.
func (c *Client) Object(ctx context.Context, id chain.ObjectID) (*chain.Object, error) {
	b, err := c.get(ctx, chain.ObjectKey(id))
	if err != nil {
		return nil, err
	}
	return chain.DecodeObject(b)
}

// Pool returns a storage node's staking pool.
func (c *Client) Pool(ctx context.Context, node chain.ObjectID) (*chain.Pool, error) {
	b, err := c.get(ctx, chain.PoolKey(node))
	if err != nil {
		return nil, err
	}
	return chain.DecodePool(b)
}

// Pools returns every staking pool, sorted by node ID.
func (c *Client) Pools(ctx context.Context) ([]*chain.Pool, error) {
	kvs, err := c.scan(ctx, []byte(chain.PrefixPool))
	if err != nil {
		return nil, err
	}
	out := make([]*chain.Pool, 0, len(kvs))
	for _, kv := range kvs {
		p, err := chain.DecodePool(kv.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Owned returns the objects owned by an address, by ID order.
func (c *Client) Owned(ctx context.Context, a chain.Address) ([]*chain.Object, error) {
	kvs, err := c.scan(ctx, chain.OwnerPrefix(a))
	if err != nil {
		return nil, err
	}
	out := make([]*chain.Object, 0, len(kvs))
	for _, kv := range kvs {
		id := chain.ObjectID(kv.Key[len(kv.Key)-32:])
		o, err := c.Object(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// BlobObjects returns the live blob objects (owned or shared) with a blob ID.
func (c *Client) BlobObjects(ctx context.Context, id chain.BlobID) ([]*chain.Object, error) {
	kvs, err := c.scan(ctx, chain.BlobIndexPrefix(id))
	if err != nil {
		return nil, err
	}
	out := make([]*chain.Object, 0, len(kvs))
	for _, kv := range kvs {
		o, err := c.Object(ctx, chain.ObjectID(kv.Key[len(kv.Key)-32:]))
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// Invalid reports whether a blob ID was marked invalid.
func (c *Client) Invalid(ctx context.Context, id chain.BlobID) (bool, error) {
	_, err := c.get(ctx, chain.InvalidBlobKey(id))
	if isNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

func isNotFound(err error) bool {
	return errors.Is(err, ErrNotFound)
}
