// Package abci runs the chain state machine as a CometBFT ABCI application:
// state in pebble, each block's writes committed in one synced batch with its
// height and app hash, so that a restarted node resumes where it stopped and
// CometBFT's handshake replays only the blocks the application has not
// applied. It also embeds a CometBFT node in-process (local ABCI client):
// StartNode for the single-validator local network and for tests, and
// LoadConfig plus StartHome for one validator of an N-validator network run
// from a standard CometBFT home (GenerateNetwork writes them).
package abci

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/walrus-go/walrus/bcs"
	"github.com/walrus-go/walrus/chain"
)

// Query paths.
const (
	// QueryKey returns the committed value of the key in Data.
	QueryKey = "/key"
	// QueryScan takes Data = BCS {prefix: bytes, after: bytes, limit: u32}
	// and returns BCS vec<{key: bytes, value: bytes}> in key order.
	QueryScan = "/scan"
	// MaxScan bounds the entries of one scan.
	MaxScan = 1000
)

// EventType is the ABCI event type of chain events; attributes are "kind"
// (the Walrus event name), "index" (index in the block) and "bcs" (base64 of
// chain.EncodeEvent).
const EventType = "walrus"

// Result codes: 0 is success, CodeNotFound a missing query key, and each
// chain error sentinel has a fixed code (see Code).
const (
	CodeOK       uint32 = 0
	CodeNotFound uint32 = 1
	CodeUnknown  uint32 = 1000
)

// codeErrors lists the chain errors in code order (code = 100 + index).
// Append only: codes are part of the wire.
func codeErrors() []error {
	return []error{
		chain.ErrDecode, chain.ErrStore, chain.ErrBadSignature, chain.ErrSequence, chain.ErrFee,
		chain.ErrInsufficientFunds, chain.ErrOverflow, chain.ErrInvalidArgument, chain.ErrNotFound,
		chain.ErrNotOwner, chain.ErrWrongKind, chain.ErrFaucetDisabled, chain.ErrEpochRange,
		chain.ErrCapacity, chain.ErrStorageMismatch, chain.ErrBlobID, chain.ErrEncodingType,
		chain.ErrBlobSize, chain.ErrAlreadyCertified, chain.ErrNotCertified, chain.ErrExpired,
		chain.ErrNotDeletable, chain.ErrCertificate, chain.ErrNotEnoughWeight, chain.ErrPossession,
		chain.ErrNotOperator, chain.ErrEpochState, chain.ErrNotInCommittee, chain.ErrStake,
		chain.ErrGenesis, chain.ErrTooMany,
	}
}

// Code returns the result code of a chain error.
func Code(err error) uint32 {
	if err == nil {
		return CodeOK
	}
	for i, e := range codeErrors() {
		if errors.Is(err, e) {
			return 100 + uint32(i)
		}
	}
	return CodeUnknown
}

// CodeError returns the chain sentinel of a code (nil if unknown).
func CodeError(code uint32) error {
	errs := codeErrors()
	if code >= 100 && int(code-100) < len(errs) {
		return errs[code-100]
	}
	return nil
}

// AppConfig configures an App.
type AppConfig struct {
	DB      *DB            // required; the App does not close it
	Machine *chain.Machine // required
	Logger  *slog.Logger   // optional
}

// Validate reports a missing field.
func (c AppConfig) Validate() error {
	if c.DB == nil || c.Machine == nil {
		return errors.New("abci: AppConfig needs DB and Machine")
	}
	return nil
}

// App is the ABCI application.
type App struct {
	abcitypes.BaseApplication

	mu      sync.Mutex
	db      *DB
	m       *chain.Machine
	log     *slog.Logger
	meta    Meta         // last committed
	pending *chain.Block // finalized, not committed
	pMeta   Meta
	check   *chain.Block // mempool check state
}

// NewApp returns an App over the store, resuming from its last commit.
func NewApp(cfg AppConfig) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	meta, err := cfg.DB.Meta()
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &App{db: cfg.DB, m: cfg.Machine, log: log, meta: meta}
	return a, nil
}

// Meta returns the last committed height, app hash and time.
func (a *App) Meta() Meta {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.meta
}

func (a *App) initialized() bool {
	_, ok, _ := a.db.Get(chain.SystemKey())
	return ok
}

// Info implements abcitypes.Application.
func (a *App) Info(context.Context, *abcitypes.RequestInfo) (*abcitypes.ResponseInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	res := &abcitypes.ResponseInfo{Data: "walrus-go", Version: "1", LastBlockHeight: int64(a.meta.Height)}
	if a.meta.Height > 0 {
		res.LastBlockAppHash = bytes.Clone(a.meta.AppHash[:])
	}
	return res, nil
}

// InitChain applies the genesis in AppStateBytes (JSON of chain.Genesis).
// It is idempotent: a store that already holds the genesis (a crash before
// the first block) returns the stored app hash.
func (a *App) InitChain(_ context.Context, req *abcitypes.RequestInitChain) (*abcitypes.ResponseInitChain, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.initialized() {
		if a.meta.Height != 0 {
			return nil, fmt.Errorf("abci: InitChain on a store at height %d", a.meta.Height)
		}
		return &abcitypes.ResponseInitChain{AppHash: bytes.Clone(a.meta.AppHash[:])}, nil
	}
	var g chain.Genesis
	if err := json.Unmarshal(req.AppStateBytes, &g); err != nil {
		return nil, fmt.Errorf("abci: genesis app state: %w", err)
	}
	if g.ChainID != req.ChainId {
		return nil, fmt.Errorf("abci: genesis chain ID %q, CometBFT chain ID %q", g.ChainID, req.ChainId)
	}
	b, err := a.m.InitChain(a.db, &g)
	if err != nil {
		return nil, err
	}
	ws := b.WriteSet()
	meta := Meta{Height: 0, AppHash: chain.AppHash([32]byte{}, ws), TimeMs: uint64(g.GenesisTime.UnixMilli())}
	if err := a.db.Commit(ws, meta); err != nil {
		return nil, err
	}
	a.meta = meta
	a.check = nil
	return &abcitypes.ResponseInitChain{AppHash: bytes.Clone(meta.AppHash[:])}, nil
}

func (a *App) checkState() (*chain.Block, error) {
	if a.check == nil {
		b, err := a.m.BeginBlock(a.db, a.meta.Height+1, time.UnixMilli(int64(a.meta.TimeMs)))
		if err != nil {
			return nil, err
		}
		a.check = b
	}
	return a.check, nil
}

// CheckTx implements abcitypes.Application: it applies the transaction to
// the check state only if it succeeds entirely.
func (a *App) CheckTx(_ context.Context, req *abcitypes.RequestCheckTx) (*abcitypes.ResponseCheckTx, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b, err := a.checkState()
	if err != nil {
		return nil, err
	}
	r := b.CheckTx(req.Tx)
	if r.Err != nil {
		return &abcitypes.ResponseCheckTx{Code: Code(r.Err), Log: r.Err.Error()}, nil
	}
	return &abcitypes.ResponseCheckTx{Code: CodeOK}, nil
}

// FinalizeBlock implements abcitypes.Application.
func (a *App) FinalizeBlock(_ context.Context, req *abcitypes.RequestFinalizeBlock) (*abcitypes.ResponseFinalizeBlock, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if req.Height <= 0 || uint64(req.Height) != a.meta.Height+1 {
		return nil, fmt.Errorf("abci: finalize height %d after committed height %d", req.Height, a.meta.Height)
	}
	b, err := a.m.BeginBlock(a.db, uint64(req.Height), req.Time)
	if err != nil {
		return nil, err
	}
	res := &abcitypes.ResponseFinalizeBlock{Events: abciEvents(b.Events(), 0)}
	for _, tx := range req.Txs {
		r := b.DeliverTx(tx)
		er := &abcitypes.ExecTxResult{Code: Code(r.Err)}
		if r.Err != nil {
			er.Log = r.Err.Error()
		}
		er.Events = abciEvents(r.Events, r.FirstEvent)
		res.TxResults = append(res.TxResults, er)
	}
	ws := b.WriteSet()
	a.pending = b
	a.pMeta = Meta{Height: uint64(req.Height), AppHash: chain.AppHash(a.meta.AppHash, ws), TimeMs: uint64(req.Time.UnixMilli())}
	res.AppHash = bytes.Clone(a.pMeta.AppHash[:])
	return res, nil
}

func abciEvents(evs []chain.Event, first uint32) []abcitypes.Event {
	out := make([]abcitypes.Event, 0, len(evs))
	for i, ev := range evs {
		out = append(out, abcitypes.Event{Type: EventType, Attributes: []abcitypes.EventAttribute{
			{Key: "kind", Value: ev.Kind().String(), Index: true},
			{Key: "index", Value: strconv.FormatUint(uint64(first)+uint64(i), 10)},
			{Key: "bcs", Value: base64.StdEncoding.EncodeToString(chain.EncodeEvent(ev))},
		}})
	}
	return out
}

// Commit implements abcitypes.Application: the pending block's writes, its
// height and app hash go to disk in one synced batch.
func (a *App) Commit(context.Context, *abcitypes.RequestCommit) (*abcitypes.ResponseCommit, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.pending == nil {
		return nil, errors.New("abci: commit without a finalized block")
	}
	if err := a.db.Commit(a.pending.WriteSet(), a.pMeta); err != nil {
		return nil, err
	}
	a.meta = a.pMeta
	a.pending = nil
	a.check = nil
	return &abcitypes.ResponseCommit{}, nil
}

// Query implements abcitypes.Application over committed state.
func (a *App) Query(_ context.Context, req *abcitypes.RequestQuery) (*abcitypes.ResponseQuery, error) {
	a.mu.Lock()
	h := int64(a.meta.Height)
	a.mu.Unlock()
	switch req.Path {
	case QueryKey:
		v, ok, err := a.db.Get(req.Data)
		if err != nil {
			return nil, err
		}
		if !ok {
			return &abcitypes.ResponseQuery{Code: CodeNotFound, Log: "not found", Height: h}, nil
		}
		return &abcitypes.ResponseQuery{Key: req.Data, Value: v, Height: h}, nil
	case QueryScan:
		d := bcs.NewDecoder(req.Data)
		prefix := d.ByteVec(1 << 10)
		after := d.ByteVec(1 << 10)
		limit := int(d.U32())
		if err := d.Finish(); err != nil {
			return &abcitypes.ResponseQuery{Code: Code(chain.ErrDecode), Log: err.Error(), Height: h}, nil
		}
		if len(after) == 0 {
			after = nil
		}
		kvs, err := a.db.Scan(prefix, after, min(max(limit, 1), MaxScan))
		if err != nil {
			return nil, err
		}
		return &abcitypes.ResponseQuery{Value: EncodeKVs(kvs), Height: h}, nil
	}
	return &abcitypes.ResponseQuery{Code: CodeUnknown, Log: "unknown path " + req.Path, Height: h}, nil
}

// EncodeScan encodes a scan request.
func EncodeScan(prefix, after []byte, limit int) []byte {
	e := bcs.NewEncoder(len(prefix) + len(after) + 8)
	e.ByteVec(prefix)
	e.ByteVec(after)
	e.U32(uint32(limit))
	return e.Bytes()
}

// EncodeKVs encodes scan results.
func EncodeKVs(kvs []KV) []byte {
	e := bcs.NewEncoder(64 * len(kvs))
	e.ULEB(uint32(len(kvs)))
	for _, kv := range kvs {
		e.ByteVec(kv.Key)
		e.ByteVec(kv.Value)
	}
	return e.Bytes()
}

// DecodeKVs decodes scan results.
func DecodeKVs(b []byte) ([]KV, error) {
	d := bcs.NewDecoder(b)
	n := d.Len(MaxScan, 2)
	kvs := make([]KV, 0, n)
	for range n {
		kvs = append(kvs, KV{Key: d.ByteVec(1 << 10), Value: d.ByteVec(chain.MaxTxSize * 4)})
	}
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("%w: scan result: %v", chain.ErrDecode, err)
	}
	return kvs, nil
}
