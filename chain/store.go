package chain

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	"golang.org/x/crypto/blake2b"
)

// Store is the read side of the committed state that the state machine needs:
// a point lookup. A missing key returns found == false and no error; an error
// means the store itself failed.
type Store interface {
	Get(key []byte) (value []byte, found bool, err error)
}

// Write is one entry of a block's write set. Delete means the key is removed
// (Value is then nil).
type Write struct {
	Key    []byte
	Value  []byte
	Delete bool
}

// MemStore is an in-memory Store that applies write sets; it is the
// state's home in tests and a reference for other implementations.
type MemStore struct {
	m map[string][]byte
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{m: make(map[string][]byte)} }

// Get implements Store.
func (s *MemStore) Get(key []byte) ([]byte, bool, error) {
	v, ok := s.m[string(key)]
	return v, ok, nil
}

// Apply applies a write set.
func (s *MemStore) Apply(ws []Write) {
	for _, w := range ws {
		if w.Delete {
			delete(s.m, string(w.Key))
		} else {
			s.m[string(w.Key)] = slices.Clone(w.Value)
		}
	}
}

// Len returns the number of keys.
func (s *MemStore) Len() int { return len(s.m) }

// Keys returns the stored keys with the given prefix, sorted.
func (s *MemStore) Keys(prefix []byte) [][]byte {
	var out [][]byte
	for k := range s.m {
		if bytes.HasPrefix([]byte(k), prefix) {
			out = append(out, []byte(k))
		}
	}
	slices.SortFunc(out, bytes.Compare)
	return out
}

// entry is a buffered write: a value, or a deletion when del is set.
type entry struct {
	val []byte
	del bool
}

// overlay buffers writes over a parent; reads fall through to the parent.
type overlay struct {
	parent interface {
		get(key []byte) ([]byte, bool, error)
	}
	writes map[string]entry
}

type storeGetter struct{ s Store }

func (g storeGetter) get(key []byte) ([]byte, bool, error) {
	v, ok, err := g.s.Get(key)
	if err != nil {
		return nil, false, fmt.Errorf("%w: get %x: %v", ErrStore, key, err)
	}
	return v, ok, nil
}

func newOverlay(parent interface {
	get(key []byte) ([]byte, bool, error)
}) *overlay {
	return &overlay{parent: parent, writes: make(map[string]entry)}
}

func (o *overlay) get(key []byte) ([]byte, bool, error) {
	if e, ok := o.writes[string(key)]; ok {
		if e.del {
			return nil, false, nil
		}
		return e.val, true, nil
	}
	return o.parent.get(key)
}

func (o *overlay) set(key, val []byte) { o.writes[string(key)] = entry{val: val} }
func (o *overlay) del(key []byte)      { o.writes[string(key)] = entry{del: true} }

// mergeInto copies o's writes into dst (a child committing to its parent).
// The order of map iteration does not matter: each key is written once.
func (o *overlay) mergeInto(dst *overlay) {
	for k, e := range o.writes {
		dst.writes[k] = e
	}
}

// writeSet returns the buffered writes sorted by key.
func (o *overlay) writeSet() []Write {
	ws := make([]Write, 0, len(o.writes))
	for k, e := range o.writes {
		ws = append(ws, Write{Key: []byte(k), Value: e.val, Delete: e.del})
	}
	slices.SortFunc(ws, func(a, b Write) int { return bytes.Compare(a.Key, b.Key) })
	return ws
}

// EncodeWriteSet returns the canonical encoding of a write set sorted by key:
// for each entry, u32 key length, key, then 0x00 for a deletion or 0x01, u32
// value length and value (lengths big-endian).
func EncodeWriteSet(ws []Write) []byte {
	n := 0
	for _, w := range ws {
		n += 9 + len(w.Key) + len(w.Value)
	}
	b := make([]byte, 0, n)
	for _, w := range ws {
		b = binary.BigEndian.AppendUint32(b, uint32(len(w.Key)))
		b = append(b, w.Key...)
		if w.Delete {
			b = append(b, 0)
			continue
		}
		b = append(b, 1)
		b = binary.BigEndian.AppendUint32(b, uint32(len(w.Value)))
		b = append(b, w.Value...)
	}
	return b
}

// AppHash returns BLAKE2b-256(prev ‖ EncodeWriteSet(ws)): the app hash after
// a block whose sorted write set is ws.
func AppHash(prev [32]byte, ws []Write) [32]byte {
	h, _ := blake2b.New256(nil)
	h.Write(prev[:])
	h.Write(EncodeWriteSet(ws))
	var out [32]byte
	h.Sum(out[:0])
	return out
}
