package chain

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/walrus-go/walrus/bcs"
)

// System is the global state: the genesis parameters and the epoch, prices
// and capacity (Walrus's System and Staking shared objects, minus the pools
// and committees, which are stored under their own keys).
type System struct {
	ChainID         string
	NShards         uint16
	EpochDurationMs uint64
	MaxEpochsAhead  uint32
	MinFee          uint64
	FaucetEnabled   bool
	FaucetMax       uint64
	MaxActiveSet    uint32

	Epoch         uint32
	State         EpochState
	EpochStartMs  uint64
	SyncedWeight  uint32
	StoragePrice  uint64
	WritePrice    uint64
	TotalCapacity uint64
	NextCapacity  uint64
	Burned        uint64
	Minted        uint64
}

func (s *System) encode(e *bcs.Encoder) {
	e.String(s.ChainID)
	e.U16(s.NShards)
	e.U64(s.EpochDurationMs)
	e.U32(s.MaxEpochsAhead)
	e.U64(s.MinFee)
	e.Bool(s.FaucetEnabled)
	e.U64(s.FaucetMax)
	e.U32(s.MaxActiveSet)
	e.U32(s.Epoch)
	e.U8(uint8(s.State))
	e.U64(s.EpochStartMs)
	e.U32(s.SyncedWeight)
	e.U64(s.StoragePrice)
	e.U64(s.WritePrice)
	e.U64(s.TotalCapacity)
	e.U64(s.NextCapacity)
	e.U64(s.Burned)
	e.U64(s.Minted)
}

func (s *System) decode(d *bcs.Decoder) {
	s.ChainID = d.String(MaxChainIDLen)
	s.NShards = d.U16()
	s.EpochDurationMs = d.U64()
	s.MaxEpochsAhead = d.U32()
	s.MinFee = d.U64()
	s.FaucetEnabled = d.Bool()
	s.FaucetMax = d.U64()
	s.MaxActiveSet = d.U32()
	s.Epoch = d.U32()
	s.State = EpochState(d.U8())
	s.EpochStartMs = d.U64()
	s.SyncedWeight = d.U32()
	s.StoragePrice = d.U64()
	s.WritePrice = d.U64()
	s.TotalCapacity = d.U64()
	s.NextCapacity = d.U64()
	s.Burned = d.U64()
	s.Minted = d.U64()
	if s.State >= numStates {
		d.Fail(bcs.ErrInvalidData)
	}
}

// Member is a committee member: a node, its BLS key and its shards.
type Member struct {
	NodeID    ObjectID
	PublicKey [BLSPublicKeySize]byte
	Shards    []uint16
}

// Weight returns the member's number of shards.
func (m *Member) Weight() int { return len(m.Shards) }

// Committee is the set of storage nodes of an epoch, sorted by node ID.
type Committee struct {
	Epoch   uint32
	NShards uint16
	Members []Member
}

// Index returns the position of the node in the committee, or -1.
func (c *Committee) Index(node ObjectID) int {
	i, ok := slices.BinarySearchFunc(c.Members, node, func(m Member, id ObjectID) int {
		return bytes.Compare(m.NodeID[:], id[:])
	})
	if !ok {
		return -1
	}
	return i
}

func (c *Committee) encode(e *bcs.Encoder) {
	e.U32(c.Epoch)
	e.U16(c.NShards)
	e.ULEB(uint32(len(c.Members)))
	for _, m := range c.Members {
		e.Fixed(m.NodeID[:])
		e.Fixed(m.PublicKey[:])
		e.ULEB(uint32(len(m.Shards)))
		for _, s := range m.Shards {
			e.U16(s)
		}
	}
}

func (c *Committee) decode(d *bcs.Decoder) {
	c.Epoch = d.U32()
	c.NShards = d.U16()
	n := d.Len(1<<16, 32+BLSPublicKeySize+1)
	c.Members = make([]Member, n)
	for i := range c.Members {
		m := &c.Members[i]
		d.FixedInto(m.NodeID[:])
		d.FixedInto(m.PublicKey[:])
		k := d.Len(1<<16, 2)
		m.Shards = make([]uint16, k)
		for j := range m.Shards {
			m.Shards[j] = d.U16()
		}
	}
}

// EpochAmount is an amount (WAL or pool shares) due at an epoch.
type EpochAmount struct {
	Epoch  uint32
	Amount uint64
}

func encodeEpochAmounts(e *bcs.Encoder, v []EpochAmount) {
	e.ULEB(uint32(len(v)))
	for _, x := range v {
		e.U32(x.Epoch)
		e.U64(x.Amount)
	}
}

func decodeEpochAmounts(d *bcs.Decoder) []EpochAmount {
	n := d.Len(1<<16, 12)
	var v []EpochAmount
	for range n {
		v = append(v, EpochAmount{Epoch: d.U32(), Amount: d.U64()})
	}
	return v
}

// addEpochAmount adds amt at epoch, keeping v sorted by epoch.
func addEpochAmount(v []EpochAmount, epoch uint32, amt uint64) []EpochAmount {
	i, ok := slices.BinarySearchFunc(v, epoch, func(x EpochAmount, e uint32) int { return cmpU32(x.Epoch, e) })
	if ok {
		v[i].Amount += amt
		return v
	}
	return slices.Insert(v, i, EpochAmount{Epoch: epoch, Amount: amt})
}

// takeEpochAmount removes and returns the amount at epoch.
func takeEpochAmount(v []EpochAmount, epoch uint32) ([]EpochAmount, uint64) {
	i, ok := slices.BinarySearchFunc(v, epoch, func(x EpochAmount, e uint32) int { return cmpU32(x.Epoch, e) })
	if !ok {
		return v, 0
	}
	amt := v[i].Amount
	return slices.Delete(v, i, i+1), amt
}

func amountAt(v []EpochAmount, epoch uint32) uint64 {
	i, ok := slices.BinarySearchFunc(v, epoch, func(x EpochAmount, e uint32) int { return cmpU32(x.Epoch, e) })
	if !ok {
		return 0
	}
	return v[i].Amount
}

func cmpU32(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Pool is a storage node's staking pool; its ID is the node ID.
type Pool struct {
	NodeID           ObjectID
	Operator         Address
	Name             string
	NetworkAddress   string
	PublicKey        [BLSPublicKeySize]byte
	NetworkPublicKey []byte

	Commission        uint16 // basis points
	PendingCommission []EpochAmount
	StoragePrice      uint64
	WritePrice        uint64
	Capacity          uint64

	ActiveStake     uint64        // WAL staked and earning in the current epoch
	Shares          uint64        // pool shares of ActiveStake
	PendingStake    []EpochAmount // WAL activated at an epoch
	PendingWithdraw []EpochAmount // shares leaving at an epoch
	Withdrawable    uint64        // WAL of processed withdrawals not yet claimed

	CommissionPending     uint64 // earned, blocked until the next voting end
	CommissionCollectable uint64
	LastSyncEpoch         uint32
}

func (p *Pool) encode(e *bcs.Encoder) {
	e.Fixed(p.NodeID[:])
	e.Fixed(p.Operator[:])
	e.String(p.Name)
	e.String(p.NetworkAddress)
	e.Fixed(p.PublicKey[:])
	e.ByteVec(p.NetworkPublicKey)
	e.U16(p.Commission)
	encodeEpochAmounts(e, p.PendingCommission)
	e.U64(p.StoragePrice)
	e.U64(p.WritePrice)
	e.U64(p.Capacity)
	e.U64(p.ActiveStake)
	e.U64(p.Shares)
	encodeEpochAmounts(e, p.PendingStake)
	encodeEpochAmounts(e, p.PendingWithdraw)
	e.U64(p.Withdrawable)
	e.U64(p.CommissionPending)
	e.U64(p.CommissionCollectable)
	e.U32(p.LastSyncEpoch)
}

func (p *Pool) decode(d *bcs.Decoder) {
	d.FixedInto(p.NodeID[:])
	d.FixedInto(p.Operator[:])
	p.Name = d.String(MaxNodeName)
	p.NetworkAddress = d.String(MaxNetworkAddress)
	d.FixedInto(p.PublicKey[:])
	p.NetworkPublicKey = bytes.Clone(d.ByteVec(MaxNetworkKey))
	p.Commission = d.U16()
	p.PendingCommission = decodeEpochAmounts(d)
	p.StoragePrice = d.U64()
	p.WritePrice = d.U64()
	p.Capacity = d.U64()
	p.ActiveStake = d.U64()
	p.Shares = d.U64()
	p.PendingStake = decodeEpochAmounts(d)
	p.PendingWithdraw = decodeEpochAmounts(d)
	p.Withdrawable = d.U64()
	p.CommissionPending = d.U64()
	p.CommissionCollectable = d.U64()
	p.LastSyncEpoch = d.U32()
}

// Rate is a pool's exchange rate at the start of an epoch: Wal WAL for
// Shares shares.
type Rate struct {
	Wal    uint64
	Shares uint64
}

// toShares converts WAL to shares at the rate (1:1 for an empty pool).
func (r Rate) toShares(wal uint64) uint64 {
	if r.Wal == 0 || r.Shares == 0 {
		return wal
	}
	return mulDiv(wal, r.Shares, r.Wal)
}

// toWal converts shares to WAL at the rate.
func (r Rate) toWal(shares uint64) uint64 {
	if r.Wal == 0 || r.Shares == 0 {
		return shares
	}
	return mulDiv(shares, r.Wal, r.Shares)
}

// Keys of the singleton records.
const (
	keySystem        = "sys"
	keyPools         = "pools"
	keyCommitteePrev = "c/prev"
	keyCommitteeCur  = "c/cur"
	keyCommitteeNext = "c/next"
)

// Key prefixes, exported for queries over a committed store.
const (
	PrefixAccount    = "a/"
	PrefixObject     = "o/"
	PrefixOwner      = "i/" // owner ‖ object ID → kind
	PrefixBlobIndex  = "b/" // blob ID ‖ object ID → empty
	PrefixAccounting = "f/"
	PrefixPool       = "p/"
	PrefixRate       = "r/"
	PrefixInvalid    = "x/"
)

func key(prefix string, parts ...[]byte) []byte {
	k := []byte(prefix)
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// AccountKey, ObjectKey, PoolKey and OwnerPrefix give the store keys of
// records, for queries over a committed store.
func AccountKey(a Address) []byte     { return key(PrefixAccount, a[:]) }
func ObjectKey(id ObjectID) []byte    { return key(PrefixObject, id[:]) }
func PoolKey(id ObjectID) []byte      { return key(PrefixPool, id[:]) }
func OwnerPrefix(a Address) []byte    { return key(PrefixOwner, a[:]) }
func BlobIndexPrefix(b BlobID) []byte { return key(PrefixBlobIndex, b[:]) }

// codec is implemented by every stored record.
type codec interface {
	encode(e *bcs.Encoder)
	decode(d *bcs.Decoder)
}

func encodeRecord(v codec) []byte {
	e := bcs.NewEncoder(64)
	v.encode(e)
	return e.Bytes()
}

func decodeRecord(b []byte, v codec) error {
	d := bcs.NewDecoder(b)
	v.decode(d)
	if err := d.Finish(); err != nil {
		return fmt.Errorf("%w: %T: %v", ErrDecode, v, err)
	}
	return nil
}

// state gives typed access to the records of an overlay.
type state struct {
	o *overlay
}

func (s state) load(k []byte, v codec) (bool, error) {
	b, ok, err := s.o.get(k)
	if err != nil || !ok {
		return false, err
	}
	if err := decodeRecord(b, v); err != nil {
		return false, fmt.Errorf("record %q: %w", k, err)
	}
	return true, nil
}

func (s state) store(k []byte, v codec) { s.o.set(k, encodeRecord(v)) }

func (s state) system() (*System, error) {
	var sys System
	ok, err := s.load([]byte(keySystem), &sys)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: no system record (genesis not applied)", ErrNotFound)
	}
	return &sys, nil
}

func (s state) putSystem(sys *System) { s.store([]byte(keySystem), sys) }

// account returns the account (a zero account if it does not exist).
func (s state) account(a Address) (*Account, error) {
	var acc Account
	_, err := s.load(AccountKey(a), &acc)
	return &acc, err
}

func (s state) putAccount(a Address, acc *Account) {
	if acc.Balance == 0 && acc.Sequence == 0 {
		s.o.del(AccountKey(a))
		return
	}
	s.store(AccountKey(a), acc)
}

func (s state) object(id ObjectID) (*Object, error) {
	var o Object
	ok, err := s.load(ObjectKey(id), &o)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return &o, nil
}

// putObject stores the object and keeps the owner index in step; prevOwner is
// the owner before (nil for a new object).
func (s state) putObject(o *Object, prevOwner *Address) {
	id := o.ID()
	if prevOwner != nil && *prevOwner != o.Owner {
		s.o.del(key(PrefixOwner, prevOwner[:], id[:]))
	}
	if prevOwner == nil || *prevOwner != o.Owner {
		s.o.set(key(PrefixOwner, o.Owner[:], id[:]), []byte{byte(o.Kind)})
	}
	s.store(ObjectKey(id), o)
}

func (s state) deleteObject(o *Object) {
	id := o.ID()
	s.o.del(key(PrefixOwner, o.Owner[:], id[:]))
	s.o.del(ObjectKey(id))
}

func (s state) accounting(epoch uint32) (*Accounting, error) {
	var a Accounting
	_, err := s.load(key(PrefixAccounting, be32(epoch)), &a)
	return &a, err
}

func (s state) putAccounting(epoch uint32, a *Accounting) {
	k := key(PrefixAccounting, be32(epoch))
	if a.Used == 0 && a.Rewards == 0 {
		s.o.del(k)
		return
	}
	s.store(k, a)
}

func (s state) pool(id ObjectID) (*Pool, error) {
	var p Pool
	ok, err := s.load(PoolKey(id), &p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: staking pool %s", ErrNotFound, id)
	}
	return &p, nil
}

func (s state) putPool(p *Pool) { s.store(PoolKey(p.NodeID), p) }

type idList []ObjectID

func (l *idList) encode(e *bcs.Encoder) {
	e.ULEB(uint32(len(*l)))
	for _, id := range *l {
		e.Fixed(id[:])
	}
}

func (l *idList) decode(d *bcs.Decoder) {
	n := d.Len(1<<20, 32)
	*l = make(idList, n)
	for i := range *l {
		d.FixedInto((*l)[i][:])
	}
}

// poolIDs returns the IDs of all pools, sorted.
func (s state) poolIDs() ([]ObjectID, error) {
	var l idList
	_, err := s.load([]byte(keyPools), &l)
	return l, err
}

func (s state) putPoolIDs(ids []ObjectID) { l := idList(ids); s.store([]byte(keyPools), &l) }

func (s state) rate(node ObjectID, epoch uint32) (Rate, bool, error) {
	b, ok, err := s.o.get(key(PrefixRate, node[:], be32(epoch)))
	if err != nil || !ok {
		return Rate{}, false, err
	}
	d := bcs.NewDecoder(b)
	r := Rate{Wal: d.U64(), Shares: d.U64()}
	if err := d.Finish(); err != nil {
		return Rate{}, false, fmt.Errorf("%w: rate: %v", ErrDecode, err)
	}
	return r, true, nil
}

func (s state) putRate(node ObjectID, epoch uint32, r Rate) {
	e := bcs.NewEncoder(16)
	e.U64(r.Wal)
	e.U64(r.Shares)
	s.o.set(key(PrefixRate, node[:], be32(epoch)), e.Bytes())
}

func (s state) committee(k string) (*Committee, error) {
	var c Committee
	ok, err := s.load([]byte(k), &c)
	if err != nil || !ok {
		return nil, err
	}
	return &c, nil
}

func (s state) putCommittee(k string, c *Committee) {
	if c == nil {
		s.o.del([]byte(k))
		return
	}
	s.store([]byte(k), c)
}
