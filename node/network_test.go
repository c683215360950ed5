package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/chain/abci"
	"github.com/walrus-go/walrus/chain/client"
	"github.com/walrus-go/walrus/crypto/bls"
	"github.com/walrus-go/walrus/crypto/netkey"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/internal/loopback"
	"github.com/walrus-go/walrus/nodeapi"
	"github.com/walrus-go/walrus/protocol"
	"github.com/walrus-go/walrus/storage"
)

const testShards = 10

// testNet is a whole network in one process: an embedded chain, four
// storage nodes on loopback with pebble stores in temp dirs, and a user.
type testNet struct {
	t     testing.TB
	ctx   context.Context
	g     *chain.Genesis
	chain *abci.Node
	c     *client.Client // the user's chain client
	user  ed25519.PrivateKey
	sks   []*bls.SecretKey
	nks   []*netkey.PrivateKey
	ops   []ed25519.PrivateKey
	dirs  []string
	addrs []string
	lns   []net.Listener // bound before genesis, used at the first start
	nodes []*runningNode

	blockMu sync.Mutex
	blocked map[encoding.BlobID]bool // the nodes' deny list

	clockOffset atomic.Int64          // added to time.Now for the nodes' GC schedule
	syncDelay   map[int]time.Duration // BlobSyncDelay of a node at its next start (default 50 ms)
	failSync    map[int]bool          // nodes whose sync_shard requests fail (they recover shards after 200 ms)
}

// now is the nodes' injected clock.
func (tn *testNet) now() time.Time { return time.Now().Add(time.Duration(tn.clockOffset.Load())) }

func (tn *testNet) block(id encoding.BlobID) {
	tn.blockMu.Lock()
	defer tn.blockMu.Unlock()
	if tn.blocked == nil {
		tn.blocked = map[encoding.BlobID]bool{}
	}
	tn.blocked[id] = true
}

func (tn *testNet) isBlocked(id encoding.BlobID) bool {
	tn.blockMu.Lock()
	defer tn.blockMu.Unlock()
	return tn.blocked[id]
}

type runningNode struct {
	n      *Node
	api    *nodeapi.Client
	hc     *http.Client // pinned to the node's network key
	cancel context.CancelFunc
	done   chan error
}

func edKey(seed byte) ed25519.PrivateKey {
	var s [32]byte
	s[0], s[31] = seed, 0x5a
	return ed25519.NewKeyFromSeed(s[:])
}

func addrOf(k ed25519.PrivateKey) chain.Address {
	return chain.AddressOf(k.Public().(ed25519.PublicKey))
}

func newTestNet(t testing.TB) *testNet { return newTestNetEpoch(t, time.Hour) }

// newTestNetEpoch starts a test network whose epochs last epoch.
func newTestNetEpoch(t testing.TB, epoch time.Duration) *testNet {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	tn := &testNet{t: t, ctx: ctx, user: edKey(1)}
	tn.g = &chain.Genesis{
		ChainID: "walrus-node-test", GenesisTime: time.Now().Add(-time.Second).UTC().Truncate(time.Millisecond),
		NShards: testShards, EpochDuration: epoch, MaxEpochsAhead: 10, MinFee: 1,
		Balances: []chain.GenesisBalance{{Address: addrOf(tn.user), Amount: 1000 * chain.FrostPerWAL}},
	}
	for range 4 {
		ln, err := loopback.Listen() // a restarted node gets its port back
		if err != nil {
			t.Fatal(err)
		}
		tn.lns, tn.addrs = append(tn.lns, ln), append(tn.addrs, ln.Addr().String())
	}
	for i := range 4 {
		sk, err := bls.KeyFromSeed(bytes.Repeat([]byte{byte(i + 11)}, 32))
		if err != nil {
			t.Fatal(err)
		}
		nk, err := netkey.ParseSecretKey(bytes.Repeat([]byte{byte(i + 21)}, 32))
		if err != nil {
			t.Fatal(err)
		}
		op := edKey(byte(40 + i))
		tn.sks, tn.nks, tn.ops = append(tn.sks, sk), append(tn.nks, nk), append(tn.ops, op)
		npk := nk.PublicKey()
		tn.g.Nodes = append(tn.g.Nodes, chain.GenesisNode{
			Operator: addrOf(op), Name: "node" + strconv.Itoa(i), NetworkAddress: tn.addrs[i], PublicKey: sk.PublicKey().Bytes(),
			NetworkPublicKey: npk[:], Stake: (100 + uint64(i)) * chain.FrostPerWAL, StoragePrice: 10, WritePrice: 10, Capacity: 1 << 40,
		})
		tn.g.Balances = append(tn.g.Balances, chain.GenesisBalance{Address: addrOf(op), Amount: chain.FrostPerWAL})
	}
	cn, err := abci.StartNode(abci.NodeConfig{Home: t.TempDir(), Genesis: tn.g, BlockInterval: 30 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	tn.chain = cn
	t.Cleanup(func() { cn.Close() })
	tn.c = tn.chainClient()
	tn.nodes = make([]*runningNode, 4)
	for i := range 4 {
		tn.dirs = append(tn.dirs, filepath.Join(t.TempDir(), "node"+strconv.Itoa(i)))
		tn.startNode(i)
	}
	t.Cleanup(func() {
		var wg sync.WaitGroup
		for i := range tn.nodes {
			wg.Go(func() { tn.stopNode(i) })
		}
		wg.Wait()
	})
	// Every node knows the committee.
	for i := range tn.nodes {
		tn.waitFor("node "+strconv.Itoa(i)+" active", func() bool {
			h, err := tn.nodes[i].api.Health(ctx, false)
			return err == nil && h.NodeStatus == "Active" && h.Epoch == chain.GenesisEpoch
		})
	}
	return tn
}

func (tn *testNet) chainClient() *client.Client {
	c, err := client.New(client.Config{RPC: tn.chain.Client(), ChainID: tn.g.ChainID, MinFee: 1, PollInterval: 10 * time.Millisecond})
	if err != nil {
		tn.t.Fatal(err)
	}
	return c
}

func (tn *testNet) startNode(i int) {
	t := tn.t
	ln := tn.lns[i]
	tn.lns[i] = nil // a restart listens again on the same address
	syncDelay := 50 * time.Millisecond
	if d, ok := tn.syncDelay[i]; ok {
		syncDelay = d
	}
	cfg := Config{
		ListenAddress: tn.addrs[i], Listener: ln, DataDir: tn.dirs[i], Operator: tn.ops[i], Logger: testLogger(i), Blocked: tn.isBlocked, BlobSyncDelay: syncDelay, ProtocolKey: tn.sks[i], NetworkKey: tn.nks[i], Chain: tn.chainClient(),
		StoreOptions: storage.Options{CacheSize: 8 << 20, MemTableSize: 4 << 20}, CommitteeRefresh: 200 * time.Millisecond,
		RetryInterval: 50 * time.Millisecond, Clock: tn.now,
	}
	if tn.failSync[i] {
		cfg.failSyncShard = func(uint16) bool { return true }
		cfg.ShardRecoveryAfter = 200 * time.Millisecond
	}
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pk := tn.nks[i].PublicKey()
	hc := &http.Client{Transport: nodeapi.PinnedTransport(pk), Timeout: time.Minute}
	api, err := nodeapi.NewClient(nodeapi.ClientConfig{BaseURL: n.URL(), HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rn := &runningNode{n: n, api: api, hc: hc, cancel: cancel, done: make(chan error, 1)}
	go func() { rn.done <- n.Run(ctx) }()
	tn.nodes[i] = rn
}

func (tn *testNet) stopNode(i int) {
	rn := tn.nodes[i]
	if rn == nil {
		return
	}
	rn.hc.CloseIdleConnections()
	rn.cancel()
	if err := <-rn.done; err != nil {
		tn.t.Errorf("node %d: run: %v", i, err)
	}
	if err := rn.n.Close(); err != nil {
		tn.t.Errorf("node %d: close: %v", i, err)
	}
	tn.nodes[i] = nil
}

func (tn *testNet) waitFor(what string, cond func() bool) {
	tn.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tn.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// committee returns the protocol committee and, per member index, the
// test node index.
func (tn *testNet) committee() (*protocol.Committee, []int) {
	com, err := tn.c.ProtocolCommittee(tn.ctx, chain.CommitteeCurrent)
	if err != nil {
		tn.t.Fatal(err)
	}
	idx := make([]int, com.Len())
	for m := range com.Len() {
		idx[m] = -1
		for i, sk := range tn.sks {
			if sk.PublicKey().Equal(com.Member(m).PublicKey) {
				idx[m] = i
			}
		}
	}
	return com, idx
}

// owner returns the test node index that holds shard s.
func (tn *testNet) owner(s int) int {
	com, idx := tn.committee()
	m, err := com.ShardOwner(uint16(s))
	if err != nil {
		tn.t.Fatal(err)
	}
	return idx[m]
}

// register reserves space and registers an encoded blob, returning the Blob
// object ID.
func (tn *testNet) register(md *encoding.VerifiedMetadata, deletable bool) chain.ObjectID {
	t := tn.t
	size := md.Metadata.UnencodedLength
	enc, err := encoding.EncodedBlobLength(size, testShards)
	if err != nil {
		t.Fatal(err)
	}
	inc, err := tn.c.Send(tn.ctx, tn.user, &chain.MsgReserveSpace{Size: enc, EpochsAhead: 2})
	if err != nil {
		t.Fatal(err)
	}
	inc, err = tn.c.Send(tn.ctx, tn.user, &chain.MsgRegisterBlob{Storage: chain.DeriveObjectID(inc.Hash, 0), BlobID: md.BlobID,
		RootHash: [32]byte(md.Metadata.RootHash()), Size: size, EncodingType: encoding.EncodingTypeRS2, Deletable: deletable})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range inc.Events {
		if r, ok := ev.Event.(*chain.BlobRegistered); ok {
			return r.ObjectID
		}
	}
	t.Fatalf("no BlobRegistered event in %+v", inc.Events)
	return chain.ObjectID{}
}

// waitStatus waits until every running node reports a status for id that
// satisfies ok.
func (tn *testNet) waitStatus(id encoding.BlobID, ok func(nodeapi.BlobStatus) bool) {
	for i, rn := range tn.nodes {
		if rn == nil {
			continue
		}
		tn.waitFor("status of "+id.String()+" at node "+strconv.Itoa(i), func() bool {
			st, err := rn.api.BlobStatus(tn.ctx, id)
			return err == nil && ok(st)
		})
	}
}

// upload stores the metadata at every node and each shard's pair at its
// owner.
func (tn *testNet) upload(enc *encoding.EncodedBlob) { tn.uploadWithout(-1, enc) }

// uploadWithout is upload leaving test node skip out.
func (tn *testNet) uploadWithout(skip int, enc *encoding.EncodedBlob) {
	t := tn.t
	id := enc.Metadata.BlobID
	for i, rn := range tn.nodes {
		if i == skip {
			continue
		}
		if r, err := rn.api.PutMetadata(tn.ctx, enc.Metadata); err != nil || r != nodeapi.PutStored {
			t.Fatalf("node %d: put metadata: %v %v", i, r, err)
		}
	}
	for s := range testShards {
		if tn.owner(s) == skip {
			continue
		}
		rn := tn.nodes[tn.owner(s)]
		pair := enc.PairForShard(s)
		for _, sl := range []encoding.Sliver{pair.Primary, pair.Secondary} {
			if r, err := rn.api.PutSliver(tn.ctx, id, uint16(pair.PairIndex()), &sl); err != nil || r != nodeapi.PutStored {
				t.Fatalf("shard %d: put %s sliver: %v %v", s, sl.Type, r, err)
			}
		}
	}
}

// certificate collects confirmations (or attestations) from the nodes with
// get and aggregates them until the message's threshold.
func (tn *testNet) certificate(msg []byte, get func(*nodeapi.Client) (*protocol.SignedMessage, error)) chain.Certificate {
	return tn.certificateWithout(-1, msg, get)
}

// certificateWithout is certificate without test node skip.
func (tn *testNet) certificateWithout(skip int, msg []byte, get func(*nodeapi.Client) (*protocol.SignedMessage, error)) chain.Certificate {
	t := tn.t
	com, idx := tn.committee()
	agg, err := protocol.NewAggregator(com, msg)
	if err != nil {
		t.Fatal(err)
	}
	for m := range com.Len() {
		if idx[m] == skip {
			continue
		}
		sm, err := get(tn.nodes[idx[m]].api)
		if err != nil {
			t.Fatalf("member %d (node %d): %v", m, idx[m], err)
		}
		if _, err := agg.Add(m, sm); err != nil {
			t.Fatalf("member %d: %v", m, err)
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

func isKind(k nodeapi.BlobStatusKind) func(nodeapi.BlobStatus) bool {
	return func(s nodeapi.BlobStatus) bool { return s.Kind == k }
}

func wantAPIError(t testing.TB, what string, err error, want *nodeapi.Error) {
	t.Helper()
	var e *nodeapi.Error
	if !errors.As(err, &e) || !errors.Is(err, want) || e.Code != want.Code {
		t.Fatalf("%s: got %v, want %s (HTTP %d)", what, err, want.Reason, want.Code)
	}
}

var logNodes = os.Getenv("NODE_TEST_LOG") != ""

// testLogger logs a node's warnings to stderr when NODE_TEST_LOG is set.
func testLogger(i int) *slog.Logger {
	if !logNodes {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})).With("node", i)
}
