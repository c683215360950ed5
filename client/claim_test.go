package client

import (
	"sync"
	"testing"

	"github.com/walrus-go/walrus/chain"
)

// TestConcurrentStoresShareNoResource stores four blobs at once while the
// wallet owns one storage resource big enough for any of them: exactly one
// store reuses it, the others buy storage, and all succeed (before, every
// store picked the same resource and all but one failed on chain).
func TestConcurrentStoresShareNoResource(t *testing.T) {
	_, c, ctx := newNet(t)
	if _, err := c.send(ctx, &chain.MsgReserveSpace{Size: 10 << 20, EpochsAhead: 2}); err != nil {
		t.Fatal(err)
	}
	const stores = 4
	results := make([]*StoreResult, stores)
	errs := make([]error, stores)
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() {
			results[i], errs[i] = c.Store(ctx, randomBlob(uint64(700+i), 50_000), StoreOptions{Epochs: 2})
		})
	}
	wg.Wait()
	reused := 0
	for i := range stores {
		if errs[i] != nil {
			t.Fatalf("store %d: %v", i, errs[i])
		}
		op := results[i].NewlyCreated.ResourceOperation
		switch {
		case op.ReuseStorage != nil:
			reused++
		case op.RegisterFromScratch == nil:
			t.Errorf("store %d: resource operation %+v", i, op)
		}
	}
	if reused != 1 {
		t.Errorf("%d stores reused the one owned storage resource, want 1", reused)
	}
	// The claims are released: nothing is left claimed.
	c.claimMu.Lock()
	left := len(c.claimed)
	c.claimMu.Unlock()
	if left != 0 {
		t.Errorf("%d claims left after the stores", left)
	}
}
