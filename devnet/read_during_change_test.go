package devnet

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/client"
)

// TestReadFromPreviousCommittee: while an epoch change is in progress, a
// blob certified before it is read from the previous committee, which
// holds all its shards, as Walrus's client does. Stake brings the candidate
// in with half the shards and a genesis node leaves; the candidate is down,
// so it never syncs and the change stays in progress; with one more member
// of the new committee down, the new committee's reachable shards are too
// few to decode, while the previous committee's are enough.
func TestReadFromPreviousCommittee(t *testing.T) {
	if testing.Short() {
		t.Skip("whole-network test through an epoch change (about 15 s)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	nw, err := Start(ctx, Config{Dir: t.TempDir(), Nodes: 4, Candidates: 1, Shards: ccShards, EpochDuration: ccEpoch})
	if err != nil {
		t.Fatal(err)
	}
	defer nw.Close()
	cc := nw.Chain()
	newClient := func(w []byte) *client.Client {
		c, err := client.New(client.Config{Chain: cc, Wallet: w, HedgeDelay: 200 * time.Millisecond, RequestTimeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	user, leaverOp := newClient(nw.Wallet()), newClient(nw.Operator(ccLeaver))
	newID, err := nw.NodeID(ctx, ccNew)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := user.Stake(ctx, newID, 3*GenesisStake); err != nil {
		t.Fatal(err)
	}
	own, err := leaverOp.ListStaked(ctx)
	if err != nil || len(own) != 1 {
		t.Fatalf("leaver's stakes %+v %v", own, err)
	}
	if _, err := leaverOp.RequestWithdraw(ctx, own[0].ID); err != nil {
		t.Fatal(err)
	}
	if sys, err := cc.System(ctx); err != nil || sys.State != chain.StateChangeDone {
		t.Fatalf("set-up too slow: staking landed after voting ended (%+v %v)", sys, err)
	}
	b := storeBlob(ctx, t, user, 7, 300_000, 5)
	if err := nw.StopNode(ccNew); err != nil {
		t.Fatal(err)
	}

	waitFor(ctx, t, "epoch 2", 10*time.Millisecond, func() bool {
		sys, err := cc.System(ctx)
		return err == nil && sys.Epoch == chain.GenesisEpoch+1
	})
	com2, err := cc.Committee(ctx, chain.CommitteeCurrent)
	if err != nil {
		t.Fatal(err)
	}
	// Stop the member of the new committee with the most shards besides
	// the candidate: the rest cannot serve n-2f primary slivers.
	down, most := -1, 0
	for i := range nw.GenesisNodes() {
		if i == ccLeaver {
			continue
		}
		id, err := nw.NodeID(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		if k := len(memberShards(com2, id)); k > most {
			down, most = i, k
		}
	}
	reachable := ccShards - len(memberShards(com2, newID)) - most
	if f := (ccShards - 1) / 3; reachable >= ccShards-2*f {
		t.Fatalf("the new committee still reaches %d shards: the test needs fewer than %d", reachable, ccShards-2*f)
	}
	if err := nw.StopNode(down); err != nil {
		t.Fatal(err)
	}
	if sys, err := cc.System(ctx); err != nil || sys.Epoch != chain.GenesisEpoch+1 || sys.State != chain.StateChangeSync {
		t.Fatalf("the epoch change should still be in progress: %+v %v", sys, err)
	}
	got, err := newClient(nil).Read(ctx, b.id, client.ReadOptions{})
	if err != nil || !bytes.Equal(got, b.data) {
		t.Fatalf("read during the epoch change: %v", err)
	}
}
