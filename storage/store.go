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
// Sliver files: a sliver whose wire form is at least DefaultSliverFileMin
// (256 KiB) is written once, to its blob's sliver file
// DIR/slivers/<first byte of the blob ID, hex>/<blob ID, hex>, and pebble
// keeps under the sliver key a 19-byte pointer (offset, length, CRC-32C of
// the bytes). A put reserves an offset at the end of the file, writes there
// (pwrite), fdatasyncs the file (puts waiting at the same time share one
// fdatasync; a new file's directory entry is synced before any pointer into
// it is committed), then commits the pointer, synced. A crash before the
// commit leaves only unreferenced bytes, never visible, which go with the
// file; after it the bytes are durable. Smaller slivers stay inline in
// pebble, and pebble's value separation is kept for them (and for the large
// inline slivers of data directories written before sliver files, which
// read, scan and delete as before): a flush moves them to blob files once
// and compactions move only references. Nothing is compressed.
//
// Why 256 KiB and not less: on this ext4, creating a file costs ~0.5 ms of
// kernel CPU and the file's fdatasync is a journal commit on top of pebble's
// WAL sync; for slivers of 64–128 KiB that costs more, in time and CPU,
// than writing them twice through pebble (the WAL, then the blob file at a
// flush), while from ~1 MiB the single write wins both (BENCHMARKS.md).
//
// Reads hold the blob's file lock shared, read the pointer, pread the bytes
// and check their CRC: a mismatch, a missing file or a range past the end of
// the file is ErrCorrupt. The sliver key stays the authority: existence
// checks look at keys only and scans see pointers in key order.
//
// Freeing space: every deletion of pointers (DeleteBlobData, DeleteSliver,
// RemoveShard, a replaced sliver) commits in the same batch pending-space
// records ('u' keys): the extents to punch and, for DeleteBlobData and
// DeleteSliver, a request to unlink the blob's file once no sliver key of
// the blob is left in any shard. Then, holding the blob's file lock
// exclusively (so that no put commits a pointer into the file and no read
// uses the bytes meanwhile), the file is unlinked (and its directory synced)
// or the extents are punched (fallocate PUNCH_HOLE|KEEP_SIZE on the file's
// descriptor; where there is none, as with vfs.NewMem, or the file system
// cannot punch, the bytes stay until the file is unlinked), and the records
// are deleted. A crash in between leaves records that Open settles: garbage
// for a while, never a dangling pointer. Left for later: bytes of a put
// that crashed before its commit, of a put racing with RemoveShard of its
// shard, or of the loser of two concurrent puts of one sliver, stay until
// the blob's file is unlinked; a blob whose last sliver went with
// RemoveShard keeps its punched, empty file until its data is deleted
// (garbage collection deletes every expired blob's data). At most 256
// idle file handles stay open (least recently used closed first).
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
