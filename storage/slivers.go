package storage

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"github.com/cockroachdb/pebble/v2"
	"github.com/walrus-go/walrus/encoding"
)

// SliverEntry is a sliver with the blob it belongs to, as a shard scan
// returns it.
type SliverEntry struct {
	BlobID encoding.BlobID
	Sliver *encoding.Sliver
}

func checkType(t encoding.SliverType) error {
	if t != encoding.Primary && t != encoding.Secondary {
		return fmt.Errorf("%w: sliver type %d", ErrInvalidArg, uint8(t))
	}
	return nil
}

// PutSliver stores a sliver of blob id under shard, replacing any sliver of
// the same type there. It returns once the sliver is durable.
func (s *Store) PutSliver(shard uint16, id encoding.BlobID, sl *encoding.Sliver) error {
	if err := checkType(sl.Type); err != nil {
		return err
	}
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	if err := s.putRaw(shard, sl.Type, id, encoding.MarshalSliver(sl)); err != nil {
		return fmt.Errorf("storage: put %s sliver of %s in shard %d: %w", sl.Type, id, shard, err)
	}
	return nil
}

// PutSliverEncoded is PutSliver for a sliver in its BCS form (as
// encoding.MarshalSliver returns it): raw is stored as is, which saves
// encoding megabytes again when the node already holds that form (a request
// body that encoding.UnmarshalSliverShared parsed, strictly, hence
// canonically). It fails with ErrInvalidArg unless raw parses as a sliver
// of type t.
func (s *Store) PutSliverEncoded(shard uint16, t encoding.SliverType, id encoding.BlobID, raw []byte) error {
	if err := checkType(t); err != nil {
		return err
	}
	if _, err := encoding.UnmarshalSliverShared(t, raw); err != nil {
		return fmt.Errorf("%w: %s sliver of %s: %w", ErrInvalidArg, t, id, err)
	}
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	if err := s.putRaw(shard, t, id, raw); err != nil {
		return fmt.Errorf("storage: put %s sliver of %s in shard %d: %w", t, id, shard, err)
	}
	return nil
}

// PutSliverFrom stores a sliver whose BCS form has size bytes without an
// intermediate buffer: fill writes those bytes into the buffer that is
// written to disk (reading a request body, say: a pooled buffer for the
// sliver file, or the pebble write batch for a small sliver) and checks
// them; if it fails, nothing is stored and its error is returned as is. raw
// must not be used after fill returns. The bytes must parse as a sliver of
// type t (ErrInvalidArg).
func (s *Store) PutSliverFrom(shard uint16, t encoding.SliverType, id encoding.BlobID, size int, fill func(raw []byte) error) error {
	if err := checkType(t); err != nil {
		return err
	}
	if size < 0 || size > maxSliverLen {
		return fmt.Errorf("%w: sliver of %d bytes", ErrInvalidArg, size)
	}
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	if size >= s.files.min {
		buf := getBuf(size)
		defer putBuf(buf)
		raw := *buf
		if err := fill(raw); err != nil {
			return err
		}
		if _, err := encoding.UnmarshalSliverShared(t, raw); err != nil {
			return fmt.Errorf("%w: %s sliver of %s: %w", ErrInvalidArg, t, id, err)
		}
		if err := s.putRaw(shard, t, id, raw); err != nil {
			return fmt.Errorf("storage: put %s sliver of %s in shard %d: %w", t, id, shard, err)
		}
		return nil
	}
	key := sliverKey(shard, t, id)
	b := s.db.NewBatch()
	op := b.SetDeferred(len(key), size)
	copy(op.Key, key)
	if err := fill(op.Value); err != nil {
		b.Close()
		return err
	}
	if _, err := encoding.UnmarshalSliverShared(t, op.Value); err != nil {
		b.Close()
		return fmt.Errorf("%w: %s sliver of %s: %w", ErrInvalidArg, t, id, err)
	}
	if err := op.Finish(); err != nil {
		b.Close()
		return fmt.Errorf("storage: put sliver: %w", err)
	}
	// The blob's file lock is taken only now: fill may be reading a slow
	// request body.
	l := s.files.lock(id)
	l.RLock()
	old, err := s.oldValue(key)
	if err != nil {
		l.RUnlock()
		b.Close()
		return err
	}
	pendingFor(b, id, old)
	err = s.commit(b)
	l.RUnlock()
	if err != nil {
		return fmt.Errorf("storage: put %s sliver of %s in shard %d: %w", t, id, shard, err)
	}
	if isPointer(old) {
		return s.settleLocked(id)
	}
	return nil
}

// putRaw stores raw, a checked sliver in its BCS form: in id's sliver file,
// synced, then its pointer in pebble if it is large; inline in pebble if
// not. Space held by a replaced sliver is freed.
func (s *Store) putRaw(shard uint16, t encoding.SliverType, id encoding.BlobID, raw []byte) error {
	key := sliverKey(shard, t, id)
	l := s.files.lock(id)
	l.RLock()
	old, err := s.oldValue(key)
	if err != nil {
		l.RUnlock()
		return err
	}
	val := raw
	if len(raw) >= s.files.min {
		if val, err = s.files.writeFile(id, raw); err != nil {
			l.RUnlock()
			return err
		}
		s.at("written")
	}
	b := s.db.NewBatch()
	_ = b.Set(key, val, nil)
	pendingFor(b, id, old)
	err = s.commit(b)
	l.RUnlock()
	if err != nil {
		return err
	}
	s.at("committed")
	if isPointer(old) {
		return s.settleLocked(id)
	}
	return nil
}

// PutSlivers stores many slivers of one shard in one durable batch (shard
// sync and recovery use it). Large slivers are written to their blobs'
// files first, which are then synced together.
func (s *Store) PutSlivers(shard uint16, entries []SliverEntry) error {
	for _, e := range entries {
		if err := checkType(e.Sliver.Type); err != nil {
			return err
		}
	}
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	ids := make([]encoding.BlobID, len(entries))
	for i, e := range entries {
		ids[i] = e.BlobID
	}
	unlock := s.files.rlockAll(ids)
	handles := map[encoding.BlobID]*fileHandle{}
	defer func() {
		for _, h := range handles {
			s.files.release(h)
		}
	}()
	// Open (or create) the files first, several at once, so that new
	// files share directory syncs.
	raws := make([][]byte, len(entries))
	for i, e := range entries {
		raws[i] = encoding.MarshalSliver(e.Sliver)
	}
	if err := s.openFiles(entries, raws, handles); err != nil {
		unlock()
		return err
	}
	b := s.db.NewBatch()
	var replaced []encoding.BlobID
	for i, e := range entries {
		key := sliverKey(shard, e.Sliver.Type, e.BlobID)
		old, err := s.oldValue(key)
		if err != nil {
			unlock()
			b.Close()
			return err
		}
		if isPointer(old) {
			replaced = append(replaced, e.BlobID)
		}
		pendingFor(b, e.BlobID, old)
		raw := raws[i]
		val := raw
		if len(raw) >= s.files.min {
			if val, err = handles[e.BlobID].write(raw); err != nil {
				unlock()
				b.Close()
				return err
			}
		}
		if err := b.Set(key, val, nil); err != nil {
			unlock()
			b.Close()
			return fmt.Errorf("storage: put slivers: %w", err)
		}
	}
	if !s.files.noSync {
		if err := syncAll(handles); err != nil {
			unlock()
			b.Close()
			return err
		}
	}
	err := s.commit(b)
	unlock()
	if err != nil {
		return err
	}
	for _, id := range replaced {
		if err := s.settleLocked(id); err != nil {
			return err
		}
	}
	return nil
}

// openFiles acquires into handles the files of the entries whose BCS forms
// (raws) go to files, 16 at a time.
func (s *Store) openFiles(entries []SliverEntry, raws [][]byte, handles map[encoding.BlobID]*fileHandle) error {
	var ids []encoding.BlobID
	seen := map[encoding.BlobID]bool{}
	for i, e := range entries {
		if !seen[e.BlobID] && len(raws[i]) >= s.files.min {
			seen[e.BlobID] = true
			ids = append(ids, e.BlobID)
		}
	}
	var mu sync.Mutex
	var first error
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for _, id := range ids {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			h, err := s.files.acquire(id, true)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if first == nil {
					first = err
				}
				return
			}
			handles[id] = h
		}()
	}
	wg.Wait()
	return first
}

// syncAll syncs the files of handles, several at once so that the file
// system can commit them together.
func syncAll(handles map[encoding.BlobID]*fileHandle) error {
	const parallel = 16
	sem := make(chan struct{}, parallel)
	errs := make(chan error, len(handles))
	for _, h := range handles {
		sem <- struct{}{}
		go func() {
			errs <- h.sync()
			<-sem
		}()
	}
	var first error
	for range handles {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// GetSliver returns the sliver of type t of blob id in shard, or an error
// wrapping ErrNotFound.
func (s *Store) GetSliver(shard uint16, t encoding.SliverType, id encoding.BlobID) (*encoding.Sliver, error) {
	raw, err := s.getSliverRaw(shard, t, id)
	if err != nil {
		return nil, err
	}
	sl, err := encoding.UnmarshalSliverShared(t, raw) // raw is a fresh copy
	if err != nil {
		return nil, corrupt(fmt.Sprintf("%s sliver of %s in shard %d", t, id, shard), err)
	}
	return sl, nil
}

// GetSliverEncoded returns the BCS form of the sliver of type t of blob id
// in shard (a copy; checked to parse), or an error wrapping ErrNotFound. It
// serves a sliver without decoding and encoding it again.
func (s *Store) GetSliverEncoded(shard uint16, t encoding.SliverType, id encoding.BlobID) ([]byte, error) {
	raw, err := s.getSliverRaw(shard, t, id)
	if err != nil {
		return nil, err
	}
	if _, err := encoding.UnmarshalSliverShared(t, raw); err != nil {
		return nil, corrupt(fmt.Sprintf("%s sliver of %s in shard %d", t, id, shard), err)
	}
	return raw, nil
}

// getSliverRaw returns a fresh copy of the stored BCS form of a sliver,
// read from pebble or from the blob's sliver file (checksum verified).
func (s *Store) getSliverRaw(shard uint16, t encoding.SliverType, id encoding.BlobID) ([]byte, error) {
	if err := checkType(t); err != nil {
		return nil, err
	}
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.release()
	l := s.files.lock(id)
	l.RLock()
	defer l.RUnlock()
	v, closer, err := s.db.Get(sliverKey(shard, t, id))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s sliver of %s in shard %d", ErrNotFound, t, id, shard)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: get sliver: %w", err)
	}
	defer closer.Close()
	if !isPointer(v) {
		return bytes.Clone(v), nil
	}
	raw, err := s.files.readPointer(id, v)
	if err != nil {
		return nil, fmt.Errorf("%s sliver of %s in shard %d: %w", t, id, shard, err)
	}
	return raw, nil
}

// HasSliver reports whether the sliver is stored.
func (s *Store) HasSliver(shard uint16, t encoding.SliverType, id encoding.BlobID) (bool, error) {
	if err := checkType(t); err != nil {
		return false, err
	}
	if err := s.acquire(); err != nil {
		return false, err
	}
	defer s.release()
	return s.has(sliverKey(shard, t, id))
}

// DeleteSliver deletes a sliver (absent slivers are not an error) and frees
// its space.
func (s *Store) DeleteSliver(shard uint16, t encoding.SliverType, id encoding.BlobID) error {
	if err := checkType(t); err != nil {
		return err
	}
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	l := s.files.lock(id)
	l.Lock()
	defer l.Unlock()
	key := sliverKey(shard, t, id)
	old, err := s.oldValue(key)
	if err != nil {
		return err
	}
	b := s.db.NewBatch()
	_ = b.Delete(key, nil)
	if isPointer(old) {
		pendingFor(b, id, old)
		_ = b.Set(pendingCheckKey(id), nil, nil)
	}
	if err := s.commit(b); err != nil {
		return fmt.Errorf("storage: delete sliver: %w", err)
	}
	s.at("deleted")
	if isPointer(old) {
		return s.settle(id)
	}
	return nil
}

// ScanSlivers returns up to limit slivers of type t in shard, in blob-ID
// order, starting at blob ID from (inclusive).
func (s *Store) ScanSlivers(shard uint16, t encoding.SliverType, from encoding.BlobID, limit int) ([]SliverEntry, error) {
	if err := checkType(t); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.release()
	it, err := s.db.NewIter(&pebble.IterOptions{
		LowerBound: sliverKey(shard, t, from),
		UpperBound: sliverPrefix(shard, t+1),
	})
	if err != nil {
		return nil, fmt.Errorf("storage: scan: %w", err)
	}
	defer it.Close()
	var out []SliverEntry
	for ok := it.First(); ok && len(out) < limit; ok = it.Next() {
		k := it.Key()
		var id encoding.BlobID
		if len(k) != 4+len(id) {
			return out, corrupt("sliver key", fmt.Errorf("length %d", len(k)))
		}
		copy(id[:], k[4:])
		v, err := it.ValueAndErr()
		if err != nil {
			return out, fmt.Errorf("storage: scan: %w", err)
		}
		var sl *encoding.Sliver
		if isPointer(v) {
			raw, gone, err := s.readScanned(k, id, v)
			if err != nil {
				return out, fmt.Errorf("%s sliver of %s in shard %d: %w", t, id, shard, err)
			}
			if gone {
				continue
			}
			sl, err = encoding.UnmarshalSliverShared(t, raw)
		} else {
			sl, err = encoding.UnmarshalSliver(t, v)
		}
		if err != nil {
			return out, corrupt(fmt.Sprintf("%s sliver of %s in shard %d", t, id, shard), err)
		}
		out = append(out, SliverEntry{BlobID: id, Sliver: sl})
	}
	if err := it.Error(); err != nil {
		return out, fmt.Errorf("storage: scan: %w", err)
	}
	return out, nil
}

// readScanned reads the bytes of the pointer v that an iterator found at
// key. The iterator's view may be older than a deletion that has since
// freed them: if they do not read back, gone reports whether the key no
// longer holds v (then the sliver is skipped, as deleted).
func (s *Store) readScanned(key []byte, id encoding.BlobID, v []byte) (raw []byte, gone bool, err error) {
	l := s.files.lock(id)
	l.RLock()
	defer l.RUnlock()
	raw, err = s.files.readPointer(id, v)
	if err == nil {
		return raw, false, nil
	}
	cur, closer, gerr := s.db.Get(key)
	if errors.Is(gerr, pebble.ErrNotFound) {
		return nil, true, nil
	}
	if gerr != nil {
		return nil, false, fmt.Errorf("storage: scan: %w", gerr)
	}
	same := bytes.Equal(cur, v)
	closer.Close()
	if !same {
		return nil, true, nil
	}
	return nil, false, err
}

// RemoveShard deletes everything the store holds for shard: its slivers,
// status and sync progress. Slivers in files are deleted in chunks, each
// with the records of the space it frees (then punched); a last range
// deletion removes the rest.
func (s *Store) RemoveShard(shard uint16) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	const chunk = 4096
	from := shardPrefix(shard)
	for {
		b := s.db.NewBatch()
		ids := map[encoding.BlobID]bool{}
		var next []byte
		n := 0
		it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: from, UpperBound: shardEnd(shard)})
		if err != nil {
			b.Close()
			return fmt.Errorf("storage: remove shard %d: %w", shard, err)
		}
		for ok := it.First(); ok && n < chunk; ok = it.Next() {
			k := it.Key()
			if len(k) != 4+32 || (k[3] != byte(encoding.Primary) && k[3] != byte(encoding.Secondary)) {
				continue
			}
			v, err := it.ValueAndErr()
			if err != nil {
				it.Close()
				b.Close()
				return fmt.Errorf("storage: remove shard %d: %w", shard, err)
			}
			if !isPointer(v) {
				continue
			}
			var id encoding.BlobID
			copy(id[:], k[4:])
			_ = b.Delete(k, nil)
			pendingFor(b, id, v)
			ids[id] = true
			n++
			next = append(bytes.Clone(k), 0)
		}
		if err := it.Close(); err != nil {
			b.Close()
			return fmt.Errorf("storage: remove shard %d: %w", shard, err)
		}
		if n == 0 {
			b.Close()
			break
		}
		if err := s.commit(b); err != nil {
			return fmt.Errorf("storage: remove shard %d: %w", shard, err)
		}
		s.at("deleted")
		for id := range ids {
			if err := s.settleLocked(id); err != nil {
				return err
			}
		}
		if n < chunk {
			break
		}
		from = next
	}
	if err := s.db.DeleteRange(shardPrefix(shard), shardEnd(shard), s.wo); err != nil {
		return fmt.Errorf("storage: remove shard %d: %w", shard, err)
	}
	return nil
}

// ShardStatus returns the status of shard; a shard with no stored status is
// ShardUnknown.
func (s *Store) ShardStatus(shard uint16) (ShardStatus, error) {
	if err := s.acquire(); err != nil {
		return ShardUnknown, err
	}
	defer s.release()
	v, err := s.get(shardStatusKey(shard))
	if errors.Is(err, ErrNotFound) {
		return ShardUnknown, nil
	}
	if err != nil {
		return ShardUnknown, err
	}
	return unmarshalShardStatus(v)
}

// SetShardStatus records the status of shard.
func (s *Store) SetShardStatus(shard uint16, st ShardStatus) error {
	if st >= numShardStatus {
		return fmt.Errorf("%w: shard status %d", ErrInvalidArg, uint8(st))
	}
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	return s.set(shardStatusKey(shard), marshalShardStatus(st))
}

// Shards returns the shards that have a stored status, with that status, in
// shard order.
func (s *Store) Shards() (map[uint16]ShardStatus, error) {
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.release()
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixShard}, UpperBound: []byte{prefixShard + 1}})
	if err != nil {
		return nil, fmt.Errorf("storage: list shards: %w", err)
	}
	defer it.Close()
	out := map[uint16]ShardStatus{}
	// Visit each shard present, seeking straight to its status key.
	for ok := it.First(); ok; {
		k := it.Key()
		if len(k) < 3 {
			return nil, corrupt("shard key", fmt.Errorf("length %d", len(k)))
		}
		shard := uint16(k[1])<<8 | uint16(k[2])
		statusKey := shardStatusKey(shard)
		if it.SeekGE(statusKey) && bytes.Equal(it.Key(), statusKey) {
			v, err := it.ValueAndErr()
			if err != nil {
				return nil, fmt.Errorf("storage: list shards: %w", err)
			}
			st, err := unmarshalShardStatus(v)
			if err != nil {
				return nil, fmt.Errorf("shard %d: %w", shard, err)
			}
			out[shard] = st
		}
		if shard == 0xffff {
			break
		}
		ok = it.SeekGE(shardPrefix(shard + 1))
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("storage: list shards: %w", err)
	}
	return out, nil
}

// SyncProgress returns the last blob ID synced for slivers of type t of
// shard; ok is false if no progress is recorded.
func (s *Store) SyncProgress(shard uint16, t encoding.SliverType) (last encoding.BlobID, ok bool, err error) {
	if err := checkType(t); err != nil {
		return last, false, err
	}
	if err := s.acquire(); err != nil {
		return last, false, err
	}
	defer s.release()
	v, err := s.get(syncProgressKey(shard, t))
	if errors.Is(err, ErrNotFound) {
		return last, false, nil
	}
	if err != nil {
		return last, false, err
	}
	last, err = unmarshalBlobIDRecord(v)
	return last, err == nil, err
}

// SetSyncProgress records the last blob ID synced for slivers of type t of
// shard.
func (s *Store) SetSyncProgress(shard uint16, t encoding.SliverType, last encoding.BlobID) error {
	if err := checkType(t); err != nil {
		return err
	}
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	return s.set(syncProgressKey(shard, t), marshalBlobIDRecord(last))
}

// ClearSyncProgress removes the sync progress of shard (both types).
func (s *Store) ClearSyncProgress(shard uint16) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	b := s.db.NewBatch()
	for _, t := range []encoding.SliverType{encoding.Primary, encoding.Secondary} {
		if err := b.Delete(syncProgressKey(shard, t), nil); err != nil {
			b.Close()
			return fmt.Errorf("storage: clear sync progress: %w", err)
		}
	}
	return s.commit(b)
}
