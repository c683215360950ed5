package node

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/nodeapi"
	"github.com/walrus-go/walrus/protocol"

	dto "github.com/prometheus/client_model/go"
)

// flowCount returns a node's invalid-blob flow counter for result.
func flowCount(t testing.TB, n *Node, result string) float64 {
	t.Helper()
	var m dto.Metric
	if err := n.metrics.invalidations.WithLabelValues(result).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// syncCount returns a node's blob-sync counter for result.
func syncCount(t testing.TB, n *Node, result string) float64 {
	t.Helper()
	var m dto.Metric
	if err := n.metrics.syncs.WithLabelValues(result).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// TestInvalidBlobBySync has a malicious writer register a blob whose
// metadata covers a tampered primary sliver, upload it to every node but
// one and certify it. The left-out node is the owner of the tampered pair:
// nobody else holds the tampered row, so its blob sync recovers that
// primary sliver from the (honest) columns and finds that it does not match
// the metadata. From there on, without the test's help, it must collect
// invalid-blob attestations from f+1 shards, although another node is down,
// and get the blob ID invalidated on chain; every node then deletes the
// blob and reports it invalid, the one that was down once it is back.
func TestInvalidBlobBySync(t *testing.T) {
	if testing.Short() {
		t.Skip("whole-network test")
	}
	tn := newTestNet(t)
	ctx := tn.ctx
	const row = 2
	enc := maliciousEncode(t, 21, 40_000, row)
	md := enc.Metadata
	id := md.BlobID
	skip := tn.owner(enc.Params.PairToShard(id, row))

	tn.register(md, false)
	tn.waitStatus(id, isKind(nodeapi.StatusPermanent))
	tn.uploadWithout(skip, enc) // every uploaded sliver verifies
	msg := (&protocol.StorageConfirmation{Epoch: chain.GenesisEpoch, BlobID: id}).Marshal()
	cert := tn.certificateWithout(skip, msg, func(c *nodeapi.Client) (*protocol.SignedMessage, error) { return c.PermanentConfirmation(ctx, id) })

	// Another node goes down before the certification: the flow must do
	// without its attestation.
	com, idx := tn.committee()
	down, least := -1, testShards+1
	for m := range com.Len() {
		if w := com.Weight(m); idx[m] != skip && w < least {
			down, least = idx[m], w
		}
	}
	tn.stopNode(down)

	objs, err := tn.c.BlobObjects(ctx, id)
	if err != nil || len(objs) != 1 {
		t.Fatal(objs, err)
	}
	if _, err := tn.c.Send(ctx, tn.user, &chain.MsgCertifyBlob{Blob: objs[0].ID(), Cert: cert}); err != nil {
		t.Fatal(err)
	}

	// No further intervention: the left-out node's sync exposes the lie
	// and its flow invalidates the blob ID.
	tn.waitStatus(id, isKind(nodeapi.StatusInvalid))
	if inv, err := tn.c.Invalid(ctx, id); err != nil || !inv {
		t.Fatalf("chain: invalid %v, %v", inv, err)
	}
	tn.startNode(down)

	tn.waitStatus(id, isKind(nodeapi.StatusInvalid))
	for i, rn := range tn.nodes {
		tn.waitFor(fmt.Sprintf("node %d deletes the invalid blob", i), func() bool {
			if ok, err := rn.n.Store().HasMetadata(id); err != nil || ok {
				return false
			}
			for sh := range testShards {
				for _, st := range []encoding.SliverType{encoding.Primary, encoding.Secondary} {
					if ok, err := rn.n.Store().HasSliver(uint16(sh), st, id); err != nil || ok {
						return false
					}
				}
			}
			return true
		})
		wantAPIError(t, "metadata of an invalid blob", func() error { _, err := rn.api.PutMetadata(ctx, md); return err }(), nodeapi.ErrBlobInvalid)
	}

	// One flow, at the left-out node, which stopped its sync; it ends once
	// the chain has marked the blob invalid.
	sn := tn.nodes[skip].n
	tn.waitFor("the flow to end", func() bool { return !sn.invalidationRunning(id) })
	for i, rn := range tn.nodes {
		want := 0.0
		if i == skip {
			want = 1
		}
		if got := flowCount(t, rn.n, "started"); got != want {
			t.Errorf("node %d: %v flows started, want %v", i, got, want)
		}
	}
	if got := flowCount(t, sn, "submitted"); got != 1 {
		t.Errorf("%v certificates submitted, want 1", got)
	}
	if got := syncCount(t, sn, "inconsistent"); got != 1 {
		t.Errorf("%v syncs stopped as inconsistent, want 1", got)
	}
}

// TestInvalidationRetriesAndDedup triggers the flow for one blob several
// times while the other nodes are down: one flow runs, it cannot reach f+1
// shards alone and keeps retrying, and succeeds once a node is back. A flow
// triggered after the blob was invalidated stops without submitting.
func TestInvalidationRetriesAndDedup(t *testing.T) {
	if testing.Short() {
		t.Skip("whole-network test")
	}
	tn := newTestNet(t)
	ctx := tn.ctx
	const row = 1
	enc := maliciousEncode(t, 22, 20_000, row)
	md := enc.Metadata
	id := md.BlobID
	tn.register(md, false)
	tn.waitStatus(id, isKind(nodeapi.StatusPermanent))
	tn.upload(enc)

	// The proof, from the nodes' symbols for the tampered row.
	var syms []encoding.RecoverySymbol
	for _, rn := range tn.nodes {
		gs, err := rn.api.RecoverySymbols(ctx, id, &nodeapi.RecoveryQuery{HasTarget: true, TargetSliver: row, TargetType: encoding.Primary})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range gs {
			syms = append(syms, g.Symbol)
		}
	}
	x, _ := encoding.NewExpander(testShards)
	_, proof, _ := x.RecoverSliver(md, encoding.Primary, row, syms)
	if proof == nil {
		t.Fatal("no inconsistency found")
	}

	// Node 0 alone holds fewer than f+1 shards (2 or 3 of 10).
	var wg sync.WaitGroup
	for i := 1; i < 4; i++ {
		wg.Go(func() { tn.stopNode(i) })
	}
	wg.Wait()
	n0 := tn.nodes[0].n
	for range 5 {
		n0.reportInconsistency(md, proof)
	}
	time.Sleep(400 * time.Millisecond) // a few attempts (RetryInterval 50 ms, doubling)
	if !n0.invalidationRunning(id) {
		t.Fatal("the flow gave up while the other nodes were down")
	}
	if inv, err := tn.c.Invalid(ctx, id); err != nil || inv {
		t.Fatalf("invalid on chain without f+1 attestations: %v %v", inv, err)
	}

	tn.startNode(1)
	tn.waitStatus(id, isKind(nodeapi.StatusInvalid))
	tn.waitFor("the flow to end", func() bool { return !n0.invalidationRunning(id) })
	if got := flowCount(t, n0, "started"); got != 1 {
		t.Fatalf("%v flows started, want 1", got)
	}
	if got := flowCount(t, n0, "submitted"); got != 1 {
		t.Fatalf("%v certificates submitted, want 1", got)
	}

	// Triggered again after the invalidation: it stops at once.
	n1 := tn.nodes[1].n
	n1.reportInconsistency(md, proof)
	tn.waitFor("the second flow to end", func() bool { return !n1.invalidationRunning(id) })
	if got := flowCount(t, n1, "already_invalid"); got != 1 {
		t.Fatalf("second flow: %v already_invalid outcomes, want 1", got)
	}
	for i := 2; i < 4; i++ {
		tn.startNode(i)
	}
	tn.waitStatus(id, isKind(nodeapi.StatusInvalid))
}
