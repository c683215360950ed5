package bls

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"testing"

	bls12381 "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fp"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testKey derives a deterministic key from a small integer.
func testKey(t testing.TB, i int) *SecretKey {
	t.Helper()
	seed := make([]byte, 32)
	seed[0], seed[1] = byte(i), byte(i>>8)
	sk, err := KeyFromSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	return sk
}

func TestSignVerify(t *testing.T) {
	sk, err := GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pk := sk.PublicKey()
	msg := []byte("hello walrus")
	sig := sk.Sign(msg)
	if err := Verify(pk, msg, sig); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if err := Verify(pk, []byte("hello walrus!"), sig); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("wrong message: %v", err)
	}
	other := testKey(t, 1).PublicKey()
	if err := Verify(other, msg, sig); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("wrong key: %v", err)
	}
	if err := Verify(&PublicKey{}, msg, sig); !errors.Is(err, ErrInvalidPublicKey) {
		t.Fatalf("zero key: %v", err)
	}
	if err := Verify(pk, msg, &Signature{}); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("zero signature: %v", err)
	}
	// Round trips through the byte forms.
	b := sk.Bytes()
	sk2, err := ParseSecretKey(b[:])
	if err != nil || !sk2.Equal(sk) {
		t.Fatalf("secret key round trip: %v", err)
	}
	pb := pk.Bytes()
	pk2, err := ParsePublicKey(pb[:])
	if err != nil || !pk2.Equal(pk) || pk2.p != pk.p {
		t.Fatalf("public key round trip: %v", err)
	}
	sb := sig.Bytes()
	sig2, err := ParseSignature(sb[:])
	if err != nil || !sig2.Equal(sig) || sig2.p != sig.p {
		t.Fatalf("signature round trip: %v", err)
	}
	// Signing is deterministic.
	if !sk.Sign(msg).Equal(sig) {
		t.Fatal("signing is not deterministic")
	}
}

func TestKeyFromSeed(t *testing.T) {
	if _, err := KeyFromSeed(make([]byte, 31)); !errors.Is(err, ErrShortSeed) {
		t.Fatalf("short seed: %v", err)
	}
	a, b := testKey(t, 7), testKey(t, 7)
	if !a.Equal(b) {
		t.Fatal("KeyFromSeed is not deterministic")
	}
	if a.Equal(testKey(t, 8)) {
		t.Fatal("different seeds gave the same key")
	}
}

// TestKnownAnswers checks fixed vectors: the generator as the key of the
// scalar 1, and signatures from the reference implementation of the IETF
// draft (kwantam/bls_sigs_ref, sig_g2_basic, which uses the older KeyGen whose
// salt is not hashed before the first round).
func TestKnownAnswers(t *testing.T) {
	one := make([]byte, 32)
	one[31] = 1
	sk, err := ParseSecretKey(one)
	if err != nil {
		t.Fatal(err)
	}
	pk := sk.PublicKey().Bytes()
	const g1 = "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb"
	if got := hex.EncodeToString(pk[:]); got != g1 {
		t.Fatalf("1·g1 = %s, want %s", got, g1)
	}

	vectors := []struct{ msg, ikm, sig string }{
		{
			"ff624d0ba02c7b6370c1622eec3fa2186ea681d1659e0a845448e777b75a8e77a77bb26e5733179d58ef9bc8a4e8b6971aef2539f77ab0963a3415bbd6258339bd1bf55de65db520c63f5b8eab3d55debd05e9494212170f5d65b3286b8b668705b1e2b2b5568610617abb51d2dd0cb450ef59df4b907da90cfa7b268de8c4c2",
			"708309a7449e156b0db70e5b52e606c7e094ed676ce8953bf6c14757c826f590",
			"b1341b7f4fbaa9228ae3b98b8c070c8758d67e111fc20f11a49fac426384b148722791589aaacb4a1d48ec93fe838bca1217078d6b4ae284d985c1081a622b32e8122612bc0bab3596d052e82b7562fd48f7b2c78ac344ee784fd5f53d5a00ad",
		},
		{
			"9155e91fd9155eeed15afd83487ea1a3af04c5998b77c0fe8c43dcc479440a8a9a89efe883d9385cb9edfde10b43bce61fb63669935ad39419cf29ef3a936931733bfc2378e253e73b7ae9a3ec7a6a7932ab10f1e5b94d05160c053988f3bdc9167155d069337d42c9a7056619efc031fa5ec7310d29bd28980b1e3559757578",
			"90c5386100b137a75b0bb495002b28697a451add2f1f22cb65f735e8aaeace98",
			"b33d55ac59b8ac68291f25cf2ee53d8a3bb2c6e969ae3803308fe300158016d12ca5da94fd57f55e15416fb04d76e97004a38ef44f889e5f9d079f52786b33d8ecd66e03675b1cd4c785fe087c746b7003cb6cdd828ba1106cf7405cc4f0485f",
		},
		{
			"b242a7586a1383368a33c88264889adfa3be45422fbef4a2df4e3c5325a9c7757017e0d5cf4bbf4de7f99d189f81f1fd2f0dd645574d1eb0d547eead9375677819297c1abe62526ae29fc54cdd11bfe17714f2fbd2d0d0e8d297ff98535980482dd5c1ebdc5a7274aabf1382c9f2315ca61391e3943856e4c5e616c2f1f7be0d",
			"a3a43cece9c1abeff81099fb344d01f7d8df66447b95a667ee368f924bccf870",
			"a3d39937ec047753c02c5fbc06a122a2491f55bbe4c5ef14f7c3d885fed4fdb12ab0cf6686f56d18054a90e82567c4630616f41b0beef580c589d52761380cbf208792b3ccefae457ed1487f03d0dbb2d78802b123ee9a6ae2c09466019ecb4f",
		},
	}
	for i, v := range vectors {
		sk, err := keyGen(mustHex(t, v.ikm), []byte("BLS-SIG-KEYGEN-SALT-"))
		if err != nil {
			t.Fatal(err)
		}
		msg := mustHex(t, v.msg)
		sig := sk.Sign(msg).Bytes()
		if got := hex.EncodeToString(sig[:]); got != v.sig {
			t.Errorf("vector %d: signature %s, want %s", i, got, v.sig)
		}
		parsed, err := ParseSignature(mustHex(t, v.sig))
		if err != nil {
			t.Fatal(err)
		}
		if err := Verify(sk.PublicKey(), msg, parsed); err != nil {
			t.Errorf("vector %d: %v", i, err)
		}
	}
}

// offSubgroupG1 returns a point on the G1 curve outside the prime-order
// subgroup.
func offSubgroupG1(t testing.TB) bls12381.G1Affine {
	var p bls12381.G1Affine
	var four fp.Element
	four.SetUint64(4)
	for x := uint64(1); ; x++ {
		p.X.SetUint64(x)
		var y2 fp.Element
		y2.Square(&p.X).Mul(&y2, &p.X).Add(&y2, &four)
		if p.Y.Sqrt(&y2) == nil {
			continue
		}
		if p.IsOnCurve() && !p.IsInSubGroup() {
			return p
		}
	}
}

// offSubgroupG2 returns a point on the G2 twist outside the prime-order
// subgroup.
func offSubgroupG2(t testing.TB) bls12381.G2Affine {
	// The twist's constant b' = y² - x³, read off the generator.
	_, _, _, g := bls12381.Generators()
	var b, x3 bls12381.E2
	b.Square(&g.Y)
	x3.Square(&g.X).Mul(&x3, &g.X)
	b.Sub(&b, &x3)
	var p bls12381.G2Affine
	for x := uint64(1); ; x++ {
		p.X.A0.SetUint64(x)
		p.X.A1.SetZero()
		var rhs bls12381.E2
		rhs.Square(&p.X).Mul(&rhs, &p.X).Add(&rhs, &b)
		if rhs.Legendre() != 1 {
			continue
		}
		p.Y.Sqrt(&rhs)
		if p.IsOnCurve() && !p.IsInSubGroup() {
			return p
		}
	}
}

func TestParseRejects(t *testing.T) {
	pk := testKey(t, 1).PublicKey().Bytes()
	sig := testKey(t, 1).Sign([]byte("m")).Bytes()
	offG1 := offSubgroupG1(t)
	offG1b := offG1.Bytes()
	offG2 := offSubgroupG2(t)
	offG2b := offG2.Bytes()

	// x = p (the field modulus) is not a canonical coordinate.
	modulus := fp.Modulus().Bytes()
	nonCanonG1 := make([]byte, 48)
	copy(nonCanonG1[48-len(modulus):], modulus)
	nonCanonG1[0] |= 0x80

	notOnCurveG1 := append([]byte(nil), pk[:]...)
	notOnCurveG1[47] ^= 1 // flips x; most x have no square root
	for {
		if _, err := ParsePublicKey(notOnCurveG1); err != nil {
			break
		}
		notOnCurveG1[46]++
	}

	infG1 := make([]byte, 48)
	infG1[0] = 0xc0
	infG2 := make([]byte, 96)
	infG2[0] = 0xc0

	pkTests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"short", pk[:47]},
		{"long", append(pk[:], 0)},
		{"uncompressed flag", func() []byte { b := pk; b[0] &^= 0x80; return b[:] }()},
		{"uncompressed form", func() []byte { b := testKey(t, 1).PublicKey().p.RawBytes(); return b[:] }()},
		{"identity", infG1},
		{"identity with sign bit", func() []byte { b := append([]byte(nil), infG1...); b[0] |= 0x20; return b }()},
		{"identity with garbage", func() []byte { b := append([]byte(nil), infG1...); b[47] = 1; return b }()},
		{"not on curve", notOnCurveG1},
		{"not in subgroup", offG1b[:]},
		{"non-canonical x", nonCanonG1},
	}
	for _, tc := range pkTests {
		if _, err := ParsePublicKey(tc.b); !errors.Is(err, ErrInvalidPublicKey) {
			t.Errorf("public key %s: err = %v", tc.name, err)
		}
	}
	sigTests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"short", sig[:95]},
		{"long", append(sig[:], 0)},
		{"uncompressed flag", func() []byte { b := sig; b[0] &^= 0x80; return b[:] }()},
		{"identity", infG2},
		{"not in subgroup", offG2b[:]},
		{"public key", pk[:]},
	}
	for _, tc := range sigTests {
		if _, err := ParseSignature(tc.b); !errors.Is(err, ErrInvalidSignature) {
			t.Errorf("signature %s: err = %v", tc.name, err)
		}
	}

	r := fr.Modulus()
	rb := make([]byte, 32)
	r.FillBytes(rb)
	rMinus1 := new(big.Int).Sub(r, big.NewInt(1)).FillBytes(make([]byte, 32))
	if _, err := ParseSecretKey(rMinus1); err != nil {
		t.Errorf("r-1 rejected: %v", err)
	}
	skTests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"short", make([]byte, 31)},
		{"zero", make([]byte, 32)},
		{"order", rb},
		{"all ones", bytes.Repeat([]byte{0xff}, 32)},
	}
	for _, tc := range skTests {
		if _, err := ParseSecretKey(tc.b); !errors.Is(err, ErrInvalidSecretKey) {
			t.Errorf("secret key %s: err = %v", tc.name, err)
		}
	}
}

func TestAggregate(t *testing.T) {
	msg := []byte("same message")
	var sks []*SecretKey
	var pks []*PublicKey
	var sigs []*Signature
	for i := range 5 {
		sk := testKey(t, i)
		sks = append(sks, sk)
		pks = append(pks, sk.PublicKey())
		sigs = append(sigs, sk.Sign(msg))
	}
	agg, err := AggregateSignatures(sigs...)
	if err != nil {
		t.Fatal(err)
	}
	if err := FastAggregateVerify(pks, msg, agg); err != nil {
		t.Fatalf("FastAggregateVerify: %v", err)
	}
	if err := FastAggregateVerify(pks[:4], msg, agg); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("missing signer: %v", err)
	}
	if err := FastAggregateVerify(pks, []byte("other"), agg); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("other message: %v", err)
	}
	if _, err := AggregateSignatures(); !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty: %v", err)
	}
	if err := FastAggregateVerify(nil, msg, agg); !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty keys: %v", err)
	}
	// Subtracting a key and its signature.
	all, _ := AggregatePublicKeys(pks...)
	a := all.Clone()
	if err := a.Sub(pks[2]); err != nil {
		t.Fatal(err)
	}
	partial, _ := AggregateSignatures(sigs[0], sigs[1], sigs[3], sigs[4])
	if err := a.Verify(msg, partial); err != nil {
		t.Fatalf("after Sub: %v", err)
	}
	if err := all.Verify(msg, agg); err != nil {
		t.Fatalf("Clone aliased: %v", err)
	}
	// Subtracting everything leaves the identity, which never verifies.
	for _, pk := range pks {
		_ = all.Sub(pk)
	}
	if _, err := all.PublicKey(); !errors.Is(err, ErrIdentityKey) {
		t.Fatalf("identity PublicKey: %v", err)
	}
	if err := all.Verify(msg, agg); !errors.Is(err, ErrIdentityKey) {
		t.Fatalf("identity Verify: %v", err)
	}
	var empty AggregateKey
	if err := empty.Add(&PublicKey{}); !errors.Is(err, ErrInvalidPublicKey) {
		t.Fatalf("Add zero key: %v", err)
	}
	// Sum as a key equals the key of the summed scalars.
	var sum fr.Element
	for _, sk := range sks[:2] {
		sum.Add(&sum, &sk.s)
	}
	two, _ := AggregatePublicKeys(pks[0], pks[1])
	twoPK, err := two.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	if !twoPK.Equal((&SecretKey{s: sum}).PublicKey()) {
		t.Fatal("aggregate key is not the key of the summed scalars")
	}
	var b AggregateKey
	b.AddAggregate(two)
	if bp, _ := b.PublicKey(); !bp.Equal(twoPK) {
		t.Fatal("AddAggregate")
	}
	// A signature and its negation sum to the identity, which is rejected.
	var neg bls12381.G2Affine
	neg.Neg(&sigs[0].p)
	if _, err := AggregateSignatures(sigs[0], newSignature(&neg)); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("identity aggregate: %v", err)
	}
}

func TestProofOfPossession(t *testing.T) {
	sk := testKey(t, 3)
	pk := sk.PublicKey()
	var addr [32]byte
	addr[0] = 0xaa
	proof := sk.ProvePossession(5, addr)
	if err := VerifyPossession(pk, 5, addr, proof); err != nil {
		t.Fatal(err)
	}
	if err := VerifyPossession(pk, 6, addr, proof); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("wrong epoch: %v", err)
	}
	addr[1] = 1
	if err := VerifyPossession(pk, 5, addr, proof); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("wrong address: %v", err)
	}
	m := PossessionMessage(0x01020304, addr, pk)
	pkb := pk.Bytes()
	want := append(append([]byte{0, 0, 3, 4, 3, 2, 1}, addr[:]...), pkb[:]...)
	if !bytes.Equal(m, want) || len(m) != PossessionMessageSize {
		t.Fatalf("PossessionMessage = %x, want %x", m, want)
	}
}

func TestText(t *testing.T) {
	sk := testKey(t, 4)
	v := struct {
		PK  *PublicKey `json:"pk"`
		Sig *Signature `json:"sig"`
	}{sk.PublicKey(), sk.Sign([]byte("x"))}
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		PK  PublicKey `json:"pk"`
		Sig Signature `json:"sig"`
	}
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if !back.PK.Equal(v.PK) || !back.Sig.Equal(v.Sig) {
		t.Fatal("JSON round trip")
	}
	for _, bad := range []string{`{"pk":"AAAA"}`, `{"pk":"` + v.PK.String()[:63] + `!"}`, `{"sig":"` + v.PK.String() + `"}`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	if _, err := (&PublicKey{}).MarshalText(); err == nil {
		t.Error("zero key marshalled")
	}
	if _, err := (&Signature{}).MarshalText(); err == nil {
		t.Error("zero signature marshalled")
	}
}

func FuzzParsePublicKey(f *testing.F) {
	pk := testKey(f, 1).PublicKey().Bytes()
	f.Add(pk[:])
	f.Add(make([]byte, 48))
	f.Fuzz(func(t *testing.T, b []byte) {
		pk, err := ParsePublicKey(b)
		if err != nil {
			return
		}
		if out := pk.Bytes(); !bytes.Equal(out[:], b) {
			t.Fatalf("re-encoding %x gave %x", b, out)
		}
		if !pk.p.IsInSubGroup() || pk.p.IsInfinity() {
			t.Fatal("accepted a point outside the subgroup")
		}
	})
}

func FuzzParseSignature(f *testing.F) {
	sig := testKey(f, 1).Sign([]byte("m")).Bytes()
	f.Add(sig[:])
	f.Add(make([]byte, 96))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSignature(b)
		if err != nil {
			return
		}
		if out := s.Bytes(); !bytes.Equal(out[:], b) {
			t.Fatalf("re-encoding %x gave %x", b, out)
		}
		if !s.p.IsInSubGroup() || s.p.IsInfinity() {
			t.Fatal("accepted a point outside the subgroup")
		}
	})
}

func FuzzParseSecretKey(f *testing.F) {
	sk := testKey(f, 1).Bytes()
	f.Add(sk[:])
	f.Fuzz(func(t *testing.T, b []byte) {
		sk, err := ParseSecretKey(b)
		if err != nil {
			return
		}
		if out := sk.Bytes(); !bytes.Equal(out[:], b) {
			t.Fatalf("re-encoding %x gave %x", b, out)
		}
	})
}

func BenchmarkSign(b *testing.B) {
	sk := testKey(b, 1)
	msg := make([]byte, 40)
	for b.Loop() {
		sk.Sign(msg)
	}
}

func BenchmarkVerify(b *testing.B) {
	sk := testKey(b, 1)
	pk := sk.PublicKey()
	msg := make([]byte, 40)
	sig := sk.Sign(msg)
	for b.Loop() {
		if err := Verify(pk, msg, sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHashMessage(b *testing.B) {
	msg := make([]byte, 40)
	for b.Loop() {
		HashMessage(msg)
	}
}

func BenchmarkParsePublicKey(b *testing.B) {
	pk := testKey(b, 1).PublicKey().Bytes()
	for b.Loop() {
		if _, err := ParsePublicKey(pk[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSignature(b *testing.B) {
	sig := testKey(b, 1).Sign(nil).Bytes()
	for b.Loop() {
		if _, err := ParseSignature(sig[:]); err != nil {
			b.Fatal(err)
		}
	}
}
