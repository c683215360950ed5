// Package rs is the systematic Reed–Solomon code over GF(2^16) that Walrus
// uses in both dimensions of RedStuff, bit-exact with reed-solomon-simd 3.1
// (Leopard-style additive FFT in the Lin–Chung–Han polynomial basis).
//
// A Code maps k source symbols to n = k+r symbols; symbol i < k is source i,
// symbol k+t is repair symbol t. Any k of the n symbols decode. Which points
// the source and repair symbols are evaluated at depends on the rate
// construction (high or low), chosen from k and r exactly as reed-solomon-simd
// chooses it, because the two constructions give different repair symbols.
//
// The package is pure and allocation-conscious: an Encoder or Decoder keeps
// its scratch space between calls and is not safe for concurrent use; the
// field tables are shared and read-only.
package rs

import (
	"errors"
	"fmt"
	"math/bits"
)

// Errors returned by the code.
var (
	ErrUnsupportedCounts = errors.New("rs: unsupported symbol counts")
	ErrSymbolSize        = errors.New("rs: invalid symbol size")
	ErrTooFewSymbols     = errors.New("rs: not enough symbols to decode")
)

// Code describes a (k source, r repair) code and its rate construction.
type Code struct {
	k, r     int
	highRate bool
	chunk    int // R (high rate) or K (low rate): the power-of-two block size
}

func nextPow2(x int) int {
	if x <= 1 {
		return 1
	}
	return 1 << bits.Len(uint(x-1))
}

// New returns the code with k source and r repair symbols.
func New(k, r int) (Code, error) {
	if k <= 0 || r <= 0 {
		return Code{}, fmt.Errorf("%w: k=%d r=%d", ErrUnsupportedCounts, k, r)
	}
	kp, rp := nextPow2(k), nextPow2(r)
	if min(kp, rp)+max(k, r) > order {
		return Code{}, fmt.Errorf("%w: k=%d r=%d exceed GF(2^16)", ErrUnsupportedCounts, k, r)
	}
	c := Code{k: k, r: r}
	switch {
	case kp < rp:
		c.highRate = false
	case kp > rp:
		c.highRate = true
	default:
		c.highRate = k <= r
	}
	if c.highRate {
		c.chunk = rp
	} else {
		c.chunk = kp
	}
	return c, nil
}

// SourceCount returns k.
func (c Code) SourceCount() int { return c.k }

// RepairCount returns r.
func (c Code) RepairCount() int { return c.r }

// HighRate reports whether the code uses the high-rate construction.
func (c Code) HighRate() bool { return c.highRate }

// checkSymbols validates that all non-nil symbols have the same length, a
// positive multiple of unit, with unit a positive even number.
func checkSymbols(syms [][]byte, unit int) (int, error) {
	if unit <= 0 || unit%2 != 0 {
		return 0, fmt.Errorf("%w: unit %d must be positive and even", ErrSymbolSize, unit)
	}
	size := -1
	for i, s := range syms {
		if s == nil {
			continue
		}
		if size < 0 {
			size = len(s)
		}
		if len(s) != size || len(s) == 0 || len(s)%unit != 0 {
			return 0, fmt.Errorf("%w: symbol %d has %d bytes (want a common positive multiple of %d)", ErrSymbolSize, i, len(s), unit)
		}
	}
	return size, nil
}

// Encoder computes repair symbols. Its scratch memory is reused across calls.
type Encoder struct {
	code Code
	t    *fieldTables
	buf  []byte
	work [][]byte
}

// NewEncoder returns an encoder for c.
func NewEncoder(c Code) *Encoder { return &Encoder{code: c, t: tables()} }

// views returns count slices of length w at stride stride in buf, reusing
// the slice headers in *hdr.
func views(hdr *[][]byte, buf []byte, count, stride, w int) [][]byte {
	out := (*hdr)[:0]
	for i := 0; i < count; i++ {
		out = append(out, buf[i*stride:i*stride+w:i*stride+w])
	}
	*hdr = out
	return out
}

// grow returns buf resized to n bytes, reallocated only when too small.
func grow(buf []byte, n int) []byte {
	if cap(buf) < n {
		return make([]byte, n)
	}
	return buf[:n]
}

// chunkTarget is the working set of one transform pass. The transforms make
// a pass over all their symbols per layer, so symbols are cut into column
// chunks (of whole units) whose union stays in the L2 cache.
const chunkTarget = 1 << 20

// chunkWidth returns the column chunk width for nsym symbols of size bytes
// and the unit to pass to the kernels for it. A unit that is a multiple of
// 64 is a run of independent blocks and may be cut anywhere on a block
// boundary (and is passed as 64).
func chunkWidth(nsym, size, unit int) (width, kunit int) {
	step := unit
	if unit%64 == 0 {
		unit, step = 64, 64
	}
	width = max(step, chunkTarget/nsym/step*step)
	return min(width, size), unit
}

func zero(syms [][]byte) {
	for _, s := range syms {
		clear(s)
	}
}

// Encode computes the r repair symbols of the k source symbols src into
// repair (which must hold r slices of the source symbols' length). unit is
// the size in bytes of the underlying symbols (the element layout repeats
// every unit bytes).
func (e *Encoder) Encode(src, repair [][]byte, unit int) error {
	c := e.code
	if len(src) != c.k || len(repair) != c.r {
		return fmt.Errorf("%w: got %d source and %d repair symbols, want %d and %d", ErrUnsupportedCounts, len(src), len(repair), c.k, c.r)
	}
	for i, s := range src {
		if s == nil {
			return fmt.Errorf("%w: source symbol %d missing", ErrSymbolSize, i)
		}
	}
	size, err := checkSymbols(src, unit)
	if err != nil {
		return err
	}
	for i, s := range repair {
		if len(s) != size {
			return fmt.Errorf("%w: repair buffer %d has %d bytes, want %d", ErrSymbolSize, i, len(s), size)
		}
	}
	nsym := c.chunk * max(1, (c.r+c.chunk-1)/c.chunk)
	if c.highRate {
		nsym = c.chunk * ((c.k + c.chunk - 1) / c.chunk)
	}
	cw, kunit := chunkWidth(nsym, size, unit)
	e.buf = grow(e.buf, nsym*cw)
	for off := 0; off < size; off += cw {
		w := min(cw, size-off)
		work := views(&e.work, e.buf, nsym, cw, w)
		if c.highRate {
			e.encodeHigh(work, src, repair, off, w, kunit)
		} else {
			e.encodeLow(work, src, repair, off, w, kunit)
		}
	}
	return nil
}

// encodeHigh encodes columns [off, off+w) of the symbols with the high-rate
// construction.
func (e *Encoder) encodeHigh(work, src, repair [][]byte, off, w, unit int) {
	c, t := e.code, e.t
	R := c.chunk
	for i, s := range src {
		copy(work[i], s[off:off+w])
	}
	zero(work[c.k:])
	t.ifft(work, 0, R, min(c.k, R), R, unit)
	for pos := R; pos < c.k; pos += R {
		t.ifft(work, pos, R, min(R, c.k-pos), pos+R, unit)
		for i := 0; i < R; i++ {
			xorInto(work[i], work[pos+i])
		}
	}
	t.fft(work, 0, R, c.r, 0, unit)
	for i := range repair {
		copy(repair[i][off:off+w], work[i])
	}
}

// encodeLow encodes columns [off, off+w) of the symbols with the low-rate
// construction.
func (e *Encoder) encodeLow(work, src, repair [][]byte, off, w, unit int) {
	c, t := e.code, e.t
	K := c.chunk
	for i, s := range src {
		copy(work[i], s[off:off+w])
	}
	zero(work[c.k:K])
	t.ifft(work, 0, K, c.k, 0, unit)
	for pos := K; pos < c.r; pos += K {
		for i := 0; i < K; i++ {
			copy(work[pos+i], work[i])
		}
	}
	for pos := 0; pos < c.r; pos += K {
		t.fft(work, pos, K, min(K, c.r-pos), pos+K, unit)
	}
	for i := range repair {
		copy(repair[i][off:off+w], work[i])
	}
}

// Decoder restores missing source symbols. Its scratch memory is reused.
type Decoder struct {
	code     Code
	t        *fieldTables
	buf      []byte
	work     [][]byte
	cols     [][]byte
	erasures [order]uint16
	k        konst
}

// NewDecoder returns a decoder for c.
func NewDecoder(c Code) *Decoder { return &Decoder{code: c, t: tables()} }

// evalPoly turns the erasure indicator vector into the log-form multipliers
// of the error locator polynomial's derivative (Leopard's method).
func (d *Decoder) evalPoly(truncated int) {
	e := &d.erasures
	fwht(e, truncated)
	lw := &d.t.logWalsh
	for i := range e {
		p := uint32(e[i]) * uint32(lw[i])
		e[i] = addMod(uint16(p), uint16(p>>16))
	}
	fwht(e, order)
}

// Decode restores the missing source symbols. symbols has n = k+r entries in
// code order; nil entries are missing. At least k must be present. Missing
// source symbols are allocated and filled in place; missing repair symbols
// stay nil (re-encode the sources to obtain them).
func (d *Decoder) Decode(symbols [][]byte, unit int) error {
	c := d.code
	n := c.k + c.r
	if len(symbols) != n {
		return fmt.Errorf("%w: got %d symbol slots, want %d", ErrUnsupportedCounts, len(symbols), n)
	}
	size, err := checkSymbols(symbols, unit)
	if err != nil {
		return err
	}
	present, sourceMissing := 0, false
	for i, s := range symbols {
		if s != nil {
			present++
		} else if i < c.k {
			sourceMissing = true
		}
	}
	if present < c.k {
		return fmt.Errorf("%w: have %d, need %d", ErrTooFewSymbols, present, c.k)
	}
	if !sourceMissing {
		return nil
	}
	if c.highRate {
		d.decodeHigh(symbols, size, unit)
	} else {
		d.decodeLow(symbols, size, unit)
	}
	return nil
}

func (d *Decoder) prepare(nsym, size int) [][]byte {
	if cap(d.buf) < nsym*size {
		d.buf = make([]byte, nsym*size)
	}
	d.buf = d.buf[:nsym*size]
	d.work = d.work[:0]
	for i := 0; i < nsym; i++ {
		d.work = append(d.work, d.buf[i*size:(i+1)*size:(i+1)*size])
	}
	return d.work
}

// place writes symbol s multiplied by the erasure factor at slot dst (or
// zeroes the slot when the symbol is missing).
func (d *Decoder) place(dst, s []byte, logm uint16, unit int) {
	if s == nil {
		clear(dst)
		return
	}
	mul(dst, s, d.t.prepare(&d.k, logm, unit), unit)
}

// transform runs the decoder's transforms on the W symbols of work: the IFFT
// over the first end inputs, the formal derivative and the FFT of the outputs
// below truncated, column chunk by column chunk.
func (d *Decoder) transform(work [][]byte, size, end, truncated, unit int) {
	t, W := d.t, len(work)
	cw, kunit := chunkWidth(W, size, unit)
	for off := 0; off < size; off += cw {
		w := min(cw, size-off)
		cols := d.cols[:0]
		for _, s := range work {
			cols = append(cols, s[off:off+w:off+w])
		}
		d.cols = cols
		t.ifft(cols, 0, W, end, 0, kunit)
		formalDerivative(cols)
		t.fft(cols, 0, W, truncated, 0, kunit)
	}
}

func (d *Decoder) decodeHigh(symbols [][]byte, size, unit int) {
	c, t, e := d.code, d.t, &d.erasures
	R := c.chunk
	end := R + c.k
	W := nextPow2(end)
	clear(e[:])
	for i := 0; i < c.r; i++ {
		if symbols[c.k+i] == nil {
			e[i] = 1
		}
	}
	for i := c.r; i < R; i++ {
		e[i] = 1
	}
	for i := 0; i < c.k; i++ {
		if symbols[i] == nil {
			e[R+i] = 1
		}
	}
	d.evalPoly(end)
	work := d.prepare(W, size)
	for i := 0; i < c.r; i++ {
		d.place(work[i], symbols[c.k+i], e[i], unit)
	}
	zero(work[c.r:R])
	for i := 0; i < c.k; i++ {
		d.place(work[R+i], symbols[i], e[R+i], unit)
	}
	zero(work[end:])
	d.transform(work, size, end, end, unit)
	for i := 0; i < c.k; i++ {
		if symbols[i] == nil {
			out := make([]byte, size)
			mul(out, work[R+i], t.prepare(&d.k, modulus-e[R+i], unit), unit)
			symbols[i] = out
		}
	}
}

func (d *Decoder) decodeLow(symbols [][]byte, size, unit int) {
	c, t, e := d.code, d.t, &d.erasures
	K := c.chunk
	end := K + c.r
	W := nextPow2(end)
	clear(e[:])
	for i := 0; i < c.k; i++ {
		if symbols[i] == nil {
			e[i] = 1
		}
	}
	for i := 0; i < c.r; i++ {
		if symbols[c.k+i] == nil {
			e[K+i] = 1
		}
	}
	for i := end; i < order; i++ {
		e[i] = 1
	}
	d.evalPoly(order)
	work := d.prepare(W, size)
	for i := 0; i < c.k; i++ {
		d.place(work[i], symbols[i], e[i], unit)
	}
	zero(work[c.k:K])
	for i := 0; i < c.r; i++ {
		d.place(work[K+i], symbols[c.k+i], e[K+i], unit)
	}
	zero(work[end:])
	d.transform(work, size, end, c.k, unit)
	for i := 0; i < c.k; i++ {
		if symbols[i] == nil {
			out := make([]byte, size)
			mul(out, work[i], t.prepare(&d.k, modulus-e[i], unit), unit)
			symbols[i] = out
		}
	}
}

// NewForcedRate returns a code with the given construction regardless of the
// default rate selection. Walrus never does this; it exists so that tests can
// show that the choice matters (it changes every repair symbol).
func NewForcedRate(k, r int, highRate bool) (Code, error) {
	c, err := New(k, r)
	if err != nil {
		return c, err
	}
	c.highRate = highRate
	if highRate {
		c.chunk = nextPow2(r)
	} else {
		c.chunk = nextPow2(k)
	}
	if min(nextPow2(k), nextPow2(r))+max(k, r) > order {
		return Code{}, ErrUnsupportedCounts
	}
	return c, nil
}
