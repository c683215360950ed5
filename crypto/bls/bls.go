// Package bls implements the BLS signatures Walrus uses: BLS12-381 in the
// "min-pk" setting (public keys in G1, 48 bytes compressed; signatures in G2,
// 96 bytes compressed) with the basic-scheme ciphersuite
// BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_, as fastcrypto's
// bls12381::min_pk and Move's bls12381_min_pk_verify define it.
//
// Rogue-key attacks on aggregation are prevented the Walrus way: every key is
// registered together with a proof of possession (see ProvePossession), so
// same-message aggregation (FastAggregateVerify, AggregateKey) is safe for
// keys that passed that check.
//
// Decoding is strict: only compressed encodings of exactly the right length
// are accepted, points must be on the curve and in the prime-order subgroup,
// and the identity is rejected for both public keys and signatures.
//
// The package is pure (no I/O); key files live in crypto/keyfile. The
// arithmetic comes from github.com/consensys/gnark-crypto, which is not
// constant-time: signing leaks timing information about the secret scalar to
// an observer who can time many signatures.
package bls

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/big"

	bls12381 "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// Sizes of the encoded forms.
const (
	SecretKeySize = 32 // big-endian scalar
	PublicKeySize = 48 // compressed G1 point
	SignatureSize = 96 // compressed G2 point
)

// SchemeFlag is the signature-scheme byte that tags BLS12-381 keys in Sui's
// and Walrus's key files.
const SchemeFlag byte = 0x04

// DST is the hash-to-curve domain separation tag of the basic scheme.
const DST = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_"

// Errors.
var (
	ErrInvalidSecretKey = errors.New("bls: invalid secret key")
	ErrInvalidPublicKey = errors.New("bls: invalid public key")
	ErrInvalidSignature = errors.New("bls: invalid signature")
	ErrBadSignature     = errors.New("bls: signature verification failed")
	ErrShortSeed        = errors.New("bls: seed shorter than 32 bytes")
	ErrEmpty            = errors.New("bls: nothing to aggregate")
	ErrIdentityKey      = errors.New("bls: aggregate public key is the identity")
)

// Constants computed once: the DST as bytes, and -g1, used to check
// e(pk, H(m)) * e(-g1, sig) == 1.
var (
	dst   = []byte(DST)
	negG1 = func() bls12381.G1Affine {
		_, _, g1, _ := bls12381.Generators()
		var n bls12381.G1Affine
		n.Neg(&g1)
		return n
	}()
)

// SecretKey is a non-zero scalar modulo the group order r.
type SecretKey struct {
	s fr.Element
}

// GenerateKey draws 32 bytes of key material from r (normally crypto/rand's
// Reader) and derives a key from them with KeyFromSeed, as fastcrypto does.
func GenerateKey(r io.Reader) (*SecretKey, error) {
	var ikm [32]byte
	if _, err := io.ReadFull(r, ikm[:]); err != nil {
		return nil, fmt.Errorf("bls: reading randomness: %w", err)
	}
	return KeyFromSeed(ikm[:])
}

// KeyFromSeed derives a key deterministically from at least 32 bytes of key
// material with the KeyGen procedure of draft-irtf-cfrg-bls-signature-05
// (HKDF-SHA-256, salt "BLS-SIG-KEYGEN-SALT-" hashed before first use, empty
// key_info), which is what blst's key_gen, and hence fastcrypto, implement.
func KeyFromSeed(ikm []byte) (*SecretKey, error) {
	salt := sha256.Sum256([]byte("BLS-SIG-KEYGEN-SALT-"))
	return keyGen(ikm, salt[:])
}

// keyGen runs the IETF KeyGen loop starting from the given salt (used as is
// in the first round and hashed before each retry).
func keyGen(ikm, salt []byte) (*SecretKey, error) {
	if len(ikm) < 32 {
		return nil, ErrShortSeed
	}
	ikm0 := append(append(make([]byte, 0, len(ikm)+1), ikm...), 0)
	const l = 48
	info := string([]byte{0, l}) // key_info (empty) || I2OSP(L, 2)
	for {
		prk, err := hkdf.Extract(sha256.New, ikm0, salt)
		if err != nil {
			return nil, fmt.Errorf("bls: keygen: %w", err)
		}
		okm, err := hkdf.Expand(sha256.New, prk, info, l)
		if err != nil {
			return nil, fmt.Errorf("bls: keygen: %w", err)
		}
		var sk SecretKey
		sk.s.SetBigInt(new(big.Int).SetBytes(okm)) // reduces mod r
		if !sk.s.IsZero() {
			return &sk, nil
		}
		h := sha256.Sum256(salt)
		salt = h[:]
	}
}

// ParseSecretKey decodes a 32-byte big-endian scalar, which must be non-zero
// and below the group order.
func ParseSecretKey(b []byte) (*SecretKey, error) {
	if len(b) != SecretKeySize {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrInvalidSecretKey, len(b), SecretKeySize)
	}
	var sk SecretKey
	if err := sk.s.SetBytesCanonical(b); err != nil {
		return nil, fmt.Errorf("%w: not below the group order", ErrInvalidSecretKey)
	}
	if sk.s.IsZero() {
		return nil, fmt.Errorf("%w: zero", ErrInvalidSecretKey)
	}
	return &sk, nil
}

// Bytes returns the 32-byte big-endian scalar.
func (sk *SecretKey) Bytes() [SecretKeySize]byte { return sk.s.Bytes() }

// Equal reports whether two secret keys are the same scalar.
func (sk *SecretKey) Equal(o *SecretKey) bool { return sk.s.Equal(&o.s) }

// PublicKey returns sk·g1.
func (sk *SecretKey) PublicKey() *PublicKey {
	var p bls12381.G1Affine
	p.ScalarMultiplicationBase(sk.s.BigInt(new(big.Int)))
	return newPublicKey(&p)
}

// Sign returns sk·H(msg).
func (sk *SecretKey) Sign(msg []byte) *Signature {
	h := HashMessage(msg)
	return sk.SignHashed(h)
}

// SignHashed signs a message hashed once with HashMessage.
func (sk *SecretKey) SignHashed(h *HashedMessage) *Signature {
	var p bls12381.G2Affine
	p.ScalarMultiplication(&h.p, sk.s.BigInt(new(big.Int)))
	return newSignature(&p)
}

// HashedMessage is a message mapped to G2. Hashing costs about a third of a
// verification, so callers that check many signatures on one message (an
// aggregator collecting confirmations) hash it once.
type HashedMessage struct {
	p bls12381.G2Affine
}

// HashMessage maps msg to G2 with the package's DST.
func HashMessage(msg []byte) *HashedMessage {
	p, err := bls12381.HashToG2(msg, dst)
	if err != nil {
		// Only possible for a DST longer than 255 bytes.
		panic("bls: hash to G2: " + err.Error())
	}
	return &HashedMessage{p: p}
}
