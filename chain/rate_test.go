package chain

import "testing"

// TestWithdrawFromEmptiedPool: the only staker of a pool withdraws its whole
// stake at the epoch change that pays the pool's last rewards. The pool's
// rate of that epoch must be the rate its shares were sold at (principal
// plus rewards), not the 1:1 rate of the emptied pool, which paid back the
// principal and left the rewards stranded in the pool.
func TestWithdrawFromEmptiedPool(t *testing.T) {
	e := newEnv(t)
	op := e.nodes[0].op
	node := e.nodes[0].nodeID
	stake := e.ownedStake(e.nodes[0])
	e.storeBlob(alice, 1, 1<<20, 3, false) // rewards for epoch 1
	e.ok(op, &MsgRequestWithdraw{Staked: stake})
	e.runEpoch()
	p := e.pool(node)
	if p.ActiveStake != 0 || p.Shares != 0 || p.Withdrawable <= 100*FrostPerWAL {
		t.Fatalf("pool after the withdrawal epoch %+v: want it empty with principal and rewards withdrawable", p)
	}
	r, ok, err := e.st().rate(node, e.sys().Epoch)
	if err != nil || !ok || r.toWal(e.object(stake).Staked.Shares) != p.Withdrawable {
		t.Fatalf("rate of the withdrawal epoch %+v (%v %v) pays %d, want %d", r, ok, err, r.toWal(e.object(stake).Staked.Shares), p.Withdrawable)
	}
	before := e.balance(op)
	e.ok(op, &MsgWithdraw{Staked: stake})
	if got := e.balance(op) - before + testMinFee; got != p.Withdrawable {
		t.Fatalf("withdrew %d, want %d", got, p.Withdrawable)
	}
	if p := e.pool(node); p.Withdrawable != 0 {
		t.Fatalf("%d FROST left in the emptied pool", p.Withdrawable)
	}
	e.checkSupply()
}
