package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/chain/abci"
	"github.com/walrus-go/walrus/crypto/bls"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/protocol"
)

func edKey(seed byte) ed25519.PrivateKey {
	var s [32]byte
	s[0], s[31] = seed, 0xcd
	return ed25519.NewKeyFromSeed(s[:])
}

func addrOf(k ed25519.PrivateKey) chain.Address {
	return chain.AddressOf(k.Public().(ed25519.PublicKey))
}

type network struct {
	g    *chain.Genesis
	sks  []*bls.SecretKey
	user ed25519.PrivateKey
	ops  []ed25519.PrivateKey
	home string
	node *abci.Node
	c    *Client
}

func newNetwork(t *testing.T, epoch time.Duration) *network {
	n := &network{user: edKey(1), home: t.TempDir()}
	n.g = &chain.Genesis{
		ChainID: "walrus-client-test", GenesisTime: time.Now().Add(-time.Second).UTC().Truncate(time.Millisecond), NShards: 10,
		EpochDuration: epoch, MaxEpochsAhead: 10, MinFee: 1, FaucetEnabled: true, FaucetMax: chain.FrostPerWAL,
		Balances: []chain.GenesisBalance{{Address: addrOf(n.user), Amount: 1000 * chain.FrostPerWAL}},
	}
	for i := range 4 {
		sk, err := bls.KeyFromSeed(bytes.Repeat([]byte{byte(i + 1)}, 32))
		if err != nil {
			t.Fatal(err)
		}
		op := edKey(byte(40 + i))
		n.sks, n.ops = append(n.sks, sk), append(n.ops, op)
		n.g.Nodes = append(n.g.Nodes, chain.GenesisNode{
			Operator: addrOf(op), Name: "n", NetworkAddress: "127.0.0.1:1", PublicKey: sk.PublicKey().Bytes(),
			NetworkPublicKey: []byte{1}, Stake: 100 * chain.FrostPerWAL, StoragePrice: 10, WritePrice: 10, Capacity: 1 << 40,
		})
		n.g.Balances = append(n.g.Balances, chain.GenesisBalance{Address: addrOf(op), Amount: chain.FrostPerWAL})
	}
	n.start(t)
	return n
}

func (n *network) start(t *testing.T) {
	t.Helper()
	node, err := abci.StartNode(abci.NodeConfig{Home: n.home, Genesis: n.g, BlockInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	n.node = node
	c, err := New(Config{RPC: node.Client(), ChainID: n.g.ChainID, MinFee: 1, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	n.c = c
}

func (n *network) stop(t *testing.T) {
	if err := n.node.Close(); err != nil {
		t.Fatal(err)
	}
}

// certify has every member of the current committee sign msg and
// aggregates their signatures with protocol.Aggregator, as a client does.
func (n *network) certify(t *testing.T, ctx context.Context, msg []byte) chain.Certificate {
	com, err := n.c.ProtocolCommittee(ctx, chain.CommitteeCurrent)
	if err != nil {
		t.Fatal(err)
	}
	agg, err := protocol.NewAggregator(com, msg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range com.Len() {
		for _, sk := range n.sks {
			if sk.PublicKey().Equal(com.Member(i).PublicKey) {
				if _, err := agg.Add(i, protocol.Sign(sk, msg)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	cert, err := agg.Certificate()
	if err != nil {
		t.Fatal(err)
	}
	oc, err := cert.OnChain(com.Len())
	if err != nil {
		t.Fatal(err)
	}
	return *oc
}

func (n *network) storeBlob(t *testing.T, ctx context.Context, seed byte) (*Inclusion, chain.ObjectID) {
	t.Helper()
	size := uint64(1000)
	enc, _ := encoding.EncodedBlobLength(size, 10)
	inc, err := n.c.Send(ctx, n.user, &chain.MsgReserveSpace{Size: enc, EpochsAhead: 2})
	if err != nil {
		t.Fatal(err)
	}
	storage := deriveID(inc, 0)
	root := [32]byte{seed}
	id := encoding.DeriveBlobID(1, size, root)
	inc, err = n.c.Send(ctx, n.user, &chain.MsgRegisterBlob{Storage: storage, BlobID: id, RootHash: root, Size: size, EncodingType: 1, Deletable: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(inc.Events) != 1 || inc.Events[0].Event.Kind() != chain.KindBlobRegistered {
		t.Fatalf("register events %+v", inc.Events)
	}
	obj := inc.Events[0].Event.(*chain.BlobRegistered).ObjectID
	sys, err := n.c.System(ctx)
	if err != nil {
		t.Fatal(err)
	}
	inc, err = n.c.Send(ctx, n.user, &chain.MsgCertifyBlob{Blob: obj, Cert: n.certify(t, ctx, (&protocol.StorageConfirmation{Epoch: sys.Epoch, BlobID: id, Deletable: true, ObjectID: obj}).Marshal())})
	if err != nil {
		t.Fatal(err)
	}
	return inc, obj
}

// deriveID finds the i-th object created by an included transaction via
// the sender's owned objects is not needed: storage IDs come from events
// only for blobs, so tests look the storage up by owner.
func deriveID(inc *Inclusion, _ int) chain.ObjectID { return chain.DeriveObjectID(inc.Hash, 0) }

func TestClientEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n := newNetwork(t, time.Hour)
	start := time.Now()
	inc, obj := n.storeBlob(t, ctx, 1)
	t.Logf("reserve+register+certify in %v", time.Since(start))
	if len(inc.Events) != 1 || inc.Events[0].Event.Kind() != chain.KindBlobCertified {
		t.Fatalf("certify events %+v", inc.Events)
	}
	o, err := n.c.Object(ctx, obj)
	if err != nil || !o.Blob.Certified() {
		t.Fatalf("object %+v %v", o, err)
	}
	objs, err := n.c.BlobObjects(ctx, o.Blob.BlobID)
	if err != nil || len(objs) != 1 {
		t.Fatalf("by blob ID: %d %v", len(objs), err)
	}
	owned, err := n.c.Owned(ctx, addrOf(n.user))
	if err != nil || len(owned) != 1 {
		t.Fatalf("owned: %d %v", len(owned), err)
	}
	pools, err := n.c.Pools(ctx)
	if err != nil || len(pools) != 4 {
		t.Fatalf("pools: %d %v", len(pools), err)
	}
	if _, err := n.c.Object(ctx, chain.ObjectID{1}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing object: %v", err)
	}
	// Rejections carry the chain's sentinel.
	if _, err := n.c.Send(ctx, n.user, &chain.MsgDeleteBlob{Blob: chain.ObjectID{1}}); !errors.Is(err, ErrRejected) || !errors.Is(err, chain.ErrNotFound) {
		t.Fatalf("rejected: %v", err)
	}

	// Follow from the start: the events so far, in order.
	var got []EventRecord
	fctx, fcancel := context.WithCancel(ctx)
	err = n.c.Follow(fctx, chain.EventID{}, func(ev EventRecord) error {
		got = append(got, ev)
		if ev.Event.Kind() == chain.KindBlobCertified {
			fcancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || len(got) != 2 {
		t.Fatalf("follow: %v, %d events", err, len(got))
	}
	cursor := chain.EventID{Height: got[1].ID.Height, Index: got[1].ID.Index + 1}

	// Restart: the app resumes with the same state.
	before := n.node.App().Meta()
	n.stop(t)
	n.start(t)
	defer n.stop(t)
	if _, err := n.c.Object(ctx, obj); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for n.node.App().Meta().Height <= before.Height && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n.node.App().Meta().Height <= before.Height {
		t.Fatal("no blocks after restart")
	}
	// Following from the stored cursor yields only new events.
	inc2, _ := n.storeBlob(t, ctx, 2)
	var more []EventRecord
	fctx, fcancel = context.WithCancel(ctx)
	n.c.Follow(fctx, cursor, func(ev EventRecord) error {
		more = append(more, ev)
		if ev.ID == inc2.Events[0].ID {
			fcancel()
		}
		return nil
	})
	fcancel()
	if len(more) != 2 || !cursor.Less(more[0].ID) && cursor != more[0].ID {
		t.Fatalf("after restart: %d events", len(more))
	}
}
