package client

import (
	"context"
	"crypto/ed25519"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/walrus-go/walrus/chain"
	chainclient "github.com/walrus-go/walrus/chain/client"
)

type chainInclusion = chainclient.Inclusion

// txState numbers the wallet's transactions, so that one can be broadcast
// before the previous one committed; nextSeq 0 means "ask the chain".
type txState struct {
	nextSeq uint64
}

// broadcast signs a transaction with msgs and the wallet's next sequence
// number and submits it to the mempool without waiting for a block, so that
// the wallet's next transaction can follow before this one commits. It
// returns its encoding (to wait for with WaitIncluded).
func (c *Client) broadcast(ctx context.Context, sys *chain.System, msgs []chain.Msg) ([]byte, error) {
	if c.cfg.Wallet == nil {
		return nil, ErrNoWallet
	}
	c.txMu.Lock()
	defer c.txMu.Unlock()
	acc, err := c.chain.Account(ctx, chain.AddressOf(c.cfg.Wallet.Public().(ed25519.PublicKey)))
	if err != nil {
		return nil, err
	}
	tx := &chain.Tx{Sequence: max(acc.Sequence, c.tx.nextSeq), Fee: sys.MinFee, Msgs: msgs}
	tx.Sign(sys.ChainID, c.cfg.Wallet)
	raw := tx.Encode()
	if err := c.chain.Broadcast(ctx, raw); err != nil {
		c.tx.nextSeq = 0
		return nil, err
	}
	c.tx.nextSeq = tx.Sequence + 1
	return raw, nil
}

// resetSequence makes the next transaction take its sequence number from the
// chain (after a transaction may have been dropped).
func (c *Client) resetSequence() {
	c.txMu.Lock()
	c.tx.nextSeq = 0
	c.txMu.Unlock()
}

// send submits one transaction with msgs and waits for its inclusion.
func (c *Client) send(ctx context.Context, msgs ...chain.Msg) (*chainInclusion, error) {
	sys, err := c.chain.System(ctx)
	if err != nil {
		return nil, err
	}
	return c.submit(ctx, sys, msgs)
}

// submit signs one transaction with msgs, broadcasts it and waits for its
// inclusion. A transaction refused for its sequence number never ran, so it
// is signed again with a fresh one and retried (up to sequenceRetries
// times, a block or so apart): this happens when another client shares the
// wallet, or when a transaction before it left the mempool (CometBFT drops
// the ones after it too) or failed.
func (c *Client) submit(ctx context.Context, sys *chain.System, msgs []chain.Msg) (*chainInclusion, error) {
	for attempt := 0; ; attempt++ {
		inc, err := c.submitOnce(ctx, sys, msgs)
		if err == nil || attempt == sequenceRetries || !errors.Is(err, chain.ErrSequence) || !errors.Is(err, chainclient.ErrRejected) {
			return inc, err
		}
		c.cfg.Logger.Debug("transaction refused for its sequence number; signing it again", "attempt", attempt+1, "err", err)
		// Let the competing transactions commit: the chain's account then
		// shows their sequence numbers.
		d := sequenceBackoff << min(attempt, 4)
		select {
		case <-time.After(d + time.Duration(rand.Int64N(int64(d)))):
		case <-ctx.Done():
			return nil, err
		}
	}
}

// Retries of a transaction refused for its sequence number.
const (
	sequenceRetries = 8
	sequenceBackoff = 50 * time.Millisecond
)

func (c *Client) submitOnce(ctx context.Context, sys *chain.System, msgs []chain.Msg) (*chainInclusion, error) {
	raw, err := c.broadcast(ctx, sys, msgs)
	if err != nil {
		return nil, err
	}
	inc, err := c.chain.WaitIncluded(ctx, raw)
	if err != nil {
		c.resetSequence()
		return nil, err
	}
	return inc, nil
}
