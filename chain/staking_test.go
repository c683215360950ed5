package chain

import (
	"bytes"
	"testing"
)

// supply sums every FROST in the state (balances, pools, reward buckets,
// shared-blob funds, burned) and checks it against genesis plus minting.
func (e *env) checkSupply() {
	e.t.Helper()
	var genesis, total uint64
	for _, b := range e.g.Balances {
		genesis += b.Amount
	}
	for _, n := range e.g.Nodes {
		genesis += n.Stake
	}
	sys := e.sys()
	total += sys.Burned
	for _, k := range e.store.Keys([]byte(PrefixAccount)) {
		var a Account
		if err := decodeRecord(e.store.m[string(k)], &a); err != nil {
			e.t.Fatal(err)
		}
		total += a.Balance
	}
	for _, k := range e.store.Keys([]byte(PrefixPool)) {
		var p Pool
		if err := decodeRecord(e.store.m[string(k)], &p); err != nil {
			e.t.Fatal(err)
		}
		total += p.ActiveStake + p.Withdrawable + p.CommissionPending + p.CommissionCollectable
		for _, s := range p.PendingStake {
			total += s.Amount
		}
	}
	for _, k := range e.store.Keys([]byte(PrefixAccounting)) {
		var a Accounting
		if err := decodeRecord(e.store.m[string(k)], &a); err != nil {
			e.t.Fatal(err)
		}
		total += a.Rewards
	}
	for _, k := range e.store.Keys([]byte(PrefixObject)) {
		var o Object
		if err := decodeRecord(e.store.m[string(k)], &o); err != nil {
			e.t.Fatal(err)
		}
		total += o.Funds
	}
	if total != genesis+sys.Minted {
		e.t.Fatalf("supply %d, want %d (genesis %d + minted %d)", total, genesis+sys.Minted, genesis, sys.Minted)
	}
}

func (e *env) registerNode(seed byte) *testNode {
	e.t.Helper()
	n := &testNode{sk: blsKey(e.t, seed), op: edKey(seed)}
	e.ok(alice, &MsgTransfer{To: n.addr(), Amount: 10 * FrostPerWAL})
	pk := n.sk.PublicKey().Bytes()
	pop := n.sk.ProvePossession(e.sys().Epoch, n.addr()).Bytes()
	r := e.ok(n.op, &MsgRegisterCandidate{Name: "new", NetworkAddress: "h:1", PublicKey: pk, NetworkPublicKey: []byte{1},
		ProofOfPossession: pop, Commission: 500, StoragePrice: testPrice, WritePrice: testWrite, Capacity: testCapacity})
	n.nodeID = created(r, 0)
	e.nodes = append(e.nodes, n)
	return n
}

func TestRegisterCandidate(t *testing.T) {
	e := newEnv(t)
	n := e.registerNode(50)
	p := e.pool(n.nodeID)
	if p.Operator != n.addr() || p.Commission != 500 || p.ActiveStake != 0 {
		t.Fatalf("pool %+v", p)
	}
	sk := blsKey(t, 51)
	pk := sk.PublicKey().Bytes()
	cur := e.sys().Epoch
	good := MsgRegisterCandidate{Name: "x", NetworkAddress: "h:2", PublicKey: pk, NetworkPublicKey: []byte{1},
		ProofOfPossession: sk.ProvePossession(cur, addrOf(bob)).Bytes()}
	m := func(f func(*MsgRegisterCandidate)) *MsgRegisterCandidate { c := good; f(&c); return &c }
	e.fail(ErrPossession, alice, m(func(*MsgRegisterCandidate) {}))
	e.fail(ErrPossession, bob, m(func(c *MsgRegisterCandidate) { c.ProofOfPossession = sk.ProvePossession(cur+1, addrOf(bob)).Bytes() }))
	e.fail(ErrInvalidArgument, bob, m(func(c *MsgRegisterCandidate) { c.Name = "" }))
	e.fail(ErrInvalidArgument, bob, m(func(c *MsgRegisterCandidate) { c.NetworkAddress = "" }))
	e.fail(ErrInvalidArgument, bob, m(func(c *MsgRegisterCandidate) { c.NetworkPublicKey = nil }))
	e.fail(ErrInvalidArgument, bob, m(func(c *MsgRegisterCandidate) { c.Commission = MaxCommission + 1 }))
	e.fail(ErrInvalidArgument, n.op, &MsgRegisterCandidate{Name: "dup", NetworkAddress: "h", PublicKey: n.sk.PublicKey().Bytes(),
		NetworkPublicKey: []byte{1}, ProofOfPossession: n.sk.ProvePossession(cur, n.addr()).Bytes()})
	e.ok(bob, m(func(*MsgRegisterCandidate) {}))

	// Votes and commission: operator only.
	e.fail(ErrNotOperator, bob, &MsgSetVotes{Node: n.nodeID})
	e.fail(ErrNotOperator, bob, &MsgSetCommission{Node: n.nodeID, Rate: 1})
	e.fail(ErrNotOperator, bob, &MsgCollectCommission{Node: n.nodeID})
	e.fail(ErrInvalidArgument, n.op, &MsgSetCommission{Node: n.nodeID, Rate: MaxCommission + 1})
	e.fail(ErrNotFound, n.op, &MsgSetVotes{Node: ObjectID{1}})
	e.ok(n.op, &MsgSetCommission{Node: n.nodeID, Rate: 2000})
	if p := e.pool(n.nodeID); p.Commission != 500 || len(p.PendingCommission) != 1 || p.PendingCommission[0] != (EpochAmount{cur + 2, 2000}) {
		t.Fatalf("pending commission %+v", p.PendingCommission)
	}
	e.runEpoch()
	if e.pool(n.nodeID).Commission != 500 {
		t.Fatal("commission changed after one epoch")
	}
	e.runEpoch()
	if e.pool(n.nodeID).Commission != 2000 {
		t.Fatal("commission not changed after two epochs")
	}
	e.checkSupply()
}

func TestPriceVotes(t *testing.T) {
	e := newEnv(t)
	com := e.committee(keyCommitteeCur)
	byID := func(id ObjectID) *testNode {
		for _, n := range e.nodes {
			if n.nodeID == id {
				return n
			}
		}
		return nil
	}
	// Raising the price of members below a quorum changes nothing; a
	// quorum changes it and emits PricesUpdated.
	var w int
	for _, m := range com.Members {
		r := e.ok(byID(m.NodeID).op, &MsgSetVotes{Node: m.NodeID, StoragePrice: 2 * testPrice, WritePrice: testWrite, Capacity: testCapacity})
		w += m.Weight()
		changed := len(r.Events) == 1
		// The price is the lowest vote that a quorum voted at or below.
		if changed != !isQuorum(uint64(testShards-w), testShards) {
			t.Fatalf("weight %d: events %v", w, kinds(r.Events))
		}
		if changed {
			if ev := r.Events[0].(*PricesUpdated); ev.StoragePrice != 2*testPrice || e.sys().StoragePrice != 2*testPrice {
				t.Fatalf("price %+v", ev)
			}
			break
		}
	}
}

func TestStakeAndWithdraw(t *testing.T) {
	e := newEnv(t)
	n := e.registerNode(60)
	cur := e.sys().Epoch
	e.fail(ErrStake, alice, &MsgStake{Node: n.nodeID, Amount: 0})
	e.fail(ErrNotFound, alice, &MsgStake{Node: ObjectID{7}, Amount: 1})
	e.fail(ErrInsufficientFunds, carol, &MsgStake{Node: n.nodeID, Amount: 1 << 60})

	// Before voting end, stake activates next epoch.
	r := e.ok(alice, &MsgStake{Node: n.nodeID, Amount: 300 * FrostPerWAL})
	big := created(r, 0)
	if s := e.object(big).Staked; s.ActivationEpoch != cur+1 || s.Principal != 300*FrostPerWAL {
		t.Fatalf("staked %+v", s)
	}
	// Un-activated stake can be withdrawn at once.
	r = e.ok(bob, &MsgStake{Node: n.nodeID, Amount: 5})
	small := created(r, 0)
	b0 := e.balance(bob)
	e.ok(bob, &MsgRequestWithdraw{Staked: small})
	if e.exists(small) || e.balance(bob) != b0+5-testMinFee {
		t.Fatal("direct withdrawal")
	}
	e.fail(ErrNotOwner, bob, &MsgRequestWithdraw{Staked: big})

	// After voting end, stake activates in two epochs.
	s := e.sys()
	e.advanceTo(timeMs(s.EpochStartMs + s.EpochDurationMs/2))
	r = e.ok(bob, &MsgStake{Node: n.nodeID, Amount: 7 * FrostPerWAL})
	late := created(r, 0)
	if s := e.object(late).Staked; s.ActivationEpoch != cur+2 {
		t.Fatalf("late stake activation %d", s.ActivationEpoch)
	}
	// The new node has the most stake and joins the next committee.
	if next := e.committee(keyCommitteeNext); next.Index(n.nodeID) < 0 {
		t.Fatal("new node not selected")
	}
	e.runEpoch()
	com := e.committee(keyCommitteeCur)
	i := com.Index(n.nodeID)
	if i < 0 || com.Members[i].Weight() == 0 {
		t.Fatal("new node has no shards")
	}
	if p := e.pool(n.nodeID); p.ActiveStake != 300*FrostPerWAL || p.Shares != 300*FrostPerWAL {
		t.Fatalf("pool %+v", p)
	}
	e.checkSupply()

	// Withdrawal requested before voting end: out at the next epoch.
	e.fail(ErrStake, alice, &MsgWithdraw{Staked: big})
	e.ok(alice, &MsgRequestWithdraw{Staked: big})
	e.fail(ErrStake, alice, &MsgRequestWithdraw{Staked: big})
	if s := e.object(big).Staked; !s.Withdrawing || s.WithdrawEpoch != cur+2 {
		t.Fatalf("withdrawal %+v", s)
	}
	e.fail(ErrStake, alice, &MsgWithdraw{Staked: big})
	// Generate rewards in this epoch so that the stake earns.
	e.ok(alice, &MsgReserveSpace{Size: 100 * StorageUnit, EpochsAhead: 1})
	e.runEpoch()
	a0 := e.balance(alice)
	e.ok(alice, &MsgWithdraw{Staked: big})
	got := e.balance(alice) + testMinFee - a0
	if got <= 300*FrostPerWAL {
		t.Fatalf("withdrew %d, want principal plus rewards", got)
	}
	if e.exists(big) {
		t.Fatal("staked object remains")
	}
	e.checkSupply()

	// Withdrawal requested after voting end from a node in the next
	// committee: out two epochs later.
	s = e.sys()
	e.syncAll()
	e.advanceTo(timeMs(s.EpochStartMs + s.EpochDurationMs/2))
	genesisStake := e.ownedStake(e.nodes[0])
	e.ok(e.nodes[0].op, &MsgRequestWithdraw{Staked: genesisStake})
	if st := e.object(genesisStake).Staked; st.WithdrawEpoch != s.Epoch+2 {
		t.Fatalf("withdraw epoch %d, current %d", st.WithdrawEpoch, s.Epoch)
	}
	e.runEpoch()
	e.fail(ErrStake, e.nodes[0].op, &MsgWithdraw{Staked: genesisStake})
	e.runEpoch()
	e.ok(e.nodes[0].op, &MsgWithdraw{Staked: genesisStake})
	e.checkSupply()
}

func (e *env) ownedStake(n *testNode) ObjectID {
	e.t.Helper()
	a := n.addr()
	for _, k := range e.store.Keys(key(PrefixOwner, a[:])) {
		if v := e.store.m[string(k)]; len(v) == 1 && ObjectKind(v[0]) == KindStakedWAL {
			return ObjectID(k[len(PrefixOwner)+32:])
		}
	}
	e.t.Fatal("no stake")
	return ObjectID{}
}

func TestRewards(t *testing.T) {
	e := newEnv(t)
	cur := e.sys().Epoch
	e.ok(alice, &MsgReserveSpace{Size: 1000 * StorageUnit, EpochsAhead: 1})
	acc, _ := e.st().accounting(cur)
	total := acc.Rewards
	com := e.committee(keyCommitteeCur)
	before := map[ObjectID]uint64{}
	for _, m := range com.Members {
		before[m.NodeID] = e.pool(m.NodeID).ActiveStake
	}
	burned := e.sys().Burned
	e.runEpoch()
	burn := total * BurnPercent / 100
	if got := e.sys().Burned - burned; got != burn {
		t.Fatalf("burned %d, want %d of %d", got, burn, total)
	}
	var paid uint64
	for _, m := range com.Members {
		p := e.pool(m.NodeID)
		r := (total - burn) * uint64(m.Weight()) / testShards
		comm := r * 1000 / MaxCommission
		if got := p.ActiveStake - before[m.NodeID]; got != r-comm {
			t.Fatalf("node %x: stake grew by %d, want %d", m.NodeID[:4], got, r-comm)
		}
		if p.CommissionPending != comm {
			t.Fatalf("commission %d, want %d", p.CommissionPending, comm)
		}
		paid += r
	}
	// The remainder rolls over into the new epoch's bucket.
	if acc, _ := e.st().accounting(cur + 1); acc.Rewards < total-burn-paid {
		t.Fatalf("rollover %d < %d", acc.Rewards, total-burn-paid)
	}
	e.checkSupply()
	// Commission becomes collectable at the next voting end.
	n := e.nodes[0]
	e.ok(n.op, &MsgCollectCommission{Node: n.nodeID})
	if e.pool(n.nodeID).CommissionPending == 0 {
		t.Fatal("commission collected before voting end")
	}
	s := e.sys()
	e.syncAll()
	e.advanceTo(timeMs(s.EpochStartMs + s.EpochDurationMs/2))
	c := e.pool(n.nodeID).CommissionCollectable
	b0 := e.balance(n.op)
	e.ok(n.op, &MsgCollectCommission{Node: n.nodeID})
	if c == 0 || e.balance(n.op) != b0+c-testMinFee || e.pool(n.nodeID).CommissionCollectable != 0 {
		t.Fatalf("collect %d", c)
	}
	e.checkSupply()
	_ = bytes.Equal
}
