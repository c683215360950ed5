// Package storage is a storage node's persistent state over pebble: blob
// metadata, the primary and secondary slivers of each shard, the blob info
// derived from chain events (package blobinfo) together with the event
// cursor, shard status and sync progress, node status and garbage-collector
// progress. The key layout is described in keys.go.
//
// Durability: every method that writes commits one pebble batch with
// pebble.Sync, so a write is on stable storage when the method returns and
// the node may acknowledge it. Concurrent writers are group-committed by
// pebble's commit pipeline, which syncs the write-ahead log once for all the
// batches queued behind one sync; no extra batching is done here.
//
// Slivers, megabytes of incompressible bytes, live in pebble's blob files
// (value separation): a flush writes each once and compactions move only
// keys and references. Nothing is compressed.
//
// Atomicity: ApplyEvents writes the blob-info changes of a batch of events and
// the new event cursor in one batch, and skips events at or before the stored
// cursor, so replaying events after a crash cannot count them twice.
//
// On-disk records are decoded strictly (package bcs); a record that does not
// decode yields an error wrapping ErrCorrupt, never a panic.
package storage

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Errors returned by the store.
var (
	ErrNotFound   = errors.New("storage: not found")
	ErrCorrupt    = errors.New("storage: corrupt record")
	ErrClosed     = errors.New("storage: store is closed")
	ErrInvalidArg = errors.New("storage: invalid argument")
	ErrEventOrder = errors.New("storage: events out of order")
	ErrOptions    = errors.New("storage: invalid options")
)

func corrupt(what string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrCorrupt, what, err)
}

// Options configure a Store. The zero value is usable: Open fills defaults.
type Options struct {
	// FS is the file system; nil means the operating system's. Tests may use
	// vfs.NewMem().
	FS vfs.FS
	// CacheSize is the block cache size in bytes (default 64 MiB).
	CacheSize int64
	// MemTableSize is the size of a memtable in bytes (default 64 MiB; at
	// least 1 MiB so that several slivers fit in one).
	MemTableSize uint64
	// NoSync turns off syncing of writes. Only for tests and benchmarks: an
	// acknowledged write may then be lost in a crash of the machine.
	NoSync bool
	// Logger receives pebble's log; nil discards it.
	Logger pebble.Logger

	// sliverFileMin overrides DefaultSliverFileMin (tests).
	sliverFileMin int
}

// Default sizes.
const (
	DefaultCacheSize    = 64 << 20
	DefaultMemTableSize = 64 << 20
)

// WithDefaults returns o with zero fields set to their defaults.
func (o Options) WithDefaults() Options {
	if o.FS == nil {
		o.FS = vfs.Default
	}
	if o.CacheSize == 0 {
		o.CacheSize = DefaultCacheSize
	}
	if o.MemTableSize == 0 {
		o.MemTableSize = DefaultMemTableSize
	}
	if o.Logger == nil {
		o.Logger = quietLogger{}
	}
	if o.sliverFileMin == 0 {
		o.sliverFileMin = DefaultSliverFileMin
	}
	return o
}

// Validate checks the options (after defaults are applied).
func (o Options) Validate() error {
	if o.CacheSize < 0 {
		return fmt.Errorf("%w: negative cache size %d", ErrOptions, o.CacheSize)
	}
	if o.MemTableSize < 1<<20 || o.MemTableSize >= 4<<30 {
		return fmt.Errorf("%w: memtable size %d not in [1 MiB, 4 GiB)", ErrOptions, o.MemTableSize)
	}
	return nil
}

// separateValues is the smallest value stored in a blob file rather than
// in the sstables.
const separateValues = 4 << 10

// Store is a storage node's database. Its methods are safe for concurrent
// use.
type Store struct {
	db    *pebble.DB
	wo    *pebble.WriteOptions
	files *sliverFiles

	// hook, if set (by tests), is called at the named points of a put or
	// deletion, so that a test can take a crash image there.
	hook func(point string)

	// closeMu is held for reading by every operation and for writing by
	// Close, since pebble panics on use after close.
	closeMu sync.RWMutex
	closed  bool

	// infoMu serializes the read-modify-write cycles of blob info records
	// (events, metadata flag, garbage collection).
	infoMu sync.Mutex
}

// Open opens (creating if needed) the store in dir.
func Open(dir string, opts Options) (*Store, error) {
	opts = opts.WithDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	cache := pebble.NewCache(opts.CacheSize)
	defer cache.Unref()
	po := &pebble.Options{
		FS:                 opts.FS,
		Cache:              cache,
		MemTableSize:       opts.MemTableSize,
		Logger:             opts.Logger,
		FormatMajorVersion: pebble.FormatValueSeparation,
		// A flushed memtable becomes a few files, not one per 2 MB of
		// slivers: creating a file costs more than writing megabytes.
		TargetFileSizes: [7]int64{64 << 20},
	}
	// Slivers are large and incompressible (erasure-coded bytes, hashes):
	// values of at least separateValues bytes go to blob files when a
	// memtable is flushed, and compactions then move only their keys and
	// references instead of rewriting them level after level; nothing is
	// compressed. Reads are point lookups of one value each, so an sstable
	// may reference many blob files (depth 100) before compactions rewrite
	// the values for locality; garbage left by deletions is rewritten once
	// it is 20% of a file.
	po.Experimental.ValueSeparationPolicy = func() pebble.ValueSeparationPolicy {
		return pebble.ValueSeparationPolicy{Enabled: true, MinimumSize: separateValues, MaxBlobReferenceDepth: 100,
			RewriteMinimumAge: 5 * time.Minute, TargetGarbageRatio: 0.2}
	}
	po.ApplyCompressionSettings(func() pebble.DBCompressionSettings { return pebble.DBCompressionNone })
	db, err := pebble.Open(dir, po)
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", dir, err)
	}
	wo := pebble.Sync
	if opts.NoSync {
		wo = pebble.NoSync
	}
	files, err := newSliverFiles(opts.FS, dir, opts.NoSync, opts.sliverFileMin)
	if err != nil {
		db.Close()
		return nil, err
	}
	s := &Store{db: db, wo: wo, files: files}
	// Free the space of deletions that a crash interrupted.
	if err := s.settleAll(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the store. Later calls of any method return ErrClosed.
func (s *Store) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.closed = true
	s.files.closeAll()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("storage: close: %w", err)
	}
	return nil
}

// acquire guards an operation against Close; release ends it.
func (s *Store) acquire() error {
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return ErrClosed
	}
	return nil
}

func (s *Store) release() { s.closeMu.RUnlock() }

func (s *Store) at(point string) {
	if s.hook != nil {
		s.hook(point)
	}
}

// get returns a copy of the value at key, or an error wrapping ErrNotFound.
func (s *Store) get(key []byte) ([]byte, error) {
	v, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("storage: get: %w", err)
	}
	out := bytes.Clone(v)
	if out == nil {
		out = []byte{}
	}
	return out, closer.Close()
}

// has reports whether key exists. It looks at the key only: a Get would
// read the value, a whole sliver from its blob file.
func (s *Store) has(key []byte) (bool, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: key, UpperBound: append(key[:len(key):len(key)], 0)})
	if err != nil {
		return false, fmt.Errorf("storage: has: %w", err)
	}
	ok := it.First()
	if err := it.Close(); err != nil {
		return false, fmt.Errorf("storage: has: %w", err)
	}
	return ok, nil
}

func (s *Store) commit(b *pebble.Batch) error {
	if err := b.Commit(s.wo); err != nil {
		b.Close()
		return fmt.Errorf("storage: commit: %w", err)
	}
	return b.Close()
}

func (s *Store) set(key, value []byte) error {
	if err := s.db.Set(key, value, s.wo); err != nil {
		return fmt.Errorf("storage: set: %w", err)
	}
	return nil
}

// Flush flushes the memtables to sstables (for tests and benchmarks; never
// needed for durability).
func (s *Store) Flush() error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	return s.db.Flush()
}

type quietLogger struct{}

func (quietLogger) Infof(string, ...any)              {}
func (quietLogger) Errorf(string, ...any)             {}
func (quietLogger) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
