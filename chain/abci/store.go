package abci

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/walrus-go/walrus/chain"
)

// ErrCorrupt reports metadata on disk that does not decode.
var ErrCorrupt = errors.New("abci: corrupt store")

// metaKey holds the last committed height, app hash and block time. State
// keys are printable ASCII, so 0xff never collides with them.
var metaKey = []byte("\xffmeta")

// Meta is what the store records with each committed block.
type Meta struct {
	Height  uint64
	AppHash [32]byte
	TimeMs  uint64 // block time, Unix milliseconds
}

func (m Meta) encode() []byte {
	b := binary.BigEndian.AppendUint64(nil, m.Height)
	b = append(b, m.AppHash[:]...)
	return binary.BigEndian.AppendUint64(b, m.TimeMs)
}

// DB is the application state in pebble. It implements chain.Store.
type DB struct {
	db *pebble.DB
}

// OpenDB opens (or creates) the state store in dir.
func OpenDB(dir string) (*DB, error) {
	db, err := pebble.Open(dir, &pebble.Options{Logger: quietLogger{}})
	if err != nil {
		return nil, fmt.Errorf("abci: open state store %s: %w", dir, err)
	}
	return &DB{db: db}, nil
}

// Close closes the store.
func (d *DB) Close() error { return d.db.Close() }

// Get implements chain.Store.
func (d *DB) Get(key []byte) ([]byte, bool, error) {
	v, closer, err := d.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	out := bytes.Clone(v)
	if out == nil {
		out = []byte{}
	}
	return out, true, closer.Close()
}

// Meta returns the last committed block's metadata (zero before genesis).
func (d *DB) Meta() (Meta, error) {
	v, ok, err := d.Get(metaKey)
	if err != nil || !ok {
		return Meta{}, err
	}
	if len(v) != 48 {
		return Meta{}, fmt.Errorf("%w: metadata of %d bytes", ErrCorrupt, len(v))
	}
	return Meta{Height: binary.BigEndian.Uint64(v), AppHash: [32]byte(v[8:40]), TimeMs: binary.BigEndian.Uint64(v[40:])}, nil
}

// Commit writes a block's write set and its metadata in one synced batch.
func (d *DB) Commit(ws []chain.Write, m Meta) error {
	b := d.db.NewBatch()
	defer b.Close()
	for _, w := range ws {
		var err error
		if w.Delete {
			err = b.Delete(w.Key, nil)
		} else {
			err = b.Set(w.Key, w.Value, nil)
		}
		if err != nil {
			return fmt.Errorf("abci: batch: %w", err)
		}
	}
	if err := b.Set(metaKey, m.encode(), nil); err != nil {
		return fmt.Errorf("abci: batch: %w", err)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("abci: commit height %d: %w", m.Height, err)
	}
	return nil
}

// KV is a key and its value.
type KV struct {
	Key, Value []byte
}

// Scan returns up to limit entries whose keys start with prefix and are
// greater than after (nil for the start), in key order.
func (d *DB) Scan(prefix, after []byte, limit int) ([]KV, error) {
	upper := prefixEnd(prefix)
	lower := prefix
	if after != nil && bytes.Compare(after, prefix) >= 0 {
		lower = append(bytes.Clone(after), 0)
	}
	it, err := d.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	var out []KV
	for ok := it.First(); ok && len(out) < limit; ok = it.Next() {
		out = append(out, KV{Key: bytes.Clone(it.Key()), Value: bytes.Clone(it.Value())})
	}
	if err := it.Error(); err != nil {
		it.Close()
		return nil, err
	}
	return out, it.Close()
}

// prefixEnd returns the smallest key greater than every key with the prefix
// (nil if there is none).
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// quietLogger drops pebble's informational logs and keeps fatal errors fatal.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf("pebble: "+format, args...))
}
