//go:build amd64 && !purego

package blake2bx

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

//go:generate go run gen.go

var (
	hasAVX2   = cpu.X86.HasAVX2
	hasAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX2
)

// The kernels hash n consecutive 128-byte chunks of each lane's message,
// starting at p[k] for lane k and with t the byte counter after the first
// block (it grows by 128 per block); last is the final-block flag (0 or all
// ones) and is only set for a single block. Block b of prefix || msg is
// msg's chunk b shifted up by one byte, the carry byte coming from the
// previous chunk (or the prefix): the message is read in place.

// state8 is the state of eight lanes, transposed: h[8*i+k] is word i of lane
// k. The layout is known to the assembly.
type state8 struct {
	h     [8 * 8]uint64
	carry [8]uint64 // last byte of the previous chunk, or the prefix
}

// state4 is the state of four lanes, with scratch for the message words and
// a spill slot. The layout is known to the assembly.
type state4 struct {
	h     [8 * 4]uint64
	carry [4]uint64
	m     [16 * 4]uint64
	spill [4]uint64
}

//go:noescape
func compress8AVX512(s *state8, p *[8]*byte, n int, t uint64, last uint64)

// final8AVX512 is compress8AVX512 for a single final block of fewer than
// 128 bytes per lane, read with byte masks: lo covers its first 64 bytes and
// hi the rest. Bytes outside the masks are neither read nor faulted on.
//
//go:noescape
func final8AVX512(s *state8, p *[8]*byte, t uint64, lo uint64, hi uint64)

// inner8AVX512 hashes n groups of eight 65-byte messages prefix ||
// src[64k:64k+64] and writes each group's first four state words,
// transposed, to dst[g].
//
//go:noescape
func inner8AVX512(dst *[4][8]uint64, src *byte, n int, prefix uint64)

//go:noescape
func compress4AVX2(s *state4, p *[4]*byte, n int, t uint64, last uint64)

func sumEqual(dst [][Size]byte, prefix byte, msgs [][]byte, im Impl) {
	if im == AVX512 {
		for len(msgs) > 4 {
			k := min(8, len(msgs))
			sum8(dst[:k], prefix, msgs[:k])
			dst, msgs = dst[k:], msgs[k:]
		}
	}
	if im >= AVX2 {
		for len(msgs) >= 2 {
			k := min(4, len(msgs))
			sum4(dst[:k], prefix, msgs[:k])
			dst, msgs = dst[k:], msgs[k:]
		}
	}
	sumGeneric(dst, prefix, msgs)
}

// sum8 hashes up to eight messages of equal length; missing lanes repeat
// the last message and are discarded.
func sum8(dst [][Size]byte, prefix byte, msgs [][]byte) {
	var s state8
	for i := 0; i < 8; i++ {
		for k := 0; k < 8; k++ {
			s.h[8*i+k] = iv[i]
		}
		s.carry[i] = uint64(prefix)
	}
	l := len(msgs[0])
	full := l / 128 // chunks read in place; the last block is made from the rest
	var p [8]*byte
	if full > 0 {
		for k := range p {
			p[k] = unsafe.SliceData(msgs[min(k, len(msgs)-1)])
		}
		compress8AVX512(&s, &p, full, 128, 0)
	}
	// The rest, r < 128 bytes, is read in place through byte masks. With
	// r == 0 nothing is read, and the pointers stay at the messages' starts
	// rather than one past their ends.
	r := l - 128*full
	off := 128 * full
	if r == 0 {
		off = 0
	}
	for k := range p {
		p[k] = unsafe.SliceData(msgs[min(k, len(msgs)-1)][off:])
	}
	lo, hi := uint64(1)<<r-1, uint64(0) // r == 64 gives 0-1, all ones
	if r >= 64 {
		lo, hi = ^uint64(0), uint64(1)<<(r-64)-1
	}
	final8AVX512(&s, &p, uint64(l)+1, lo, hi)
	for k := range msgs {
		digest(&dst[k], s.h[:], 8, k)
	}
}

// sum4 is sum8 with four lanes.
func sum4(dst [][Size]byte, prefix byte, msgs [][]byte) {
	var s state4
	for i := 0; i < 8; i++ {
		for k := 0; k < 4; k++ {
			s.h[4*i+k] = iv[i]
		}
	}
	for k := 0; k < 4; k++ {
		s.carry[k] = uint64(prefix)
	}
	l := len(msgs[0])
	full := l / 128
	var p [4]*byte
	if full > 0 {
		for k := range p {
			p[k] = unsafe.SliceData(msgs[min(k, len(msgs)-1)])
		}
		compress4AVX2(&s, &p, full, 128, 0)
	}
	var tail [4][128]byte
	for k := range p {
		if k < len(msgs) {
			copy(tail[k][:], msgs[k][128*full:])
		}
		p[k] = &tail[k][0]
	}
	compress4AVX2(&s, &p, 1, uint64(l)+1, ^uint64(0))
	for k := range msgs {
		digest(&dst[k], s.h[:], 4, k)
	}
}

func sum64(dst [][Size]byte, prefix byte, src []byte, im Impl) {
	if im == AVX512 {
		const batch = 16 // groups of eight per kernel call
		var out [batch][4][8]uint64
		for len(dst) >= 8 {
			g := min(batch, len(dst)/8)
			inner8AVX512(&out[0], unsafe.SliceData(src), g, uint64(prefix))
			for j := 0; j < g; j++ {
				h := out[j][:]
				hs := unsafe.Slice(&h[0][0], 32)
				for k := 0; k < 8; k++ {
					digest(&dst[8*j+k], hs, 8, k)
				}
			}
			dst, src = dst[8*g:], src[512*g:]
		}
	}
	if im >= AVX2 && len(dst) >= 2 {
		var msgs [8][]byte
		for len(dst) >= 2 {
			k := min(len(dst), 8)
			if im == AVX2 || k <= 4 {
				k = min(k, 4)
			}
			for j := 0; j < k; j++ {
				msgs[j] = src[64*j : 64*j+64]
			}
			sumEqual(dst[:k], prefix, msgs[:k], im)
			dst, src = dst[k:], src[64*k:]
		}
	}
	sum64Generic(dst, prefix, src)
}
