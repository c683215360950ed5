// Package bcs implements the subset of Sui's Binary Canonical Serialization
// that Walrus's wire formats use: little-endian fixed-width integers, ULEB128
// lengths and enum tags, byte vectors and fixed arrays.
//
// The Decoder is strict, because its input comes from the network: lengths are
// checked against the bytes that remain before anything is allocated, ULEB128
// values must be canonical (minimal) and fit in 32 bits, booleans must be 0 or
// 1, and Finish reports trailing bytes. A decoder records the first error and
// every later call becomes a no-op, so callers check Err once at the end.
package bcs

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Errors returned by the Decoder, wrapped with the offset where they occurred.
var (
	ErrShort       = errors.New("bcs: unexpected end of input")
	ErrTrailing    = errors.New("bcs: trailing bytes")
	ErrULEB        = errors.New("bcs: invalid ULEB128")
	ErrBool        = errors.New("bcs: invalid bool")
	ErrTooLong     = errors.New("bcs: length exceeds limit")
	ErrUnknownTag  = errors.New("bcs: unknown enum tag")
	ErrInvalidData = errors.New("bcs: invalid value")
)

// maxULEB is the largest length or tag BCS allows (2^31 - 1, as in Sui).
const maxULEB = 1<<31 - 1

// Encoder appends the BCS form of values to a byte slice.
type Encoder struct {
	buf []byte
}

// NewEncoder returns an encoder whose buffer has the given capacity.
func NewEncoder(capacity int) *Encoder { return &Encoder{buf: make([]byte, 0, capacity)} }

// Bytes returns the encoded bytes.
func (e *Encoder) Bytes() []byte { return e.buf }

// U8 appends a byte.
func (e *Encoder) U8(v uint8) { e.buf = append(e.buf, v) }

// Bool appends a boolean as 0 or 1.
func (e *Encoder) Bool(v bool) {
	if v {
		e.U8(1)
	} else {
		e.U8(0)
	}
}

// U16 appends a little-endian uint16.
func (e *Encoder) U16(v uint16) { e.buf = binary.LittleEndian.AppendUint16(e.buf, v) }

// U32 appends a little-endian uint32.
func (e *Encoder) U32(v uint32) { e.buf = binary.LittleEndian.AppendUint32(e.buf, v) }

// U64 appends a little-endian uint64.
func (e *Encoder) U64(v uint64) { e.buf = binary.LittleEndian.AppendUint64(e.buf, v) }

// ULEB appends v as ULEB128 (used for lengths and enum tags).
func (e *Encoder) ULEB(v uint32) { e.buf = AppendULEB(e.buf, v) }

// Fixed appends raw bytes with no length prefix (fixed-size arrays).
func (e *Encoder) Fixed(b []byte) { e.buf = append(e.buf, b...) }

// ByteVec appends a length-prefixed byte vector.
func (e *Encoder) ByteVec(b []byte) {
	e.ULEB(uint32(len(b)))
	e.buf = append(e.buf, b...)
}

// String appends a length-prefixed UTF-8 string.
func (e *Encoder) String(s string) {
	e.ULEB(uint32(len(s)))
	e.buf = append(e.buf, s...)
}

// AppendULEB appends the ULEB128 encoding of v to b.
func AppendULEB(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// ULEBSize returns the number of bytes ULEB128 needs for v.
func ULEBSize(v uint32) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// Decoder reads BCS values from a byte slice.
type Decoder struct {
	buf []byte
	off int
	err error
}

// NewDecoder returns a decoder over b. The decoder does not copy b: byte
// slices it returns alias it unless the caller asks for a copy.
func NewDecoder(b []byte) *Decoder { return &Decoder{buf: b} }

// Err returns the first error the decoder met.
func (d *Decoder) Err() error { return d.err }

// Remaining returns the number of unread bytes.
func (d *Decoder) Remaining() int { return len(d.buf) - d.off }

// Fail records err (if no error is recorded yet), wrapped with the offset.
func (d *Decoder) Fail(err error) {
	if d.err == nil {
		d.err = fmt.Errorf("%w at offset %d", err, d.off)
	}
}

// Finish returns the first error, or ErrTrailing if bytes remain unread.
func (d *Decoder) Finish() error {
	if d.err != nil {
		return d.err
	}
	if d.off != len(d.buf) {
		return fmt.Errorf("%w: %d bytes after offset %d", ErrTrailing, len(d.buf)-d.off, d.off)
	}
	return nil
}

func (d *Decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.buf)-d.off {
		d.Fail(ErrShort)
		return nil
	}
	b := d.buf[d.off : d.off+n : d.off+n]
	d.off += n
	return b
}

// U8 reads a byte.
func (d *Decoder) U8() uint8 {
	b := d.take(1)
	if b == nil {
		return 0
	}
	return b[0]
}

// Bool reads a boolean, rejecting values other than 0 and 1.
func (d *Decoder) Bool() bool {
	v := d.U8()
	if v > 1 {
		d.off--
		d.Fail(ErrBool)
		return false
	}
	return v == 1
}

// U16 reads a little-endian uint16.
func (d *Decoder) U16() uint16 {
	b := d.take(2)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint16(b)
}

// U32 reads a little-endian uint32.
func (d *Decoder) U32() uint32 {
	b := d.take(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

// U64 reads a little-endian uint64.
func (d *Decoder) U64() uint64 {
	b := d.take(8)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

// ULEB reads a canonical ULEB128 value no larger than 2^31-1.
func (d *Decoder) ULEB() uint32 {
	if d.err != nil {
		return 0
	}
	var v uint64
	for i := 0; ; i++ {
		if d.off >= len(d.buf) {
			d.Fail(ErrShort)
			return 0
		}
		if i > 4 {
			d.Fail(ErrULEB)
			return 0
		}
		c := d.buf[d.off]
		d.off++
		v |= uint64(c&0x7f) << (7 * i)
		if v > maxULEB {
			d.Fail(ErrULEB)
			return 0
		}
		if c&0x80 == 0 {
			if c == 0 && i > 0 { // non-minimal encoding
				d.Fail(ErrULEB)
				return 0
			}
			return uint32(v)
		}
	}
}

// Tag reads an enum tag and checks that it is below n.
func (d *Decoder) Tag(n uint32) uint32 {
	t := d.ULEB()
	if d.err == nil && t >= n {
		d.Fail(fmt.Errorf("%w %d", ErrUnknownTag, t))
		return 0
	}
	return t
}

// Len reads a vector length of elements at least minElemSize bytes each and
// checks it against max and against the bytes that remain, so that a hostile
// length can never cause a large allocation.
func (d *Decoder) Len(max int, minElemSize int) int {
	n := int(d.ULEB())
	if d.err != nil {
		return 0
	}
	if n > max {
		d.Fail(fmt.Errorf("%w: %d > %d", ErrTooLong, n, max))
		return 0
	}
	if minElemSize > 0 && n > d.Remaining()/minElemSize {
		d.Fail(ErrShort)
		return 0
	}
	return n
}

// Fixed reads n raw bytes (a fixed-size array); the result aliases the input.
func (d *Decoder) Fixed(n int) []byte { return d.take(n) }

// FixedInto reads len(dst) raw bytes into dst.
func (d *Decoder) FixedInto(dst []byte) {
	if b := d.take(len(dst)); b != nil {
		copy(dst, b)
	}
}

// ByteVec reads a length-prefixed byte vector of at most max bytes; the result
// aliases the input.
func (d *Decoder) ByteVec(max int) []byte {
	n := d.Len(max, 1)
	if d.err != nil {
		return nil
	}
	return d.take(n)
}

// String reads a length-prefixed string of at most max bytes.
func (d *Decoder) String(max int) string {
	return string(d.ByteVec(max))
}
