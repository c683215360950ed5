package bft

import (
	"errors"
	"fmt"
	"testing"
	"time"

	sdk "github.com/walrus-go/walrus/client"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/internal/cluster"
	"github.com/walrus-go/walrus/nodeapi"
)

// TestMaliciousWriter has a writer register and upload an inconsistent
// encoding (a systematic primary sliver replaced, the metadata made to
// match it) to every node but the one that holds the tampered pair, and
// certify it with the others' confirmations. The left-out node recovers
// its slivers, finds that the symbols decode to a sliver the metadata does
// not match, and starts the invalid-blob flow: the other nodes verify its
// inconsistency proof and attest, the chain marks the blob invalid, every
// node deletes its data and answers "invalid", and reads say the blob is
// invalid.
func TestMaliciousWriter(t *testing.T) {
	e := start(t, 6*time.Minute)
	const row = 2 // a systematic primary sliver
	enc, err := cluster.InconsistentEncoding(randomBlob(30, 250_000), e.c.Shards, row, []byte("lie"))
	if err != nil {
		t.Fatal(err)
	}
	md := enc.Metadata
	id := md.BlobID
	com, members, err := e.c.Committee(e.ctx, e.cc)
	if err != nil {
		t.Fatal(err)
	}
	owner := func(s int) *cluster.StorageNode {
		m, err := com.ShardOwner(uint16(s))
		if err != nil {
			t.Fatal(err)
		}
		return members[m]
	}
	left := owner(md.Params().PairToShard(id, row))
	var others []*cluster.StorageNode
	for _, sn := range e.c.Nodes {
		if sn != left {
			others = append(others, sn)
		}
	}
	wallet, err := e.c.Wallet("account-1")
	if err != nil {
		t.Fatal(err)
	}
	obj, err := cluster.Register(e.ctx, e.cc, wallet, md, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, sn := range others {
		e.waitFor(sn.Name+" to see the registration", func() (bool, string) {
			st, err := sn.API.BlobStatus(e.ctx, id)
			return err == nil && st.Kind == nodeapi.StatusPermanent, fmt.Sprintf("%+v %v", st, err)
		})
		if _, err := sn.API.PutMetadata(e.ctx, md); err != nil {
			t.Fatal(err)
		}
	}
	for s := range e.c.Shards {
		sn := owner(s)
		if sn == left {
			continue
		}
		pair := enc.PairForShard(s)
		for _, sl := range []encoding.Sliver{pair.Primary, pair.Secondary} {
			if _, err := sn.API.PutSliver(e.ctx, id, uint16(pair.PairIndex()), &sl); err != nil {
				t.Fatalf("%s shard %d %s: %v", sn.Name, s, sl.Type, err)
			}
		}
	}
	if err := e.c.Certify(e.ctx, e.cc, wallet, obj, id, others); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	t.Logf("certified the inconsistent blob %s without %s (which holds pair %d)", id, left.Name, row)

	e.waitFor("the chain to mark the blob invalid", func() (bool, string) {
		inv, err := e.cc.Invalid(e.ctx, id)
		return inv, fmt.Sprint(err)
	})
	t.Logf("marked invalid on chain %v after certification", time.Since(begin).Round(time.Millisecond))
	for _, sn := range e.c.Nodes {
		e.waitFor(sn.Name+" to drop the invalid blob", func() (bool, string) {
			st, err := e.status(sn, id)
			if err != nil || st.Kind != nodeapi.StatusInvalid {
				return false, fmt.Sprintf("status %+v %v", st, err)
			}
			if ms, err := sn.Direct.MetadataStatus(e.ctx, id); err == nil && ms == nodeapi.Stored {
				return false, "metadata still stored"
			}
			return true, ""
		})
		for s := range e.c.Shards {
			if owner(s) != sn {
				continue
			}
			pair := enc.PairForShard(s)
			if _, err := sn.Direct.GetSliver(e.ctx, id, uint16(pair.PairIndex()), encoding.Primary); err == nil {
				t.Errorf("%s still serves a sliver of shard %d", sn.Name, s)
			}
		}
	}
	if got := e.metric(left, `walrus_node_blob_syncs_total{result="inconsistent"}`); got < 1 {
		t.Errorf("%s: %v syncs found the blob inconsistent", left.Name, got)
	}
	if got := e.metric(left, `walrus_node_invalid_blob_flows_total{result="started"}`); got < 1 {
		t.Errorf("%s: %v invalid-blob flows started", left.Name, got)
	}
	if _, err := e.cl.Read(e.ctx, id, sdk.ReadOptions{}); !errors.Is(err, sdk.ErrBlobInvalid) {
		t.Fatalf("read of the invalid blob: %v", err)
	}
	if st, err := e.cl.Status(e.ctx, id); err != nil || st.Kind != nodeapi.StatusInvalid {
		t.Fatalf("status %+v %v", st, err)
	}
	t.Logf("every node answers invalid, data deleted, reads fail with %v", sdk.ErrBlobInvalid)
}
