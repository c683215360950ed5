package chain

import (
	"bytes"
	"testing"
)

// The chain client decodes these records and events from CometBFT RPC
// answers (network bytes): any input must decode or fail cleanly, and a
// decoded value must re-encode stably.

func FuzzDecodeRecords(f *testing.F) {
	for _, v := range []codec{&Account{Balance: 5, Sequence: 2}, &Object{Kind: KindStorage, Storage: &Storage{End: 3}},
		&Object{Kind: KindBlob, Blob: &Blob{Size: 7}}, &System{}, &Committee{}, &Pool{}, &Accounting{Used: 1}, &idList{}} {
		f.Add(encodeRecord(v))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		stable := func(name string, v codec) {
			once := encodeRecord(v)
			if err := decodeRecord(once, v); err != nil {
				t.Fatalf("%s: re-decoding %x: %v", name, once, err)
			}
			if twice := encodeRecord(v); !bytes.Equal(once, twice) {
				t.Fatalf("%s: encoding not stable: %x then %x", name, once, twice)
			}
		}
		if v, err := DecodeAccount(b); err == nil {
			stable("account", v)
		}
		if v, err := DecodeObject(b); err == nil {
			stable("object", v)
		}
		if v, err := DecodeSystem(b); err == nil {
			stable("system", v)
		}
		if v, err := DecodeCommittee(b); err == nil {
			stable("committee", v)
		}
		if v, err := DecodePool(b); err == nil {
			stable("pool", v)
		}
		if v, err := DecodeAccounting(b); err == nil {
			stable("accounting", v)
		}
		_, _ = DecodePoolIDs(b)
		_, _ = DecodeRate(b)
	})
}

func FuzzDecodeEvent(f *testing.F) {
	for _, ev := range []Event{&BlobRegistered{Size: 9}, &BlobCertified{}, &BlobDeleted{}, &InvalidBlobID{Epoch: 2},
		&EpochChangeStart{Epoch: 3}, &EpochChangeDone{}, &ShardsReceived{}, &EpochParametersSelected{}, &PricesUpdated{}} {
		f.Add(EncodeEvent(ev))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := DecodeEvent(b)
		if err != nil {
			return
		}
		once := EncodeEvent(ev)
		ev2, err := DecodeEvent(once)
		if err != nil {
			t.Fatalf("re-decoding %x: %v", once, err)
		}
		if twice := EncodeEvent(ev2); !bytes.Equal(once, twice) {
			t.Fatalf("encoding not stable: %x then %x", once, twice)
		}
	})
}
