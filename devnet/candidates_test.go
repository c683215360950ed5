package devnet

import (
	"context"
	"testing"
	"time"

	"github.com/walrus-go/walrus/chain"
)

// TestCandidates: a candidate node is registered on chain (with its operator,
// keys and address) but not in the genesis committee, serves in standby,
// and a restart of the network neither registers it again nor loses it.
func TestCandidates(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	cfg := Config{Dir: dir, Nodes: 4, Candidates: 2, Shards: 10}
	nw, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	check := func(nw *Network) {
		t.Helper()
		if nw.Nodes() != 6 || nw.GenesisNodes() != 4 {
			t.Fatalf("%d nodes, %d in genesis", nw.Nodes(), nw.GenesisNodes())
		}
		pools, err := nw.Chain().Pools(ctx)
		if err != nil || len(pools) != 6 {
			t.Fatalf("%d pools (%v)", len(pools), err)
		}
		com, err := nw.Chain().Committee(ctx, chain.CommitteeCurrent)
		if err != nil || len(com.Members) != 4 {
			t.Fatalf("committee %+v %v", com, err)
		}
		for i := range nw.Nodes() {
			id, err := nw.NodeID(ctx, i)
			if err != nil {
				t.Fatal(err)
			}
			p, err := nw.Chain().Pool(ctx, id)
			if err != nil || p.Operator != addrOf(nw.Operator(i)) || p.NetworkAddress != nw.st.Addresses[i] || p.PublicKey != nw.ProtocolPublicKey(i).Bytes() {
				t.Fatalf("node %d's pool %+v %v", i, p, err)
			}
			if (com.Index(id) >= 0) != (i < 4) {
				t.Fatalf("node %d in the committee: %v", i, com.Index(id) >= 0)
			}
			if nw.NodeIndex(p.PublicKey) != i {
				t.Fatalf("NodeIndex of node %d: %d", i, nw.NodeIndex(p.PublicKey))
			}
			api, err := nw.NodeClient(i)
			if err != nil {
				t.Fatal(err)
			}
			h, err := api.Health(ctx, false)
			want := "Active"
			if i >= 4 {
				want = "Standby"
			}
			if err != nil || h.NodeStatus != want {
				t.Fatalf("node %d health %+v %v, want %s", i, h, err, want)
			}
			api.CloseIdleConnections()
		}
		if nw.Metrics(5) == nil {
			t.Fatal("no metrics for a running candidate")
		}
	}
	check(nw)
	if err := nw.Close(); err != nil {
		t.Fatal(err)
	}
	nw, err = Start(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer nw.Close()
	check(nw)
}
