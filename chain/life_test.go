package chain

import (
	"bytes"
	"testing"
)

// life runs a chain from genesis through several epochs: stake changes,
// storage bought, blobs registered, certified with BLS certificates,
// extended, deleted, expired, rewards paid. It returns the app hash and the
// encoding of every event.
func life(t *testing.T) ([32]byte, []byte) {
	e := newEnv(t)
	size := uint64(3000)
	perm := e.storeBlob(alice, 1, size, 2, false)
	del := e.storeBlob(bob, 2, size, 4, true)
	short := e.storeBlob(alice, 3, size, 1, true)
	n := e.registerNode(70)
	e.ok(alice, &MsgStake{Node: n.nodeID, Amount: 200 * FrostPerWAL})
	e.ok(bob, &MsgStake{Node: e.nodes[1].nodeID, Amount: 50 * FrostPerWAL})
	e.checkSupply()
	startStake := e.pool(e.nodes[2].nodeID).ActiveStake

	e.runEpoch() // → 2: the new node joins
	if e.committee(keyCommitteeCur).Index(n.nodeID) < 0 {
		t.Fatal("new node not in committee")
	}
	e.fail(ErrExpired, alice, &MsgExtendBlob{Blob: short, Epochs: 1})
	e.ok(alice, &MsgExtendBlob{Blob: perm, Epochs: 3})
	e.syncAll()
	// A blob certified in epoch 2 by the new committee.
	late := e.storeBlob(bob, 4, 2*size, 3, false)
	e.checkSupply()

	e.runEpoch() // → 3
	e.syncAll()
	e.ok(bob, &MsgDeleteBlob{Blob: del})
	staked := e.ownedStake(e.nodes[3])
	e.ok(e.nodes[3].op, &MsgRequestWithdraw{Staked: staked})
	e.checkSupply()

	e.runEpoch() // → 4
	e.runEpoch() // → 5
	e.ok(e.nodes[3].op, &MsgWithdraw{Staked: staked})
	e.checkSupply()
	if e.committee(keyCommitteeCur).Index(e.nodes[3].nodeID) >= 0 {
		t.Fatal("node without stake still in the committee")
	}
	e.fail(ErrExpired, bob, &MsgExtendBlob{Blob: late, Epochs: 1})
	e.ok(alice, &MsgExtendBlob{Blob: perm, Epochs: 1})
	e.runEpoch() // → 6
	e.checkSupply()
	if got := e.pool(e.nodes[2].nodeID).ActiveStake; got <= startStake {
		t.Fatalf("no rewards paid: stake %d → %d", startStake, got)
	}
	if e.sys().Burned == 0 {
		t.Fatal("nothing burned")
	}
	var evs []byte
	for _, ev := range e.events {
		evs = append(evs, EncodeEvent(ev)...)
	}
	return e.appHash, evs
}

func TestLifeDeterminism(t *testing.T) {
	h1, ev1 := life(t)
	h2, ev2 := life(t)
	if h1 != h2 || !bytes.Equal(ev1, ev2) {
		t.Fatalf("same transactions, different results: %x vs %x", h1, h2)
	}
}

func TestAppHash(t *testing.T) {
	ws := []Write{{Key: []byte("a"), Value: []byte("1")}, {Key: []byte("b"), Delete: true}}
	h := AppHash([32]byte{}, ws)
	if h == AppHash([32]byte{1}, ws) || h == AppHash([32]byte{}, ws[:1]) {
		t.Fatal("app hash ignores its inputs")
	}
	ws2 := []Write{{Key: []byte("a"), Value: []byte("1")}, {Key: []byte("b"), Value: []byte{}}}
	if h == AppHash([32]byte{}, ws2) {
		t.Fatal("deletion and empty value hash alike")
	}
}
