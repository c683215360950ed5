package protocol

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/walrus-go/walrus/bcs"
	"github.com/walrus-go/walrus/crypto/bls"
	"github.com/walrus-go/walrus/encoding"
)

func blobID(b byte) encoding.BlobID {
	var id encoding.BlobID
	for i := range id {
		id[i] = b + byte(i)
	}
	return id
}

func TestStorageConfirmation(t *testing.T) {
	perm := &StorageConfirmation{Epoch: 0x0a0b0c0d, BlobID: blobID(1)}
	b := perm.Marshal()
	id1 := blobID(1)
	want := append([]byte{1, 0, 3, 0x0d, 0x0c, 0x0b, 0x0a}, id1[:]...)
	want = append(want, 0)
	if !bytes.Equal(b, want) || len(b) != 40 || PermanentConfirmationSize != 40 {
		t.Fatalf("permanent = %x, want %x", b, want)
	}
	got, err := ParseStorageConfirmation(b)
	if err != nil || *got != *perm {
		t.Fatalf("permanent round trip: %+v %v", got, err)
	}
	del := &StorageConfirmation{Epoch: 7, BlobID: blobID(2), Deletable: true, ObjectID: [32]byte(blobID(9))}
	b = del.Marshal()
	if len(b) != 72 || DeletableConfirmationSize != 72 || b[39] != 1 || !bytes.Equal(b[40:], del.ObjectID[:]) {
		t.Fatalf("deletable = %x", b)
	}
	got, err = ParseStorageConfirmation(b)
	if err != nil || *got != *del {
		t.Fatalf("deletable round trip: %+v %v", got, err)
	}
}

func TestOtherMessages(t *testing.T) {
	inv := &InvalidBlobID{Epoch: 3, BlobID: blobID(4)}
	b := inv.Marshal()
	if len(b) != 39 || b[0] != 2 {
		t.Fatalf("invalid blob ID = %x", b)
	}
	if got, err := ParseInvalidBlobID(b); err != nil || *got != *inv {
		t.Fatalf("invalid blob ID round trip: %+v %v", got, err)
	}

	ss := &SyncShardRequest{Epoch: 5, ShardIndex: 0x0102, SliverType: Secondary, StartingBlobID: blobID(8), SliverCount: 0x1122334455667788, RequestEpoch: 5}
	b = ss.Marshal()
	want := "03000305000000" + "00" + "0201" + "01" + hex.EncodeToString(ss.StartingBlobID[:]) + "8877665544332211" + "05000000"
	if hex.EncodeToString(b) != want || len(b) != SyncShardRequestSize {
		t.Fatalf("sync shard = %x, want %s", b, want)
	}
	if got, err := ParseSyncShardRequest(b); err != nil || *got != *ss {
		t.Fatalf("sync shard round trip: %+v %v", got, err)
	}

	sk := testSecret(t, 1)
	pop := &ProofOfPossession{Epoch: 9, SuiAddress: [32]byte(blobID(3)), PublicKey: sk.PublicKey()}
	b = pop.Marshal()
	if !bytes.Equal(b, bls.PossessionMessage(9, pop.SuiAddress, pop.PublicKey)) || len(b) != 87 {
		t.Fatalf("proof of possession = %x", b)
	}
	got, err := ParseProofOfPossession(b)
	if err != nil || got.Epoch != 9 || got.SuiAddress != pop.SuiAddress || !got.PublicKey.Equal(pop.PublicKey) {
		t.Fatalf("proof of possession round trip: %+v %v", got, err)
	}
	if err := got.Verify(sk.ProvePossession(9, pop.SuiAddress)); err != nil {
		t.Fatalf("proof of possession Verify: %v", err)
	}
	if err := got.Verify(sk.ProvePossession(10, pop.SuiAddress)); !errors.Is(err, bls.ErrBadSignature) {
		t.Fatalf("proof of possession for another epoch: %v", err)
	}
}

func TestDecoderRejects(t *testing.T) {
	perm := (&StorageConfirmation{Epoch: 1, BlobID: blobID(1)}).Marshal()
	del := (&StorageConfirmation{Epoch: 1, BlobID: blobID(1), Deletable: true}).Marshal()
	inv := (&InvalidBlobID{Epoch: 1, BlobID: blobID(1)}).Marshal()
	ss := (&SyncShardRequest{Epoch: 1, SliverType: Primary}).Marshal()
	pop := (&ProofOfPossession{Epoch: 1, PublicKey: testSecret(t, 1).PublicKey()}).Marshal()

	with := func(b []byte, i int, v byte) []byte {
		c := bytes.Clone(b)
		c[i] = v
		return c
	}
	parsers := map[string]func([]byte) error{
		"confirmation": func(b []byte) error { _, err := ParseStorageConfirmation(b); return err },
		"invalid":      func(b []byte) error { _, err := ParseInvalidBlobID(b); return err },
		"sync":         func(b []byte) error { _, err := ParseSyncShardRequest(b); return err },
		"pop":          func(b []byte) error { _, err := ParseProofOfPossession(b); return err },
	}
	tests := []struct {
		name   string
		parser string
		in     []byte
		want   error
	}{
		{"empty", "confirmation", nil, ErrMalformed},
		{"header only", "confirmation", perm[:7], ErrMalformed},
		{"short header", "confirmation", perm[:6], ErrMalformed},
		{"truncated body", "confirmation", perm[:39], ErrMalformed},
		{"truncated object ID", "confirmation", del[:71], ErrMalformed},
		{"trailing byte", "confirmation", append(bytes.Clone(perm), 0), bcs.ErrTrailing},
		{"trailing after deletable", "confirmation", append(bytes.Clone(del), 0), bcs.ErrTrailing},
		{"persistence tag 2", "confirmation", with(perm, 39, 2), bcs.ErrUnknownTag},
		{"non-canonical tag", "confirmation", append(with(perm, 39, 0x80), 0), bcs.ErrULEB},
		{"wrong intent", "confirmation", inv, ErrWrongIntent},
		{"intent 0 for confirmation", "confirmation", with(perm, 0, 0), ErrWrongIntent},
		{"unknown intent", "confirmation", with(perm, 0, 7), ErrUnknownIntent},
		{"intent version 1", "confirmation", with(perm, 1, 1), ErrIntentVersion},
		{"app ID 0", "confirmation", with(perm, 2, 0), ErrAppID},
		{"too long", "confirmation", make([]byte, MaxMessageSize+1), ErrMessageTooLong},
		{"invalid: trailing", "invalid", append(bytes.Clone(inv), 1), bcs.ErrTrailing},
		{"invalid: short", "invalid", inv[:38], ErrMalformed},
		{"invalid: confirmation", "invalid", perm, ErrWrongIntent},
		{"sync: variant 1", "sync", with(ss, 7, 1), bcs.ErrUnknownTag},
		{"sync: sliver type 2", "sync", with(ss, 10, 2), bcs.ErrUnknownTag},
		{"sync: short", "sync", ss[:len(ss)-1], ErrMalformed},
		{"sync: trailing", "sync", append(bytes.Clone(ss), 0), bcs.ErrTrailing},
		{"sync: app ID", "sync", with(ss, 2, 4), ErrAppID},
		{"pop: bad key", "pop", with(pop, 39, 0), ErrMalformed},
		{"pop: identity key", "pop", append(bytes.Clone(pop[:39]), append([]byte{0xc0}, make([]byte, 47)...)...), bls.ErrInvalidPublicKey},
		{"pop: short", "pop", pop[:86], ErrMalformed},
		{"pop: trailing", "pop", append(bytes.Clone(pop), 0), bcs.ErrTrailing},
		{"pop: wrong intent", "pop", with(pop, 0, 1), ErrWrongIntent},
	}
	for _, tc := range tests {
		err := parsers[tc.parser](tc.in)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestParseHeader(t *testing.T) {
	msg := (&InvalidBlobID{Epoch: 42, BlobID: blobID(0)}).Marshal()
	h, body, err := ParseHeader(msg)
	if err != nil || h.Intent != IntentInvalidBlobID || h.Epoch != 42 || len(body) != 32 {
		t.Fatalf("ParseHeader = %+v, %d, %v", h, len(body), err)
	}
	if IntentDenyListUpdate.String() != "deny list update" || Intent(9).String() != "unknown intent 9" {
		t.Fatal("Intent.String")
	}
}

func fuzzMessage(f *testing.F, seeds [][]byte, parse func([]byte) ([]byte, error)) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := parse(b)
		if err != nil {
			return
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("accepted %x, which re-encodes as %x", b, out)
		}
	})
}

func FuzzParseHeader(f *testing.F) {
	f.Add((&InvalidBlobID{}).Marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		h, body, err := ParseHeader(b)
		if err != nil {
			return
		}
		if out := append(h.appendTo(nil), body...); !bytes.Equal(out, b) {
			t.Fatalf("header of %x re-encodes as %x", b, out)
		}
	})
}

func FuzzParseStorageConfirmation(f *testing.F) {
	fuzzMessage(f, [][]byte{
		(&StorageConfirmation{Epoch: 1, BlobID: blobID(1)}).Marshal(),
		(&StorageConfirmation{Epoch: 1, BlobID: blobID(1), Deletable: true, ObjectID: [32]byte{1}}).Marshal(),
	}, func(b []byte) ([]byte, error) {
		m, err := ParseStorageConfirmation(b)
		if err != nil {
			return nil, err
		}
		return m.Marshal(), nil
	})
}

func FuzzParseInvalidBlobID(f *testing.F) {
	fuzzMessage(f, [][]byte{(&InvalidBlobID{Epoch: 1, BlobID: blobID(1)}).Marshal()}, func(b []byte) ([]byte, error) {
		m, err := ParseInvalidBlobID(b)
		if err != nil {
			return nil, err
		}
		return m.Marshal(), nil
	})
}

func FuzzParseSyncShardRequest(f *testing.F) {
	fuzzMessage(f, [][]byte{(&SyncShardRequest{Epoch: 1, ShardIndex: 3, SliverType: Secondary, SliverCount: 10, RequestEpoch: 1}).Marshal()}, func(b []byte) ([]byte, error) {
		m, err := ParseSyncShardRequest(b)
		if err != nil {
			return nil, err
		}
		return m.Marshal(), nil
	})
}

func FuzzParseProofOfPossession(f *testing.F) {
	fuzzMessage(f, [][]byte{(&ProofOfPossession{Epoch: 1, PublicKey: testSecret(f, 1).PublicKey()}).Marshal()}, func(b []byte) ([]byte, error) {
		m, err := ParseProofOfPossession(b)
		if err != nil {
			return nil, err
		}
		return m.Marshal(), nil
	})
}
