package merkle

import (
	"errors"
	"testing"
)

func leaves(n int) []Node {
	out := make([]Node, n)
	for i := range out {
		out[i] = LeafHash([]byte{byte(i), byte(i >> 8)})
	}
	return out
}

func TestRootAndProofs(t *testing.T) {
	if Root(nil) != Empty {
		t.Fatal("root of no leaves must be the empty node")
	}
	one := leaves(1)
	if Root(one) != one[0] {
		t.Fatal("root of one leaf must be the leaf")
	}
	// Three leaves: the odd level is completed by the empty node.
	l := leaves(3)
	want := InnerHash(InnerHash(l[0], l[1]), InnerHash(l[2], Empty))
	if Root(l) != want {
		t.Fatal("three-leaf root")
	}
	for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 31, 100, 1000} {
		ls := leaves(n)
		tree := NewTree(ls)
		if tree.Root() != Root(ls) {
			t.Fatalf("n=%d: tree and Root disagree", n)
		}
		for i := 0; i < n; i++ {
			proof, err := tree.Proof(i)
			if err != nil {
				t.Fatal(err)
			}
			if len(proof) != Depth(n) {
				t.Fatalf("n=%d: proof length %d, want %d", n, len(proof), Depth(n))
			}
			if err := Verify(tree.Root(), ls[i], i, n, proof); err != nil {
				t.Fatalf("n=%d i=%d: %v", n, i, err)
			}
			if n > 1 {
				if err := Verify(tree.Root(), ls[i], (i+1)%n, n, proof); !errors.Is(err, ErrInvalidProof) {
					t.Fatalf("n=%d i=%d: proof verified at the wrong index", n, i)
				}
				long := append(append([]Node(nil), proof...), Empty)
				if err := Verify(tree.Root(), ls[i], i, n, long); !errors.Is(err, ErrInvalidProof) {
					t.Fatalf("long proof accepted")
				}
			}
		}
		if _, err := tree.Proof(n); err == nil {
			t.Fatal("proof for out-of-range leaf")
		}
	}
}

func TestRootInPlace(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 33, 70, 333, 1000} {
		ls := leaves(n)
		want := Root(ls)
		if got := RootInPlace(append([]Node(nil), ls...)); got != want {
			t.Fatalf("n=%d: RootInPlace differs from Root", n)
		}
	}
}

func TestHasherMatchesLeafHash(t *testing.T) {
	var h Hasher
	for _, d := range [][]byte{nil, {1}, make([]byte, 300)} {
		if h.Leaf(d) != LeafHash(d) {
			t.Fatal("Hasher.Leaf differs from LeafHash")
		}
	}
}
