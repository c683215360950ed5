package encoding

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"golang.org/x/crypto/blake2b"
)

// Benchmarks for the targets. Reproduce with
//
//	go test -run '^$' -bench . -benchtime 3x ./encoding/
//
// BenchmarkHashFloor measures, in the same run, BLAKE2b-256 over the bytes
// that the metadata commits to (2*n*n*symbol size) on all cores: the floor
// that encoding is compared with.

var benchSizes = []struct {
	name string
	n    int
	size int
}{
	{"n1000/1MiB", 1000, 1 << 20},
	{"n1000/64MiB", 1000, 64 << 20},
	{"n10/1MiB", 10, 1 << 20},
	{"n10/max", 10, 4 * 7 * MaxSymbolSize}, // the largest blob 10 shards hold (1.8 MB)
}

func benchBlob(size int) []byte {
	rng := rand.New(rand.NewPCG(uint64(size), 1))
	b := make([]byte, size)
	for i := 0; i < len(b); i += 8 {
		v := rng.Uint64()
		for j := 0; j < 8 && i+j < len(b); j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

func BenchmarkEncode(b *testing.B) {
	for _, c := range benchSizes {
		b.Run(c.name, func(b *testing.B) {
			blob := benchBlob(c.size)
			b.SetBytes(int64(c.size))
			var ms0, ms1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms0)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := Encode(blob, c.n); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			runtime.ReadMemStats(&ms1)
			// Bytes allocated per encoding, relative to the blob: with the
			// input itself, an upper bound on peak memory is 1 + this.
			b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(b.N)/float64(c.size), "alloc/blob")
		})
	}
}

func BenchmarkBlobID(b *testing.B) {
	for _, c := range benchSizes[:1] {
		b.Run(c.name, func(b *testing.B) {
			blob := benchBlob(c.size)
			b.SetBytes(int64(c.size))
			for i := 0; i < b.N; i++ {
				if _, err := ComputeMetadata(blob, c.n); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHashFloor hashes 2*n*n*ss bytes with BLAKE2b-256 in large
// messages, split evenly over all cores.
func BenchmarkHashFloor(b *testing.B) {
	for _, c := range benchSizes {
		b.Run(c.name, func(b *testing.B) {
			p, _ := NewParams(c.n)
			ss, _ := p.SymbolSize(uint64(c.size))
			total := 2 * c.n * c.n * ss
			const chunk = 1 << 20
			buf := benchBlob(chunk)
			workers := runtime.GOMAXPROCS(0)
			b.SetBytes(int64(c.size)) // per blob, so MB/s compares with BenchmarkEncode
			b.ReportMetric(float64(total), "hashed-bytes")
			for i := 0; i < b.N; i++ {
				var wg sync.WaitGroup
				per := total / workers
				for w := 0; w < workers; w++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for left := per; left > 0; left -= chunk {
							blake2b.Sum256(buf[:min(left, chunk)])
						}
					}()
				}
				wg.Wait()
			}
		})
	}
}

func BenchmarkDecodePrimary(b *testing.B) {
	for _, c := range benchSizes {
		for _, check := range []ConsistencyCheck{CheckSkip, CheckDefault} {
			b.Run(fmt.Sprintf("%s/%s", c.name, check), func(b *testing.B) {
				blob := benchBlob(c.size)
				enc, _ := Encode(blob, c.n)
				x, _ := NewExpander(c.n)
				rng := rand.New(rand.NewPCG(1, 2))
				var slivers []Sliver
				for _, i := range rng.Perm(c.n)[:enc.Params.Primary()] {
					slivers = append(slivers, enc.PrimarySliver(i))
				}
				b.SetBytes(int64(c.size))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := x.DecodeBlob(enc.Metadata, slivers, check); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkRecoverSliver recovers one primary sliver from n-f verified
// symbols (the node-side cost per blob of a lost shard).
func BenchmarkRecoverSliver(b *testing.B) {
	for _, c := range benchSizes[:2] {
		b.Run(c.name, func(b *testing.B) {
			enc, _ := Encode(benchBlob(c.size), c.n)
			x, _ := NewExpander(c.n)
			const target = 5
			var syms []RecoverySymbol
			for j := 0; j < enc.Params.RecoveryThreshold(Primary); j++ {
				src := enc.SecondarySliver(j)
				gs, _ := x.RecoverySymbols(enc.Metadata, &src, []int{target})
				syms = append(syms, gs[0].Symbol)
			}
			b.SetBytes(int64(enc.Params.PrimarySliverSize(enc.SymbolSize)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, _, err := x.RecoverSliver(enc.Metadata, Primary, target, syms); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
