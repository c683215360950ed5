package client

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/walrus-go/walrus/chain"
)

// droppingRPC forwards to a real node but swallows the first broadcast of
// each transaction, answering OK: as if the mempool had taken it and then
// dropped it on a recheck.
type droppingRPC struct {
	RPC
	dropped atomic.Int32
	seen    map[string]bool
}

func (d *droppingRPC) BroadcastTxSync(ctx context.Context, tx cmttypes.Tx) (*ctypes.ResultBroadcastTx, error) {
	if !d.seen[string(tx)] {
		d.seen[string(tx)] = true
		d.dropped.Add(1)
		return &ctypes.ResultBroadcastTx{Hash: tx.Hash()}, nil
	}
	return d.RPC.BroadcastTxSync(ctx, tx)
}

// TestWaitIncludedDroppedTx: a transaction that left the mempool without
// being included does not keep WaitIncluded waiting forever: still valid,
// it is broadcast again and included; no longer valid, the wait ends with
// CheckTx's reason.
func TestWaitIncludedDroppedTx(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n := newNetwork(t, time.Hour)
	defer n.stop(t)
	rpc := &droppingRPC{RPC: n.node.Client(), seen: map[string]bool{}}
	c, err := New(Config{RPC: rpc, ChainID: n.g.ChainID, MinFee: 1, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	to := addrOf(edKey(9))
	acc, err := c.Account(ctx, addrOf(n.user))
	if err != nil {
		t.Fatal(err)
	}

	// Still valid: taken back into the mempool and included.
	tx := &chain.Tx{Sequence: acc.Sequence, Fee: 1, Msgs: []chain.Msg{&chain.MsgTransfer{To: to, Amount: 5}}}
	tx.Sign(n.g.ChainID, n.user)
	inc, err := c.Submit(ctx, tx.Encode())
	if err != nil {
		t.Fatalf("dropped but valid transaction: %v", err)
	}
	if inc.Height == 0 || rpc.dropped.Load() != 1 {
		t.Fatalf("inclusion %+v after %d drops", inc, rpc.dropped.Load())
	}

	// No longer valid: another transaction took its sequence number.
	stale := &chain.Tx{Sequence: acc.Sequence + 1, Fee: 1, Msgs: []chain.Msg{&chain.MsgTransfer{To: to, Amount: 6}}}
	stale.Sign(n.g.ChainID, n.user)
	if err := c.Broadcast(ctx, stale.Encode()); err != nil { // dropped
		t.Fatal(err)
	}
	if _, err := n.c.Send(ctx, n.user, &chain.MsgTransfer{To: to, Amount: 7}); err != nil {
		t.Fatal(err)
	}
	_, err = c.WaitIncluded(ctx, stale.Encode())
	if !errors.Is(err, ErrRejected) || !errors.Is(err, chain.ErrSequence) {
		t.Fatalf("dropped and no longer valid: %v, want ErrRejected wrapping ErrSequence", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the wait ran into the test's deadline")
	}
}
