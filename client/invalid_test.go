package client

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/nodeapi"
	"github.com/walrus-go/walrus/protocol"
)

// TestInconsistentBlob stores an inconsistently encoded blob (one systematic
// primary sliver replaced, the metadata made to match it): a read with the
// strict check rejects it, and once the nodes' attestations mark it invalid
// on chain every read fails with ErrBlobInvalid.
func TestInconsistentBlob(t *testing.T) {
	nw, c, ctx := newNet(t)
	n := nw.Shards()
	blob := randomBlob(41, 200_000)
	enc, err := encoding.Encode(blob, n)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := encoding.NewExpander(n)
	const row = 1 // systematic
	s := enc.PrimarySliver(row)
	copy(s.Data, randomBlob(42, len(s.Data)))
	m := enc.Metadata.Metadata
	m.Hashes = append([]encoding.PairMetadata(nil), m.Hashes...)
	m.Hashes[row].Primary = x.SliverRoot(&s)
	md := &encoding.VerifiedMetadata{BlobID: m.ComputeBlobID(), Metadata: m}
	enc.Metadata = md
	id := md.BlobID

	// Store it through the client's own steps (Store would re-encode).
	v, sys, err := c.committee(ctx)
	if err != nil {
		t.Fatal(err)
	}
	encLen, _ := encoding.EncodedBlobLength(uint64(len(blob)), n)
	b, err := c.register(ctx, sys, md, encLen, 2, false)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := c.upload(ctx, &uploadJob{v: v, enc: enc, conf: &protocol.StorageConfirmation{Epoch: v.epoch, BlobID: id}})
	if err != nil {
		t.Fatal(err)
	}
	oc, _ := cert.OnChain(v.com.Len())
	if _, err := c.send(ctx, &chain.MsgCertifyBlob{Blob: b.ID, Cert: *oc}); err != nil {
		t.Fatal(err)
	}

	// The default check trusts slivers received directly: the read
	// returns the blob the metadata describes. The strict check re-encodes
	// and sees the blob ID differ.
	got, err := c.Read(ctx, id, ReadOptions{})
	if err != nil || bytes.Equal(got, blob) || len(got) != len(blob) {
		t.Fatalf("default read: %v", err)
	}
	if _, err := c.Read(ctx, id, ReadOptions{Consistency: encoding.CheckStrict}); !errors.Is(err, ErrBlobInvalid) {
		t.Fatalf("strict read: %v", err)
	}

	// Invalidate: recovery symbols for the bad sliver give an
	// inconsistency proof; the nodes' attestations make a certificate.
	var syms []encoding.RecoverySymbol
	for m := range v.com.Len() {
		gs, err := v.nodes[m].RecoverySymbols(ctx, id, &nodeapi.RecoveryQuery{HasTarget: true, TargetSliver: row, TargetType: encoding.Primary})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range gs {
			syms = append(syms, g.Symbol)
		}
	}
	_, proof, err := x.RecoverSliver(md, encoding.Primary, row, syms)
	if proof == nil {
		t.Fatalf("no inconsistency proof: %v", err)
	}
	agg, err := protocol.NewAggregator(v.com, (&protocol.InvalidBlobID{Epoch: v.epoch, BlobID: id}).Marshal())
	if err != nil {
		t.Fatal(err)
	}
	for m := range v.com.Len() {
		sm, err := v.nodes[m].InconsistencyProof(ctx, id, proof)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := agg.Add(m, sm); err != nil {
			t.Fatal(err)
		}
	}
	icert, err := agg.Certificate()
	if err != nil {
		t.Fatal(err)
	}
	ioc, _ := icert.OnChain(v.com.Len())
	if _, err := c.send(ctx, &chain.MsgInvalidateBlob{Cert: *ioc}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := c.Read(ctx, id, ReadOptions{})
		if errors.Is(err, ErrBlobInvalid) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("read of an invalidated blob: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st, err := c.Status(ctx, id); err != nil || st.Kind != nodeapi.StatusInvalid {
		t.Fatalf("status %+v %v", st, err)
	}
	// The consistent encoding of the same bytes has another blob ID and
	// stores normally.
	if res, err := c.Store(ctx, blob, StoreOptions{}); err != nil || res.BlobID() == id {
		t.Fatalf("store of the consistent blob: %v", err)
	}
}
