package blake2bx

import (
	"math/rand/v2"
	"syscall"
	"testing"
)

// TestNoReadPastMessages places every message so that it ends right before
// an inaccessible page: a kernel that reads a byte past a message faults.
func TestNoReadPastMessages(t *testing.T) {
	page := syscall.Getpagesize()
	const maxLen = 700
	const count = 9
	mem, err := syscall.Mmap(-1, 0, 2*count*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		t.Skip("mmap:", err)
	}
	defer syscall.Munmap(mem)
	for i := 0; i < count; i++ {
		if err := syscall.Mprotect(mem[(2*i+1)*page:(2*i+2)*page], syscall.PROT_NONE); err != nil {
			t.Skip("mprotect:", err)
		}
	}
	rng := rand.New(rand.NewPCG(5, 0))
	for i := 0; i < count; i++ {
		for j := 0; j < page; j++ {
			mem[2*i*page+j] = byte(rng.Uint32())
		}
	}
	each(t, func(t testing.TB, im Impl) {
		for l := 0; l <= maxLen; l++ {
			for _, n := range []int{1, 2, 4, 5, 8, 9} {
				msgs := make([][]byte, n)
				for i := range msgs {
					end := (2*i + 1) * page
					msgs[i] = mem[end-l : end : end]
				}
				dst := make([][Size]byte, n)
				SumPrefixed(dst, 0, msgs)
				for i, m := range msgs {
					if dst[i] != ref(0, m) {
						t.Fatalf("%v: len %d count %d: message %d differs", im, l, n, i)
					}
				}
			}
		}
		for _, n := range []int{1, 2, 3, 5, 8, 9, 16, 17} {
			src := mem[page-64*n : page : page]
			dst := make([][Size]byte, n)
			Sum64Prefixed(dst, 1, src)
			for i := range dst {
				if dst[i] != ref(1, src[64*i:64*i+64]) {
					t.Fatalf("%v: Sum64Prefixed n %d: pair %d differs", im, n, i)
				}
			}
		}
	})
}
