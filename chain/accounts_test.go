package chain

import (
	"errors"
	"testing"
)

func TestTransfer(t *testing.T) {
	e := newEnv(t)
	a0, b0 := e.balance(alice), e.balance(bob)
	e.ok(alice, &MsgTransfer{To: addrOf(bob), Amount: 7})
	if got := e.balance(alice); got != a0-7-testMinFee {
		t.Fatalf("alice %d", got)
	}
	if got := e.balance(bob); got != b0+7 {
		t.Fatalf("bob %d", got)
	}
	e.fail(ErrInsufficientFunds, alice, &MsgTransfer{To: addrOf(bob), Amount: 1 << 62})
	e.fail(ErrInvalidArgument, alice, &MsgTransfer{To: addrOf(bob), Amount: 0})
	// The whole transaction is atomic: the first transfer is undone.
	e.fail(ErrInsufficientFunds, alice, &MsgTransfer{To: addrOf(bob), Amount: 1}, &MsgTransfer{To: addrOf(bob), Amount: 1 << 62})
}

func TestFaucet(t *testing.T) {
	e := newEnv(t)
	a0 := e.balance(alice)
	e.ok(alice, &MsgFaucet{Amount: 5 * FrostPerWAL})
	// The faucet mints its own transactions' fee: alice gets the whole
	// amount and the fee still reaches the epoch's rewards.
	if got := e.balance(alice); got != a0+5*FrostPerWAL {
		t.Fatalf("alice %d", got)
	}
	if e.sys().Minted != 5*FrostPerWAL+testMinFee {
		t.Fatal("minted not accounted")
	}
	// A new account with nothing can use it, and then pay for others.
	empty := edKey(99)
	if e.balance(empty) != 0 {
		t.Fatal("not a new account")
	}
	e.ok(empty, &MsgFaucet{Amount: FrostPerWAL})
	if got := e.balance(empty); got != FrostPerWAL {
		t.Fatalf("new account %d", got)
	}
	e.ok(empty, &MsgTransfer{To: addrOf(bob), Amount: 1})
	if got := e.balance(empty); got != FrostPerWAL-1-testMinFee {
		t.Fatalf("new account after a transfer %d", got)
	}
	// Invalid requests are not sponsored: they pay the fee as any failure.
	e.fail(ErrInvalidArgument, alice, &MsgFaucet{Amount: e.g.FaucetMax + 1})
	e.fail(ErrInvalidArgument, alice, &MsgFaucet{Amount: 0})
	e.fail(ErrInsufficientFunds, edKey(98), &MsgFaucet{Amount: 0})
	// Nor is a faucet request bundled with other messages.
	e.fail(ErrInsufficientFunds, edKey(97), &MsgFaucet{Amount: 1}, &MsgTransfer{To: addrOf(bob), Amount: 1})

	m, _ := New(Config{})
	g := testGenesis(t, e.nodes, []uint64{1, 1, 1, 1})
	g.FaucetEnabled = false
	s := NewMemStore()
	b, err := m.InitChain(s, g)
	if err != nil {
		t.Fatal(err)
	}
	s.Apply(b.WriteSet())
	b, _ = m.BeginBlock(s, 1, g.GenesisTime)
	tx := &Tx{Fee: testMinFee, Msgs: []Msg{&MsgFaucet{Amount: 1}}}
	tx.Sign(g.ChainID, alice)
	if r := b.DeliverTx(tx.Encode()); !errors.Is(r.Err, ErrFaucetDisabled) {
		t.Fatalf("faucet without genesis flag: %v", r.Err)
	}
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	good := func() *Tx {
		return &Tx{Sequence: e.account(addrOf(alice)).Sequence, Fee: testMinFee, Msgs: []Msg{&MsgTransfer{To: addrOf(bob), Amount: 1}}}
	}
	cases := []struct {
		name string
		tx   func() []byte
		want error
	}{
		{"bad signature", func() []byte {
			tx := good()
			tx.Sign(e.g.ChainID, alice)
			tx.Signature[0] ^= 1
			return tx.Encode()
		}, ErrBadSignature},
		{"other chain", func() []byte { tx := good(); tx.Sign("other", alice); return tx.Encode() }, ErrBadSignature},
		{"stale sequence", func() []byte { tx := good(); tx.Sequence--; tx.Sign(e.g.ChainID, alice); return tx.Encode() }, ErrSequence},
		{"future sequence", func() []byte { tx := good(); tx.Sequence++; tx.Sign(e.g.ChainID, alice); return tx.Encode() }, ErrSequence},
		{"low fee", func() []byte { tx := good(); tx.Fee = testMinFee - 1; tx.Sign(e.g.ChainID, alice); return tx.Encode() }, ErrFee},
		{"unpayable fee", func() []byte { tx := good(); tx.Fee = 1 << 62; tx.Sign(e.g.ChainID, alice); return tx.Encode() }, ErrInsufficientFunds},
		{"garbage", func() []byte { return []byte{1, 2, 3} }, ErrDecode},
	}
	// Make alice's sequence non-zero so that "stale" is meaningful.
	e.ok(alice, &MsgTransfer{To: addrOf(bob), Amount: 1})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.snapshot()
			r := e.block(c.tx())[0]
			if !errors.Is(r.Err, c.want) || r.Charged {
				t.Fatalf("got %v (charged %v), want %v", r.Err, r.Charged, c.want)
			}
			after := e.snapshot()
			if len(before) != len(after) {
				t.Fatal("state changed")
			}
			for k, v := range before {
				if string(after[k]) != string(v) {
					t.Fatalf("key %q changed", k)
				}
			}
		})
	}
	// A replayed transaction is rejected.
	raw := e.signTx(alice, &MsgTransfer{To: addrOf(bob), Amount: 1})
	if r := e.block(raw)[0]; r.Err != nil {
		t.Fatal(r.Err)
	}
	if r := e.block(raw)[0]; !errors.Is(r.Err, ErrSequence) {
		t.Fatalf("replay: %v", r.Err)
	}
}

func TestFailedMessagesPayFee(t *testing.T) {
	e := newEnv(t)
	a0, seq := e.balance(alice), e.account(addrOf(alice)).Sequence
	r := e.do(alice, &MsgTransfer{To: addrOf(bob), Amount: 1 << 62})
	if r.Err == nil || !r.Charged {
		t.Fatalf("%v charged %v", r.Err, r.Charged)
	}
	if e.balance(alice) != a0-testMinFee || e.account(addrOf(alice)).Sequence != seq+1 {
		t.Fatal("fee or sequence not charged")
	}
	acc, _ := e.st().accounting(e.sys().Epoch)
	if acc.Rewards != testMinFee {
		t.Fatalf("fee not in rewards: %d", acc.Rewards)
	}
}

func TestCheckTx(t *testing.T) {
	e := newEnv(t)
	b, err := e.m.BeginBlock(e.store, e.height, e.now)
	if err != nil {
		t.Fatal(err)
	}
	bad := e.signTx(alice, &MsgTransfer{To: addrOf(bob), Amount: 1 << 62})
	if r := b.CheckTx(bad); r.Err == nil || r.Charged {
		t.Fatalf("check of failing tx: %v, charged %v", r.Err, r.Charged)
	}
	if len(b.WriteSet()) != 0 {
		t.Fatal("CheckTx of a failing tx wrote")
	}
	good := e.signTx(alice, &MsgTransfer{To: addrOf(bob), Amount: 1})
	if r := b.CheckTx(good); r.Err != nil {
		t.Fatal(r.Err)
	}
	// The check state advanced the sequence: the same tx is now stale.
	if r := b.CheckTx(good); !errors.Is(r.Err, ErrSequence) {
		t.Fatalf("second check: %v", r.Err)
	}
}
