package encoding

import (
	"errors"
	"fmt"

	"github.com/walrus-go/walrus/bcs"
	"github.com/walrus-go/walrus/encoding/merkle"
)

// Errors about metadata.
var (
	ErrInvalidMetadata  = errors.New("encoding: invalid metadata")
	ErrBlobIDMismatch   = errors.New("encoding: metadata does not match the blob ID")
	ErrUnsupportedCodec = errors.New("encoding: unsupported encoding type")
)

// PairMetadata holds the Merkle roots of one sliver pair's expanded slivers.
type PairMetadata struct {
	Primary   merkle.Node // root over expanded row p
	Secondary merkle.Node // root over expanded column n-1-p
}

// Metadata is Walrus's BlobMetadata::V1: the encoding type, the unencoded
// length and the hashes of every sliver pair.
type Metadata struct {
	EncodingType    byte
	UnencodedLength uint64
	Hashes          []PairMetadata
}

// VerifiedMetadata is metadata together with the blob ID it hashes to. It is
// produced only by encoding or by verifying received metadata against an ID.
type VerifiedMetadata struct {
	BlobID   BlobID
	Metadata Metadata
}

// RootHash returns the Merkle root over the pair leaves (primary || secondary).
func (m *Metadata) RootHash() merkle.Node {
	leaves := make([]merkle.Node, len(m.Hashes))
	var buf [64]byte
	for i, h := range m.Hashes {
		copy(buf[:32], h.Primary[:])
		copy(buf[32:], h.Secondary[:])
		leaves[i] = merkle.LeafHash(buf[:])
	}
	return merkle.Root(leaves)
}

// ComputeBlobID derives the blob ID that the metadata commits to.
func (m *Metadata) ComputeBlobID() BlobID {
	return DeriveBlobID(m.EncodingType, m.UnencodedLength, m.RootHash())
}

// Params returns the code parameters implied by the number of pairs.
func (m *Metadata) Params() (Params, error) { return NewParams(len(m.Hashes)) }

// SymbolSize returns the symbol size implied by the unencoded length.
func (m *Metadata) SymbolSize() (int, error) {
	p, err := m.Params()
	if err != nil {
		return 0, err
	}
	return p.SymbolSize(m.UnencodedLength)
}

// Check validates the metadata's shape for a network of nShards shards.
func (m *Metadata) Check(nShards int) error {
	if m.EncodingType != EncodingTypeRS2 {
		return fmt.Errorf("%w: %d", ErrUnsupportedCodec, m.EncodingType)
	}
	if len(m.Hashes) != nShards {
		return fmt.Errorf("%w: %d sliver pair hashes, want %d", ErrInvalidMetadata, len(m.Hashes), nShards)
	}
	p, err := NewParams(nShards)
	if err != nil {
		return err
	}
	if _, err := p.SymbolSize(m.UnencodedLength); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidMetadata, err)
	}
	return nil
}

// Verify checks received metadata against the expected blob ID and shard
// count, returning it as verified.
func (m *Metadata) Verify(id BlobID, nShards int) (*VerifiedMetadata, error) {
	if err := m.Check(nShards); err != nil {
		return nil, err
	}
	if got := m.ComputeBlobID(); got != id {
		return nil, fmt.Errorf("%w: computed %s, want %s", ErrBlobIDMismatch, got, id)
	}
	return &VerifiedMetadata{BlobID: id, Metadata: *m}, nil
}

// Params returns the code parameters of verified metadata.
func (v *VerifiedMetadata) Params() Params {
	p, _ := NewParams(len(v.Metadata.Hashes))
	return p
}

// SymbolSize returns the symbol size of verified metadata.
func (v *VerifiedMetadata) SymbolSize() int {
	ss, _ := v.Metadata.SymbolSize()
	return ss
}

// SliverHash returns the hash the metadata records for sliver (t, index).
func (v *VerifiedMetadata) SliverHash(t SliverType, index int) merkle.Node {
	n := len(v.Metadata.Hashes)
	if t == Primary {
		return v.Metadata.Hashes[index].Primary
	}
	return v.Metadata.Hashes[n-1-index].Secondary
}

// EncodeBCS appends the BCS form of BlobMetadata (enum tag V1 = 0).
func (m *Metadata) EncodeBCS(e *bcs.Encoder) {
	e.ULEB(0)
	e.U8(m.EncodingType)
	e.U64(m.UnencodedLength)
	e.ULEB(uint32(len(m.Hashes)))
	for _, h := range m.Hashes {
		EncodeNode(e, h.Primary)
		EncodeNode(e, h.Secondary)
	}
}

// MarshalBCS returns the BCS form of BlobMetadata.
func (m *Metadata) MarshalBCS() []byte {
	e := bcs.NewEncoder(1 + 1 + 8 + 3 + 66*len(m.Hashes))
	m.EncodeBCS(e)
	return e.Bytes()
}

// decodeMetadata reads BlobMetadata. Encoding types other than RS2 are
// rejected here, as Walrus does (RaptorQ, type 0, is retired).
func decodeMetadata(d *bcs.Decoder) Metadata {
	var m Metadata
	d.Tag(1)
	m.EncodingType = d.U8()
	if d.Err() == nil && m.EncodingType != EncodingTypeRS2 {
		d.Fail(fmt.Errorf("%w: %d", ErrUnsupportedCodec, m.EncodingType))
	}
	m.UnencodedLength = d.U64()
	count := d.Len(MaxShards, 2)
	if d.Err() != nil {
		return m
	}
	m.Hashes = make([]PairMetadata, count)
	for i := range m.Hashes {
		m.Hashes[i].Primary = DecodeNode(d)
		m.Hashes[i].Secondary = DecodeNode(d)
	}
	return m
}

// UnmarshalMetadata parses a BCS BlobMetadata strictly.
func UnmarshalMetadata(b []byte) (*Metadata, error) {
	d := bcs.NewDecoder(b)
	m := decodeMetadata(d)
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidMetadata, err)
	}
	return &m, nil
}

// MarshalBCS returns the BCS form of BlobMetadataWithId.
func (v *VerifiedMetadata) MarshalBCS() []byte {
	e := bcs.NewEncoder(32 + 13 + 66*len(v.Metadata.Hashes))
	e.Fixed(v.BlobID[:])
	v.Metadata.EncodeBCS(e)
	return e.Bytes()
}

// UnmarshalMetadataWithID parses a BCS BlobMetadataWithId strictly. The
// result is not verified: call Metadata.Verify with the ID you expect.
func UnmarshalMetadataWithID(b []byte) (BlobID, *Metadata, error) {
	d := bcs.NewDecoder(b)
	var id BlobID
	d.FixedInto(id[:])
	m := decodeMetadata(d)
	if err := d.Finish(); err != nil {
		return id, nil, fmt.Errorf("%w: %w", ErrInvalidMetadata, err)
	}
	return id, &m, nil
}

// EncodeNode appends a Merkle node: tag 0 for the empty node, otherwise tag 1
// and the 32-byte digest.
func EncodeNode(e *bcs.Encoder, n merkle.Node) {
	if n.IsEmpty() {
		e.ULEB(0)
		return
	}
	e.ULEB(1)
	e.Fixed(n[:])
}

// DecodeNode reads a Merkle node. A digest of 32 zero bytes is rejected as
// non-canonical (that value is encoded as the empty node).
func DecodeNode(d *bcs.Decoder) merkle.Node {
	var n merkle.Node
	if d.Tag(2) == 1 {
		d.FixedInto(n[:])
		if d.Err() == nil && n.IsEmpty() {
			d.Fail(fmt.Errorf("%w: all-zero digest node", bcs.ErrInvalidData))
		}
	}
	return n
}
