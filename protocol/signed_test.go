package protocol

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/walrus-go/walrus/bcs"
	"github.com/walrus-go/walrus/crypto/bls"
)

func TestSignedMessage(t *testing.T) {
	sk := testSecret(t, 2)
	msg := (&StorageConfirmation{Epoch: 4, BlobID: blobID(5)}).Marshal()
	sm := Sign(sk, msg)
	if err := sm.Verify(sk.PublicKey()); err != nil {
		t.Fatal(err)
	}
	if err := sm.Verify(testSecret(t, 3).PublicKey()); !errors.Is(err, bls.ErrBadSignature) {
		t.Fatalf("other key: %v", err)
	}
	if h, err := sm.Header(); err != nil || h.Epoch != 4 || h.Intent != IntentBlobCertification {
		t.Fatalf("Header: %+v %v", h, err)
	}

	b := sm.MarshalBCS()
	sig := sm.Signature.Bytes()
	want := append(append([]byte{40}, msg...), sig[:]...)
	if !bytes.Equal(b, want) {
		t.Fatalf("BCS = %x, want %x", b, want)
	}
	back, err := ParseSignedMessage(b)
	if err != nil || !bytes.Equal(back.SerializedMessage, msg) || !back.Signature.Equal(&sm.Signature) {
		t.Fatalf("BCS round trip: %v", err)
	}

	js, err := json.Marshal(sm)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := `{"serializedMessage":"` + base64.StdEncoding.EncodeToString(msg) + `","signature":"` + base64.StdEncoding.EncodeToString(sig[:]) + `"}`
	if string(js) != wantJSON {
		t.Fatalf("JSON = %s, want %s", js, wantJSON)
	}
	var fromJSON SignedMessage
	if err := json.Unmarshal(js, &fromJSON); err != nil || !bytes.Equal(fromJSON.SerializedMessage, msg) || !fromJSON.Signature.Equal(&sm.Signature) {
		t.Fatalf("JSON round trip: %v", err)
	}
}

func TestSignedMessageRejects(t *testing.T) {
	sm := Sign(testSecret(t, 2), (&StorageConfirmation{}).Marshal()) // 40 bytes: padded base64
	b := sm.MarshalBCS()
	bcsCases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, bcs.ErrShort},
		{"short signature", b[:len(b)-1], bcs.ErrShort},
		{"trailing", append(bytes.Clone(b), 0), bcs.ErrTrailing},
		{"length beyond input", append([]byte{0x7f}, b[1:]...), bcs.ErrShort},
		{"too long", bcs.AppendULEB(nil, MaxMessageSize+1), bcs.ErrTooLong},
		{"bad signature point", append(bytes.Clone(b[:len(b)-96]), make([]byte, 96)...), bls.ErrInvalidSignature},
	}
	for _, tc := range bcsCases {
		if _, err := ParseSignedMessage(tc.in); !errors.Is(err, tc.want) || !errors.Is(err, ErrMalformed) {
			t.Errorf("BCS %s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	js, _ := json.Marshal(sm)
	var obj map[string]string
	_ = json.Unmarshal(js, &obj)
	msg64, sig64 := obj["serializedMessage"], obj["signature"]
	jsonCases := map[string]string{
		"missing signature": `{"serializedMessage":"` + msg64 + `"}`,
		"missing message":   `{"signature":"` + sig64 + `"}`,
		"url base64":        `{"serializedMessage":"` + msg64 + `","signature":"` + strings.NewReplacer("+", "-", "/", "_").Replace(sig64) + `x"}`,
		"unpadded":          `{"serializedMessage":"` + strings.TrimRight(msg64, "=") + `","signature":"` + sig64 + `"}`,
		"short signature":   `{"serializedMessage":"` + msg64 + `","signature":"AAAA"}`,
		"huge message":      `{"serializedMessage":"` + strings.Repeat("AAAA", MaxMessageSize) + `","signature":"` + sig64 + `"}`,
		"number":            `{"serializedMessage":1,"signature":"` + sig64 + `"}`,
	}
	for name, in := range jsonCases {
		var m SignedMessage
		if err := json.Unmarshal([]byte(in), &m); !errors.Is(err, ErrMalformed) {
			t.Errorf("JSON %s: err = %v", name, err)
		}
	}
}

func FuzzParseSignedMessage(f *testing.F) {
	f.Add(Sign(testSecret(f, 2), (&InvalidBlobID{}).Marshal()).MarshalBCS())
	f.Fuzz(func(t *testing.T, b []byte) {
		sm, err := ParseSignedMessage(b)
		if err != nil {
			return
		}
		if out := sm.MarshalBCS(); !bytes.Equal(out, b) {
			t.Fatalf("accepted %x, which re-encodes as %x", b, out)
		}
	})
}

func FuzzSignedMessageJSON(f *testing.F) {
	js, _ := json.Marshal(Sign(testSecret(f, 2), (&InvalidBlobID{}).Marshal()))
	f.Add(js)
	f.Fuzz(func(t *testing.T, b []byte) {
		var sm SignedMessage
		if err := json.Unmarshal(b, &sm); err != nil {
			return
		}
		out, err := json.Marshal(&sm)
		if err != nil {
			t.Fatal(err)
		}
		var again SignedMessage
		if err := json.Unmarshal(out, &again); err != nil || !bytes.Equal(again.SerializedMessage, sm.SerializedMessage) || !again.Signature.Equal(&sm.Signature) {
			t.Fatalf("JSON round trip of %s: %v", out, err)
		}
	})
}
