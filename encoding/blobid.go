package encoding

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"

	"golang.org/x/crypto/blake2b"
)

// BlobID is the 32-byte identifier of a blob: a commitment to its encoding
// type, unencoded length and the Merkle root over its sliver pairs.
type BlobID [32]byte

// ErrInvalidBlobID reports a blob ID string that does not parse.
var ErrInvalidBlobID = errors.New("encoding: invalid blob ID")

// DeriveBlobID computes BLAKE2b-256(encodingType || u64le(size) || root), which
// is the BCS form of Move's {encoding_type: u8, size: u64, root_hash: u256}.
func DeriveBlobID(encodingType byte, size uint64, root [32]byte) BlobID {
	var buf [1 + 8 + 32]byte
	buf[0] = encodingType
	binary.LittleEndian.PutUint64(buf[1:9], size)
	copy(buf[9:], root[:])
	return BlobID(blake2b.Sum256(buf[:]))
}

// String returns the canonical form: URL-safe base64 without padding.
func (id BlobID) String() string { return base64.RawURLEncoding.EncodeToString(id[:]) }

// MarshalText implements encoding.TextMarshaler (the canonical string).
func (id BlobID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *BlobID) UnmarshalText(b []byte) error {
	v, err := ParseBlobID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// ParseBlobID parses the canonical base64url (unpadded) form.
func ParseBlobID(s string) (BlobID, error) {
	var id BlobID
	if len(s) != 43 {
		return id, fmt.Errorf("%w: %q has %d characters, want 43", ErrInvalidBlobID, s, len(s))
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != 32 {
		return id, fmt.Errorf("%w: %q is not unpadded URL-safe base64 of 32 bytes", ErrInvalidBlobID, s)
	}
	copy(id[:], b)
	return id, nil
}

// Decimal returns the blob ID as the decimal form of the on-chain u256, whose
// little-endian bytes are the ID's bytes.
func (id BlobID) Decimal() string {
	var be [32]byte
	for i := range id {
		be[31-i] = id[i]
	}
	return new(big.Int).SetBytes(be[:]).String()
}

// ParseBlobIDDecimal parses the decimal (little-endian u256) form.
func ParseBlobIDDecimal(s string) (BlobID, error) {
	var id BlobID
	if s == "" || len(s) > 78 {
		return id, fmt.Errorf("%w: %q is not a decimal u256", ErrInvalidBlobID, s)
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return id, fmt.Errorf("%w: %q is not a decimal u256", ErrInvalidBlobID, s)
		}
	}
	v, ok := new(big.Int).SetString(s, 10)
	if !ok || v.BitLen() > 256 {
		return id, fmt.Errorf("%w: %q is not a decimal u256", ErrInvalidBlobID, s)
	}
	var be [32]byte
	v.FillBytes(be[:])
	for i := range id {
		id[i] = be[31-i]
	}
	return id, nil
}

// RotationOffset returns the blob ID read as a big-endian 256-bit integer,
// modulo n: the offset by which sliver pairs rotate onto shards.
func (id BlobID) RotationOffset(n int) int {
	var r uint64
	for _, b := range id {
		r = (r<<8 | uint64(b)) % uint64(n)
	}
	return int(r)
}
