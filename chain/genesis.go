package chain

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"github.com/walrus-go/walrus/crypto/bls"

	"golang.org/x/crypto/blake2b"
)

// GenesisEpoch is the first epoch, served by the genesis committee.
const GenesisEpoch = 1

// DefaultMaxActiveSet is Walrus's active-set size.
const DefaultMaxActiveSet = 111

// GenesisNode is a storage node of the initial committee.
type GenesisNode struct {
	Operator         Address
	Name             string
	NetworkAddress   string
	PublicKey        [BLSPublicKeySize]byte
	NetworkPublicKey []byte
	Stake            uint64 // FROST, staked by the operator
	Commission       uint16 // basis points
	StoragePrice     uint64 // votes
	WritePrice       uint64
	Capacity         uint64
}

// GenesisBalance is an initial account balance.
type GenesisBalance struct {
	Address Address
	Amount  uint64
}

// Genesis is the initial state of the chain.
type Genesis struct {
	ChainID        string
	GenesisTime    time.Time
	NShards        uint16
	EpochDuration  time.Duration
	MaxEpochsAhead uint32
	MinFee         uint64
	FaucetEnabled  bool
	FaucetMax      uint64 // per request
	MaxActiveSet   uint32 // 0 means DefaultMaxActiveSet
	Nodes          []GenesisNode
	Balances       []GenesisBalance
	// TotalCapacity is the capacity of the first epoch; 0 means the capacity
	// voted by the nodes.
	TotalCapacity uint64
}

// Validate checks the genesis parameters.
func (g *Genesis) Validate() error {
	switch {
	case g.ChainID == "" || len(g.ChainID) > MaxChainIDLen:
		return fmt.Errorf("%w: chain ID %q (1..%d bytes)", ErrGenesis, g.ChainID, MaxChainIDLen)
	case g.NShards < 4:
		return fmt.Errorf("%w: %d shards (at least 4)", ErrGenesis, g.NShards)
	case g.EpochDuration < 2*time.Millisecond:
		return fmt.Errorf("%w: epoch duration %v", ErrGenesis, g.EpochDuration)
	case g.MaxEpochsAhead == 0:
		return fmt.Errorf("%w: max epochs ahead 0", ErrGenesis)
	case g.GenesisTime.UnixMilli() < 0:
		return fmt.Errorf("%w: genesis time %v", ErrGenesis, g.GenesisTime)
	case len(g.Nodes) == 0:
		return fmt.Errorf("%w: no storage nodes", ErrGenesis)
	}
	var total uint64
	keys := make(map[[BLSPublicKeySize]byte]bool)
	for i, n := range g.Nodes {
		switch {
		case n.Name == "" || len(n.Name) > MaxNodeName:
			return fmt.Errorf("%w: node %d: name %q", ErrGenesis, i, n.Name)
		case n.NetworkAddress == "" || len(n.NetworkAddress) > MaxNetworkAddress:
			return fmt.Errorf("%w: node %d: network address %q", ErrGenesis, i, n.NetworkAddress)
		case len(n.NetworkPublicKey) == 0 || len(n.NetworkPublicKey) > MaxNetworkKey:
			return fmt.Errorf("%w: node %d: network public key of %d bytes", ErrGenesis, i, len(n.NetworkPublicKey))
		case n.Stake == 0:
			return fmt.Errorf("%w: node %d: no stake", ErrGenesis, i)
		case n.Commission > MaxCommission:
			return fmt.Errorf("%w: node %d: commission %d", ErrGenesis, i, n.Commission)
		case keys[n.PublicKey]:
			return fmt.Errorf("%w: node %d: duplicate BLS key", ErrGenesis, i)
		}
		keys[n.PublicKey] = true
		if _, err := bls.ParsePublicKey(n.PublicKey[:]); err != nil {
			return fmt.Errorf("%w: node %d: BLS key: %v", ErrGenesis, i, err)
		}
		var err error
		if total, err = add64(total, n.Stake); err != nil {
			return fmt.Errorf("%w: total stake: %v", ErrGenesis, err)
		}
	}
	for _, b := range g.Balances {
		var err error
		if total, err = add64(total, b.Amount); err != nil {
			return fmt.Errorf("%w: total supply: %v", ErrGenesis, err)
		}
	}
	return nil
}

// InitChain applies the genesis to an empty base store and returns the
// genesis block (height 0), whose write set is the initial state.
func (m *Machine) InitChain(base Store, g *Genesis) (*Block, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	if _, found, err := base.Get([]byte(keySystem)); err != nil || found {
		return nil, fmt.Errorf("%w: store is not empty (err %v)", ErrGenesis, err)
	}
	b := &Block{m: m, o: newOverlay(storeGetter{base}), timeMs: uint64(g.GenesisTime.UnixMilli())}
	x := b.newExec(b.o, blake2b.Sum256(append([]byte("walrus-go/genesis/"), g.ChainID...)))
	maxSet := g.MaxActiveSet
	if maxSet == 0 {
		maxSet = DefaultMaxActiveSet
	}
	x.sys = &System{
		ChainID: g.ChainID, NShards: g.NShards, EpochDurationMs: uint64(g.EpochDuration.Milliseconds()),
		MaxEpochsAhead: g.MaxEpochsAhead, MinFee: g.MinFee, FaucetEnabled: g.FaucetEnabled,
		FaucetMax: g.FaucetMax, MaxActiveSet: maxSet, Epoch: GenesisEpoch, State: StateChangeDone,
		EpochStartMs: b.timeMs,
	}
	x.sysDirty = true
	for _, bal := range g.Balances {
		if err := x.credit(bal.Address, bal.Amount); err != nil {
			return nil, err
		}
	}
	var pools []*Pool
	var ids []ObjectID
	for _, n := range g.Nodes {
		p := &Pool{
			NodeID: x.newID(), Operator: n.Operator, Name: n.Name, NetworkAddress: n.NetworkAddress,
			PublicKey: n.PublicKey, NetworkPublicKey: bytes.Clone(n.NetworkPublicKey), Commission: n.Commission,
			StoragePrice: n.StoragePrice, WritePrice: n.WritePrice, Capacity: n.Capacity,
			ActiveStake: n.Stake, Shares: n.Stake, LastSyncEpoch: GenesisEpoch,
		}
		x.addPool(ids, p)
		ids, _ = x.st.poolIDs()
		x.st.putRate(p.NodeID, GenesisEpoch, Rate{Wal: n.Stake, Shares: n.Stake})
		s := &StakedWAL{ID: x.newID(), NodeID: p.NodeID, Principal: n.Stake, ActivationEpoch: GenesisEpoch}
		x.st.putObject(&Object{Owner: n.Operator, Kind: KindStakedWAL, Staked: s}, nil)
		pools = append(pools, p)
	}
	// The genesis committee: D'Hondt by stake, shards dealt in node-ID order.
	order := slices.Clone(pools)
	slices.SortStableFunc(order, func(a, b *Pool) int {
		if a.ActiveStake != b.ActiveStake {
			return -cmpU64(a.ActiveStake, b.ActiveStake)
		}
		return bytes.Compare(a.NodeID[:], b.NodeID[:])
	})
	if len(order) > int(maxSet) {
		order = order[:maxSet]
	}
	stakes := make([]uint64, len(order))
	nodeIDs := make([]ObjectID, len(order))
	for i, p := range order {
		stakes[i], nodeIDs[i] = p.ActiveStake, p.NodeID
	}
	com := AssignShards(nil, nodeIDs, Apportion(stakes, int(g.NShards)), g.NShards)
	com.Epoch = GenesisEpoch
	var votes []vote
	for i := range com.Members {
		mem := &com.Members[i]
		p, err := x.st.pool(mem.NodeID)
		if err != nil {
			return nil, err
		}
		mem.PublicKey = p.PublicKey
		votes = append(votes, vote{value: capacityVote(p.Capacity, uint64(g.NShards), uint64(mem.Weight())), weight: uint64(mem.Weight())})
	}
	x.st.putCommittee(keyCommitteeCur, com)
	x.sys.TotalCapacity = g.TotalCapacity
	if x.sys.TotalCapacity == 0 {
		x.sys.TotalCapacity = capacityQuantile(votes, uint64(g.NShards))
	}
	if err := x.updatePrices(); err != nil {
		return nil, err
	}
	x.events = nil // no price event at genesis
	x.flushSystem()
	return b, nil
}
