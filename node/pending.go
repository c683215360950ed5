package node

import (
	"sync"
	"time"

	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/nodeapi"
	"github.com/walrus-go/walrus/storage"
)

// pendingCache holds uploads sent with pending=true before the node saw the
// blob's registration (§4.2): verified metadata and verified slivers, in
// memory, bounded in bytes and blobs, dropped after a time to live. The
// follower flushes a blob's entry to the store when its BlobRegistered event
// arrives.
type pendingCache struct {
	mu       sync.Mutex
	maxBytes int64
	maxBlobs int
	ttl      time.Duration
	bytes    int64
	blobs    map[encoding.BlobID]*pendingBlob
}

type pendingBlob struct {
	added   time.Time
	md      *encoding.VerifiedMetadata
	slivers map[sliverKey]*encoding.Sliver
	size    int64
}

type sliverKey struct {
	shard uint16
	t     encoding.SliverType
}

func newPendingCache(maxBytes int64, maxBlobs int, ttl time.Duration) *pendingCache {
	return &pendingCache{maxBytes: maxBytes, maxBlobs: maxBlobs, ttl: ttl, blobs: map[encoding.BlobID]*pendingBlob{}}
}

// expire drops entries older than the time to live (c.mu held).
func (c *pendingCache) expire(now time.Time) {
	for id, pb := range c.blobs {
		if now.Sub(pb.added) > c.ttl {
			c.bytes -= pb.size
			delete(c.blobs, id)
		}
	}
}

// entry returns the blob's entry, creating it if there is room (c.mu held).
func (c *pendingCache) entry(id encoding.BlobID, size int64) (*pendingBlob, error) {
	now := time.Now()
	c.expire(now)
	if c.bytes+size > c.maxBytes {
		return nil, nodeapi.Errorf(nodeapi.ErrOverloaded, "the pending-upload cache is full; retry after the registration is final")
	}
	pb := c.blobs[id]
	if pb == nil {
		if len(c.blobs) >= c.maxBlobs {
			return nil, nodeapi.Errorf(nodeapi.ErrOverloaded, "the pending-upload cache holds too many blobs")
		}
		pb = &pendingBlob{added: now, slivers: map[sliverKey]*encoding.Sliver{}}
		c.blobs[id] = pb
	}
	return pb, nil
}

func (c *pendingCache) putMetadata(md *encoding.VerifiedMetadata) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	size := int64(len(md.Metadata.Hashes)*64 + 64)
	pb, err := c.entry(md.BlobID, size)
	if err != nil || pb.md != nil {
		return err
	}
	pb.md, pb.size, c.bytes = md, pb.size+size, c.bytes+size
	return nil
}

func (c *pendingCache) putSliver(id encoding.BlobID, shard uint16, sl *encoding.Sliver) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	size := int64(len(sl.Data) + 64)
	pb, err := c.entry(id, size)
	if err != nil {
		return err
	}
	k := sliverKey{shard, sl.Type}
	if _, ok := pb.slivers[k]; ok {
		return nil
	}
	pb.slivers[k], pb.size, c.bytes = sl, pb.size+size, c.bytes+size
	return nil
}

func (c *pendingCache) metadata(id encoding.BlobID) *encoding.VerifiedMetadata {
	c.mu.Lock()
	defer c.mu.Unlock()
	if pb := c.blobs[id]; pb != nil && time.Since(pb.added) <= c.ttl {
		return pb.md
	}
	return nil
}

func (c *pendingCache) hasSliver(id encoding.BlobID, shard uint16, t encoding.SliverType) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	pb := c.blobs[id]
	if pb == nil || time.Since(pb.added) > c.ttl {
		return false
	}
	_, ok := pb.slivers[sliverKey{shard, t}]
	return ok
}

// take removes and returns a blob's entry.
func (c *pendingCache) take(id encoding.BlobID) *pendingBlob {
	c.mu.Lock()
	defer c.mu.Unlock()
	pb := c.blobs[id]
	if pb != nil {
		delete(c.blobs, id)
		c.bytes -= pb.size
	}
	return pb
}

// flushPending stores a blob's pending uploads (once it is registered).
func (n *Node) flushPending(id encoding.BlobID) {
	pb := n.pending.take(id)
	if pb == nil {
		return
	}
	// Slivers first: once the metadata shows as stored, so do the slivers.
	byShard := map[uint16][]storage.SliverEntry{}
	for k, sl := range pb.slivers {
		byShard[k.shard] = append(byShard[k.shard], storage.SliverEntry{BlobID: id, Sliver: sl})
	}
	for shard, entries := range byShard {
		if err := n.store.PutSlivers(shard, entries); err != nil {
			n.log.Warn("storing pending slivers", "blob", id, "shard", shard, "err", err)
			continue
		}
		for _, e := range entries {
			n.metrics.storedSlivers("pending", e.Sliver.Type, 1)
		}
	}
	if pb.md != nil {
		if ok, err := n.store.HasMetadata(id); err != nil || !ok {
			if err := n.store.PutMetadata(pb.md); err != nil {
				n.log.Warn("storing pending metadata", "blob", id, "err", err)
			} else {
				n.metrics.metadata.WithLabelValues("pending").Inc()
			}
		}
	}
}
