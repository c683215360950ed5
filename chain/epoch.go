package chain

import (
	"bytes"
	"fmt"
	"math"
	"math/bits"
	"slices"
)

// BurnPercent is the share of each epoch's rewards that is burned.
const BurnPercent = 3

// advanceEpochs runs the time-driven steps whose time has come: voting end
// at mid-epoch (once the epoch change is done) and the epoch change at the
// end of the epoch (once the next committee is selected).
func (x *exec) advanceEpochs() error {
	s := x.sys
	if s.State == StateChangeDone && x.timeMs >= s.EpochStartMs+s.EpochDurationMs/2 {
		if err := x.votingEnd(); err != nil {
			return fmt.Errorf("voting end of epoch %d: %w", s.Epoch, err)
		}
	}
	if s.State == StateParamsSelected && x.timeMs >= s.EpochStartMs+s.EpochDurationMs {
		if err := x.epochChange(); err != nil {
			return fmt.Errorf("change to epoch %d: %w", s.Epoch+1, err)
		}
	}
	return nil
}

func (x *exec) pools() ([]*Pool, error) {
	ids, err := x.st.poolIDs()
	if err != nil {
		return nil, err
	}
	ps := make([]*Pool, len(ids))
	for i, id := range ids {
		if ps[i], err = x.st.pool(id); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

// nextStake returns the pool's stake in epoch e (the next epoch): active
// stake plus stake activated at e minus withdrawals at e.
func nextStake(p *Pool, e uint32) uint64 {
	cur := Rate{Wal: p.ActiveStake, Shares: p.Shares}
	s := p.ActiveStake + amountAt(p.PendingStake, e)
	return s - min(s, cur.toWal(amountAt(p.PendingWithdraw, e)))
}

// votingEnd selects the next committee and its capacity.
func (x *exec) votingEnd() error {
	s := x.sys
	pools, err := x.pools()
	if err != nil {
		return err
	}
	cur, err := x.st.committee(keyCommitteeCur)
	if err != nil {
		return err
	}
	type cand struct {
		p     *Pool
		stake uint64
	}
	var cands []cand
	for _, p := range pools {
		if st := nextStake(p, s.Epoch+1); st > 0 {
			cands = append(cands, cand{p, st})
		}
	}
	slices.SortStableFunc(cands, func(a, b cand) int {
		if a.stake != b.stake {
			if a.stake > b.stake {
				return -1
			}
			return 1
		}
		return bytes.Compare(a.p.NodeID[:], b.p.NodeID[:])
	})
	if len(cands) > int(s.MaxActiveSet) {
		cands = cands[:s.MaxActiveSet]
	}
	var next *Committee
	if len(cands) == 0 {
		// No stake at all: keep the current committee.
		c := *cur
		next = &c
	} else {
		stakes := make([]uint64, len(cands))
		ids := make([]ObjectID, len(cands))
		keys := make(map[ObjectID][BLSPublicKeySize]byte, len(cands))
		for i, c := range cands {
			stakes[i], ids[i] = c.stake, c.p.NodeID
			keys[c.p.NodeID] = c.p.PublicKey
		}
		counts := Apportion(stakes, int(s.NShards))
		next = AssignShards(cur, ids, counts, s.NShards)
		for i := range next.Members {
			next.Members[i].PublicKey = keys[next.Members[i].NodeID]
		}
	}
	next.Epoch = s.Epoch + 1
	x.st.putCommittee(keyCommitteeNext, next)

	votes := make([]vote, 0, len(next.Members))
	for _, m := range next.Members {
		p, err := x.st.pool(m.NodeID)
		if err != nil {
			return err
		}
		votes = append(votes, vote{value: capacityVote(p.Capacity, uint64(s.NShards), uint64(m.Weight())), weight: uint64(m.Weight())})
	}
	s.NextCapacity = capacityQuantile(votes, uint64(s.NShards))
	for _, p := range pools {
		if p.CommissionPending > 0 {
			p.CommissionCollectable += p.CommissionPending
			p.CommissionPending = 0
			x.st.putPool(p)
		}
	}
	s.State = StateParamsSelected
	x.sysDirty = true
	x.emit(&EpochParametersSelected{NextEpoch: s.Epoch + 1})
	return nil
}

// epochChange starts the next epoch: rewards of the ending epoch to its
// committee, pools advance, committees rotate, prices and capacity update.
func (x *exec) epochChange() error {
	s := x.sys
	old := s.Epoch
	e := old + 1
	cur, err := x.st.committee(keyCommitteeCur)
	if err != nil {
		return err
	}
	next, err := x.st.committee(keyCommitteeNext)
	if err != nil {
		return err
	}
	if next == nil {
		return fmt.Errorf("%w: no next committee", ErrEpochState)
	}
	// Rewards of the ending epoch: 3% burned, the rest to its committee by
	// shard count; the remainder rolls over to the new epoch.
	acc, err := x.st.accounting(old)
	if err != nil {
		return err
	}
	burn := acc.Rewards * BurnPercent / 100
	rest := acc.Rewards - burn
	s.Burned += burn
	rewards := make(map[ObjectID]uint64)
	var paid uint64
	if cur != nil && cur.NShards > 0 {
		for _, m := range cur.Members {
			r := mulDiv(rest, uint64(m.Weight()), uint64(cur.NShards))
			rewards[m.NodeID] = r
			paid += r
		}
	}
	x.st.putAccounting(old, &Accounting{})
	if err := x.addRewards(e, rest-paid); err != nil {
		return err
	}
	pools, err := x.pools()
	if err != nil {
		return err
	}
	for _, p := range pools {
		if r := rewards[p.NodeID]; r > 0 {
			c := mulDiv(r, uint64(p.Commission), MaxCommission)
			p.CommissionPending += c
			p.ActiveStake += r - c
		}
		x.st.putRate(p.NodeID, e, advancePool(p, e))
		x.st.putPool(p)
	}
	x.st.putCommittee(keyCommitteePrev, cur)
	x.st.putCommittee(keyCommitteeCur, next)
	x.st.putCommittee(keyCommitteeNext, nil)
	s.Epoch = e
	s.State = StateChangeSync
	s.SyncedWeight = 0
	s.EpochStartMs += s.EpochDurationMs
	newAcc, err := x.st.accounting(e)
	if err != nil {
		return err
	}
	s.TotalCapacity = max(s.NextCapacity, newAcc.Used)
	x.sysDirty = true
	x.emit(&EpochChangeStart{Epoch: e})
	return x.updatePrices()
}

// advancePool moves a pool into epoch e after its rewards were added:
// commission changes due at e apply, withdrawals due at e leave the active
// stake at the pool's rate, and stake due at e activates at that rate. It
// returns that rate, the pool's exchange rate of epoch e (recorded by the
// caller, as Walrus records it before processing pending stake): the shares
// of stake activated at e were bought at it and the shares withdrawn at e
// sold at it. (The rate after processing differs by rounding, and is 1:1
// for a pool that every staker left, which would strip the last stakers of
// their rewards.)
func advancePool(p *Pool, e uint32) Rate {
	var rate uint64
	for len(p.PendingCommission) > 0 && p.PendingCommission[0].Epoch <= e {
		rate = p.PendingCommission[0].Amount
		p.Commission = uint16(rate)
		p.PendingCommission = p.PendingCommission[1:]
	}
	r := Rate{Wal: p.ActiveStake, Shares: p.Shares}
	var shares, stake uint64
	p.PendingWithdraw, shares = takeEpochAmount(p.PendingWithdraw, e)
	if shares > 0 {
		wal := min(r.toWal(shares), p.ActiveStake)
		p.ActiveStake -= wal
		p.Shares -= min(shares, p.Shares)
		p.Withdrawable += wal
	}
	p.PendingStake, stake = takeEpochAmount(p.PendingStake, e)
	if stake > 0 {
		p.Shares += r.toShares(stake)
		p.ActiveStake += stake
	}
	if p.Shares == 0 && p.ActiveStake > 0 {
		// Rewards left in an emptied pool go to the next stakers, 1:1.
		p.Shares = p.ActiveStake
	}
	return r
}

// updatePrices recomputes the prices from the current committee's votes.
func (x *exec) updatePrices() error {
	s := x.sys
	com, err := x.st.committee(keyCommitteeCur)
	if err != nil || com == nil {
		return err
	}
	var sp, wp []vote
	for _, m := range com.Members {
		p, err := x.st.pool(m.NodeID)
		if err != nil {
			return err
		}
		sp = append(sp, vote{value: p.StoragePrice, weight: uint64(m.Weight())})
		wp = append(wp, vote{value: p.WritePrice, weight: uint64(m.Weight())})
	}
	n := uint64(com.NShards)
	storage, write := priceQuantile(sp, n), priceQuantile(wp, n)
	if storage != s.StoragePrice || write != s.WritePrice {
		s.StoragePrice, s.WritePrice = storage, write
		x.sysDirty = true
		x.emit(&PricesUpdated{Epoch: s.Epoch, StoragePrice: storage, WritePrice: write})
	}
	return nil
}

type vote struct {
	value, weight uint64
}

// priceQuantile returns the lowest value such that voters with a quorum of
// the shards voted that value or less.
func priceQuantile(votes []vote, n uint64) uint64 {
	v := slices.Clone(votes)
	slices.SortStableFunc(v, func(a, b vote) int { return cmpU64(a.value, b.value) })
	var w uint64
	for _, x := range v {
		w += x.weight
		if isQuorum(w, n) {
			return x.value
		}
	}
	if len(v) == 0 {
		return 0
	}
	return v[len(v)-1].value
}

// capacityQuantile returns the highest value such that voters with a quorum
// of the shards voted that value or more.
func capacityQuantile(votes []vote, n uint64) uint64 {
	v := slices.Clone(votes)
	slices.SortStableFunc(v, func(a, b vote) int { return cmpU64(b.value, a.value) })
	var w uint64
	for _, x := range v {
		w += x.weight
		if isQuorum(w, n) {
			return x.value
		}
	}
	if len(v) == 0 {
		return 0
	}
	return v[len(v)-1].value
}

// capacityVote scales a node's capacity vote to the whole system:
// capacity × n_shards / node_shards (saturating).
func capacityVote(capacity, nShards, shards uint64) uint64 {
	if shards == 0 {
		return 0
	}
	return mulDiv(capacity, nShards, shards)
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Apportion distributes n shards over nodes by stake (given in active-set
// order) with D'Hondt's method, started from the Hagenbach-Bischoff lower
// bound and capped per node: n/10 shards with 20 nodes or more, else
// ceil(2n/nodes). Ties go to the node earlier in the order.
func Apportion(stakes []uint64, n int) []int {
	k := len(stakes)
	out := make([]int, k)
	if k == 0 || n == 0 {
		return out
	}
	var capN int
	if k >= 20 {
		capN = n / 10
	} else {
		capN = (2*n + k - 1) / k
	}
	capN = max(capN, (n+k-1)/k)
	var total uint64
	for _, s := range stakes {
		var c uint64
		total, c = bits.Add64(total, s, 0)
		if c != 0 {
			total = math.MaxUint64
		}
	}
	q := total/uint64(n+1) + 1
	left := n
	for i, s := range stakes {
		out[i] = min(capN, int(s/q))
		left -= out[i]
	}
	for ; left > 0; left-- {
		best := -1
		for i, s := range stakes {
			if out[i] >= capN {
				continue
			}
			// s/(out[i]+1) > stakes[best]/(out[best]+1)
			if best < 0 || greaterRatio(s, uint64(out[i]+1), stakes[best], uint64(out[best]+1)) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		out[best]++
	}
	return out
}

// greaterRatio reports a/b > c/d with 128-bit products.
func greaterRatio(a, b, c, d uint64) bool {
	h1, l1 := bits.Mul64(a, d)
	h2, l2 := bits.Mul64(c, b)
	return h1 > h2 || (h1 == h2 && l1 > l2)
}

// AssignShards gives each node (ids, with shard counts counts) its shards,
// returning the committee sorted by node ID. Without a previous committee
// shards are dealt in node-ID order; otherwise nodes keep the shards they
// hold, shrinking nodes give up their highest shards, and growing or new
// nodes take the freed shards, lowest first, in node-ID order. Nodes with no
// shard are left out. Public keys are left for the caller to fill.
func AssignShards(prev *Committee, ids []ObjectID, counts []int, nShards uint16) *Committee {
	type node struct {
		id    ObjectID
		count int
	}
	var nodes []node
	for i, id := range ids {
		if counts[i] > 0 {
			nodes = append(nodes, node{id, counts[i]})
		}
	}
	slices.SortFunc(nodes, func(a, b node) int { return bytes.Compare(a.id[:], b.id[:]) })
	c := &Committee{NShards: nShards, Members: make([]Member, len(nodes))}
	if prev == nil {
		next := uint16(0)
		for i, nd := range nodes {
			c.Members[i].NodeID = nd.id
			for range nd.count {
				c.Members[i].Shards = append(c.Members[i].Shards, next)
				next++
			}
		}
		return c
	}
	held := make([]bool, nShards)
	for i, nd := range nodes {
		c.Members[i].NodeID = nd.id
		if j := prev.Index(nd.id); j >= 0 {
			old := slices.Clone(prev.Members[j].Shards)
			slices.Sort(old)
			keep := old[:min(len(old), nd.count)]
			for _, s := range keep {
				if int(s) < int(nShards) {
					held[s] = true
					c.Members[i].Shards = append(c.Members[i].Shards, s)
				}
			}
		}
	}
	var free []uint16
	for s := range int(nShards) {
		if !held[s] {
			free = append(free, uint16(s))
		}
	}
	for i, nd := range nodes {
		m := &c.Members[i]
		need := min(nd.count-len(m.Shards), len(free))
		if need > 0 {
			m.Shards = append(m.Shards, free[:need]...)
			free = free[need:]
			slices.Sort(m.Shards)
		}
	}
	return c
}
