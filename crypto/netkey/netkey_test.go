package netkey

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"testing"
)

func TestRoundTrips(t *testing.T) {
	k, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	b := k.Bytes()
	k2, err := ParseSecretKey(b[:])
	if err != nil || !k2.Equal(k) {
		t.Fatalf("raw round trip: %v", err)
	}
	k3, err := ParsePEM(k.PEM())
	if err != nil || !k3.Equal(k) {
		t.Fatalf("PEM round trip: %v", err)
	}
	pk := k.PublicKey()
	pk2, err := ParsePublicKey(pk[:])
	if err != nil || pk2 != pk {
		t.Fatalf("public round trip: %v", err)
	}
	epk, err := pk.ECDSA()
	if err != nil || !epk.Equal(&k.ECDSA().PublicKey) {
		t.Fatalf("decompression: %v", err)
	}
	js, _ := json.Marshal(pk)
	var pk3 PublicKey
	if err := json.Unmarshal(js, &pk3); err != nil || pk3 != pk {
		t.Fatalf("JSON: %v", err)
	}
	// The key signs for TLS.
	h := sha256.Sum256([]byte("m"))
	sig, err := k.ECDSA().Sign(rand.Reader, h[:], nil)
	if err != nil || !ecdsa.VerifyASN1(epk, h[:], sig) {
		t.Fatal("sign/verify")
	}
}

func TestKnownAnswer(t *testing.T) {
	// The secret 1 has the P-256 base point as public key.
	one := make([]byte, 32)
	one[31] = 1
	k, err := ParseSecretKey(one)
	if err != nil {
		t.Fatal(err)
	}
	pk := k.PublicKey()
	const gx = "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
	want := append([]byte{0x03}, mustHex(gx)...) // Gy is odd
	if !bytes.Equal(pk[:], want) {
		t.Fatalf("public key of 1 = %x, want %x", pk, want)
	}
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestRejects(t *testing.T) {
	for _, b := range [][]byte{nil, make([]byte, 31), make([]byte, 32), bytes.Repeat([]byte{0xff}, 32)} {
		if _, err := ParseSecretKey(b); !errors.Is(err, ErrInvalidSecretKey) {
			t.Errorf("secret %x: %v", b, err)
		}
	}
	k, _ := Generate()
	pk := k.PublicKey()
	bad := [][]byte{nil, pk[:32], append(pk[:], 0), make([]byte, 33), append([]byte{0x04}, pk[1:]...)}
	for _, b := range bad {
		if _, err := ParsePublicKey(b); !errors.Is(err, ErrInvalidPublicKey) {
			t.Errorf("public %x: %v", b, err)
		}
	}
	for _, p := range []string{"", "junk", string(k.PEM()) + "trailing"} {
		if _, err := ParsePEM([]byte(p)); !errors.Is(err, ErrInvalidSecretKey) {
			t.Errorf("PEM %q: %v", p, err)
		}
	}
}

func FuzzParsePublicKey(f *testing.F) {
	k, _ := Generate()
	pk := k.PublicKey()
	f.Add(pk[:])
	f.Fuzz(func(t *testing.T, b []byte) {
		pk, err := ParsePublicKey(b)
		if err != nil {
			return
		}
		if !bytes.Equal(pk[:], b) {
			t.Fatal("re-encoding differs")
		}
		if _, err := pk.ECDSA(); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzParsePEM(f *testing.F) {
	k, _ := Generate()
	f.Add(k.PEM())
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParsePEM(b)
		if err != nil {
			return
		}
		back, err := ParsePEM(k.PEM())
		if err != nil || !back.Equal(k) {
			t.Fatalf("PEM round trip: %v", err)
		}
	})
}
