// Package blake2bx computes BLAKE2b-256 (RFC 7693, digest length 32, no
// key) of many messages of equal length at once, one message per 64-bit SIMD
// lane: eight with AVX-512, four with AVX2, and one at a time with
// golang.org/x/crypto/blake2b elsewhere. Each message is hashed with a
// one-byte domain prefix, H(prefix || msg), which is folded into the message
// words without copying the message.
//
// Every message goes through the same sequence of compressions when the
// lengths are equal, which is what makes the lanes independent: they share
// the block counter and the final-block flag.
package blake2bx

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"

	"golang.org/x/crypto/blake2b"
)

// Impl names an implementation.
type Impl int32

const (
	Generic Impl = iota // golang.org/x/crypto/blake2b, one message at a time
	AVX2                // four lanes
	AVX512              // eight lanes (AVX-512 F), with AVX2 for small remainders
)

func (i Impl) String() string {
	switch i {
	case Generic:
		return "generic"
	case AVX2:
		return "avx2"
	case AVX512:
		return "avx512"
	}
	return fmt.Sprintf("Impl(%d)", int32(i))
}

// Impls lists the implementations this CPU supports, best last.
func Impls() []Impl {
	out := []Impl{Generic}
	if hasAVX2 {
		out = append(out, AVX2)
	}
	if hasAVX512 {
		out = append(out, AVX512)
	}
	return out
}

// Supported reports whether i runs on this CPU.
func Supported(i Impl) bool {
	switch i {
	case Generic:
		return true
	case AVX2:
		return hasAVX2
	case AVX512:
		return hasAVX512
	}
	return false
}

var impl atomic.Int32

func init() { impl.Store(int32(best())) }

func best() Impl {
	ls := Impls()
	return ls[len(ls)-1]
}

// Current returns the implementation in use.
func Current() Impl { return Impl(impl.Load()) }

// Force selects the implementation used from now on, for tests and
// benchmarks, and returns the previous one. It panics if i is not supported
// on this CPU.
func Force(i Impl) (prev Impl) {
	if !Supported(i) {
		panic(fmt.Sprintf("blake2bx: %v is not supported on this CPU", i))
	}
	return Impl(impl.Swap(int32(i)))
}

// Size is the digest length.
const Size = 32

// iv0 is the first IV word with the parameter block of BLAKE2b-256 folded
// in: digest length 32, key length 0, fanout 1, depth 1.
const iv0 = 0x6a09e667f3bcc908 ^ 0x01010000 ^ Size

var iv = [8]uint64{
	iv0, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
	0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179,
}

// SumPrefixed sets dst[i] = BLAKE2b-256(prefix || msgs[i]) for every i.
// It is fastest when all messages have the same length; messages of
// different lengths are hashed one at a time. dst must be at least as long
// as msgs.
func SumPrefixed(dst [][Size]byte, prefix byte, msgs [][]byte) {
	if len(dst) < len(msgs) {
		panic("blake2bx: dst shorter than msgs")
	}
	if len(msgs) == 0 {
		return
	}
	l := len(msgs[0])
	for _, m := range msgs[1:] {
		if len(m) != l {
			sumGeneric(dst, prefix, msgs)
			return
		}
	}
	sumEqual(dst, prefix, msgs, Current())
}

// Sum64Prefixed sets dst[i] = BLAKE2b-256(prefix || src[64i : 64i+64]) for
// every i < len(dst): the inner nodes of a Merkle tree, for example, where
// src is a level of 32-byte nodes and each message is a pair of siblings.
// len(src) must be 64*len(dst). dst may overlap src only as a tree level
// computed in place does: dst[i] at or before src[32i:], never after; every
// message is read before any digest that could overwrite it is written.
func Sum64Prefixed(dst [][Size]byte, prefix byte, src []byte) {
	if len(src) != 64*len(dst) {
		panic("blake2bx: Sum64Prefixed: len(src) != 64*len(dst)")
	}
	sum64(dst, prefix, src, Current())
}

// sumGeneric hashes the messages one at a time.
func sumGeneric(dst [][Size]byte, prefix byte, msgs [][]byte) {
	var stack [512]byte
	var buf []byte
	for i, m := range msgs {
		if len(m)+1 <= len(stack) {
			buf = stack[:len(m)+1]
		} else if cap(buf) >= len(m)+1 && &buf[0] != &stack[0] {
			buf = buf[:len(m)+1]
		} else {
			buf = make([]byte, len(m)+1)
		}
		buf[0] = prefix
		copy(buf[1:], m)
		dst[i] = blake2b.Sum256(buf)
	}
}

func sum64Generic(dst [][Size]byte, prefix byte, src []byte) {
	var buf [65]byte
	buf[0] = prefix
	for i := range dst {
		copy(buf[1:], src[64*i:64*i+64])
		dst[i] = blake2b.Sum256(buf[:])
	}
}

// digest writes lane k of a transposed state (h[i*lanes+k] is word i of
// lane k) as a digest.
func digest(d *[Size]byte, h []uint64, lanes, k int) {
	binary.LittleEndian.PutUint64(d[0:], h[k])
	binary.LittleEndian.PutUint64(d[8:], h[lanes+k])
	binary.LittleEndian.PutUint64(d[16:], h[2*lanes+k])
	binary.LittleEndian.PutUint64(d[24:], h[3*lanes+k])
}
