package protocol

import (
	"testing"

	"github.com/walrus-go/walrus/crypto/bls"
)

// testNet is a committee with its members' secret keys.
type testNet struct {
	c   *Committee
	sks []*bls.SecretKey // by member index
}

func testSecret(t testing.TB, i int) *bls.SecretKey {
	t.Helper()
	seed := make([]byte, 32)
	seed[0], seed[1], seed[2] = byte(i), byte(i>>8), 0x5a
	sk, err := bls.KeyFromSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	return sk
}

// newTestNet builds a committee of len(weights) members in which member i
// (in node-ID order) holds weights[i] shards, assigned sequentially. Node
// IDs are chosen so that input order differs from node-ID order.
func newTestNet(t testing.TB, epoch uint32, weights []int) *testNet {
	t.Helper()
	n := 0
	for _, w := range weights {
		n += w
	}
	members := make([]Member, len(weights))
	sks := make([]*bls.SecretKey, len(weights))
	next := 0
	for i, w := range weights {
		sks[i] = testSecret(t, i)
		m := Member{PublicKey: sks[i].PublicKey(), NetworkAddress: "node.example:9185"}
		m.NodeID[0] = byte(i >> 8)
		m.NodeID[1] = byte(i)
		for range w {
			m.Shards = append(m.Shards, uint16(next))
			next++
		}
		members[len(weights)-1-i] = m // reversed: NewCommittee must sort
	}
	c, err := NewCommittee(epoch, n, members)
	if err != nil {
		t.Fatal(err)
	}
	return &testNet{c: c, sks: sks}
}

// certify has the given members sign msg and builds the certificate
// directly (bypassing the aggregator's threshold).
func (tn *testNet) certify(t testing.TB, msg []byte, signers ...int) *Certificate {
	t.Helper()
	var sigs []*bls.Signature
	var idx []uint16
	for _, s := range signers {
		sigs = append(sigs, tn.sks[s].Sign(msg))
		idx = append(idx, uint16(s))
	}
	agg, err := bls.AggregateSignatures(sigs...)
	if err != nil {
		t.Fatal(err)
	}
	return &Certificate{Signers: idx, SerializedMessage: msg, Signature: *agg}
}

func uniform(members, each int) []int {
	w := make([]int, members)
	for i := range w {
		w[i] = each
	}
	return w
}

func seq(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}
