package nodeapi

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"

	"github.com/walrus-go/walrus/bcs"
	"github.com/walrus-go/walrus/crypto/bls"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/protocol"
)

// Shard sync (§4.2, POST /v1/migrate/sync_shard): a node that gained a
// shard fetches its slivers from the previous owner.
const (
	RouteSyncShard = "POST /v1/migrate/sync_shard"
	SyncShardPath  = "/v1/migrate/sync_shard"
	// MaxSyncShardSlivers is the server's cap on slivers per request.
	MaxSyncShardSlivers = 100_000
	// MaxSyncShardRequestSize bounds the request body (a signed request).
	MaxSyncShardRequestSize = 4 << 10
)

// SyncShardEntry is one sliver of a shard with its blob.
type SyncShardEntry struct {
	BlobID encoding.BlobID
	Sliver *encoding.Sliver
}

// MarshalSyncShardResponse returns SyncShardResponse::V1(vec<(BlobId,
// Sliver)>) in BCS, where Sliver is the enum {Primary, Secondary}.
func MarshalSyncShardResponse(entries []SyncShardEntry) []byte {
	size := 8
	for _, e := range entries {
		size += 32 + 1 + 9 + len(e.Sliver.Data)
	}
	enc := bcs.NewEncoder(size)
	enc.ULEB(0) // V1
	enc.ULEB(uint32(len(entries)))
	for _, e := range entries {
		enc.Fixed(e.BlobID[:])
		enc.ULEB(uint32(e.Sliver.Type))
		encoding.EncodeSliver(enc, e.Sliver)
	}
	return enc.Bytes()
}

// UnmarshalSyncShardResponse parses a SyncShardResponse strictly.
func UnmarshalSyncShardResponse(b []byte) ([]SyncShardEntry, error) {
	d := bcs.NewDecoder(b)
	d.Tag(1)
	n := d.Len(MaxSyncShardSlivers, 32+1+1+2+2)
	var out []SyncShardEntry
	for i := 0; i < n && d.Err() == nil; i++ {
		var e SyncShardEntry
		d.FixedInto(e.BlobID[:])
		t := encoding.SliverType(d.Tag(2))
		data := d.ByteVec(1 << 31)
		s := &encoding.Sliver{Type: t, SymbolSize: d.U16(), Index: d.U16()}
		if d.Err() == nil && (s.SymbolSize == 0 || len(data)%int(s.SymbolSize) != 0) {
			d.Fail(fmt.Errorf("sliver of %d bytes with symbol size %d", len(data), s.SymbolSize))
		}
		s.Data = append([]byte(nil), data...)
		e.Sliver = s
		out = append(out, e)
	}
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("%w: sync-shard response: %v", ErrBadResponse, err)
	}
	return out, nil
}

// SyncShard asks the node (the shard's previous owner) for slivers of a
// shard, signing the request with the requesting node's protocol key.
func (c *Client) SyncShard(ctx context.Context, sk *bls.SecretKey, req *protocol.SyncShardRequest) ([]SyncShardEntry, error) {
	sm := protocol.Sign(sk, req.Marshal())
	pk := sk.PublicKey().Bytes()
	hdr := http.Header{"Authorization": {base64.StdEncoding.EncodeToString(pk[:])}}
	_, b, err := c.doHeader(ctx, http.MethodPost, SyncShardPath, "", sm.MarshalBCS(), hdr)
	if err != nil {
		return nil, err
	}
	return UnmarshalSyncShardResponse(b)
}
