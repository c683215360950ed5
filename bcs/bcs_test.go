package bcs

import (
	"bytes"
	"errors"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	e := NewEncoder(0)
	e.U8(7)
	e.Bool(true)
	e.U16(0xBEEF)
	e.U32(0xDEADBEEF)
	e.U64(1 << 40)
	e.ULEB(300)
	e.ByteVec([]byte("hello"))
	e.Fixed([]byte{1, 2, 3})
	e.String("walrus")

	d := NewDecoder(e.Bytes())
	if d.U8() != 7 || !d.Bool() || d.U16() != 0xBEEF || d.U32() != 0xDEADBEEF || d.U64() != 1<<40 || d.ULEB() != 300 {
		t.Fatal("scalar mismatch")
	}
	if !bytes.Equal(d.ByteVec(10), []byte("hello")) || !bytes.Equal(d.Fixed(3), []byte{1, 2, 3}) || d.String(10) != "walrus" {
		t.Fatal("bytes mismatch")
	}
	if err := d.Finish(); err != nil {
		t.Fatal(err)
	}
}

func TestULEBVectors(t *testing.T) {
	for _, c := range []struct {
		v   uint32
		enc []byte
	}{{0, []byte{0}}, {127, []byte{0x7f}}, {128, []byte{0x80, 1}}, {300, []byte{0xac, 2}}, {16384, []byte{0x80, 0x80, 1}}, {maxULEB, []byte{0xff, 0xff, 0xff, 0xff, 7}}} {
		if got := AppendULEB(nil, c.v); !bytes.Equal(got, c.enc) {
			t.Errorf("encode %d = %x, want %x", c.v, got, c.enc)
		}
		if ULEBSize(c.v) != len(c.enc) {
			t.Errorf("size %d", c.v)
		}
		d := NewDecoder(c.enc)
		if got := d.ULEB(); got != c.v || d.Finish() != nil {
			t.Errorf("decode %x = %d (%v)", c.enc, got, d.Finish())
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		read func(d *Decoder)
		want error
	}{
		{"short u32", []byte{1, 2}, func(d *Decoder) { d.U32() }, ErrShort},
		{"trailing", []byte{1, 2}, func(d *Decoder) { d.U8() }, ErrTrailing},
		{"bad bool", []byte{2}, func(d *Decoder) { d.Bool() }, ErrBool},
		{"non-minimal uleb", []byte{0x80, 0}, func(d *Decoder) { d.ULEB() }, ErrULEB},
		{"uleb overflow", []byte{0xff, 0xff, 0xff, 0xff, 0x0f}, func(d *Decoder) { d.ULEB() }, ErrULEB},
		{"uleb too many bytes", []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 1}, func(d *Decoder) { d.ULEB() }, ErrULEB},
		{"length beyond input", []byte{5, 1, 2}, func(d *Decoder) { d.ByteVec(100) }, ErrShort},
		{"length beyond max", []byte{5, 1, 2, 3, 4, 5}, func(d *Decoder) { d.ByteVec(4) }, ErrTooLong},
		{"unknown tag", []byte{3}, func(d *Decoder) { d.Tag(2) }, ErrUnknownTag},
		{"huge vec of elems", []byte{0xff, 0xff, 0xff, 0xff, 7}, func(d *Decoder) { d.Len(maxULEB, 32) }, ErrShort},
	}
	for _, c := range cases {
		d := NewDecoder(c.in)
		c.read(d)
		if err := d.Finish(); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

func FuzzDecoder(f *testing.F) {
	f.Add([]byte{0x80, 1, 2, 3})
	f.Add([]byte{3, 'a', 'b', 'c', 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		d := NewDecoder(b)
		v := d.ByteVec(1 << 20)
		flag := d.Bool()
		n := d.ULEB()
		if d.Finish() == nil {
			// Re-encoding what decoded must give the input back: BCS is canonical.
			e := NewEncoder(0)
			e.ByteVec(v)
			e.Bool(flag)
			e.ULEB(n)
			if !bytes.Equal(e.Bytes(), b) {
				t.Fatalf("not canonical: %x -> %x", b, e.Bytes())
			}
		}
	})
}
