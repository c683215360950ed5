package bft

import (
	"fmt"
	"testing"
	"time"

	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/internal/cluster"
)

// TestWipedNodeRecovery stores blobs, SIGKILLs a node, deletes its data
// directory and restarts it: from the chain's events it learns of the
// certified blobs again and rebuilds every sliver of its shards from the
// other nodes' recovery symbols. It measures what the node downloads
// (walrus_node_recovery_download_bytes_total, and the recovery-symbol and
// metadata bytes the other nodes' proxies forwarded) against RedStuff's
// promise, |blob| × shards held / n × a small constant.
//
// Two rounds: a 1 MiB blob, then a 16 MiB one (the second wipe rebuilds
// both; the first round's bytes are subtracted to get the 16 MiB blob's).
func TestWipedNodeRecovery(t *testing.T) {
	e := start(t, 10*time.Minute)
	victim := e.c.Nodes[3]
	n := e.c.Shards
	type stored struct {
		size int
		blob []byte
		enc  *encoding.EncodedBlob
	}
	var blobs []stored
	var prevBytes float64
	prevSize := 0
	for round, size := range []int{1 << 20, 16 << 20} {
		blob := randomBlob(int64(100+round), size)
		enc := e.encode(blob)
		if id := e.store(blob); id != enc.Metadata.BlobID {
			t.Fatalf("stored as %s, encoded as %s", id, enc.Metadata.BlobID)
		}
		blobs = append(blobs, stored{size, blob, enc})
		e.waitHolds(victim, enc) // the upload (or its sync) is over

		shards, err := victim.OwnedShards(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		proxied := func() int64 {
			var sum int64
			for _, sn := range e.c.Nodes {
				if sn != victim {
					sum += sn.Proxy.BytesOut(cluster.RouteRecovery) + sn.Proxy.BytesOut(cluster.RouteMetadata)
				}
			}
			return sum
		}
		proxiedBefore := proxied()
		if err := victim.Kill(); err != nil {
			t.Fatal(err)
		}
		if err := victim.Wipe(); err != nil {
			t.Fatal(err)
		}
		begin := time.Now()
		if err := victim.Start(); err != nil {
			t.Fatal(err)
		}
		if err := victim.WaitReady(e.ctx); err != nil {
			t.Fatal(err)
		}
		for _, b := range blobs {
			e.waitHolds(victim, b.enc)
		}
		elapsed := time.Since(begin)
		symbols := e.metric(victim, `walrus_node_recovery_download_bytes_total{kind="symbols"}`)
		metadata := e.metric(victim, `walrus_node_recovery_download_bytes_total{kind="metadata"}`)
		got := symbols + metadata
		onWire := proxied() - proxiedBefore
		total := 0
		for _, b := range blobs {
			total += b.size
		}
		// What the node's shards of the blobs are worth: |blob| × k/n.
		share := float64(total) * float64(len(shards)) / float64(n)
		t.Logf("RECOVERY round %d: %d blob(s), %d bytes in all, node holds %d of %d shards; restart to all slivers held: %v",
			round+1, len(blobs), total, len(shards), n, elapsed.Round(time.Millisecond))
		t.Logf("RECOVERY   downloaded %.0f bytes (symbols %.0f, metadata %.0f; %d bytes of answers through the peers' proxies) = %.2f × |blobs|, %.2f × |blobs|·k/n",
			got, symbols, metadata, onWire, got/float64(total), got/share)
		if round > 0 {
			one := float64(blobs[round].size)
			d := got - prevBytes
			t.Logf("RECOVERY   the %d-byte blob alone: %.0f bytes = %.2f × |blob|, %.2f × |blob|·k/n (the %d-byte blob: %.2f × |blob|·k/n)",
				blobs[round].size, d, d/one, d/(one*float64(len(shards))/float64(n)),
				prevSize, prevBytes/(float64(prevSize)*float64(len(shards))/float64(n)))
		}
		// RedStuff: recovering sliver pair costs |blob|·(1/(n−2f) + 1/(n−f))
		// plus proofs, ≈ 4.5·|blob|/n here; anything near re-downloading
		// every blob to each shard (n/k times more) would be a regression.
		if r := got / share; r < 1 || r > 12 {
			t.Errorf("downloaded %.2f × |blobs|·k/n, want a small constant (1 to 12)", r)
		}
		if onWire < int64(symbols) {
			t.Errorf("the proxies forwarded %d bytes, less than the %.0f the node counted", onWire, symbols)
		}
		// Every sliver came from blob sync (recovery symbols), none from
		// an upload or a shard transfer.
		if got, want := e.metricSum(victim, `walrus_node_slivers_stored_total{source="blob_sync"`), float64(2*len(shards)*len(blobs)); got != want {
			t.Errorf("%v slivers stored by blob sync, want %v", got, want)
		}
		if f := e.metric(victim, `walrus_node_invalid_blob_flows_total{result="started"}`); f != 0 {
			t.Errorf("recovery of honest blobs started %v invalid-blob flows", f)
		}
		prevBytes, prevSize = got, size
	}
	for _, b := range blobs {
		e.read(b.enc.Metadata.BlobID, b.blob)
	}
}

// TestCrashDuringRecovery kills a wiped node again while it is rebuilding
// its slivers (its peers' answers are slowed to 100 ms so that the kill
// lands midway): after the second restart it recovers only what it had
// not stored yet, and ends with every sliver.
func TestCrashDuringRecovery(t *testing.T) {
	e := start(t, 6*time.Minute)
	victim := e.c.Nodes[2]
	blob := randomBlob(110, 2<<20)
	enc := e.encode(blob)
	e.store(blob)
	e.waitHolds(victim, enc)
	shards, err := victim.OwnedShards(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	all := float64(2 * len(shards))
	synced := func() float64 {
		return e.metricSum(victim, `walrus_node_slivers_stored_total{source="blob_sync"`)
	}
	if err := victim.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := victim.Wipe(); err != nil {
		t.Fatal(err)
	}
	for _, sn := range e.c.Nodes {
		if sn != victim {
			sn.Proxy.Delay(100 * time.Millisecond)
		}
	}
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	if err := victim.WaitReady(e.ctx); err != nil {
		t.Fatal(err)
	}
	var before float64
	e.waitFor("the wiped node to recover a fifth of its slivers", func() (bool, string) {
		before = synced()
		return before >= all/5, fmt.Sprintf("%v of %v", before, all)
	})
	if err := victim.Kill(); err != nil {
		t.Fatal(err)
	}
	if before >= all {
		t.Fatalf("recovery finished (%v slivers) before the kill", before)
	}
	for _, sn := range e.c.Nodes {
		sn.Heal()
	}
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	if err := victim.WaitReady(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.waitHolds(victim, enc)
	after := synced()
	t.Logf("killed after %v of %v slivers recovered; after the restart it recovered %v more", before, all, after)
	if after > all-before {
		t.Errorf("recovered %v slivers after the restart, but only %v were missing", after, all-before)
	}
	e.read(enc.Metadata.BlobID, blob)
}
