package bft

import (
	"testing"
	"time"

	sdk "github.com/walrus-go/walrus/client"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/internal/cluster"
)

// TestReadsWithFaults reads a blob (1 MiB) back while:
//   - two nodes (50 shards ≤ 2f = 66) are unavailable, one killed and one
//     paused (reads need n−2f = 34 primary slivers); then two are cut off;
//     then two answer 3 s late;
//   - one node (25 shards ≤ f) corrupts every sliver, metadata and
//     recovery-symbol answer it gives: each bad piece is detected (the
//     corrupted metadata and sliver fail verification) and the right bytes
//     come back;
//   - one node corrupts and another is down at once.
func TestReadsWithFaults(t *testing.T) {
	e := start(t, 6*time.Minute)
	nodes := e.c.Nodes
	blob := randomBlob(20, 1<<20)
	enc := e.encode(blob)
	id := e.store(blob)
	for _, sn := range nodes {
		e.waitHolds(sn, enc)
	}

	t.Run("2f shards unavailable (one killed, one paused)", func(t *testing.T) {
		defer e.sub(t)()
		if err := nodes[1].Kill(); err != nil {
			t.Fatal(err)
		}
		if err := nodes[2].Pause(); err != nil {
			t.Fatal(err)
		}
		begin := time.Now()
		e.read(id, blob)
		t.Logf("read with node1 killed and node2 paused took %v", time.Since(begin).Round(time.Millisecond))
		if err := nodes[2].Resume(); err != nil {
			t.Fatal(err)
		}
		if err := nodes[1].Start(); err != nil {
			t.Fatal(err)
		}
		for _, sn := range nodes[1:3] {
			if err := sn.WaitReady(e.ctx); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("2f shards cut off", func(t *testing.T) {
		defer e.sub(t)()
		nodes[0].Cut()
		nodes[3].Cut()
		defer nodes[0].Heal()
		defer nodes[3].Heal()
		e.read(id, blob)
	})

	t.Run("2f shards slow (+3 s per request)", func(t *testing.T) {
		defer e.sub(t)()
		nodes[1].Proxy.Delay(3 * time.Second)
		nodes[2].Proxy.Delay(3 * time.Second)
		defer nodes[1].Heal()
		defer nodes[2].Heal()
		begin := time.Now()
		e.read(id, blob)
		t.Logf("read with node1 and node2 slow took %v", time.Since(begin).Round(time.Millisecond))
	})

	t.Run("f shards corrupt slivers, metadata and symbols", func(t *testing.T) {
		defer e.sub(t)()
		liar := e.systematicHolder(enc)
		liar.Proxy.Corrupt(cluster.RouteSliver, cluster.RouteMetadata, cluster.RouteRecovery)
		defer liar.Proxy.Heal()
		for range 3 { // fresh clients: each picks its nodes anew
			e.read(id, blob)
		}
		if liar.Proxy.Corrupted(cluster.RouteSliver) == 0 {
			t.Error("no corrupted sliver reached the reader: the fault was not exercised")
		}
		t.Logf("reads succeeded; %s corrupted %d sliver and %d metadata answers", liar.Name,
			liar.Proxy.Corrupted(cluster.RouteSliver), liar.Proxy.Corrupted(cluster.RouteMetadata))
		e.checkDetected(liar, enc)
	})

	t.Run("one node corrupts, another is down", func(t *testing.T) {
		defer e.sub(t)()
		liar := e.systematicHolder(enc)
		down := nodes[(liar.Index+1)%len(nodes)]
		liar.Proxy.Corrupt(cluster.RouteSliver, cluster.RouteMetadata)
		defer liar.Proxy.Heal()
		down.Proxy.Refuse(true)
		defer down.Proxy.Heal()
		before := liar.Proxy.Corrupted(cluster.RouteSliver)
		e.read(id, blob)
		if liar.Proxy.Corrupted(cluster.RouteSliver) == before {
			t.Error("no corrupted sliver reached the reader: the fault was not exercised")
		}
	})

	t.Run("beyond 2f: three nodes cut off", func(t *testing.T) {
		defer e.sub(t)()
		for _, sn := range nodes[1:] {
			sn.Cut()
			defer sn.Heal()
		}
		cl, err := e.c.Client(0, "account-1", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		begin := time.Now()
		if _, err := cl.Read(e.ctx, id, sdk.ReadOptions{}); err == nil {
			t.Fatal("a read succeeded with 25 of 100 shards reachable")
		} else {
			t.Logf("read with 75 of 100 shards cut off failed after %v: %v", time.Since(begin).Round(time.Millisecond), err)
		}
	})
}

// systematicHolder returns the node that holds the most systematic
// primary slivers (pairs 0..n−2f−1) of the blob: a reader asks for those
// first, so a lie there is sure to reach it.
func (e *env) systematicHolder(enc *encoding.EncodedBlob) *cluster.StorageNode {
	e.t.Helper()
	com, nodes, err := e.c.Committee(e.ctx, e.cc)
	if err != nil {
		e.t.Fatal(err)
	}
	p := enc.Metadata.Params()
	count := map[*cluster.StorageNode]int{}
	var best *cluster.StorageNode
	for pair := range p.Primary() {
		m, err := com.ShardOwner(uint16(p.PairToShard(enc.Metadata.BlobID, pair)))
		if err != nil {
			e.t.Fatal(err)
		}
		count[nodes[m]]++
		if best == nil || count[nodes[m]] > count[best] {
			best = nodes[m]
		}
	}
	e.t.Logf("%s holds %d of the %d systematic primary slivers", best.Name, count[best], p.Primary())
	return best
}

// checkDetected asks the lying node for the blob's metadata and one of
// its slivers through its proxy: the metadata fails verification against
// the blob ID, the sliver against the metadata.
func (e *env) checkDetected(liar *cluster.StorageNode, enc *encoding.EncodedBlob) {
	e.t.Helper()
	id := enc.Metadata.BlobID
	if _, err := liar.API.GetMetadata(e.ctx, id, e.c.Shards); err == nil {
		e.t.Error("corrupted metadata passed verification")
	} else {
		e.t.Logf("corrupted metadata rejected: %v", err)
	}
	shards, err := liar.OwnedShards(e.ctx)
	if err != nil || len(shards) == 0 {
		e.t.Fatal(shards, err)
	}
	pair := enc.PairForShard(int(shards[0]))
	sl, err := liar.API.GetSliver(e.ctx, id, uint16(pair.PairIndex()), encoding.Primary)
	if err != nil {
		e.t.Logf("corrupted sliver rejected while parsing: %v", err)
		return
	}
	x, err := encoding.NewExpander(e.c.Shards)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := x.VerifySliver(enc.Metadata, sl); err == nil {
		e.t.Error("corrupted sliver passed verification")
	} else {
		e.t.Logf("corrupted sliver rejected: %v", err)
	}
}
