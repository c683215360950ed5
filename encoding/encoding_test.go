package encoding

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

func randomBlob(rng *rand.Rand, size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// sizesFor returns blob sizes that exercise empty, tiny, tail-only (ss < 64),
// block-plus-tail and larger symbols for n shards.
func sizesFor(p Params, short bool) []int {
	src := p.SourceSymbols()
	sizes := []int{0, 1, 17, src*2 + 1, src * 70, src*130 - 5}
	if !short {
		sizes = append(sizes, 3<<20)
	}
	// Small networks cannot hold the largest sizes: use their maximum
	// instead (an exact fit, which fills every symbol).
	for i, s := range sizes {
		sizes[i] = min(s, int(p.MaxBlobSize()))
	}
	return sizes
}

func TestEncodeDecodeProperty(t *testing.T) {
	ns := []int{4, 7, 10, 31, 100, 301, 1000}
	rng := rand.New(rand.NewPCG(11, 12))
	for _, n := range ns {
		if raceEnabled && n >= 301 {
			t.Logf("n=%d: skipped under -race; scripts/test.sh runs it without", n)
			continue
		}
		p, _ := NewParams(n)
		sizes := sizesFor(p, testing.Short())
		if testing.Short() && n >= 301 {
			// Each case at n >= 301 hashes millions of cells; -short keeps a
			// tail-only and a block-plus-tail symbol size, the rest run in full mode.
			sizes = []int{17, p.SourceSymbols()*70 + 1}
			if n == 1000 {
				sizes = sizes[:1]
			}
		}
		for _, size := range sizes {
			blob := randomBlob(rng, size)
			checkRoundTrip(t, rng, n, blob)
		}
	}
}

func checkRoundTrip(t *testing.T, rng *rand.Rand, n int, blob []byte) {
	t.Helper()
	enc, err := Encode(blob, n)
	if err != nil {
		t.Fatalf("n=%d size=%d: %v", n, len(blob), err)
	}
	p := enc.Params
	md := enc.Metadata
	x, _ := NewExpander(n)

	// Metadata round-trips through BCS and verifies against its ID.
	id, parsed, err := UnmarshalMetadataWithID(md.MarshalBCS())
	if err != nil || id != md.BlobID {
		t.Fatalf("metadata BCS: %v", err)
	}
	if _, err := parsed.Verify(md.BlobID, n); err != nil {
		t.Fatal(err)
	}

	// Every sliver verifies (at large n, a random sample and the first and
	// last ones, since each verification re-hashes a whole expanded sliver).
	toVerify := seqInts(n)
	if n > 100 {
		toVerify = append(rng.Perm(n)[:24], 0, n-1)
	}
	for _, i := range toVerify {
		for _, typ := range []SliverType{Primary, Secondary} {
			s := enc.Sliver(typ, i)
			if err := x.VerifySliver(md, &s); err != nil {
				t.Fatalf("n=%d size=%d: %s sliver %d: %v", n, len(blob), typ, i, err)
			}
		}
	}

	P, S := p.Primary(), p.Secondary()
	subsets := map[string][]int{
		"random":    rng.Perm(n),
		"repairs":   reversed(n), // worst case: as few systematic slivers as possible
		"ascending": seqInts(n),
	}
	for name, order := range subsets {
		for _, typ := range []SliverType{Primary, Secondary} {
			k := P
			if typ == Secondary {
				k = S
			}
			var slivers []Sliver
			for _, i := range order[:k] {
				slivers = append(slivers, enc.Sliver(typ, i))
			}
			for _, check := range []ConsistencyCheck{CheckDefault, CheckSkip} {
				got, err := x.DecodeBlob(md, slivers, check)
				if err != nil {
					t.Fatalf("n=%d size=%d %s %s: %v", n, len(blob), name, typ, err)
				}
				if !bytes.Equal(got, blob) {
					t.Fatalf("n=%d size=%d %s %s: decoded blob differs", n, len(blob), name, typ)
				}
			}
			if _, err := x.DecodeBlob(md, slivers[:k-1], CheckDefault); !errors.Is(err, ErrNotEnoughSymbols) {
				t.Fatalf("decode from k-1 slivers: %v", err)
			}
		}
	}
	if len(blob) < 1<<16 {
		var slivers []Sliver
		for _, i := range rng.Perm(n)[:P] {
			slivers = append(slivers, enc.Sliver(Primary, i))
		}
		if got, err := x.DecodeBlob(md, slivers, CheckStrict); err != nil || !bytes.Equal(got, blob) {
			t.Fatalf("strict decode: %v", err)
		}
	}

	// Recover one primary and one secondary sliver of a random shard from
	// others' recovery symbols, through their wire form.
	shard := rng.IntN(n)
	pair := enc.PairForShard(shard)
	for _, target := range []Sliver{pair.Primary, pair.Secondary} {
		srcType := target.Type.Orthogonal()
		var syms []RecoverySymbol
		for _, j := range rng.Perm(n)[:p.RecoveryThreshold(target.Type)] {
			src := enc.Sliver(srcType, j)
			gs, err := x.RecoverySymbols(md, &src, []int{int(target.Index)})
			if err != nil {
				t.Fatal(err)
			}
			wire, err := UnmarshalGeneralRecoverySymbols(MarshalGeneralRecoverySymbols(gs))
			if err != nil {
				t.Fatal(err)
			}
			if wire[0].TargetType != target.Type || wire[0].ID() != gs[0].ID() {
				t.Fatalf("recovery symbol header changed in transit")
			}
			syms = append(syms, wire[0].Symbol)
		}
		got, proof, err := x.RecoverSliver(md, target.Type, int(target.Index), syms)
		if err != nil || proof != nil {
			t.Fatalf("n=%d recover %s %d: %v", n, target.Type, target.Index, err)
		}
		if !bytes.Equal(got.Data, target.Data) {
			t.Fatalf("n=%d recovered %s sliver %d differs", n, target.Type, target.Index)
		}
		if _, _, err := x.RecoverSliver(md, target.Type, int(target.Index), syms[1:]); !errors.Is(err, ErrNotEnoughSymbols) {
			t.Fatalf("recover from too few symbols: %v", err)
		}
		// The same from symbols the caller verified already.
		if got, proof, err := x.RecoverVerifiedSliver(md, target.Type, int(target.Index), syms); err != nil || proof != nil || !bytes.Equal(got.Data, target.Data) {
			t.Fatalf("n=%d recover verified %s %d: %v", n, target.Type, target.Index, err)
		}
		if _, _, err := x.RecoverVerifiedSliver(md, target.Type, int(target.Index), syms[1:]); !errors.Is(err, ErrNotEnoughSymbols) {
			t.Fatalf("recover verified from too few symbols: %v", err)
		}
	}
}

func reversed(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = n - 1 - i
	}
	return out
}

func seqInts(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func TestTamperingIsRejected(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	const n = 10
	blob := randomBlob(rng, 5000)
	enc, _ := Encode(blob, n)
	md := enc.Metadata
	x, _ := NewExpander(n)

	// A sliver with one flipped bit, a wrong index or a wrong size fails.
	s := enc.PrimarySliver(3)
	bad := s
	bad.Data = append([]byte(nil), s.Data...)
	bad.Data[7] ^= 1
	if err := x.VerifySliver(md, &bad); !errors.Is(err, ErrSliverMismatch) {
		t.Errorf("tampered sliver: %v", err)
	}
	bad = s
	bad.Index = 4
	if err := x.VerifySliver(md, &bad); !errors.Is(err, ErrSliverMismatch) {
		t.Errorf("wrong index: %v", err)
	}
	bad = s
	bad.Data = s.Data[:len(s.Data)-2]
	if err := x.VerifySliver(md, &bad); !errors.Is(err, ErrSliverSize) {
		t.Errorf("short sliver: %v", err)
	}
	bad = s
	bad.Index = n
	if err := x.VerifySliver(md, &bad); !errors.Is(err, ErrSliverIndex) {
		t.Errorf("out-of-range index: %v", err)
	}

	// Metadata that does not hash to the ID is rejected.
	m := md.Metadata
	m.Hashes = append([]PairMetadata(nil), m.Hashes...)
	m.Hashes[2].Secondary[0] ^= 1
	if _, err := m.Verify(md.BlobID, n); !errors.Is(err, ErrBlobIDMismatch) {
		t.Errorf("tampered metadata: %v", err)
	}
	if _, err := md.Metadata.Verify(md.BlobID, n+1); !errors.Is(err, ErrInvalidMetadata) {
		t.Errorf("wrong shard count: %v", err)
	}

	// A tampered symbol or proof does not verify.
	src := enc.SecondarySliver(1)
	gs, _ := x.RecoverySymbols(md, &src, []int{5})
	sym := gs[0].Symbol
	if err := VerifyRecoverySymbol(md, Primary, 5, &sym); err != nil {
		t.Fatalf("honest symbol: %v", err)
	}
	tampered := sym
	tampered.Data = append([]byte(nil), sym.Data...)
	tampered.Data[0] ^= 0x80
	if err := VerifyRecoverySymbol(md, Primary, 5, &tampered); !errors.Is(err, ErrInvalidSymbol) {
		t.Errorf("tampered symbol data: %v", err)
	}
	tampered = sym
	tampered.Proof = append(tampered.Proof[:0:0], sym.Proof...)
	tampered.Proof[1][3] ^= 1
	if err := VerifyRecoverySymbol(md, Primary, 5, &tampered); !errors.Is(err, ErrInvalidSymbol) {
		t.Errorf("tampered proof: %v", err)
	}
	if err := VerifyRecoverySymbol(md, Primary, 6, &sym); !errors.Is(err, ErrInvalidSymbol) {
		t.Errorf("symbol for another target: %v", err)
	}
	tampered = sym
	tampered.Proof = sym.Proof[:len(sym.Proof)-1]
	if err := VerifyRecoverySymbol(md, Primary, 5, &tampered); !errors.Is(err, ErrInvalidSymbol) {
		t.Errorf("short proof: %v", err)
	}
}

// maliciousEncode returns an encoding whose primary sliver `row` was replaced
// by garbage, with metadata computed over the tampered sliver: every sliver
// verifies against the metadata, but the columns disagree with that row.
func maliciousEncode(t *testing.T, blob []byte, n, row int, rng *rand.Rand) (*EncodedBlob, *VerifiedMetadata) {
	enc, err := Encode(blob, n)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := NewExpander(n)
	s := enc.PrimarySliver(row)
	for i := range s.Data {
		s.Data[i] = byte(rng.Uint32())
	}
	m := enc.Metadata.Metadata
	m.Hashes = append([]PairMetadata(nil), m.Hashes...)
	m.Hashes[row].Primary = x.SliverRoot(&s)
	md := &VerifiedMetadata{BlobID: m.ComputeBlobID(), Metadata: m}
	enc.Metadata = md
	return enc, md
}

func TestInconsistencyProof(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, n := range []int{7, 31, 100} {
		blob := randomBlob(rng, 4000)
		const row = 2
		enc, md := maliciousEncode(t, blob, n, row, rng)
		x, _ := NewExpander(n)
		p := enc.Params

		// The tampered sliver verifies against the lying metadata.
		tampered := enc.PrimarySliver(row)
		if err := x.VerifySliver(md, &tampered); err != nil {
			t.Fatal(err)
		}
		// Recovering it from the columns' symbols exposes the lie.
		var syms []RecoverySymbol
		for j := 0; j < p.RecoveryThreshold(Primary); j++ {
			src := enc.SecondarySliver(j)
			gs, _ := x.RecoverySymbols(md, &src, []int{row})
			syms = append(syms, gs[0].Symbol)
		}
		_, proof, err := x.RecoverSliver(md, Primary, row, syms)
		if !errors.Is(err, ErrInconsistentBlob) || proof == nil {
			t.Fatalf("n=%d: expected an inconsistency, got %v", n, err)
		}
		if _, vproof, err := x.RecoverVerifiedSliver(md, Primary, row, syms); !errors.Is(err, ErrInconsistentBlob) || vproof == nil {
			t.Fatalf("n=%d: verified symbols: expected an inconsistency, got %v", n, err)
		}
		wire, err := UnmarshalInconsistencyProof(Primary, MarshalInconsistencyProof(proof))
		if err != nil {
			t.Fatal(err)
		}
		if err := x.VerifyInconsistencyProof(md, wire); err != nil {
			t.Fatalf("n=%d: valid proof rejected: %v", n, err)
		}
		// A proof with a symbol too few, or a duplicated one, is rejected.
		short := *wire
		short.Symbols = wire.Symbols[1:]
		if err := x.VerifyInconsistencyProof(md, &short); !errors.Is(err, ErrInvalidProof) {
			t.Errorf("short proof: %v", err)
		}
		dup := *wire
		dup.Symbols = append(append([]RecoverySymbol(nil), wire.Symbols[1:]...), wire.Symbols[1])
		if err := x.VerifyInconsistencyProof(md, &dup); !errors.Is(err, ErrInvalidProof) {
			t.Errorf("duplicate symbol: %v", err)
		}

		// For the honest encoding, no proof can be made and a proof built
		// from honest symbols is rejected.
		honest, _ := Encode(blob, n)
		var hs []RecoverySymbol
		for j := 0; j < p.RecoveryThreshold(Primary); j++ {
			src := honest.SecondarySliver(j)
			gs, _ := x.RecoverySymbols(honest.Metadata, &src, []int{row})
			hs = append(hs, gs[0].Symbol)
		}
		if _, proof, err := x.RecoverSliver(honest.Metadata, Primary, row, hs); err != nil || proof != nil {
			t.Fatalf("honest recovery: %v", err)
		}
		fake := &InconsistencyProof{TargetType: Primary, TargetIndex: row, Symbols: hs}
		if err := x.VerifyInconsistencyProof(honest.Metadata, fake); !errors.Is(err, ErrProofShowsNothing) {
			t.Fatalf("honest proof accepted: %v", err)
		}

		// Readers detect the inconsistency: decoding without the tampered
		// systematic sliver rebuilds the honest row, which fails the check.
		var slivers []Sliver
		for i := 0; i < n && len(slivers) < p.Primary(); i++ {
			if i != row {
				slivers = append(slivers, enc.PrimarySliver(i))
			}
		}
		if _, err := x.DecodeBlob(md, slivers, CheckDefault); !errors.Is(err, ErrInconsistentBlob) {
			t.Errorf("n=%d: default check missed the inconsistency: %v", n, err)
		}
	}
}

func TestParams(t *testing.T) {
	for _, c := range []struct{ n, P, S int }{{4, 2, 3}, {7, 3, 5}, {10, 4, 7}, {31, 11, 21}, {100, 34, 67}, {301, 101, 201}, {1000, 334, 667}} {
		p, err := NewParams(c.n)
		if err != nil || p.Primary() != c.P || p.Secondary() != c.S {
			t.Errorf("n=%d: P=%d S=%d, want %d %d (%v)", c.n, p.Primary(), p.Secondary(), c.P, c.S, err)
		}
	}
	p, _ := NewParams(1000)
	if p.MaxBlobSize() != 14_599_533_452 {
		t.Errorf("max blob size %d", p.MaxBlobSize())
	}
	if _, err := p.SymbolSize(p.MaxBlobSize() + 1); !errors.Is(err, ErrDataTooLarge) {
		t.Errorf("oversized blob: %v", err)
	}
	p4, _ := NewParams(4)
	if _, err := Encode(make([]byte, p4.MaxBlobSize()+1), 4); !errors.Is(err, ErrDataTooLarge) {
		t.Errorf("encoding one byte over the maximum: %v", err)
	}
	if ss, _ := p.SymbolSize(0); ss != 2 {
		t.Errorf("empty blob symbol size %d", ss)
	}
	if el, _ := p.EncodedLength(1_782_224); el != 72_040_000 {
		t.Errorf("encoded length %d, want 72040000", el)
	}
	if _, err := NewParams(3); !errors.Is(err, ErrInvalidShardCount) {
		t.Errorf("n=3: %v", err)
	}
	id, _ := ParseBlobID(vectorBlobID)
	for shard := 0; shard < 1000; shard += 97 {
		if p.PairToShard(id, p.ShardToPair(id, shard)) != shard {
			t.Fatalf("rotation does not invert at shard %d", shard)
		}
	}
}

func TestBlobIDForms(t *testing.T) {
	id, err := ParseBlobID(vectorBlobID)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseBlobIDDecimal(id.Decimal())
	if err != nil || back != id {
		t.Fatalf("decimal round trip: %v", err)
	}
	for _, bad := range []string{"", "abc", vectorBlobID + "A", vectorBlobID[:42] + "=", "M4hsZGQ1oCktdzegB6HnI6Mi28S2nqOPHxK+W7/4BUk"} {
		if _, err := ParseBlobID(bad); !errors.Is(err, ErrInvalidBlobID) {
			t.Errorf("ParseBlobID(%q) = %v", bad, err)
		}
	}
	for _, bad := range []string{"", "-1", "1e5", "115792089237316195423570985008687907853269984665640564039457584007913129639936"} {
		if _, err := ParseBlobIDDecimal(bad); !errors.Is(err, ErrInvalidBlobID) {
			t.Errorf("ParseBlobIDDecimal(%q) = %v", bad, err)
		}
	}
}
