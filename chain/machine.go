package chain

import (
	"fmt"
	"math"
	"math/bits"
	"time"
)

// DefaultCommitteeCache is the number of epochs whose protocol committee a
// Machine keeps.
const DefaultCommitteeCache = 2

// Config configures a Machine. The zero value is the default.
type Config struct {
	// CommitteeCache is the number of epochs whose protocol committee (keys
	// parsed and summed for certificate verification) is kept;
	// 0 means DefaultCommitteeCache.
	CommitteeCache int
}

// Validate reports an invalid field.
func (c Config) Validate() error {
	if c.CommitteeCache < 0 {
		return fmt.Errorf("%w: config: negative CommitteeCache %d", ErrInvalidArgument, c.CommitteeCache)
	}
	return nil
}

// Machine applies blocks of transactions. It holds no state of its own: the
// state is the Store given to each block. Certificates and proofs of
// possession are verified with the protocol package (BLS12-381 min-pk). A
// Machine is safe for concurrent use; its only shared data is a cache of
// committees that never changes an outcome.
type Machine struct {
	committees *committeeCache
}

// New returns a Machine.
func New(cfg Config) (*Machine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := cfg.CommitteeCache
	if n == 0 {
		n = DefaultCommitteeCache
	}
	return &Machine{committees: &committeeCache{max: n}}, nil
}

// Block accumulates the writes and events of one block over a base store.
type Block struct {
	m      *Machine
	o      *overlay
	height uint64
	timeMs uint64
	events []Event
}

// TxResult is the outcome of one transaction in a block.
type TxResult struct {
	Hash [32]byte
	// Err is nil on success. A transaction that fails authentication
	// (decoding, signature, sequence, fee) changes nothing; one whose
	// messages fail pays its fee and uses its sequence number, and nothing
	// else changes.
	Err error
	// Charged reports whether the fee was paid and the sequence used.
	Charged bool
	// Events emitted by the transaction; FirstEvent is the index in the
	// block of the first of them.
	Events     []Event
	FirstEvent uint32
}

// BeginBlock starts a block at the given height and time and runs the
// time-driven steps of the epoch state machine whose time has come.
func (m *Machine) BeginBlock(base Store, height uint64, t time.Time) (*Block, error) {
	ms := t.UnixMilli()
	if ms < 0 {
		return nil, fmt.Errorf("%w: block time %v before 1970", ErrInvalidArgument, t)
	}
	b := &Block{m: m, o: newOverlay(storeGetter{base}), height: height, timeMs: uint64(ms)}
	x := b.newExec(b.o, [32]byte{})
	if err := x.loadSystem(); err != nil {
		return nil, err
	}
	if err := x.advanceEpochs(); err != nil {
		return nil, fmt.Errorf("block %d: %w", height, err)
	}
	x.flushSystem()
	b.events = append(b.events, x.events...)
	return b, nil
}

// Height returns the block's height.
func (b *Block) Height() uint64 { return b.height }

// Events returns every event of the block so far, in order; the index of an
// event is its position here.
func (b *Block) Events() []Event { return b.events }

// WriteSet returns the block's writes sorted by key.
func (b *Block) WriteSet() []Write { return b.o.writeSet() }

// DeliverTx applies an encoded transaction to the block.
func (b *Block) DeliverTx(raw []byte) TxResult { return b.apply(raw, true) }

// CheckTx applies a transaction only if it succeeds entirely: a mempool
// check against a block used as the check state.
func (b *Block) CheckTx(raw []byte) TxResult { return b.apply(raw, false) }

func (b *Block) apply(raw []byte, chargeFailures bool) TxResult {
	res := TxResult{Hash: TxHash(raw)}
	tx, err := DecodeTx(raw)
	if err != nil {
		res.Err = err
		return res
	}
	auth := newOverlay(b.o)
	x := b.newExec(auth, res.Hash)
	if err := x.authenticate(tx); err != nil {
		res.Err = err
		return res
	}
	msgs := newOverlay(auth)
	x.st = state{msgs}
	x.sender = tx.SenderAddress()
	if err := x.loadSystem(); err != nil {
		res.Err = err
		return res
	}
	for i, m := range tx.Msgs {
		if err := x.dispatch(m); err != nil {
			res.Err = fmt.Errorf("message %d (%T): %w", i, m, err)
			break
		}
	}
	if res.Err == nil {
		x.flushSystem()
		msgs.mergeInto(auth)
	} else if !chargeFailures {
		return res
	}
	auth.mergeInto(b.o)
	res.Charged = true
	if res.Err == nil {
		res.FirstEvent = uint32(len(b.events))
		res.Events = x.events
		b.events = append(b.events, x.events...)
	}
	return res
}

// exec is the context of one transaction (or of the block-boundary steps).
type exec struct {
	m        *Machine
	st       state
	sys      *System
	sysDirty bool
	sender   Address
	txHash   [32]byte
	counter  uint32
	// reserved is the storage resource the latest MsgReserveSpace or
	// MsgReserveSpaceFor of this transaction created (hasReserved), which a
	// MsgRegisterBlob names with StorageFromThisTx.
	reserved    ObjectID
	hasReserved bool
	timeMs      uint64
	events      []Event
}

func (b *Block) newExec(o *overlay, txHash [32]byte) *exec {
	return &exec{m: b.m, st: state{o}, txHash: txHash, timeMs: b.timeMs}
}

func (x *exec) loadSystem() error {
	sys, err := x.st.system()
	if err != nil {
		return err
	}
	x.sys = sys
	x.sysDirty = false
	return nil
}

func (x *exec) flushSystem() {
	if x.sysDirty {
		x.st.putSystem(x.sys)
		x.sysDirty = false
	}
}

func (x *exec) emit(ev Event) { x.events = append(x.events, ev) }

func (x *exec) newID() ObjectID {
	id := deriveObjectID(x.txHash, x.counter)
	x.counter++
	return id
}

// authenticate checks the signature, sequence and fee and charges the fee
// (into the current epoch's rewards) and the sequence number.
func (x *exec) authenticate(tx *Tx) error {
	sys, err := x.st.system()
	if err != nil {
		return err
	}
	if err := tx.Verify(sys.ChainID); err != nil {
		return err
	}
	addr := tx.SenderAddress()
	acc, err := x.st.account(addr)
	if err != nil {
		return err
	}
	if tx.Sequence != acc.Sequence {
		return fmt.Errorf("%w: %s sent %d, expected %d", ErrSequence, addr, tx.Sequence, acc.Sequence)
	}
	if tx.Fee < sys.MinFee {
		return fmt.Errorf("%w: %d < %d", ErrFee, tx.Fee, sys.MinFee)
	}
	if sponsoredByFaucet(sys, tx) {
		// The faucet pays its own transactions' fee (it mints it), so that
		// a new, empty account can get its first WAL.
		minted, err := add64(sys.Minted, tx.Fee)
		if err != nil {
			return err
		}
		sys.Minted = minted
		x.st.putSystem(sys)
		acc.Sequence++
		x.st.putAccount(addr, acc)
		return x.addRewards(sys.Epoch, tx.Fee)
	}
	if acc.Balance < tx.Fee {
		return fmt.Errorf("%w: fee %d, balance %d of %s", ErrInsufficientFunds, tx.Fee, acc.Balance, addr)
	}
	acc.Balance -= tx.Fee
	acc.Sequence++
	x.st.putAccount(addr, acc)
	return x.addRewards(sys.Epoch, tx.Fee)
}

// sponsoredByFaucet: a transaction whose only message is a valid faucet
// request on a chain with the faucet enabled has its fee minted instead of
// debited. Only valid requests are sponsored, so a sponsored transaction
// cannot fail and pay nothing.
func sponsoredByFaucet(sys *System, tx *Tx) bool {
	if len(tx.Msgs) != 1 || !sys.FaucetEnabled {
		return false
	}
	m, ok := tx.Msgs[0].(*MsgFaucet)
	return ok && m.Amount > 0 && m.Amount <= sys.FaucetMax
}

func (x *exec) dispatch(m Msg) error {
	switch m := m.(type) {
	case *MsgTransfer:
		return x.transfer(m)
	case *MsgFaucet:
		return x.faucet(m)
	case *MsgReserveSpace:
		return x.reserveSpace(m)
	case *MsgReserveSpaceFor:
		return x.reserveSpaceFor(m)
	case *MsgSplitStorageByEpoch:
		return x.splitByEpoch(m)
	case *MsgSplitStorageBySize:
		return x.splitBySize(m)
	case *MsgFuseStorage:
		return x.fuseStorage(m)
	case *MsgExtendStorage:
		return x.extendStorage(m)
	case *MsgRegisterBlob:
		return x.registerBlob(m)
	case *MsgCertifyBlob:
		return x.certifyBlob(m)
	case *MsgExtendBlob:
		return x.extendBlob(m)
	case *MsgExtendBlobWithStorage:
		return x.extendBlobWithStorage(m)
	case *MsgDeleteBlob:
		return x.deleteBlob(m)
	case *MsgBurnBlob:
		return x.burnBlob(m)
	case *MsgSetAttribute:
		return x.setAttribute(m)
	case *MsgRemoveAttribute:
		return x.removeAttribute(m)
	case *MsgTransferObject:
		return x.transferObject(m)
	case *MsgShareBlob:
		return x.shareBlob(m)
	case *MsgFundSharedBlob:
		return x.fundSharedBlob(m)
	case *MsgExtendSharedBlob:
		return x.extendSharedBlob(m)
	case *MsgInvalidateBlob:
		return x.invalidateBlob(m)
	case *MsgRegisterCandidate:
		return x.registerCandidate(m)
	case *MsgSetVotes:
		return x.setVotes(m)
	case *MsgSetCommission:
		return x.setCommission(m)
	case *MsgStake:
		return x.stake(m)
	case *MsgRequestWithdraw:
		return x.requestWithdraw(m)
	case *MsgWithdraw:
		return x.withdraw(m)
	case *MsgCollectCommission:
		return x.collectCommission(m)
	case *MsgEpochSyncDone:
		return x.epochSyncDone(m)
	}
	return fmt.Errorf("%w: unknown message %T", ErrInvalidArgument, m)
}

// debit takes amount from the account's balance.
func (x *exec) debit(a Address, amount uint64, what string) error {
	acc, err := x.st.account(a)
	if err != nil {
		return err
	}
	if acc.Balance < amount {
		return fmt.Errorf("%w: %s costs %d, balance of %s is %d", ErrInsufficientFunds, what, amount, a, acc.Balance)
	}
	acc.Balance -= amount
	x.st.putAccount(a, acc)
	return nil
}

// credit adds amount to the account's balance.
func (x *exec) credit(a Address, amount uint64) error {
	acc, err := x.st.account(a)
	if err != nil {
		return err
	}
	if acc.Balance, err = add64(acc.Balance, amount); err != nil {
		return fmt.Errorf("balance of %s: %w", a, err)
	}
	x.st.putAccount(a, acc)
	return nil
}

// addRewards adds amount to the reward bucket of epoch.
func (x *exec) addRewards(epoch uint32, amount uint64) error {
	if amount == 0 {
		return nil
	}
	acc, err := x.st.accounting(epoch)
	if err != nil {
		return err
	}
	if acc.Rewards, err = add64(acc.Rewards, amount); err != nil {
		return fmt.Errorf("rewards of epoch %d: %w", epoch, err)
	}
	x.st.putAccounting(epoch, acc)
	return nil
}

func (x *exec) transfer(m *MsgTransfer) error {
	if m.Amount == 0 {
		return fmt.Errorf("%w: transfer of 0", ErrInvalidArgument)
	}
	if err := x.debit(x.sender, m.Amount, "transfer"); err != nil {
		return err
	}
	return x.credit(m.To, m.Amount)
}

func (x *exec) faucet(m *MsgFaucet) error {
	if !x.sys.FaucetEnabled {
		return ErrFaucetDisabled
	}
	if m.Amount == 0 || m.Amount > x.sys.FaucetMax {
		return fmt.Errorf("%w: faucet amount %d (1..%d)", ErrInvalidArgument, m.Amount, x.sys.FaucetMax)
	}
	minted, err := add64(x.sys.Minted, m.Amount)
	if err != nil {
		return err
	}
	x.sys.Minted = minted
	x.sysDirty = true
	return x.credit(x.sender, m.Amount)
}

// ownedObject loads an object that the sender owns and that has kind k.
func (x *exec) ownedObject(id ObjectID, k ObjectKind) (*Object, error) {
	o, err := x.st.object(id)
	if err != nil {
		return nil, err
	}
	if o.Kind != k {
		return nil, fmt.Errorf("%w: %s is a %s, not a %s", ErrWrongKind, id, o.Kind, k)
	}
	if o.Owner != x.sender {
		return nil, fmt.Errorf("%w: %s is owned by %s", ErrNotOwner, id, o.Owner)
	}
	return o, nil
}

func (x *exec) transferObject(m *MsgTransferObject) error {
	o, err := x.st.object(m.Object)
	if err != nil {
		return err
	}
	if o.Kind == KindSharedBlob {
		return fmt.Errorf("%w: shared blob %s cannot be transferred", ErrWrongKind, m.Object)
	}
	if o.Owner != x.sender {
		return fmt.Errorf("%w: %s is owned by %s", ErrNotOwner, m.Object, o.Owner)
	}
	if m.To == (Address{}) {
		return fmt.Errorf("%w: transfer to the zero address", ErrInvalidArgument)
	}
	prev := o.Owner
	o.Owner = m.To
	x.st.putObject(o, &prev)
	return nil
}

func add64(a, b uint64) (uint64, error) {
	s, c := bits.Add64(a, b, 0)
	if c != 0 {
		return 0, fmt.Errorf("%w: %d + %d", ErrOverflow, a, b)
	}
	return s, nil
}

func mul64(a, b uint64) (uint64, error) {
	hi, lo := bits.Mul64(a, b)
	if hi != 0 {
		return 0, fmt.Errorf("%w: %d × %d", ErrOverflow, a, b)
	}
	return lo, nil
}

// mulDiv returns floor(a*b/c), saturating at MaxUint64; c must not be 0.
func mulDiv(a, b, c uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi >= c {
		return math.MaxUint64
	}
	q, _ := bits.Div64(hi, lo, c)
	return q
}

// storageUnits returns ceil(size / 1 MiB).
func storageUnits(size uint64) uint64 { return size/StorageUnit + min(size%StorageUnit, 1) }
