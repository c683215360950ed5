package chain

import (
	"reflect"
	"testing"

	"github.com/walrus-go/walrus/encoding"
)

// TestReserveAndRegisterInOneTx: MsgRegisterBlob with StorageFromThisTx uses
// the storage reserved earlier in the same transaction; a failure of either
// message rolls both back and the fee is still paid.
func TestReserveAndRegisterInOneTx(t *testing.T) {
	e := newEnv(t)
	cur := e.sys().Epoch
	size := uint64(5000)
	enc := encodedSize(t, size)
	id, root := testBlob(7, size)
	good := MsgRegisterBlob{Storage: StorageFromThisTx, BlobID: id, RootHash: root, Size: size, EncodingType: encoding.EncodingTypeRS2, Deletable: true}
	reg := func(m MsgRegisterBlob) *MsgRegisterBlob { return &m }
	used := func(ep uint32) uint64 {
		acc, err := e.st().accounting(ep)
		if err != nil {
			t.Fatal(err)
		}
		return acc.Used
	}

	// Failures: nothing but the fee and the sequence number change.
	failed := func(want error, msgs ...Msg) {
		t.Helper()
		a0, u0, seq := e.balance(alice), used(cur), e.account(addrOf(alice)).Sequence
		e.fail(want, alice, msgs...)
		if paid := a0 - e.balance(alice); paid != testMinFee {
			t.Fatalf("failed tx cost %d, want the fee %d", paid, testMinFee)
		}
		if u := used(cur); u != u0 {
			t.Fatalf("failed tx left %d bytes reserved (was %d)", u, u0)
		}
		if s := e.account(addrOf(alice)).Sequence; s != seq+1 {
			t.Fatalf("sequence %d after %d", s, seq)
		}
	}
	bad := good
	bad.BlobID[0] ^= 1
	failed(ErrBlobID, &MsgReserveSpace{Size: enc, EpochsAhead: 2}, reg(bad))
	failed(ErrBlobSize, &MsgReserveSpace{Size: enc - 1, EpochsAhead: 2}, reg(good))
	failed(ErrEpochRange, &MsgReserveSpaceFor{Size: enc, Start: cur + 1, End: cur + 2}, reg(good))
	failed(ErrInvalidArgument, reg(good)) // nothing reserved in this tx
	failed(ErrInvalidArgument, &MsgTransfer{To: addrOf(bob), Amount: 1}, reg(good))
	// The reserved storage is used up by the first registration.
	id2, root2 := testBlob(8, size)
	second := good
	second.BlobID, second.RootHash = id2, root2
	failed(ErrNotFound, &MsgReserveSpace{Size: enc, EpochsAhead: 2}, reg(good), reg(second))

	// Success.
	a0, u0 := e.balance(alice), used(cur)
	r := e.ok(alice, &MsgReserveSpace{Size: enc, EpochsAhead: 2}, reg(good))
	cost := 2*testPrice*storageUnits(enc) + testWrite*storageUnits(enc) + testMinFee
	if paid := a0 - e.balance(alice); paid != cost {
		t.Fatalf("paid %d, want %d", paid, cost)
	}
	if u := used(cur); u != u0+enc {
		t.Fatalf("used %d, want %d", u, u0+enc)
	}
	sid, bid := created(r, 0), created(r, 1)
	want := &BlobRegistered{Epoch: cur, BlobID: id, Size: size, EncodingType: encoding.EncodingTypeRS2, EndEpoch: cur + 2, Deletable: true, ObjectID: bid}
	if len(r.Events) != 1 || !reflect.DeepEqual(r.Events[0], want) {
		t.Fatalf("events %+v", r.Events)
	}
	o := e.object(bid)
	if o.Kind != KindBlob || o.Owner != addrOf(alice) || o.Blob.Storage.ID != sid || o.Blob.Storage.End != cur+2 || e.exists(sid) {
		t.Fatalf("blob %+v", o.Blob)
	}
	if len(e.store.Keys(BlobIndexPrefix(id))) != 1 {
		t.Fatal("blob index")
	}

	// The latest reservation is the one used; an earlier one stays owned.
	id3, root3 := testBlob(9, size)
	third := good
	third.BlobID, third.RootHash = id3, root3
	r = e.ok(alice, &MsgReserveSpace{Size: enc, EpochsAhead: 1}, &MsgReserveSpace{Size: enc, EpochsAhead: 3}, reg(third))
	if o := e.object(created(r, 2)); o.Blob.Storage.ID != created(r, 1) || o.Blob.Storage.End != cur+3 {
		t.Fatalf("registered with %+v", o.Blob.Storage)
	}
	if o := e.object(created(r, 0)); o.Kind != KindStorage || o.Owner != addrOf(alice) {
		t.Fatalf("first reservation %+v", o)
	}
}
