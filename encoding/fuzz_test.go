package encoding

import (
	"bytes"
	"slices"
	"testing"
)

// Every decoder of bytes that can come from the network is fuzzed: no input
// may panic, and whatever decodes must re-encode to the same bytes (the
// formats are canonical, so a decoder that accepts two encodings of one
// value is a bug).

func fuzzSeeds(f *testing.F) *EncodedBlob {
	enc, err := Encode([]byte("fuzzing seed blob with a few bytes"), 7)
	if err != nil {
		f.Fatal(err)
	}
	return enc
}

func FuzzUnmarshalMetadata(f *testing.F) {
	enc := fuzzSeeds(f)
	f.Add(enc.Metadata.MarshalBCS())
	f.Add(enc.Metadata.Metadata.MarshalBCS())
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := UnmarshalMetadata(b); err == nil {
			if !bytes.Equal(m.MarshalBCS(), b) {
				t.Fatalf("metadata not canonical")
			}
			_, _ = m.Verify(BlobID{}, len(m.Hashes))
		}
		if id, m, err := UnmarshalMetadataWithID(b); err == nil {
			v := VerifiedMetadata{BlobID: id, Metadata: *m}
			if !bytes.Equal(v.MarshalBCS(), b) {
				t.Fatalf("metadata with ID not canonical")
			}
		}
	})
}

func FuzzUnmarshalSliver(f *testing.F) {
	enc := fuzzSeeds(f)
	s := enc.PrimarySliver(2)
	f.Add(MarshalSliver(&s), false)
	s = enc.SecondarySliver(5)
	f.Add(MarshalSliver(&s), true)
	x, _ := NewExpander(7)
	md := enc.Metadata
	f.Fuzz(func(t *testing.T, b []byte, secondary bool) {
		typ := Primary
		if secondary {
			typ = Secondary
		}
		s, err := UnmarshalSliver(typ, b)
		sh, errShared := UnmarshalSliverShared(typ, b)
		if (err == nil) != (errShared == nil) {
			t.Fatalf("copying parse: %v, shared parse: %v", err, errShared)
		}
		if err != nil {
			return
		}
		if sh.Type != s.Type || sh.Index != s.Index || sh.SymbolSize != s.SymbolSize || !bytes.Equal(sh.Data, s.Data) {
			t.Fatalf("shared parse %+v differs from %+v", sh, s)
		}
		if head, tail := MarshalSliverParts(s); !bytes.Equal(slices.Concat(head, s.Data, tail), b) {
			t.Fatalf("sliver parts differ from the encoding")
		}
		if !bytes.Equal(MarshalSliver(s), b) {
			t.Fatalf("sliver not canonical")
		}
		// Verification of arbitrary slivers must fail cleanly, never panic.
		_ = x.VerifySliver(md, s)
	})
}

func FuzzUnmarshalRecoverySymbols(f *testing.F) {
	enc := fuzzSeeds(f)
	x, _ := NewExpander(7)
	src := enc.SecondarySliver(1)
	gs, _ := x.RecoverySymbols(enc.Metadata, &src, []int{0, 3, 6})
	f.Add(MarshalGeneralRecoverySymbols(gs))
	f.Add(MarshalRecoverySymbol(&gs[0].Symbol))
	f.Add(MarshalDecodingSymbol(&gs[0].Symbol.DecodingSymbol))
	f.Fuzz(func(t *testing.T, b []byte) {
		if s, err := UnmarshalRecoverySymbol(b); err == nil && !bytes.Equal(MarshalRecoverySymbol(s), b) {
			t.Fatalf("recovery symbol not canonical")
		}
		if s, err := UnmarshalDecodingSymbol(b); err == nil && !bytes.Equal(MarshalDecodingSymbol(s), b) {
			t.Fatalf("decoding symbol not canonical")
		}
		syms, err := UnmarshalGeneralRecoverySymbols(b)
		if err != nil {
			return
		}
		if !bytes.Equal(MarshalGeneralRecoverySymbols(syms), b) {
			t.Fatalf("recovery symbols not canonical")
		}
		for i := range syms {
			_ = VerifyRecoverySymbol(enc.Metadata, syms[i].TargetType, int(syms[i].TargetIndex), &syms[i].Symbol)
			_ = syms[i].ID().String()
		}
	})
}

func FuzzUnmarshalInconsistencyProof(f *testing.F) {
	enc := fuzzSeeds(f)
	x, _ := NewExpander(7)
	var syms []RecoverySymbol
	for j := 0; j < 3; j++ {
		src := enc.PrimarySliver(j)
		gs, _ := x.RecoverySymbols(enc.Metadata, &src, []int{4})
		syms = append(syms, gs[0].Symbol)
	}
	f.Add(MarshalInconsistencyProof(&InconsistencyProof{TargetType: Secondary, TargetIndex: 4, Symbols: syms}), true)
	f.Fuzz(func(t *testing.T, b []byte, secondary bool) {
		typ := Primary
		if secondary {
			typ = Secondary
		}
		p, err := UnmarshalInconsistencyProof(typ, b)
		if err != nil {
			return
		}
		if !bytes.Equal(MarshalInconsistencyProof(p), b) {
			t.Fatalf("inconsistency proof not canonical")
		}
		// An honest blob admits no valid proof.
		if err := x.VerifyInconsistencyProof(enc.Metadata, p); err == nil {
			t.Fatalf("a proof against an honest blob was accepted")
		}
	})
}

func FuzzParseIDs(f *testing.F) {
	f.Add(vectorBlobID)
	f.Add(vectorDecimal)
	f.Add("12-345")
	f.Fuzz(func(t *testing.T, s string) {
		if id, err := ParseBlobID(s); err == nil && id.String() != s {
			t.Fatalf("blob ID %q not canonical", s)
		}
		if id, err := ParseBlobIDDecimal(s); err == nil {
			if back, err := ParseBlobIDDecimal(id.Decimal()); err != nil || back != id {
				t.Fatalf("decimal %q does not round-trip", s)
			}
		}
		if sid, err := ParseSymbolID(s); err == nil && sid.String() != s {
			t.Fatalf("symbol ID %q not canonical", s)
		}
	})
}
