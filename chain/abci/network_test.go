package abci

import (
	"context"
	"testing"
	"time"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/internal/loopback"
)

func freeAddr(t *testing.T) string {
	l, err := loopback.Listen() // outside the ephemeral range: a restarted validator gets it back
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestFourValidatorsFailover runs four validators on loopback, stops one,
// checks that the others keep committing blocks and transactions, then
// restarts the stopped one from its home directory (config.toml loaded as
// CometBFT loads it) and checks that it catches up: the blocks it missed,
// the transaction among them, and new blocks after that.
func TestFourValidatorsFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four CometBFT nodes")
	}
	user := edKey(1)
	g := testGenesis(t, user)
	g.GenesisTime = time.Now().UTC().Truncate(time.Millisecond)
	var p2pAddrs, rpcAddrs []string
	for range 4 {
		p2pAddrs, rpcAddrs = append(p2pAddrs, freeAddr(t)), append(rpcAddrs, freeAddr(t))
	}
	cfgs, err := GenerateNetwork(NetworkConfig{Dir: t.TempDir(), Genesis: g, P2PAddrs: p2pAddrs, RPCAddrs: rpcAddrs})
	if err != nil {
		t.Fatal(err)
	}
	nodes := make([]*Node, 4)
	for i, c := range cfgs {
		if nodes[i], err = StartNode(c); err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		for _, n := range nodes {
			if n != nil {
				n.Close()
			}
		}
	}()
	waitHeight := func(n *Node, h uint64) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for n.App().Meta().Height < h {
			if time.Now().After(deadline) {
				t.Fatalf("stuck at height %d, waiting for %d", n.App().Meta().Height, h)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitHeight(nodes[0], 3)
	// Stop one validator: 3 of 4 (75% of the power) keep going.
	nodes[3].Close()
	nodes[3] = nil
	h := nodes[0].App().Meta().Height
	waitHeight(nodes[1], h+5)
	// A transaction submitted to one live validator commits on all of them.
	ctx := context.Background()
	tx := signTx(t, g.ChainID, user, 0, &chain.MsgTransfer{To: chain.Address{9}, Amount: 5})
	res, err := nodes[2].Client().BroadcastTxSync(ctx, tx)
	if err != nil || res.Code != CodeOK {
		t.Fatalf("broadcast: %v %+v", err, res)
	}
	hasTransfer := func(n *Node) bool {
		t.Helper()
		v, ok, _ := n.db.Get(chain.AccountKey(chain.Address{9}))
		if ok {
			if acc, _ := chain.DecodeAccount(v); acc.Balance != 5 {
				t.Fatalf("balance %d", acc.Balance)
			}
		}
		return ok
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, n := range nodes[:3] {
		for !hasTransfer(n) {
			if time.Now().After(deadline) {
				t.Fatal("transaction not committed on every live validator")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// Restart the stopped validator: it catches up with the others.
	missed := nodes[0].App().Meta().Height
	c, err := LoadConfig(cfgs[3].Home)
	if err != nil {
		t.Fatal(err)
	}
	if c.P2P.PersistentPeers != cfgs[3].PersistentPeers || c.Consensus.TimeoutCommit != DefaultBlockInterval {
		t.Fatalf("config.toml not loaded: peers %q, timeout_commit %v", c.P2P.PersistentPeers, c.Consensus.TimeoutCommit)
	}
	if nodes[3], err = StartHome(c, nil); err != nil {
		t.Fatal(err)
	}
	waitHeight(nodes[3], missed+3)
	if !hasTransfer(nodes[3]) {
		t.Fatal("restarted validator lacks the transaction it missed")
	}
	// It agrees with a validator that never stopped on the state after a
	// block it replayed (the app hash in the next block's header).
	bh := int64(missed)
	b3, err := nodes[3].Client().Block(ctx, &bh)
	if err != nil {
		t.Fatal(err)
	}
	b0, err := nodes[0].Client().Block(ctx, &bh)
	if err != nil {
		t.Fatal(err)
	}
	if b3.Block.AppHash.String() != b0.Block.AppHash.String() || b3.BlockID.Hash.String() != b0.BlockID.Hash.String() {
		t.Fatalf("block %d differs after catch-up", bh)
	}
}
