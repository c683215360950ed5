package client

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/walrus-go/walrus/chain"
	chainclient "github.com/walrus-go/walrus/chain/client"
	"github.com/walrus-go/walrus/crypto/bls"
)

// Staking (reference §6.5, §7.4 stake / request-withdraw-stake /
// withdraw-stake / list-staked-wal / node-admin): the wallet stakes WAL with
// storage nodes and withdraws it; a node's operator (the wallet that
// registered its pool) sets its votes and commission and collects the
// commission. Amounts are in FROST.

// ErrStakedNotFound: no StakedWAL object with this ID is owned by the wallet.
var ErrStakedNotFound = errors.New("client: no such staked WAL owned by the wallet")

// States of a StakedWAL (Walrus's StakedWalState).
const (
	StakeStaked      = "Staked"
	StakeWithdrawing = "Withdrawing"
)

// StakedWAL is a staked WAL object owned by the wallet, with its state and
// its estimated value.
type StakedWAL struct {
	ID       chain.ObjectID `json:"id"`
	NodeID   chain.ObjectID `json:"nodeId"`
	NodeName string         `json:"nodeName"`
	// Principal is the WAL staked (FROST).
	Principal       uint64 `json:"principal"`
	ActivationEpoch uint32 `json:"activationEpoch"`
	// State is StakeStaked or StakeWithdrawing; WithdrawEpoch is set when
	// withdrawing.
	State         string `json:"state"`
	WithdrawEpoch uint32 `json:"withdrawEpoch,omitempty"`
	// Active: the stake counts in the current epoch (activation epoch
	// reached). CanWithdraw: Withdraw would succeed now (a requested
	// withdrawal whose epoch came).
	Active      bool `json:"active"`
	CanWithdraw bool `json:"canWithdraw"`
	// EstimatedValue is what the stake is worth now at the pool's exchange
	// rate (principal plus the rewards earned since activation), computed
	// as the chain computes a withdrawal. Exact is false when a rate the
	// estimate needs could not be read (the value is then the principal).
	EstimatedValue uint64 `json:"estimatedValue"`
	Exact          bool   `json:"exact"`
}

// rateReader reads a pool's exchange rate at an epoch
// (*chain/client.Client implements it); without it estimates fall back to
// the principal.
type rateReader interface {
	Rate(ctx context.Context, node chain.ObjectID, epoch uint32) (chain.Rate, error)
}

// Stake stakes amount FROST with node and returns the new StakedWAL. The
// stake activates at the next epoch, or the one after if the next committee
// is already selected.
func (c *Client) Stake(ctx context.Context, node chain.ObjectID, amount uint64) (*StakedWAL, error) {
	if amount == 0 {
		return nil, fmt.Errorf("%w: stake of 0 FROST", ErrConfig)
	}
	inc, err := c.send(ctx, &chain.MsgStake{Node: node, Amount: amount})
	if err != nil {
		return nil, fmt.Errorf("client: stake: %w", err)
	}
	// The StakedWAL is the transaction's only new object.
	return c.Staked(ctx, chain.DeriveObjectID(inc.Hash, 0))
}

// RequestWithdraw starts the withdrawal of a StakedWAL: it stops earning at
// its withdraw epoch (the next epoch, or the one after if the node is in the
// already selected next committee), when Withdraw pays it out. A stake that
// is not active yet is paid back at once (and the object is gone: the
// result is then nil).
func (c *Client) RequestWithdraw(ctx context.Context, id chain.ObjectID) (*StakedWAL, error) {
	if _, err := c.Staked(ctx, id); err != nil {
		return nil, err
	}
	if _, err := c.send(ctx, &chain.MsgRequestWithdraw{Staked: id}); err != nil {
		return nil, fmt.Errorf("client: request withdraw: %w", err)
	}
	s, err := c.Staked(ctx, id)
	if errors.Is(err, ErrStakedNotFound) {
		return nil, nil
	}
	return s, err
}

// Withdraw pays out a StakedWAL whose withdrawal epoch has come and returns
// the FROST credited (the stake's value at the pool's rate of its withdraw
// epoch, as the chain computes it).
func (c *Client) Withdraw(ctx context.Context, id chain.ObjectID) (uint64, error) {
	s, err := c.Staked(ctx, id)
	if err != nil {
		return 0, err
	}
	if _, err := c.send(ctx, &chain.MsgWithdraw{Staked: id}); err != nil {
		return 0, fmt.Errorf("client: withdraw: %w", err)
	}
	return s.EstimatedValue, nil
}

// Staked returns one StakedWAL owned by the wallet.
func (c *Client) Staked(ctx context.Context, id chain.ObjectID) (*StakedWAL, error) {
	if c.cfg.Wallet == nil {
		return nil, ErrNoWallet
	}
	o, err := c.chain.Object(ctx, id)
	if errors.Is(err, chainclient.ErrNotFound) || (err == nil && (o.Kind != chain.KindStakedWAL || o.Staked == nil || o.Owner != c.Address())) {
		return nil, fmt.Errorf("%w: %s", ErrStakedNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("client: object %s: %w", id, err)
	}
	sys, pools, err := c.stakingState(ctx)
	if err != nil {
		return nil, err
	}
	return c.stakedInfo(ctx, sys, pools, o.Staked), nil
}

// ListStaked returns the StakedWAL objects owned by the wallet (reference
// §7.4 list-staked-wal), in object-ID order.
func (c *Client) ListStaked(ctx context.Context) ([]StakedWAL, error) {
	if c.cfg.Wallet == nil {
		return nil, ErrNoWallet
	}
	objs, err := c.chain.Owned(ctx, c.Address())
	if err != nil {
		return nil, fmt.Errorf("client: owned objects: %w", err)
	}
	sys, pools, err := c.stakingState(ctx)
	if err != nil {
		return nil, err
	}
	out := []StakedWAL{}
	for _, o := range objs {
		if o.Kind == chain.KindStakedWAL && o.Staked != nil {
			out = append(out, *c.stakedInfo(ctx, sys, pools, o.Staked))
		}
	}
	return out, nil
}

func (c *Client) stakingState(ctx context.Context) (*chain.System, map[chain.ObjectID]*chain.Pool, error) {
	sys, err := c.chain.System(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("client: system: %w", err)
	}
	ps, err := c.chain.Pools(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("client: pools: %w", err)
	}
	pools := make(map[chain.ObjectID]*chain.Pool, len(ps))
	for _, p := range ps {
		pools[p.NodeID] = p
	}
	return sys, pools, nil
}

// stakedInfo describes s with its value estimated as the chain's
// request_withdraw and withdraw compute it: shares bought at the rate of
// the activation epoch, worth the pool's current rate, or, once withdrawn
// from the pool, the rate of the withdraw epoch capped by what the pool
// holds for withdrawals.
func (c *Client) stakedInfo(ctx context.Context, sys *chain.System, pools map[chain.ObjectID]*chain.Pool, s *chain.StakedWAL) *StakedWAL {
	out := &StakedWAL{
		ID: s.ID, NodeID: s.NodeID, Principal: s.Principal, ActivationEpoch: s.ActivationEpoch, State: StakeStaked,
		Active: sys.Epoch >= s.ActivationEpoch, EstimatedValue: s.Principal,
	}
	if s.Withdrawing {
		out.State, out.WithdrawEpoch = StakeWithdrawing, s.WithdrawEpoch
		out.CanWithdraw = sys.Epoch >= s.WithdrawEpoch
	}
	p := pools[s.NodeID]
	if p == nil {
		return out
	}
	out.NodeName = p.Name
	rates, _ := c.chain.(rateReader)
	current := chain.Rate{Wal: p.ActiveStake, Shares: p.Shares}
	switch {
	case !out.Active:
		out.Exact = true // not earning yet: the principal comes back
	case s.Withdrawing && out.CanWithdraw:
		if rates == nil {
			return out
		}
		r, err := rates.Rate(ctx, s.NodeID, s.WithdrawEpoch)
		if err != nil {
			return out
		}
		out.EstimatedValue, out.Exact = min(r.ToWal(s.Shares), p.Withdrawable), true
	case s.Withdrawing:
		out.EstimatedValue, out.Exact = current.ToWal(s.Shares), true
	default:
		if rates == nil {
			return out
		}
		r, err := rates.Rate(ctx, s.NodeID, s.ActivationEpoch)
		if err != nil {
			return out
		}
		out.EstimatedValue, out.Exact = current.ToWal(r.ToShares(s.Principal)), true
	}
	return out
}

// Operator's actions: the wallet must be the operator of the node's pool.

// Votes are a node's price and capacity votes (FROST per unit and epoch;
// bytes).
type Votes struct {
	StoragePrice uint64 `json:"storagePrice"`
	WritePrice   uint64 `json:"writePrice"`
	Capacity     uint64 `json:"capacity"`
}

// SetVotes sets the node's storage-price, write-price and capacity votes
// (prices follow the committee's votes at once, capacity at the next
// committee selection).
func (c *Client) SetVotes(ctx context.Context, node chain.ObjectID, v Votes) error {
	if _, err := c.send(ctx, &chain.MsgSetVotes{Node: node, StoragePrice: v.StoragePrice, WritePrice: v.WritePrice, Capacity: v.Capacity}); err != nil {
		return fmt.Errorf("client: set votes: %w", err)
	}
	return nil
}

// SetCommission sets the node's commission rate in basis points (10000 =
// 100%), effective two epochs later.
func (c *Client) SetCommission(ctx context.Context, node chain.ObjectID, rate uint16) error {
	if rate > chain.MaxCommission {
		return fmt.Errorf("%w: commission %d basis points > %d", ErrConfig, rate, chain.MaxCommission)
	}
	if _, err := c.send(ctx, &chain.MsgSetCommission{Node: node, Rate: rate}); err != nil {
		return fmt.Errorf("client: set commission: %w", err)
	}
	return nil
}

// CollectCommission pays the node's collectable commission to the wallet
// and returns the amount.
func (c *Client) CollectCommission(ctx context.Context, node chain.ObjectID) (uint64, error) {
	_, pools, err := c.stakingState(ctx)
	if err != nil {
		return 0, err
	}
	p := pools[node]
	if p == nil {
		return 0, fmt.Errorf("client: collect commission: no node %s", node)
	}
	if _, err := c.send(ctx, &chain.MsgCollectCommission{Node: node}); err != nil {
		return 0, fmt.Errorf("client: collect commission: %w", err)
	}
	return p.CommissionCollectable, nil
}

// Candidate is what registers a storage node as a committee candidate.
type Candidate struct {
	Name           string
	NetworkAddress string // host:port of the node's REST API
	// ProtocolKey is the node's BLS key: it signs the proof of possession
	// (over the current epoch and the wallet's address) and only its public
	// half goes on chain.
	ProtocolKey      *bls.SecretKey
	NetworkPublicKey []byte // the node's TLS key, compressed secp256r1
	Commission       uint16 // basis points
	Votes            Votes
}

// RegisterCandidate registers a storage node operated by the wallet and
// returns its node ID (its staking pool's ID). The node enters a committee
// once stake selects it.
func (c *Client) RegisterCandidate(ctx context.Context, cand Candidate) (chain.ObjectID, error) {
	if c.cfg.Wallet == nil {
		return chain.ObjectID{}, ErrNoWallet
	}
	if cand.ProtocolKey == nil {
		return chain.ObjectID{}, fmt.Errorf("%w: no protocol key", ErrConfig)
	}
	sys, err := c.chain.System(ctx)
	if err != nil {
		return chain.ObjectID{}, fmt.Errorf("client: system: %w", err)
	}
	addr := chain.AddressOf(c.cfg.Wallet.Public().(ed25519.PublicKey))
	msg := &chain.MsgRegisterCandidate{
		Name: cand.Name, NetworkAddress: cand.NetworkAddress, PublicKey: cand.ProtocolKey.PublicKey().Bytes(),
		NetworkPublicKey: cand.NetworkPublicKey, ProofOfPossession: cand.ProtocolKey.ProvePossession(sys.Epoch, addr).Bytes(),
		Commission: cand.Commission, StoragePrice: cand.Votes.StoragePrice, WritePrice: cand.Votes.WritePrice, Capacity: cand.Votes.Capacity,
	}
	inc, err := c.send(ctx, msg)
	if err != nil {
		return chain.ObjectID{}, fmt.Errorf("client: register candidate: %w", err)
	}
	return chain.DeriveObjectID(inc.Hash, 0), nil
}
