package encoding

import (
	"runtime"
	"sync"

	"github.com/walrus-go/walrus/encoding/rs"
)

// axisEncoder holds the two 1-D codes of a shard count with their scratch
// space: the primary code (P source symbols, used along columns) and the
// secondary code (S source symbols, used along rows). Not safe for
// concurrent use.
type axisEncoder struct {
	p         Params
	primary   *rs.Encoder // P -> n (encodes columns)
	secondary *rs.Encoder // S -> n (encodes rows)
	repair    [][]byte
	buf       []byte
}

func newAxisEncoder(p Params) *axisEncoder {
	pc, _ := rs.New(p.Primary(), p.N-p.Primary())
	sc, _ := rs.New(p.Secondary(), p.N-p.Secondary())
	return &axisEncoder{p: p, primary: rs.NewEncoder(pc), secondary: rs.NewEncoder(sc)}
}

// codeFor returns the encoder that expands a sliver of type t: a primary
// sliver (row) is expanded by the secondary code and vice versa.
func (a *axisEncoder) codeFor(t SliverType) (*rs.Encoder, int) {
	if t == Primary {
		return a.secondary, a.p.Secondary()
	}
	return a.primary, a.p.Primary()
}

// encodeWide computes the repair symbols of k wide source symbols into
// repair buffers, for the code that expands slivers of type t.
func (a *axisEncoder) encodeWide(t SliverType, src, repair [][]byte, ss int) {
	enc, _ := a.codeFor(t)
	if err := enc.Encode(src, repair, ss); err != nil {
		// Shapes are validated by the callers; a failure here is a bug.
		panic(err)
	}
}

// expand returns the n symbols of the sliver data expanded along the
// orthogonal code (the sliver's own symbols first). The result is valid until
// the next call.
func (a *axisEncoder) expand(t SliverType, data []byte, ss int) []byte {
	_, k := a.codeFor(t)
	n := a.p.N
	if cap(a.buf) < n*ss {
		a.buf = make([]byte, n*ss)
	}
	out := a.buf[:n*ss]
	copy(out, data[:k*ss])
	src := make([][]byte, k)
	for i := range src {
		src[i] = out[i*ss : (i+1)*ss]
	}
	a.repair = a.repair[:0]
	for i := k; i < n; i++ {
		a.repair = append(a.repair, out[i*ss:(i+1)*ss])
	}
	a.encodeWide(t, src, a.repair, ss)
	return out
}

// workerStates returns one state per worker (GOMAXPROCS, at most count).
func workerStates[S any](count int, newState func() S) []S {
	states := make([]S, max(1, min(runtime.GOMAXPROCS(0), count)))
	for i := range states {
		states[i] = newState()
	}
	return states
}

// parallel runs task(state, i) for i in [0, count), one goroutine per state,
// each goroutine always with the same state.
func parallel[S any](states []S, count int, task func(state S, i int)) {
	if len(states) == 1 || count <= 1 {
		for i := 0; i < count; i++ {
			task(states[0], i)
		}
		return
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		next int
	)
	for _, st := range states {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= count {
					return
				}
				task(st, i)
			}
		}()
	}
	wg.Wait()
}
