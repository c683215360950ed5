package bft

import (
	"testing"
	"time"

	sdk "github.com/walrus-go/walrus/client"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/internal/cluster"
)

// TestWritesWithFaultyNode stores a blob while one node (25 of 100 shards,
// f = 33) is stopped, paused, cut off or slow: the store succeeds (its
// certificate reached a quorum without that node), the blob reads back
// while the fault lasts, and once the node is back it holds every sliver
// of its shards, byte for byte. While the cut-off node recovers, another
// node's proxy corrupts the recovery symbols it serves: the recovering node
// skips them (no sliver is wrong, no invalid-blob flow starts).
func TestWritesWithFaultyNode(t *testing.T) {
	e := start(t, 8*time.Minute)
	nodes := e.c.Nodes
	cases := []struct {
		name   string
		victim *cluster.StorageNode
		fault  func(sn *cluster.StorageNode) error
		heal   func(sn *cluster.StorageNode) error
	}{
		{"stopped (SIGTERM)", nodes[1],
			func(sn *cluster.StorageNode) error { return sn.Stop(20 * time.Second) },
			func(sn *cluster.StorageNode) error { return sn.Start() }},
		{"paused (SIGSTOP)", nodes[2],
			func(sn *cluster.StorageNode) error { return sn.Pause() },
			func(sn *cluster.StorageNode) error { return sn.Resume() }},
		{"refusing connections", nodes[3],
			func(sn *cluster.StorageNode) error { sn.Cut(); return nil },
			func(sn *cluster.StorageNode) error { sn.Heal(); return nil }},
		{"answering slowly (+2 s per request)", nodes[0],
			func(sn *cluster.StorageNode) error { sn.Proxy.Delay(2 * time.Second); return nil },
			func(sn *cluster.StorageNode) error { sn.Proxy.Heal(); return nil }},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer e.sub(t)()
			blob := randomBlob(int64(i), 300_000+i)
			enc := e.encode(blob)
			var liar *cluster.StorageNode
			if tc.name == "refusing connections" {
				liar = e.firstPeer(tc.victim)
				liar.Proxy.Corrupt(cluster.RouteRecovery)
			}
			if err := tc.fault(tc.victim); err != nil {
				t.Fatal(err)
			}
			begin := time.Now()
			id := e.store(blob)
			t.Logf("%s: store took %v", tc.name, time.Since(begin).Round(time.Millisecond))
			e.checkCertified(id)
			e.read(id, blob)
			if err := tc.heal(tc.victim); err != nil {
				t.Fatal(err)
			}
			if err := tc.victim.WaitReady(e.ctx); err != nil {
				t.Fatal(err)
			}
			begin = time.Now()
			e.waitHolds(tc.victim, enc)
			t.Logf("%s: %s holds all its slivers %v after the fault ended", tc.name, tc.victim.Name, time.Since(begin).Round(time.Millisecond))
			if tc.name == "refusing connections" {
				liar.Proxy.Heal()
				if k := liar.Proxy.Corrupted(cluster.RouteRecovery); k == 0 {
					t.Errorf("%s corrupted no recovery-symbol answer: the fault was not exercised", liar.Name)
				} else {
					t.Logf("%s corrupted %d recovery-symbol answers; %s skipped the bad symbols", liar.Name, k, tc.victim.Name)
				}
				if f := e.metric(tc.victim, `walrus_node_invalid_blob_flows_total{result="started"}`); f != 0 {
					t.Errorf("corrupted symbols started %v invalid-blob flows", f)
				}
			}
			for _, sn := range nodes {
				if err := sn.WaitReady(e.ctx); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// firstPeer returns the node that sn asks first for recovery symbols:
// nodes order their peers as the chain lists the pools (committee members
// first; all are members here).
func (e *env) firstPeer(sn *cluster.StorageNode) *cluster.StorageNode {
	e.t.Helper()
	pools, err := e.cc.Pools(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	own := sn.ProtocolKey.PublicKey().Bytes()
	for _, p := range pools {
		if p.PublicKey == own {
			continue
		}
		for _, o := range e.c.Nodes {
			if o.ProtocolKey.PublicKey().Bytes() == p.PublicKey {
				return o
			}
		}
	}
	e.t.Fatal("no peer among the pools")
	return nil
}

// checkCertified checks that blob id has a certified Blob object on chain.
func (e *env) checkCertified(id encoding.BlobID) {
	e.t.Helper()
	objs, err := e.cc.BlobObjects(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, o := range objs {
		if o.Blob != nil && o.Blob.Certified() {
			return
		}
	}
	e.t.Fatalf("blob %s: no certified object among %d", id, len(objs))
}

// TestWriteBeyondF cuts off two nodes (50 shards > f = 33, so the others
// hold fewer than the 2f+1 = 67 shards a certificate needs): the store
// fails with an error instead of certifying, and succeeds once they are
// back.
func TestWriteBeyondF(t *testing.T) {
	e := start(t, 5*time.Minute)
	nodes := e.c.Nodes
	nodes[1].Cut()
	nodes[2].Cut()
	blob := randomBlob(80, 100_000)
	begin := time.Now()
	_, err := e.cl.Store(e.ctx, blob, sdk.StoreOptions{Epochs: 2, Permanent: true})
	if err == nil {
		t.Fatal("a store certified with half the shards cut off")
	}
	t.Logf("store with 50 of 100 shards cut off failed after %v: %v", time.Since(begin).Round(time.Millisecond), err)
	nodes[1].Heal()
	nodes[2].Heal()
	e.read(e.store(blob), blob)
}
