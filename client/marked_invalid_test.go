package client

import (
	"bytes"
	"errors"
	"testing"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/protocol"
)

// TestMarkedInvalid: a blob ID the chain marked invalid is not stored again
// (Walrus's markedInvalid result, also with Force), and reads say invalid.
// The invalidation is signed by every node's key, standing for a committee
// that (wrongly) attests an inconsistency: a consistent blob can only be
// invalidated that way.
func TestMarkedInvalid(t *testing.T) {
	nw, c, ctx := newNet(t)
	data := randomBlob(61, 10_000)
	res, err := c.Store(ctx, data, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id := res.BlobID()
	v, _, err := c.committee(ctx)
	if err != nil {
		t.Fatal(err)
	}
	msg := (&protocol.InvalidBlobID{Epoch: v.epoch, BlobID: id}).Marshal()
	agg, err := protocol.NewAggregator(v.com, msg)
	if err != nil {
		t.Fatal(err)
	}
	for m := range v.com.Len() {
		sk := nw.ProtocolKey(nw.NodeIndex(v.com.Member(m).PublicKey.Bytes()))
		if _, err := agg.Add(m, protocol.Sign(sk, msg)); err != nil {
			t.Fatal(err)
		}
	}
	cert, err := agg.Certificate()
	if err != nil {
		t.Fatal(err)
	}
	oc, _ := cert.OnChain(v.com.Len())
	if _, err := c.send(ctx, &chain.MsgInvalidateBlob{Cert: *oc}); err != nil {
		t.Fatal(err)
	}
	for _, force := range []bool{false, true} {
		res, err := c.Store(ctx, data, StoreOptions{Force: force})
		if err != nil || res.MarkedInvalid == nil || res.MarkedInvalid.BlobID != id || res.BlobID() != id {
			t.Fatalf("store of an invalid blob (force %v): %+v %v", force, res, err)
		}
	}
	if _, err := c.Read(ctx, id, ReadOptions{}); !errors.Is(err, ErrBlobInvalid) {
		t.Fatalf("read of an invalid blob: %v", err)
	}
}

// TestStoreErrorPhase: a failed store says in which phase it failed and,
// once the blob was encoded, its ID.
func TestStoreErrorPhase(t *testing.T) {
	nw, _, ctx := newNet(t)
	ro, err := New(Config{Chain: nw.Chain()}) // no wallet
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	data := randomBlob(62, 1000)
	_, err = ro.Store(ctx, data, StoreOptions{})
	var se *StoreError
	if !errors.Is(err, ErrNoWallet) || !errors.As(err, &se) || se.Phase != PhaseStatus || se.BlobID == nil {
		t.Fatalf("store without a wallet: %v (%+v)", err, se)
	}
	f := FailedStore(err).Error
	if f == nil || f.FailurePhase != PhaseStatus || *f.BlobID != *se.BlobID || f.ErrorMsg != err.Error() {
		t.Fatalf("failure %+v", f)
	}
	if f := FailedStore(errors.New("elsewhere")).Error; f.FailurePhase != "unknown" || f.BlobID != nil {
		t.Fatalf("failure of a plain error %+v", f)
	}
}

// TestStoreBurn: Burn destroys the new Blob object in the certifying
// transaction; the blob stays certified and readable, and the result still
// reports the object as certified.
func TestStoreBurn(t *testing.T) {
	nw, c, ctx := newNet(t)
	if _, err := c.Store(ctx, []byte("x"), StoreOptions{Burn: true, Share: true}); !errors.Is(err, ErrConfig) {
		t.Fatalf("burn and share: %v", err)
	}
	data := randomBlob(63, 20_000)
	res, err := c.Store(ctx, data, StoreOptions{Burn: true, Epochs: 2})
	if err != nil || res.NewlyCreated == nil || res.NewlyCreated.BlobObject.CertifiedEpoch == nil {
		t.Fatalf("burned store: %+v %v", res, err)
	}
	if _, err := nw.Chain().Object(ctx, res.NewlyCreated.BlobObject.ID); err == nil {
		t.Fatal("the burned Blob object still exists")
	}
	if got, err := c.Read(ctx, res.BlobID(), ReadOptions{}); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read of a burned blob: %v", err)
	}
	if list, err := c.ListBlobs(ctx, false); err != nil || len(list) != 0 {
		t.Fatalf("the wallet still lists %+v (%v)", list, err)
	}
}
