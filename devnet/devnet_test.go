package devnet

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/nodeapi"
)

func TestStartAndRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	nw, err := Start(ctx, Config{Dir: dir, Nodes: 4, Shards: 10, Wallets: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { nw.Close() }()

	sys, err := nw.Chain().System(ctx)
	if err != nil || sys.NShards != 10 || sys.Epoch != chain.GenesisEpoch {
		t.Fatalf("system %+v %v", sys, err)
	}
	com, err := nw.Chain().ProtocolCommittee(ctx, chain.CommitteeCurrent)
	if err != nil || com.Len() != 4 {
		t.Fatalf("committee: %v", err)
	}
	if len(nw.Wallets()) != 2 {
		t.Fatalf("%d wallets", len(nw.Wallets()))
	}
	for _, w := range nw.Wallets() {
		acc, err := nw.Chain().Account(ctx, addrOf(w))
		if err != nil || acc.Balance != DefaultWalletBalance {
			t.Fatalf("wallet %+v %v", acc, err)
		}
	}

	// Register a blob and put its metadata at node 0: it must survive a
	// restart of the whole network.
	blob := bytes.Repeat([]byte("devnet"), 1000)
	enc, err := encoding.Encode(blob, 10)
	if err != nil {
		t.Fatal(err)
	}
	size, _ := encoding.EncodedBlobLength(uint64(len(blob)), 10)
	inc, err := nw.Chain().Send(ctx, nw.Wallet(), &chain.MsgReserveSpace{Size: size, EpochsAhead: 2})
	if err != nil {
		t.Fatal(err)
	}
	md := enc.Metadata
	if _, err := nw.Chain().Send(ctx, nw.Wallet(), &chain.MsgRegisterBlob{Storage: chain.DeriveObjectID(inc.Hash, 0), BlobID: md.BlobID,
		RootHash: [32]byte(md.Metadata.RootHash()), Size: uint64(len(blob)), EncodingType: encoding.EncodingTypeRS2}); err != nil {
		t.Fatal(err)
	}
	api, err := nw.NodeClient(0)
	if err != nil {
		t.Fatal(err)
	}
	for {
		r, err := api.PutMetadata(ctx, md)
		if err == nil && r == nodeapi.PutStored {
			break
		}
		if !errorsIs(err, nodeapi.ErrNotRegistered) {
			t.Fatalf("put metadata: %v %v", r, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	api.CloseIdleConnections()
	chainID, urls := nw.ChainID(), nw.NodeURLs()
	if err := nw.Close(); err != nil {
		t.Fatal(err)
	}

	nw, err = Start(ctx, Config{Dir: dir, Nodes: 7, Shards: 99}) // shape ignored on restart
	if err != nil {
		t.Fatal(err)
	}
	if nw.ChainID() != chainID || nw.Nodes() != 4 || len(nw.Wallets()) != 2 || nw.Shards() != 10 || nw.NodeURLs()[3] != urls[3] {
		t.Fatalf("restart changed the network: %s %d %d %v", nw.ChainID(), nw.Nodes(), nw.Shards(), nw.NodeURLs())
	}
	objs, err := nw.Chain().BlobObjects(ctx, md.BlobID)
	if err != nil || len(objs) != 1 {
		t.Fatalf("blob objects after restart: %v %v", objs, err)
	}
	api, err = nw.NodeClient(0)
	if err != nil {
		t.Fatal(err)
	}
	defer api.CloseIdleConnections()
	got, err := api.GetMetadata(ctx, md.BlobID, 10)
	if err != nil || got.BlobID != md.BlobID {
		t.Fatalf("metadata after restart: %v", err)
	}

	// Stop and restart one node.
	if err := nw.StopNode(2); err != nil {
		t.Fatal(err)
	}
	if nw.Node(2) != nil {
		t.Fatal("node 2 still running")
	}
	if err := nw.StartNode(2); err != nil {
		t.Fatal(err)
	}
	if err := nw.WaitActive(ctx, 2); err != nil {
		t.Fatal(err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{{}, {Dir: "x", Nodes: 5, Shards: 4}, {Dir: "x", EpochDuration: -1}} {
		c = c.WithDefaults()
		if err := c.Validate(); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}

func errorsIs(err, target error) bool { return err != nil && errors.Is(err, target) }
