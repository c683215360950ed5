package storage

import (
	"bytes"
	"errors"
	"fmt"

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
	if err := s.set(sliverKey(shard, sl.Type, id), encoding.MarshalSliver(sl)); err != nil {
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
	if err := s.set(sliverKey(shard, t, id), raw); err != nil {
		return fmt.Errorf("storage: put %s sliver of %s in shard %d: %w", t, id, shard, err)
	}
	return nil
}

// PutSliverFrom stores a sliver whose BCS form has size bytes without an
// intermediate buffer: fill writes those bytes into the write batch itself
// (reading a request body, say) and checks them; if it fails, nothing is
// stored and its error is returned as is. raw must not be used after fill
// returns. The bytes must parse as a sliver of type t (ErrInvalidArg).
func (s *Store) PutSliverFrom(shard uint16, t encoding.SliverType, id encoding.BlobID, size int, fill func(raw []byte) error) error {
	if err := checkType(t); err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("%w: sliver of %d bytes", ErrInvalidArg, size)
	}
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	b := s.db.NewBatch()
	key := sliverKey(shard, t, id)
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
	if err := s.commit(b); err != nil {
		return fmt.Errorf("storage: put %s sliver of %s in shard %d: %w", t, id, shard, err)
	}
	return nil
}

// PutSlivers stores many slivers of one shard in one durable batch (shard
// sync and recovery use it).
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
	b := s.db.NewBatch()
	for _, e := range entries {
		if err := b.Set(sliverKey(shard, e.Sliver.Type, e.BlobID), encoding.MarshalSliver(e.Sliver), nil); err != nil {
			b.Close()
			return fmt.Errorf("storage: put slivers: %w", err)
		}
	}
	return s.commit(b)
}

// GetSliver returns the sliver of type t of blob id in shard, or an error
// wrapping ErrNotFound.
func (s *Store) GetSliver(shard uint16, t encoding.SliverType, id encoding.BlobID) (*encoding.Sliver, error) {
	if err := checkType(t); err != nil {
		return nil, err
	}
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.release()
	v, closer, err := s.db.Get(sliverKey(shard, t, id))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s sliver of %s in shard %d", ErrNotFound, t, id, shard)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: get sliver: %w", err)
	}
	defer closer.Close()
	sl, err := encoding.UnmarshalSliver(t, v) // copies the data
	if err != nil {
		return nil, corrupt(fmt.Sprintf("%s sliver of %s in shard %d", t, id, shard), err)
	}
	return sl, nil
}

// GetSliverEncoded returns the BCS form of the sliver of type t of blob id
// in shard (a copy; checked to parse), or an error wrapping ErrNotFound. It
// serves a sliver without decoding and encoding it again.
func (s *Store) GetSliverEncoded(shard uint16, t encoding.SliverType, id encoding.BlobID) ([]byte, error) {
	if err := checkType(t); err != nil {
		return nil, err
	}
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.release()
	v, err := s.get(sliverKey(shard, t, id))
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: %s sliver of %s in shard %d", ErrNotFound, t, id, shard)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: get sliver: %w", err)
	}
	if _, err := encoding.UnmarshalSliverShared(t, v); err != nil {
		return nil, corrupt(fmt.Sprintf("%s sliver of %s in shard %d", t, id, shard), err)
	}
	return v, nil
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

// DeleteSliver deletes a sliver (absent slivers are not an error).
func (s *Store) DeleteSliver(shard uint16, t encoding.SliverType, id encoding.BlobID) error {
	if err := checkType(t); err != nil {
		return err
	}
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	if err := s.db.Delete(sliverKey(shard, t, id), s.wo); err != nil {
		return fmt.Errorf("storage: delete sliver: %w", err)
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
		sl, err := encoding.UnmarshalSliver(t, v)
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

// RemoveShard deletes everything the store holds for shard: its slivers,
// status and sync progress, with one range deletion.
func (s *Store) RemoveShard(shard uint16) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
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
