package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/nodeapi"
	"github.com/walrus-go/walrus/protocol"
	"github.com/walrus-go/walrus/storage"

	dto "github.com/prometheus/client_model/go"
	"github.com/walrus-go/walrus/storage/blobinfo"
)

func randomBlob(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func encode(t testing.TB, seed uint64, size int) (*encoding.EncodedBlob, []byte) {
	t.Helper()
	blob := randomBlob(seed, size)
	enc, err := encoding.Encode(blob, testShards)
	if err != nil {
		t.Fatal(err)
	}
	return enc, blob
}

// TestStoreAndRead is the write and read paths of a permanent blob through
// four nodes and the chain, then a node restart.
func TestStoreAndRead(t *testing.T) {
	if testing.Short() {
		t.Skip("whole-network test")
	}
	tn := newTestNet(t)
	ctx := tn.ctx
	enc, blob := encode(t, 1, 100_000)
	id := enc.Metadata.BlobID

	tn.register(enc.Metadata, false)
	tn.waitStatus(id, isKind(nodeapi.StatusPermanent))
	tn.upload(enc)

	// Uploading again is acknowledged as already stored.
	if r, err := tn.nodes[0].api.PutMetadata(ctx, enc.Metadata); err != nil || r != nodeapi.PutAlreadyStored {
		t.Fatalf("second metadata put: %v %v", r, err)
	}
	pair := enc.PairForShard(0)
	if r, err := tn.nodes[tn.owner(0)].api.PutSliver(ctx, id, uint16(pair.PairIndex()), &pair.Primary); err != nil || r != nodeapi.PutAlreadyStored {
		t.Fatalf("second sliver put: %v %v", r, err)
	}

	// Confirmations from every node make a certificate the chain accepts.
	sys, err := tn.c.System(ctx)
	if err != nil {
		t.Fatal(err)
	}
	msg := (&protocol.StorageConfirmation{Epoch: sys.Epoch, BlobID: id}).Marshal()
	cert := tn.certificate(msg, func(c *nodeapi.Client) (*protocol.SignedMessage, error) { return c.PermanentConfirmation(ctx, id) })
	objs, err := tn.c.BlobObjects(ctx, id)
	if err != nil || len(objs) != 1 {
		t.Fatalf("blob objects: %v %v", objs, err)
	}
	if _, err := tn.c.Send(ctx, tn.user, &chain.MsgCertifyBlob{Blob: objs[0].ID(), Cert: cert}); err != nil {
		t.Fatal(err)
	}
	tn.waitStatus(id, func(s nodeapi.BlobStatus) bool { return s.Kind == nodeapi.StatusPermanent && s.IsCertified })
	st, _ := tn.nodes[0].api.BlobStatus(ctx, id)
	if st.EndEpoch != chain.GenesisEpoch+2 || st.InitialCertifiedEpoch == nil || *st.InitialCertifiedEpoch != chain.GenesisEpoch {
		t.Fatalf("status %+v", st)
	}

	// Read back: metadata from any node, every primary sliver from its
	// owner; decode.
	md, err := tn.nodes[3].api.GetMetadata(ctx, id, testShards)
	if err != nil || md.BlobID != id {
		t.Fatalf("get metadata: %v", err)
	}
	x, _ := encoding.NewExpander(testShards)
	var prim []encoding.Sliver
	for s := range testShards {
		p := enc.PairForShard(s)
		rn := tn.nodes[tn.owner(s)]
		for _, want := range []encoding.Sliver{p.Primary, p.Secondary} {
			got, err := rn.api.GetSliver(ctx, id, uint16(p.PairIndex()), want.Type)
			if err != nil {
				t.Fatalf("get sliver: %v", err)
			}
			if !bytes.Equal(got.Data, want.Data) || got.Index != want.Index {
				t.Fatalf("shard %d %s sliver differs", s, want.Type)
			}
			if err := x.VerifySliver(md, got); err != nil {
				t.Fatal(err)
			}
			if got.Type == encoding.Primary {
				prim = append(prim, *got)
			}
		}
		if st, err := rn.api.SliverStatus(ctx, id, uint16(p.PairIndex()), encoding.Secondary); err != nil || st != nodeapi.Stored {
			t.Fatalf("sliver status %v %v", st, err)
		}
	}
	got, err := x.DecodeBlob(md, prim[:x.Params().Primary()], encoding.CheckStrict)
	if err != nil || !bytes.Equal(got, blob) {
		t.Fatalf("decode: %v", err)
	}

	// Recovery: primary sliver 4 from the nodes' symbols (target query),
	// and one symbol by ID.
	var syms []encoding.RecoverySymbol
	for _, rn := range tn.nodes {
		gs, err := rn.api.RecoverySymbols(ctx, id, &nodeapi.RecoveryQuery{HasTarget: true, TargetSliver: 4, TargetType: encoding.Primary})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range gs {
			if g.TargetType != encoding.Primary || g.TargetIndex != 4 {
				t.Fatalf("symbol for %s %d", g.TargetType, g.TargetIndex)
			}
			syms = append(syms, g.Symbol)
		}
	}
	if len(syms) != testShards {
		t.Fatalf("%d symbols, want one per secondary sliver", len(syms))
	}
	rec, proof, err := x.RecoverSliver(md, encoding.Primary, 4, syms)
	if err != nil || proof != nil || !bytes.Equal(rec.Data, enc.PrimarySliver(4).Data) {
		t.Fatalf("recover: %v", err)
	}
	sid := encoding.SymbolID{Primary: 2, Secondary: 5}
	owner := tn.owner(x.Params().PairToShard(id, 2))
	gs, err := tn.nodes[owner].api.RecoverySymbols(ctx, id, &nodeapi.RecoveryQuery{IDs: []encoding.SymbolID{sid}})
	if err != nil || len(gs) != 1 || gs[0].ID() != sid {
		t.Fatalf("symbol by ID: %v %v", gs, err)
	}
	if err := encoding.VerifyRecoverySymbol(md, gs[0].TargetType, int(gs[0].TargetIndex), &gs[0].Symbol); err != nil {
		t.Fatal(err)
	}

	// Decoding symbols (no proofs) for two secondary slivers from every
	// node: enough to decode each, and the result matches.
	dec := map[uint16][]encoding.DecodingSymbol{}
	for _, rn := range tn.nodes {
		ds, err := rn.api.DecodingSymbols(ctx, id, &nodeapi.DecodingQuery{Targets: []uint16{0, 7}, TargetType: encoding.Secondary})
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range ds.Symbols {
			dec[k] = append(dec[k], v...)
		}
	}
	for _, k := range []uint16{0, 7} {
		if len(dec[k]) != testShards {
			t.Fatalf("target %d: %d symbols", k, len(dec[k]))
		}
		for _, ds := range dec[k] {
			want := enc.PrimarySliver(int(ds.Index))
			gs, err := x.RecoverySymbols(md, &want, []int{int(k)})
			if err != nil || !bytes.Equal(gs[0].Symbol.Data, ds.Data) {
				t.Fatalf("target %d: symbol from %d differs", k, ds.Index)
			}
		}
	}

	// Shard sync: the owner of shard 0 may fetch its slivers (here from
	// itself); another node may not; the epoch must match.
	o := tn.owner(0)
	req := &protocol.SyncShardRequest{Epoch: chain.GenesisEpoch, ShardIndex: 0, SliverType: protocol.Secondary, SliverCount: 10, RequestEpoch: chain.GenesisEpoch}
	entries, err := tn.nodes[o].api.SyncShard(ctx, tn.sks[o], req)
	if err != nil || len(entries) != 1 || entries[0].BlobID != id || !bytes.Equal(entries[0].Sliver.Data, enc.PairForShard(0).Secondary.Data) {
		t.Fatalf("sync shard: %d entries, %v", len(entries), err)
	}
	wantAPIError(t, "sync shard by non-owner", func() error { _, err := tn.nodes[o].api.SyncShard(ctx, tn.sks[(o+1)%4], req); return err }(), nodeapi.ErrForbidden)
	stale := *req
	stale.RequestEpoch = chain.GenesisEpoch + 1
	wantAPIError(t, "sync shard epoch", func() error { _, err := tn.nodes[o].api.SyncShard(ctx, tn.sks[o], &stale); return err }(), nodeapi.ErrEpochMismatch)

	// Restart a node: its data and blob info stay, and its follower resumes
	// from the stored cursor (it sees events after the restart, none twice).
	h, err := tn.nodes[2].api.Health(ctx, true)
	if err != nil || h.ShardDetail == nil || len(h.ShardDetail.Owned) != h.ShardSummary.Owned || h.ShardSummary.OwnedShardStatus.Ready != h.ShardSummary.Owned {
		t.Fatalf("health %+v %v", h, err)
	}
	before, _, _ := tn.nodes[2].n.Store().Cursor()
	tn.stopNode(2)
	enc2, _ := encode(t, 2, 5000)
	tn.register(enc2.Metadata, false) // while node 2 is down
	tn.register(enc2.Metadata, true)  // a second object of the same blob
	tn.startNode(2)
	tn.waitStatus(enc2.Metadata.BlobID, isKind(nodeapi.StatusPermanent))
	after, _, _ := tn.nodes[2].n.Store().Cursor()
	if !before.Less(after) {
		t.Fatalf("cursor %v -> %v", before, after)
	}
	tn.waitFor("node 2 to count both objects", func() bool {
		in, err := tn.nodes[2].n.Store().BlobInfo(enc2.Metadata.BlobID)
		return err == nil && in.RegisteredDeletable == 1
	})
	if in, _ := tn.nodes[2].n.Store().BlobInfo(enc2.Metadata.BlobID); in.PermanentRegistered == nil || in.PermanentRegistered.Count != 1 {
		t.Fatalf("objects of the blob registered during the downtime: %+v", in)
	}
	info, err := tn.nodes[2].n.Store().BlobInfo(id)
	if err != nil || info.PermanentRegistered.Count != 1 || info.PermanentCertified.Count != 1 {
		t.Fatalf("info after restart %+v %v", info, err)
	}
	for s := range testShards {
		if tn.owner(s) != 2 {
			continue
		}
		p := enc.PairForShard(s)
		got, err := tn.nodes[2].api.GetSliver(ctx, id, uint16(p.PairIndex()), encoding.Secondary)
		if err != nil || !bytes.Equal(got.Data, p.Secondary.Data) {
			t.Fatalf("sliver after restart: %v", err)
		}
	}
	if _, err := tn.nodes[2].api.PermanentConfirmation(ctx, id); err != nil {
		t.Fatalf("confirmation after restart: %v", err)
	}
}

// TestDeletableAndRejections covers deletable confirmations and the
// refusals of bad requests, with their status codes and AIP-193 bodies.
func TestDeletableAndRejections(t *testing.T) {
	if testing.Short() {
		t.Skip("whole-network test")
	}
	tn := newTestNet(t)
	ctx := tn.ctx
	enc, _ := encode(t, 3, 20_000)
	id := enc.Metadata.BlobID
	other, _ := encode(t, 4, 20_000) // never registered

	// Unregistered blob.
	wantAPIError(t, "unregistered metadata", func() error { _, err := tn.nodes[0].api.PutMetadata(ctx, other.Metadata); return err }(), nodeapi.ErrNotRegistered)
	wantAPIError(t, "unknown metadata", func() error {
		_, err := tn.nodes[0].api.GetMetadata(ctx, other.Metadata.BlobID, testShards)
		return err
	}(), nodeapi.ErrNotFound)

	// A blob on the deny list.
	tn.block(other.Metadata.BlobID)
	wantAPIError(t, "denied metadata", func() error { _, err := tn.nodes[0].api.PutMetadata(ctx, other.Metadata); return err }(), nodeapi.ErrForbidden)
	checkAIP(t, rawRequest(t, tn.nodes[0].hc, http.MethodGet, tn.nodes[0].n.URL()+nodeapi.MetadataPath(other.Metadata.BlobID), nil), 403, "PERMISSION_DENIED", "FORBIDDEN")

	obj := tn.register(enc.Metadata, true)
	tn.waitStatus(id, isKind(nodeapi.StatusDeletable))
	n0 := tn.nodes[0].api

	// Slivers before metadata.
	s0 := tn.owner(0)
	p0 := enc.PairForShard(0)
	wantAPIError(t, "sliver before metadata", func() error {
		_, err := tn.nodes[s0].api.PutSliver(ctx, id, uint16(p0.PairIndex()), &p0.Primary)
		return err
	}(), nodeapi.ErrMetadataMissing)

	// Bad metadata: another blob's, and garbage.
	bad := *enc.Metadata
	bad.Metadata = other.Metadata.Metadata
	wantAPIError(t, "wrong metadata", func() error { _, err := n0.PutMetadata(ctx, &bad); return err }(), nodeapi.ErrInvalidMetadata)
	resp := rawRequest(t, tn.nodes[0].hc, http.MethodPut, tn.nodes[0].n.URL()+nodeapi.MetadataPath(id), []byte{0, 1, 2})
	checkAIP(t, resp, 400, "INVALID_ARGUMENT", "INVALID_METADATA")

	tn.upload(enc)

	// Wrong shard: a pair sent to a node that does not hold its shard.
	wrong := (s0 + 1) % 4
	wantAPIError(t, "wrong shard", func() error {
		_, err := tn.nodes[wrong].api.PutSliver(ctx, id, uint16(p0.PairIndex()), &p0.Primary)
		return err
	}(), nodeapi.ErrShardNotAssigned)

	// Tampered sliver, and a sliver under another pair's index, at the
	// right node: remove the stored one first so the upload is checked.
	st := tn.nodes[s0].n.Store()
	if err := st.DeleteSliver(0, encoding.Primary, id); err != nil {
		t.Fatal(err)
	}
	tampered := p0.Primary
	tampered.Data = bytes.Clone(tampered.Data)
	tampered.Data[3] ^= 1
	wantAPIError(t, "tampered sliver", func() error {
		_, err := tn.nodes[s0].api.PutSliver(ctx, id, uint16(p0.PairIndex()), &tampered)
		return err
	}(), nodeapi.ErrInvalidSliver)
	otherPair := enc.PrimarySliver((p0.PairIndex() + 1) % testShards)
	wantAPIError(t, "sliver of another pair", func() error {
		_, err := tn.nodes[s0].api.PutSliver(ctx, id, uint16(p0.PairIndex()), &otherPair)
		return err
	}(), nodeapi.ErrInvalidSliver)

	// The node now misses a sliver: no confirmation.
	wantAPIError(t, "incomplete", func() error { _, err := tn.nodes[s0].api.DeletableConfirmation(ctx, id, obj); return err }(), nodeapi.ErrNotFullyStored)
	if _, err := tn.nodes[s0].api.PutSliver(ctx, id, uint16(p0.PairIndex()), &p0.Primary); err != nil {
		t.Fatal(err)
	}

	// Oversized body (Content-Length known, and streamed).
	big := make([]byte, 2<<20)
	resp = rawRequest(t, tn.nodes[s0].hc, http.MethodPut, tn.nodes[s0].n.URL()+nodeapi.SliverPath(id, uint16(p0.PairIndex()), encoding.Primary), big)
	checkAIP(t, resp, 413, "RESOURCE_EXHAUSTED", "REQUEST_TOO_LARGE")
	req, _ := http.NewRequest(http.MethodPut, tn.nodes[0].n.URL()+nodeapi.MetadataPath(encoding.BlobID{7}), io.MultiReader(bytes.NewReader(big)))
	req.ContentLength = -1
	r2, err := tn.nodes[0].hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	checkAIP(t, r2, 413, "RESOURCE_EXHAUSTED", "REQUEST_TOO_LARGE")

	// Malformed paths and queries.
	base := tn.nodes[0].n.URL()
	for _, c := range []struct {
		method, path   string
		code           int
		status, reason string
	}{
		{"GET", "/v1/blobs/not-a-blob-id/metadata", 400, "INVALID_ARGUMENT", "INVALID_BLOB_ID"},
		{"GET", "/v1/blobs/" + id.String() + "/slivers/x/primary", 400, "INVALID_ARGUMENT", "INVALID_PARAMETER"},
		{"GET", "/v1/blobs/" + id.String() + "/slivers/01/primary", 400, "INVALID_ARGUMENT", "INVALID_PARAMETER"},
		{"GET", "/v1/blobs/" + id.String() + "/slivers/1/tertiary", 400, "INVALID_ARGUMENT", "INVALID_PARAMETER"},
		{"GET", "/v1/blobs/" + id.String() + "/slivers/65535/primary", 400, "INVALID_ARGUMENT", "INVALID_PARAMETER"},
		{"GET", "/v1/blobs/" + id.String() + "/recoverySymbols?id=1-", 400, "INVALID_ARGUMENT", "INVALID_PARAMETER"},
		{"GET", "/v1/blobs/" + id.String() + "/recoverySymbols", 400, "INVALID_ARGUMENT", "INVALID_PARAMETER"},
		{"GET", "/v1/blobs/" + id.String() + "/confirmation/deletable/0x12", 400, "INVALID_ARGUMENT", "INVALID_PARAMETER"},
		{"GET", "/v1/health?detailed=maybe", 400, "INVALID_ARGUMENT", "INVALID_PARAMETER"},
		{"GET", "/v1/nothing", 404, "NOT_FOUND", "ROUTE_NOT_FOUND"},
		{"DELETE", "/v1/blobs/" + id.String() + "/metadata", 405, "UNIMPLEMENTED", "METHOD_NOT_ALLOWED"},
		{"PATCH", "/v1/health", 405, "UNIMPLEMENTED", "METHOD_NOT_ALLOWED"},
		{"POST", "/v1/blobs/" + id.String() + "/inconsistencyProof/primary", 400, "INVALID_ARGUMENT", "INVALID_INCONSISTENCY_PROOF"},
	} {
		checkAIP(t, rawRequest(t, tn.nodes[0].hc, c.method, base+c.path, nil), c.code, c.status, c.reason)
	}

	// Deletable confirmations: bound to the live object; another object ID
	// is refused; a permanent confirmation is refused (no permanent object).
	msg := (&protocol.StorageConfirmation{Epoch: chain.GenesisEpoch, BlobID: id, Deletable: true, ObjectID: obj}).Marshal()
	cert := tn.certificate(msg, func(c *nodeapi.Client) (*protocol.SignedMessage, error) { return c.DeletableConfirmation(ctx, id, obj) })
	wantAPIError(t, "other object", func() error { _, err := n0.DeletableConfirmation(ctx, id, [32]byte{9}); return err }(), nodeapi.ErrObjectNotLive)
	wantAPIError(t, "permanent of deletable", func() error { _, err := n0.PermanentConfirmation(ctx, id); return err }(), nodeapi.ErrNotRegistered)
	if _, err := tn.c.Send(ctx, tn.user, &chain.MsgCertifyBlob{Blob: obj, Cert: cert}); err != nil {
		t.Fatal(err)
	}
	tn.waitStatus(id, func(s nodeapi.BlobStatus) bool { return s.Kind == nodeapi.StatusDeletable && s.Counts.Certified == 1 })

	// Deleting the object: the blob is no longer registered; reads refuse.
	if _, err := tn.c.Send(ctx, tn.user, &chain.MsgDeleteBlob{Blob: obj}); err != nil {
		t.Fatal(err)
	}
	tn.waitStatus(id, isKind(nodeapi.StatusNonexistent))
	for i, rn := range tn.nodes {
		tn.waitFor(fmt.Sprintf("node %d to delete the blob's data", i), func() bool {
			ok, err := rn.n.Store().HasMetadata(id)
			return err == nil && !ok
		})
	}
	if ok, _ := tn.nodes[s0].n.Store().HasSliver(0, encoding.Secondary, id); ok {
		t.Fatal("a sliver of the deleted blob is left")
	}
	wantAPIError(t, "read deleted", func() error {
		_, err := tn.nodes[s0].api.GetSliver(ctx, id, uint16(p0.PairIndex()), encoding.Primary)
		return err
	}(), nodeapi.ErrNotRegistered)
}

// maliciousEncode encodes a random blob, replaces primary sliver row by
// garbage and computes the metadata over the tampered sliver (as a malicious
// writer would): every sliver verifies against the lying metadata, but the
// columns disagree with that row, so recovering primary sliver row from the
// columns' symbols exposes the lie.
func maliciousEncode(t testing.TB, seed uint64, size, row int) *encoding.EncodedBlob {
	t.Helper()
	enc, _ := encode(t, seed, size)
	x, _ := encoding.NewExpander(testShards)
	s := enc.PrimarySliver(row)
	copy(s.Data, randomBlob(seed+1000, len(s.Data)))
	m := enc.Metadata.Metadata
	m.Hashes = append([]encoding.PairMetadata(nil), m.Hashes...)
	m.Hashes[row].Primary = x.SliverRoot(&s)
	enc.Metadata = &encoding.VerifiedMetadata{BlobID: m.ComputeBlobID(), Metadata: m}
	return enc
}

// TestInvalidBlob stores an inconsistently encoded blob, recovers a sliver
// from the nodes' symbols to obtain an inconsistency proof, collects the
// nodes' attestations into an invalid-blob certificate, and checks that
// the nodes drop the blob once the chain marks it invalid.
func TestInvalidBlob(t *testing.T) {
	if testing.Short() {
		t.Skip("whole-network test")
	}
	tn := newTestNet(t)
	ctx := tn.ctx
	const row = 1
	enc := maliciousEncode(t, 5, 30_000, row)
	x, _ := encoding.NewExpander(testShards)
	md := enc.Metadata
	id := md.BlobID

	tn.register(md, false)
	tn.waitStatus(id, isKind(nodeapi.StatusPermanent))
	tn.upload(enc) // every sliver verifies against the lying metadata

	var syms []encoding.RecoverySymbol
	for _, rn := range tn.nodes {
		gs, err := rn.api.RecoverySymbols(ctx, id, &nodeapi.RecoveryQuery{HasTarget: true, TargetSliver: row, TargetType: encoding.Primary})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range gs {
			syms = append(syms, g.Symbol)
		}
	}
	_, proof, err := x.RecoverSliver(md, encoding.Primary, row, syms)
	if proof == nil {
		t.Fatalf("no inconsistency found: %v", err)
	}
	msg := (&protocol.InvalidBlobID{Epoch: chain.GenesisEpoch, BlobID: id}).Marshal()
	cert := tn.certificate(msg, func(c *nodeapi.Client) (*protocol.SignedMessage, error) { return c.InconsistencyProof(ctx, id, proof) })
	if _, err := tn.c.Send(ctx, tn.user, &chain.MsgInvalidateBlob{Cert: cert}); err != nil {
		t.Fatal(err)
	}
	tn.waitStatus(id, isKind(nodeapi.StatusInvalid))
	for i, rn := range tn.nodes {
		// The follower deletes the data right after applying the event.
		tn.waitFor(fmt.Sprintf("node %d deletes the invalid blob's metadata", i), func() bool {
			ok, err := rn.n.Store().HasMetadata(id)
			return err == nil && !ok
		})
		wantAPIError(t, "metadata of invalid", func() error { _, err := rn.api.PutMetadata(ctx, md); return err }(), nodeapi.ErrBlobInvalid)
	}
	for sh := range testShards {
		if ok, _ := tn.nodes[tn.owner(sh)].n.Store().HasSliver(uint16(sh), encoding.Secondary, id); ok {
			t.Errorf("shard %d keeps a sliver of the invalid blob", sh)
		}
	}
}

func rawRequest(t *testing.T, hc *http.Client, method, url string, body []byte) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.ProtoMajor != 2 {
		t.Fatalf("%s %s: %s, want HTTP/2", method, url, resp.Proto)
	}
	return resp
}

// checkAIP checks an error response's status and AIP-193 body.
func checkAIP(t *testing.T, resp *http.Response, code int, status, reason string) {
	t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var body struct {
		Error struct {
			Code    int    `json:"code"`
			Status  string `json:"status"`
			Message string `json:"message"`
			Details []struct {
				Type   string `json:"@type"`
				Reason string `json:"reason"`
				Domain string `json:"domain"`
			} `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("%s %s: not JSON: %s", resp.Request.Method, resp.Request.URL.Path, b)
	}
	e := body.Error
	got := fmt.Sprintf("%d %d %s %v", resp.StatusCode, e.Code, e.Status, e.Details)
	if resp.StatusCode != code || e.Code != code || e.Status != status || len(e.Details) != 1 || e.Details[0].Type != "ErrorInfo" ||
		e.Details[0].Reason != reason || e.Details[0].Domain != nodeapi.Domain || e.Message == "" ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("%s %s: got %s (%s), want %d %s %s", resp.Request.Method, resp.Request.URL, got, e.Message, code, status, reason)
	}
}

// TestTLSPinning checks that the API speaks HTTP/2 over TLS with the node's
// network key, and that a client pinning another key refuses the node.
func TestTLSPinning(t *testing.T) {
	if testing.Short() {
		t.Skip("whole-network test")
	}
	tn := newTestNet(t)
	rn := tn.nodes[0]
	resp := rawRequest(t, rn.hc, http.MethodGet, rn.n.URL()+nodeapi.HealthPath, nil)
	resp.Body.Close()
	if resp.TLS == nil || resp.TLS.NegotiatedProtocol != "h2" {
		t.Fatalf("TLS state %+v", resp.TLS)
	}
	resp = rawRequest(t, rn.hc, http.MethodGet, rn.n.URL()+"/v1/api", nil)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !json.Valid(b) || !strings.Contains(string(b), "/v1/migrate/sync_shard") {
		t.Fatalf("/v1/api: %s", resp.Status)
	}
	wrong := tn.nks[1].PublicKey()
	c, err := nodeapi.NewClient(nodeapi.ClientConfig{BaseURL: rn.n.URL(), NetworkPublicKey: &wrong})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Health(tn.ctx, false); !errors.Is(err, nodeapi.ErrPinMismatch) {
		t.Fatalf("wrong pin: %v", err)
	}
	right := tn.nks[0].PublicKey()
	c, _ = nodeapi.NewClient(nodeapi.ClientConfig{BaseURL: rn.n.URL(), NetworkPublicKey: &right})
	if _, err := c.Health(tn.ctx, false); err != nil {
		t.Fatalf("right pin: %v", err)
	}
	// Plain HTTP to the TLS port fails.
	if resp, err := http.Get("http://" + rn.n.Addr().String() + nodeapi.HealthPath); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("plain HTTP: %s", resp.Status)
		}
	}
}

// TestPendingUploads uploads metadata and slivers with pending=true before
// the registration: the nodes hold them and store them when the
// BlobRegistered event arrives.
func TestPendingUploads(t *testing.T) {
	if testing.Short() {
		t.Skip("whole-network test")
	}
	tn := newTestNet(t)
	ctx := tn.ctx
	enc, _ := encode(t, 6, 40_000)
	id := enc.Metadata.BlobID
	for i, rn := range tn.nodes {
		if r, err := rn.api.PutMetadataPending(ctx, enc.Metadata); err != nil || r != nodeapi.PutBuffered {
			t.Fatalf("node %d: %v %v", i, r, err)
		}
		if st, err := rn.api.MetadataStatus(ctx, id); err != nil || st != nodeapi.Buffered {
			t.Fatalf("node %d: metadata status %v %v", i, st, err)
		}
	}
	for s := range testShards {
		rn := tn.nodes[tn.owner(s)]
		p := enc.PairForShard(s)
		for _, sl := range []encoding.Sliver{p.Primary, p.Secondary} {
			if r, err := rn.api.PutSliverPending(ctx, id, uint16(p.PairIndex()), &sl); err != nil || r != nodeapi.PutBuffered {
				t.Fatalf("shard %d: %v %v", s, r, err)
			}
		}
		if st, err := rn.api.SliverStatus(ctx, id, uint16(p.PairIndex()), encoding.Primary); err != nil || st != nodeapi.Buffered {
			t.Fatalf("shard %d: sliver status %v %v", s, st, err)
		}
	}
	// Without pending=true the upload is refused; a tampered pending
	// sliver is refused too.
	p0 := enc.PairForShard(0)
	wantAPIError(t, "not pending", func() error {
		_, err := tn.nodes[tn.owner(0)].api.PutSliver(ctx, id, uint16(p0.PairIndex()), &p0.Primary)
		return err
	}(), nodeapi.ErrNotRegistered)

	tn.register(enc.Metadata, false)
	for i, rn := range tn.nodes {
		tn.waitFor(fmt.Sprintf("node %d stores the pending metadata", i), func() bool {
			st, err := rn.api.MetadataStatus(ctx, id)
			return err == nil && st == nodeapi.Stored
		})
	}
	msg := (&protocol.StorageConfirmation{Epoch: chain.GenesisEpoch, BlobID: id}).Marshal()
	tn.certificate(msg, func(c *nodeapi.Client) (*protocol.SignedMessage, error) { return c.PermanentConfirmation(ctx, id) })
}

// TestBlobSync leaves one node out of the upload; after certification it
// fetches the metadata from a peer and recovers its slivers from the
// others' recovery symbols, over pinned HTTPS to their registered
// addresses, and then confirms the blob too. No invalid-blob flow starts.
func TestBlobSync(t *testing.T) {
	if testing.Short() {
		t.Skip("whole-network test")
	}
	tn := newTestNet(t)
	ctx := tn.ctx
	enc, _ := encode(t, 10, 60_000)
	id := enc.Metadata.BlobID
	com, idx := tn.committee()
	skip, least := -1, testShards+1
	for m := range com.Len() {
		if w := com.Weight(m); w < least {
			skip, least = idx[m], w
		}
	}
	tn.register(enc.Metadata, false)
	tn.waitStatus(id, isKind(nodeapi.StatusPermanent))
	tn.uploadWithout(skip, enc)
	msg := (&protocol.StorageConfirmation{Epoch: chain.GenesisEpoch, BlobID: id}).Marshal()
	cert := tn.certificateWithout(skip, msg, func(c *nodeapi.Client) (*protocol.SignedMessage, error) { return c.PermanentConfirmation(ctx, id) })
	objs, err := tn.c.BlobObjects(ctx, id)
	if err != nil || len(objs) != 1 {
		t.Fatal(objs, err)
	}
	if _, err := tn.c.Send(ctx, tn.user, &chain.MsgCertifyBlob{Blob: objs[0].ID(), Cert: cert}); err != nil {
		t.Fatal(err)
	}
	rn := tn.nodes[skip]
	tn.waitFor("the skipped node to sync", func() bool {
		_, err := rn.api.PermanentConfirmation(ctx, id)
		return err == nil
	})
	for s := range testShards {
		if tn.owner(s) != skip {
			continue
		}
		p := enc.PairForShard(s)
		for _, want := range []encoding.Sliver{p.Primary, p.Secondary} {
			got, err := rn.api.GetSliver(ctx, id, uint16(p.PairIndex()), want.Type)
			if err != nil || !bytes.Equal(got.Data, want.Data) || got.Index != want.Index {
				t.Fatalf("shard %d %s: %v", s, want.Type, err)
			}
		}
	}
	// An honest blob's sync never starts the invalid-blob flow.
	if got := syncCount(t, rn.n, "inconsistent"); got != 0 {
		t.Errorf("%v syncs found the honest blob inconsistent", got)
	}
	for i, o := range tn.nodes {
		if got := flowCount(t, o.n, "started"); got != 0 || o.n.invalidationRunning(id) {
			t.Errorf("node %d: %v invalid-blob flows started for an honest blob", i, got)
		}
	}
	if st, err := rn.api.BlobStatus(ctx, id); err != nil || st.Kind != nodeapi.StatusPermanent || !st.IsCertified {
		t.Fatalf("status %+v, %v", st, err)
	}
}

// TestGarbageCollection runs a node's collection for the epoch in which a
// blob's storage ends: its object records expire and its data is deleted,
// once.
func TestGarbageCollection(t *testing.T) {
	if testing.Short() {
		t.Skip("whole-network test")
	}
	tn := newTestNet(t)
	enc, _ := encode(t, 12, 10_000)
	id := enc.Metadata.BlobID
	tn.register(enc.Metadata, false) // storage for epochs 1 and 2
	tn.waitStatus(id, isKind(nodeapi.StatusPermanent))
	tn.upload(enc)
	o := tn.owner(0)
	n := tn.nodes[o].n
	end := uint32(chain.GenesisEpoch + 2)
	if err := n.maybeCollect(tn.ctx, end-1); err != nil {
		t.Fatal(err)
	}
	if ok, _ := n.Store().HasMetadata(id); !ok {
		t.Fatal("collected a live blob")
	}
	// Epoch end is not the chain's yet: its delay counts from the first
	// attempt. Before the node's delay, only phase 1 runs.
	pk := tn.sks[o].PublicKey().Bytes()
	delay := GCRandomDelay(pk[:], end, tn.g.EpochDuration)
	if err := n.maybeCollect(tn.ctx, end); err != nil {
		t.Fatal(err)
	}
	if ok, _ := n.Store().HasMetadata(id); !ok && delay > 0 {
		t.Fatal("deleted before the node's delay")
	}
	if g, _, _ := n.Store().GCProgress(); g.LastCompleted >= end && delay > 0 {
		t.Fatalf("completed before the delay: %+v", g)
	}
	tn.clockOffset.Add(int64(delay + time.Second))
	if err := n.maybeCollect(tn.ctx, end); err != nil {
		t.Fatal(err)
	}
	if ok, _ := n.Store().HasMetadata(id); ok {
		t.Fatal("metadata of an expired blob kept")
	}
	if ok, _ := n.Store().HasSliver(0, encoding.Primary, id); ok {
		t.Fatal("sliver of an expired blob kept")
	}
	if g, ok, err := n.Store().GCProgress(); err != nil || !ok || g.LastCompleted != end || g.LastStarted != end {
		t.Fatalf("progress %+v %v %v", g, ok, err)
	}
	if st, err := n.Store().BlobStatus(id, end); err != nil || st.Kind != blobinfo.Nonexistent {
		t.Fatalf("status after expiry %+v %v", st, err)
	}
}

// TestEpochChange stakes on the node with the fewest shards so that it
// gains shards in epoch 2: it fetches them from their previous owners with
// sync_shard, every node reports epoch_sync_done with its operator key,
// and the chain completes the epoch change.
func TestEpochChange(t *testing.T) {
	if testing.Short() {
		t.Skip("whole-network test with an epoch change")
	}
	testEpochChange(t, false)
}

// TestShardRecoveryFallback is TestEpochChange with the gaining node's
// sync_shard requests failing: after ShardRecoveryAfter it recovers its
// gained shards blob by blob from the committee's recovery symbols.
func TestShardRecoveryFallback(t *testing.T) {
	if testing.Short() {
		t.Skip("whole-network test with an epoch change")
	}
	testEpochChange(t, true)
}

func testEpochChange(t *testing.T, failSync bool) {
	tn := newTestNetEpoch(t, 8*time.Second) // voting ends 4 s after genesis, set-up takes about 1 s
	ctx := tn.ctx
	com, err := tn.c.Committee(ctx, chain.CommitteeCurrent)
	if err != nil {
		t.Fatal(err)
	}
	small := com.Members[0]
	for _, m := range com.Members {
		if m.Weight() < small.Weight() {
			small = m
		}
	}
	x := -1
	for i, sk := range tn.sks {
		if sk.PublicKey().Bytes() == small.PublicKey {
			x = i
		}
	}
	if failSync {
		tn.stopNode(x)
		tn.failSync = map[int]bool{x: true}
		tn.startNode(x)
	}
	if _, err := tn.c.Send(ctx, tn.user, &chain.MsgStake{Node: small.NodeID, Amount: 500 * chain.FrostPerWAL}); err != nil {
		t.Fatal(err)
	}
	enc, _ := encode(t, 13, 30_000)
	id := enc.Metadata.BlobID
	tn.register(enc.Metadata, false)
	tn.waitStatus(id, isKind(nodeapi.StatusPermanent))
	tn.upload(enc)
	if failSync { // shard recovery recovers certified blobs
		msg := (&protocol.StorageConfirmation{Epoch: chain.GenesisEpoch, BlobID: id}).Marshal()
		cert := tn.certificate(msg, func(c *nodeapi.Client) (*protocol.SignedMessage, error) { return c.PermanentConfirmation(ctx, id) })
		objs, err := tn.c.BlobObjects(ctx, id)
		if err != nil || len(objs) != 1 {
			t.Fatal(objs, err)
		}
		if _, err := tn.c.Send(ctx, tn.user, &chain.MsgCertifyBlob{Blob: objs[0].ID(), Cert: cert}); err != nil {
			t.Fatal(err)
		}
	}
	if sys, _ := tn.c.System(ctx); sys.Epoch != chain.GenesisEpoch {
		t.Fatalf("set-up too slow: already in epoch %d", sys.Epoch)
	}

	deadline := time.Now().Add(60 * time.Second)
	for {
		sys, err := tn.c.System(ctx)
		if err == nil && sys.Epoch == chain.GenesisEpoch+1 && sys.State == chain.StateChangeDone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("epoch change not done: %+v %v", sys, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	com2, err := tn.c.Committee(ctx, chain.CommitteeCurrent)
	if err != nil {
		t.Fatal(err)
	}
	var gained []uint16
	for _, m := range com2.Members {
		if m.PublicKey == small.PublicKey {
			for _, s := range m.Shards {
				if !slices.Contains(small.Shards, s) {
					gained = append(gained, s)
				}
			}
		}
	}
	if len(gained) == 0 {
		t.Fatalf("node %d gained no shards: %v -> %+v", x, small.Shards, com2.Members)
	}
	rn := tn.nodes[x]
	tn.waitFor("node views of epoch 2", func() bool {
		h, err := rn.api.Health(ctx, false)
		return err == nil && h.Epoch == chain.GenesisEpoch+1 && h.ShardSummary.OwnedShardStatus.Ready == h.ShardSummary.Owned
	})
	for _, s := range gained {
		p := enc.PairForShard(int(s))
		for _, want := range []encoding.Sliver{p.Primary, p.Secondary} {
			got, err := rn.api.GetSliver(ctx, id, uint16(p.PairIndex()), want.Type)
			if err != nil || !bytes.Equal(got.Data, want.Data) {
				t.Fatalf("gained shard %d, %s sliver: %v", s, want.Type, err)
			}
		}
	}
	// Once the epoch change is done and the new owners reported, the
	// previous owners remove the shards they lost.
	for i, rn := range tn.nodes {
		tn.waitFor(fmt.Sprintf("node %d to remove its lost shards", i), func() bool {
			h, err := rn.api.Health(ctx, false)
			return err == nil && h.ShardSummary.ReadOnly == 0
		})
		for _, s := range gained {
			if i == x {
				continue
			}
			if ok, err := rn.n.Store().HasSliver(s, encoding.Primary, id); err != nil || ok {
				t.Fatalf("node %d still holds lost shard %d: %v", i, s, err)
			}
			if st, err := rn.n.Store().ShardStatus(s); err != nil || st != storage.ShardUnknown {
				t.Fatalf("node %d: lost shard %d status %v %v", i, s, st, err)
			}
		}
	}
	if failSync {
		var m dto.Metric
		if err := rn.n.metrics.slivers.WithLabelValues("shard_recovery", encoding.Primary.String()).Write(&m); err != nil {
			t.Fatal(err)
		}
		if got := m.GetCounter().GetValue(); got != float64(len(gained)) {
			t.Fatalf("%v primary slivers recovered, want %d", got, len(gained))
		}
	}
	t.Logf("node %d gained shards %v", x, gained)
}

// TestBlobSyncAfterRestart leaves a node out of the upload and stops it
// while its sync job waits (an hour's delay): the certification event is
// behind its cursor when it restarts, so only the restart scan of its blob
// info finds the blob and recovers the slivers.
func TestBlobSyncAfterRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("whole-network test")
	}
	tn := newTestNet(t)
	ctx := tn.ctx
	enc, _ := encode(t, 10, 60_000)
	id := enc.Metadata.BlobID
	skip := tn.owner(0)
	tn.stopNode(skip)
	tn.syncDelay = map[int]time.Duration{skip: time.Hour}
	tn.startNode(skip)

	tn.register(enc.Metadata, false)
	tn.waitStatus(id, isKind(nodeapi.StatusPermanent))
	tn.uploadWithout(skip, enc)
	msg := (&protocol.StorageConfirmation{Epoch: chain.GenesisEpoch, BlobID: id}).Marshal()
	cert := tn.certificateWithout(skip, msg, func(c *nodeapi.Client) (*protocol.SignedMessage, error) { return c.PermanentConfirmation(ctx, id) })
	objs, err := tn.c.BlobObjects(ctx, id)
	if err != nil || len(objs) != 1 {
		t.Fatal(objs, err)
	}
	if _, err := tn.c.Send(ctx, tn.user, &chain.MsgCertifyBlob{Blob: objs[0].ID(), Cert: cert}); err != nil {
		t.Fatal(err)
	}
	tn.waitFor("the skipped node to see the certification", func() bool {
		st, err := tn.nodes[skip].api.BlobStatus(ctx, id)
		return err == nil && st.IsCertified
	})
	if _, err := tn.nodes[skip].api.PermanentConfirmation(ctx, id); err == nil {
		t.Fatal("the skipped node confirms before syncing")
	}
	tn.stopNode(skip)
	delete(tn.syncDelay, skip)
	tn.startNode(skip)
	tn.waitFor("the restarted node to sync", func() bool {
		_, err := tn.nodes[skip].api.PermanentConfirmation(ctx, id)
		return err == nil
	})
}
