// Package testrand makes reproducible pseudo-random test data (blobs of a
// given size from a seed), shared by the packages whose tests store and
// read blobs.
package testrand

import (
	"encoding/binary"
	"math/rand/v2"
)

// Bytes returns n pseudo-random bytes determined by seed.
func Bytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	i := 0
	for ; i+8 <= n; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.Uint64())
	}
	for v := r.Uint64(); i < n; i, v = i+1, v>>8 {
		b[i] = byte(v)
	}
	return b
}
