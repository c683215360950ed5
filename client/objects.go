package client

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/walrus-go/walrus/chain"
	chainclient "github.com/walrus-go/walrus/chain/client"
	"github.com/walrus-go/walrus/encoding"
)

// BlobObjectInfo is a Blob object as the chain holds it (reference §6.1):
// the object in Walrus's JSON form, whether it is shared (owned by nobody,
// extendable by anyone from its funds), its owner and its attributes.
type BlobObjectInfo struct {
	Object BlobObject
	Shared bool
	// Owner is the owning address; zero for a shared blob.
	Owner chain.Address
	// Funds is a shared blob's FROST for extensions (0 for owned blobs).
	Funds uint64
	// Attributes are the blob's metadata key-value pairs (never nil).
	Attributes map[string]string
}

// NetworkInfo is what a client sees of the network right now.
type NetworkInfo struct {
	Epoch  uint32
	Nodes  int // members of the current committee
	Shards int
	// MaxEpochsAhead bounds how many epochs a store may buy.
	MaxEpochsAhead uint32
	// FaucetEnabled tells whether GetWAL works on this network.
	FaucetEnabled bool
}

// Network returns the current epoch and committee size.
func (c *Client) Network(ctx context.Context) (NetworkInfo, error) {
	v, sys, err := c.committee(ctx)
	if err != nil {
		return NetworkInfo{}, err
	}
	return NetworkInfo{Epoch: v.epoch, Nodes: v.com.Len(), Shards: v.n(), MaxEpochsAhead: sys.MaxEpochsAhead, FaucetEnabled: sys.FaucetEnabled}, nil
}

// BlobSize returns a blob's unencoded length, from metadata verified
// against its ID (one metadata fetch, no slivers). It fails as Read does
// (ErrBlobNotFound, ErrBlobExpired, ErrBlobInvalid, ErrNotEnoughNodes).
func (c *Client) BlobSize(ctx context.Context, id encoding.BlobID) (uint64, error) {
	v, _, err := c.committee(ctx)
	if err != nil {
		return 0, err
	}
	md, err := c.metadata(ctx, v, id)
	if err != nil {
		return 0, err
	}
	return md.Metadata.UnencodedLength, nil
}

// BlobByObjectID returns the Blob or shared blob object id. A missing
// object, or one that is not a blob, fails with ErrObjectNotFound.
func (c *Client) BlobByObjectID(ctx context.Context, id chain.ObjectID) (*BlobObjectInfo, error) {
	o, err := c.chain.Object(ctx, id)
	if err != nil {
		if errors.Is(err, chainclient.ErrNotFound) {
			return nil, fmt.Errorf("%w: object %s does not exist", ErrObjectNotFound, id)
		}
		return nil, fmt.Errorf("client: object %s: %w", id, err)
	}
	if (o.Kind != chain.KindBlob && o.Kind != chain.KindSharedBlob) || o.Blob == nil {
		return nil, fmt.Errorf("%w: object %s is a %s, not a blob", ErrObjectNotFound, id, o.Kind)
	}
	info := &BlobObjectInfo{
		Object: blobObjectOf(o.Blob), Shared: o.Kind == chain.KindSharedBlob, Funds: o.Funds,
		Attributes: make(map[string]string, len(o.Blob.Attributes)),
	}
	if !info.Shared {
		info.Owner = o.Owner
	}
	for _, a := range o.Blob.Attributes {
		info.Attributes[a.Key] = a.Value
	}
	return info, nil
}

// Attributes returns the attributes of a Blob or shared blob object.
func (c *Client) Attributes(ctx context.Context, obj chain.ObjectID) (map[string]string, error) {
	info, err := c.BlobByObjectID(ctx, obj)
	if err != nil {
		return nil, err
	}
	return info.Attributes, nil
}

// SetAttributes inserts or updates attributes of a Blob object owned by the
// wallet, all in one transaction (reference §7.3 set-blob-attribute).
func (c *Client) SetAttributes(ctx context.Context, obj chain.ObjectID, attrs map[string]string) error {
	if len(attrs) == 0 {
		return nil
	}
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic transactions
	msgs := make([]chain.Msg, len(keys))
	for i, k := range keys {
		msgs[i] = &chain.MsgSetAttribute{Blob: obj, Key: k, Value: attrs[k]}
	}
	return c.objectTx(ctx, "set attributes", obj, msgs...)
}

// RemoveAttributes removes attributes of a Blob object owned by the wallet
// (absent keys are ignored), in one transaction.
func (c *Client) RemoveAttributes(ctx context.Context, obj chain.ObjectID, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	// The chain refuses to remove an absent key: only present ones are sent.
	info, err := c.BlobByObjectID(ctx, obj)
	if err != nil {
		return err
	}
	var msgs []chain.Msg
	for _, k := range keys {
		if _, ok := info.Attributes[k]; ok {
			msgs = append(msgs, &chain.MsgRemoveAttribute{Blob: obj, Key: k})
			delete(info.Attributes, k) // a repeated key once
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return c.objectTx(ctx, "remove attributes", obj, msgs...)
}

// Burn destroys Blob objects owned by the wallet, with their storage, in one
// transaction (reference §7.3 burn-blobs). The data stays readable until
// the nodes drop it: burning emits no event.
func (c *Client) Burn(ctx context.Context, ids ...chain.ObjectID) error {
	if len(ids) == 0 {
		return nil
	}
	msgs := make([]chain.Msg, len(ids))
	for i, id := range ids {
		msgs[i] = &chain.MsgBurnBlob{Blob: id}
	}
	return c.objectTx(ctx, "burn", ids[0], msgs...)
}

// Share turns a Blob object owned by the wallet into a shared blob funded
// with funds FROST (reference §7.3 share).
func (c *Client) Share(ctx context.Context, obj chain.ObjectID, funds uint64) error {
	return c.objectTx(ctx, "share", obj, &chain.MsgShareBlob{Blob: obj, Funds: funds})
}

// FundShared adds amount FROST from the wallet to a shared blob's funds
// (reference §7.3 fund-shared-blob); anyone may.
func (c *Client) FundShared(ctx context.Context, obj chain.ObjectID, amount uint64) error {
	return c.objectTx(ctx, "fund shared blob", obj, &chain.MsgFundSharedBlob{Blob: obj, Amount: amount})
}

// ExtendShared extends a shared blob by epochs, paid from its funds
// (reference §7.3 extend --shared), and returns the object afterwards.
func (c *Client) ExtendShared(ctx context.Context, obj chain.ObjectID, epochs uint32) (*BlobObject, error) {
	if err := c.objectTx(ctx, "extend shared blob", obj, &chain.MsgExtendSharedBlob{Blob: obj, Epochs: epochs}); err != nil {
		return nil, err
	}
	info, err := c.BlobByObjectID(ctx, obj)
	if err != nil {
		return nil, err
	}
	return &info.Object, nil
}

// Transfer gives an object owned by the wallet (a Blob object, a storage
// resource) to another address.
func (c *Client) Transfer(ctx context.Context, obj chain.ObjectID, to chain.Address) error {
	return c.objectTx(ctx, "transfer", obj, &chain.MsgTransferObject{Object: obj, To: to})
}

// GetWAL mints amount FROST to the wallet with the chain's faucet (reference
// §7.4 get-wal). Only networks whose genesis enabled the faucet (local and
// test networks) have one; elsewhere it fails with chain.ErrFaucetDisabled.
func (c *Client) GetWAL(ctx context.Context, amount uint64) error {
	if c.cfg.Wallet == nil {
		return ErrNoWallet
	}
	sys, err := c.chain.System(ctx)
	if err != nil {
		return fmt.Errorf("client: system: %w", err)
	}
	if !sys.FaucetEnabled {
		return fmt.Errorf("client: get-wal: %w: this network (%s) was created without a faucet", chain.ErrFaucetDisabled, sys.ChainID)
	}
	if amount == 0 || amount > sys.FaucetMax {
		return fmt.Errorf("%w: get-wal amount %d FROST: the faucet gives 1 to %d per request", ErrConfig, amount, sys.FaucetMax)
	}
	if _, err := c.send(ctx, &chain.MsgFaucet{Amount: amount}); err != nil {
		return fmt.Errorf("client: get-wal: %w", err)
	}
	return nil
}

// Balance returns the wallet's balance in FROST.
func (c *Client) Balance(ctx context.Context) (uint64, error) {
	if c.cfg.Wallet == nil {
		return 0, ErrNoWallet
	}
	acc, err := c.chain.Account(ctx, c.Address())
	if err != nil {
		return 0, fmt.Errorf("client: balance: %w", err)
	}
	return acc.Balance, nil
}

// objectTx sends msgs, which act on obj, in one transaction; an object that
// does not exist, is not the wallet's or is of the wrong kind is reported as
// ErrObjectNotFound.
func (c *Client) objectTx(ctx context.Context, op string, obj chain.ObjectID, msgs ...chain.Msg) error {
	if c.cfg.Wallet == nil {
		return ErrNoWallet
	}
	if _, err := c.send(ctx, msgs...); err != nil {
		if errors.Is(err, chain.ErrNotFound) || errors.Is(err, chain.ErrNotOwner) || errors.Is(err, chain.ErrWrongKind) {
			return fmt.Errorf("%w: %s %s: %w", ErrObjectNotFound, op, obj, err)
		}
		return fmt.Errorf("client: %s %s: %w", op, obj, err)
	}
	return nil
}
