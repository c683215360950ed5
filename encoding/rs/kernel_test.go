package rs

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// withAVX2 runs f with the AVX2 kernels switched on or off (on only where
// the CPU has them) and restores the switch.
func withAVX2(on bool, f func()) {
	saved := useAVX2
	useAVX2 = on && saved
	defer func() { useAVX2 = saved }()
	f()
}

// paths runs f once per kernel path available on this machine.
func paths(t *testing.T, f func(t *testing.T)) {
	t.Run("portable", func(t *testing.T) { withAVX2(false, func() { f(t) }) })
	if useAVX2 {
		t.Run("avx2", func(t *testing.T) { withAVX2(true, func() { f(t) }) })
	}
}

// elements lists the byte positions (low, high) of every element of n bytes
// laid out in units of unit bytes: the reference view of the layout.
func elements(n, unit int) [][2]int {
	var out [][2]int
	full := unit &^ 63
	half := (unit - full) / 2
	for off := 0; off < n; off += unit {
		for b := off; b < off+full; b += 64 {
			for e := 0; e < 32; e++ {
				out = append(out, [2]int{b + e, b + e + 32})
			}
		}
		for e := 0; e < half; e++ {
			out = append(out, [2]int{off + full + e, off + full + half + e})
		}
	}
	return out
}

func get(s []byte, p [2]int) uint16    { return uint16(s[p[0]]) | uint16(s[p[1]])<<8 }
func set(s []byte, p [2]int, v uint16) { s[p[0]], s[p[1]] = byte(v), byte(v>>8) }

// Reference kernels: one element at a time through log and exp.
const (
	opMulAdd = iota
	opMul
	opFFT
	opIFFT
	opCount
)

var opNames = [opCount]string{"mulAdd", "mul", "fft", "ifft"}

func refKernel(op int, a, b []byte, logm uint16, unit int) {
	t := tables()
	for _, p := range elements(len(a), unit) {
		x, y := get(a, p), get(b, p)
		switch op {
		case opMulAdd: // a ^= b*m
			x ^= t.mulLog(y, logm)
		case opMul: // a = b*m
			x = t.mulLog(y, logm)
		case opFFT:
			x ^= t.mulLog(y, logm)
			y ^= x
		case opIFFT:
			y ^= x
			x ^= t.mulLog(y, logm)
		}
		set(a, p, x)
		set(b, p, y)
	}
}

// runKernel applies op through the dispatching kernels of the active path.
func runKernel(op int, a, b []byte, logm uint16, unit int) {
	var k konst
	kr := tables().prepare(&k, logm, unit)
	switch op {
	case opMulAdd:
		mulAdd(a, b, kr, unit)
	case opMul:
		mul(a, b, kr, unit)
	case opFFT:
		fftButterfly(a, b, kr, unit)
	case opIFFT:
		ifftButterfly(a, b, kr, unit)
	}
}

func randomBytes(rng *rand.Rand, n int) []byte {
	s := make([]byte, n)
	for i := range s {
		s[i] = byte(rng.Uint32())
	}
	// Some zero elements and some zero bytes.
	for i := 0; i < n/16; i++ {
		s[rng.IntN(n)] = 0
	}
	return s
}

func checkKernel(t *testing.T, op int, a, b []byte, logm uint16, unit int) {
	t.Helper()
	wantA, wantB := bytes.Clone(a), bytes.Clone(b)
	refKernel(op, wantA, wantB, logm, unit)
	gotA, gotB := bytes.Clone(a), bytes.Clone(b)
	runKernel(op, gotA, gotB, logm, unit)
	if !bytes.Equal(gotA, wantA) || !bytes.Equal(gotB, wantB) {
		t.Fatalf("%s len=%d unit=%d logm=%d: mismatch", opNames[op], len(a), unit, logm)
	}
}

// TestKernels compares every kernel of both paths with the reference, for
// units with and without tails, short and long slices, and constants
// including 1 (log 0), log 65535 (also 1) and random ones.
func TestKernels(t *testing.T) {
	paths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(11, 12))
		units := []int{2, 6, 62, 64, 66, 70, 126, 128, 130, 190, 192, 254, 256, 302, 318, 320, 1024, 4094}
		logs := []uint16{0, modulus, 1, 2, 0x8000, 12345}
		for _, unit := range units {
			for _, count := range []int{1, 2, 3, 27} {
				n := unit * count
				for _, logm := range append(logs, uint16(rng.IntN(order))) {
					for op := range opCount {
						checkKernel(t, op, randomBytes(rng, n), randomBytes(rng, n), logm, unit)
					}
				}
			}
		}
		// Long slices, and all-zero sources.
		for _, c := range []struct{ n, unit int }{{64 * 1024, 64}, {64 * 1024, 1024}, {302 * 217, 302}, {70 * 500, 70}} {
			for op := range opCount {
				checkKernel(t, op, randomBytes(rng, c.n), randomBytes(rng, c.n), uint16(rng.IntN(order)), c.unit)
				checkKernel(t, op, randomBytes(rng, c.n), make([]byte, c.n), uint16(rng.IntN(order)), c.unit)
			}
		}
	})
}

// TestMulInPlace checks mul with the same slice as source and destination.
func TestMulInPlace(t *testing.T) {
	paths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(13, 14))
		for _, unit := range []int{2, 64, 66, 130, 302} {
			for _, logm := range []uint16{0, modulus, uint16(rng.IntN(order))} {
				x := randomBytes(rng, unit*5)
				want, scratch := bytes.Clone(x), make([]byte, len(x))
				refKernel(opMul, scratch, want, logm, unit)
				var k konst
				mul(x, x, tables().prepare(&k, logm, unit), unit)
				if !bytes.Equal(x, scratch) {
					t.Fatalf("unit=%d logm=%d: in-place mul differs", unit, logm)
				}
			}
		}
	})
}

// TestKernelsStayInBounds runs the kernels on slices cut out of a larger
// buffer and checks that the bytes around them are untouched (the tail
// windows must stay within each unit).
func TestKernelsStayInBounds(t *testing.T) {
	paths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(15, 16))
		for _, unit := range []int{64, 66, 100, 126, 302} {
			for op := range opCount {
				n := unit * 3
				bufA, bufB := randomBytes(rng, n+256), randomBytes(rng, n+256)
				origA, origB := bytes.Clone(bufA), bytes.Clone(bufB)
				a, b := bufA[128:128+n:128+n], bufB[128:128+n:128+n]
				wantA, wantB := bytes.Clone(a), bytes.Clone(b)
				refKernel(op, wantA, wantB, 777, unit)
				runKernel(op, a, b, 777, unit)
				if !bytes.Equal(a, wantA) || !bytes.Equal(b, wantB) {
					t.Fatalf("%s unit=%d: wrong result", opNames[op], unit)
				}
				for _, r := range [][2]int{{0, 128}, {128 + n, n + 256}} {
					if !bytes.Equal(bufA[r[0]:r[1]], origA[r[0]:r[1]]) || !bytes.Equal(bufB[r[0]:r[1]], origB[r[0]:r[1]]) {
						t.Fatalf("%s unit=%d: wrote outside the slices", opNames[op], unit)
					}
				}
			}
		}
	})
}

// TestPathsAgree encodes and decodes with both paths and compares: the
// transforms (twiddle caches, butterflies, decoder multiplications) must be
// identical whichever kernels run.
func TestPathsAgree(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(17, 18))
	for _, c := range []struct{ k, r int }{{334, 666}, {667, 333}, {7, 3}, {34, 66}} {
		code, _ := New(c.k, c.r)
		for _, unit := range []int{64, 302, 130} {
			src := randomSymbols(rng, c.k, unit*3)
			var fast, slow [][]byte
			withAVX2(true, func() { fast = encode(t, code, src, unit) })
			withAVX2(false, func() { slow = encode(t, code, src, unit) })
			for i := range fast {
				if !bytes.Equal(fast[i], slow[i]) {
					t.Fatalf("k=%d r=%d unit=%d: repair %d differs between paths", c.k, c.r, unit, i)
				}
			}
		}
	}
}

// TestPortablePath reruns the code-level tests on the portable kernels.
func TestPortablePath(t *testing.T) {
	withAVX2(false, func() {
		t.Run("klauspost", TestHighRateMatchesKlauspost)
		t.Run("roundtrip", TestRoundTrip)
		t.Run("wide", TestWideSymbols)
	})
}

// FuzzKernels compares the AVX2 kernels with the portable ones (and both
// with the reference) on fuzzer-chosen data, constant and unit.
func FuzzKernels(f *testing.F) {
	f.Add([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), uint16(5), uint16(0), uint8(0))
	f.Add(bytes.Repeat([]byte{0xff, 0, 7}, 200), uint16(modulus), uint16(302-64), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, logm, unitSel uint16, op uint8) {
		unit := 64 + 2*int(unitSel%512)
		if len(data) < 2 {
			return
		}
		n := unit * (1 + len(data)/(2*unit))
		a, b := make([]byte, n), make([]byte, n)
		for i := range n {
			a[i] = data[i%len(data)]
			b[i] = data[(i*7+3)%len(data)] ^ byte(i)
		}
		o := int(op) % opCount
		wantA, wantB := bytes.Clone(a), bytes.Clone(b)
		refKernel(o, wantA, wantB, logm, unit)
		for _, on := range []bool{false, true} {
			gotA, gotB := bytes.Clone(a), bytes.Clone(b)
			withAVX2(on, func() { runKernel(o, gotA, gotB, logm, unit) })
			if !bytes.Equal(gotA, wantA) || !bytes.Equal(gotB, wantB) {
				t.Fatalf("%s avx2=%v unit=%d logm=%d: mismatch", opNames[o], on && useAVX2, unit, logm)
			}
		}
	})
}

// TestXorInto checks xorInto on both paths for lengths around the vector
// widths.
func TestXorInto(t *testing.T) {
	paths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(19, 20))
		for n := 0; n < 300; n++ {
			a, b := randomBytes(rng, n+1)[:n], randomBytes(rng, n+5)
			want := bytes.Clone(a)
			for i := range want {
				want[i] ^= b[i]
			}
			xorInto(a, b)
			if !bytes.Equal(a, want) {
				t.Fatalf("n=%d: wrong xor", n)
			}
		}
	})
}
