package client

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/crypto/bls"
	"github.com/walrus-go/walrus/devnet"
)

// TestStaking runs the staker's and the operator's actions on a devnet with
// a candidate node: the genesis stake listed at its value, a stake on the
// candidate, its withdrawal before activation (paid back at once), votes and
// commission set by the operator and refused to others, commission
// collected, and a new candidate registered with a proof of possession.
// Activation, rewards and withdrawal after an epoch change are in devnet's
// committee-change test.
func TestStaking(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	nw, err := devnet.Start(ctx, devnet.Config{Dir: t.TempDir(), Nodes: 4, Candidates: 1, Shards: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer nw.Close()
	user, err := New(Config{Chain: nw.Chain(), Wallet: nw.Wallet()})
	if err != nil {
		t.Fatal(err)
	}
	defer user.Close()
	op0, err := New(Config{Chain: nw.Chain(), Wallet: nw.Operator(0)})
	if err != nil {
		t.Fatal(err)
	}
	defer op0.Close()
	op4, err := New(Config{Chain: nw.Chain(), Wallet: nw.Operator(4)})
	if err != nil {
		t.Fatal(err)
	}
	defer op4.Close()
	node0, err := nw.NodeID(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	node4, err := nw.NodeID(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}

	// The operator owns its genesis stake, active, worth its principal (no
	// rewards yet: the pool's rate is still the genesis rate).
	list, err := op0.ListStaked(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("operator 0's stakes: %+v %v", list, err)
	}
	g := list[0]
	if g.NodeID != node0 || g.Principal != devnet.GenesisStake || !g.Active || g.State != StakeStaked || !g.Exact || g.EstimatedValue != g.Principal || g.ActivationEpoch != chain.GenesisEpoch {
		t.Fatalf("genesis stake %+v", g)
	}

	// A stake on the candidate activates next epoch; withdrawing it before
	// then pays it back at once.
	bal := func() uint64 {
		acc, err := nw.Chain().Account(ctx, user.Address())
		if err != nil {
			t.Fatal(err)
		}
		return acc.Balance
	}
	before := bal()
	s, err := user.Stake(ctx, node4, 7*chain.FrostPerWAL)
	if err != nil {
		t.Fatal(err)
	}
	if s.NodeID != node4 || s.Principal != 7*chain.FrostPerWAL || s.Active || s.ActivationEpoch != chain.GenesisEpoch+1 || s.State != StakeStaked || s.EstimatedValue != s.Principal || s.NodeName == "" {
		t.Fatalf("new stake %+v", s)
	}
	if list, err := user.ListStaked(ctx); err != nil || len(list) != 1 || list[0].ID != s.ID {
		t.Fatalf("user's stakes: %+v %v", list, err)
	}
	if p, err := nw.Chain().Pool(ctx, node4); err != nil || len(p.PendingStake) != 1 || p.PendingStake[0].Amount != s.Principal {
		t.Fatalf("pool of the candidate: %+v %v", p, err)
	}
	if got, err := user.RequestWithdraw(ctx, s.ID); err != nil || got != nil {
		t.Fatalf("withdrawal of an inactive stake: %+v %v", got, err)
	}
	sys, err := nw.Chain().System(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := bal(); got != before-2*sys.MinFee {
		t.Fatalf("balance %d after staking and withdrawing, want %d (two fees)", got, before-2*sys.MinFee)
	}
	if _, err := user.Staked(ctx, s.ID); !errors.Is(err, ErrStakedNotFound) {
		t.Fatalf("withdrawn stake still listed: %v", err)
	}
	if _, err := user.Withdraw(ctx, s.ID); !errors.Is(err, ErrStakedNotFound) {
		t.Fatalf("withdrawing a gone stake: %v", err)
	}
	// Someone else's stake is not the wallet's.
	if _, err := user.RequestWithdraw(ctx, g.ID); !errors.Is(err, ErrStakedNotFound) {
		t.Fatalf("withdrawing another wallet's stake: %v", err)
	}
	if _, err := user.Stake(ctx, node4, 0); !errors.Is(err, ErrConfig) {
		t.Fatalf("stake of 0: %v", err)
	}

	// The operator's actions, refused to anyone else.
	votes := Votes{StoragePrice: 12_345, WritePrice: 678, Capacity: 1 << 41}
	if err := op4.SetVotes(ctx, node4, votes); err != nil {
		t.Fatal(err)
	}
	if err := op4.SetCommission(ctx, node4, 2500); err != nil {
		t.Fatal(err)
	}
	p, err := nw.Chain().Pool(ctx, node4)
	if err != nil {
		t.Fatal(err)
	}
	if p.StoragePrice != votes.StoragePrice || p.WritePrice != votes.WritePrice || p.Capacity != votes.Capacity ||
		len(p.PendingCommission) != 1 || p.PendingCommission[0].Amount != 2500 || p.PendingCommission[0].Epoch != sys.Epoch+2 {
		t.Fatalf("pool after votes and commission: %+v", p)
	}
	if err := user.SetVotes(ctx, node4, votes); !errors.Is(err, chain.ErrNotOperator) {
		t.Fatalf("votes by a non-operator: %v", err)
	}
	if err := op4.SetCommission(ctx, node4, chain.MaxCommission+1); !errors.Is(err, ErrConfig) {
		t.Fatalf("commission above 100%%: %v", err)
	}
	if _, err := user.CollectCommission(ctx, node4); !errors.Is(err, chain.ErrNotOperator) {
		t.Fatalf("commission collected by a non-operator: %v", err)
	}
	if got, err := op4.CollectCommission(ctx, node4); err != nil || got != 0 {
		t.Fatalf("commission before any reward: %d %v", got, err)
	}

	// A new candidate operated by the user.
	sk, err := bls.KeyFromSeed(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	npk := nw.NetworkPublicKey(0) // any valid key: the node never runs
	id, err := user.RegisterCandidate(ctx, Candidate{Name: "extra", NetworkAddress: "127.0.0.1:1", ProtocolKey: sk, NetworkPublicKey: npk[:], Commission: 100, Votes: votes})
	if err != nil {
		t.Fatal(err)
	}
	p, err = nw.Chain().Pool(ctx, id)
	if err != nil || p.Name != "extra" || p.Operator != user.Address() || p.PublicKey != sk.PublicKey().Bytes() || p.Commission != 100 || p.ActiveStake != 0 {
		t.Fatalf("registered pool %+v %v", p, err)
	}
	if _, err := user.RegisterCandidate(ctx, Candidate{Name: "again", NetworkAddress: "127.0.0.1:2", ProtocolKey: sk, NetworkPublicKey: npk[:]}); err == nil {
		t.Fatal("a BLS key registered twice")
	}
}
