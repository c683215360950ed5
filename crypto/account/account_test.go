package account

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestKnownAnswer uses the key of RFC 8032's first test vector; the address
// was computed independently (Python's hashlib.blake2b, digest_size=32).
func TestKnownAnswer(t *testing.T) {
	seed, _ := hex.DecodeString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
	k, err := ParseSecretKey(seed)
	if err != nil {
		t.Fatal(err)
	}
	pk := k.PublicKey()
	if got := hex.EncodeToString(pk[:]); got != "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a" {
		t.Fatalf("public key %s", got)
	}
	const addr = "0x304af458e90e97c841685b8cbbc59b909f3e2cf150df590ada4c81452c29737d"
	if got := k.Address().String(); got != addr {
		t.Fatalf("address %s, want %s", got, addr)
	}
	// RFC 8032 test 1: the empty message.
	sig := k.Sign(nil)
	const want = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
	if got := hex.EncodeToString(sig[:]); got != want {
		t.Fatalf("signature %s", got)
	}
	if err := pk.Verify(nil, sig[:]); err != nil {
		t.Fatal(err)
	}
	if err := pk.Verify([]byte("x"), sig[:]); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("wrong message: %v", err)
	}
	if err := pk.Verify(nil, sig[:63]); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("short signature: %v", err)
	}
}

func TestAddress(t *testing.T) {
	a, err := ParseAddress("0x2")
	if err != nil || a[31] != 2 || a.String() != "0x"+strings.Repeat("0", 63)+"2" {
		t.Fatalf("short form: %v %s", err, a)
	}
	k, _ := Generate()
	a = k.Address()
	b, err := ParseAddress(strings.ToUpper(a.String()[2:]))
	if err == nil {
		t.Fatalf("accepted address without 0x: %s", b)
	}
	b, err = ParseAddress("0x" + strings.ToUpper(a.String()[2:]))
	if err != nil || b != a {
		t.Fatalf("upper case: %v", err)
	}
	js, _ := json.Marshal(a)
	var c Address
	if err := json.Unmarshal(js, &c); err != nil || c != a {
		t.Fatalf("JSON: %v", err)
	}
	for _, s := range []string{"", "0x", "0x" + strings.Repeat("0", 65), "0xg", "1234"} {
		if _, err := ParseAddress(s); !errors.Is(err, ErrInvalidAddress) {
			t.Errorf("%q: %v", s, err)
		}
	}
	for _, b := range [][]byte{nil, make([]byte, 31), make([]byte, 33)} {
		if _, err := ParseSecretKey(b); !errors.Is(err, ErrInvalidSecretKey) {
			t.Errorf("secret %d bytes: %v", len(b), err)
		}
		if _, err := ParsePublicKey(b); !errors.Is(err, ErrInvalidPublicKey) {
			t.Errorf("public %d bytes: %v", len(b), err)
		}
	}
}

func TestKeystore(t *testing.T) {
	ks := NewKeystore()
	if _, err := ks.Active(); !errors.Is(err, ErrEmptyKeystore) {
		t.Fatalf("empty Active: %v", err)
	}
	k1, err := ks.Generate("alice")
	if err != nil {
		t.Fatal(err)
	}
	k2, err := ks.Generate("")
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.Add(k1, "bob"); !errors.Is(err, ErrDuplicateKey) {
		t.Fatalf("duplicate key: %v", err)
	}
	if _, err := ks.Generate("alice"); !errors.Is(err, ErrDuplicateAlias) {
		t.Fatalf("duplicate alias: %v", err)
	}
	for _, bad := range []string{"1abc", "a b", "-x", strings.Repeat("a", 65)} {
		if _, err := ks.Generate(bad); !errors.Is(err, ErrInvalidAlias) {
			t.Errorf("alias %q: %v", bad, err)
		}
	}
	if a, _ := ks.Active(); !a.Equal(k1) {
		t.Fatal("default active is not the first key")
	}
	if err := ks.SetActive(k2.Address().String()); err != nil {
		t.Fatal(err)
	}
	if a, _ := ks.Active(); !a.Equal(k2) {
		t.Fatal("SetActive by address")
	}
	if err := ks.SetActive("nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SetActive unknown: %v", err)
	}
	if k, err := ks.Key("alice"); err != nil || !k.Equal(k1) {
		t.Fatalf("Key by alias: %v", err)
	}

	// A foreign (secp256k1) entry survives a round trip.
	foreign := base64.StdEncoding.EncodeToString(append([]byte{0x01}, bytes.Repeat([]byte{7}, 32)...))
	file := ks.Marshal()
	var raws []string
	if err := json.Unmarshal(file, &raws); err != nil || len(raws) != 2 {
		t.Fatalf("keystore file %s: %v", file, err)
	}
	sk1 := k1.Bytes()
	if raws[0] != base64.StdEncoding.EncodeToString(append([]byte{0}, sk1[:]...)) {
		t.Fatalf("entry 0 is %s", raws[0])
	}
	raws = append(raws, foreign)
	file, _ = json.Marshal(raws)
	aliases := ks.MarshalAliases()

	back, err := ParseKeystore(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := back.ParseAliases(aliases); err != nil {
		t.Fatal(err)
	}
	list := back.List()
	if len(list) != 2 || list[0].Alias != "alice" || list[0].Address != k1.Address() || list[1].Address != k2.Address() {
		t.Fatalf("List after round trip: %+v", list)
	}
	if l := ks.List(); list[1].Alias != l[1].Alias {
		t.Fatalf("generated alias lost: %q vs %q", list[1].Alias, l[1].Alias)
	}
	var again []string
	_ = json.Unmarshal(back.Marshal(), &again)
	if len(again) != 3 || again[2] != foreign {
		t.Fatalf("foreign entry not kept: %v", again)
	}
	if err := back.Remove("alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := back.Key("alice"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after Remove: %v", err)
	}
}

func TestKeystoreRejects(t *testing.T) {
	k, _ := Generate()
	sk := k.Bytes()
	good := base64.StdEncoding.EncodeToString(append([]byte{0}, sk[:]...))
	cases := map[string]string{
		"not json":      `nope`,
		"object":        `{}`,
		"not base64":    `["!!"]`,
		"empty entry":   `[""]`,
		"short ed25519": `["AAEC"]`,
		"trailing":      `["` + good + `"] []`,
		"duplicate":     `["` + good + `","` + good + `"]`,
	}
	for name, in := range cases {
		if _, err := ParseKeystore([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	ks, err := ParseKeystore([]byte(`["` + good + `"]`))
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string]string{
		"not json":  `{`,
		"bad alias": `[{"alias":"9","public_key_base64":"x"}]`,
		"duplicate": `[{"alias":"a","public_key_base64":"x"},{"alias":"a","public_key_base64":"y"}]`,
	} {
		if err := ks.ParseAliases([]byte(in)); err == nil {
			t.Errorf("aliases %s: accepted", name)
		}
	}
}

func FuzzParseKeystore(f *testing.F) {
	f.Add([]byte(`["AAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB"]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ks, err := ParseKeystore(b)
		if err != nil {
			return
		}
		back, err := ParseKeystore(ks.Marshal())
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if len(back.List()) != len(ks.List()) {
			t.Fatal("round trip lost keys")
		}
	})
}
