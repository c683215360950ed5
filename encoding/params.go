// Package encoding implements RedStuff (encoding type RS2), Walrus's
// two-dimensional erasure code, byte-compatible with Walrus: the parameters
// derived from the shard count, the expansion of a blob into primary and
// secondary slivers, sliver-pair metadata and the blob ID, sliver
// verification, recovery symbols, decoding and inconsistency proofs.
//
// The package is pure: no I/O, no goroutines except the bounded worker pool
// that parallelises encoding across cores, no clock.
package encoding

import (
	"errors"
	"fmt"

	"github.com/walrus-go/walrus/encoding/rs"
)

// EncodingTypeRS2 is the on-chain and wire value of the RS2 encoding type.
const EncodingTypeRS2 byte = 1

// MaxSymbolSize is the largest symbol size in bytes (u16::MAX - 1, even).
const MaxSymbolSize = 65534

// MaxShards bounds the shard count: sliver and shard indices are u16. The
// GF(2^16) code's 65536 evaluation points bound it further (NewParams checks).
const MaxShards = 65535

// Errors returned by parameter computations.
var (
	ErrInvalidShardCount = errors.New("encoding: invalid number of shards")
	ErrDataTooLarge      = errors.New("encoding: data too large to be encoded")
)

// Params are the code parameters for a number of shards n.
type Params struct {
	N int // shards = sliver pairs per blob
	F int // tolerated faulty shards, (n-1)/3
}

// NewParams returns the parameters for n shards. Walrus needs n >= 4 so that
// f >= 1 and both codes have repair symbols.
func NewParams(n int) (Params, error) {
	if n < 4 || n > MaxShards {
		return Params{}, fmt.Errorf("%w: %d (must be 4..%d)", ErrInvalidShardCount, n, MaxShards)
	}
	p := Params{N: n, F: (n - 1) / 3}
	// Both 1-D codes must fit the field's 65536 evaluation points.
	if _, err := rs.New(p.Primary(), n-p.Primary()); err != nil {
		return Params{}, fmt.Errorf("%w: %d: %w", ErrInvalidShardCount, n, err)
	}
	if _, err := rs.New(p.Secondary(), n-p.Secondary()); err != nil {
		return Params{}, fmt.Errorf("%w: %d: %w", ErrInvalidShardCount, n, err)
	}
	return p, nil
}

// Primary returns P = n-2f: the primary code's source symbols, which is the
// number of rows of the message matrix and of symbols per secondary sliver.
func (p Params) Primary() int { return p.N - 2*p.F }

// Secondary returns S = n-f: the secondary code's source symbols, which is the
// number of columns of the message matrix and of symbols per primary sliver.
func (p Params) Secondary() int { return p.N - p.F }

// SourceSymbols returns P*S, the number of source symbols per blob.
func (p Params) SourceSymbols() int { return p.Primary() * p.Secondary() }

// MaxBlobSize returns the largest blob the parameters can encode.
func (p Params) MaxBlobSize() uint64 { return uint64(p.SourceSymbols()) * MaxSymbolSize }

// QuorumThreshold returns the minimum shard weight of a quorum (2f+1).
func (p Params) QuorumThreshold() int { return 2*p.F + 1 }

// ValidityThreshold returns the minimum shard weight that contains a correct node (f+1).
func (p Params) ValidityThreshold() int { return p.F + 1 }

// SymbolSize returns the symbol size for a blob of length size: the smallest
// even size such that P*S symbols hold the blob (at least 2, for the empty blob).
func (p Params) SymbolSize(size uint64) (int, error) {
	if size == 0 {
		size = 1
	}
	src := uint64(p.SourceSymbols())
	ss := (size + src - 1) / src
	ss += ss & 1
	if ss > MaxSymbolSize {
		return 0, fmt.Errorf("%w: %d bytes exceeds the maximum of %d bytes for %d shards",
			ErrDataTooLarge, size, p.MaxBlobSize(), p.N)
	}
	return int(ss), nil
}

// PrimarySliverSize returns the byte length of a primary sliver (S symbols).
func (p Params) PrimarySliverSize(symbolSize int) int { return p.Secondary() * symbolSize }

// SecondarySliverSize returns the byte length of a secondary sliver (P symbols).
func (p Params) SecondarySliverSize(symbolSize int) int { return p.Primary() * symbolSize }

// MetadataSize returns the byte length that the chain charges for one copy
// of the metadata: n pairs of two 32-byte hashes plus the blob ID.
func (p Params) MetadataSize() uint64 { return uint64(p.N)*64 + 32 }

// EncodedLength returns the encoded size charged on chain for a blob of the
// given unencoded length: every shard is charged for one sliver pair and a
// full copy of the metadata.
func (p Params) EncodedLength(size uint64) (uint64, error) {
	ss, err := p.SymbolSize(size)
	if err != nil {
		return 0, err
	}
	pair := uint64(p.Primary()+p.Secondary()) * uint64(ss)
	return uint64(p.N) * (pair + p.MetadataSize()), nil
}

// EncodedBlobLength is EncodedLength for n shards.
func EncodedBlobLength(size uint64, nShards int) (uint64, error) {
	p, err := NewParams(nShards)
	if err != nil {
		return 0, err
	}
	return p.EncodedLength(size)
}

// PairToShard maps sliver pair index pair to the shard that stores it for the
// blob with the given ID (rotation by the blob ID, §1.4).
func (p Params) PairToShard(id BlobID, pair int) int {
	return (pair + id.RotationOffset(p.N)) % p.N
}

// ShardToPair maps a shard to the sliver pair it stores for the given blob.
func (p Params) ShardToPair(id BlobID, shard int) int {
	return (shard - id.RotationOffset(p.N) + p.N) % p.N
}

// SliverIndex returns the index of the sliver of type t in sliver pair
// pair: the pair index for a primary sliver, n-1-pair for a secondary one.
func (p Params) SliverIndex(t SliverType, pair int) int {
	if t == Primary {
		return pair
	}
	return p.N - 1 - pair
}

// PairIndex returns the sliver pair that holds sliver (t, index). The
// mapping is its own inverse.
func (p Params) PairIndex(t SliverType, index int) int { return p.SliverIndex(t, index) }
