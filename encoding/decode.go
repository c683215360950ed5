package encoding

import (
	"errors"
	"fmt"
)

// ConsistencyCheck selects how much a reader re-checks a decoded blob.
type ConsistencyCheck int

// The consistency check modes, as in Walrus's client.
const (
	// CheckDefault verifies that every systematic sliver the decoder had to
	// reconstruct (rather than receive) matches the metadata.
	CheckDefault ConsistencyCheck = iota
	// CheckStrict re-encodes the whole blob and compares the blob ID.
	CheckStrict
	// CheckSkip trusts the received slivers and checks nothing more.
	CheckSkip
)

// String names the mode.
func (c ConsistencyCheck) String() string {
	switch c {
	case CheckDefault:
		return "default"
	case CheckStrict:
		return "strict"
	case CheckSkip:
		return "skip"
	}
	return fmt.Sprintf("ConsistencyCheck(%d)", int(c))
}

// ErrDuplicateSliver reports two slivers with the same index given to a decoder.
var ErrDuplicateSliver = errors.New("encoding: duplicate sliver")

// DecodeBlob rebuilds a blob from slivers of one type: any P = n-2f distinct
// primary slivers, or any S = n-f distinct secondary slivers. Each sliver
// must already have been verified against md (Expander.VerifySliver); the
// consistency check then guards against an inconsistent encoding by the
// writer. A failed check returns an error wrapping ErrInconsistentBlob.
func (x *Expander) DecodeBlob(md *VerifiedMetadata, slivers []Sliver, check ConsistencyCheck) ([]byte, error) {
	if err := x.checkParams(md); err != nil {
		return nil, err
	}
	if len(slivers) == 0 {
		return nil, fmt.Errorf("%w: no slivers", ErrNotEnoughSymbols)
	}
	t := slivers[0].Type
	ss := md.SymbolSize()
	k := x.p.SliverSymbols(t.Orthogonal()) // P rows or S columns
	size := x.p.SliverSymbols(t) * ss
	slots := make([][]byte, x.p.N)
	have := 0
	for i := range slivers {
		s := &slivers[i]
		if s.Type != t {
			return nil, fmt.Errorf("encoding: cannot decode from a mix of primary and secondary slivers")
		}
		if err := x.p.CheckSliverShape(s, ss); err != nil {
			return nil, err
		}
		if slots[s.Index] != nil {
			return nil, fmt.Errorf("%w: %s sliver %d", ErrDuplicateSliver, t, s.Index)
		}
		slots[s.Index] = s.Data
		have++
	}
	if have < k {
		return nil, fmt.Errorf("%w: %d %s slivers, need %d", ErrNotEnoughSymbols, have, t, k)
	}
	received := make([]bool, k)
	for i := 0; i < k; i++ {
		received[i] = slots[i] != nil
	}
	if err := x.decoder(t.Orthogonal()).Decode(slots, ss); err != nil {
		return nil, err
	}
	if check == CheckDefault {
		for i := 0; i < k; i++ {
			if received[i] {
				continue
			}
			s := Sliver{Type: t, Index: uint16(i), SymbolSize: uint16(ss), Data: slots[i]}
			if x.SliverRoot(&s) != md.SliverHash(t, i) {
				return nil, fmt.Errorf("%w: decoded %s sliver %d does not match blob %s", ErrInconsistentBlob, t, i, md.BlobID)
			}
		}
	}
	length := int(md.Metadata.UnencodedLength)
	blob := make([]byte, x.p.SourceSymbols()*ss)
	if t == Primary {
		for r := 0; r < k; r++ {
			copy(blob[r*size:], slots[r])
		}
	} else {
		rowBytes := x.p.Secondary() * ss
		for c := 0; c < k; c++ {
			col := slots[c]
			for r := 0; r < x.p.Primary(); r++ {
				copy(blob[r*rowBytes+c*ss:r*rowBytes+(c+1)*ss], col[r*ss:(r+1)*ss])
			}
		}
	}
	blob = blob[:length:length]
	if check == CheckStrict {
		enc, err := Encode(blob, x.p.N)
		if err != nil {
			return nil, err
		}
		if enc.Metadata.BlobID != md.BlobID {
			return nil, fmt.Errorf("%w: re-encoding gives blob ID %s, want %s", ErrInconsistentBlob, enc.Metadata.BlobID, md.BlobID)
		}
	}
	return blob, nil
}
