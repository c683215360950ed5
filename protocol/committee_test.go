package protocol

import (
	"errors"
	"testing"

	"github.com/walrus-go/walrus/crypto/bls"
)

func TestThresholds(t *testing.T) {
	tests := []struct {
		n, quorum, validity int
	}{
		{1000, 667, 334},
		{1, 1, 1},
		{4, 3, 2},
		{10, 7, 4},
		{7, 5, 3},
	}
	for _, tc := range tests {
		if !Quorum.Reached(tc.quorum, tc.n) || Quorum.Reached(tc.quorum-1, tc.n) || Quorum.minWeight(tc.n) != tc.quorum {
			t.Errorf("n=%d: quorum is not %d", tc.n, tc.quorum)
		}
		if !Validity.Reached(tc.validity, tc.n) || Validity.Reached(tc.validity-1, tc.n) || Validity.minWeight(tc.n) != tc.validity {
			t.Errorf("n=%d: validity is not %d", tc.n, tc.validity)
		}
	}
	if Threshold(0).Reached(1000, 1) || Threshold(0).minWeight(5) != 0 {
		t.Error("the zero threshold is reached")
	}
	for i, want := range map[Intent]Threshold{
		IntentBlobCertification: Quorum, IntentDenyListUpdate: Quorum, IntentProtocolVersion: Quorum,
		IntentInvalidBlobID: Validity, IntentDenyListBlobDelete: Validity,
	} {
		if got, err := ThresholdFor(i); err != nil || got != want {
			t.Errorf("ThresholdFor(%v) = %v, %v", i, got, err)
		}
	}
	for _, i := range []Intent{IntentProofOfPossession, IntentSyncShard, 9} {
		if _, err := ThresholdFor(i); !errors.Is(err, ErrNotCertifiable) {
			t.Errorf("ThresholdFor(%v): %v", i, err)
		}
	}
}

func TestCommittee(t *testing.T) {
	tn := newTestNet(t, 3, []int{1, 2, 3, 4})
	c := tn.c
	if c.Epoch() != 3 || c.NShards() != 10 || c.Len() != 4 {
		t.Fatalf("committee %d %d %d", c.Epoch(), c.NShards(), c.Len())
	}
	for i := range c.Len() {
		m := c.Member(i)
		if prev := c.Member(max(i-1, 0)).NodeID; i > 0 && string(prev[:]) >= string(m.NodeID[:]) {
			t.Fatal("members not sorted by node ID")
		}
		if idx, err := c.Index(m.NodeID); err != nil || idx != i {
			t.Fatalf("Index: %d %v", idx, err)
		}
		if !m.PublicKey.Equal(tn.sks[i].PublicKey()) || c.Weight(i) != i+1 {
			t.Fatalf("member %d", i)
		}
		for _, s := range m.Shards {
			if o, err := c.ShardOwner(s); err != nil || o != i {
				t.Fatalf("ShardOwner(%d) = %d %v", s, o, err)
			}
		}
	}
	if _, err := c.ShardOwner(10); !errors.Is(err, ErrShardOutOfRange) {
		t.Fatalf("ShardOwner(10): %v", err)
	}
	if _, err := c.Index(NodeID{0xff}); !errors.Is(err, ErrUnknownNode) {
		t.Fatalf("Index(unknown): %v", err)
	}
	pk, err := c.AggregateKey().PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	var keys []*bls.PublicKey
	for _, sk := range tn.sks {
		keys = append(keys, sk.PublicKey())
	}
	sum, _ := bls.AggregatePublicKeys(keys...)
	if spk, _ := sum.PublicKey(); !spk.Equal(pk) {
		t.Fatal("aggregate key is not the sum of member keys")
	}
	if !c.Reached(Quorum, 7) || c.Reached(Quorum, 6) {
		t.Fatal("Reached")
	}
	// Members() is a copy.
	ms := c.Members()
	ms[0].NetworkAddress = "changed"
	if c.Member(0).NetworkAddress == "changed" {
		t.Fatal("Members aliases the committee")
	}
}

func TestCommitteeRejects(t *testing.T) {
	k := func(i int) *bls.PublicKey { return testSecret(t, i).PublicKey() }
	m := func(id byte, key int, shards ...uint16) Member {
		return Member{NodeID: NodeID{id}, PublicKey: k(key), Shards: shards}
	}
	tests := []struct {
		name    string
		n       int
		members []Member
		want    error
	}{
		{"no members", 2, nil, ErrNoMembers},
		{"zero shards", 0, []Member{m(1, 1, 0)}, ErrInvalidShardCount},
		{"too many shards", 1 << 16, []Member{m(1, 1, 0)}, ErrInvalidShardCount},
		{"shard out of range", 2, []Member{m(1, 1, 0, 2)}, ErrShardOutOfRange},
		{"shard twice in one member", 2, []Member{m(1, 1, 0, 0, 1)}, ErrShardTwice},
		{"shard twice across members", 3, []Member{m(1, 1, 0, 1), m(2, 2, 1, 2)}, ErrShardTwice},
		{"shard unassigned", 3, []Member{m(1, 1, 0), m(2, 2, 2)}, ErrShardUnassigned},
		{"member without shards", 2, []Member{m(1, 1, 0, 1), m(2, 2)}, ErrNoShards},
		{"duplicate node ID", 2, []Member{m(1, 1, 0), m(1, 2, 1)}, ErrDuplicateNodeID},
		{"duplicate key", 2, []Member{m(1, 1, 0), m(2, 1, 1)}, ErrDuplicateKey},
		{"nil key", 1, []Member{{NodeID: NodeID{1}, Shards: []uint16{0}}}, ErrInvalidMemberKey},
		{"zero key", 1, []Member{{NodeID: NodeID{1}, PublicKey: &bls.PublicKey{}, Shards: []uint16{0}}}, ErrInvalidMemberKey},
	}
	for _, tc := range tests {
		if _, err := NewCommittee(1, tc.n, tc.members); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	// The input slices are copied.
	members := []Member{m(2, 1, 1), m(1, 2, 0)}
	c, err := NewCommittee(1, 2, members)
	if err != nil {
		t.Fatal(err)
	}
	members[0].Shards[0] = 0
	if o, _ := c.ShardOwner(1); c.Member(o).NodeID != (NodeID{2}) || c.Member(1).Shards[0] != 1 {
		t.Fatal("committee aliases the caller's shard slices")
	}
}
