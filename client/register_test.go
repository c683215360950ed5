package client

import (
	"testing"
)

// TestStoreTakesTwoTransactions: a store from scratch reserves and registers
// in one transaction and certifies in a second (the wallet's sequence number
// moves by two), and the blob object holds the storage reserved with it.
func TestStoreTakesTwoTransactions(t *testing.T) {
	nw, c, ctx := newNet(t)
	seq := func() uint64 {
		acc, err := nw.Chain().Account(ctx, nw.WalletAddress())
		if err != nil {
			t.Fatal(err)
		}
		return acc.Sequence
	}
	before := seq()
	res, err := c.Store(ctx, randomBlob(61, 10_000), StoreOptions{Epochs: 2, IgnoreResources: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := seq() - before; got != 2 {
		t.Fatalf("store used %d transactions, want 2 (reserve+register, certify)", got)
	}
	nc := res.NewlyCreated
	if nc == nil || nc.ResourceOperation.RegisterFromScratch == nil || nc.BlobObject.CertifiedEpoch == nil || nc.BlobObject.Storage.EndEpoch != nc.BlobObject.RegisteredEpoch+2 {
		t.Fatalf("result %+v", res)
	}
}
