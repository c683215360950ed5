package encoding

import (
	"errors"
	"fmt"

	"github.com/walrus-go/walrus/encoding/merkle"
)

// SliverType tells the two axes apart: a primary sliver is a row of the
// message matrix, a secondary sliver a column.
type SliverType uint8

// The sliver types, with their wire values.
const (
	Primary   SliverType = 0
	Secondary SliverType = 1
)

// String returns "primary" or "secondary", as in node API URLs.
func (t SliverType) String() string {
	switch t {
	case Primary:
		return "primary"
	case Secondary:
		return "secondary"
	}
	return fmt.Sprintf("SliverType(%d)", uint8(t))
}

// Orthogonal returns the other axis.
func (t SliverType) Orthogonal() SliverType { return 1 - t }

// ParseSliverType parses "primary" or "secondary".
func ParseSliverType(s string) (SliverType, error) {
	switch s {
	case "primary":
		return Primary, nil
	case "secondary":
		return Secondary, nil
	}
	return 0, fmt.Errorf("encoding: invalid sliver type %q (want primary or secondary)", s)
}

// Errors about slivers.
var (
	ErrSliverIndex    = errors.New("encoding: sliver index out of range")
	ErrSliverSize     = errors.New("encoding: sliver has the wrong size")
	ErrSliverMismatch = errors.New("encoding: sliver does not match the metadata")
)

// Sliver is a primary or secondary sliver: the source symbols of one row or
// column of the message matrix, concatenated.
type Sliver struct {
	Type       SliverType
	Index      uint16 // sliver index (not pair index)
	SymbolSize uint16
	Data       []byte
}

// SymbolCount returns the number of symbols in the sliver.
func (s *Sliver) SymbolCount() int {
	if s.SymbolSize == 0 {
		return 0
	}
	return len(s.Data) / int(s.SymbolSize)
}

// Symbol returns symbol i of the sliver.
func (s *Sliver) Symbol(i int) []byte {
	ss := int(s.SymbolSize)
	return s.Data[i*ss : (i+1)*ss]
}

// PairIndex returns the index of the sliver pair this sliver belongs to.
func (s *Sliver) PairIndex(p Params) int { return p.PairIndex(s.Type, int(s.Index)) }

// SliverPair is the primary and secondary sliver that one shard stores for a blob.
type SliverPair struct {
	Primary   Sliver // index = pair index
	Secondary Sliver // index = n-1-pair index
}

// PairIndex returns the pair's index.
func (sp *SliverPair) PairIndex() int { return int(sp.Primary.Index) }

// SliverSymbols returns how many symbols a sliver of type t has: S for
// primary slivers (a row), P for secondary ones (a column).
func (p Params) SliverSymbols(t SliverType) int {
	if t == Primary {
		return p.Secondary()
	}
	return p.Primary()
}

// CheckSliverShape validates a sliver's index and size for a blob with the
// given symbol size, without looking at its contents.
func (p Params) CheckSliverShape(s *Sliver, symbolSize int) error {
	if int(s.Index) >= p.N {
		return fmt.Errorf("%w: %s sliver %d, n=%d", ErrSliverIndex, s.Type, s.Index, p.N)
	}
	if int(s.SymbolSize) != symbolSize {
		return fmt.Errorf("%w: symbol size %d, want %d", ErrSliverSize, s.SymbolSize, symbolSize)
	}
	if want := p.SliverSymbols(s.Type) * symbolSize; len(s.Data) != want {
		return fmt.Errorf("%w: %s sliver has %d bytes, want %d", ErrSliverSize, s.Type, len(s.Data), want)
	}
	return nil
}

// expandedHash returns the Merkle root over the n symbols of the sliver
// expanded along the orthogonal code, which is what the metadata commits to.
func expandedRoot(p Params, s *Sliver, enc *axisEncoder, h *merkle.Hasher) merkle.Node {
	leaves := make([]merkle.Node, p.N)
	expanded := enc.expand(s.Type, s.Data, int(s.SymbolSize))
	ss := int(s.SymbolSize)
	for i := 0; i < p.N; i++ {
		leaves[i] = h.Leaf(expanded[i*ss : (i+1)*ss])
	}
	return merkle.Root(leaves)
}
