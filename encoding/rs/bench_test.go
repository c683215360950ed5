package rs

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func benchEncode(b *testing.B, k, r, size, unit int) {
	code, err := New(k, r)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	src := randomSymbols(rng, k, size)
	repair := make([][]byte, r)
	for i := range repair {
		repair[i] = make([]byte, size)
	}
	enc := NewEncoder(code)
	b.SetBytes(int64(k * size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := enc.Encode(src, repair, unit); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode334x666Unit302(b *testing.B) { benchEncode(b, 334, 666, 302*27, 302) }
func BenchmarkEncode667x333Unit302(b *testing.B) { benchEncode(b, 667, 333, 302*27, 302) }
func BenchmarkEncode334x666Unit64(b *testing.B)  { benchEncode(b, 334, 666, 8192, 64) }
func BenchmarkEncode667x333Unit64(b *testing.B)  { benchEncode(b, 667, 333, 8192, 64) }

func BenchmarkDecode334x666(b *testing.B) {
	const k, r, size, unit = 334, 666, 2048, 64
	code, _ := New(k, r)
	rng := rand.New(rand.NewPCG(2, 2))
	src := randomSymbols(rng, k, size)
	repair := make([][]byte, r)
	for i := range repair {
		repair[i] = make([]byte, size)
	}
	if err := NewEncoder(code).Encode(src, repair, unit); err != nil {
		b.Fatal(err)
	}
	all := append(append([][]byte{}, src...), repair...)
	keep := rng.Perm(k + r)[:k]
	syms := make([][]byte, k+r)
	dec := NewDecoder(code)
	b.SetBytes(int64(k * size))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clear(syms)
		for _, j := range keep {
			syms[j] = all[j]
		}
		if err := dec.Decode(syms, unit); err != nil {
			b.Fatal(err)
		}
	}
}

func benchKernel(b *testing.B, op, size, unit int) {
	rng := rand.New(rand.NewPCG(3, 3))
	a, s := randomBytes(rng, size), randomBytes(rng, size)
	var k konst
	kr := tables().prepare(&k, 12345, unit)
	b.SetBytes(int64(size))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		switch op {
		case opMulAdd:
			mulAdd(a, s, kr, unit)
		case opMul:
			mul(a, s, kr, unit)
		case opFFT:
			fftButterfly(a, s, kr, unit)
		case opIFFT:
			ifftButterfly(a, s, kr, unit)
		}
	}
}

// BenchmarkKernels measures each kernel on 8 KiB-class symbols (MB/s of one
// operand), on the AVX2 path where available and on the portable one.
func BenchmarkKernels(b *testing.B) {
	for _, path := range []string{"avx2", "go"} {
		if path == "avx2" && !useAVX2 {
			continue
		}
		for _, op := range []int{opMulAdd, opMul, opFFT, opIFFT} {
			for _, u := range []struct{ size, unit int }{{8192, 64}, {302 * 27, 302}} {
				b.Run(fmt.Sprintf("%s/%s/unit%d", path, opNames[op], u.unit), func(b *testing.B) {
					withAVX2(path == "avx2", func() { benchKernel(b, op, u.size, u.unit) })
				})
			}
		}
	}
	b.Run("xor", func(b *testing.B) {
		a, s := make([]byte, 8192), make([]byte, 8192)
		b.SetBytes(8192)
		for i := 0; i < b.N; i++ {
			xorInto(a, s)
		}
	})
}
