package chain

import "fmt"

// checkPeriod checks that [start, end) is a valid period to buy: it starts
// no earlier than the current epoch and ends at most max_epochs_ahead epochs
// after it.
func (x *exec) checkPeriod(start, end uint32) error {
	cur := x.sys.Epoch
	if start < cur || start >= end {
		return fmt.Errorf("%w: [%d, %d) with current epoch %d", ErrEpochRange, start, end, cur)
	}
	if uint64(end)-uint64(cur) > uint64(x.sys.MaxEpochsAhead) {
		return fmt.Errorf("%w: end epoch %d is more than %d epochs after %d", ErrEpochRange, end, x.sys.MaxEpochsAhead, cur)
	}
	return nil
}

// storageCost returns price × ceil(size/1 MiB) × epochs.
func storageCost(price, size uint64, epochs uint32) (uint64, error) {
	c, err := mul64(price, storageUnits(size))
	if err != nil {
		return 0, err
	}
	return mul64(c, uint64(epochs))
}

// reserve accounts size bytes of capacity in every epoch of [start, end) and
// moves the storage price of each epoch into that epoch's reward bucket, paid
// by the payer function. It returns the total cost.
func (x *exec) reserve(size uint64, start, end uint32, pay func(cost uint64) error) error {
	if size == 0 {
		return fmt.Errorf("%w: storage size 0", ErrInvalidArgument)
	}
	if err := x.checkPeriod(start, end); err != nil {
		return err
	}
	perEpoch, err := storageCost(x.sys.StoragePrice, size, 1)
	if err != nil {
		return err
	}
	total, err := mul64(perEpoch, uint64(end-start))
	if err != nil {
		return err
	}
	if err := pay(total); err != nil {
		return err
	}
	for e := start; e < end; e++ {
		acc, err := x.st.accounting(e)
		if err != nil {
			return err
		}
		used, err := add64(acc.Used, size)
		if err != nil || used > x.sys.TotalCapacity {
			return fmt.Errorf("%w: epoch %d has %d of %d bytes used, %d more requested",
				ErrCapacity, e, acc.Used, x.sys.TotalCapacity, size)
		}
		acc.Used = used
		if acc.Rewards, err = add64(acc.Rewards, perEpoch); err != nil {
			return err
		}
		x.st.putAccounting(e, acc)
	}
	return nil
}

func (x *exec) payFromSender(what string) func(uint64) error {
	return func(cost uint64) error { return x.debit(x.sender, cost, what) }
}

func (x *exec) newStorage(size uint64, start, end uint32) error {
	if err := x.reserve(size, start, end, x.payFromSender("storage")); err != nil {
		return err
	}
	s := &Storage{ID: x.newID(), Start: start, End: end, Size: size}
	x.st.putObject(&Object{Owner: x.sender, Kind: KindStorage, Storage: s}, nil)
	x.reserved, x.hasReserved = s.ID, true
	return nil
}

func (x *exec) reserveSpace(m *MsgReserveSpace) error {
	if m.EpochsAhead == 0 || m.EpochsAhead > x.sys.MaxEpochsAhead {
		return fmt.Errorf("%w: epochs ahead %d (1..%d)", ErrEpochRange, m.EpochsAhead, x.sys.MaxEpochsAhead)
	}
	return x.newStorage(m.Size, x.sys.Epoch, x.sys.Epoch+m.EpochsAhead)
}

func (x *exec) reserveSpaceFor(m *MsgReserveSpaceFor) error {
	return x.newStorage(m.Size, m.Start, m.End)
}

func (x *exec) splitByEpoch(m *MsgSplitStorageByEpoch) error {
	o, err := x.ownedObject(m.Storage, KindStorage)
	if err != nil {
		return err
	}
	s := o.Storage
	if m.Epoch <= s.Start || m.Epoch >= s.End {
		return fmt.Errorf("%w: split epoch %d outside (%d, %d)", ErrEpochRange, m.Epoch, s.Start, s.End)
	}
	n := &Storage{ID: x.newID(), Start: m.Epoch, End: s.End, Size: s.Size}
	s.End = m.Epoch
	owner := o.Owner
	x.st.putObject(o, &owner)
	x.st.putObject(&Object{Owner: x.sender, Kind: KindStorage, Storage: n}, nil)
	return nil
}

func (x *exec) splitBySize(m *MsgSplitStorageBySize) error {
	o, err := x.ownedObject(m.Storage, KindStorage)
	if err != nil {
		return err
	}
	s := o.Storage
	if m.Size == 0 || m.Size >= s.Size {
		return fmt.Errorf("%w: split size %d of a %d-byte resource", ErrInvalidArgument, m.Size, s.Size)
	}
	n := &Storage{ID: x.newID(), Start: s.Start, End: s.End, Size: s.Size - m.Size}
	s.Size = m.Size
	owner := o.Owner
	x.st.putObject(o, &owner)
	x.st.putObject(&Object{Owner: x.sender, Kind: KindStorage, Storage: n}, nil)
	return nil
}

// fuse merges b into a: same period (sizes add) or same size and adjacent
// periods.
func fuse(a, b *Storage) error {
	switch {
	case a.Start == b.Start && a.End == b.End:
		size, err := add64(a.Size, b.Size)
		if err != nil {
			return err
		}
		a.Size = size
	case a.Size == b.Size && a.End == b.Start:
		a.End = b.End
	case a.Size == b.Size && b.End == a.Start:
		a.Start = b.Start
	default:
		return fmt.Errorf("%w: [%d, %d) %d bytes and [%d, %d) %d bytes share neither period nor size and adjacency",
			ErrStorageMismatch, a.Start, a.End, a.Size, b.Start, b.End, b.Size)
	}
	return nil
}

func (x *exec) fuseStorage(m *MsgFuseStorage) error {
	if m.First == m.Second {
		return fmt.Errorf("%w: cannot fuse %s with itself", ErrInvalidArgument, m.First)
	}
	a, err := x.ownedObject(m.First, KindStorage)
	if err != nil {
		return err
	}
	b, err := x.ownedObject(m.Second, KindStorage)
	if err != nil {
		return err
	}
	if err := fuse(a.Storage, b.Storage); err != nil {
		return err
	}
	owner := a.Owner
	x.st.putObject(a, &owner)
	x.st.deleteObject(b)
	return nil
}

func (x *exec) extendStorage(m *MsgExtendStorage) error {
	o, err := x.ownedObject(m.Storage, KindStorage)
	if err != nil {
		return err
	}
	s := o.Storage
	if x.sys.Epoch >= s.End {
		return fmt.Errorf("%w: storage %s ended at epoch %d", ErrExpired, s.ID, s.End)
	}
	end, err := x.extensionEnd(s.End, m.Epochs)
	if err != nil {
		return err
	}
	if err := x.reserve(s.Size, s.End, end, x.payFromSender("storage extension")); err != nil {
		return err
	}
	s.End = end
	owner := o.Owner
	x.st.putObject(o, &owner)
	return nil
}

// extensionEnd returns end+epochs after checking epochs ≥ 1 and the limit of
// max_epochs_ahead.
func (x *exec) extensionEnd(end, epochs uint32) (uint32, error) {
	if epochs == 0 {
		return 0, fmt.Errorf("%w: extension by 0 epochs", ErrEpochRange)
	}
	ne := uint64(end) + uint64(epochs)
	if ne-uint64(x.sys.Epoch) > uint64(x.sys.MaxEpochsAhead) {
		return 0, fmt.Errorf("%w: new end epoch %d is more than %d epochs after %d", ErrEpochRange, ne, x.sys.MaxEpochsAhead, x.sys.Epoch)
	}
	return uint32(ne), nil
}
