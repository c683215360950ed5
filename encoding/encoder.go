package encoding

import (
	"github.com/walrus-go/walrus/encoding/merkle"
)

// EncodedBlob is a blob expanded into its n sliver pairs, with its metadata.
type EncodedBlob struct {
	Params     Params
	SymbolSize int
	Metadata   *VerifiedMetadata
	primary    []byte // n rows of S*ss bytes: primary sliver i is row i
	secondary  []byte // n columns of P*ss bytes: secondary sliver j is column j
}

// PrimarySliver returns primary sliver i (sharing the encoder's memory).
func (e *EncodedBlob) PrimarySliver(i int) Sliver {
	size := e.Params.PrimarySliverSize(e.SymbolSize)
	return Sliver{Type: Primary, Index: uint16(i), SymbolSize: uint16(e.SymbolSize), Data: e.primary[i*size : (i+1)*size : (i+1)*size]}
}

// SecondarySliver returns secondary sliver j (sharing the encoder's memory).
func (e *EncodedBlob) SecondarySliver(j int) Sliver {
	size := e.Params.SecondarySliverSize(e.SymbolSize)
	return Sliver{Type: Secondary, Index: uint16(j), SymbolSize: uint16(e.SymbolSize), Data: e.secondary[j*size : (j+1)*size : (j+1)*size]}
}

// Sliver returns the sliver of type t with the given sliver index.
func (e *EncodedBlob) Sliver(t SliverType, index int) Sliver {
	if t == Primary {
		return e.PrimarySliver(index)
	}
	return e.SecondarySliver(index)
}

// Pair returns sliver pair p: primary sliver p and secondary sliver n-1-p.
func (e *EncodedBlob) Pair(p int) SliverPair {
	return SliverPair{Primary: e.PrimarySliver(p), Secondary: e.SecondarySliver(e.Params.SliverIndex(Secondary, p))}
}

// PairForShard returns the pair that the given shard stores.
func (e *EncodedBlob) PairForShard(shard int) SliverPair {
	return e.Pair(e.Params.ShardToPair(e.Metadata.BlobID, shard))
}

// batchBytes is the target size of a wide symbol: a batch of cells that the
// 1-D code processes in one call, amortising per-butterfly setup.
const batchBytes = 8 << 10

// Encode expands blob into sliver pairs for n shards and computes its
// metadata and blob ID, using all available cores.
func Encode(blob []byte, n int) (*EncodedBlob, error) {
	p, err := NewParams(n)
	if err != nil {
		return nil, err
	}
	ss, err := p.SymbolSize(uint64(len(blob)))
	if err != nil {
		return nil, err
	}
	st := &encodeState{p: p, ss: ss, n: n, P: p.Primary(), S: p.Secondary()}
	st.primary = make([]byte, n*st.S*ss)
	st.secondary = make([]byte, n*st.P*ss)
	copy(st.primary, blob) // rows 0..P-1 are the blob, row-major, zero padded
	st.rowRoot = make([]merkle.Node, n)
	st.colRoot = make([]merkle.Node, n)

	// One set of workers (and their scratch) serves every stage.
	st.workers = workerStates(st.n, st.newWorker)
	st.transposeSource()
	st.encodeSourceRows()
	st.encodeColumns()
	st.hashRepairRows()

	md := st.metadata(uint64(len(blob)))
	return &EncodedBlob{Params: p, SymbolSize: ss, Metadata: md, primary: st.primary, secondary: st.secondary}, nil
}

// ComputeMetadata returns only the metadata (and blob ID) of blob.
func ComputeMetadata(blob []byte, n int) (*VerifiedMetadata, error) {
	e, err := Encode(blob, n)
	if err != nil {
		return nil, err
	}
	return e.Metadata, nil
}

// encodeState carries the matrix during encoding. The expanded n x n matrix
// is never held whole: its top-left P x S block is the blob, the rest of the
// first P rows and S columns are the slivers, and the bottom-right block is
// computed twice (once per axis) only to be hashed.
type encodeState struct {
	p         Params
	ss, n     int
	P, S      int
	primary   []byte
	secondary []byte
	workers   []*worker
	rowRoot   []merkle.Node // root of expanded row i
	colRoot   []merkle.Node // root of expanded column j
}

func (st *encodeState) row(i int) []byte {
	w := st.S * st.ss
	return st.primary[i*w : (i+1)*w]
}

func (st *encodeState) col(j int) []byte {
	h := st.P * st.ss
	return st.secondary[j*h : (j+1)*h]
}

func (st *encodeState) cellOfRow(i, c int) []byte { return st.row(i)[c*st.ss : (c+1)*st.ss] }
func (st *encodeState) cellOfCol(j, r int) []byte { return st.col(j)[r*st.ss : (r+1)*st.ss] }

// worker is the per-goroutine state of the encoder.
type worker struct {
	axes   *axisEncoder
	hasher merkle.Hasher
	leaves []merkle.Node
	cells  [][]byte
	src    [][]byte
	rep    [][]byte
	buf    []byte
}

func (st *encodeState) newWorker() *worker {
	return &worker{axes: newAxisEncoder(st.p), leaves: make([]merkle.Node, st.n), cells: make([][]byte, st.n)}
}

// scratch returns count slices of size bytes from the worker's buffer,
// starting at slot offset (so that sources and repairs can share it).
func (w *worker) slices(dst [][]byte, buf []byte, count, size int) [][]byte {
	dst = dst[:0]
	for i := 0; i < count; i++ {
		dst = append(dst, buf[i*size:(i+1)*size:(i+1)*size])
	}
	return dst
}

// root hashes the n cells gathered in w.cells and returns their Merkle root.
func (w *worker) root() merkle.Node {
	w.hasher.Leaves(w.leaves, w.cells)
	return merkle.RootInPlace(w.leaves)
}

func (w *worker) buffer(size int) []byte {
	if cap(w.buf) < size {
		w.buf = make([]byte, size)
	}
	return w.buf[:size]
}

// batches splits [from, to) into batches of at most size elements.
func batches(from, to, size int) [][2]int {
	var out [][2]int
	for b := from; b < to; b += size {
		out = append(out, [2]int{b, min(b+size, to)})
	}
	return out
}

func (st *encodeState) batchCells() int { return max(1, batchBytes/st.ss) }

// transposeSource fills the first S secondary slivers (columns of the blob).
func (st *encodeState) transposeSource() {
	parallel(st.workers, st.S, func(_ *worker, c int) {
		for r := 0; r < st.P; r++ {
			copy(st.cellOfCol(c, r), st.cellOfRow(r, c))
		}
	})
}

// encodeSourceRows expands rows 0..P-1 with the secondary code: the repair
// cells become secondary slivers S..n-1, and each full row is hashed. A batch
// of rows is one wide symbol per column, which is a slice of that column.
func (st *encodeState) encodeSourceRows() {
	bs := batches(0, st.P, st.batchCells())
	parallel(st.workers, len(bs), func(w *worker, b int) {
		r0, r1 := bs[b][0], bs[b][1]
		lo, hi := r0*st.ss, r1*st.ss
		w.src = w.src[:0]
		for c := 0; c < st.S; c++ {
			w.src = append(w.src, st.col(c)[lo:hi])
		}
		w.rep = w.rep[:0]
		for c := st.S; c < st.n; c++ {
			w.rep = append(w.rep, st.col(c)[lo:hi])
		}
		w.axes.encodeWide(Primary, w.src, w.rep, st.ss)
		for r := r0; r < r1; r++ {
			for c := 0; c < st.S; c++ {
				w.cells[c] = st.cellOfRow(r, c)
			}
			for c := st.S; c < st.n; c++ {
				w.cells[c] = st.cellOfCol(c, r)
			}
			st.rowRoot[r] = w.root()
		}
	})
}

// encodeColumns expands every column with the primary code and hashes it.
// For columns below S the repair cells are rows P..n-1 of the primary
// slivers and are written in place; for the others they are the
// bottom-right block, kept only long enough to hash.
func (st *encodeState) encodeColumns() {
	bc := st.batchCells()
	bs := append(batches(0, st.S, bc), batches(st.S, st.n, bc)...)
	nrep := st.n - st.P
	parallel(st.workers, len(bs), func(w *worker, b int) {
		j0, j1 := bs[b][0], bs[b][1]
		width := (j1 - j0) * st.ss
		lo, hi := j0*st.ss, j1*st.ss
		if j1 <= st.S {
			w.src = w.src[:0]
			for r := 0; r < st.P; r++ {
				w.src = append(w.src, st.row(r)[lo:hi])
			}
			w.rep = w.rep[:0]
			for r := st.P; r < st.n; r++ {
				w.rep = append(w.rep, st.row(r)[lo:hi])
			}
		} else {
			buf := w.buffer((st.P + nrep) * width)
			w.src = w.slices(w.src, buf, st.P, width)
			w.rep = w.slices(w.rep, buf[st.P*width:], nrep, width)
			for r := 0; r < st.P; r++ {
				for j := j0; j < j1; j++ {
					copy(w.src[r][(j-j0)*st.ss:], st.cellOfCol(j, r))
				}
			}
		}
		w.axes.encodeWide(Secondary, w.src, w.rep, st.ss)
		for j := j0; j < j1; j++ {
			off := (j - j0) * st.ss
			for r := 0; r < st.P; r++ {
				w.cells[r] = st.cellOfCol(j, r)
			}
			for r := st.P; r < st.n; r++ {
				w.cells[r] = w.rep[r-st.P][off : off+st.ss]
			}
			st.colRoot[j] = w.root()
		}
	})
}

// hashRepairRows expands rows P..n-1 (now complete in the primary slivers)
// with the secondary code and hashes them.
func (st *encodeState) hashRepairRows() {
	bs := batches(st.P, st.n, st.batchCells())
	nrep := st.n - st.S
	parallel(st.workers, len(bs), func(w *worker, b int) {
		r0, r1 := bs[b][0], bs[b][1]
		width := (r1 - r0) * st.ss
		buf := w.buffer((st.S + nrep) * width)
		w.src = w.slices(w.src, buf, st.S, width)
		w.rep = w.slices(w.rep, buf[st.S*width:], nrep, width)
		for c := 0; c < st.S; c++ {
			for r := r0; r < r1; r++ {
				copy(w.src[c][(r-r0)*st.ss:], st.cellOfRow(r, c))
			}
		}
		w.axes.encodeWide(Primary, w.src, w.rep, st.ss)
		for r := r0; r < r1; r++ {
			off := (r - r0) * st.ss
			for c := 0; c < st.S; c++ {
				w.cells[c] = st.cellOfRow(r, c)
			}
			for c := st.S; c < st.n; c++ {
				w.cells[c] = w.rep[c-st.S][off : off+st.ss]
			}
			st.rowRoot[r] = w.root()
		}
	})
}

// metadata assembles the per-pair hashes and the blob ID.
func (st *encodeState) metadata(length uint64) *VerifiedMetadata {
	m := Metadata{EncodingType: EncodingTypeRS2, UnencodedLength: length, Hashes: make([]PairMetadata, st.n)}
	for p := 0; p < st.n; p++ {
		m.Hashes[p] = PairMetadata{Primary: st.rowRoot[p], Secondary: st.colRoot[st.n-1-p]}
	}
	return &VerifiedMetadata{BlobID: m.ComputeBlobID(), Metadata: m}
}
