package encoding

import (
	"errors"
	"fmt"
	"slices"

	"github.com/walrus-go/walrus/encoding/merkle"
	"github.com/walrus-go/walrus/encoding/rs"
)

// Errors about symbols, recovery and inconsistency proofs.
var (
	ErrInvalidSymbol     = errors.New("encoding: invalid recovery symbol")
	ErrNotEnoughSymbols  = errors.New("encoding: not enough valid symbols")
	ErrInconsistentBlob  = errors.New("encoding: blob encoding is inconsistent with its metadata")
	ErrInvalidProof      = errors.New("encoding: invalid inconsistency proof")
	ErrProofShowsNothing = errors.New("encoding: inconsistency proof decodes to a consistent sliver")
)

// DecodingSymbol is one cell of the expanded matrix, used to decode the
// sliver it belongs to. Index is the index of the orthogonal sliver it was
// computed from, which is its position in the target's expanded sliver.
type DecodingSymbol struct {
	Index uint16
	Data  []byte
}

// RecoverySymbol is a decoding symbol with the Merkle proof that ties it to
// the metadata: the tree is the source sliver's expanded form, the leaf
// index is the target sliver's index.
type RecoverySymbol struct {
	DecodingSymbol
	Proof []merkle.Node
}

// GeneralRecoverySymbol is a recovery symbol that names its target: the
// type and index of the sliver it helps recover.
type GeneralRecoverySymbol struct {
	TargetType  SliverType
	TargetIndex uint16
	Symbol      RecoverySymbol
}

// SymbolID names a cell of the expanded matrix by its (primary, secondary)
// sliver indices, rendered "p-s" in URLs and JSON.
type SymbolID struct {
	Primary, Secondary uint16
}

// String renders the ID as "<primary>-<secondary>".
func (id SymbolID) String() string { return fmt.Sprintf("%d-%d", id.Primary, id.Secondary) }

// ParseSymbolID parses "<primary>-<secondary>".
func ParseSymbolID(s string) (SymbolID, error) {
	var id SymbolID
	var p, q uint32
	var rest string
	if n, _ := fmt.Sscanf(s, "%d-%d%s", &p, &q, &rest); n != 2 || p > 0xffff || q > 0xffff || fmt.Sprintf("%d-%d", p, q) != s {
		return id, fmt.Errorf("encoding: invalid symbol ID %q (want <primary>-<secondary>)", s)
	}
	return SymbolID{Primary: uint16(p), Secondary: uint16(q)}, nil
}

// ID returns the matrix cell of a general recovery symbol.
func (g *GeneralRecoverySymbol) ID() SymbolID {
	if g.TargetType == Primary {
		return SymbolID{Primary: g.TargetIndex, Secondary: g.Symbol.Index}
	}
	return SymbolID{Primary: g.Symbol.Index, Secondary: g.TargetIndex}
}

// Expander computes expanded slivers, sliver hashes and recovery symbols for
// one shard count. It keeps scratch space and is not safe for concurrent use.
type Expander struct {
	p        Params
	axes     *axisEncoder
	hasher   merkle.Hasher
	leaves   []merkle.Node
	cells    [][]byte
	decoders [2]*rs.Decoder // by target sliver type
}

// NewExpander returns an Expander for n shards.
func NewExpander(n int) (*Expander, error) {
	p, err := NewParams(n)
	if err != nil {
		return nil, err
	}
	return &Expander{p: p, axes: newAxisEncoder(p), leaves: make([]merkle.Node, n)}, nil
}

// decoder returns the (cached) 1-D decoder for slivers of type t.
func (x *Expander) decoder(t SliverType) *rs.Decoder {
	if x.decoders[t] == nil {
		k := x.p.SliverSymbols(t)
		code, _ := rs.New(k, x.p.N-k)
		x.decoders[t] = rs.NewDecoder(code)
	}
	return x.decoders[t]
}

// Params returns the expander's parameters.
func (x *Expander) Params() Params { return x.p }

func (x *Expander) checkParams(md *VerifiedMetadata) error {
	if len(md.Metadata.Hashes) != x.p.N {
		return fmt.Errorf("%w: metadata for %d shards, expander for %d", ErrInvalidMetadata, len(md.Metadata.Hashes), x.p.N)
	}
	return nil
}

// tree returns the Merkle tree over a sliver's expanded form, and that form.
func (x *Expander) tree(s *Sliver) (*merkle.Tree, []byte) {
	ss := int(s.SymbolSize)
	expanded := x.axes.expand(s.Type, s.Data, ss)
	leaves := make([]merkle.Node, x.p.N)
	x.hasher.Leaves(leaves, x.cellsOf(expanded, ss))
	return merkle.NewTree(leaves), expanded
}

// cellsOf splits an expanded sliver into its n cells (reusing a slice).
func (x *Expander) cellsOf(expanded []byte, ss int) [][]byte {
	x.cells = x.cells[:0]
	for i := 0; i < x.p.N; i++ {
		x.cells = append(x.cells, expanded[i*ss:(i+1)*ss])
	}
	return x.cells
}

// SliverRoot returns the Merkle root over the sliver's expanded form, which
// is what the metadata records for it.
func (x *Expander) SliverRoot(s *Sliver) merkle.Node {
	ss := int(s.SymbolSize)
	expanded := x.axes.expand(s.Type, s.Data, ss)
	x.hasher.Leaves(x.leaves, x.cellsOf(expanded, ss))
	return merkle.RootInPlace(x.leaves)
}

// VerifySliver checks a sliver's index, size and contents against the
// metadata.
func (x *Expander) VerifySliver(md *VerifiedMetadata, s *Sliver) error {
	if err := x.checkParams(md); err != nil {
		return err
	}
	if err := x.p.CheckSliverShape(s, md.SymbolSize()); err != nil {
		return err
	}
	if x.SliverRoot(s) != md.SliverHash(s.Type, int(s.Index)) {
		return fmt.Errorf("%w: %s sliver %d of blob %s", ErrSliverMismatch, s.Type, s.Index, md.BlobID)
	}
	return nil
}

// RecoverySymbols computes, from a sliver this node holds (verified against
// md by the caller), the symbols that help recover the orthogonal slivers
// with the given target indices, each with its proof.
func (x *Expander) RecoverySymbols(md *VerifiedMetadata, source *Sliver, targets []int) ([]GeneralRecoverySymbol, error) {
	if err := x.checkParams(md); err != nil {
		return nil, err
	}
	if err := x.p.CheckSliverShape(source, md.SymbolSize()); err != nil {
		return nil, err
	}
	tree, expanded := x.tree(source)
	ss := int(source.SymbolSize)
	out := make([]GeneralRecoverySymbol, 0, len(targets))
	for _, t := range targets {
		if t < 0 || t >= x.p.N {
			return nil, fmt.Errorf("%w: target index %d, n=%d", ErrSliverIndex, t, x.p.N)
		}
		proof, _ := tree.Proof(t)
		out = append(out, GeneralRecoverySymbol{
			TargetType:  source.Type.Orthogonal(),
			TargetIndex: uint16(t),
			Symbol: RecoverySymbol{
				DecodingSymbol: DecodingSymbol{Index: source.Index, Data: slices.Clone(expanded[t*ss : (t+1)*ss])},
				Proof:          proof,
			},
		})
	}
	return out, nil
}

// VerifyRecoverySymbol checks that sym is the cell of the target sliver
// (targetType, targetIndex) that the metadata commits to.
func VerifyRecoverySymbol(md *VerifiedMetadata, targetType SliverType, targetIndex int, sym *RecoverySymbol) error {
	n := len(md.Metadata.Hashes)
	if targetIndex < 0 || targetIndex >= n || int(sym.Index) >= n {
		return fmt.Errorf("%w: index out of range (target %d, source %d, n=%d)", ErrInvalidSymbol, targetIndex, sym.Index, n)
	}
	if len(sym.Data) != md.SymbolSize() {
		return fmt.Errorf("%w: %d bytes, want %d", ErrInvalidSymbol, len(sym.Data), md.SymbolSize())
	}
	root := md.SliverHash(targetType.Orthogonal(), int(sym.Index))
	if err := merkle.Verify(root, merkle.LeafHash(sym.Data), targetIndex, n, sym.Proof); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSymbol, err)
	}
	return nil
}

// RecoveryThreshold returns how many symbols recover a sliver of type t:
// S = n-f for a primary sliver, P = n-2f for a secondary one.
func (p Params) RecoveryThreshold(t SliverType) int { return p.SliverSymbols(t) }

// InconsistencyProof shows that a blob's encoding does not match its
// metadata: exactly RecoveryThreshold symbols that each verify, but decode
// to a sliver whose hash differs from the metadata's.
type InconsistencyProof struct {
	TargetType  SliverType // the axis of the target sliver (not serialized: it is in the route)
	TargetIndex uint16
	Symbols     []RecoverySymbol
}

// RecoverSliver verifies the given symbols for sliver (t, index), decodes it
// from the first RecoveryThreshold valid ones with distinct sources, and
// checks it against the metadata. Invalid symbols are skipped. When the
// decoded sliver does not match the metadata the blob was encoded
// inconsistently: the error wraps ErrInconsistentBlob and the returned proof
// shows it.
func (x *Expander) RecoverSliver(md *VerifiedMetadata, t SliverType, index int, symbols []RecoverySymbol) (*Sliver, *InconsistencyProof, error) {
	if err := x.checkParams(md); err != nil {
		return nil, nil, err
	}
	k := x.p.RecoveryThreshold(t)
	chosen := make([]RecoverySymbol, 0, k)
	seen := make(map[uint16]bool, k)
	for i := range symbols {
		s := &symbols[i]
		if seen[s.Index] || VerifyRecoverySymbol(md, t, index, s) != nil {
			continue
		}
		seen[s.Index] = true
		chosen = append(chosen, *s)
		if len(chosen) == k {
			break
		}
	}
	return x.recoverChosen(md, t, index, chosen)
}

// RecoverVerifiedSliver is RecoverSliver for symbols the caller has already
// checked with VerifyRecoverySymbol, with distinct indices: it decodes from
// the first RecoveryThreshold of them without hashing their proofs again.
func (x *Expander) RecoverVerifiedSliver(md *VerifiedMetadata, t SliverType, index int, symbols []RecoverySymbol) (*Sliver, *InconsistencyProof, error) {
	if err := x.checkParams(md); err != nil {
		return nil, nil, err
	}
	return x.recoverChosen(md, t, index, symbols[:min(len(symbols), x.p.RecoveryThreshold(t))])
}

// recoverChosen decodes sliver (t, index) from exactly k verified symbols
// with distinct indices and checks it against the metadata.
func (x *Expander) recoverChosen(md *VerifiedMetadata, t SliverType, index int, chosen []RecoverySymbol) (*Sliver, *InconsistencyProof, error) {
	if k := x.p.RecoveryThreshold(t); len(chosen) < k {
		return nil, nil, fmt.Errorf("%w: %d of %d needed to recover %s sliver %d", ErrNotEnoughSymbols, len(chosen), k, t, index)
	}
	sliver, err := x.decodeSliver(md, t, index, chosen)
	if err != nil {
		return nil, nil, err
	}
	if x.SliverRoot(sliver) != md.SliverHash(t, index) {
		proof := &InconsistencyProof{TargetType: t, TargetIndex: uint16(index), Symbols: chosen}
		return nil, proof, fmt.Errorf("%w: recovered %s sliver %d of blob %s", ErrInconsistentBlob, t, index, md.BlobID)
	}
	return sliver, nil, nil
}

// decodeSliver decodes the source symbols of sliver (t, index) from k
// symbols with distinct indices. A sliver of type t is a codeword of the
// code that expands it: the secondary code for rows, the primary for columns.
func (x *Expander) decodeSliver(md *VerifiedMetadata, t SliverType, index int, symbols []RecoverySymbol) (*Sliver, error) {
	ss := md.SymbolSize()
	k := x.p.SliverSymbols(t)
	slots := make([][]byte, x.p.N)
	for i := range symbols {
		slots[symbols[i].Index] = symbols[i].Data
	}
	if err := x.decoder(t).Decode(slots, ss); err != nil {
		return nil, err
	}
	data := make([]byte, k*ss)
	for i := 0; i < k; i++ {
		copy(data[i*ss:], slots[i])
	}
	return &Sliver{Type: t, Index: uint16(index), SymbolSize: uint16(ss), Data: data}, nil
}

// VerifyInconsistencyProof accepts the proof only if it has exactly the
// recovery threshold of symbols with distinct sources, each verifies against
// the metadata, and they decode to a sliver whose hash differs from the
// metadata's.
func (x *Expander) VerifyInconsistencyProof(md *VerifiedMetadata, proof *InconsistencyProof) error {
	if err := x.checkParams(md); err != nil {
		return err
	}
	k := x.p.RecoveryThreshold(proof.TargetType)
	if len(proof.Symbols) != k {
		return fmt.Errorf("%w: %d symbols, want exactly %d", ErrInvalidProof, len(proof.Symbols), k)
	}
	seen := make(map[uint16]bool, k)
	for i := range proof.Symbols {
		s := &proof.Symbols[i]
		if seen[s.Index] {
			return fmt.Errorf("%w: duplicate symbol index %d", ErrInvalidProof, s.Index)
		}
		seen[s.Index] = true
		if err := VerifyRecoverySymbol(md, proof.TargetType, int(proof.TargetIndex), s); err != nil {
			return fmt.Errorf("%w: symbol %d: %w", ErrInvalidProof, i, err)
		}
	}
	sliver, err := x.decodeSliver(md, proof.TargetType, int(proof.TargetIndex), proof.Symbols)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidProof, err)
	}
	if x.SliverRoot(sliver) == md.SliverHash(proof.TargetType, int(proof.TargetIndex)) {
		return ErrProofShowsNothing
	}
	return nil
}
