package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/chain/abci"
	chainclient "github.com/walrus-go/walrus/chain/client"
	"github.com/walrus-go/walrus/crypto/bls"
)

// TestObjectOperations runs every object operation against a devnet:
// attributes, transfer, share, fund and extend a shared blob, burn, the
// faucet (disabled on the devnet) and balances.
func TestObjectOperations(t *testing.T) {
	_, c, ctx := newNet(t)
	store := func(seed uint64) chain.ObjectID {
		t.Helper()
		res, err := c.Store(ctx, randomBlob(seed, 1000+int(seed)), StoreOptions{Epochs: 2})
		if err != nil || res.NewlyCreated == nil {
			t.Fatalf("store: %+v %v", res, err)
		}
		return res.NewlyCreated.BlobObject.ID
	}
	obj := store(1)

	info, err := c.BlobByObjectID(ctx, obj)
	if err != nil {
		t.Fatal(err)
	}
	if info.Object.ID != obj || info.Shared || info.Owner != c.Address() || len(info.Attributes) != 0 || info.Object.CertifiedEpoch == nil {
		t.Fatalf("blob object %+v", info)
	}
	if _, err := c.BlobByObjectID(ctx, chain.ObjectID{1, 2, 3}); !errors.Is(err, ErrObjectNotFound) {
		t.Fatalf("missing object: %v", err)
	}

	// Attributes: set several in one transaction, update one, remove some
	// (an absent key is ignored).
	want := map[string]string{"content-type": "text/plain", "a": "1", "b": "2"}
	if err := c.SetAttributes(ctx, obj, want); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Attributes(ctx, obj); err != nil || !maps.Equal(got, want) {
		t.Fatalf("attributes %v %v, want %v", got, err, want)
	}
	if err := c.SetAttributes(ctx, obj, map[string]string{"a": "one"}); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveAttributes(ctx, obj, "b", "absent"); err != nil {
		t.Fatal(err)
	}
	want = map[string]string{"content-type": "text/plain", "a": "one"}
	if got, err := c.Attributes(ctx, obj); err != nil || !maps.Equal(got, want) {
		t.Fatalf("attributes %v %v, want %v", got, err, want)
	}
	if err := c.SetAttributes(ctx, chain.ObjectID{9}, map[string]string{"k": "v"}); !errors.Is(err, ErrObjectNotFound) {
		t.Fatalf("attributes of a missing object: %v", err)
	}

	// Share, fund and extend a shared blob: the balance pays the funds, the
	// funds pay the extension.
	shared := store(2)
	before, err := c.Balance(ctx)
	if err != nil || before == 0 {
		t.Fatalf("balance %d %v", before, err)
	}
	if err := c.Share(ctx, shared, 1_000_000); err != nil {
		t.Fatal(err)
	}
	if err := c.FundShared(ctx, shared, 500_000); err != nil {
		t.Fatal(err)
	}
	info, err = c.BlobByObjectID(ctx, shared)
	if err != nil || !info.Shared || info.Funds != 1_500_000 || info.Owner != (chain.Address{}) {
		t.Fatalf("shared blob %+v %v", info, err)
	}
	after, err := c.Balance(ctx)
	if err != nil || after > before-1_500_000 {
		t.Fatalf("balance %d -> %d (%v): the funds were not paid", before, after, err)
	}
	end := info.Object.Storage.EndEpoch
	bo, err := c.ExtendShared(ctx, shared, 1)
	if err != nil || bo.Storage.EndEpoch != end+1 {
		t.Fatalf("extend shared: %+v %v", bo, err)
	}
	if info2, err := c.BlobByObjectID(ctx, shared); err != nil || info2.Funds >= info.Funds {
		t.Fatalf("extension not paid from the funds: %+v %v", info2, err)
	}
	if err := c.Transfer(ctx, shared, chain.Address{7}); !errors.Is(err, ErrObjectNotFound) {
		t.Fatalf("transfer of a shared blob: %v", err)
	}

	// Transfer: the object changes owner, and the wallet can no longer
	// change it.
	to := chain.Address{0xab}
	if err := c.Transfer(ctx, obj, to); err != nil {
		t.Fatal(err)
	}
	if info, err := c.BlobByObjectID(ctx, obj); err != nil || info.Owner != to {
		t.Fatalf("after transfer: %+v %v", info, err)
	}
	if err := c.RemoveAttributes(ctx, obj, "a"); !errors.Is(err, ErrObjectNotFound) {
		t.Fatalf("attributes of a transferred object: %v", err)
	}

	// Burn two objects in one transaction.
	b1, b2 := store(3), store(4)
	if err := c.Burn(ctx, b1, b2); err != nil {
		t.Fatal(err)
	}
	for _, id := range []chain.ObjectID{b1, b2} {
		if _, err := c.BlobByObjectID(ctx, id); !errors.Is(err, ErrObjectNotFound) {
			t.Fatalf("burned %s: %v", id, err)
		}
	}
	if err := c.Burn(ctx, b1); !errors.Is(err, ErrObjectNotFound) {
		t.Fatalf("burning twice: %v", err)
	}

	// The devnet's genesis has no faucet.
	if err := c.GetWAL(ctx, 1000); !errors.Is(err, chain.ErrFaucetDisabled) {
		t.Fatalf("get-wal: %v", err)
	}
	n, err := c.Network(ctx)
	if err != nil || n.Nodes != 4 || n.Shards != 100 || n.FaucetEnabled {
		t.Fatalf("network %+v %v", n, err)
	}

	// Without a wallet, writes fail clearly; reads of objects work.
	ro, err := New(Config{Chain: c.cfg.Chain})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if err := ro.Burn(ctx, b1); !errors.Is(err, ErrNoWallet) {
		t.Fatalf("burn without a wallet: %v", err)
	}
	if _, err := ro.Balance(ctx); !errors.Is(err, ErrNoWallet) {
		t.Fatalf("balance without a wallet: %v", err)
	}
	if info, err := ro.BlobByObjectID(ctx, shared); err != nil || !info.Shared {
		t.Fatalf("read-only lookup: %+v %v", info, err)
	}
}

// TestGetWAL uses the faucet of a chain whose genesis enables it (a lone
// validator; no storage node is needed to mint).
func TestGetWAL(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wallet := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	g := &chain.Genesis{
		ChainID: "walrus-faucet-test", GenesisTime: time.Now().Add(-time.Second).UTC().Truncate(time.Millisecond), NShards: 10,
		EpochDuration: time.Hour, MaxEpochsAhead: 10, MinFee: 1, FaucetEnabled: true, FaucetMax: chain.FrostPerWAL,
		Balances: []chain.GenesisBalance{{Address: chain.AddressOf(wallet.Public().(ed25519.PublicKey)), Amount: 1000}},
	}
	for i := range 4 {
		sk, err := bls.KeyFromSeed(bytes.Repeat([]byte{byte(i + 1)}, 32))
		if err != nil {
			t.Fatal(err)
		}
		op := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{byte(40 + i)}, ed25519.SeedSize))
		g.Nodes = append(g.Nodes, chain.GenesisNode{
			Operator: chain.AddressOf(op.Public().(ed25519.PublicKey)), Name: "n", NetworkAddress: "127.0.0.1:1", PublicKey: sk.PublicKey().Bytes(),
			NetworkPublicKey: []byte{1}, Stake: 100 * chain.FrostPerWAL, StoragePrice: 10, WritePrice: 10, Capacity: 1 << 40,
		})
	}
	node, err := abci.StartNode(abci.NodeConfig{Home: t.TempDir(), Genesis: g, BlockInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	cc, err := chainclient.New(chainclient.Config{RPC: node.Client(), ChainID: g.ChainID, MinFee: 1, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{Chain: cc, Wallet: wallet})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	before, err := c.Balance(ctx)
	if err != nil || before != 1000 {
		t.Fatalf("balance %d %v", before, err)
	}
	if err := c.GetWAL(ctx, chain.FrostPerWAL); err != nil {
		t.Fatal(err)
	}
	// The faucet pays its transaction's fee: the whole amount arrives.
	if after, err := c.Balance(ctx); err != nil || after != before+chain.FrostPerWAL {
		t.Fatalf("balance %d -> %d %v", before, after, err)
	}
	// So a brand-new wallet, with nothing to pay a fee, can get WAL.
	fresh, err := New(Config{Chain: cc, Wallet: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, ed25519.SeedSize))})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if err := fresh.GetWAL(ctx, chain.FrostPerWAL); err != nil {
		t.Fatalf("get-wal from a new wallet: %v", err)
	}
	if got, err := fresh.Balance(ctx); err != nil || got != chain.FrostPerWAL {
		t.Fatalf("new wallet's balance %d %v", got, err)
	}
	for _, amount := range []uint64{0, chain.FrostPerWAL + 1} {
		if err := c.GetWAL(ctx, amount); !errors.Is(err, ErrConfig) {
			t.Fatalf("get-wal %d: %v", amount, err)
		}
	}
}
