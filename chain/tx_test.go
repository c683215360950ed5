package chain

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"testing"
)

// allMsgs returns one message of every type with every field set.
func allMsgs() []Msg {
	id := ObjectID{1, 2, 3}
	id2 := ObjectID{4, 5, 6}
	to := Address{9, 9}
	cert := Certificate{SignersBitmap: []byte{0x0f}, Message: []byte("message"), Signature: [96]byte{7}}
	return []Msg{
		&MsgTransfer{To: to, Amount: 5},
		&MsgFaucet{Amount: 6},
		&MsgReserveSpace{Size: 7, EpochsAhead: 2},
		&MsgReserveSpaceFor{Size: 8, Start: 3, End: 4},
		&MsgSplitStorageByEpoch{Storage: id, Epoch: 3},
		&MsgSplitStorageBySize{Storage: id, Size: 9},
		&MsgFuseStorage{First: id, Second: id2},
		&MsgExtendStorage{Storage: id, Epochs: 2},
		&MsgRegisterBlob{Storage: id, BlobID: BlobID{1}, RootHash: [32]byte{2}, Size: 10, EncodingType: 1, Deletable: true},
		&MsgCertifyBlob{Blob: id, Cert: cert},
		&MsgExtendBlob{Blob: id, Epochs: 1},
		&MsgExtendBlobWithStorage{Blob: id, Storage: id2},
		&MsgDeleteBlob{Blob: id},
		&MsgBurnBlob{Blob: id},
		&MsgSetAttribute{Blob: id, Key: "k", Value: "v"},
		&MsgRemoveAttribute{Blob: id, Key: "k"},
		&MsgTransferObject{Object: id, To: to},
		&MsgShareBlob{Blob: id, Funds: 11},
		&MsgFundSharedBlob{Blob: id, Amount: 12},
		&MsgExtendSharedBlob{Blob: id, Epochs: 3},
		&MsgInvalidateBlob{Cert: cert},
		&MsgRegisterCandidate{Name: "n", NetworkAddress: "h:1", PublicKey: [48]byte{3}, NetworkPublicKey: []byte{4},
			ProofOfPossession: [96]byte{5}, Commission: 100, StoragePrice: 1, WritePrice: 2, Capacity: 3},
		&MsgSetVotes{Node: id, StoragePrice: 1, WritePrice: 2, Capacity: 3},
		&MsgSetCommission{Node: id, Rate: 50},
		&MsgStake{Node: id, Amount: 13},
		&MsgRequestWithdraw{Staked: id},
		&MsgWithdraw{Staked: id},
		&MsgCollectCommission{Node: id},
		&MsgEpochSyncDone{Node: id, Epoch: 4},
	}
}

func TestTxRoundTrip(t *testing.T) {
	msgs := allMsgs()
	if len(msgs) != numMsgs {
		t.Fatalf("test covers %d of %d message types", len(msgs), numMsgs)
	}
	for i, m := range msgs {
		if m.tag() != uint32(i) || reflect.TypeOf(newMsg(uint32(i))) != reflect.TypeOf(m) {
			t.Fatalf("tag %d: %T", i, m)
		}
	}
	tx := &Tx{Sequence: 3, Fee: 10, Msgs: msgs}
	tx.Sign("c", alice)
	raw := tx.Encode()
	got, err := DecodeTx(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, tx) {
		t.Fatalf("round trip:\n%+v\n%+v", got, tx)
	}
	if err := got.Verify("c"); err != nil {
		t.Fatal(err)
	}
	if err := got.Verify("other-chain"); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("other chain: %v", err)
	}
	if !bytes.Equal(got.Encode(), raw) {
		t.Fatal("re-encoding differs")
	}
}

// TestTxGolden pins the canonical layout of a small transaction.
func TestTxGolden(t *testing.T) {
	tx := &Tx{Sender: make([]byte, 32), Sequence: 1, Fee: 2, Msgs: []Msg{&MsgFaucet{Amount: 3}}, Signature: make([]byte, 64)}
	want := "0000000000000000000000000000000000000000000000000000000000000000" + // sender
		"0100000000000000" + "0200000000000000" + // sequence, fee
		"01" + "01" + "0300000000000000" + // one message: faucet(3)
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	if got := hex.EncodeToString(tx.Encode()); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestDecodeTxRejects(t *testing.T) {
	tx := &Tx{Sequence: 1, Fee: 2, Msgs: []Msg{&MsgFaucet{Amount: 3}}}
	tx.Sign("c", alice)
	raw := tx.Encode()
	noMsgs := &Tx{Sequence: 1}
	noMsgs.Sign("c", alice)
	unknown := bytes.Clone(raw)
	unknown[32+16+1] = numMsgs // message tag
	cases := map[string][]byte{
		"empty":         nil,
		"truncated":     raw[:len(raw)-1],
		"trailing":      append(bytes.Clone(raw), 0),
		"no messages":   noMsgs.Encode(),
		"unknown tag":   unknown,
		"too large":     make([]byte, MaxTxSize+1),
		"too many msgs": append(append(bytes.Clone(raw[:48]), 65), raw[49:]...),
	}
	for name, b := range cases {
		if _, err := DecodeTx(b); !errors.Is(err, ErrDecode) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzDecodeTx(f *testing.F) {
	tx := &Tx{Sequence: 3, Fee: 10, Msgs: allMsgs()}
	tx.Sign("c", alice)
	f.Add(tx.Encode())
	for _, m := range allMsgs() {
		one := &Tx{Msgs: []Msg{m}}
		one.Sign("c", bob)
		f.Add(one.Encode())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tx, err := DecodeTx(b)
		if err != nil {
			return
		}
		if !bytes.Equal(tx.Encode(), b) {
			t.Fatalf("decode/encode not canonical for %x", b)
		}
	})
}

func TestEventRoundTrip(t *testing.T) {
	evs := []Event{
		&BlobRegistered{Epoch: 1, BlobID: BlobID{2}, Size: 3, EncodingType: 1, EndEpoch: 4, Deletable: true, ObjectID: ObjectID{5}},
		&BlobCertified{Epoch: 1, BlobID: BlobID{2}, EndEpoch: 4, Deletable: true, ObjectID: ObjectID{5}, IsExtension: true},
		&BlobDeleted{Epoch: 1, BlobID: BlobID{2}, EndEpoch: 4, ObjectID: ObjectID{5}, WasCertified: true},
		&InvalidBlobID{Epoch: 1, BlobID: BlobID{2}},
		&EpochChangeStart{Epoch: 7},
		&EpochChangeDone{Epoch: 7},
		&ShardsReceived{Epoch: 7, Shards: []uint16{1, 5}},
		&EpochParametersSelected{NextEpoch: 8},
		&PricesUpdated{Epoch: 7, StoragePrice: 9, WritePrice: 10},
	}
	if len(evs) != int(numEventKinds) {
		t.Fatalf("test covers %d of %d event kinds", len(evs), numEventKinds)
	}
	for _, ev := range evs {
		b := EncodeEvent(ev)
		got, err := DecodeEvent(b)
		if err != nil {
			t.Fatalf("%s: %v", ev.Kind(), err)
		}
		if !reflect.DeepEqual(got, ev) {
			t.Fatalf("%s: %+v != %+v", ev.Kind(), got, ev)
		}
		if _, err := DecodeEvent(append(b, 0)); !errors.Is(err, ErrDecode) {
			t.Fatalf("%s: trailing byte accepted", ev.Kind())
		}
	}
	// Field order of BlobRegistered as in walrus::events.
	b := EventPayload(evs[0])
	want := "01000000" + "02" + string(make([]byte, 0)) + hex.EncodeToString(make([]byte, 31)) + "0300000000000000" + "01" + "04000000" + "01" + "05" + hex.EncodeToString(make([]byte, 31))
	if got := hex.EncodeToString(b); got != want {
		t.Fatalf("BlobRegistered payload\n got %s\nwant %s", got, want)
	}
}
