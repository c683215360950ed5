package testrand

import (
	"bytes"
	"testing"
)

func TestBytes(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 1000} {
		a, b := Bytes(1, n), Bytes(1, n)
		if len(a) != n || !bytes.Equal(a, b) {
			t.Fatalf("n=%d: not reproducible", n)
		}
	}
	if bytes.Equal(Bytes(1, 64), Bytes(2, 64)) {
		t.Fatal("seeds 1 and 2 give the same bytes")
	}
	if bytes.Equal(Bytes(1, 64)[:32], Bytes(1, 64)[32:]) {
		t.Fatal("the bytes repeat")
	}
}
