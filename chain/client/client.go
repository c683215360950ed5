// Package client is the chain's client: it submits signed transactions and
// waits for their inclusion, queries committed state, and follows events in
// order from a cursor (block height, event index) that the caller can store
// and resume from, without gaps or duplicates across reconnects. It talks
// to CometBFT's RPC (in-process or over HTTP) through the small RPC
// interface.
package client

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/chain/abci"
)

// Errors of the client.
var (
	ErrRejected = errors.New("client: transaction rejected")
	ErrFailed   = errors.New("client: transaction failed")
	ErrNotFound = errors.New("client: not found")
	ErrEvent    = errors.New("client: malformed event")
)

// RPC is the part of CometBFT's RPC client this package uses; both
// rpc/client/local and rpc/client/http implement it.
type RPC interface {
	BroadcastTxSync(ctx context.Context, tx cmttypes.Tx) (*ctypes.ResultBroadcastTx, error)
	Tx(ctx context.Context, hash []byte, prove bool) (*ctypes.ResultTx, error)
	ABCIQuery(ctx context.Context, path string, data cmtbytes.HexBytes) (*ctypes.ResultABCIQuery, error)
	BlockResults(ctx context.Context, height *int64) (*ctypes.ResultBlockResults, error)
	Status(ctx context.Context) (*ctypes.ResultStatus, error)
}

// Config configures a Client.
type Config struct {
	RPC          RPC           // required
	ChainID      string        // required, for signing
	MinFee       uint64        // fee put on transactions
	PollInterval time.Duration // default 20 ms; with a Subscriber RPC, only a safety net
}

// Validate reports missing fields.
func (c Config) Validate() error {
	if c.RPC == nil || c.ChainID == "" {
		return errors.New("client: Config needs RPC and ChainID")
	}
	return nil
}

// Client is a chain client.
type Client struct {
	rpc     RPC
	chainID string
	fee     uint64
	poll    time.Duration
	watch   blockWatch
}

// New returns a Client.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	poll := cfg.PollInterval
	if poll == 0 {
		poll = 20 * time.Millisecond
	}
	return &Client{rpc: cfg.RPC, chainID: cfg.ChainID, fee: cfg.MinFee, poll: poll}, nil
}

// EventRecord is an event with its stable ID.
type EventRecord struct {
	ID    chain.EventID
	Event chain.Event
}

// Inclusion is a transaction included in a block.
type Inclusion struct {
	Height uint64
	Hash   [32]byte // chain.TxHash (object IDs derive from it)
	Events []EventRecord
}

// Submit broadcasts an encoded transaction and waits until a block includes
// it. A transaction refused by CheckTx returns ErrRejected; one included but
// failed returns ErrFailed (both wrap the chain error's sentinel when known).
func (c *Client) Submit(ctx context.Context, raw []byte) (*Inclusion, error) {
	if err := c.Broadcast(ctx, raw); err != nil {
		return nil, err
	}
	return c.WaitIncluded(ctx, raw)
}

// Broadcast submits an encoded transaction to the mempool without waiting
// for a block: it returns once CheckTx accepted it (or ErrRejected). A
// sender may broadcast its next transactions (next sequence numbers) right
// away, and wait for the last one with WaitIncluded.
func (c *Client) Broadcast(ctx context.Context, raw []byte) error {
	res, err := c.rpc.BroadcastTxSync(ctx, raw)
	if err != nil {
		return fmt.Errorf("client: broadcast: %w", err)
	}
	if res.Code != abci.CodeOK {
		return codeError(ErrRejected, res.Code, res.Log)
	}
	return nil
}

// WaitIncluded waits until a block includes a broadcast transaction; a
// failed transaction returns ErrFailed with its inclusion.
//
// A transaction can leave the mempool without being included: CometBFT
// checks pending transactions again after every block, and one that a block
// made invalid (a certificate of the epoch that just ended, say) is dropped
// silently. So every recheckEvery the transaction is broadcast again: the
// mempool's cache answers at once while it is still pending, and CheckTx
// tells why it no longer fits once it was dropped (ErrRejected).
func (c *Client) WaitIncluded(ctx context.Context, raw []byte) (*Inclusion, error) {
	hash := cmttypes.Tx(raw).Hash()
	wake, release := c.watchBlocks()
	defer release()
	quick := 0 // quick looks left after a new block
	nextCheck := time.Now().Add(recheckEvery)
	for {
		inc, found, err := c.lookupTx(ctx, raw, hash)
		if found {
			return inc, err
		}
		if time.Now().After(nextCheck) {
			if rerr := c.stillPending(ctx, raw); rerr != nil {
				// Included meanwhile (and gone from the cache)?
				if inc, found, err := c.lookupTx(ctx, raw, hash); found {
					return inc, err
				}
				return nil, rerr
			}
			nextCheck = time.Now().Add(recheckEvery)
		}
		d := c.poll
		if quick > 0 {
			d, quick = min(d, indexLag), quick-1
		}
		woken, err := pause(ctx, wake, d)
		if err != nil {
			return nil, fmt.Errorf("client: waiting for %X: %w", hash, err)
		}
		if woken {
			quick = indexRetries
		}
	}
}

// recheckEvery is how often WaitIncluded makes sure that the transaction it
// waits for is still in the mempool.
const recheckEvery = time.Second

// lookupTx reports whether a block includes the transaction, and its
// inclusion (with ErrFailed when it failed).
func (c *Client) lookupTx(ctx context.Context, raw, hash []byte) (*Inclusion, bool, error) {
	r, err := c.rpc.Tx(ctx, hash, false)
	if err != nil {
		return nil, false, nil // not (yet) indexed
	}
	inc := &Inclusion{Height: uint64(r.Height), Hash: chain.TxHash(raw)}
	if r.TxResult.Code != abci.CodeOK {
		return inc, true, codeError(ErrFailed, r.TxResult.Code, r.TxResult.Log)
	}
	inc.Events, err = decodeEvents(uint64(r.Height), r.TxResult.Events)
	return inc, true, err
}

// stillPending broadcasts raw again: nil when it is still in the mempool (or
// the mempool took it back), ErrRejected with CheckTx's reason when it no
// longer fits. Errors of the RPC itself count as pending (the next look
// decides).
func (c *Client) stillPending(ctx context.Context, raw []byte) error {
	res, err := c.rpc.BroadcastTxSync(ctx, raw)
	if err != nil || res.Code == abci.CodeOK {
		return nil // "tx already exists in cache", a full mempool, or re-added
	}
	return codeError(ErrRejected, res.Code, res.Log)
}

func codeError(kind error, code uint32, log string) error {
	if e := abci.CodeError(code); e != nil {
		// The log usually starts with the sentinel's own text.
		if rest, ok := strings.CutPrefix(log, e.Error()+": "); ok {
			log = rest
		}
		return fmt.Errorf("%w: %w: %s", kind, e, log)
	}
	return fmt.Errorf("%w: code %d: %s", kind, code, log)
}

// Send signs the messages with key (using the account's next sequence
// number) and submits them.
func (c *Client) Send(ctx context.Context, key ed25519.PrivateKey, msgs ...chain.Msg) (*Inclusion, error) {
	acc, err := c.Account(ctx, chain.AddressOf(key.Public().(ed25519.PublicKey)))
	if err != nil {
		return nil, err
	}
	tx := &chain.Tx{Sequence: acc.Sequence, Fee: c.fee, Msgs: msgs}
	tx.Sign(c.chainID, key)
	return c.Submit(ctx, tx.Encode())
}

func decodeEvents(height uint64, evs []abcitypes.Event) ([]EventRecord, error) {
	var out []EventRecord
	for _, ev := range evs {
		if ev.Type != abci.EventType {
			continue
		}
		var idx, data string
		for _, a := range ev.Attributes {
			switch a.Key {
			case "index":
				idx = a.Value
			case "bcs":
				data = a.Value
			}
		}
		i, err := strconv.ParseUint(idx, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%w: index %q", ErrEvent, idx)
		}
		b, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrEvent, err)
		}
		e, err := chain.DecodeEvent(b)
		if err != nil {
			return nil, err
		}
		out = append(out, EventRecord{ID: chain.EventID{Height: height, Index: uint32(i)}, Event: e})
	}
	return out, nil
}

// EventsAt returns every event of the block at height, in index order.
func (c *Client) EventsAt(ctx context.Context, height uint64) ([]EventRecord, error) {
	h := int64(height)
	r, err := c.rpc.BlockResults(ctx, &h)
	if err != nil {
		return nil, fmt.Errorf("client: block results %d: %w", height, err)
	}
	out, err := decodeEvents(height, r.FinalizeBlockEvents)
	if err != nil {
		return nil, err
	}
	for _, tr := range r.TxsResults {
		if tr.Code != abci.CodeOK {
			continue
		}
		evs, err := decodeEvents(height, tr.Events)
		if err != nil {
			return nil, err
		}
		out = append(out, evs...)
	}
	slices.SortFunc(out, func(a, b EventRecord) int { return int(a.ID.Index) - int(b.ID.Index) })
	return out, nil
}

// LatestHeight returns the height of the last committed block.
func (c *Client) LatestHeight(ctx context.Context) (uint64, error) {
	s, err := c.rpc.Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("client: status: %w", err)
	}
	return uint64(s.SyncInfo.LatestBlockHeight), nil
}

// Follow calls fn for every event from the cursor on (the ID of the next
// event to deliver; {1, 0} for the start of the chain), in order, until ctx
// ends or fn fails. After fn returns nil for an event, the cursor to store
// is the event's ID with Index+1; Follow resumes from such a cursor without
// repeating or skipping events. RPC errors are retried. With an RPC that is
// a Subscriber it looks for new events as soon as a block is committed,
// otherwise every poll interval.
func (c *Client) Follow(ctx context.Context, cursor chain.EventID, fn func(EventRecord) error) error {
	if cursor.Height == 0 {
		cursor = chain.EventID{Height: 1}
	}
	wake, release := c.watchBlocks()
	defer release()
	for {
		latest, err := c.LatestHeight(ctx)
		for err == nil && cursor.Height <= latest {
			var evs []EventRecord
			evs, err = c.EventsAt(ctx, cursor.Height)
			if err != nil {
				break
			}
			for _, ev := range evs {
				if ev.ID.Index < cursor.Index {
					continue
				}
				if err := fn(ev); err != nil {
					return err
				}
				cursor.Index = ev.ID.Index + 1
			}
			cursor = chain.EventID{Height: cursor.Height + 1}
		}
		if _, err := pause(ctx, wake, c.poll); err != nil {
			return err
		}
	}
}
