package client

import (
	"context"

	"github.com/walrus-go/walrus/chain"
)

// Reads of the epoch bookkeeping behind staking rewards.

// Rate returns a pool's exchange rate recorded at the start of an epoch
// (ErrNotFound if the pool did not exist or no rate was recorded then).
func (c *Client) Rate(ctx context.Context, node chain.ObjectID, epoch uint32) (chain.Rate, error) {
	b, err := c.get(ctx, chain.RateKey(node, epoch))
	if err != nil {
		return chain.Rate{}, err
	}
	return chain.DecodeRate(b)
}

// Accounting returns an epoch's future-accounting entry: the storage used in
// it and the rewards assigned to it so far (paid out, and zeroed, at the
// epoch's end).
func (c *Client) Accounting(ctx context.Context, epoch uint32) (*chain.Accounting, error) {
	b, err := c.get(ctx, chain.AccountingKey(epoch))
	if err != nil {
		return nil, err
	}
	return chain.DecodeAccounting(b)
}
