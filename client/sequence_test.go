package client

import (
	"errors"
	"sync"
	"testing"

	"github.com/walrus-go/walrus/chain"
)

// TestSharedWallet: two clients with the same wallet send transactions at
// the same time. They sign with the same sequence numbers, so CheckTx
// refuses one of each pair; the refused one never ran and is signed again
// with a fresh number, so every transaction lands once.
func TestSharedWallet(t *testing.T) {
	nw, a, ctx := newNet(t)
	b, err := New(Config{Chain: nw.Chain(), Wallet: nw.Wallet(), Logger: testLog()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	to := chain.Address{7}
	const each = 6
	var wg sync.WaitGroup
	errs := make([]error, 2*each)
	for i := range 2 * each {
		c := a
		if i%2 == 1 {
			c = b
		}
		wg.Go(func() {
			_, errs[i] = c.send(ctx, &chain.MsgTransfer{To: to, Amount: uint64(i + 1)})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	acc, err := nw.Chain().Account(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	if want := uint64(2 * each * (2*each + 1) / 2); acc.Balance != want {
		t.Fatalf("balance %d, want %d: a transfer was lost or applied twice", acc.Balance, want)
	}
}
