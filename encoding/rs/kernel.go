package rs

// Symbols are byte slices holding GF(2^16) elements in Walrus's layout,
// repeated every `unit` bytes (the symbol size; a "wide" symbol concatenates
// several symbols of the same size): within each unit, every full 64-byte
// block holds 32 elements with their low bytes in bytes 0..31 and their high
// bytes in bytes 32..63; a tail of 2m bytes holds m elements, low bytes first.
// Every operation of the code is element-wise, so elements are never moved
// out of this layout.

// mulTable is the product by one constant, split by input byte: the product
// of x = lo | hi<<8 is byLo[lo] ^ byHi[hi] (multiplication is GF(2)-linear).
type mulTable struct {
	byLo, byHi [256]uint16
}

// tableThreshold is the symbol length from which a per-constant table pays
// for the 512 multiplications that build it.
const tableThreshold = 2048

func (t *fieldTables) fillMulTable(mt *mulTable, logm uint16) {
	for i := 0; i < 256; i++ {
		mt.byLo[i] = t.mulLog(uint16(i), logm)
		mt.byHi[i] = t.mulLog(uint16(i)<<8, logm)
	}
}

// xorInto sets dst ^= src.
func xorInto(dst, src []byte) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] ^= src[i]
	}
}

// mulAdd sets dst ^= src * m, where logm is the log of m, element-wise.
func (t *fieldTables) mulAdd(dst, src []byte, logm uint16, unit int, mt *mulTable) {
	if len(src) >= tableThreshold {
		t.fillMulTable(mt, logm)
		mulAddTable(dst, src, unit, mt)
		return
	}
	t.mulAddDirect(dst, src, logm, unit)
}

// mulAddTable applies a prepared product table to every element.
func mulAddTable(dst, src []byte, unit int, mt *mulTable) {
	src = src[:len(dst)]
	full := unit &^ 63
	if full == unit {
		// The whole slice is a sequence of 64-byte blocks.
		for b := 0; b+64 <= len(dst); b += 64 {
			s := src[b : b+64 : b+64]
			d := dst[b : b+64 : b+64]
			for e := 0; e < 32; e++ {
				p := mt.byLo[s[e]] ^ mt.byHi[s[e+32]]
				d[e] ^= byte(p)
				d[e+32] ^= byte(p >> 8)
			}
		}
		return
	}
	half := (unit - full) / 2
	for off := 0; off < len(dst); off += unit {
		s := src[off : off+unit : off+unit]
		d := dst[off : off+unit : off+unit]
		for b := 0; b < full; b += 64 {
			for e := 0; e < 32; e++ {
				p := mt.byLo[s[b+e]] ^ mt.byHi[s[b+e+32]]
				d[b+e] ^= byte(p)
				d[b+e+32] ^= byte(p >> 8)
			}
		}
		for e := 0; e < half; e++ {
			p := mt.byLo[s[full+e]] ^ mt.byHi[s[full+half+e]]
			d[full+e] ^= byte(p)
			d[full+half+e] ^= byte(p >> 8)
		}
	}
}

// mulAddDirect multiplies through the log and exp tables (no setup cost).
func (t *fieldTables) mulAddDirect(dst, src []byte, logm uint16, unit int) {
	src = src[:len(dst)]
	full := unit &^ 63
	half := (unit - full) / 2
	for off := 0; off < len(dst); off += unit {
		s := src[off : off+unit : off+unit]
		d := dst[off : off+unit : off+unit]
		for b := 0; b < full; b += 64 {
			for e := 0; e < 32; e++ {
				x := uint16(s[b+e]) | uint16(s[b+e+32])<<8
				if x == 0 {
					continue
				}
				p := t.exp[addMod(t.log[x], logm)]
				d[b+e] ^= byte(p)
				d[b+e+32] ^= byte(p >> 8)
			}
		}
		for e := 0; e < half; e++ {
			x := uint16(s[full+e]) | uint16(s[full+half+e])<<8
			if x == 0 {
				continue
			}
			p := t.exp[addMod(t.log[x], logm)]
			d[full+e] ^= byte(p)
			d[full+half+e] ^= byte(p >> 8)
		}
	}
}

// mulInPlace sets x = x * m, element-wise.
func (t *fieldTables) mulInPlace(x []byte, logm uint16, unit int) {
	full := unit &^ 63
	half := (unit - full) / 2
	mul := func(lo, hi *byte) {
		v := uint16(*lo) | uint16(*hi)<<8
		if v == 0 {
			return
		}
		p := t.exp[addMod(t.log[v], logm)]
		*lo, *hi = byte(p), byte(p>>8)
	}
	for off := 0; off < len(x); off += unit {
		s := x[off : off+unit : off+unit]
		for b := 0; b < full; b += 64 {
			for e := 0; e < 32; e++ {
				mul(&s[b+e], &s[b+e+32])
			}
		}
		for e := 0; e < half; e++ {
			mul(&s[full+e], &s[full+half+e])
		}
	}
}

// fft is the decimation-in-time additive FFT over work[pos:pos+size]; only
// outputs below truncated are needed. A skew of modulus is a zero twiddle.
func (t *fieldTables) fft(work [][]byte, pos, size, truncated, skewDelta, unit int, mt *mulTable) {
	for dist := size / 2; dist > 0; dist /= 2 {
		for r := 0; r < truncated; r += 2 * dist {
			m := t.skew[r+dist+skewDelta-1]
			for i := r; i < r+dist; i++ {
				a, b := work[pos+i], work[pos+i+dist]
				if m != modulus {
					t.mulAdd(a, b, m, unit, mt)
				}
				xorInto(b, a)
			}
		}
	}
}

// ifft is the inverse of fft over work[pos:pos+size]; inputs from truncated
// on must be zero.
func (t *fieldTables) ifft(work [][]byte, pos, size, truncated, skewDelta, unit int, mt *mulTable) {
	for dist := 1; dist < size; dist *= 2 {
		for r := 0; r < truncated; r += 2 * dist {
			m := t.skew[r+dist+skewDelta-1]
			for i := r; i < r+dist; i++ {
				a, b := work[pos+i], work[pos+i+dist]
				xorInto(b, a)
				if m != modulus {
					t.mulAdd(a, b, m, unit, mt)
				}
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
