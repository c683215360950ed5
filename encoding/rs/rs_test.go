package rs

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/reedsolomon"
)

func randomSymbols(rng *rand.Rand, count, size int) [][]byte {
	out := make([][]byte, count)
	for i := range out {
		out[i] = make([]byte, size)
		for j := range out[i] {
			out[i][j] = byte(rng.Uint32())
		}
	}
	return out
}

func encode(t testing.TB, c Code, src [][]byte, unit int) [][]byte {
	t.Helper()
	repair := make([][]byte, c.RepairCount())
	for i := range repair {
		repair[i] = make([]byte, len(src[0]))
	}
	if err := NewEncoder(c).Encode(src, repair, unit); err != nil {
		t.Fatal(err)
	}
	return repair
}

// TestFieldTables checks algebraic facts that any mistake in the table
// construction breaks: exp and log are inverse permutations and
// multiplication distributes over addition (xor).
func TestFieldTables(t *testing.T) {
	tb := tables()
	for x := 1; x < order; x++ {
		if tb.exp[tb.log[x]] != uint16(x) {
			t.Fatalf("exp[log[%d]] = %d", x, tb.exp[tb.log[x]])
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 10000; i++ {
		a, b, m := uint16(rng.Uint32()), uint16(rng.Uint32()), uint16(rng.Uint32()%modulus)
		if tb.mulLog(a^b, m) != tb.mulLog(a, m)^tb.mulLog(b, m) {
			t.Fatalf("mul does not distribute: a=%d b=%d m=%d", a, b, m)
		}
	}
}

func TestRateSelection(t *testing.T) {
	for _, c := range []struct {
		k, r int
		high bool
	}{
		{334, 666, false}, // n=1000 primary
		{667, 333, true},  // n=1000 secondary
		{2, 2, true},      // n=4 primary: equal powers, k <= r
		{3, 1, true},      // n=4 secondary
		{3, 4, true},      // n=7 primary: 4 vs 4, k<=r
		{5, 2, true},      // n=7 secondary
		{4, 6, false},     // n=10 primary
		{7, 3, true},      // n=10 secondary
		{5, 3, true},      // 8 > 4
	} {
		code, err := New(c.k, c.r)
		if err != nil {
			t.Fatal(err)
		}
		if code.HighRate() != c.high {
			t.Errorf("k=%d r=%d: high=%v, want %v", c.k, c.r, code.HighRate(), c.high)
		}
	}
	if _, err := New(40000, 30000); !errors.Is(err, ErrUnsupportedCounts) {
		t.Errorf("oversized code accepted: %v", err)
	}
	if _, err := New(0, 3); !errors.Is(err, ErrUnsupportedCounts) {
		t.Errorf("k=0 accepted: %v", err)
	}
}

// TestHighRateMatchesKlauspost is a differential test: klauspost's Leopard
// GF(2^16) code is an independent implementation of the high-rate
// construction, so both must give identical repair symbols.
func TestHighRateMatchesKlauspost(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct{ k, r int }{{7, 3}, {667, 333}, {5, 2}, {21, 10}, {201, 100}, {3, 1}, {100, 100}} {
		code, _ := New(c.k, c.r)
		if !code.HighRate() {
			t.Fatalf("k=%d r=%d expected high rate", c.k, c.r)
		}
		src := randomSymbols(rng, c.k, 128)
		ours := encode(t, code, src, 64)
		enc, err := reedsolomon.New(c.k, c.r, reedsolomon.WithLeopardGF16(true))
		if err != nil {
			t.Fatal(err)
		}
		shards := append(append([][]byte{}, src...), make([][]byte, c.r)...)
		for i := c.k; i < len(shards); i++ {
			shards[i] = make([]byte, 128)
		}
		if err := enc.Encode(shards); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < c.r; i++ {
			if !bytes.Equal(ours[i], shards[c.k+i]) {
				t.Fatalf("k=%d r=%d: repair %d differs from klauspost", c.k, c.r, i)
			}
		}
	}
}

// TestRoundTrip encodes, drops random and worst-case sets of symbols (down to
// exactly k), decodes and compares, for both constructions and for symbol
// sizes with and without a tail.
func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	counts := []struct{ k, r int }{
		{2, 2}, {3, 1}, {3, 4}, {5, 2}, {4, 6}, {7, 3}, {11, 20}, {21, 10},
		{34, 66}, {67, 33}, {101, 200}, {201, 100}, {334, 666}, {667, 333},
	}
	for _, c := range counts {
		code, err := New(c.k, c.r)
		if err != nil {
			t.Fatal(err)
		}
		for _, unit := range []int{2, 6, 64, 70, 130} {
			src := randomSymbols(rng, c.k, unit*2)
			repair := encode(t, code, src, unit)
			all := append(append([][]byte{}, src...), repair...)
			n := c.k + c.r
			trials := [][]int{
				rng.Perm(n)[:c.k], // random k
				seq(c.r, n),       // worst case for sources: all repairs + tail of sources
				seq(0, c.k),       // only sources
				seq(n-c.k, n),     // the last k
				rng.Perm(n)[:min(n, c.k+rng.IntN(c.r+1))], // more than k
			}
			dec := NewDecoder(code)
			for _, keep := range trials {
				got := make([][]byte, n)
				for _, i := range keep {
					got[i] = all[i]
				}
				if err := dec.Decode(got, unit); err != nil {
					t.Fatalf("k=%d r=%d unit=%d: %v", c.k, c.r, unit, err)
				}
				for i := 0; i < c.k; i++ {
					if !bytes.Equal(got[i], src[i]) {
						t.Fatalf("k=%d r=%d unit=%d keep=%v: source %d wrong", c.k, c.r, unit, len(keep), i)
					}
				}
			}
			// One short of k must fail.
			got := make([][]byte, n)
			for _, i := range rng.Perm(n)[:c.k-1] {
				got[i] = all[i]
			}
			if err := dec.Decode(got, unit); !errors.Is(err, ErrTooFewSymbols) {
				t.Fatalf("decode with k-1 symbols: %v", err)
			}
		}
	}
}

func seq(from, to int) []int {
	out := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// TestWideSymbols checks that encoding a concatenation of symbols equals
// encoding each one separately (the 2-D encoder relies on it).
func TestWideSymbols(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	code, _ := New(34, 66)
	const unit, count = 70, 40 // 2800-byte wide symbols use the table kernel
	src := randomSymbols(rng, 34, unit*count)
	wide := encode(t, code, src, unit)
	for part := 0; part < count; part++ {
		narrow := make([][]byte, len(src))
		for i := range src {
			narrow[i] = src[i][part*unit : (part+1)*unit]
		}
		rep := encode(t, code, narrow, unit)
		for i := range rep {
			if !bytes.Equal(rep[i], wide[i][part*unit:(part+1)*unit]) {
				t.Fatalf("part %d repair %d differs", part, i)
			}
		}
	}
}

func TestInvalidInput(t *testing.T) {
	code, _ := New(3, 4)
	enc := NewEncoder(code)
	src := [][]byte{make([]byte, 4), make([]byte, 4), make([]byte, 6)}
	rep := [][]byte{make([]byte, 4), make([]byte, 4), make([]byte, 4), make([]byte, 4)}
	if err := enc.Encode(src, rep, 2); !errors.Is(err, ErrSymbolSize) {
		t.Errorf("unequal sizes: %v", err)
	}
	src[2] = make([]byte, 4)
	if err := enc.Encode(src, rep, 3); !errors.Is(err, ErrSymbolSize) {
		t.Errorf("odd unit: %v", err)
	}
	if err := enc.Encode(src[:2], rep, 2); !errors.Is(err, ErrUnsupportedCounts) {
		t.Errorf("wrong count: %v", err)
	}
	if err := NewDecoder(code).Decode(make([][]byte, 6), 2); !errors.Is(err, ErrUnsupportedCounts) {
		t.Errorf("wrong slots: %v", err)
	}
}
