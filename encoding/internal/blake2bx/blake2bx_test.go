package blake2bx

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"golang.org/x/crypto/blake2b"
)

// each runs f once per implementation supported here.
func each(t testing.TB, f func(t testing.TB, im Impl)) {
	for _, im := range Impls() {
		prev := Force(im)
		f(t, im)
		Force(prev)
	}
}

func ref(prefix byte, m []byte) [Size]byte {
	return blake2b.Sum256(append([]byte{prefix}, m...))
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// check hashes count messages of length l (carved from one buffer at an
// odd offset, so that nothing is aligned) and compares with blake2b.Sum256.
func check(t testing.TB, im Impl, rng *rand.Rand, prefix byte, l, count int) {
	t.Helper()
	buf := randBytes(rng, 3+l*count)
	msgs := make([][]byte, count)
	for i := range msgs {
		msgs[i] = buf[3+i*l : 3+(i+1)*l : 3+(i+1)*l]
	}
	dst := make([][Size]byte, count+1)
	SumPrefixed(dst[:count], prefix, msgs)
	for i, m := range msgs {
		if dst[i] != ref(prefix, m) {
			t.Fatalf("%v: prefix %#x, len %d, count %d: message %d differs", im, prefix, l, count, i)
		}
	}
	if dst[count] != ([Size]byte{}) {
		t.Fatalf("%v: wrote past the messages", im)
	}
}

func TestAllImplsSupportedHere(t *testing.T) {
	t.Logf("implementations: %v (current %v)", Impls(), Current())
	if Impls()[len(Impls())-1] != Current() {
		t.Fatal("the default is not the best implementation")
	}
}

func TestSumPrefixedLengths(t *testing.T) {
	counts := []int{1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 16, 17}
	each(t, func(t testing.TB, im Impl) {
		rng := rand.New(rand.NewPCG(1, uint64(im)))
		for l := 0; l <= 300; l++ {
			for _, prefix := range []byte{0, 1} {
				check(t, im, rng, prefix, l, counts[l%len(counts)])
			}
		}
		for _, l := range []int{383, 384, 385, 511, 512, 513, 1023, 1024, 1025} {
			check(t, im, rng, 0, l, 11)
		}
		for i := 0; i < 40; i++ {
			check(t, im, rng, byte(rng.Uint32()), 300+rng.IntN(5000), 1+rng.IntN(20))
		}
	})
}

func TestSumPrefixedCounts(t *testing.T) {
	each(t, func(t testing.TB, im Impl) {
		rng := rand.New(rand.NewPCG(2, uint64(im)))
		for count := 0; count <= 40; count++ {
			for _, l := range []int{0, 64, 127, 128, 302} {
				check(t, im, rng, 0, l, count)
			}
		}
	})
}

func TestSumPrefixedUnequal(t *testing.T) {
	each(t, func(t testing.TB, im Impl) {
		rng := rand.New(rand.NewPCG(3, 0))
		msgs := make([][]byte, 19)
		for i := range msgs {
			msgs[i] = randBytes(rng, rng.IntN(700))
		}
		dst := make([][Size]byte, len(msgs))
		SumPrefixed(dst, 0, msgs)
		for i, m := range msgs {
			if dst[i] != ref(0, m) {
				t.Fatalf("%v: message %d differs", im, i)
			}
		}
	})
}

func TestSum64Prefixed(t *testing.T) {
	each(t, func(t testing.TB, im Impl) {
		rng := rand.New(rand.NewPCG(4, 0))
		for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 100, 127, 128, 129, 130, 131, 133, 500} {
			for _, prefix := range []byte{0, 1, 0xff} {
				src := randBytes(rng, 64*n+1)[1:]
				dst := make([][Size]byte, n+1)
				Sum64Prefixed(dst[:n], prefix, src)
				for i := 0; i < n; i++ {
					if dst[i] != ref(prefix, src[64*i:64*i+64]) {
						t.Fatalf("%v: n %d prefix %#x: pair %d differs", im, n, prefix, i)
					}
				}
				if dst[n] != ([Size]byte{}) {
					t.Fatalf("%v: wrote past the pairs", im)
				}
			}
		}
	})
}

func TestForceUnsupported(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("forcing an unknown implementation did not panic")
		}
	}()
	Force(Impl(99))
}

func FuzzSumPrefixed(f *testing.F) {
	f.Add([]byte("abc"), uint8(3), byte(0))
	f.Add(make([]byte, 1000), uint8(9), byte(1))
	f.Fuzz(func(t *testing.T, data []byte, count uint8, prefix byte) {
		n := int(count%20) + 1
		l := len(data) / n
		msgs := make([][]byte, n)
		for i := range msgs {
			msgs[i] = data[i*l : (i+1)*l]
		}
		each(t, func(t testing.TB, im Impl) {
			dst := make([][Size]byte, n)
			SumPrefixed(dst, prefix, msgs)
			for i, m := range msgs {
				if dst[i] != ref(prefix, m) {
					t.Fatalf("%v: message %d of %d bytes differs", im, i, l)
				}
			}
		})
	})
}

// Benchmarks: the cost per message, one at a time with blake2b.Sum256 and
// batched with each implementation, for Walrus's leaf (a 302-byte symbol
// plus the prefix) and inner-node (65-byte) messages.

const benchBatch = 1000

func BenchmarkOneAtATime(b *testing.B) {
	for _, l := range []int{303, 65} {
		b.Run(fmt.Sprintf("%dB", l), func(b *testing.B) {
			msg := make([]byte, l)
			b.SetBytes(int64(l))
			for i := 0; i < b.N; i++ {
				blake2b.Sum256(msg)
			}
		})
	}
}

func BenchmarkSumPrefixed(b *testing.B) {
	for _, im := range Impls() {
		for _, l := range []int{302, 64} {
			b.Run(fmt.Sprintf("%v/%dB", im, l+1), func(b *testing.B) {
				defer Force(Force(im))
				buf := make([]byte, l*benchBatch)
				msgs := make([][]byte, benchBatch)
				for i := range msgs {
					msgs[i] = buf[i*l : (i+1)*l]
				}
				dst := make([][Size]byte, benchBatch)
				b.SetBytes(int64(l + 1))
				b.ResetTimer()
				for i := 0; i < b.N; i += benchBatch {
					SumPrefixed(dst, 0, msgs)
				}
			})
		}
	}
}

func BenchmarkSum64Prefixed(b *testing.B) {
	for _, im := range Impls() {
		b.Run(fmt.Sprintf("%v/65B", im), func(b *testing.B) {
			defer Force(Force(im))
			src := make([]byte, 64*benchBatch)
			dst := make([][Size]byte, benchBatch)
			b.SetBytes(65)
			b.ResetTimer()
			for i := 0; i < b.N; i += benchBatch {
				Sum64Prefixed(dst, 1, src)
			}
		})
	}
}

func BenchmarkBulk1MiB(b *testing.B) {
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(len(buf)))
	for i := 0; i < b.N; i++ {
		blake2b.Sum256(buf)
	}
}
