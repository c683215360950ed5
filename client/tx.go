package client

import (
	"context"
	"crypto/ed25519"

	"github.com/walrus-go/walrus/chain"
	chainclient "github.com/walrus-go/walrus/chain/client"
)

type chainInclusion = chainclient.Inclusion

// txState numbers the wallet's transactions, so that one can be broadcast
// before the previous one committed; nextSeq 0 means "ask the chain".
type txState struct {
	nextSeq uint64
}

// broadcastLists signs one transaction per message list with consecutive
// sequence numbers and submits them to the mempool without waiting. It
// returns their encodings (to wait for with WaitIncluded).
func (c *Client) broadcastLists(ctx context.Context, sys *chain.System, msgLists [][]chain.Msg) ([][]byte, error) {
	if c.cfg.Wallet == nil {
		return nil, ErrNoWallet
	}
	c.txMu.Lock()
	defer c.txMu.Unlock()
	acc, err := c.chain.Account(ctx, chain.AddressOf(c.cfg.Wallet.Public().(ed25519.PublicKey)))
	if err != nil {
		return nil, err
	}
	seq := max(acc.Sequence, c.tx.nextSeq)
	var raws [][]byte
	for _, msgs := range msgLists {
		tx := &chain.Tx{Sequence: seq, Fee: sys.MinFee, Msgs: msgs}
		tx.Sign(sys.ChainID, c.cfg.Wallet)
		raw := tx.Encode()
		if err := c.chain.Broadcast(ctx, raw); err != nil {
			c.tx.nextSeq = 0
			return raws, err
		}
		raws = append(raws, raw)
		seq++
		c.tx.nextSeq = seq
	}
	return raws, nil
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
	raws, err := c.broadcastLists(ctx, sys, [][]chain.Msg{msgs})
	if err != nil {
		return nil, err
	}
	inc, err := c.chain.WaitIncluded(ctx, raws[0])
	if err != nil {
		c.resetSequence()
		return nil, err
	}
	return inc, nil
}
