package bls

import (
	"encoding/base64"
	"fmt"

	bls12381 "github.com/consensys/gnark-crypto/ecc/bls12-381"
)

// compressedFlag is the top bit of a compressed point encoding
// (the ZCash serialization that blst, fastcrypto and gnark share).
const compressedFlag = 0x80

// PublicKey is a validated G1 point (never the identity). It keeps both the
// affine point and its compressed encoding, so neither is recomputed. The
// zero value is not a valid key and fails every verification.
type PublicKey struct {
	p bls12381.G1Affine
	b [PublicKeySize]byte
}

func newPublicKey(p *bls12381.G1Affine) *PublicKey {
	return &PublicKey{p: *p, b: p.Bytes()}
}

// ParsePublicKey decodes a 48-byte compressed G1 point, checking that it is
// on the curve, in the prime-order subgroup and not the identity.
func ParsePublicKey(b []byte) (*PublicKey, error) {
	if len(b) != PublicKeySize {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrInvalidPublicKey, len(b), PublicKeySize)
	}
	if b[0]&compressedFlag == 0 {
		return nil, fmt.Errorf("%w: not in compressed form", ErrInvalidPublicKey)
	}
	var pk PublicKey
	if _, err := pk.p.SetBytes(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPublicKey, err)
	}
	if pk.p.IsInfinity() {
		return nil, fmt.Errorf("%w: identity", ErrInvalidPublicKey)
	}
	copy(pk.b[:], b)
	return &pk, nil
}

// Bytes returns the 48-byte compressed encoding.
func (pk *PublicKey) Bytes() [PublicKeySize]byte { return pk.b }

// Equal reports whether two keys are the same point.
func (pk *PublicKey) Equal(o *PublicKey) bool { return pk.b == o.b }

// String returns the standard base64 encoding, as Walrus prints keys.
func (pk *PublicKey) String() string { return base64.StdEncoding.EncodeToString(pk.b[:]) }

// MarshalText implements encoding.TextMarshaler (standard base64).
func (pk *PublicKey) MarshalText() ([]byte, error) {
	if pk.p.IsInfinity() {
		return nil, ErrInvalidPublicKey
	}
	return []byte(pk.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler (standard base64).
func (pk *PublicKey) UnmarshalText(t []byte) error {
	b, err := decodeBase64(t, PublicKeySize)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidPublicKey, err)
	}
	v, err := ParsePublicKey(b)
	if err != nil {
		return err
	}
	*pk = *v
	return nil
}

func (pk *PublicKey) valid() bool { return !pk.p.IsInfinity() }

// Signature is a validated G2 point (never the identity), with its
// compressed encoding. The zero value is not a valid signature.
type Signature struct {
	p bls12381.G2Affine
	b [SignatureSize]byte
}

func newSignature(p *bls12381.G2Affine) *Signature {
	return &Signature{p: *p, b: p.Bytes()}
}

// ParseSignature decodes a 96-byte compressed G2 point, checking that it is
// on the curve, in the prime-order subgroup and not the identity.
func ParseSignature(b []byte) (*Signature, error) {
	if len(b) != SignatureSize {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrInvalidSignature, len(b), SignatureSize)
	}
	if b[0]&compressedFlag == 0 {
		return nil, fmt.Errorf("%w: not in compressed form", ErrInvalidSignature)
	}
	var s Signature
	if _, err := s.p.SetBytes(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidSignature, err)
	}
	if s.p.IsInfinity() {
		return nil, fmt.Errorf("%w: identity", ErrInvalidSignature)
	}
	copy(s.b[:], b)
	return &s, nil
}

// Bytes returns the 96-byte compressed encoding.
func (s *Signature) Bytes() [SignatureSize]byte { return s.b }

// Equal reports whether two signatures are the same point.
func (s *Signature) Equal(o *Signature) bool { return s.b == o.b }

// String returns the standard base64 encoding.
func (s *Signature) String() string { return base64.StdEncoding.EncodeToString(s.b[:]) }

// MarshalText implements encoding.TextMarshaler (standard base64).
func (s *Signature) MarshalText() ([]byte, error) {
	if s.p.IsInfinity() {
		return nil, ErrInvalidSignature
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler (standard base64).
func (s *Signature) UnmarshalText(t []byte) error {
	b, err := decodeBase64(t, SignatureSize)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidSignature, err)
	}
	v, err := ParseSignature(b)
	if err != nil {
		return err
	}
	*s = *v
	return nil
}

func (s *Signature) valid() bool { return !s.p.IsInfinity() }

// decodeBase64 decodes strict standard (padded) base64 of exactly n bytes.
func decodeBase64(t []byte, n int) ([]byte, error) {
	if len(t) != base64.StdEncoding.EncodedLen(n) {
		return nil, fmt.Errorf("base64 of %d characters, want %d", len(t), base64.StdEncoding.EncodedLen(n))
	}
	b := make([]byte, n)
	if _, err := base64.StdEncoding.Strict().Decode(b, t); err != nil {
		return nil, err
	}
	return b, nil
}
