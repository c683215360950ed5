package encoding

import (
	"encoding/hex"
	"testing"

	"github.com/walrus-go/walrus/encoding/merkle"
	"github.com/walrus-go/walrus/encoding/rs"
)

// The official vector (reference Appendix A): the blob ID that Walrus's docs
// print for the 17-byte blob "some other string" on 1000 shards.
const (
	vectorInput   = "some other string"
	vectorRoot    = "e13e047c4cd7ac970de70dfc1bf77cf1d20b4a5c22fd17727dd223c2fde08c3f"
	vectorBlobID  = "M4hsZGQ1oCktdzegB6HnI6Mi28S2nqOPHxK-W7_4BUk"
	vectorDecimal = "33029388974007764889800497995325165905902854956237990162315138693239164143667"
	// The ID obtained when the primary code is (wrongly) forced to the
	// high-rate construction.
	vectorWrongHighRate = "nqcR7_fB8qO8-gtLfEjP9SPb0xmlZ8BrzHWMmns07Y0"
)

func TestOfficialVector(t *testing.T) {
	enc, err := Encode([]byte(vectorInput), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if enc.SymbolSize != 2 {
		t.Errorf("symbol size %d, want 2", enc.SymbolSize)
	}
	root := enc.Metadata.Metadata.RootHash()
	if got := hex.EncodeToString(root[:]); got != vectorRoot {
		t.Errorf("root %s, want %s", got, vectorRoot)
	}
	if got := enc.Metadata.BlobID.String(); got != vectorBlobID {
		t.Fatalf("blob ID %s, want %s", got, vectorBlobID)
	}
	if got := enc.Metadata.BlobID.Decimal(); got != vectorDecimal {
		t.Errorf("decimal %s, want %s", got, vectorDecimal)
	}
	el, _ := EncodedBlobLength(uint64(len(vectorInput)), 1000)
	if el != 66_034_000 {
		t.Errorf("encoded length %d, want 66034000", el)
	}
}

// TestOfficialVectorNegative forces the primary code to the high-rate
// construction and checks that the vector tells the two apart: the ID must
// be the known wrong one, so the test above is sensitive to the rate choice.
func TestOfficialVectorNegative(t *testing.T) {
	p, _ := NewParams(1000)
	ss, _ := p.SymbolSize(uint64(len(vectorInput)))
	// Expand every row and column by brute force with a high-rate primary code.
	P, S, n := p.Primary(), p.Secondary(), p.N
	forced, err := rs.NewForcedRate(P, n-P, true)
	if err != nil {
		t.Fatal(err)
	}
	sec, _ := rs.New(S, n-S)
	m := make([][]byte, n) // full matrix, row-major cells
	for i := range m {
		m[i] = make([]byte, n*ss)
	}
	blob := make([]byte, P*S*ss)
	copy(blob, vectorInput)
	for r := 0; r < P; r++ {
		copy(m[r], blob[r*S*ss:(r+1)*S*ss])
	}
	expandRow := func(r int) {
		src, rep := make([][]byte, S), make([][]byte, n-S)
		for c := range src {
			src[c] = m[r][c*ss : (c+1)*ss]
		}
		for c := range rep {
			rep[c] = m[r][(S+c)*ss : (S+c+1)*ss]
		}
		if err := rs.NewEncoder(sec).Encode(src, rep, ss); err != nil {
			t.Fatal(err)
		}
	}
	for r := 0; r < P; r++ {
		expandRow(r)
	}
	for c := 0; c < n; c++ {
		src, rep := make([][]byte, P), make([][]byte, n-P)
		for r := range src {
			src[r] = m[r][c*ss : (c+1)*ss]
		}
		for r := range rep {
			rep[r] = m[P+r][c*ss : (c+1)*ss]
		}
		if err := rs.NewEncoder(forced).Encode(src, rep, ss); err != nil {
			t.Fatal(err)
		}
	}
	md := Metadata{EncodingType: EncodingTypeRS2, UnencodedLength: uint64(len(vectorInput)), Hashes: make([]PairMetadata, n)}
	leaves := make([]merkle.Node, n)
	for i := 0; i < n; i++ {
		for c := 0; c < n; c++ {
			leaves[c] = merkle.LeafHash(m[i][c*ss : (c+1)*ss])
		}
		md.Hashes[i].Primary = merkle.Root(leaves)
	}
	for j := 0; j < n; j++ {
		for r := 0; r < n; r++ {
			leaves[r] = merkle.LeafHash(m[r][j*ss : (j+1)*ss])
		}
		md.Hashes[n-1-j].Secondary = merkle.Root(leaves)
	}
	if got := md.ComputeBlobID().String(); got != vectorWrongHighRate {
		t.Fatalf("forced high-rate blob ID %s, want %s", got, vectorWrongHighRate)
	}
}
