package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/devnet"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/internal/testrand"
	"github.com/walrus-go/walrus/nodeapi"
)

func randomBlob(seed uint64, n int) []byte { return testrand.Bytes(seed, n) }

// newNet starts a devnet (4 nodes, 100 shards) and a client with its wallet.
func newNet(t testing.TB) (*devnet.Network, *Client, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	nw, err := devnet.Start(ctx, devnet.Config{Dir: t.TempDir(), BlobSyncDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := nw.Close(); err != nil {
			t.Errorf("devnet close: %v", err)
		}
	})
	c, err := New(Config{Chain: nw.Chain(), Wallet: nw.Wallet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return nw, c, ctx
}

func TestStoreAndRead(t *testing.T) {
	nw, c, ctx := newNet(t)
	sizes := []int{0, 1, 1 << 20}
	if !testing.Short() {
		sizes = append(sizes, 64<<20)
	}
	for i, size := range sizes {
		blob := randomBlob(uint64(i+1), size)
		start := time.Now()
		res, err := c.Store(ctx, blob, StoreOptions{Epochs: 2})
		if err != nil {
			t.Fatalf("store %d bytes: %v", size, err)
		}
		stored := time.Since(start)
		nc := res.NewlyCreated
		if nc == nil {
			t.Fatalf("store %d bytes: %+v", size, res)
		}
		want, err := encoding.ComputeMetadata(blob, nw.Shards())
		if err != nil {
			t.Fatal(err)
		}
		bo := nc.BlobObject
		if bo.BlobID != want.BlobID || res.BlobID() != want.BlobID {
			t.Fatalf("blob ID %s, want %s", bo.BlobID, want.BlobID)
		}
		enc, _ := encoding.EncodedBlobLength(uint64(size), nw.Shards())
		if bo.Size != uint64(size) || !bo.Deletable || bo.CertifiedEpoch == nil || *bo.CertifiedEpoch != chain.GenesisEpoch ||
			bo.RegisteredEpoch != chain.GenesisEpoch || bo.Storage.StartEpoch != chain.GenesisEpoch ||
			bo.Storage.EndEpoch != chain.GenesisEpoch+2 || bo.Storage.StorageSize != enc || bo.EncodingType != encoding.EncodingTypeRS2 {
			t.Fatalf("blob object %+v", bo)
		}
		if op := nc.ResourceOperation.RegisterFromScratch; op == nil || op.EncodedLength != enc || op.EpochsAhead != 2 || nc.Cost == 0 {
			t.Fatalf("resource operation %+v, cost %d", nc.ResourceOperation, nc.Cost)
		}
		start = time.Now()
		got, err := c.Read(ctx, want.BlobID, ReadOptions{})
		if err != nil {
			t.Fatalf("read %d bytes: %v", size, err)
		}
		if !bytes.Equal(got, blob) {
			t.Fatalf("read %d bytes: content differs", size)
		}
		t.Logf("%d bytes: store %v, read %v", size, stored.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	}
}

func TestResultJSON(t *testing.T) {
	_, c, ctx := newNet(t)
	res, err := c.Store(ctx, []byte("json shape"), StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	bo, _ := m["newlyCreated"]["blobObject"].(map[string]any)
	st, _ := bo["storage"].(map[string]any)
	for _, k := range []string{"id", "registeredEpoch", "blobId", "size", "encodingType", "certifiedEpoch", "storage", "deletable"} {
		if _, ok := bo[k]; !ok {
			t.Errorf("blobObject has no %q: %s", k, b)
		}
	}
	for _, k := range []string{"id", "startEpoch", "endEpoch", "storageSize"} {
		if _, ok := st[k]; !ok {
			t.Errorf("storage has no %q: %s", k, b)
		}
	}
	if _, ok := m["newlyCreated"]["resourceOperation"].(map[string]any)["registerFromScratch"]; !ok || bo["encodingType"] != "RS2" ||
		!strings.HasPrefix(bo["id"].(string), "0x") || bo["blobId"] != res.BlobID().String() {
		t.Errorf("json %s", b)
	}
}

func TestAlreadyCertified(t *testing.T) {
	_, c, ctx := newNet(t)
	blob := randomBlob(7, 10_000)
	first, err := c.Store(ctx, blob, StoreOptions{Epochs: 3, Permanent: true})
	if err != nil || first.NewlyCreated == nil || first.NewlyCreated.BlobObject.Deletable {
		t.Fatalf("first store: %+v %v", first, err)
	}
	// Shorter or equal lifetime: already certified, nothing uploaded.
	for _, opts := range []StoreOptions{{Epochs: 3}, {Epochs: 1, Permanent: true}} {
		again, err := c.Store(ctx, blob, opts)
		if err != nil {
			t.Fatal(err)
		}
		ac := again.AlreadyCertified
		if ac == nil || ac.BlobID != first.BlobID() || ac.EndEpoch != chain.GenesisEpoch+3 || ac.Object == nil || *ac.Object != first.NewlyCreated.BlobObject.ID {
			t.Fatalf("store again with %+v: %+v", opts, again)
		}
		if opts.Permanent && ac.Event == nil {
			t.Fatalf("already certified without the event: %+v", ac)
		}
		if b, _ := json.Marshal(again); !bytes.Contains(b, []byte(`"alreadyCertified":{"blobId":"`+first.BlobID().String())) {
			t.Fatalf("json %s", b)
		}
	}
	// Longer: a new blob object, certified without uploading (the nodes
	// hold the slivers already).
	puts := c.sliverPuts.Load()
	longer, err := c.Store(ctx, blob, StoreOptions{Epochs: 4, Permanent: true})
	if err != nil || longer.NewlyCreated == nil || longer.NewlyCreated.BlobObject.Storage.EndEpoch != chain.GenesisEpoch+4 {
		t.Fatalf("longer store: %+v %v", longer, err)
	}
	if c.sliverPuts.Load() != puts {
		t.Fatalf("%d slivers uploaded for a certified blob", c.sliverPuts.Load()-puts)
	}
	// A deletable object of it for the wallet: also without uploading.
	del, err := c.Store(ctx, blob, StoreOptions{Epochs: 5})
	if err != nil || del.NewlyCreated == nil || !del.NewlyCreated.BlobObject.Deletable || c.sliverPuts.Load() != puts {
		t.Fatalf("deletable store of a certified blob: %+v %v", del, err)
	}
	// Force: a new object even though one is certified.
	forced, err := c.Store(ctx, blob, StoreOptions{Epochs: 1, Permanent: true, Force: true})
	if err != nil || forced.NewlyCreated == nil || forced.NewlyCreated.BlobObject.ID == longer.NewlyCreated.BlobObject.ID {
		t.Fatalf("forced store: %+v %v", forced, err)
	}
	st, err := c.Status(ctx, first.BlobID())
	if err != nil || st.Kind != nodeapi.StatusPermanent || !st.IsCertified || st.EndEpoch != chain.GenesisEpoch+4 {
		t.Fatalf("status %+v %v", st, err)
	}
	list, err := c.ListBlobs(ctx, false)
	if err != nil || len(list) != 4 {
		t.Fatalf("list blobs: %+v %v", list, err)
	}
	hs, err := c.Health(ctx, HealthQuery{Committee: true, Detailed: true})
	if err != nil || len(hs) != 4 {
		t.Fatalf("health: %v", err)
	}
	shards := 0
	for _, h := range hs {
		if h.Err != nil || h.Health.NodeStatus != "Active" || !h.Verified || h.Health.ShardDetail == nil {
			t.Fatalf("health of %s: %+v %v", h.Name, h.Health, h.Err)
		}
		shards += h.Shards
	}
	if shards != 100 {
		t.Fatalf("committee holds %d shards", shards)
	}
	// By node ID and by URL (a registered node's URL is pinned; a node
	// asked twice is asked once; an unknown ID and a bad URL are errors of
	// their own entries; a URL no node registered is asked unverified).
	committee := hs
	hs, err = c.Health(ctx, HealthQuery{NodeIDs: []chain.ObjectID{committee[1].NodeID, {9}},
		URLs: []string{committee[1].URL, committee[2].URL, "https://nowhere", strings.Replace(committee[3].URL, "127.0.0.1", "localhost", 1)}})
	if err != nil || len(hs) != 5 {
		t.Fatalf("health by ID and URL: %+v %v", hs, err)
	}
	if hs[0].Err != nil || hs[1].Err == nil || hs[2].Err != nil || !hs[2].Verified || hs[2].NodeID != committee[2].NodeID || hs[3].Err == nil {
		t.Fatalf("health by ID and URL: %+v", hs)
	}
	// The same node under another host name: its key is not pinned.
	if h := hs[4]; h.Verified || h.NodeID != (chain.ObjectID{}) || h.Err != nil || h.Health.NodeStatus != "Active" {
		t.Fatalf("health of an unregistered URL: %+v", h)
	}
}

func TestReadErrorsAndDelete(t *testing.T) {
	nw, c, ctx := newNet(t)
	// A blob that was never stored.
	missing, err := encoding.ComputeMetadata([]byte("never stored"), nw.Shards())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(ctx, missing.BlobID, ReadOptions{}); !errors.Is(err, ErrBlobNotFound) {
		t.Fatalf("read of a missing blob: %v", err)
	}
	if st, err := c.Status(ctx, missing.BlobID); err != nil || st.Kind != nodeapi.StatusNonexistent {
		t.Fatalf("status of a missing blob: %+v %v", st, err)
	}

	blob := randomBlob(3, 300_000)
	res, err := c.Store(ctx, blob, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id := res.BlobID()
	for _, check := range []encoding.ConsistencyCheck{encoding.CheckDefault, encoding.CheckStrict, encoding.CheckSkip} {
		if got, err := c.Read(ctx, id, ReadOptions{Consistency: check}); err != nil || !bytes.Equal(got, blob) {
			t.Fatalf("read with %s check: %v", check, err)
		}
	}
	if st, err := c.Status(ctx, id); err != nil || st.Kind != nodeapi.StatusDeletable {
		t.Fatalf("status %+v %v", st, err)
	}

	// Extend the deletable blob, then delete it: reads then fail clearly.
	bo, err := c.Extend(ctx, res.NewlyCreated.BlobObject.ID, 2)
	if err != nil || bo.Storage.EndEpoch != chain.GenesisEpoch+3 {
		t.Fatalf("extend: %+v %v", bo, err)
	}
	ids, err := c.Delete(ctx, id)
	if err != nil || len(ids) != 1 || ids[0] != res.NewlyCreated.BlobObject.ID {
		t.Fatalf("delete: %v %v", ids, err)
	}
	if _, err := c.Delete(ctx, id); !errors.Is(err, ErrObjectNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := c.Read(ctx, id, ReadOptions{})
		if errors.Is(err, ErrBlobNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("read after delete: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The delete gave the storage back: the next store of a blob that fits
	// uses it and pays only the write fee; IgnoreResources buys new storage.
	other := randomBlob(4, 200_000)
	fresh, err := c.Store(ctx, other, StoreOptions{Epochs: 2, IgnoreResources: true})
	if err != nil || fresh.NewlyCreated.ResourceOperation.RegisterFromScratch == nil {
		t.Fatalf("store ignoring resources: %+v %v", fresh, err)
	}
	reused, err := c.Store(ctx, other, StoreOptions{Epochs: 2, Force: true})
	if err != nil || reused.NewlyCreated.ResourceOperation.ReuseStorage == nil {
		t.Fatalf("store reusing storage: %+v %v", reused, err)
	}
	if st := reused.NewlyCreated.BlobObject.Storage; st.ID != res.NewlyCreated.BlobObject.Storage.ID || st.EndEpoch != chain.GenesisEpoch+3 ||
		reused.NewlyCreated.Cost >= fresh.NewlyCreated.Cost {
		t.Fatalf("reused storage %+v, cost %d (fresh %d)", st, reused.NewlyCreated.Cost, fresh.NewlyCreated.Cost)
	}

	// A registration left by an interrupted store is picked up by the next.
	third := randomBlob(5, 1000)
	md, _ := encoding.ComputeMetadata(third, nw.Shards())
	sys, _ := nw.Chain().System(ctx)
	encLen, _ := encoding.EncodedBlobLength(uint64(len(third)), nw.Shards())
	b, err := c.register(ctx, sys, md, encLen, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.Store(ctx, third, StoreOptions{})
	if err != nil || again.NewlyCreated.ResourceOperation.ReuseRegistration == nil || again.NewlyCreated.BlobObject.ID != b.ID {
		t.Fatalf("store after an interrupted one: %+v %v", again, err)
	}
}

func TestReadWithNodeDown(t *testing.T) {
	nw, c, ctx := newNet(t)
	blob := randomBlob(9, 500_000)
	res, err := c.Store(ctx, blob, StoreOptions{Permanent: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := nw.StopNode(0); err != nil {
		t.Fatal(err)
	}
	got, err := c.Read(ctx, res.BlobID(), ReadOptions{})
	if err != nil || !bytes.Equal(got, blob) {
		t.Fatalf("read with node 0 down: %v", err)
	}
	// A store still reaches a quorum with three of four nodes.
	blob2 := randomBlob(10, 200_000)
	res2, err := c.Store(ctx, blob2, StoreOptions{})
	if err != nil {
		t.Fatalf("store with node 0 down: %v", err)
	}
	if got, err := c.Read(ctx, res2.BlobID(), ReadOptions{}); err != nil || !bytes.Equal(got, blob2) {
		t.Fatalf("read back: %v", err)
	}
	// With two of four down, 50 shards remain: fewer than the 34 primary
	// slivers needed? No — 50 ≥ 34, reads still work; stores cannot reach
	// a quorum (67).
	if err := nw.StopNode(1); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Read(ctx, res.BlobID(), ReadOptions{}); err != nil || !bytes.Equal(got, blob) {
		t.Fatalf("read with two nodes down: %v", err)
	}
	if _, err := c.Store(ctx, randomBlob(11, 1000), StoreOptions{}); !errors.Is(err, ErrNotEnoughNodes) {
		t.Fatalf("store with two nodes down: %v", err)
	}
	// Three down: 25 shards, too few to read.
	if err := nw.StopNode(2); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(ctx, res.BlobID(), ReadOptions{}); !errors.Is(err, ErrNotEnoughNodes) {
		t.Fatalf("read with three nodes down: %v", err)
	}
}

func TestConfig(t *testing.T) {
	if _, err := New(Config{}); !errors.Is(err, ErrConfig) {
		t.Fatalf("no chain: %v", err)
	}
}

// TestEpochs runs over epochs of two seconds: a blob stays readable across
// epoch changes (the client follows the committee), and a blob whose storage
// ended reads as expired.
func TestEpochs(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for epoch changes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	nw, err := devnet.Start(ctx, devnet.Config{Dir: t.TempDir(), Shards: 20, EpochDuration: 2 * time.Second, BlobSyncDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer nw.Close()
	c, err := New(Config{Chain: nw.Chain(), Wallet: nw.Wallet()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	long, short := randomBlob(21, 100_000), randomBlob(22, 50_000)
	lres, err := c.Store(ctx, long, StoreOptions{Epochs: 10, Permanent: true})
	if err != nil {
		t.Fatal(err)
	}
	sres, err := c.Store(ctx, short, StoreOptions{Epochs: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Stores go on through epoch changes (one that straddles a change is
	// retried inside Store).
	first := lres.NewlyCreated.BlobObject.Storage.StartEpoch
	for i := 0; ; i++ {
		sys, err := nw.Chain().System(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sys.Epoch >= first+2 {
			break
		}
		if _, err := c.Store(ctx, randomBlob(uint64(100+i), 200_000), StoreOptions{Epochs: 3}); err != nil {
			t.Fatalf("store %d in epoch %d: %v", i, sys.Epoch, err)
		}
	}
	start := sres.NewlyCreated.BlobObject.Storage.StartEpoch
	for {
		sys, err := nw.Chain().System(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sys.Epoch >= start+2 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	got, err := c.Read(ctx, lres.BlobID(), ReadOptions{})
	if err != nil || !bytes.Equal(got, long) {
		t.Fatalf("read after epoch changes: %v", err)
	}
	if _, err := c.Read(ctx, sres.BlobID(), ReadOptions{}); !errors.Is(err, ErrBlobExpired) {
		t.Fatalf("read of an expired blob: %v", err)
	}
}

// TestRestart stores blobs, restarts the whole devnet from its directory and
// reads them back.
func TestRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	cfg := devnet.Config{Dir: dir, Shards: 20, BlobSyncDelay: time.Hour}
	nw, err := devnet.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{Chain: nw.Chain(), Wallet: nw.Wallet(), MaxDataInFlight: 1, PerNodeUploadWorkers: 1})
	if err != nil {
		t.Fatal(err)
	}
	blobs := [][]byte{randomBlob(31, 1), randomBlob(32, 70_000), randomBlob(33, 700_000)}
	var ids []encoding.BlobID
	for _, b := range blobs {
		res, err := c.Store(ctx, b, StoreOptions{Epochs: 5})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.BlobID())
	}
	c.Close()
	if err := nw.Close(); err != nil {
		t.Fatal(err)
	}

	nw, err = devnet.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer nw.Close()
	c, err = New(Config{Chain: nw.Chain(), Wallet: nw.Wallet()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i, b := range blobs {
		got, err := c.Read(ctx, ids[i], ReadOptions{Consistency: encoding.CheckStrict})
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("blob %d after restart: %v", i, err)
		}
	}
	// The restarted network takes new blobs; the wallet's sequence
	// continues.
	res, err := c.Store(ctx, []byte("after restart"), StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := c.Status(ctx, res.BlobID()); err != nil || st.Kind != nodeapi.StatusDeletable {
		t.Fatalf("status %+v %v", st, err)
	}
}

func TestStreamAndRange(t *testing.T) {
	nw, c, ctx := newNet(t)
	blob := randomBlob(51, 3<<20+12345)
	res, err := c.Store(ctx, blob, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id := res.BlobID()
	var buf bytes.Buffer
	if n, err := c.Stream(ctx, id, &buf, ReadOptions{}); err != nil || n != int64(len(blob)) || !bytes.Equal(buf.Bytes(), blob) {
		t.Fatalf("stream: %d %v", n, err)
	}
	for _, r := range [][2]int64{{0, 1}, {0, 0}, {1000, 70_000}, {int64(len(blob)) - 10, 10}, {int64(len(blob)) - 10, 100}, {12345, 2 << 20}} {
		got, err := c.ReadRange(ctx, id, r[0], r[1], ReadOptions{})
		want := blob[r[0]:min(r[0]+r[1], int64(len(blob)))]
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("range %v: %d bytes, %v", r, len(got), err)
		}
	}
	if _, err := c.ReadRange(ctx, id, int64(len(blob))+1, 1, ReadOptions{}); !errors.Is(err, ErrInvalidRange) {
		t.Fatalf("range past the end: %v", err)
	}
	// With a node down, rows it holds come from the fallback decode.
	if err := nw.StopNode(1); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if n, err := c.Stream(ctx, id, &buf, ReadOptions{}); err != nil || n != int64(len(blob)) || !bytes.Equal(buf.Bytes(), blob) {
		t.Fatalf("stream with a node down: %d %v", n, err)
	}
	got, err := c.ReadRange(ctx, id, 5, int64(len(blob)), ReadOptions{})
	if err != nil || !bytes.Equal(got, blob[5:]) {
		t.Fatalf("range with a node down: %v", err)
	}
	buf.Reset()
	if _, err := c.Stream(ctx, id, &buf, ReadOptions{Consistency: encoding.CheckStrict}); err != nil || !bytes.Equal(buf.Bytes(), blob) {
		t.Fatalf("strict stream: %v", err)
	}
}

// TestConcurrentStores runs stores from one wallet at once: the client
// numbers the wallet's transactions itself.
func TestConcurrentStores(t *testing.T) {
	_, c, ctx := newNet(t)
	const k = 6
	blobs := make([][]byte, k)
	ids := make([]encoding.BlobID, k)
	errs := make([]error, k)
	var wg sync.WaitGroup
	for i := range k {
		blobs[i] = randomBlob(uint64(60+i), 20_000*(i+1))
		wg.Go(func() {
			var res *StoreResult
			if res, errs[i] = c.Store(ctx, blobs[i], StoreOptions{Permanent: i%2 == 0}); errs[i] == nil {
				ids[i] = res.BlobID()
			}
		})
	}
	wg.Wait()
	for i := range k {
		if errs[i] != nil {
			t.Fatalf("store %d: %v", i, errs[i])
		}
		if got, err := c.Read(ctx, ids[i], ReadOptions{}); err != nil || !bytes.Equal(got, blobs[i]) {
			t.Fatalf("read %d: %v", i, err)
		}
	}
}

// TestPendingUploads stores with slivers sent before the registration is
// committed.
func TestPendingUploads(t *testing.T) {
	nw, plain, ctx := newNet(t)
	c, err := New(Config{Chain: nw.Chain(), Wallet: nw.Wallets()[0], PendingUploads: true, Logger: testLog()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var pendingT, plainT time.Duration
	for i, size := range []int{0, 1, 100_000, 1 << 20, 2 << 20} {
		for _, opts := range []StoreOptions{{}, {Permanent: true}} {
			blob := randomBlob(uint64(200+i), size)
			start := time.Now()
			res, err := c.Store(ctx, blob, opts)
			if err != nil || res.NewlyCreated == nil {
				t.Fatalf("pending store of %d bytes (%+v): %+v %v", size, opts, res, err)
			}
			pendingT += time.Since(start)
			if got, err := c.Read(ctx, res.BlobID(), ReadOptions{}); err != nil || !bytes.Equal(got, blob) {
				t.Fatalf("read %d bytes: %v", size, err)
			}
			start = time.Now()
			if _, err := plain.Store(ctx, randomBlob(uint64(300+i), size), StoreOptions{Permanent: opts.Permanent}); err != nil {
				t.Fatal(err)
			}
			plainT += time.Since(start)
		}
	}
	t.Logf("stores: %v with pending uploads, %v without", pendingT.Round(time.Millisecond), plainT.Round(time.Millisecond))
}

func testLog() *slog.Logger {
	if os.Getenv("CLIENT_TEST_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// TestHungNode replaces a node by a listener that accepts connections and
// never answers: reads hedge around it and stores reach a quorum without it.
func TestHungNode(t *testing.T) {
	nw, _, ctx := newNet(t)
	c, err := New(Config{Chain: nw.Chain(), Wallet: nw.Wallet(), HedgeDelay: 200 * time.Millisecond, RequestTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	blob := randomBlob(71, 1<<20)
	res, err := c.Store(ctx, blob, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := nw.StopNode(0); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", strings.TrimPrefix(nw.NodeURLs()[0], "https://"))
	if err != nil {
		t.Skipf("cannot take over node 0's address: %v", err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
		}
	}()
	defer func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	start := time.Now()
	got, err := c.Read(ctx, res.BlobID(), ReadOptions{})
	if err != nil || !bytes.Equal(got, blob) {
		t.Fatalf("read with a hung node: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("read with a hung node took %v", d)
	}
	start = time.Now()
	var buf bytes.Buffer
	if _, err := c.Stream(ctx, res.BlobID(), &buf, ReadOptions{}); err != nil || !bytes.Equal(buf.Bytes(), blob) {
		t.Fatalf("stream with a hung node: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("stream with a hung node took %v", d)
	}
	start = time.Now()
	if st, err := c.Status(ctx, res.BlobID()); err != nil || st.Kind != nodeapi.StatusDeletable || time.Since(start) > 10*time.Second {
		t.Fatalf("status with a hung node: %+v %v after %v", st, err, time.Since(start))
	}
	start = time.Now()
	if _, err := c.Store(ctx, randomBlob(72, 100_000), StoreOptions{}); err != nil {
		t.Fatalf("store with a hung node: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("store with a hung node took %v", d)
	}
}
