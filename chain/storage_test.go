package chain

import (
	"testing"
)

func TestReserveSpace(t *testing.T) {
	e := newEnv(t)
	cur := e.sys().Epoch
	size := uint64(3*StorageUnit + 1) // 4 units
	a0 := e.balance(alice)
	r := e.ok(alice, &MsgReserveSpace{Size: size, EpochsAhead: 3})
	if got, want := a0-e.balance(alice), uint64(testPrice*4*3+testMinFee); got != want {
		t.Fatalf("paid %d, want %d", got, want)
	}
	o := e.object(created(r, 0))
	if o.Kind != KindStorage || o.Owner != addrOf(alice) || *o.Storage != (Storage{ID: created(r, 0), Start: cur, End: cur + 3, Size: size}) {
		t.Fatalf("storage %+v %+v", o, o.Storage)
	}
	for ep := cur; ep < cur+3; ep++ {
		acc, _ := e.st().accounting(ep)
		want := uint64(testPrice * 4)
		if ep == cur {
			want += testMinFee
		}
		if acc.Used != size || acc.Rewards != want {
			t.Fatalf("epoch %d accounting %+v", ep, acc)
		}
	}
	if acc, _ := e.st().accounting(cur + 3); acc.Used != 0 {
		t.Fatal("accounting beyond the period")
	}
	r = e.ok(alice, &MsgReserveSpaceFor{Size: 10, Start: cur + 2, End: cur + 5})
	if s := e.object(created(r, 0)).Storage; s.Start != cur+2 || s.End != cur+5 {
		t.Fatalf("future storage %+v", s)
	}

	e.fail(ErrEpochRange, alice, &MsgReserveSpace{Size: 1, EpochsAhead: 0})
	e.fail(ErrEpochRange, alice, &MsgReserveSpace{Size: 1, EpochsAhead: e.g.MaxEpochsAhead + 1})
	e.fail(ErrInvalidArgument, alice, &MsgReserveSpace{Size: 0, EpochsAhead: 1})
	e.fail(ErrInsufficientFunds, carol, &MsgReserveSpace{Size: 1, EpochsAhead: 1})
	e.fail(ErrCapacity, alice, &MsgReserveSpace{Size: e.sys().TotalCapacity, EpochsAhead: 1})
	e.fail(ErrEpochRange, alice, &MsgReserveSpaceFor{Size: 1, Start: cur - 1, End: cur + 1})
	e.fail(ErrEpochRange, alice, &MsgReserveSpaceFor{Size: 1, Start: cur + 1, End: cur + 1})
	e.fail(ErrEpochRange, alice, &MsgReserveSpaceFor{Size: 1, Start: cur, End: cur + e.g.MaxEpochsAhead + 1})
}

func TestSplitFuseExtend(t *testing.T) {
	e := newEnv(t)
	cur := e.sys().Epoch
	r := e.ok(alice, &MsgReserveSpace{Size: 1000, EpochsAhead: 4})
	s := created(r, 0)

	r = e.ok(alice, &MsgSplitStorageByEpoch{Storage: s, Epoch: cur + 1})
	late := created(r, 0)
	if a, b := e.object(s).Storage, e.object(late).Storage; a.End != cur+1 || b.Start != cur+1 || b.End != cur+4 || b.Size != 1000 {
		t.Fatalf("split by epoch: %+v %+v", a, b)
	}
	e.fail(ErrEpochRange, alice, &MsgSplitStorageByEpoch{Storage: s, Epoch: cur})
	e.fail(ErrEpochRange, alice, &MsgSplitStorageByEpoch{Storage: s, Epoch: cur + 1})

	r = e.ok(alice, &MsgSplitStorageBySize{Storage: late, Size: 300})
	rest := created(r, 0)
	if a, b := e.object(late).Storage, e.object(rest).Storage; a.Size != 300 || b.Size != 700 || b.Start != a.Start || b.End != a.End {
		t.Fatalf("split by size: %+v %+v", a, b)
	}
	e.fail(ErrInvalidArgument, alice, &MsgSplitStorageBySize{Storage: late, Size: 300})
	e.fail(ErrInvalidArgument, alice, &MsgSplitStorageBySize{Storage: late, Size: 0})

	// Same period: sizes add up.
	e.ok(alice, &MsgFuseStorage{First: late, Second: rest})
	if a := e.object(late).Storage; a.Size != 1000 || e.exists(rest) {
		t.Fatalf("fuse amount: %+v", a)
	}
	// Same size, adjacent periods (either order).
	e.ok(alice, &MsgFuseStorage{First: late, Second: s})
	if a := e.object(late).Storage; a.Start != cur || a.End != cur+4 || e.exists(s) {
		t.Fatalf("fuse periods: %+v", a)
	}
	r = e.ok(alice, &MsgReserveSpace{Size: 999, EpochsAhead: 2})
	other := created(r, 0)
	e.fail(ErrStorageMismatch, alice, &MsgFuseStorage{First: late, Second: other})
	e.fail(ErrInvalidArgument, alice, &MsgFuseStorage{First: late, Second: late})
	e.fail(ErrNotOwner, bob, &MsgFuseStorage{First: late, Second: other})
	e.fail(ErrNotFound, alice, &MsgFuseStorage{First: late, Second: ObjectID{1}})

	a0 := e.balance(alice)
	e.ok(alice, &MsgExtendStorage{Storage: other, Epochs: 3})
	if s := e.object(other).Storage; s.End != cur+5 {
		t.Fatalf("extend: %+v", s)
	}
	if paid := a0 - e.balance(alice); paid != testPrice*3+testMinFee {
		t.Fatalf("extension paid %d", paid)
	}
	e.fail(ErrEpochRange, alice, &MsgExtendStorage{Storage: other, Epochs: 1})
	e.fail(ErrEpochRange, alice, &MsgExtendStorage{Storage: late, Epochs: 0})
	e.fail(ErrNotOwner, bob, &MsgExtendStorage{Storage: late, Epochs: 1})

	// Transfer moves ownership and the owner index.
	e.ok(alice, &MsgTransferObject{Object: late, To: addrOf(bob)})
	if o := e.object(late); o.Owner != addrOf(bob) {
		t.Fatal("not transferred")
	}
	if len(e.store.Keys(key(PrefixOwner, addrSlice(addrOf(bob)), late[:]))) != 1 || len(e.store.Keys(key(PrefixOwner, addrSlice(addrOf(alice)), late[:]))) != 0 {
		t.Fatal("owner index not updated")
	}
	e.fail(ErrNotOwner, alice, &MsgTransferObject{Object: late, To: addrOf(alice)})
	e.fail(ErrInvalidArgument, bob, &MsgTransferObject{Object: late, To: Address{}})
}

func addrSlice(a Address) []byte { return a[:] }
