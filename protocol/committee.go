package protocol

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/walrus-go/walrus/crypto/bls"
	"github.com/walrus-go/walrus/crypto/netkey"
)

// Committee errors.
var (
	ErrNoMembers         = errors.New("protocol: committee has no members")
	ErrNoShards          = errors.New("protocol: committee member holds no shards")
	ErrShardOutOfRange   = errors.New("protocol: shard index out of range")
	ErrShardTwice        = errors.New("protocol: shard assigned more than once")
	ErrShardUnassigned   = errors.New("protocol: shard not assigned")
	ErrDuplicateNodeID   = errors.New("protocol: duplicate node ID")
	ErrDuplicateKey      = errors.New("protocol: duplicate public key")
	ErrInvalidMemberKey  = errors.New("protocol: invalid member public key")
	ErrTooManyMembers    = errors.New("protocol: too many committee members")
	ErrUnknownNode       = errors.New("protocol: node is not a committee member")
	ErrNotCertifiable    = errors.New("protocol: no certificate threshold for this intent")
	ErrInvalidThreshold  = errors.New("protocol: invalid threshold")
	ErrInvalidShardCount = errors.New("protocol: invalid number of shards")
)

// NodeID identifies a storage node (the ID of its staking pool object).
type NodeID [32]byte

// Member is one storage node of a committee.
type Member struct {
	NodeID           NodeID
	PublicKey        *bls.PublicKey // protocol key, registered with a proof of possession
	NetworkAddress   string         // host:port of its REST API
	NetworkPublicKey netkey.PublicKey
	Shards           []uint16 // the shards it holds this epoch, in assignment order
}

// Threshold is a rule on the shard weight w of a set of signers, out of n
// shards.
type Threshold uint8

// The thresholds Walrus uses.
const (
	// Quorum (2f+1): 3w ≥ 2n+1. Blob certificates, deny-list updates,
	// protocol version, epoch sync.
	Quorum Threshold = 1
	// Validity (f+1, at least one correct node): 3w ≥ n+1. Invalid-blob and
	// deny-list-deletion certificates.
	Validity Threshold = 2
)

// Reached reports whether weight w out of n shards meets the threshold.
func (t Threshold) Reached(w, n int) bool {
	switch t {
	case Quorum:
		return 3*w >= 2*n+1
	case Validity:
		return 3*w >= n+1
	}
	return false
}

// String names the threshold.
func (t Threshold) String() string {
	switch t {
	case Quorum:
		return "quorum"
	case Validity:
		return "validity"
	}
	return fmt.Sprintf("Threshold(%d)", uint8(t))
}

// ThresholdFor returns the weight a certificate over a message of the given
// intent needs.
func ThresholdFor(i Intent) (Threshold, error) {
	switch i {
	case IntentBlobCertification, IntentDenyListUpdate, IntentProtocolVersion:
		return Quorum, nil
	case IntentInvalidBlobID, IntentDenyListBlobDelete:
		return Validity, nil
	}
	return 0, fmt.Errorf("%w: %v", ErrNotCertifiable, i)
}

// maxMembers is the most members a committee can have: signer indices are
// u16.
const maxMembers = 1 << 16

// Committee is the set of storage nodes of one epoch and the shards each
// holds. Members are sorted by node ID; a member's position in that order is
// its signer index in certificates. A Committee is immutable and safe for
// concurrent use.
type Committee struct {
	epoch   uint32
	nShards int
	members []Member
	weights []int
	owner   []uint16         // shard -> member index
	index   map[NodeID]int   // node ID -> member index
	total   bls.AggregateKey // sum of all member keys
}

// NewCommittee builds and validates a committee: n shards (1 to 65535),
// every shard 0..n-1 assigned to exactly one member, every member holding
// at least one shard, no duplicate node IDs or public keys. The members are
// copied and sorted by node ID.
func NewCommittee(epoch uint32, nShards int, members []Member) (*Committee, error) {
	if nShards < 1 || nShards > 1<<16-1 {
		return nil, fmt.Errorf("%w: %d", ErrInvalidShardCount, nShards)
	}
	if len(members) == 0 {
		return nil, ErrNoMembers
	}
	if len(members) > maxMembers {
		return nil, fmt.Errorf("%w: %d", ErrTooManyMembers, len(members))
	}
	c := &Committee{
		epoch:   epoch,
		nShards: nShards,
		members: make([]Member, len(members)),
		weights: make([]int, len(members)),
		owner:   make([]uint16, nShards),
		index:   make(map[NodeID]int, len(members)),
	}
	for i, m := range members {
		m.Shards = slices.Clone(m.Shards)
		c.members[i] = m
	}
	slices.SortFunc(c.members, func(a, b Member) int { return bytes.Compare(a.NodeID[:], b.NodeID[:]) })

	assigned := make([]bool, nShards)
	keys := make(map[[bls.PublicKeySize]byte]bool, len(members))
	for i, m := range c.members {
		if i > 0 && m.NodeID == c.members[i-1].NodeID {
			return nil, fmt.Errorf("%w: %x", ErrDuplicateNodeID, m.NodeID)
		}
		c.index[m.NodeID] = i
		if m.PublicKey == nil {
			return nil, fmt.Errorf("%w: node %x has none", ErrInvalidMemberKey, m.NodeID)
		}
		if err := c.total.Add(m.PublicKey); err != nil {
			return nil, fmt.Errorf("%w: node %x: %w", ErrInvalidMemberKey, m.NodeID, err)
		}
		kb := m.PublicKey.Bytes()
		if keys[kb] {
			return nil, fmt.Errorf("%w: node %x", ErrDuplicateKey, m.NodeID)
		}
		keys[kb] = true
		if len(m.Shards) == 0 {
			return nil, fmt.Errorf("%w: node %x", ErrNoShards, m.NodeID)
		}
		for _, s := range m.Shards {
			if int(s) >= nShards {
				return nil, fmt.Errorf("%w: shard %d of %d, node %x", ErrShardOutOfRange, s, nShards, m.NodeID)
			}
			if assigned[s] {
				return nil, fmt.Errorf("%w: shard %d", ErrShardTwice, s)
			}
			assigned[s] = true
			c.owner[s] = uint16(i)
		}
		c.weights[i] = len(m.Shards)
	}
	if i := slices.Index(assigned, false); i >= 0 {
		return nil, fmt.Errorf("%w: shard %d", ErrShardUnassigned, i)
	}
	return c, nil
}

// Epoch returns the committee's epoch.
func (c *Committee) Epoch() uint32 { return c.epoch }

// NShards returns the number of shards.
func (c *Committee) NShards() int { return c.nShards }

// Len returns the number of members.
func (c *Committee) Len() int { return len(c.members) }

// Member returns the member with signer index i. The result shares its
// Shards slice with the committee and must not be modified.
func (c *Committee) Member(i int) Member { return c.members[i] }

// Members returns a copy of the members in signer-index order.
func (c *Committee) Members() []Member { return slices.Clone(c.members) }

// Index returns the signer index of a node.
func (c *Committee) Index(id NodeID) (int, error) {
	i, ok := c.index[id]
	if !ok {
		return 0, fmt.Errorf("%w: %x", ErrUnknownNode, id)
	}
	return i, nil
}

// Weight returns the number of shards member i holds.
func (c *Committee) Weight(i int) int { return c.weights[i] }

// ShardOwner returns the signer index of the member that holds shard s.
func (c *Committee) ShardOwner(s uint16) (int, error) {
	if int(s) >= c.nShards {
		return 0, fmt.Errorf("%w: shard %d of %d", ErrShardOutOfRange, s, c.nShards)
	}
	return int(c.owner[s]), nil
}

// Reached reports whether signers of total weight w meet t.
func (c *Committee) Reached(t Threshold, w int) bool { return t.Reached(w, c.nShards) }

// AggregateKey returns a copy of the sum of all members' keys.
func (c *Committee) AggregateKey() *bls.AggregateKey { return c.total.Clone() }
