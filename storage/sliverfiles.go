package storage

import (
	"bytes"
	"container/list"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/walrus-go/walrus/encoding"
)

// Sliver files: see the package comment. This file holds the pointer record,
// the files themselves (a bounded cache of handles, appends with grouped
// fdatasyncs, reads, hole punching, unlinking) and the pending-space records
// that make freeing space crash-safe.

// DefaultSliverFileMin is the default smallest sliver wire form stored in
// its blob's sliver file rather than inline in pebble (Options has a test
// override). Below it a new file's creation and the file's own fdatasync
// cost more than writing the bytes twice through pebble (see the package
// comment).
const DefaultSliverFileMin = 256 << 10

// maxOpenFiles bounds the cached file handles (idle ones are closed, least
// recently used first).
const maxOpenFiles = 256

// maxSliverLen bounds a pointer's length: the largest sliver wire form
// (a 2^31-byte vector, its length prefix, symbol size and index).
const maxSliverLen = 1<<31 + 9

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// sliverPointer is the value of a sliver key whose bytes are in the blob's
// sliver file: the range [Offset, Offset+Length) and the CRC-32C of those
// bytes.
type sliverPointer struct {
	Offset uint64
	Length uint32
	CRC    uint32
}

// A pointer record is 0x80 0x00 ‖ version 0 ‖ u64le offset ‖ u32le length ‖
// u32le CRC-32C. 0x80 0x00 is a non-canonical ULEB128, which no inline
// sliver (whose BCS form starts with its data length, decoded strictly) can
// begin with, so the two forms cannot be confused.
const pointerLen = 3 + 8 + 4 + 4

func marshalPointer(p sliverPointer) []byte {
	b := make([]byte, 3, pointerLen)
	b[0], b[1], b[2] = 0x80, 0x00, 0
	b = binary.LittleEndian.AppendUint64(b, p.Offset)
	b = binary.LittleEndian.AppendUint32(b, p.Length)
	return binary.LittleEndian.AppendUint32(b, p.CRC)
}

// isPointer reports whether a stored sliver value is a pointer record (well
// formed or not) rather than an inline sliver.
func isPointer(v []byte) bool { return len(v) >= 2 && v[0] == 0x80 && v[1] == 0x00 }

// parsePointer decodes a pointer record strictly.
func parsePointer(v []byte) (sliverPointer, error) {
	var p sliverPointer
	if len(v) != pointerLen || !isPointer(v) {
		return p, corrupt("sliver pointer", fmt.Errorf("%d bytes", len(v)))
	}
	if v[2] != 0 {
		return p, corrupt("sliver pointer", fmt.Errorf("version %d", v[2]))
	}
	p.Offset = binary.LittleEndian.Uint64(v[3:])
	p.Length = binary.LittleEndian.Uint32(v[11:])
	p.CRC = binary.LittleEndian.Uint32(v[15:])
	if p.Length == 0 || uint64(p.Length) > maxSliverLen || p.Offset > 1<<62 {
		return p, corrupt("sliver pointer", fmt.Errorf("range %d+%d", p.Offset, p.Length))
	}
	return p, nil
}

// Pending-space records ('u' keys; see keys.go) name space to free once the
// deletion that released it is committed: an extent of a blob's file to
// punch, or the blob's whole file to unlink if no sliver of the blob is left.

func pendingPrefix(id encoding.BlobID) []byte { return append([]byte{prefixPending}, id[:]...) }

func pendingEnd(id encoding.BlobID) []byte {
	k := pendingPrefix(id)
	for i := len(k) - 1; i >= 0; i-- {
		if k[i]++; k[i] != 0 {
			return k[:i+1]
		}
	}
	return []byte{prefixPending + 1}
}

// pendingCheckKey asks for the blob's file to be unlinked if no sliver key
// of the blob remains.
func pendingCheckKey(id encoding.BlobID) []byte { return pendingPrefix(id) }

// pendingExtentKey asks for an extent of the blob's file to be punched.
func pendingExtentKey(id encoding.BlobID, p sliverPointer) []byte {
	k := binary.BigEndian.AppendUint64(pendingPrefix(id), p.Offset)
	return binary.BigEndian.AppendUint32(k, p.Length)
}

// sliverFiles manages the sliver files under dir.
type sliverFiles struct {
	fs     vfs.FS
	dir    string
	noSync bool
	min    int // the smallest wire form stored in a file

	// locks[lockIndex(id)] is the lock of blob id's file: puts and reads
	// hold it shared from reading or writing a pointer until they are done
	// with its bytes; punching and unlinking hold it exclusively, so no
	// pointer is committed into a file being unlinked and no committed
	// pointer's bytes are read while they are punched.
	locks [64]sync.RWMutex

	mu      sync.Mutex
	handles map[encoding.BlobID]*fileHandle
	idle    *list.List // of *fileHandle with refs == 0, most recent first
	maxOpen int

	dirMu   sync.Mutex
	dirMade [256]bool
	// dirSyncs[i] groups the syncs of subdirectory i (new files' entries).
	dirSyncs [256]syncGroup
}

type fileHandle struct {
	id   encoding.BlobID
	refs int
	elem *list.Element // in idle when refs == 0

	ready chan struct{} // closed once f, end and err are set
	f     vfs.File
	err   error

	endMu sync.Mutex
	end   int64 // next append offset

	syncs syncGroup
}

// syncGroup shares syncs of one file or directory between the goroutines
// that need one at the same time: a goroutine needs a sync that started
// after its change was made, and one sync serves everyone waiting for it.
type syncGroup struct {
	mu      sync.Mutex
	started atomic.Uint64 // syncs begun
	done    uint64        // the sequence number of the last successful one
}

func (g *syncGroup) sync(do func() error) error {
	need := g.started.Load() + 1
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.done >= need {
		return nil
	}
	seq := g.started.Add(1)
	if err := do(); err != nil {
		return err
	}
	g.done = seq
	return nil
}

func newSliverFiles(fs vfs.FS, dbDir string, noSync bool, min int) (*sliverFiles, error) {
	sf := &sliverFiles{fs: fs, dir: fs.PathJoin(dbDir, "slivers"), noSync: noSync, min: min,
		handles: map[encoding.BlobID]*fileHandle{}, idle: list.New(), maxOpen: maxOpenFiles}
	if _, err := fs.Stat(sf.dir); err == nil {
		return sf, nil
	}
	if err := fs.MkdirAll(sf.dir, 0o755); err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	if err := sf.syncDir(dbDir); err != nil {
		return nil, err
	}
	return sf, nil
}

func lockIndex(id encoding.BlobID) int {
	var h uint64
	for i := 0; i < len(id); i += 8 {
		h ^= binary.LittleEndian.Uint64(id[i:])
	}
	h ^= h >> 32
	h ^= h >> 16
	return int(h % 64)
}

func (sf *sliverFiles) lock(id encoding.BlobID) *sync.RWMutex { return &sf.locks[lockIndex(id)] }

// rlockAll takes the shared locks of ids' files in lock order; the returned
// function releases them.
func (sf *sliverFiles) rlockAll(ids []encoding.BlobID) func() {
	var idx []int
	seen := map[int]bool{}
	for _, id := range ids {
		if i := lockIndex(id); !seen[i] {
			seen[i] = true
			idx = append(idx, i)
		}
	}
	sort.Ints(idx)
	for _, i := range idx {
		sf.locks[i].RLock()
	}
	return func() {
		for _, i := range idx {
			sf.locks[i].RUnlock()
		}
	}
}

func (sf *sliverFiles) subdir(id encoding.BlobID) string {
	return sf.fs.PathJoin(sf.dir, hex.EncodeToString(id[:1]))
}

func (sf *sliverFiles) path(id encoding.BlobID) string {
	return sf.fs.PathJoin(sf.subdir(id), hex.EncodeToString(id[:]))
}

func (sf *sliverFiles) syncDir(dir string) error {
	if sf.noSync {
		return nil
	}
	d, err := sf.fs.OpenDir(dir)
	if err != nil {
		return fmt.Errorf("storage: open dir %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("storage: sync dir %s: %w", dir, err)
	}
	return nil
}

var errNoFile = errors.New("no sliver file")

// acquire returns a handle on id's file, creating the file (durably: its
// directory entry is synced) if create is set; without create, a missing
// file is errNoFile. The caller holds id's lock, shared or exclusive, and
// calls release.
func (sf *sliverFiles) acquire(id encoding.BlobID, create bool) (*fileHandle, error) {
	for {
		h, err := sf.tryAcquire(id, create)
		// A reader's failed open of a missing file may have been shared by
		// a writer, which tries again to create it.
		if create && errors.Is(err, errNoFile) {
			continue
		}
		return h, err
	}
}

func (sf *sliverFiles) tryAcquire(id encoding.BlobID, create bool) (*fileHandle, error) {
	sf.mu.Lock()
	h := sf.handles[id]
	if h != nil {
		h.refs++
		if h.elem != nil {
			sf.idle.Remove(h.elem)
			h.elem = nil
		}
		sf.mu.Unlock()
		<-h.ready
		if h.err != nil {
			sf.release(h)
			return nil, h.err
		}
		return h, nil
	}
	h = &fileHandle{id: id, refs: 1, ready: make(chan struct{})}
	sf.handles[id] = h
	sf.mu.Unlock()
	h.f, h.end, h.err = sf.openFile(id, create)
	if h.err != nil {
		sf.mu.Lock()
		if sf.handles[id] == h {
			delete(sf.handles, id)
		}
		sf.mu.Unlock()
	}
	close(h.ready)
	if h.err != nil {
		sf.release(h)
		return nil, h.err
	}
	return h, nil
}

func (sf *sliverFiles) openFile(id encoding.BlobID, create bool) (vfs.File, int64, error) {
	path := sf.path(id)
	if _, err := sf.fs.Stat(path); err != nil {
		if !oserrNotExist(err) {
			return nil, 0, fmt.Errorf("storage: stat %s: %w", path, err)
		}
		if !create {
			return nil, 0, errNoFile
		}
		if err := sf.makeSubdir(id); err != nil {
			return nil, 0, err
		}
		f, err := sf.fs.Create(path, vfs.WriteCategoryUnspecified)
		if err != nil {
			return nil, 0, fmt.Errorf("storage: create %s: %w", path, err)
		}
		// The new entry must be durable before a pointer into the file is
		// committed; creators at the same time share one directory sync.
		if err := sf.dirSyncs[id[0]].sync(func() error { return sf.syncDir(sf.subdir(id)) }); err != nil {
			f.Close()
			return nil, 0, err
		}
		return f, 0, nil
	}
	f, err := sf.fs.OpenReadWrite(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return nil, 0, fmt.Errorf("storage: open %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("storage: stat %s: %w", path, err)
	}
	return f, st.Size(), nil
}

func oserrNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }

func (sf *sliverFiles) makeSubdir(id encoding.BlobID) error {
	sf.dirMu.Lock()
	defer sf.dirMu.Unlock()
	if sf.dirMade[id[0]] {
		return nil
	}
	sub := sf.subdir(id)
	if _, err := sf.fs.Stat(sub); err != nil {
		if err := sf.fs.MkdirAll(sub, 0o755); err != nil {
			return fmt.Errorf("storage: %w", err)
		}
		if err := sf.syncDir(sf.dir); err != nil {
			return err
		}
	}
	sf.dirMade[id[0]] = true
	return nil
}

// release gives back a handle from acquire; idle handles beyond maxOpen are
// closed, least recently used first.
func (sf *sliverFiles) release(h *fileHandle) {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	h.refs--
	if h.refs > 0 {
		return
	}
	if sf.handles[h.id] != h {
		if h.f != nil {
			h.f.Close()
		}
		return
	}
	h.elem = sf.idle.PushFront(h)
	for len(sf.handles) > sf.maxOpen && sf.idle.Len() > 0 {
		old := sf.idle.Remove(sf.idle.Back()).(*fileHandle)
		old.elem = nil
		delete(sf.handles, old.id)
		old.f.Close()
	}
}

// drop closes and forgets id's handle. The caller holds id's lock
// exclusively, so nobody else holds the handle.
func (sf *sliverFiles) drop(id encoding.BlobID) {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	h := sf.handles[id]
	if h == nil {
		return
	}
	delete(sf.handles, id)
	if h.elem != nil {
		sf.idle.Remove(h.elem)
		h.elem = nil
	}
	if h.refs == 0 && h.f != nil {
		h.f.Close()
	}
}

// closeAll closes every cached handle (at Close).
func (sf *sliverFiles) closeAll() {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	for id, h := range sf.handles {
		delete(sf.handles, id)
		if h.f != nil && h.refs == 0 {
			h.f.Close()
		}
	}
	sf.idle.Init()
}

// appendData writes b at the end of the file and returns where. It does not
// sync.
func (h *fileHandle) appendData(b []byte) (int64, error) {
	h.endMu.Lock()
	off := h.end
	h.end += int64(len(b))
	h.endMu.Unlock()
	if _, err := h.f.WriteAt(b, off); err != nil {
		return 0, fmt.Errorf("storage: write sliver file: %w", err)
	}
	return off, nil
}

// sync makes every write that completed before the call durable; writers
// that wait behind one fdatasync share it.
func (h *fileHandle) sync() error {
	return h.syncs.sync(func() error {
		if err := h.f.SyncData(); err != nil {
			return fmt.Errorf("storage: sync sliver file: %w", err)
		}
		return nil
	})
}

// read returns the bytes p points to, checked against its CRC.
func (h *fileHandle) read(p sliverPointer) ([]byte, error) {
	h.endMu.Lock()
	end := h.end
	h.endMu.Unlock()
	if p.Offset+uint64(p.Length) > uint64(end) {
		return nil, fmt.Errorf("range %d+%d past the end of the file (%d)", p.Offset, p.Length, end)
	}
	b := make([]byte, p.Length)
	if _, err := h.f.ReadAt(b, int64(p.Offset)); err != nil && !(errors.Is(err, io.EOF) && len(b) == int(p.Length)) {
		return nil, fmt.Errorf("read: %w", err)
	}
	if crc32.Checksum(b, castagnoli) != p.CRC {
		return nil, errors.New("checksum mismatch")
	}
	return b, nil
}

// readPointer reads a pointed-to sliver; the caller holds id's lock.
func (sf *sliverFiles) readPointer(id encoding.BlobID, v []byte) ([]byte, error) {
	p, err := parsePointer(v)
	if err != nil {
		return nil, err
	}
	h, err := sf.acquire(id, false)
	if err != nil {
		return nil, corrupt("sliver file of "+id.String(), err)
	}
	defer sf.release(h)
	b, err := h.read(p)
	if err != nil {
		return nil, corrupt("sliver file of "+id.String(), err)
	}
	return b, nil
}

// punch frees the extent p of id's file where the file system allows it.
// The caller holds id's lock exclusively.
func (sf *sliverFiles) punch(id encoding.BlobID, off, length int64) error {
	h, err := sf.acquire(id, false)
	if errors.Is(err, errNoFile) {
		return nil
	}
	if err != nil {
		return err
	}
	defer sf.release(h)
	fd := h.f.Fd()
	if fd == vfs.InvalidFd {
		return nil // space freed when the file is unlinked
	}
	return punchHole(fd, off, length)
}

// exists reports whether id has a sliver file.
func (sf *sliverFiles) exists(id encoding.BlobID) (bool, error) {
	if _, err := sf.fs.Stat(sf.path(id)); err != nil {
		if oserrNotExist(err) {
			return false, nil
		}
		return false, fmt.Errorf("storage: stat sliver file: %w", err)
	}
	return true, nil
}

// unlink removes id's file durably. The caller holds id's lock exclusively.
func (sf *sliverFiles) unlink(id encoding.BlobID) error {
	sf.drop(id)
	if err := sf.fs.Remove(sf.path(id)); err != nil {
		if oserrNotExist(err) {
			return nil
		}
		return fmt.Errorf("storage: remove sliver file: %w", err)
	}
	return sf.syncDir(sf.subdir(id))
}

// writeFile writes raw to id's file, durably, and returns its pointer
// record. The caller holds id's lock shared.
func (sf *sliverFiles) writeFile(id encoding.BlobID, raw []byte) ([]byte, error) {
	h, err := sf.acquire(id, true)
	if err != nil {
		return nil, err
	}
	defer sf.release(h)
	ptr, err := h.write(raw)
	if err != nil {
		return nil, err
	}
	if !sf.noSync {
		if err := h.sync(); err != nil {
			return nil, err
		}
	}
	return ptr, nil
}

// write appends raw to the file, without syncing, and returns its pointer
// record.
func (h *fileHandle) write(raw []byte) ([]byte, error) {
	crc := crc32.Checksum(raw, castagnoli)
	off, err := h.appendData(raw)
	if err != nil {
		return nil, err
	}
	return marshalPointer(sliverPointer{Offset: uint64(off), Length: uint32(len(raw)), CRC: crc}), nil
}

// bufPool recycles the buffers PutSliverFrom fills.
var bufPool sync.Pool

func getBuf(n int) *[]byte {
	if p, _ := bufPool.Get().(*[]byte); p != nil && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	b := make([]byte, n, n+n/8)
	return &b
}

func putBuf(p *[]byte) {
	if cap(*p) <= 64<<20 {
		bufPool.Put(p)
	}
}

// sliverValue returns the stored bytes of a sliver from its pebble value:
// the value itself, or the pointed-to bytes read from the file. The caller
// holds id's lock shared.
func (s *Store) sliverValue(id encoding.BlobID, v []byte) ([]byte, error) {
	if !isPointer(v) {
		return v, nil
	}
	return s.files.readPointer(id, v)
}

// pendingFor adds to b the records that free the space of the old value of
// a sliver key (nothing for an inline value).
func pendingFor(b *pebble.Batch, id encoding.BlobID, old []byte) {
	if !isPointer(old) {
		return
	}
	p, err := parsePointer(old)
	if err != nil {
		return // a corrupt pointer names no space
	}
	_ = b.Set(pendingExtentKey(id, p), nil, nil)
}

// oldValue returns a copy of the value at key (nil if none).
func (s *Store) oldValue(key []byte) ([]byte, error) {
	v, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("storage: get: %w", err)
	}
	if !isPointer(v) {
		closer.Close()
		return []byte{}, nil // inline: no space to free beyond pebble's
	}
	out := bytes.Clone(v)
	return out, closer.Close()
}

// settle frees the space named by id's pending-space records, then deletes
// them. The caller holds id's lock exclusively.
func (s *Store) settle(id encoding.BlobID) error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: pendingPrefix(id), UpperBound: pendingEnd(id)})
	if err != nil {
		return fmt.Errorf("storage: pending space: %w", err)
	}
	check := false
	type extent struct{ off, n int64 }
	var extents []extent
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		switch len(k) {
		case 1 + 32:
			check = true
		case 1 + 32 + 12:
			extents = append(extents, extent{int64(binary.BigEndian.Uint64(k[33:])), int64(binary.BigEndian.Uint32(k[41:]))})
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("storage: pending space: %w", err)
	}
	if !check && len(extents) == 0 {
		return nil
	}
	unlinked := false
	if check {
		any, err := s.blobHasSlivers(id)
		if err != nil {
			return err
		}
		if !any {
			if err := s.files.unlink(id); err != nil {
				return err
			}
			unlinked = true
		}
	}
	if !unlinked {
		for _, e := range extents {
			if err := s.files.punch(id, e.off, e.n); err != nil {
				return fmt.Errorf("storage: punch sliver file of %s: %w", id, err)
			}
		}
	}
	// Deleting the records need not be synced: after a crash they are
	// settled again, which frees nothing more.
	if err := s.db.DeleteRange(pendingPrefix(id), pendingEnd(id), pebble.NoSync); err != nil {
		return fmt.Errorf("storage: pending space: %w", err)
	}
	return nil
}

func (s *Store) settleLocked(id encoding.BlobID) error {
	l := s.files.lock(id)
	l.Lock()
	defer l.Unlock()
	return s.settle(id)
}

// blobHasSlivers reports whether any sliver key of blob id is stored, in
// any shard.
func (s *Store) blobHasSlivers(id encoding.BlobID) (bool, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixShard}, UpperBound: []byte{prefixShard + 1}})
	if err != nil {
		return false, fmt.Errorf("storage: %w", err)
	}
	defer it.Close()
	for ok := it.First(); ok; {
		k := it.Key()
		if len(k) < 3 {
			return false, corrupt("shard key", fmt.Errorf("length %d", len(k)))
		}
		shard := uint16(k[1])<<8 | uint16(k[2])
		for _, t := range []encoding.SliverType{encoding.Primary, encoding.Secondary} {
			key := sliverKey(shard, t, id)
			if it.SeekGE(key) && bytes.Equal(it.Key(), key) {
				return true, nil
			}
		}
		if shard == 0xffff {
			break
		}
		ok = it.SeekGE(shardPrefix(shard + 1))
	}
	if err := it.Error(); err != nil {
		return false, fmt.Errorf("storage: %w", err)
	}
	return false, nil
}

// settleAll settles every blob with pending-space records (at Open: the
// deletions a crash interrupted).
func (s *Store) settleAll() error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixPending}, UpperBound: []byte{prefixPending + 1}})
	if err != nil {
		return fmt.Errorf("storage: pending space: %w", err)
	}
	var ids []encoding.BlobID
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		var id encoding.BlobID
		if len(k) < 1+len(id) {
			continue
		}
		copy(id[:], k[1:])
		if len(ids) == 0 || ids[len(ids)-1] != id {
			ids = append(ids, id)
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("storage: pending space: %w", err)
	}
	for _, id := range ids {
		if err := s.settleLocked(id); err != nil {
			return err
		}
	}
	return nil
}
