package chain

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/walrus-go/walrus/crypto/bls"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/protocol"
)

type testNode struct {
	sk     *bls.SecretKey
	op     ed25519.PrivateKey
	nodeID ObjectID
}

func (n *testNode) addr() Address { return AddressOf(n.op.Public().(ed25519.PublicKey)) }

type env struct {
	t       testing.TB
	m       *Machine
	store   *MemStore
	g       *Genesis
	now     time.Time
	height  uint64
	appHash [32]byte
	nodes   []*testNode
	events  []Event // all events so far
}

func edKey(seed byte) ed25519.PrivateKey {
	var s [32]byte
	s[0], s[31] = seed, 0x5a
	return ed25519.NewKeyFromSeed(s[:])
}

func blsKey(t testing.TB, seed byte) *bls.SecretKey {
	sk, err := bls.KeyFromSeed(bytes.Repeat([]byte{seed, 7}, 16))
	if err != nil {
		t.Fatal(err)
	}
	return sk
}

var (
	alice = edKey(1)
	bob   = edKey(2)
	carol = edKey(3)
)

func addrOf(k ed25519.PrivateKey) Address { return AddressOf(k.Public().(ed25519.PublicKey)) }

const (
	testShards   = 10
	testEpoch    = time.Hour
	testPrice    = 1000 // FROST per MiB per epoch
	testWrite    = 500
	testCapacity = 1 << 40
	testMinFee   = 10
)

func testGenesis(t testing.TB, nodes []*testNode, stakes []uint64) *Genesis {
	g := &Genesis{
		ChainID: "walrus-test", GenesisTime: time.Unix(1_700_000_000, 0), NShards: testShards,
		EpochDuration: testEpoch, MaxEpochsAhead: 5, MinFee: testMinFee, FaucetEnabled: true, FaucetMax: 100 * FrostPerWAL,
		Balances: []GenesisBalance{
			{addrOf(alice), 1000 * FrostPerWAL}, {addrOf(bob), 1000 * FrostPerWAL}, {addrOf(carol), 10},
		},
	}
	for i, n := range nodes {
		pk := n.sk.PublicKey().Bytes()
		g.Nodes = append(g.Nodes, GenesisNode{
			Operator: n.addr(), Name: "node" + string(rune('a'+i)), NetworkAddress: "127.0.0.1:900" + string(rune('0'+i)),
			PublicKey: pk, NetworkPublicKey: []byte{2, byte(i)}, Stake: stakes[i], Commission: 1000,
			StoragePrice: testPrice, WritePrice: testWrite, Capacity: testCapacity,
		})
		g.Balances = append(g.Balances, GenesisBalance{n.addr(), 100 * FrostPerWAL})
	}
	return g
}

// newEnv starts a chain with four genesis nodes of equal stake.
func newEnv(t testing.TB) *env {
	return newEnvStakes(t, []uint64{100 * FrostPerWAL, 100 * FrostPerWAL, 100 * FrostPerWAL, 100 * FrostPerWAL})
}

func newEnvStakes(t testing.TB, stakes []uint64) *env {
	t.Helper()
	m, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, m: m, store: NewMemStore()}
	for i := range stakes {
		e.nodes = append(e.nodes, &testNode{sk: blsKey(t, byte(10+i)), op: edKey(byte(100 + i))})
	}
	e.g = testGenesis(t, e.nodes, stakes)
	b, err := m.InitChain(e.store, e.g)
	if err != nil {
		t.Fatal(err)
	}
	e.commit(b)
	e.now = e.g.GenesisTime
	ids := e.poolIDs()
	for _, n := range e.nodes {
		for _, id := range ids {
			p := e.pool(id)
			if p.Operator == n.addr() {
				n.nodeID = id
			}
		}
	}
	return e
}

func (e *env) commit(b *Block) {
	ws := b.WriteSet()
	e.appHash = AppHash(e.appHash, ws)
	e.store.Apply(ws)
	e.events = append(e.events, b.Events()...)
	e.height++
}

// block runs one block, one second after the previous one, with the
// transactions and returns their results.
func (e *env) block(txs ...[]byte) []TxResult {
	e.t.Helper()
	e.now = e.now.Add(time.Second)
	b, err := e.m.BeginBlock(e.store, e.height, e.now)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []TxResult
	for _, tx := range txs {
		out = append(out, b.DeliverTx(tx))
	}
	e.commit(b)
	return out
}

// advanceTo runs an empty block at time t.
func (e *env) advanceTo(t time.Time) []Event {
	e.t.Helper()
	e.now = t.Add(-time.Second)
	n := len(e.events)
	e.block()
	return e.events[n:]
}

func (e *env) sys() *System {
	s, err := state{newOverlay(storeGetter{e.store})}.system()
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) st() state { return state{newOverlay(storeGetter{e.store})} }

func (e *env) account(a Address) *Account {
	acc, err := e.st().account(a)
	if err != nil {
		e.t.Fatal(err)
	}
	return acc
}

func (e *env) balance(k ed25519.PrivateKey) uint64 { return e.account(addrOf(k)).Balance }

func (e *env) object(id ObjectID) *Object {
	e.t.Helper()
	o, err := e.st().object(id)
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

func (e *env) exists(id ObjectID) bool {
	_, ok, _ := e.store.Get(ObjectKey(id))
	return ok
}

func (e *env) pool(id ObjectID) *Pool {
	e.t.Helper()
	p, err := e.st().pool(id)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) poolIDs() []ObjectID {
	ids, err := e.st().poolIDs()
	if err != nil {
		e.t.Fatal(err)
	}
	return ids
}

func (e *env) committee(k string) *Committee {
	c, err := e.st().committee(k)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) signTx(k ed25519.PrivateKey, msgs ...Msg) []byte {
	tx := &Tx{Sequence: e.account(addrOf(k)).Sequence, Fee: testMinFee, Msgs: msgs}
	tx.Sign(e.g.ChainID, k)
	return tx.Encode()
}

// do runs the messages as one transaction in its own block.
func (e *env) do(k ed25519.PrivateKey, msgs ...Msg) TxResult {
	e.t.Helper()
	return e.block(e.signTx(k, msgs...))[0]
}

// ok runs the messages and fails the test on error.
func (e *env) ok(k ed25519.PrivateKey, msgs ...Msg) TxResult {
	e.t.Helper()
	r := e.do(k, msgs...)
	if r.Err != nil {
		e.t.Fatalf("%T: %v", msgs[0], r.Err)
	}
	return r
}

// snapshot copies the whole state.
func (e *env) snapshot() map[string][]byte { return maps.Clone(e.store.m) }

// fail runs the messages, expects the error, and checks that the
// transaction changed nothing but the sender's account (fee, sequence) and
// the fee's reward bucket.
func (e *env) fail(want error, k ed25519.PrivateKey, msgs ...Msg) {
	e.t.Helper()
	e.now = e.now.Add(time.Second)
	b, err := e.m.BeginBlock(e.store, e.height, e.now)
	if err != nil {
		e.t.Fatal(err)
	}
	before := writeMap(b.WriteSet())
	epoch := e.sysIn(b).Epoch
	r := b.DeliverTx(e.signTx(k, msgs...))
	after := writeMap(b.WriteSet())
	e.commit(b)
	if !errors.Is(r.Err, want) {
		e.t.Fatalf("got error %v, want %v", r.Err, want)
	}
	if len(r.Events) != 0 {
		e.t.Fatalf("failed tx emitted %d events", len(r.Events))
	}
	allowed := map[string]bool{
		string(AccountKey(addrOf(k))):              true,
		string(key(PrefixAccounting, be32(epoch))): true,
	}
	for _, k := range slices.Sorted(maps.Keys(after)) {
		if b, ok := before[k]; (!ok || !bytes.Equal(b.Value, after[k].Value) || b.Delete != after[k].Delete) && !allowed[k] {
			e.t.Fatalf("failed tx wrote %q", k)
		}
	}
}

func writeMap(ws []Write) map[string]Write {
	m := make(map[string]Write, len(ws))
	for _, w := range ws {
		m[string(w.Key)] = w
	}
	return m
}

func (e *env) sysIn(b *Block) *System {
	s, err := state{b.o}.system()
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// created returns the i-th object ID created by a transaction.
func created(r TxResult, i uint32) ObjectID { return deriveObjectID(r.Hash, i) }

// testBlob returns a blob ID and root for size bytes.
func testBlob(seed byte, size uint64) (BlobID, [32]byte) {
	var root [32]byte
	root[0], root[1] = seed, 0xb1
	return encoding.DeriveBlobID(encoding.EncodingTypeRS2, size, root), root
}

func encodedSize(t testing.TB, size uint64) uint64 {
	n, err := encoding.EncodedBlobLength(size, testShards)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// cert builds a certificate over msg signed by the committee members with
// the given indices.
func (e *env) cert(msg []byte, signers ...int) Certificate {
	e.t.Helper()
	com := e.committee(keyCommitteeCur)
	var sigs []*bls.Signature
	for _, i := range signers {
		for _, n := range e.nodes {
			if n.nodeID == com.Members[i].NodeID {
				sigs = append(sigs, n.sk.Sign(msg))
			}
		}
	}
	agg, err := bls.AggregateSignatures(sigs...)
	if err != nil {
		e.t.Fatal(err)
	}
	bitmap := make([]byte, (len(com.Members)+7)/8)
	for _, i := range signers {
		bitmap[i/8] |= 1 << (i % 8)
	}
	return Certificate{SignersBitmap: bitmap, Message: msg, Signature: agg.Bytes()}
}

// allSigners returns the indices of every member of the current committee.
func (e *env) allSigners() []int {
	var out []int
	for i := range e.committee(keyCommitteeCur).Members {
		out = append(out, i)
	}
	return out
}

// storeBlob reserves storage, registers and certifies a blob for the sender.
func (e *env) storeBlob(k ed25519.PrivateKey, seed byte, size uint64, epochs uint32, deletable bool) ObjectID {
	e.t.Helper()
	r := e.ok(k, &MsgReserveSpace{Size: encodedSize(e.t, size), EpochsAhead: epochs})
	sid := created(r, 0)
	id, root := testBlob(seed, size)
	r = e.ok(k, &MsgRegisterBlob{Storage: sid, BlobID: id, RootHash: root, Size: size, EncodingType: encoding.EncodingTypeRS2, Deletable: deletable})
	bid := created(r, 0)
	msg := CertifyMessage(e.sys().Epoch, id, deletable, bid)
	e.ok(k, &MsgCertifyBlob{Blob: bid, Cert: e.cert(msg, e.allSigners()...)})
	return bid
}

// syncAll has every member of the current committee report its sync done.
func (e *env) syncAll() {
	e.t.Helper()
	s := e.sys()
	for _, m := range e.committee(keyCommitteeCur).Members {
		for _, n := range e.nodes {
			if n.nodeID == m.NodeID && e.pool(n.nodeID).LastSyncEpoch < s.Epoch {
				e.ok(n.op, &MsgEpochSyncDone{Node: n.nodeID, Epoch: s.Epoch})
			}
		}
	}
}

// runEpoch moves the chain to the next epoch: sync (if needed), voting end
// and epoch change at their times.
func (e *env) runEpoch() {
	e.t.Helper()
	s := e.sys()
	if s.State == StateChangeSync {
		e.syncAll()
	}
	start := time.UnixMilli(int64(s.EpochStartMs))
	if e.sys().State == StateChangeDone {
		e.advanceTo(maxTime(e.now.Add(time.Second), start.Add(testEpoch/2)))
	}
	e.advanceTo(maxTime(e.now.Add(time.Second), start.Add(testEpoch)))
	if e.sys().Epoch != s.Epoch+1 {
		e.t.Fatalf("epoch %d after runEpoch from %d", e.sys().Epoch, s.Epoch)
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func timeMs(ms uint64) time.Time { return time.UnixMilli(int64(ms)) }

// CertifyMessage is the storage confirmation a certificate for a blob signs.
func CertifyMessage(epoch uint32, blobID BlobID, deletable bool, object ObjectID) []byte {
	c := protocol.StorageConfirmation{Epoch: epoch, BlobID: blobID, Deletable: deletable}
	if deletable {
		c.ObjectID = object
	}
	return c.Marshal()
}

// InvalidBlobMessage is the message an invalid-blob certificate signs.
func InvalidBlobMessage(epoch uint32, blobID BlobID) []byte {
	return (&protocol.InvalidBlobID{Epoch: epoch, BlobID: blobID}).Marshal()
}

func isValidity(w, n uint64) bool { return protocol.Validity.Reached(int(w), int(n)) }
