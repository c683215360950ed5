package chain

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestApportion(t *testing.T) {
	cases := []struct {
		stakes []uint64
		n      int
		want   []int
	}{
		{[]uint64{100, 100, 100, 100}, 10, []int{3, 3, 2, 2}},
		{[]uint64{1000, 1, 1, 1}, 10, []int{5, 2, 2, 1}},
		{[]uint64{7}, 10, []int{10}},
		{[]uint64{1, 1}, 1000, []int{500, 500}},
		{[]uint64{300, 200, 100}, 6, []int{3, 2, 1}},
	}
	for _, c := range cases {
		if got := Apportion(c.stakes, c.n); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Apportion(%v, %d) = %v, want %v", c.stakes, c.n, got, c.want)
		}
	}
	// With 20 nodes or more the cap is n/10.
	stakes := make([]uint64, 25)
	stakes[0] = 1 << 50
	for i := 1; i < len(stakes); i++ {
		stakes[i] = 1
	}
	if got := Apportion(stakes, 1000); got[0] != 100 {
		t.Fatalf("capped node got %d", got[0])
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		k := 1 + r.IntN(40)
		n := 4 + r.IntN(1000)
		st := make([]uint64, k)
		for i := range st {
			st[i] = 1 + r.Uint64N(1<<40)
		}
		got := Apportion(st, n)
		sum := 0
		for _, c := range got {
			sum += c
		}
		if sum != n {
			t.Fatalf("Apportion(%v, %d) sums to %d", st, n, sum)
		}
	}
}

func TestAssignShards(t *testing.T) {
	ids := []ObjectID{{3}, {1}, {2}}
	c := AssignShards(nil, ids, []int{2, 3, 5}, 10)
	want := [][]uint16{{0, 1, 2}, {3, 4, 5, 6, 7}, {8, 9}} // node-ID order: 1, 2, 3
	for i, m := range c.Members {
		if !reflect.DeepEqual(m.Shards, want[i]) {
			t.Fatalf("member %d: %v", i, m.Shards)
		}
	}
	// Node 2 shrinks to 2 (gives up 5, 6, 7), node 1 leaves (0, 1, 2), node 4
	// joins with 4 and node 3 grows to 4.
	next := AssignShards(c, []ObjectID{{2}, {3}, {4}}, []int{2, 4, 4}, 10)
	got := map[byte][]uint16{}
	for _, m := range next.Members {
		got[m.NodeID[0]] = m.Shards
	}
	if !reflect.DeepEqual(got[2], []uint16{3, 4}) || !reflect.DeepEqual(got[3], []uint16{0, 1, 8, 9}) || !reflect.DeepEqual(got[4], []uint16{2, 5, 6, 7}) {
		t.Fatalf("reassignment %v", got)
	}
	// Every shard exactly once, members sorted, on random changes.
	r := rand.New(rand.NewPCG(3, 4))
	prev := c
	for range 100 {
		k := 1 + r.IntN(6)
		var ids []ObjectID
		var st []uint64
		for len(ids) < k {
			id := ObjectID{byte(r.IntN(10))}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
				st = append(st, 1+r.Uint64N(100))
			}
		}
		next := AssignShards(prev, ids, Apportion(st, 10), 10)
		seen := make([]bool, 10)
		for i, m := range next.Members {
			if i > 0 && bytes.Compare(next.Members[i-1].NodeID[:], m.NodeID[:]) >= 0 {
				t.Fatal("members not sorted")
			}
			for _, s := range m.Shards {
				if seen[s] {
					t.Fatalf("shard %d twice", s)
				}
				seen[s] = true
			}
			// A node keeps min(old, new) of its old shards.
			if j := prev.Index(m.NodeID); j >= 0 {
				kept := 0
				for _, s := range m.Shards {
					if slices.Contains(prev.Members[j].Shards, s) {
						kept++
					}
				}
				if kept != min(len(m.Shards), len(prev.Members[j].Shards)) {
					t.Fatalf("node %v kept %d shards", m.NodeID[0], kept)
				}
			}
		}
		if slices.Contains(seen, false) {
			t.Fatal("shard unassigned")
		}
		prev = next
	}
}

func TestQuantiles(t *testing.T) {
	if got := priceQuantile([]vote{{10, 4}, {1, 3}, {5, 3}}, 10); got != 10 {
		t.Fatalf("price %d", got)
	}
	if got := priceQuantile([]vote{{1, 4}, {5, 3}, {10, 3}}, 10); got != 5 {
		t.Fatalf("price %d", got)
	}
	if got := capacityQuantile([]vote{{1, 4}, {5, 3}, {10, 3}}, 10); got != 1 {
		t.Fatalf("capacity %d", got)
	}
	if got := capacityQuantile([]vote{{1, 3}, {5, 4}, {10, 3}}, 10); got != 5 {
		t.Fatalf("capacity %d", got)
	}
	if got := capacityVote(100, 10, 2); got != 500 {
		t.Fatalf("capacity vote %d", got)
	}
}

func kinds(evs []Event) []EventKind {
	var k []EventKind
	for _, e := range evs {
		k = append(k, e.Kind())
	}
	return k
}

func TestEpochStateMachine(t *testing.T) {
	e := newEnv(t)
	s := e.sys()
	start := time.UnixMilli(int64(s.EpochStartMs))
	if evs := e.advanceTo(start.Add(testEpoch/2 - time.Millisecond)); len(evs) != 0 || e.sys().State != StateChangeDone {
		t.Fatalf("before mid-epoch: %v", kinds(evs))
	}
	evs := e.advanceTo(start.Add(testEpoch / 2))
	if !reflect.DeepEqual(evs, []Event{&EpochParametersSelected{NextEpoch: 2}}) || e.sys().State != StateParamsSelected {
		t.Fatalf("voting end: %v", kinds(evs))
	}
	if e.committee(keyCommitteeNext) == nil {
		t.Fatal("no next committee")
	}
	if evs := e.advanceTo(start.Add(testEpoch - time.Millisecond)); len(evs) != 0 {
		t.Fatalf("before the end: %v", kinds(evs))
	}
	evs = e.advanceTo(start.Add(testEpoch))
	if len(evs) == 0 || !reflect.DeepEqual(evs[0], &EpochChangeStart{Epoch: 2}) {
		t.Fatalf("epoch change: %v", kinds(evs))
	}
	s = e.sys()
	if s.Epoch != 2 || s.State != StateChangeSync || s.EpochStartMs != uint64(start.Add(testEpoch).UnixMilli()) {
		t.Fatalf("after change %+v", s)
	}
	if p := e.committee(keyCommitteePrev); p == nil || p.Epoch != 1 {
		t.Fatal("previous committee")
	}
	// Voting end waits for the sync to finish.
	if evs := e.advanceTo(start.Add(testEpoch * 3 / 2)); len(evs) != 0 {
		t.Fatalf("voting end before sync: %v", kinds(evs))
	}
	com := e.committee(keyCommitteeCur)
	node := func(id ObjectID) *testNode {
		for _, n := range e.nodes {
			if n.nodeID == id {
				return n
			}
		}
		t.Fatal("unknown node")
		return nil
	}
	e.fail(ErrEpochState, node(com.Members[0].NodeID).op, &MsgEpochSyncDone{Node: com.Members[0].NodeID, Epoch: 1})
	e.fail(ErrNotOperator, alice, &MsgEpochSyncDone{Node: com.Members[0].NodeID, Epoch: 2})
	var w int
	for i, m := range com.Members {
		r := e.ok(node(m.NodeID).op, &MsgEpochSyncDone{Node: m.NodeID, Epoch: 2})
		w += m.Weight()
		if !reflect.DeepEqual(r.Events[0], &ShardsReceived{Epoch: 2, Shards: m.Shards}) {
			t.Fatalf("shards received %+v", r.Events[0])
		}
		done := isQuorum(uint64(w), testShards)
		if done != (len(r.Events) == 2) || done != (e.sys().State == StateChangeDone) {
			t.Fatalf("member %d: weight %d, events %v, state %v", i, w, kinds(r.Events), e.sys().State)
		}
		if done {
			if !reflect.DeepEqual(r.Events[1], &EpochChangeDone{Epoch: 2}) {
				t.Fatal("EpochChangeDone")
			}
			e.fail(ErrEpochState, node(m.NodeID).op, &MsgEpochSyncDone{Node: m.NodeID, Epoch: 2})
			if i+1 < len(com.Members) {
				// A late report is accepted without a second EpochChangeDone.
				m := com.Members[i+1]
				r := e.ok(node(m.NodeID).op, &MsgEpochSyncDone{Node: m.NodeID, Epoch: 2})
				if len(r.Events) != 1 {
					t.Fatalf("late report %v", kinds(r.Events))
				}
			}
			break
		}
	}
	// The first block after the sync (past mid-epoch) ended the voting.
	e.advanceTo(e.now.Add(time.Second))
	if e.sys().State != StateParamsSelected || !slices.ContainsFunc(e.events, func(ev Event) bool {
		return reflect.DeepEqual(ev, &EpochParametersSelected{NextEpoch: 3})
	}) {
		t.Fatal("no voting end after the sync")
	}
}
