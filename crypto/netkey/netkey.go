// Package netkey holds a storage node's network key: an ECDSA secp256r1
// (P-256) key that identifies the node in TLS. Walrus publishes the public
// half on chain in compressed SEC1 form (33 bytes) and stores the secret as
// a 32-byte big-endian scalar, tagged with SchemeFlag in key files (see
// crypto/keyfile), or as PKCS#8 PEM.
//
// The package is pure: no I/O.
package netkey

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
)

// Sizes of the encoded forms.
const (
	SecretKeySize = 32 // big-endian scalar
	PublicKeySize = 33 // compressed SEC1 point
)

// SchemeFlag is the signature-scheme byte of secp256r1 in Sui's and Walrus's
// tagged key encodings.
const SchemeFlag byte = 0x02

// Errors.
var (
	ErrInvalidSecretKey = errors.New("netkey: invalid secret key")
	ErrInvalidPublicKey = errors.New("netkey: invalid public key")
)

// PrivateKey is a P-256 private key.
type PrivateKey struct {
	k *ecdsa.PrivateKey
}

// Generate creates a key with randomness from crypto/rand. (Since Go 1.26
// the standard library ignores caller-supplied randomness for key
// generation; use ParseSecretKey with fixed bytes for reproducible tests.)
func Generate() (*PrivateKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), nil)
	if err != nil {
		return nil, fmt.Errorf("netkey: generate: %w", err)
	}
	return &PrivateKey{k: k}, nil
}

// ParseSecretKey decodes a 32-byte big-endian scalar in [1, n-1].
func ParseSecretKey(b []byte) (*PrivateKey, error) {
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidSecretKey, err)
	}
	return &PrivateKey{k: k}, nil
}

// ParsePEM decodes a PKCS#8 "PRIVATE KEY" PEM block holding a P-256 key.
// Text around the block is not allowed, except whitespace.
func ParsePEM(data []byte) (*PrivateKey, error) {
	block, rest := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%w: no PKCS#8 PRIVATE KEY PEM block", ErrInvalidSecretKey)
	}
	if len(trimSpace(rest)) != 0 {
		return nil, fmt.Errorf("%w: data after the PEM block", ErrInvalidSecretKey)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidSecretKey, err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok || ek.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: PKCS#8 key is not a P-256 ECDSA key", ErrInvalidSecretKey)
	}
	return &PrivateKey{k: ek}, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\r' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// Bytes returns the 32-byte big-endian secret scalar.
func (k *PrivateKey) Bytes() [SecretKeySize]byte {
	b, err := k.k.Bytes()
	if err != nil || len(b) != SecretKeySize {
		panic("netkey: P-256 key without a 32-byte scalar")
	}
	return [SecretKeySize]byte(b)
}

// PEM returns the key as a PKCS#8 "PRIVATE KEY" PEM block.
func (k *PrivateKey) PEM() []byte {
	der, err := x509.MarshalPKCS8PrivateKey(k.k)
	if err != nil {
		panic("netkey: PKCS#8 of a P-256 key: " + err.Error())
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// ECDSA returns the standard-library key, for crypto/tls and crypto/x509
// (it implements crypto.Signer).
func (k *PrivateKey) ECDSA() *ecdsa.PrivateKey { return k.k }

// Equal reports whether two keys are the same.
func (k *PrivateKey) Equal(o *PrivateKey) bool { return k.k.Equal(o.k) }

// PublicKey returns the compressed public key.
func (k *PrivateKey) PublicKey() PublicKey {
	pk, err := FromECDSA(&k.k.PublicKey)
	if err != nil {
		panic("netkey: public key of a valid private key: " + err.Error())
	}
	return pk
}

// PublicKey is a compressed SEC1 P-256 point (0x02 or 0x03, then x). Values
// produced by ParsePublicKey, FromECDSA or PrivateKey.PublicKey are on the
// curve; the zero value is not.
type PublicKey [PublicKeySize]byte

// ParsePublicKey decodes a 33-byte compressed point and checks it is on the
// curve.
func ParsePublicKey(b []byte) (PublicKey, error) {
	if len(b) != PublicKeySize {
		return PublicKey{}, fmt.Errorf("%w: %d bytes, want %d", ErrInvalidPublicKey, len(b), PublicKeySize)
	}
	if _, err := decompress(b); err != nil {
		return PublicKey{}, err
	}
	return PublicKey(b), nil
}

// FromECDSA compresses a standard-library P-256 public key.
func FromECDSA(pub *ecdsa.PublicKey) (PublicKey, error) {
	if pub.Curve != elliptic.P256() {
		return PublicKey{}, fmt.Errorf("%w: not a P-256 key", ErrInvalidPublicKey)
	}
	u, err := pub.Bytes() // 0x04 || x || y
	if err != nil || len(u) != 65 {
		return PublicKey{}, fmt.Errorf("%w: %v", ErrInvalidPublicKey, err)
	}
	var pk PublicKey
	pk[0] = 0x02 | u[64]&1
	copy(pk[1:], u[1:33])
	return pk, nil
}

// ECDSA returns the key as a standard-library public key, for example to
// compare with the key in a peer's TLS certificate.
func (pk PublicKey) ECDSA() (*ecdsa.PublicKey, error) { return decompress(pk[:]) }

func decompress(b []byte) (*ecdsa.PublicKey, error) {
	x, y := elliptic.UnmarshalCompressed(elliptic.P256(), b)
	if x == nil {
		return nil, fmt.Errorf("%w: not a compressed P-256 point", ErrInvalidPublicKey)
	}
	u := make([]byte, 65)
	u[0] = 4
	x.FillBytes(u[1:33])
	y.FillBytes(u[33:])
	k, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), u)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPublicKey, err)
	}
	return k, nil
}

// String returns the standard base64 encoding.
func (pk PublicKey) String() string { return base64.StdEncoding.EncodeToString(pk[:]) }

// MarshalText implements encoding.TextMarshaler (standard base64).
func (pk PublicKey) MarshalText() ([]byte, error) { return []byte(pk.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (standard base64), and
// checks the point.
func (pk *PublicKey) UnmarshalText(t []byte) error {
	b, err := base64.StdEncoding.Strict().DecodeString(string(t))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidPublicKey, err)
	}
	v, err := ParsePublicKey(b)
	if err != nil {
		return err
	}
	*pk = v
	return nil
}
