package rs

import (
	"crypto/subtle"
	"math/bits"
	"sync/atomic"
)

// Symbols are byte slices holding GF(2^16) elements in Walrus's layout,
// repeated every `unit` bytes (the symbol size; a "wide" symbol concatenates
// several symbols of the same size): within each unit, every full 64-byte
// block holds 32 elements with their low bytes in bytes 0..31 and their high
// bytes in bytes 32..63; a tail of 2m bytes holds m elements, low bytes first.
// Every operation of the code is element-wise, so elements are never moved
// out of this layout.
//
// Multiplication by a constant is GF(2)-linear, so it is a table lookup per
// input byte (mulTable, used by the portable kernels) or per input nibble
// (nibTables, the shape VPSHUFB consumes in the AVX2 kernels).

// mulTable is the product by one constant, split by input byte: the product
// of x = lo | hi<<8 is byLo[lo] ^ byHi[hi].
type mulTable struct {
	byLo, byHi [256]uint16
}

// nibTables is the product by one constant split by input nibble: for nibble
// i of the input (0 = low nibble of the low byte ... 3 = high nibble of the
// high byte), row 2i holds the low bytes and row 2i+1 the high bytes of
// (v<<4i)*m for v = 0..15. Each 16-byte table is stored twice so that one
// 32-byte load fills both lanes of a YMM register.
type nibTables [8][32]byte

// basis returns the products of the 16 unit vectors 1<<j by the constant
// whose log is logm.
func (t *fieldTables) basis(logm uint16) (b [16]uint16) {
	for j := range b {
		b[j] = t.exp[addMod(t.log[1<<j], logm)]
	}
	return b
}

func (t *fieldTables) fillMulTable(mt *mulTable, logm uint16) {
	b := t.basis(logm)
	mt.byLo[0], mt.byHi[0] = 0, 0
	for i := 1; i < 256; i++ {
		j := bits.TrailingZeros(uint(i))
		rest := i & (i - 1)
		mt.byLo[i] = mt.byLo[rest] ^ b[j]
		mt.byHi[i] = mt.byHi[rest] ^ b[j+8]
	}
}

func (t *fieldTables) fillNibTables(nt *nibTables, logm uint16) {
	b := t.basis(logm)
	for n := 0; n < 4; n++ {
		var p [16]uint16
		for v := 1; v < 16; v++ {
			j := bits.TrailingZeros(uint(v))
			p[v] = p[v&(v-1)] ^ b[4*n+j]
		}
		lo, hi := &nt[2*n], &nt[2*n+1]
		for v := 0; v < 16; v++ {
			lo[v], lo[v+16] = byte(p[v]), byte(p[v])
			hi[v], hi[v+16] = byte(p[v]>>8), byte(p[v]>>8)
		}
	}
}

// konst holds the tables of one constant prepared for the kernels: the AVX2
// kernels use nib, the portable ones mt. Only the tables the active path
// needs are filled.
type konst struct {
	nib nibTables
	mt  mulTable
}

// kref points at the prepared tables of a constant.
type kref struct {
	nib *nibTables
	mt  *mulTable
}

func (k *konst) ref() kref { return kref{&k.nib, &k.mt} }

// simd reports whether the AVX2 kernels handle symbols of this unit. They
// need at least one full block per unit (the tail is processed through
// windows that reach back into the unit's blocks).
func simd(unit int) bool { return useAVX2 && unit >= 64 }

// simdUnit is the unit passed to the assembly: when the unit has no tail the
// whole slice is one run of blocks.
func simdUnit(unit, n int) int {
	if unit&63 == 0 {
		return n
	}
	return unit
}

// prepare fills the tables of k for the constant logm on the path for unit.
func (t *fieldTables) prepare(k *konst, logm uint16, unit int) kref {
	if simd(unit) {
		t.fillNibTables(&k.nib, logm)
	} else {
		t.fillMulTable(&k.mt, logm)
	}
	return k.ref()
}

// Prepared tables of the FFT twiddles, built lazily by pages and shared by
// every encoder and decoder (they depend only on the skew index).
const skewPageBits = 6

type (
	nibPage [1 << skewPageBits]nibTables
	mtPage  [1 << skewPageBits]mulTable
)

var (
	skewNibPages [(modulus >> skewPageBits) + 1]atomic.Pointer[nibPage]
	skewMtPages  [(modulus >> skewPageBits) + 1]atomic.Pointer[mtPage]
)

// skewKonst returns the prepared twiddle skew[idx] (which must not be the
// zero twiddle) for the path of unit; only the tables of that path are set.
func (t *fieldTables) skewKonst(idx, unit int) kref {
	page, i := idx>>skewPageBits, idx&(1<<skewPageBits-1)
	base := idx &^ (1<<skewPageBits - 1)
	n := min(1<<skewPageBits, modulus-base)
	if simd(unit) {
		p := skewNibPages[page].Load()
		if p == nil {
			p = new(nibPage)
			for j := range n {
				t.fillNibTables(&p[j], t.skew[base+j])
			}
			if !skewNibPages[page].CompareAndSwap(nil, p) {
				p = skewNibPages[page].Load()
			}
		}
		return kref{nib: &p[i]}
	}
	p := skewMtPages[page].Load()
	if p == nil {
		p = new(mtPage)
		for j := range n {
			t.fillMulTable(&p[j], t.skew[base+j])
		}
		if !skewMtPages[page].CompareAndSwap(nil, p) {
			p = skewMtPages[page].Load()
		}
	}
	return kref{mt: &p[i]}
}

// xorInto sets dst ^= src.
func xorInto(dst, src []byte) {
	src = src[:len(dst)]
	if useAVX2 && len(dst) >= 32 {
		xorAVX2(dst, src)
		n := len(dst) &^ 31
		dst, src = dst[n:], src[n:]
	}
	subtle.XORBytes(dst, dst, src)
}

// mulAdd sets dst ^= src * k element-wise.
func mulAdd(dst, src []byte, k kref, unit int) {
	src = src[:len(dst)]
	if simd(unit) {
		mulAddAVX2(k.nib, dst, src, simdUnit(unit, len(dst)))
		return
	}
	mulAddGo(dst, src, k.mt, unit)
}

// mul sets dst = src * k element-wise; dst and src may be the same slice.
func mul(dst, src []byte, k kref, unit int) {
	src = src[:len(dst)]
	if simd(unit) {
		mulAVX2(k.nib, dst, src, simdUnit(unit, len(dst)))
		return
	}
	mulGo(dst, src, k.mt, unit)
}

// fftButterfly sets a ^= b*k, then b ^= a.
func fftButterfly(a, b []byte, k kref, unit int) {
	b = b[:len(a)]
	if simd(unit) {
		fftAVX2(k.nib, a, b, simdUnit(unit, len(a)))
		return
	}
	fftGo(a, b, k.mt, unit)
}

// ifftButterfly sets b ^= a, then a ^= b*k.
func ifftButterfly(a, b []byte, k kref, unit int) {
	b = b[:len(a)]
	if simd(unit) {
		ifftAVX2(k.nib, a, b, simdUnit(unit, len(a)))
		return
	}
	ifftGo(a, b, k.mt, unit)
}

// The portable kernels walk a unit as segments: each full block is a segment
// of 32 elements (low bytes at b, high bytes at b+32), the tail one of m
// elements.

func mulAddGo(dst, src []byte, mt *mulTable, unit int) {
	full := unit &^ 63
	half := (unit - full) / 2
	for off := 0; off < len(dst); off += unit {
		for b := off; b < off+full; b += 64 {
			mulAddSeg(dst[b:b+32], dst[b+32:b+64], src[b:b+32], src[b+32:b+64], mt)
		}
		if half > 0 {
			l, h := off+full, off+full+half
			mulAddSeg(dst[l:h], dst[h:h+half], src[l:h], src[h:h+half], mt)
		}
	}
}

func mulAddSeg(dl, dh, sl, sh []byte, mt *mulTable) {
	dh, sl, sh = dh[:len(dl)], sl[:len(dl)], sh[:len(dl)]
	for e := range dl {
		p := mt.byLo[sl[e]] ^ mt.byHi[sh[e]]
		dl[e] ^= byte(p)
		dh[e] ^= byte(p >> 8)
	}
}

func mulGo(dst, src []byte, mt *mulTable, unit int) {
	full := unit &^ 63
	half := (unit - full) / 2
	for off := 0; off < len(dst); off += unit {
		for b := off; b < off+full; b += 64 {
			mulSeg(dst[b:b+32], dst[b+32:b+64], src[b:b+32], src[b+32:b+64], mt)
		}
		if half > 0 {
			l, h := off+full, off+full+half
			mulSeg(dst[l:h], dst[h:h+half], src[l:h], src[h:h+half], mt)
		}
	}
}

func mulSeg(dl, dh, sl, sh []byte, mt *mulTable) {
	dh, sl, sh = dh[:len(dl)], sl[:len(dl)], sh[:len(dl)]
	for e := range dl {
		p := mt.byLo[sl[e]] ^ mt.byHi[sh[e]]
		dl[e] = byte(p)
		dh[e] = byte(p >> 8)
	}
}

func fftGo(a, b []byte, mt *mulTable, unit int) {
	full := unit &^ 63
	half := (unit - full) / 2
	for off := 0; off < len(a); off += unit {
		for x := off; x < off+full; x += 64 {
			fftSeg(a[x:x+32], a[x+32:x+64], b[x:x+32], b[x+32:x+64], mt)
		}
		if half > 0 {
			l, h := off+full, off+full+half
			fftSeg(a[l:h], a[h:h+half], b[l:h], b[h:h+half], mt)
		}
	}
}

func fftSeg(al, ah, bl, bh []byte, mt *mulTable) {
	ah, bl, bh = ah[:len(al)], bl[:len(al)], bh[:len(al)]
	for e := range al {
		p := mt.byLo[bl[e]] ^ mt.byHi[bh[e]]
		x, y := al[e]^byte(p), ah[e]^byte(p>>8)
		al[e], ah[e] = x, y
		bl[e] ^= x
		bh[e] ^= y
	}
}

func ifftGo(a, b []byte, mt *mulTable, unit int) {
	full := unit &^ 63
	half := (unit - full) / 2
	for off := 0; off < len(a); off += unit {
		for x := off; x < off+full; x += 64 {
			ifftSeg(a[x:x+32], a[x+32:x+64], b[x:x+32], b[x+32:x+64], mt)
		}
		if half > 0 {
			l, h := off+full, off+full+half
			ifftSeg(a[l:h], a[h:h+half], b[l:h], b[h:h+half], mt)
		}
	}
}

func ifftSeg(al, ah, bl, bh []byte, mt *mulTable) {
	ah, bl, bh = ah[:len(al)], bl[:len(al)], bh[:len(al)]
	for e := range al {
		x, y := bl[e]^al[e], bh[e]^ah[e]
		bl[e], bh[e] = x, y
		p := mt.byLo[x] ^ mt.byHi[y]
		al[e] ^= byte(p)
		ah[e] ^= byte(p >> 8)
	}
}

// fft is the decimation-in-time additive FFT over work[pos:pos+size]; only
// outputs below truncated are needed. A skew of modulus is a zero twiddle.
func (t *fieldTables) fft(work [][]byte, pos, size, truncated, skewDelta, unit int) {
	for dist := size / 2; dist > 0; dist /= 2 {
		for r := 0; r < truncated; r += 2 * dist {
			idx := r + dist + skewDelta - 1
			if t.skew[idx] == modulus {
				for i := r; i < r+dist; i++ {
					xorInto(work[pos+i+dist], work[pos+i])
				}
				continue
			}
			k := t.skewKonst(idx, unit)
			for i := r; i < r+dist; i++ {
				fftButterfly(work[pos+i], work[pos+i+dist], k, unit)
			}
		}
	}
}

// ifft is the inverse of fft over work[pos:pos+size]; inputs from truncated
// on must be zero.
func (t *fieldTables) ifft(work [][]byte, pos, size, truncated, skewDelta, unit int) {
	for dist := 1; dist < size; dist *= 2 {
		for r := 0; r < truncated; r += 2 * dist {
			idx := r + dist + skewDelta - 1
			if t.skew[idx] == modulus {
				for i := r; i < r+dist; i++ {
					xorInto(work[pos+i+dist], work[pos+i])
				}
				continue
			}
			k := t.skewKonst(idx, unit)
			for i := r; i < r+dist; i++ {
				ifftButterfly(work[pos+i], work[pos+i+dist], k, unit)
			}
		}
	}
}

// formalDerivative replaces the polynomial in work by its formal derivative.
func formalDerivative(work [][]byte) {
	for i := 1; i < len(work); i++ {
		width := i & -i
		for j := 0; j < width; j++ {
			xorInto(work[i-width+j], work[i+j])
		}
	}
}
