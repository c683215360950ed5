package abci

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/crypto/bls"
)

var ctx = context.Background()

func edKey(seed byte) ed25519.PrivateKey {
	var s [32]byte
	s[0], s[31] = seed, 0xab
	return ed25519.NewKeyFromSeed(s[:])
}

func addrOf(k ed25519.PrivateKey) chain.Address {
	return chain.AddressOf(k.Public().(ed25519.PublicKey))
}

// testGenesis returns a genesis with four storage nodes and a funded user.
func testGenesis(t testing.TB, user ed25519.PrivateKey) *chain.Genesis {
	g := &chain.Genesis{
		ChainID: "walrus-abci-test", GenesisTime: time.Unix(1_700_000_000, 0).UTC(), NShards: 10,
		EpochDuration: time.Minute, MaxEpochsAhead: 10, MinFee: 1, FaucetEnabled: true, FaucetMax: chain.FrostPerWAL,
		Balances: []chain.GenesisBalance{{Address: addrOf(user), Amount: 1000 * chain.FrostPerWAL}},
	}
	for i := range 4 {
		sk, err := bls.KeyFromSeed(bytes.Repeat([]byte{byte(i + 1)}, 32))
		if err != nil {
			t.Fatal(err)
		}
		g.Nodes = append(g.Nodes, chain.GenesisNode{
			Operator: addrOf(edKey(byte(50 + i))), Name: "n", NetworkAddress: "127.0.0.1:1", PublicKey: sk.PublicKey().Bytes(),
			NetworkPublicKey: []byte{1}, Stake: 100 * chain.FrostPerWAL, StoragePrice: 10, WritePrice: 10, Capacity: 1 << 40,
		})
	}
	return g
}

func newApp(t *testing.T, dir string) (*App, *DB) {
	t.Helper()
	db, err := OpenDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := chain.New(chain.Config{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewApp(AppConfig{DB: db, Machine: m})
	if err != nil {
		t.Fatal(err)
	}
	return a, db
}

func signTx(t testing.TB, chainID string, k ed25519.PrivateKey, seq uint64, msgs ...chain.Msg) []byte {
	tx := &chain.Tx{Sequence: seq, Fee: 1, Msgs: msgs}
	tx.Sign(chainID, k)
	return tx.Encode()
}

func TestAppCommitAndRestart(t *testing.T) {
	dir := t.TempDir()
	user := edKey(1)
	g := testGenesis(t, user)
	state, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	a, db := newApp(t, dir)
	ic, err := a.InitChain(ctx, &abcitypes.RequestInitChain{ChainId: g.ChainID, AppStateBytes: state})
	if err != nil {
		t.Fatal(err)
	}
	// InitChain again (a crash before block 1) returns the same hash.
	ic2, err := a.InitChain(ctx, &abcitypes.RequestInitChain{ChainId: g.ChainID, AppStateBytes: state})
	if err != nil || !bytes.Equal(ic.AppHash, ic2.AppHash) {
		t.Fatalf("second InitChain: %v", err)
	}
	// CheckTx rejects a bad transaction and accepts a good one.
	bad := signTx(t, "other", user, 0, &chain.MsgFaucet{Amount: 1})
	if r, _ := a.CheckTx(ctx, &abcitypes.RequestCheckTx{Tx: bad}); r.Code != Code(chain.ErrBadSignature) {
		t.Fatalf("check bad: %+v", r)
	}
	var hashes [][]byte
	now := g.GenesisTime
	for h := int64(1); h <= 5; h++ {
		now = now.Add(time.Second)
		tx := signTx(t, g.ChainID, user, uint64(h-1), &chain.MsgReserveSpace{Size: 1 << 20, EpochsAhead: 2})
		if r, _ := a.CheckTx(ctx, &abcitypes.RequestCheckTx{Tx: tx}); r.Code != CodeOK {
			t.Fatalf("check: %+v", r)
		}
		res, err := a.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: h, Time: now, Txs: [][]byte{tx}})
		if err != nil {
			t.Fatal(err)
		}
		if res.TxResults[0].Code != CodeOK {
			t.Fatalf("tx: %+v", res.TxResults[0])
		}
		if _, err := a.Commit(ctx, &abcitypes.RequestCommit{}); err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, res.AppHash)
	}
	q, _ := a.Query(ctx, &abcitypes.RequestQuery{Path: QueryKey, Data: chain.AccountKey(addrOf(user))})
	acc, err := chain.DecodeAccount(q.Value)
	if err != nil || acc.Sequence != 5 || q.Height != 5 {
		t.Fatalf("query account: %+v %v (height %d)", acc, err, q.Height)
	}
	q, _ = a.Query(ctx, &abcitypes.RequestQuery{Path: QueryScan, Data: EncodeScan(chain.OwnerPrefix(addrOf(user)), nil, 3)})
	kvs, err := DecodeKVs(q.Value)
	if err != nil || len(kvs) != 3 {
		t.Fatalf("scan: %d %v", len(kvs), err)
	}
	q, _ = a.Query(ctx, &abcitypes.RequestQuery{Path: QueryScan, Data: EncodeScan(chain.OwnerPrefix(addrOf(user)), kvs[2].Key, 10)})
	if kvs, _ := DecodeKVs(q.Value); len(kvs) != 2 {
		t.Fatalf("scan after: %d", len(kvs))
	}
	// A finalized but uncommitted block is lost on restart.
	if _, err := a.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: 6, Time: now.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	a2, db2 := newApp(t, dir)
	defer db2.Close()
	info, _ := a2.Info(ctx, &abcitypes.RequestInfo{})
	if info.LastBlockHeight != 5 || !bytes.Equal(info.LastBlockAppHash, hashes[4]) {
		t.Fatalf("after restart: height %d hash %x", info.LastBlockHeight, info.LastBlockAppHash)
	}
	// Replaying from genesis on a fresh store gives the same hashes.
	a3, db3 := newApp(t, t.TempDir())
	defer db3.Close()
	if _, err := a3.InitChain(ctx, &abcitypes.RequestInitChain{ChainId: g.ChainID, AppStateBytes: state}); err != nil {
		t.Fatal(err)
	}
	now = g.GenesisTime
	for h := int64(1); h <= 5; h++ {
		now = now.Add(time.Second)
		tx := signTx(t, g.ChainID, user, uint64(h-1), &chain.MsgReserveSpace{Size: 1 << 20, EpochsAhead: 2})
		res, err := a3.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: h, Time: now, Txs: [][]byte{tx}})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(res.AppHash, hashes[h-1]) {
			t.Fatalf("height %d: replay hash differs", h)
		}
		a3.Commit(ctx, &abcitypes.RequestCommit{})
	}
	if _, err := a2.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: 7, Time: now}); err == nil {
		t.Fatal("finalize of a height gap accepted")
	}
}
