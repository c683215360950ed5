package node

import (
	"encoding/base64"
	"net/http"

	"github.com/walrus-go/walrus/crypto/bls"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/nodeapi"
	"github.com/walrus-go/walrus/protocol"
	"github.com/walrus-go/walrus/storage"
)

// syncShardBatch is how many slivers one store scan returns.
const syncShardBatch = 256

// syncShard serves a shard's slivers to the node that owns the shard in
// the current committee (§4.2): the request is signed by that node's
// protocol key, named in the Authorization header, and carries the
// server's epoch; the server must hold the shard (read-only once lost).
// Slivers come in blob-ID order from the starting blob ID, up to the
// requested count, MaxSyncShardSlivers and MaxSyncShardBytes.
func (n *Node) syncShard(w http.ResponseWriter, r *http.Request) error {
	v, err := n.currentView()
	if err != nil {
		return err
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(r.Header.Get("Authorization"))
	if err != nil {
		return nodeapi.Errorf(nodeapi.ErrUnauthenticated, "Authorization: want the base64 BLS public key of the requesting node")
	}
	pk, err := bls.ParsePublicKey(raw)
	if err != nil {
		return nodeapi.Errorf(nodeapi.ErrUnauthenticated, "Authorization: %v", err)
	}
	body, err := readBody(w, r, nodeapi.MaxSyncShardRequestSize)
	if err != nil {
		return err
	}
	sm, err := protocol.ParseSignedMessage(body)
	if err != nil {
		return nodeapi.Errorf(nodeapi.ErrInvalidBody, "%v", err)
	}
	if err := sm.Verify(pk); err != nil {
		return nodeapi.Errorf(nodeapi.ErrUnauthenticated, "request signature: %v", err)
	}
	req, err := protocol.ParseSyncShardRequest(sm.SerializedMessage)
	if err != nil {
		return nodeapi.Errorf(nodeapi.ErrInvalidBody, "%v", err)
	}
	if req.Epoch != v.epoch || req.RequestEpoch != v.epoch {
		return nodeapi.Errorf(nodeapi.ErrEpochMismatch, "request for epoch %d (header %d); the node is in epoch %d", req.RequestEpoch, req.Epoch, v.epoch)
	}
	if int(req.ShardIndex) >= len(v.owners) || v.owners[req.ShardIndex] != pk.Bytes() {
		return nodeapi.Errorf(nodeapi.ErrForbidden, "the requester does not own shard %d in epoch %d", req.ShardIndex, v.epoch)
	}
	// Only a shard the node holds is served: an empty answer would tell
	// the requester that the shard is empty, and it would report it synced.
	if st, err := n.store.ShardStatus(req.ShardIndex); err != nil {
		return storeErr(err, "shard status")
	} else if st != storage.ShardReadOnly && st != storage.ShardReady {
		return nodeapi.Errorf(nodeapi.ErrShardNotAssigned, "the node does not hold shard %d (status %s)", req.ShardIndex, st)
	}
	t := encoding.SliverType(req.SliverType)
	count := min(req.SliverCount, nodeapi.MaxSyncShardSlivers)
	var out []nodeapi.SyncShardEntry
	var size int64
	from := req.StartingBlobID
	for uint64(len(out)) < count && size < n.cfg.MaxSyncShardBytes {
		batch, err := n.store.ScanSlivers(req.ShardIndex, t, from, int(min(count-uint64(len(out)), syncShardBatch)))
		if err != nil {
			return storeErr(err, "scanning slivers")
		}
		for _, e := range batch {
			if size >= n.cfg.MaxSyncShardBytes {
				break
			}
			out = append(out, nodeapi.SyncShardEntry{BlobID: e.BlobID, Sliver: e.Sliver})
			size += int64(len(e.Sliver.Data)) + 48
		}
		if len(batch) < syncShardBatch || size >= n.cfg.MaxSyncShardBytes {
			break
		}
		var ok bool
		if from, ok = next(batch[len(batch)-1].BlobID); !ok {
			break
		}
	}
	nodeapi.WriteBCS(w, http.StatusOK, nodeapi.MarshalSyncShardResponse(out))
	return nil
}

// next returns the blob ID right after id in byte order; ok is false if id
// is the largest.
func next(id encoding.BlobID) (encoding.BlobID, bool) {
	for i := len(id) - 1; i >= 0; i-- {
		id[i]++
		if id[i] != 0 {
			return id, true
		}
	}
	return id, false
}
