// Package merkle implements Walrus's Merkle trees: BLAKE2b-256, leaves hashed
// as H(0x00 || data), inner nodes as H(0x01 || left || right), and a level
// with an odd number of nodes completed by the empty node (32 zero bytes).
// The root of no leaves is the empty node; the root of one leaf is its hash.
package merkle

import (
	"errors"
	"fmt"
	"math/bits"
	"unsafe"

	"github.com/walrus-go/walrus/encoding/internal/blake2bx"
	"golang.org/x/crypto/blake2b"
)

// Node is a 32-byte node of a tree. The zero value is the empty node.
type Node [32]byte

// Empty is the empty node used to complete odd levels.
var Empty Node

// IsEmpty reports whether n is the empty node.
func (n Node) IsEmpty() bool { return n == Empty }

// ErrInvalidProof reports a proof that does not verify.
var ErrInvalidProof = errors.New("merkle: invalid proof")

const (
	leafPrefix  = 0x00
	innerPrefix = 0x01
)

// LeafHash returns H(0x00 || data).
func LeafHash(data []byte) Node {
	h, _ := blake2b.New256(nil)
	h.Write([]byte{leafPrefix})
	h.Write(data)
	var n Node
	h.Sum(n[:0])
	return n
}

// Hasher computes leaf hashes with a reused scratch buffer, which avoids the
// allocation and the two-call overhead of LeafHash on hot paths. It is not
// safe for concurrent use.
type Hasher struct {
	buf []byte
}

// Leaf returns H(0x00 || data).
func (h *Hasher) Leaf(data []byte) Node {
	if cap(h.buf) < len(data)+1 {
		h.buf = make([]byte, len(data)+1)
	}
	b := h.buf[:len(data)+1]
	b[0] = leafPrefix
	copy(b[1:], data)
	return blake2b.Sum256(b)
}

// Leaves sets dst[i] to the leaf hash of cells[i] for every i. It is the
// hot path of encoding (one call per expanded row or column): cells of equal
// length are hashed together, several per SIMD instruction.
func (h *Hasher) Leaves(dst []Node, cells [][]byte) {
	if len(cells) == 0 {
		return
	}
	_ = dst[len(cells)-1]
	for _, c := range cells[1:] {
		if len(c) != len(cells[0]) {
			for i, c := range cells {
				dst[i] = h.Leaf(c)
			}
			return
		}
	}
	blake2bx.SumPrefixed(digests(dst), leafPrefix, cells)
}

// digests views nodes as digests, for blake2bx.
func digests(n []Node) [][blake2bx.Size]byte {
	return unsafe.Slice((*[blake2bx.Size]byte)(unsafe.SliceData(n)), len(n))
}

// nodeBytes views nodes as their concatenated bytes.
func nodeBytes(n []Node) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(n))), len(n)*len(Node{}))
}

// parents sets next[i] = InnerHash(cur[2i], cur[2i+1]) for every i, with the
// empty node as the right child of an odd last node; len(next) must be
// (len(cur)+1)/2. next may be the start of cur (a level computed in place):
// the pairs are hashed in batches, each read before its parents are written.
func parents(next, cur []Node) {
	pairs := len(cur) / 2
	blake2bx.Sum64Prefixed(digests(next[:pairs]), innerPrefix, nodeBytes(cur[:2*pairs]))
	if len(cur)%2 == 1 {
		next[pairs] = InnerHash(cur[len(cur)-1], Empty)
	}
}

// InnerHash returns H(0x01 || left || right).
func InnerHash(left, right Node) Node {
	var buf [65]byte
	buf[0] = innerPrefix
	copy(buf[1:33], left[:])
	copy(buf[33:], right[:])
	return blake2b.Sum256(buf[:])
}

// Depth returns the number of levels above the leaves in a tree of n
// leaves, which is the length of every proof in it: ceil(log2(n)).
func Depth(n int) int {
	if n <= 1 {
		return 0
	}
	return bits.Len(uint(n - 1))
}

// Root returns the root over the given leaf hashes without keeping the tree.
func Root(leaves []Node) Node {
	switch len(leaves) {
	case 0:
		return Empty
	case 1:
		return leaves[0]
	}
	level := make([]Node, (len(leaves)+1)/2)
	cur := leaves
	for len(cur) > 1 {
		next := level[:(len(cur)+1)/2]
		parents(next, cur)
		cur = next
	}
	return cur[0]
}

// RootInPlace returns the same root as Root without allocating: it uses
// leaves as scratch space, so their values are lost.
func RootInPlace(leaves []Node) Node {
	if len(leaves) == 0 {
		return Empty
	}
	cur := leaves
	for len(cur) > 1 {
		next := leaves[:(len(cur)+1)/2]
		parents(next, cur)
		cur = next
	}
	return cur[0]
}

// Tree is a complete tree that can produce proofs.
type Tree struct {
	levels [][]Node // levels[0] are the leaf hashes, the last level is the root
}

// NewTree builds the tree over the given leaf hashes.
func NewTree(leaves []Node) *Tree {
	t := &Tree{levels: [][]Node{leaves}}
	if len(leaves) == 0 {
		t.levels = [][]Node{{Empty}}
		return t
	}
	cur := leaves
	for len(cur) > 1 {
		next := make([]Node, (len(cur)+1)/2)
		parents(next, cur)
		t.levels = append(t.levels, next)
		cur = next
	}
	return t
}

// Root returns the root of the tree.
func (t *Tree) Root() Node { return t.levels[len(t.levels)-1][0] }

// Leaves returns the number of leaves.
func (t *Tree) Leaves() int { return len(t.levels[0]) }

// Proof returns the sibling path from leaf index to the root.
func (t *Tree) Proof(index int) ([]Node, error) {
	if index < 0 || index >= len(t.levels[0]) {
		return nil, fmt.Errorf("merkle: leaf index %d out of range [0,%d)", index, len(t.levels[0]))
	}
	path := make([]Node, 0, len(t.levels)-1)
	for _, level := range t.levels[:len(t.levels)-1] {
		sib := index ^ 1
		if sib < len(level) {
			path = append(path, level[sib])
		} else {
			path = append(path, Empty)
		}
		index >>= 1
	}
	return path, nil
}

// Verify checks that leaf is at index in a tree of nLeaves leaves with the
// given root. The proof must have exactly Depth(nLeaves) entries.
func Verify(root, leaf Node, index, nLeaves int, proof []Node) error {
	if index < 0 || index >= nLeaves {
		return fmt.Errorf("%w: leaf index %d out of range [0,%d)", ErrInvalidProof, index, nLeaves)
	}
	if len(proof) != Depth(nLeaves) {
		return fmt.Errorf("%w: %d path entries, want %d", ErrInvalidProof, len(proof), Depth(nLeaves))
	}
	cur := leaf
	for _, sib := range proof {
		if index&1 == 0 {
			cur = InnerHash(cur, sib)
		} else {
			cur = InnerHash(sib, cur)
		}
		index >>= 1
	}
	if cur != root {
		return fmt.Errorf("%w: root mismatch", ErrInvalidProof)
	}
	return nil
}
