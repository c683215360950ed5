package chain

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/walrus-go/walrus/crypto/bls"
	"github.com/walrus-go/walrus/protocol"
)

// MaxCommission is 100% in basis points.
const MaxCommission = 10_000

// operatedPool loads a pool whose operator is the sender.
func (x *exec) operatedPool(node ObjectID) (*Pool, error) {
	p, err := x.st.pool(node)
	if err != nil {
		return nil, err
	}
	if p.Operator != x.sender {
		return nil, fmt.Errorf("%w: node %s is operated by %s", ErrNotOperator, node, p.Operator)
	}
	return p, nil
}

func (x *exec) registerCandidate(m *MsgRegisterCandidate) error {
	switch {
	case m.Name == "":
		return fmt.Errorf("%w: empty node name", ErrInvalidArgument)
	case m.NetworkAddress == "":
		return fmt.Errorf("%w: empty network address", ErrInvalidArgument)
	case len(m.NetworkPublicKey) == 0:
		return fmt.Errorf("%w: empty network public key", ErrInvalidArgument)
	case m.Commission > MaxCommission:
		return fmt.Errorf("%w: commission %d basis points > %d", ErrInvalidArgument, m.Commission, MaxCommission)
	}
	if err := verifyPossession(x.sys.Epoch, x.sender, m.PublicKey, m.ProofOfPossession); err != nil {
		return err
	}
	ids, err := x.st.poolIDs()
	if err != nil {
		return err
	}
	for _, id := range ids {
		p, err := x.st.pool(id)
		if err != nil {
			return err
		}
		if p.PublicKey == m.PublicKey {
			return fmt.Errorf("%w: BLS key already registered by node %s", ErrInvalidArgument, id)
		}
	}
	p := &Pool{
		NodeID: x.newID(), Operator: x.sender, Name: m.Name, NetworkAddress: m.NetworkAddress,
		PublicKey: m.PublicKey, NetworkPublicKey: bytes.Clone(m.NetworkPublicKey), Commission: m.Commission,
		StoragePrice: m.StoragePrice, WritePrice: m.WritePrice, Capacity: m.Capacity,
	}
	x.addPool(ids, p)
	return nil
}

func (x *exec) addPool(ids []ObjectID, p *Pool) {
	i, _ := slices.BinarySearchFunc(ids, p.NodeID, func(a, b ObjectID) int { return bytes.Compare(a[:], b[:]) })
	x.st.putPoolIDs(slices.Insert(ids, i, p.NodeID))
	x.st.putPool(p)
}

func (x *exec) setVotes(m *MsgSetVotes) error {
	p, err := x.operatedPool(m.Node)
	if err != nil {
		return err
	}
	p.StoragePrice, p.WritePrice, p.Capacity = m.StoragePrice, m.WritePrice, m.Capacity
	x.st.putPool(p)
	// Prices follow the current committee's votes at once.
	return x.updatePrices()
}

func (x *exec) setCommission(m *MsgSetCommission) error {
	p, err := x.operatedPool(m.Node)
	if err != nil {
		return err
	}
	if m.Rate > MaxCommission {
		return fmt.Errorf("%w: commission %d basis points > %d", ErrInvalidArgument, m.Rate, MaxCommission)
	}
	at := x.sys.Epoch + 2
	p.PendingCommission, _ = takeEpochAmount(p.PendingCommission, at)
	p.PendingCommission = addEpochAmount(p.PendingCommission, at, uint64(m.Rate))
	x.st.putPool(p)
	return nil
}

// inNextCommittee reports whether the node is in the selected next committee.
func (x *exec) inNextCommittee(node ObjectID) (bool, error) {
	if x.sys.State != StateParamsSelected {
		return false, nil
	}
	c, err := x.st.committee(keyCommitteeNext)
	if err != nil || c == nil {
		return false, err
	}
	return c.Index(node) >= 0, nil
}

func (x *exec) stake(m *MsgStake) error {
	if m.Amount == 0 {
		return fmt.Errorf("%w: stake of 0", ErrStake)
	}
	p, err := x.st.pool(m.Node)
	if err != nil {
		return err
	}
	if err := x.debit(x.sender, m.Amount, "stake"); err != nil {
		return err
	}
	// Stake counts from the next epoch, or the one after if the next
	// committee is already selected.
	act := x.sys.Epoch + 1
	if x.sys.State == StateParamsSelected {
		act++
	}
	p.PendingStake = addEpochAmount(p.PendingStake, act, m.Amount)
	x.st.putPool(p)
	s := &StakedWAL{ID: x.newID(), NodeID: m.Node, Principal: m.Amount, ActivationEpoch: act}
	x.st.putObject(&Object{Owner: x.sender, Kind: KindStakedWAL, Staked: s}, nil)
	return nil
}

func (x *exec) requestWithdraw(m *MsgRequestWithdraw) error {
	o, err := x.ownedObject(m.Staked, KindStakedWAL)
	if err != nil {
		return err
	}
	s := o.Staked
	if s.Withdrawing {
		return fmt.Errorf("%w: withdrawal of %s already requested", ErrStake, s.ID)
	}
	p, err := x.st.pool(s.NodeID)
	if err != nil {
		return err
	}
	if x.sys.Epoch < s.ActivationEpoch {
		// Not active yet: withdraw at once.
		var pending uint64
		p.PendingStake, pending = takeEpochAmount(p.PendingStake, s.ActivationEpoch)
		if pending < s.Principal {
			return fmt.Errorf("%w: pool %s has %d pending at epoch %d, stake %s holds %d", ErrStake, p.NodeID, pending, s.ActivationEpoch, s.ID, s.Principal)
		}
		if rest := pending - s.Principal; rest > 0 {
			p.PendingStake = addEpochAmount(p.PendingStake, s.ActivationEpoch, rest)
		}
		x.st.putPool(p)
		x.st.deleteObject(o)
		return x.credit(x.sender, s.Principal)
	}
	r, ok, err := x.st.rate(s.NodeID, s.ActivationEpoch)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: no exchange rate of pool %s at epoch %d", ErrStake, s.NodeID, s.ActivationEpoch)
	}
	next, err := x.inNextCommittee(s.NodeID)
	if err != nil {
		return err
	}
	w := x.sys.Epoch + 1
	if next {
		w++
	}
	s.Withdrawing, s.WithdrawEpoch, s.Shares = true, w, r.toShares(s.Principal)
	p.PendingWithdraw = addEpochAmount(p.PendingWithdraw, w, s.Shares)
	x.st.putPool(p)
	owner := o.Owner
	x.st.putObject(o, &owner)
	return nil
}

func (x *exec) withdraw(m *MsgWithdraw) error {
	o, err := x.ownedObject(m.Staked, KindStakedWAL)
	if err != nil {
		return err
	}
	s := o.Staked
	if !s.Withdrawing {
		return fmt.Errorf("%w: no withdrawal requested for %s", ErrStake, s.ID)
	}
	if x.sys.Epoch < s.WithdrawEpoch {
		return fmt.Errorf("%w: %s can be withdrawn from epoch %d, current epoch is %d", ErrStake, s.ID, s.WithdrawEpoch, x.sys.Epoch)
	}
	p, err := x.st.pool(s.NodeID)
	if err != nil {
		return err
	}
	r, ok, err := x.st.rate(s.NodeID, s.WithdrawEpoch)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: no exchange rate of pool %s at epoch %d", ErrStake, s.NodeID, s.WithdrawEpoch)
	}
	amount := min(r.toWal(s.Shares), p.Withdrawable)
	p.Withdrawable -= amount
	x.st.putPool(p)
	x.st.deleteObject(o)
	return x.credit(x.sender, amount)
}

func (x *exec) collectCommission(m *MsgCollectCommission) error {
	p, err := x.operatedPool(m.Node)
	if err != nil {
		return err
	}
	amount := p.CommissionCollectable
	p.CommissionCollectable = 0
	x.st.putPool(p)
	return x.credit(x.sender, amount)
}

func (x *exec) epochSyncDone(m *MsgEpochSyncDone) error {
	p, err := x.operatedPool(m.Node)
	if err != nil {
		return err
	}
	if m.Epoch != x.sys.Epoch {
		return fmt.Errorf("%w: sync done for epoch %d, current epoch is %d", ErrEpochState, m.Epoch, x.sys.Epoch)
	}
	if p.LastSyncEpoch >= m.Epoch {
		return fmt.Errorf("%w: node %s already reported epoch %d", ErrEpochState, m.Node, m.Epoch)
	}
	com, err := x.st.committee(keyCommitteeCur)
	if err != nil {
		return err
	}
	i := -1
	if com != nil {
		i = com.Index(m.Node)
	}
	if i < 0 {
		return fmt.Errorf("%w: node %s in epoch %d", ErrNotInCommittee, m.Node, m.Epoch)
	}
	p.LastSyncEpoch = m.Epoch
	x.st.putPool(p)
	x.emit(&ShardsReceived{Epoch: m.Epoch, Shards: slices.Clone(com.Members[i].Shards)})
	if x.sys.State != StateChangeSync {
		return nil // late report: the epoch change is already done
	}
	x.sys.SyncedWeight += uint32(com.Members[i].Weight())
	x.sysDirty = true
	if isQuorum(uint64(x.sys.SyncedWeight), uint64(com.NShards)) {
		x.sys.State = StateChangeDone
		x.emit(&EpochChangeDone{Epoch: m.Epoch})
	}
	return nil
}

// verifyPossession checks a proof of possession of a BLS key: the
// operator's signature, by that key, over protocol.ProofOfPossession{epoch,
// operator address, key}, as register_candidate checks it.
func verifyPossession(epoch uint32, operator Address, pk [BLSPublicKeySize]byte, sig [BLSSignatureSize]byte) error {
	key, err := bls.ParsePublicKey(pk[:])
	if err != nil {
		return fmt.Errorf("%w: public key: %w", ErrPossession, err)
	}
	s, err := bls.ParseSignature(sig[:])
	if err != nil {
		return fmt.Errorf("%w: signature: %w", ErrPossession, err)
	}
	pop := protocol.ProofOfPossession{Epoch: epoch, SuiAddress: operator, PublicKey: key}
	if err := pop.Verify(s); err != nil {
		return fmt.Errorf("%w: %w", ErrPossession, err)
	}
	return nil
}
