package node

import (
	"bytes"
	"slices"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/nodeapi"
	"github.com/walrus-go/walrus/protocol"
)

// TestSyncShardNotHeld: a node answers sync_shard only for a shard it
// holds. Asked by the shard's owner for a shard it never held, it refuses
// rather than answer an empty list (which the requester would take for an
// empty shard and report synced).
func TestSyncShardNotHeld(t *testing.T) {
	tn := newTestNet(t)
	ctx := tn.ctx
	enc, _ := encode(t, 21, 5_000)
	tn.register(enc.Metadata, false)
	tn.waitStatus(enc.Metadata.BlobID, isKind(nodeapi.StatusPermanent))
	tn.upload(enc)
	o := tn.owner(0)
	other := (o + 1) % len(tn.nodes) // holds other shards
	req := &protocol.SyncShardRequest{Epoch: chain.GenesisEpoch, ShardIndex: 0, SliverType: protocol.Primary, SliverCount: 10, RequestEpoch: chain.GenesisEpoch}
	if entries, err := tn.nodes[o].api.SyncShard(ctx, tn.sks[o], req); err != nil || len(entries) != 1 {
		t.Fatalf("sync_shard from the holder: %d entries, %v", len(entries), err)
	}
	_, err := tn.nodes[other].api.SyncShard(ctx, tn.sks[o], req)
	wantAPIError(t, "sync_shard from a node without the shard", err, nodeapi.ErrShardNotAssigned)
}

// TestShardLostByPreviousOwner: the previous owners of the shards a node
// gains lost them before the epoch change (their data is gone). They answer
// sync_shard with SHARD_NOT_ASSIGNED, and the gaining node recovers the
// shards from the committee at once instead of waiting ShardRecoveryAfter
// (12 h by default, kept here).
func TestShardLostByPreviousOwner(t *testing.T) {
	if testing.Short() {
		t.Skip("whole-network test with an epoch change")
	}
	tn := newTestNetEpoch(t, 8*time.Second)
	ctx := tn.ctx
	com, err := tn.c.Committee(ctx, chain.CommitteeCurrent)
	if err != nil {
		t.Fatal(err)
	}
	small := com.Members[0]
	for _, m := range com.Members {
		if m.Weight() < small.Weight() {
			small = m
		}
	}
	if _, err := tn.c.Send(ctx, tn.user, &chain.MsgStake{Node: small.NodeID, Amount: 500 * chain.FrostPerWAL}); err != nil {
		t.Fatal(err)
	}
	enc, _ := encode(t, 31, 20_000)
	id := enc.Metadata.BlobID
	tn.register(enc.Metadata, false)
	tn.waitStatus(id, isKind(nodeapi.StatusPermanent))
	tn.upload(enc)
	msg := (&protocol.StorageConfirmation{Epoch: chain.GenesisEpoch, BlobID: id}).Marshal()
	cert := tn.certificate(msg, func(c *nodeapi.Client) (*protocol.SignedMessage, error) { return c.PermanentConfirmation(ctx, id) })
	objs, err := tn.c.BlobObjects(ctx, id)
	if err != nil || len(objs) != 1 {
		t.Fatal(objs, err)
	}
	if _, err := tn.c.Send(ctx, tn.user, &chain.MsgCertifyBlob{Blob: objs[0].ID(), Cert: cert}); err != nil {
		t.Fatal(err)
	}

	// Once the next committee is selected, the shards that move lose
	// their data at their current owners.
	var next *chain.Committee
	tn.waitFor("the next committee", func() bool {
		next, err = tn.c.Committee(ctx, chain.CommitteeNext)
		return err == nil && next != nil && next.Epoch == chain.GenesisEpoch+1
	})
	var gained []uint16
	for _, m := range next.Members {
		if m.NodeID == small.NodeID {
			for _, s := range m.Shards {
				if !slices.Contains(small.Shards, s) {
					gained = append(gained, s)
				}
			}
		}
	}
	if len(gained) == 0 {
		t.Fatalf("no shard moves to %s: %+v", small.NodeID, next.Members)
	}
	if sys, err := tn.c.System(ctx); err != nil || sys.Epoch != chain.GenesisEpoch {
		t.Fatalf("set-up too slow: %+v %v", sys, err)
	}
	x := -1
	for _, s := range gained {
		o := tn.owner(int(s))
		if err := tn.nodes[o].n.Store().RemoveShard(s); err != nil {
			t.Fatal(err)
		}
	}
	for i, sk := range tn.sks {
		if sk.PublicKey().Bytes() == small.PublicKey {
			x = i
		}
	}
	rn := tn.nodes[x]
	tn.waitFor("the gaining node's shards", func() bool {
		h, err := rn.api.Health(ctx, false)
		return err == nil && h.Epoch == chain.GenesisEpoch+1 && h.ShardSummary.OwnedShardStatus.Ready == h.ShardSummary.Owned
	})
	for _, s := range gained {
		p := enc.PairForShard(int(s))
		for _, want := range []encoding.Sliver{p.Primary, p.Secondary} {
			got, err := rn.n.Store().GetSliver(s, want.Type, id)
			if err != nil || !bytes.Equal(got.Data, want.Data) {
				t.Fatalf("gained shard %d, %s sliver: %v", s, want.Type, err)
			}
		}
	}
	var m dto.Metric
	if err := rn.n.metrics.slivers.WithLabelValues("shard_recovery", encoding.Primary.String()).Write(&m); err != nil {
		t.Fatal(err)
	}
	if got := m.GetCounter().GetValue(); got != float64(len(gained)) {
		t.Fatalf("%v primary slivers recovered, want %d", got, len(gained))
	}
}
