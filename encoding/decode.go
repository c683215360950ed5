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
	blob := make([]byte, x.p.SourceSymbols()*ss)
	if t == Primary {
		// Systematic rows are the blob; decode the missing ones in stripes
		// of columns, written straight into the blob.
		for r := 0; r < k; r++ {
			if received[r] {
				copy(blob[r*size:], slots[r])
			}
		}
		x.decodeStripes(t, slots, received, size, ss, func(r int) []byte { return blob[r*size : (r+1)*size] })
	} else {
		cols := make([][]byte, k)
		for c := 0; c < k; c++ {
			if received[c] {
				cols[c] = slots[c]
			} else {
				cols[c] = make([]byte, size)
			}
		}
		x.decodeStripes(t, slots, received, size, ss, func(c int) []byte { return cols[c] })
		rowBytes := x.p.Secondary() * ss
		for c := 0; c < k; c++ {
			col := cols[c]
			for r := 0; r < x.p.Primary(); r++ {
				copy(blob[r*rowBytes+c*ss:r*rowBytes+(c+1)*ss], col[r*ss:(r+1)*ss])
			}
		}
		for c := 0; c < k; c++ {
			slots[c] = cols[c]
		}
	}
	if check == CheckDefault {
		for i := 0; i < k; i++ {
			if received[i] {
				continue
			}
			var data []byte
			if t == Primary {
				data = blob[i*size : (i+1)*size]
			} else {
				data = slots[i]
			}
			s := Sliver{Type: t, Index: uint16(i), SymbolSize: uint16(ss), Data: data}
			if x.SliverRoot(&s) != md.SliverHash(t, i) {
				return nil, fmt.Errorf("%w: decoded %s sliver %d does not match blob %s", ErrInconsistentBlob, t, i, md.BlobID)
			}
		}
	}
	length := int(md.Metadata.UnencodedLength)
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

// decodeStripes restores the missing systematic slivers (indices below k
// with received[i] false) of type t from the slivers in slots, splitting
// them into stripes of cells that are decoded in parallel, and writes each
// restored stripe into out(i).
func (x *Expander) decodeStripes(t SliverType, slots [][]byte, received []bool, size, ss int, out func(i int) []byte) {
	missing := false
	for _, r := range received {
		missing = missing || !r
	}
	if !missing {
		return
	}
	width := max(1, batchBytes/ss) * ss
	stripes := batches(0, size, width)
	k := len(received)
	states := workerStates(len(stripes), func() *Expander {
		w, _ := NewExpander(x.p.N)
		return w
	})
	parallel(states, len(stripes), func(w *Expander, b int) {
		lo, hi := stripes[b][0], stripes[b][1]
		part := make([][]byte, x.p.N)
		for i, s := range slots {
			if s != nil && (i >= k || received[i]) {
				part[i] = s[lo:hi]
			}
		}
		if err := w.decoder(t.Orthogonal()).Decode(part, ss); err != nil {
			panic(err) // counts and sizes were validated by the caller
		}
		for i := 0; i < k; i++ {
			if !received[i] {
				copy(out(i)[lo:hi], part[i])
			}
		}
	})
}
