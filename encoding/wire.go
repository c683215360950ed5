package encoding

import (
	"errors"
	"fmt"

	"github.com/walrus-go/walrus/bcs"
	"github.com/walrus-go/walrus/encoding/merkle"
)

// ErrWireFormat wraps every decoding error of this file.
var ErrWireFormat = errors.New("encoding: malformed wire data")

// maxProofLen bounds decoded Merkle paths: a tree of at most MaxShards
// leaves is 16 levels deep.
const maxProofLen = 16

// maxSymbolsPerMessage bounds the vectors of symbols in one message.
const maxSymbolsPerMessage = MaxShards

func wireErr(err error) error { return fmt.Errorf("%w: %w", ErrWireFormat, err) }

// EncodeSliver appends SliverData: symbols.data (vector), symbols.symbol_size
// (u16), index (u16). The type is not part of the encoding.
func EncodeSliver(e *bcs.Encoder, s *Sliver) {
	e.ByteVec(s.Data)
	e.U16(s.SymbolSize)
	e.U16(s.Index)
}

// MarshalSliver returns the BCS form of a sliver.
func MarshalSliver(s *Sliver) []byte {
	e := bcs.NewEncoder(len(s.Data) + 9)
	EncodeSliver(e, s)
	return e.Bytes()
}

// MarshalSliverParts returns the BCS form of a sliver in three parts,
// head ‖ s.Data ‖ tail, so that it can be sent without copying the data.
func MarshalSliverParts(s *Sliver) (head, tail []byte) {
	e := bcs.NewEncoder(5)
	e.ULEB(uint32(len(s.Data)))
	t := bcs.NewEncoder(4)
	t.U16(s.SymbolSize)
	t.U16(s.Index)
	return e.Bytes(), t.Bytes()
}

func checkSymbolSize(d *bcs.Decoder, ss uint16, dataLen int) {
	if d.Err() != nil {
		return
	}
	if ss == 0 || ss%2 != 0 || ss > MaxSymbolSize {
		d.Fail(fmt.Errorf("%w: symbol size %d", bcs.ErrInvalidData, ss))
		return
	}
	if dataLen%int(ss) != 0 {
		d.Fail(fmt.Errorf("%w: %d data bytes are not a multiple of symbol size %d", bcs.ErrInvalidData, dataLen, ss))
	}
}

func decodeSliver(d *bcs.Decoder, t SliverType) Sliver {
	s := decodeSliverShared(d, t)
	if s.Data != nil {
		s.Data = append([]byte(nil), s.Data...)
	}
	return s
}

// decodeSliverShared is decodeSliver with Data aliasing the decoder's bytes.
func decodeSliverShared(d *bcs.Decoder, t SliverType) Sliver {
	var s Sliver
	s.Type = t
	data := d.ByteVec(1 << 31)
	s.SymbolSize = d.U16()
	s.Index = d.U16()
	checkSymbolSize(d, s.SymbolSize, len(data))
	if d.Err() == nil {
		s.Data = data
	}
	return s
}

// UnmarshalSliver parses a sliver of type t strictly. Its index and size are
// checked against a blob only by Params.CheckSliverShape or VerifySliver.
func UnmarshalSliver(t SliverType, b []byte) (*Sliver, error) {
	d := bcs.NewDecoder(b)
	s := decodeSliver(d, t)
	if err := d.Finish(); err != nil {
		return nil, wireErr(err)
	}
	return &s, nil
}

// UnmarshalSliverShared is UnmarshalSliver without copying the data: the
// sliver's Data aliases b, which must not change while the sliver is used.
// For a buffer that is the sliver's only use (a request or response body),
// it saves copying megabytes.
func UnmarshalSliverShared(t SliverType, b []byte) (*Sliver, error) {
	d := bcs.NewDecoder(b)
	s := decodeSliverShared(d, t)
	if err := d.Finish(); err != nil {
		return nil, wireErr(err)
	}
	return &s, nil
}

// EncodeProof appends a MerkleProof (a vector of nodes).
func EncodeProof(e *bcs.Encoder, proof []merkle.Node) {
	e.ULEB(uint32(len(proof)))
	for _, n := range proof {
		EncodeNode(e, n)
	}
}

// DecodeProof reads a MerkleProof of at most 16 nodes.
func DecodeProof(d *bcs.Decoder) []merkle.Node {
	n := d.Len(maxProofLen, 1)
	if d.Err() != nil {
		return nil
	}
	proof := make([]merkle.Node, n)
	for i := range proof {
		proof[i] = DecodeNode(d)
	}
	return proof
}

// EncodeDecodingSymbol appends DecodingSymbol: index (u16), data (vector).
func EncodeDecodingSymbol(e *bcs.Encoder, s *DecodingSymbol) {
	e.U16(s.Index)
	e.ByteVec(s.Data)
}

func decodeDecodingSymbol(d *bcs.Decoder) DecodingSymbol {
	var s DecodingSymbol
	s.Index = d.U16()
	data := d.ByteVec(MaxSymbolSize)
	if d.Err() == nil && (len(data) == 0 || len(data)%2 != 0) {
		d.Fail(fmt.Errorf("%w: symbol of %d bytes", bcs.ErrInvalidData, len(data)))
	}
	if d.Err() == nil {
		s.Data = append([]byte(nil), data...)
	}
	return s
}

// EncodeRecoverySymbol appends RecoverySymbol: DecodingSymbol then MerkleProof.
func EncodeRecoverySymbol(e *bcs.Encoder, s *RecoverySymbol) {
	EncodeDecodingSymbol(e, &s.DecodingSymbol)
	EncodeProof(e, s.Proof)
}

func decodeRecoverySymbol(d *bcs.Decoder) RecoverySymbol {
	var s RecoverySymbol
	s.DecodingSymbol = decodeDecodingSymbol(d)
	s.Proof = DecodeProof(d)
	return s
}

// EncodeGeneralRecoverySymbol appends GeneralRecoverySymbol: the symbol as
// an enum by target axis (0 primary, 1 secondary), the target index, the proof.
func EncodeGeneralRecoverySymbol(e *bcs.Encoder, g *GeneralRecoverySymbol) {
	e.ULEB(uint32(g.TargetType))
	EncodeDecodingSymbol(e, &g.Symbol.DecodingSymbol)
	e.U16(g.TargetIndex)
	EncodeProof(e, g.Symbol.Proof)
}

func decodeGeneralRecoverySymbol(d *bcs.Decoder) GeneralRecoverySymbol {
	var g GeneralRecoverySymbol
	g.TargetType = SliverType(d.Tag(2))
	g.Symbol.DecodingSymbol = decodeDecodingSymbol(d)
	g.TargetIndex = d.U16()
	g.Symbol.Proof = DecodeProof(d)
	return g
}

// MarshalGeneralRecoverySymbols returns the BCS vector of symbols that the
// node's recoverySymbols route answers with.
func MarshalGeneralRecoverySymbols(syms []GeneralRecoverySymbol) []byte {
	e := bcs.NewEncoder(64 * len(syms))
	e.ULEB(uint32(len(syms)))
	for i := range syms {
		EncodeGeneralRecoverySymbol(e, &syms[i])
	}
	return e.Bytes()
}

// UnmarshalGeneralRecoverySymbols parses a BCS vector of general recovery
// symbols strictly.
func UnmarshalGeneralRecoverySymbols(b []byte) ([]GeneralRecoverySymbol, error) {
	d := bcs.NewDecoder(b)
	n := d.Len(maxSymbolsPerMessage, 6)
	var out []GeneralRecoverySymbol
	if d.Err() == nil {
		out = make([]GeneralRecoverySymbol, 0, n)
		for i := 0; i < n && d.Err() == nil; i++ {
			out = append(out, decodeGeneralRecoverySymbol(d))
		}
	}
	if err := d.Finish(); err != nil {
		return nil, wireErr(err)
	}
	return out, nil
}

// MarshalInconsistencyProof returns the BCS InconsistencyProof: target sliver
// index (u16) and the recovery symbols. The axis is given by the route.
func MarshalInconsistencyProof(p *InconsistencyProof) []byte {
	e := bcs.NewEncoder(64 * len(p.Symbols))
	e.U16(p.TargetIndex)
	e.ULEB(uint32(len(p.Symbols)))
	for i := range p.Symbols {
		EncodeRecoverySymbol(e, &p.Symbols[i])
	}
	return e.Bytes()
}

// UnmarshalInconsistencyProof parses a BCS InconsistencyProof for axis t.
func UnmarshalInconsistencyProof(t SliverType, b []byte) (*InconsistencyProof, error) {
	d := bcs.NewDecoder(b)
	p := &InconsistencyProof{TargetType: t}
	p.TargetIndex = d.U16()
	n := d.Len(maxSymbolsPerMessage, 5)
	if d.Err() == nil {
		p.Symbols = make([]RecoverySymbol, 0, n)
		for i := 0; i < n && d.Err() == nil; i++ {
			p.Symbols = append(p.Symbols, decodeRecoverySymbol(d))
		}
	}
	if err := d.Finish(); err != nil {
		return nil, wireErr(err)
	}
	return p, nil
}

// MarshalDecodingSymbol returns the BCS form of one decoding symbol.
func MarshalDecodingSymbol(s *DecodingSymbol) []byte {
	e := bcs.NewEncoder(len(s.Data) + 5)
	EncodeDecodingSymbol(e, s)
	return e.Bytes()
}

// UnmarshalDecodingSymbol parses one decoding symbol strictly.
func UnmarshalDecodingSymbol(b []byte) (*DecodingSymbol, error) {
	d := bcs.NewDecoder(b)
	s := decodeDecodingSymbol(d)
	if err := d.Finish(); err != nil {
		return nil, wireErr(err)
	}
	return &s, nil
}

// MarshalRecoverySymbol returns the BCS form of one recovery symbol.
func MarshalRecoverySymbol(s *RecoverySymbol) []byte {
	e := bcs.NewEncoder(len(s.Data) + 6 + 33*len(s.Proof))
	EncodeRecoverySymbol(e, s)
	return e.Bytes()
}

// UnmarshalRecoverySymbol parses one recovery symbol strictly.
func UnmarshalRecoverySymbol(b []byte) (*RecoverySymbol, error) {
	d := bcs.NewDecoder(b)
	s := decodeRecoverySymbol(d)
	if err := d.Finish(); err != nil {
		return nil, wireErr(err)
	}
	return &s, nil
}
