package storage

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/storage/blobinfo"
)

// PutMetadata stores verified metadata and marks it stored in the blob's
// info, in one durable batch.
func (s *Store) PutMetadata(md *encoding.VerifiedMetadata) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	s.infoMu.Lock()
	defer s.infoMu.Unlock()
	in, _, err := s.loadInfo(md.BlobID)
	if err != nil {
		return err
	}
	b := s.db.NewBatch()
	_ = b.Set(metadataKey(md.BlobID), md.Metadata.MarshalBCS(), nil)
	if !in.MetadataStored {
		in.MetadataStored = true
		_ = b.Set(blobInfoKey(md.BlobID), blobinfo.MarshalInfo(&in), nil)
	}
	if err := s.commit(b); err != nil {
		return fmt.Errorf("storage: put metadata of %s: %w", md.BlobID, err)
	}
	return nil
}

// GetMetadata returns the metadata of blob id, or an error wrapping
// ErrNotFound. The stored record is checked to hash to id.
func (s *Store) GetMetadata(id encoding.BlobID) (*encoding.VerifiedMetadata, error) {
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.release()
	v, err := s.get(metadataKey(id))
	if err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", id, err)
	}
	md, err := encoding.UnmarshalMetadata(v)
	if err != nil {
		return nil, corrupt("metadata of "+id.String(), err)
	}
	if got := md.ComputeBlobID(); got != id {
		return nil, corrupt("metadata of "+id.String(), fmt.Errorf("hashes to blob %s", got))
	}
	return &encoding.VerifiedMetadata{BlobID: id, Metadata: *md}, nil
}

// HasMetadata reports whether metadata of blob id is stored.
func (s *Store) HasMetadata(id encoding.BlobID) (bool, error) {
	if err := s.acquire(); err != nil {
		return false, err
	}
	defer s.release()
	return s.has(metadataKey(id))
}

// DeleteBlobData deletes the metadata of blob id and its slivers of both
// types in the given shards, clears its metadata flag and its entry in the
// deletion queue, in one durable batch; then it frees the slivers' space in
// the blob's sliver file, which is unlinked once no sliver of the blob is
// left in any shard. Blob info and object records stay: they follow the
// chain.
func (s *Store) DeleteBlobData(id encoding.BlobID, shards []uint16) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	s.infoMu.Lock()
	defer s.infoMu.Unlock()
	in, found, err := s.loadInfo(id)
	if err != nil {
		return err
	}
	l := s.files.lock(id)
	l.Lock()
	defer l.Unlock()
	b := s.db.NewBatch()
	_ = b.Delete(metadataKey(id), nil)
	_ = b.Delete(queueKey(id), nil)
	for _, shard := range shards {
		for _, t := range []encoding.SliverType{encoding.Primary, encoding.Secondary} {
			key := sliverKey(shard, t, id)
			old, err := s.oldValue(key)
			if err != nil {
				b.Close()
				return err
			}
			_ = b.Delete(key, nil)
			pendingFor(b, id, old)
		}
	}
	// The blob's file goes once no sliver of it is left (slivers of shards
	// not listed keep it); a file that exists without a committed pointer
	// (a crash between writing it and committing) goes too.
	hasFile, err := s.files.exists(id)
	if err != nil {
		b.Close()
		return err
	}
	if hasFile {
		_ = b.Set(pendingCheckKey(id), nil, nil)
	}
	if found && in.MetadataStored {
		in.MetadataStored = false
		if in.IsEmpty() {
			_ = b.Delete(blobInfoKey(id), nil)
		} else {
			_ = b.Set(blobInfoKey(id), blobinfo.MarshalInfo(&in), nil)
		}
	}
	if err := s.commit(b); err != nil {
		return fmt.Errorf("storage: delete data of %s: %w", id, err)
	}
	s.at("deleted")
	return s.settle(id)
}

// loadInfo reads the blob info of id; found is false (and the Info zero) if
// there is none.
func (s *Store) loadInfo(id encoding.BlobID) (in blobinfo.Info, found bool, err error) {
	v, err := s.get(blobInfoKey(id))
	if errors.Is(err, ErrNotFound) {
		return blobinfo.Info{}, false, nil
	}
	if err != nil {
		return in, false, err
	}
	in, err = blobinfo.UnmarshalInfo(v)
	if err != nil {
		return in, false, corrupt("blob info of "+id.String(), err)
	}
	return in, true, nil
}

// loadObject reads the record of object id; nil if there is none.
func (s *Store) loadObject(id blobinfo.ObjectID) (*blobinfo.Object, error) {
	v, err := s.get(objectKey(id))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	o, err := blobinfo.UnmarshalObject(v)
	if err != nil {
		return nil, corrupt("object "+id.String(), err)
	}
	return &o, nil
}

// BlobInfo returns the aggregate blob info of id, or an error wrapping
// ErrNotFound.
func (s *Store) BlobInfo(id encoding.BlobID) (blobinfo.Info, error) {
	if err := s.acquire(); err != nil {
		return blobinfo.Info{}, err
	}
	defer s.release()
	in, found, err := s.loadInfo(id)
	if err == nil && !found {
		err = fmt.Errorf("%w: blob info of %s", ErrNotFound, id)
	}
	return in, err
}

// BlobStatus returns the status of blob id at epoch e (Nonexistent if the
// store knows nothing of it).
func (s *Store) BlobStatus(id encoding.BlobID, e uint32) (blobinfo.Status, error) {
	if err := s.acquire(); err != nil {
		return blobinfo.Status{}, err
	}
	defer s.release()
	in, _, err := s.loadInfo(id)
	if err != nil {
		return blobinfo.Status{}, err
	}
	return in.Status(e), nil
}

// ObjectInfo returns the record of Blob object id, or an error wrapping
// ErrNotFound.
func (s *Store) ObjectInfo(id blobinfo.ObjectID) (blobinfo.Object, error) {
	if err := s.acquire(); err != nil {
		return blobinfo.Object{}, err
	}
	defer s.release()
	o, err := s.loadObject(id)
	if err != nil {
		return blobinfo.Object{}, err
	}
	if o == nil {
		return blobinfo.Object{}, fmt.Errorf("%w: object %s", ErrNotFound, id)
	}
	return *o, nil
}

// Cursor returns the stored event cursor; ok is false before the first
// ApplyEvents.
func (s *Store) Cursor() (c EventCursor, ok bool, err error) {
	if err := s.acquire(); err != nil {
		return c, false, err
	}
	defer s.release()
	return s.cursor()
}

func (s *Store) cursor() (EventCursor, bool, error) {
	v, err := s.get(cursorKey)
	if errors.Is(err, ErrNotFound) {
		return EventCursor{}, false, nil
	}
	if err != nil {
		return EventCursor{}, false, err
	}
	c, err := unmarshalCursor(v)
	return c, err == nil, err
}

// IgnoredEvent is an event that did not fit the stored records (see
// blobinfo.ErrInconsistent); it was skipped.
type IgnoredEvent struct {
	Event blobinfo.Event
	Err   error
}

// ApplyResult reports what ApplyEvents did.
type ApplyResult struct {
	Applied int // events that were applied (possibly changing nothing)
	Skipped int // events at or before the stored cursor: already applied
	Ignored []IgnoredEvent
	// Unregistered lists blobs that lost their last counted object or were
	// marked invalid in this batch; they were put in the deletion queue.
	Unregistered []encoding.BlobID
}

type infoState struct {
	info               blobinfo.Info
	found, changed     bool
	queued, hadObjects bool
	invalidBefore      bool
}

type objectState struct {
	obj     *blobinfo.Object // current; nil if none
	origEnd uint32
	found   bool // a record existed before the batch
	changed bool
}

// ApplyEvents applies blob events and sets the event cursor to cursor, in
// one durable batch. Events must be in increasing ID order, none after
// cursor. Events at or before the stored cursor are skipped, so a batch
// replayed after a crash changes nothing; a cursor before the stored one is
// not stored (the whole batch is a replay).
func (s *Store) ApplyEvents(events []blobinfo.Event, cursor EventCursor) (ApplyResult, error) {
	var res ApplyResult
	for i, ev := range events {
		if i > 0 && !events[i-1].ID.Less(ev.ID) {
			return res, fmt.Errorf("%w: event %s after %s", ErrEventOrder, ev.ID, events[i-1].ID)
		}
		if !cursor.covers(ev.ID) {
			return res, fmt.Errorf("%w: event %s after cursor %d:%d", ErrEventOrder, ev.ID, cursor.Height, cursor.Index)
		}
	}
	if err := s.acquire(); err != nil {
		return res, err
	}
	defer s.release()
	s.infoMu.Lock()
	defer s.infoMu.Unlock()
	stored, hasStored, err := s.cursor()
	if err != nil {
		return res, err
	}
	infos := map[encoding.BlobID]*infoState{}
	objs := map[blobinfo.ObjectID]*objectState{}
	var order []encoding.BlobID // blobs in first-touched order, for determinism
	for _, ev := range events {
		if hasStored && stored.covers(ev.ID) {
			res.Skipped++
			continue
		}
		is := infos[ev.BlobID]
		if is == nil {
			in, found, err := s.loadInfo(ev.BlobID)
			if err != nil {
				return ApplyResult{}, err
			}
			is = &infoState{info: in, found: found, hadObjects: in.HasObjects(), invalidBefore: in.Invalid}
			infos[ev.BlobID] = is
			order = append(order, ev.BlobID)
		}
		var os *objectState
		if ev.Kind != blobinfo.InvalidBlobID {
			if os = objs[ev.ObjectID]; os == nil {
				o, err := s.loadObject(ev.ObjectID)
				if err != nil {
					return ApplyResult{}, err
				}
				os = &objectState{obj: o, found: o != nil}
				if o != nil {
					os.origEnd = o.EndEpoch
				}
				objs[ev.ObjectID] = os
			}
		}
		var cur *blobinfo.Object
		if os != nil {
			cur = os.obj
		}
		next, nobj, err := blobinfo.Apply(is.info, cur, ev)
		if err != nil {
			res.Ignored = append(res.Ignored, IgnoredEvent{Event: ev, Err: err})
			continue
		}
		res.Applied++
		is.info, is.changed = next, true
		is.hadObjects = is.hadObjects || next.HasObjects()
		if os != nil && nobj != nil && (cur == nil || *nobj != *cur) {
			os.obj, os.changed = nobj, true
		}
	}
	b := s.db.NewBatch()
	defer b.Close()
	for _, id := range order {
		is := infos[id]
		if !is.changed {
			continue
		}
		_ = b.Set(blobInfoKey(id), blobinfo.MarshalInfo(&is.info), nil)
		lost := is.hadObjects && !is.info.HasObjects()
		invalidated := !is.invalidBefore && is.info.Invalid
		switch {
		case lost || invalidated:
			_ = b.Set(queueKey(id), nil, nil)
			res.Unregistered = append(res.Unregistered, id)
		case is.info.HasObjects() && !is.info.Invalid:
			_ = b.Delete(queueKey(id), nil)
		}
	}
	for oid, os := range objs {
		if !os.changed {
			continue
		}
		_ = b.Set(objectKey(oid), blobinfo.MarshalObject(os.obj), nil)
		if os.found && os.origEnd != os.obj.EndEpoch {
			_ = b.Delete(expiryKey(os.origEnd, os.obj.BlobID, oid), nil)
		}
		if !os.found || os.origEnd != os.obj.EndEpoch {
			_ = b.Set(expiryKey(os.obj.EndEpoch, os.obj.BlobID, oid), nil, nil)
		}
	}
	if !hasStored || stored.Less(cursor) {
		_ = b.Set(cursorKey, marshalCursor(cursor), nil)
	}
	if err := b.Commit(s.wo); err != nil {
		return ApplyResult{}, fmt.Errorf("storage: apply events: %w", err)
	}
	return res, nil
}

// ExpiredBlobs returns up to limit blob IDs with an object record whose end
// epoch is not after e and which are not registered at e: every counted
// object has expired (or was deleted). Blobs are found through the expiry
// index, in order of the expired object's end epoch; the set shrinks as
// ExpireObjects removes the expired records.
func (s *Store) ExpiredBlobs(e uint32, limit int) ([]encoding.BlobID, error) {
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.release()
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixExpiry}, UpperBound: expiryBound(uint64(e) + 1)})
	if err != nil {
		return nil, fmt.Errorf("storage: expired blobs: %w", err)
	}
	defer it.Close()
	seen := map[encoding.BlobID]bool{}
	var out []encoding.BlobID
	for ok := it.First(); ok && len(out) < limit; ok = it.Next() {
		_, blob, _, valid := parseExpiryKey(it.Key())
		if !valid {
			return out, corrupt("expiry index", fmt.Errorf("key %x", it.Key()))
		}
		if seen[blob] {
			continue
		}
		seen[blob] = true
		in, _, err := s.loadInfo(blob)
		if err != nil {
			return out, err
		}
		if !in.IsRegistered(e) {
			out = append(out, blob)
		}
	}
	if err := it.Error(); err != nil {
		return out, fmt.Errorf("storage: expired blobs: %w", err)
	}
	return out, nil
}

// ExpireObjects is phase 1 of garbage collection at epoch e: it removes up to
// limit object records whose end epoch is not after e, takes them out of
// their blobs' counts, deletes blob info records left empty and queues for
// data deletion the blobs left without objects, in one durable batch. It
// returns the number of records removed; call it until that is zero.
func (s *Store) ExpireObjects(e uint32, limit int) (int, error) {
	if err := s.acquire(); err != nil {
		return 0, err
	}
	defer s.release()
	s.infoMu.Lock()
	defer s.infoMu.Unlock()
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixExpiry}, UpperBound: expiryBound(uint64(e) + 1)})
	if err != nil {
		return 0, fmt.Errorf("storage: expire: %w", err)
	}
	defer it.Close()
	b := s.db.NewBatch()
	defer b.Close()
	infos := map[encoding.BlobID]*infoState{}
	var order []encoding.BlobID
	n := 0
	for ok := it.First(); ok && n < limit; ok = it.Next() {
		key := it.Key()
		end, blob, oid, valid := parseExpiryKey(key)
		if !valid {
			return 0, corrupt("expiry index", fmt.Errorf("key %x", key))
		}
		_ = b.Delete(key, nil)
		n++
		o, err := s.loadObject(oid)
		if err != nil {
			return 0, err
		}
		if o == nil || o.EndEpoch != end || o.BlobID != blob {
			continue // a stale index entry: drop it, keep the record
		}
		_ = b.Delete(objectKey(oid), nil)
		is := infos[blob]
		if is == nil {
			in, found, err := s.loadInfo(blob)
			if err != nil {
				return 0, err
			}
			is = &infoState{info: in, found: found, hadObjects: in.HasObjects()}
			infos[blob] = is
			order = append(order, blob)
		}
		is.info = blobinfo.Expire(is.info, o)
	}
	if err := it.Error(); err != nil {
		return 0, fmt.Errorf("storage: expire: %w", err)
	}
	for _, id := range order {
		is := infos[id]
		switch {
		case !is.found:
		case is.info.IsEmpty():
			_ = b.Delete(blobInfoKey(id), nil)
			_ = b.Delete(queueKey(id), nil)
		default:
			_ = b.Set(blobInfoKey(id), blobinfo.MarshalInfo(&is.info), nil)
			if !is.info.HasObjects() {
				_ = b.Set(queueKey(id), nil, nil)
			}
		}
	}
	if err := b.Commit(s.wo); err != nil {
		return 0, fmt.Errorf("storage: expire: %w", err)
	}
	return n, nil
}

// DeletionQueue returns up to limit blob IDs whose data awaits deletion
// (phase 2 of garbage collection), starting at blob ID from. The caller
// checks each is still unregistered, then calls DeleteBlobData, which
// removes it from the queue.
func (s *Store) DeletionQueue(from encoding.BlobID, limit int) ([]encoding.BlobID, error) {
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.release()
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: queueKey(from), UpperBound: []byte{prefixQueue + 1}})
	if err != nil {
		return nil, fmt.Errorf("storage: deletion queue: %w", err)
	}
	defer it.Close()
	var out []encoding.BlobID
	for ok := it.First(); ok && len(out) < limit; ok = it.Next() {
		k := it.Key()
		var id encoding.BlobID
		if len(k) != 1+len(id) {
			return out, corrupt("deletion queue", fmt.Errorf("key %x", k))
		}
		copy(id[:], k[1:])
		out = append(out, id)
	}
	if err := it.Error(); err != nil {
		return out, fmt.Errorf("storage: deletion queue: %w", err)
	}
	return out, nil
}

// NodeStatus returns the stored node status; ok is false if none is stored.
func (s *Store) NodeStatus() (st NodeStatus, ok bool, err error) {
	if err := s.acquire(); err != nil {
		return st, false, err
	}
	defer s.release()
	v, err := s.get(nodeStatusKey)
	if errors.Is(err, ErrNotFound) {
		return st, false, nil
	}
	if err != nil {
		return st, false, err
	}
	st, err = unmarshalNodeStatus(v)
	return st, err == nil, err
}

// SetNodeStatus stores the node status.
func (s *Store) SetNodeStatus(st NodeStatus) error {
	if st.Mode >= numNodeMode {
		return fmt.Errorf("%w: node mode %d", ErrInvalidArg, uint8(st.Mode))
	}
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	return s.set(nodeStatusKey, marshalNodeStatus(st))
}

// GCProgress returns the garbage collector's progress; ok is false if none is
// stored.
func (s *Store) GCProgress() (g GCProgress, ok bool, err error) {
	if err := s.acquire(); err != nil {
		return g, false, err
	}
	defer s.release()
	v, err := s.get(gcKey)
	if errors.Is(err, ErrNotFound) {
		return g, false, nil
	}
	if err != nil {
		return g, false, err
	}
	g, err = unmarshalGCProgress(v)
	return g, err == nil, err
}

// SetGCProgress stores the garbage collector's progress.
func (s *Store) SetGCProgress(g GCProgress) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	return s.set(gcKey, marshalGCProgress(g))
}

// BlobInfoEntry is a blob ID with its aggregate blob info.
type BlobInfoEntry struct {
	BlobID encoding.BlobID
	Info   blobinfo.Info
}

// BlobInfos returns up to limit blob-info records in blob-ID order,
// starting at blob ID from (a restart-time scan pages through them with
// the successor of the last ID returned).
func (s *Store) BlobInfos(from encoding.BlobID, limit int) ([]BlobInfoEntry, error) {
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.release()
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: blobInfoKey(from), UpperBound: []byte{prefixBlobInfo + 1}})
	if err != nil {
		return nil, fmt.Errorf("storage: blob infos: %w", err)
	}
	defer it.Close()
	var out []BlobInfoEntry
	for ok := it.First(); ok && len(out) < limit; ok = it.Next() {
		k := it.Key()
		var e BlobInfoEntry
		if len(k) != 1+len(e.BlobID) {
			return out, corrupt("blob info", fmt.Errorf("key %x", k))
		}
		copy(e.BlobID[:], k[1:])
		v, err := it.ValueAndErr()
		if err != nil {
			return out, fmt.Errorf("storage: blob infos: %w", err)
		}
		if e.Info, err = blobinfo.UnmarshalInfo(v); err != nil {
			return out, corrupt("blob info of "+e.BlobID.String(), err)
		}
		out = append(out, e)
	}
	if err := it.Error(); err != nil {
		return out, fmt.Errorf("storage: blob infos: %w", err)
	}
	return out, nil
}
