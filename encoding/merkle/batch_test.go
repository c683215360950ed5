package merkle

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/walrus-go/walrus/encoding/internal/blake2bx"
	"golang.org/x/crypto/blake2b"
)

// The batched paths (Hasher.Leaves, Root and NewTree hashing whole levels)
// are compared with one message at a time, under every implementation of
// blake2bx that this CPU supports.

func eachImpl(t testing.TB, f func(t testing.TB)) {
	for _, im := range blake2bx.Impls() {
		prev := blake2bx.Force(im)
		f(t)
		blake2bx.Force(prev)
	}
}

// refLeaf and refRoot are the definitions, one hash at a time.
func refLeaf(data []byte) Node {
	return blake2b.Sum256(append([]byte{leafPrefix}, data...))
}

func refInner(l, r Node) Node {
	return blake2b.Sum256(append(append([]byte{innerPrefix}, l[:]...), r[:]...))
}

func refLevels(leaves []Node) [][]Node {
	if len(leaves) == 0 {
		return [][]Node{{Empty}}
	}
	levels := [][]Node{leaves}
	for cur := leaves; len(cur) > 1; {
		next := make([]Node, (len(cur)+1)/2)
		for i := range next {
			r := Empty
			if 2*i+1 < len(cur) {
				r = cur[2*i+1]
			}
			next[i] = refInner(cur[2*i], r)
		}
		levels = append(levels, next)
		cur = next
	}
	return levels
}

func randCells(rng *rand.Rand, count int, size func() int) [][]byte {
	cells := make([][]byte, count)
	for i := range cells {
		c := make([]byte, size())
		for j := range c {
			c[j] = byte(rng.Uint32())
		}
		cells[i] = c
	}
	return cells
}

func checkLeaves(t testing.TB, cells [][]byte) []Node {
	t.Helper()
	var h Hasher
	dst := make([]Node, len(cells)+1)
	h.Leaves(dst[:len(cells)], cells)
	for i, c := range cells {
		if dst[i] != refLeaf(c) || dst[i] != h.Leaf(c) || dst[i] != LeafHash(c) {
			t.Fatalf("%v: cell %d of %d (%d bytes): batched leaf differs", blake2bx.Current(), i, len(cells), len(c))
		}
	}
	if dst[len(cells)] != Empty {
		t.Fatal("Leaves wrote past the cells")
	}
	return dst[:len(cells)]
}

func checkTree(t testing.TB, leaves []Node) {
	t.Helper()
	in := append([]Node(nil), leaves...)
	want := refLevels(leaves)
	root := want[len(want)-1][0]
	if got := Root(leaves); got != root {
		t.Fatalf("%v: %d leaves: Root differs", blake2bx.Current(), len(leaves))
	}
	tree := NewTree(leaves)
	if tree.Root() != root {
		t.Fatalf("%v: %d leaves: NewTree root differs", blake2bx.Current(), len(leaves))
	}
	for l := range want {
		if fmt.Sprint(tree.levels[l]) != fmt.Sprint(want[l]) {
			t.Fatalf("%v: %d leaves: level %d differs", blake2bx.Current(), len(leaves), l)
		}
	}
	if fmt.Sprint(in) != fmt.Sprint(leaves) {
		t.Fatal("Root or NewTree modified the leaves")
	}
}

func TestLeavesBatchedMatchesOneAtATime(t *testing.T) {
	eachImpl(t, func(t testing.TB) {
		rng := rand.New(rand.NewPCG(1, uint64(blake2bx.Current())))
		for size := 0; size <= 300; size++ {
			count := 1 + (size*7)%23
			checkLeaves(t, randCells(rng, count, func() int { return size }))
		}
		for _, size := range []int{302, 1000, 4097, 65534} {
			checkLeaves(t, randCells(rng, 13, func() int { return size }))
		}
		// Unequal lengths take the one-at-a-time path.
		checkLeaves(t, randCells(rng, 17, func() int { return rng.IntN(600) }))
		checkLeaves(t, nil)
	})
}

func TestTreeBatchedMatchesOneAtATime(t *testing.T) {
	eachImpl(t, func(t testing.TB) {
		for n := 0; n <= 70; n++ {
			checkTree(t, leaves(n))
		}
		for _, n := range []int{127, 128, 129, 255, 256, 257, 1000, 1023, 1025, 3001} {
			checkTree(t, leaves(n))
		}
	})
}

// TestEncoderShape is the encoder's use: n cells of one symbol size, then
// the root over their hashes.
func TestEncoderShape(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 0))
	cells := randCells(rng, 1000, func() int { return 302 })
	var want Node
	eachImpl(t, func(t testing.TB) {
		root := Root(checkLeaves(t, cells))
		if want == Empty {
			want = root
		} else if root != want {
			t.Fatalf("%v: root differs", blake2bx.Current())
		}
	})
}

func FuzzLeavesAndRoot(f *testing.F) {
	f.Add([]byte("walrus"), uint16(3))
	f.Add(make([]byte, 3000), uint16(9))
	f.Fuzz(func(t *testing.T, data []byte, count uint16) {
		n := int(count % 300)
		if n == 0 {
			n = 1
		}
		size := len(data) / n
		cells := make([][]byte, n)
		for i := range cells {
			cells[i] = data[i*size : (i+1)*size]
		}
		eachImpl(t, func(t testing.TB) {
			checkTree(t, checkLeaves(t, cells))
		})
	})
}

func BenchmarkLeavesAndRoot(b *testing.B) {
	cells := randCells(rand.New(rand.NewPCG(3, 0)), 1000, func() int { return 302 })
	dst := make([]Node, len(cells))
	for _, im := range blake2bx.Impls() {
		b.Run(fmt.Sprintf("%v/n1000/302B", im), func(b *testing.B) {
			defer blake2bx.Force(blake2bx.Force(im))
			var h Hasher
			for i := 0; i < b.N; i++ {
				h.Leaves(dst, cells)
				Root(dst)
			}
		})
	}
}
