// Package account implements Sui-style Ed25519 account keys: addresses
// (BLAKE2b-256 of the scheme flag 0x00 and the 32-byte public key, shown as
// 0x followed by 64 hex digits), signing and verification, and the
// keystore a CLI keeps its keys in (Sui's sui.keystore format: a JSON array
// of base64 strings of flag || 32-byte secret, plus the sui.aliases file).
//
// The package is pure: it encodes and decodes keystores as bytes;
// crypto/keyfile reads and writes them on disk with safe permissions.
package account

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/blake2b"
)

// Sizes of the encoded forms.
const (
	SecretKeySize = ed25519.SeedSize      // 32-byte seed
	PublicKeySize = ed25519.PublicKeySize // 32 bytes
	SignatureSize = ed25519.SignatureSize // 64 bytes
	AddressSize   = 32
)

// SchemeFlag is the signature-scheme byte of Ed25519 in Sui.
const SchemeFlag byte = 0x00

// Errors.
var (
	ErrInvalidSecretKey = errors.New("account: invalid secret key")
	ErrInvalidPublicKey = errors.New("account: invalid public key")
	ErrInvalidAddress   = errors.New("account: invalid address")
	ErrBadSignature     = errors.New("account: signature verification failed")
)

// Address is a Sui address.
type Address [AddressSize]byte

// ParseAddress parses 0x followed by 1 to 64 hex digits (Sui's form; short
// forms are left-padded with zeros).
func ParseAddress(s string) (Address, error) {
	var a Address
	h, ok := strings.CutPrefix(s, "0x")
	if !ok || len(h) == 0 || len(h) > 2*AddressSize {
		return a, fmt.Errorf("%w: %q is not 0x and 1 to 64 hex digits", ErrInvalidAddress, s)
	}
	h = strings.Repeat("0", 2*AddressSize-len(h)) + h
	if _, err := hex.Decode(a[:], []byte(h)); err != nil {
		return a, fmt.Errorf("%w: %q: %v", ErrInvalidAddress, s, err)
	}
	return a, nil
}

// String returns 0x and 64 lower-case hex digits.
func (a Address) String() string { return "0x" + hex.EncodeToString(a[:]) }

// MarshalText implements encoding.TextMarshaler.
func (a Address) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (a *Address) UnmarshalText(t []byte) error {
	v, err := ParseAddress(string(t))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// PublicKey is an Ed25519 public key.
type PublicKey [PublicKeySize]byte

// ParsePublicKey decodes 32 bytes; the point itself is checked at
// verification, as in the standard library.
func ParsePublicKey(b []byte) (PublicKey, error) {
	if len(b) != PublicKeySize {
		return PublicKey{}, fmt.Errorf("%w: %d bytes, want %d", ErrInvalidPublicKey, len(b), PublicKeySize)
	}
	return PublicKey(b), nil
}

// Address returns BLAKE2b-256(0x00 || pk).
func (pk PublicKey) Address() Address {
	var buf [1 + PublicKeySize]byte
	buf[0] = SchemeFlag
	copy(buf[1:], pk[:])
	return Address(blake2b.Sum256(buf[:]))
}

// Verify checks an Ed25519 signature on msg.
func (pk PublicKey) Verify(msg, sig []byte) error {
	if len(sig) != SignatureSize || !ed25519.Verify(pk[:], msg, sig) {
		return ErrBadSignature
	}
	return nil
}

// PrivateKey is an Ed25519 account key.
type PrivateKey struct {
	k ed25519.PrivateKey
}

// Generate creates a key from crypto/rand.
func Generate() (*PrivateKey, error) {
	var seed [SecretKeySize]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, fmt.Errorf("account: generate: %w", err)
	}
	return FromSeed(seed), nil
}

// FromSeed returns the key with the given 32-byte seed (Sui's stored secret).
func FromSeed(seed [SecretKeySize]byte) *PrivateKey {
	return &PrivateKey{k: ed25519.NewKeyFromSeed(seed[:])}
}

// ParseSecretKey decodes a 32-byte seed.
func ParseSecretKey(b []byte) (*PrivateKey, error) {
	if len(b) != SecretKeySize {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrInvalidSecretKey, len(b), SecretKeySize)
	}
	return FromSeed([SecretKeySize]byte(b)), nil
}

// Bytes returns the 32-byte seed.
func (k *PrivateKey) Bytes() [SecretKeySize]byte { return [SecretKeySize]byte(k.k.Seed()) }

// PublicKey returns the public key.
func (k *PrivateKey) PublicKey() PublicKey { return PublicKey(k.k.Public().(ed25519.PublicKey)) }

// Address returns the key's Sui address.
func (k *PrivateKey) Address() Address { return k.PublicKey().Address() }

// Sign returns the Ed25519 signature of msg.
func (k *PrivateKey) Sign(msg []byte) [SignatureSize]byte {
	return [SignatureSize]byte(ed25519.Sign(k.k, msg))
}

// Equal reports whether two keys are the same.
func (k *PrivateKey) Equal(o *PrivateKey) bool { return k.k.Equal(o.k) }
