package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/bits"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"time"

	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/internal/httpx"
	"github.com/walrus-go/walrus/nodeapi"
	"github.com/walrus-go/walrus/protocol"
	"github.com/walrus-go/walrus/storage"
	"github.com/walrus-go/walrus/storage/blobinfo"
)

// routes builds the API's handler.
func (n *Node) routes() http.Handler {
	mux := http.NewServeMux()
	h := func(pattern string, recovery bool, f func(http.ResponseWriter, *http.Request) error) {
		mux.HandleFunc(pattern, n.metrics.instrument(pattern, n.wrap(recovery, f)))
	}
	h(nodeapi.RouteHealth, false, n.health)
	h(nodeapi.RouteGetMetadata, false, n.getMetadata)
	h(nodeapi.RoutePutMetadata, false, n.putMetadata)
	h(nodeapi.RouteMetadataStatus, false, n.metadataStatus)
	h(nodeapi.RoutePutSliver, false, n.putSliver)
	h(nodeapi.RouteGetSliver, false, n.getSliver)
	h(nodeapi.RouteSliverStatus, false, n.sliverStatus)
	h(nodeapi.RoutePermanentConfirmation, false, n.permanentConfirmation)
	h(nodeapi.RouteDeletableConfirmation, false, n.deletableConfirmation)
	h(nodeapi.RouteRecoverySymbols, true, n.recoverySymbols)
	h(nodeapi.RouteInconsistencyProof, true, n.inconsistencyProof)
	h(nodeapi.RouteBlobStatus, false, n.blobStatus)
	h(nodeapi.RouteSyncShard, true, n.syncShard)
	h(nodeapi.RouteDecodingSymbols, true, n.decodingSymbols)
	api := nodeapi.OpenAPI()
	h(nodeapi.RouteAPI, false, func(w http.ResponseWriter, _ *http.Request) error {
		w.Header().Set("Content-Type", nodeapi.ContentTypeJSON)
		_, _ = w.Write(api)
		return nil
	})
	return n.unmatched(mux)
}

// unmatched answers requests that no route takes with an AIP-193 error
// (405 with Allow when the path has routes for other methods, else 404),
// counted in the request metrics under the route "unmatched".
func (n *Node) unmatched(mux *http.ServeMux) http.Handler {
	return httpx.Unmatched(mux, func(w http.ResponseWriter, r *http.Request, allow string) {
		e := nodeapi.Errorf(nodeapi.ErrRouteNotFound, "no route %s %s", r.Method, r.URL.Path)
		if allow != "" {
			w.Header().Set("Allow", allow)
			e = nodeapi.Errorf(nodeapi.ErrMethodNotAllowed, "%s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, allow)
		}
		nodeapi.WriteError(w, e)
		n.metrics.http.Count("unmatched", e.Code)
	})
}

// serverHTTP2 sizes HTTP/2's flow-control windows for slivers: with Go's
// defaults (1 MiB per connection and per stream) a client can have at most
// one 1-2 MiB sliver in flight per node and waits for window updates within
// each, which the handler only sends as it reads.
func serverHTTP2() *http.HTTP2Config {
	return &http.HTTP2Config{
		MaxReceiveBufferPerConnection: 16 << 20,
		MaxReceiveBufferPerStream:     4 << 20,
		MaxReadFrameSize:              1 << 20,
	}
}

// wrap bounds concurrency, turns errors into AIP-193 bodies and recovers
// from panics (a bug must not take the node down).
func (n *Node) wrap(recovery bool, f func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case n.sem <- struct{}{}:
			defer func() { <-n.sem }()
		default:
			nodeapi.WriteError(w, nodeapi.Errorf(nodeapi.ErrOverloaded, "too many concurrent requests"))
			return
		}
		if recovery {
			select {
			case n.recSem <- struct{}{}:
				defer func() { <-n.recSem }()
			default:
				nodeapi.WriteError(w, nodeapi.Errorf(nodeapi.ErrOverloaded, "too many concurrent recovery requests"))
				return
			}
		}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				n.log.Error("handler panic", "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
				nodeapi.WriteError(w, nodeapi.Errorf(nodeapi.ErrInternal, "internal error"))
			}
		}()
		if err := f(w, r); err != nil {
			e := nodeapi.AsError(err)
			if e.Code >= 500 {
				n.log.Warn("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			nodeapi.WriteError(w, e)
		}
	}
}

func (n *Node) currentView() (*view, error) {
	v := n.view.Load()
	if v == nil {
		return nil, nodeapi.Errorf(nodeapi.ErrUnavailable, "the node has not read the committee yet")
	}
	return v, nil
}

// blobRequest starts a handler of a blob route: the node's current view and
// the blob ID in the path.
func (n *Node) blobRequest(r *http.Request) (*view, encoding.BlobID, error) {
	v, err := n.currentView()
	if err != nil {
		return nil, encoding.BlobID{}, err
	}
	id, err := pathBlobID(r)
	return v, id, err
}

// sliverRequest starts a handler of a sliver route: the node's current view,
// the blob ID, the pair index (checked against the shard count) and the
// sliver type in the path.
func (n *Node) sliverRequest(r *http.Request) (v *view, id encoding.BlobID, pair uint16, t encoding.SliverType, err error) {
	if v, err = n.currentView(); err != nil {
		return
	}
	id, pair, t, err = pathSliver(r, v)
	return
}

// withExpander runs f with a pooled expander for nShards.
func (n *Node) withExpander(nShards int, f func(x *encoding.Expander) error) error {
	x, put, err := n.expander(nShards)
	if err != nil {
		return nodeapi.Errorf(nodeapi.ErrInternal, "%v", err)
	}
	defer put()
	return f(x)
}

// uploadAllowed checks that the blob takes uploads at the view's epoch:
// registered, or not yet registered but uploaded with pending=true (held
// until the registration arrives). It reports whether it is registered.
func (n *Node) uploadAllowed(r *http.Request, id encoding.BlobID, v *view) (registered bool, err error) {
	pending, err := nodeapi.ParseBool(nodeapi.QueryPending, r.URL.Query().Get(nodeapi.QueryPending))
	if err != nil {
		return false, err
	}
	in, err := n.blobInfo(id)
	if err != nil {
		return false, err
	}
	registered = in.IsRegistered(v.epoch)
	if !registered && !pending {
		return false, nodeapi.Errorf(nodeapi.ErrNotRegistered, "blob %s is not registered at epoch %d (upload with pending=true to have it held until then)", id, v.epoch)
	}
	return registered, nil
}

// readBody reads the request body, refusing more than limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, nodeapi.Errorf(nodeapi.ErrTooLarge, "body of %d bytes exceeds the limit of %d", r.ContentLength, limit)
	}
	if r.ContentLength >= 0 {
		// Known length (checked against the limit above): one allocation.
		b := make([]byte, r.ContentLength)
		if err := readBodyInto(w, r, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return nil, bodyErr(err, limit)
	}
	return b, nil
}

// readBodyInto reads a body of exactly len(b) bytes (its Content-Length)
// into b.
func readBodyInto(w http.ResponseWriter, r *http.Request, b []byte) error {
	limit := int64(len(b))
	body := http.MaxBytesReader(w, r.Body, limit+1) // +1: see a longer body
	_, err := io.ReadFull(body, b)
	if err == nil {
		var one [1]byte
		if k, _ := body.Read(one[:]); k > 0 {
			err = errors.New("body longer than its Content-Length")
		}
	}
	if err != nil {
		return bodyErr(err, limit)
	}
	return nil
}

func bodyErr(err error, limit int64) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nodeapi.Errorf(nodeapi.ErrTooLarge, "body exceeds the limit of %d bytes", limit)
	}
	return nodeapi.Errorf(nodeapi.ErrInvalidBody, "reading body: %v", err)
}

// maxSliverSize is the largest sliver of either type for the shard count.
func (n *Node) maxSliverSize(p encoding.Params) int64 {
	m := int64(max(p.Primary(), p.Secondary())) * encoding.MaxSymbolSize
	if n.cfg.MaxSliverSize > 0 {
		m = min(m, n.cfg.MaxSliverSize)
	}
	return m
}

func pathBlobID(r *http.Request) (encoding.BlobID, error) {
	return nodeapi.ParseBlobID(r.PathValue(nodeapi.ParamBlobID))
}

// checkAllowed refuses blobs on the node's deny list.
func (n *Node) checkAllowed(id encoding.BlobID) error {
	if n.cfg.Blocked != nil && n.cfg.Blocked(id) {
		return nodeapi.Errorf(nodeapi.ErrForbidden, "blob %s is on this node's deny list", id)
	}
	return nil
}

func pathSliver(r *http.Request, v *view) (id encoding.BlobID, pair uint16, t encoding.SliverType, err error) {
	if id, err = pathBlobID(r); err != nil {
		return
	}
	if pair, err = nodeapi.ParsePairIndex(r.PathValue(nodeapi.ParamPairIndex)); err != nil {
		return
	}
	if int(pair) >= v.nShards {
		err = nodeapi.Errorf(nodeapi.ErrInvalidParameter, "sliver pair index %d: the network has %d shards", pair, v.nShards)
		return
	}
	t, err = nodeapi.ParseSliverType(r.PathValue(nodeapi.ParamSliverType))
	return
}

func storeErr(err error, what string) error {
	if errors.Is(err, storage.ErrNotFound) {
		return nodeapi.Errorf(nodeapi.ErrNotFound, "%s not found", what)
	}
	return nodeapi.Errorf(nodeapi.ErrInternal, "%s: %v", what, err)
}

// blobInfo returns the blob's info, failing if it is marked invalid.
func (n *Node) blobInfo(id encoding.BlobID) (blobinfo.Info, error) {
	in, err := n.store.BlobInfo(id)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return in, nodeapi.Errorf(nodeapi.ErrInternal, "blob info: %v", err)
	}
	if in.Invalid {
		return in, nodeapi.Errorf(nodeapi.ErrBlobInvalid, "blob %s is marked invalid", id)
	}
	return in, nil
}

// registeredInfo returns the blob's info, failing unless it is registered
// at the node's epoch.
// storedMetadata returns the metadata of a known, non-invalid blob (the
// checks of blobInfo), or the API error that says why there is none.
func (n *Node) storedMetadata(id encoding.BlobID) (*encoding.VerifiedMetadata, error) {
	if _, err := n.blobInfo(id); err != nil {
		return nil, err
	}
	md, err := n.store.GetMetadata(id)
	if err != nil {
		return nil, storeErr(err, "metadata of "+id.String())
	}
	return md, nil
}

func (n *Node) registeredInfo(id encoding.BlobID, v *view) (blobinfo.Info, error) {
	in, err := n.blobInfo(id)
	if err != nil {
		return in, err
	}
	if !in.IsRegistered(v.epoch) {
		return in, nodeapi.Errorf(nodeapi.ErrNotRegistered, "blob %s is not registered at epoch %d", id, v.epoch)
	}
	return in, nil
}

func (n *Node) getMetadata(w http.ResponseWriter, r *http.Request) error {
	id, err := pathBlobID(r)
	if err != nil {
		return err
	}
	if err := n.checkAllowed(id); err != nil {
		return err
	}
	md, err := n.storedMetadata(id)
	if err != nil {
		return err
	}
	nodeapi.WriteBCS(w, http.StatusOK, md.MarshalBCS())
	return nil
}

func (n *Node) putMetadata(w http.ResponseWriter, r *http.Request) error {
	v, id, err := n.blobRequest(r)
	if err != nil {
		return err
	}
	if err := n.checkAllowed(id); err != nil {
		return err
	}
	// Exact size: enum tag, encoding type, length, ULEB count, n pairs of
	// two tagged digests.
	body, err := readBody(w, r, int64(1+1+8+5+v.nShards*66)+n.cfg.BodyHeadroom)
	if err != nil {
		return err
	}
	registered, err := n.uploadAllowed(r, id, v)
	if err != nil {
		return err
	}
	if ok, err := n.store.HasMetadata(id); err != nil {
		return storeErr(err, "metadata")
	} else if ok {
		nodeapi.WriteJSON(w, http.StatusOK, "metadata already stored")
		return nil
	}
	md, err := encoding.UnmarshalMetadata(body)
	if err != nil {
		return nodeapi.Errorf(nodeapi.ErrInvalidMetadata, "%v", err)
	}
	vm, err := md.Verify(id, v.nShards)
	if err != nil {
		return nodeapi.Errorf(nodeapi.ErrInvalidMetadata, "%v", err)
	}
	if !registered {
		if err := n.pending.putMetadata(vm); err != nil {
			return err
		}
		n.flushIfRegistered(id, v)
		nodeapi.WriteJSON(w, http.StatusAccepted, "metadata buffered until the blob is registered")
		return nil
	}
	if err := n.store.PutMetadata(vm); err != nil {
		return storeErr(err, "storing metadata")
	}
	n.metrics.metadata.WithLabelValues("upload").Inc()
	nodeapi.WriteJSON(w, http.StatusCreated, "metadata stored")
	return nil
}

// flushIfRegistered stores a blob's pending uploads if the registration
// arrived while they were being added (the follower flushes the others).
func (n *Node) flushIfRegistered(id encoding.BlobID, v *view) {
	if in, err := n.store.BlobInfo(id); err == nil && in.IsRegistered(v.epoch) {
		n.flushPending(id)
	}
}

func (n *Node) metadataStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathBlobID(r)
	if err != nil {
		return err
	}
	ok, err := n.store.HasMetadata(id)
	if err != nil {
		return storeErr(err, "metadata")
	}
	st := nodeapi.Nonexistent
	if ok {
		st = nodeapi.Stored
	} else if n.pending.metadata(id) != nil {
		st = nodeapi.Buffered
	}
	nodeapi.WriteJSON(w, http.StatusOK, st)
	return nil
}

func (n *Node) putSliver(w http.ResponseWriter, r *http.Request) error {
	v, id, pair, t, err := n.sliverRequest(r)
	if err != nil {
		return err
	}
	if err := n.checkAllowed(id); err != nil {
		return err
	}
	if r.ContentLength > n.maxSliverSize(v.params)+n.cfg.BodyHeadroom {
		return nodeapi.Errorf(nodeapi.ErrTooLarge, "body of %d bytes exceeds the largest sliver", r.ContentLength)
	}
	shard := v.params.PairToShard(id, int(pair))
	if !v.owns(shard) {
		e := nodeapi.Errorf(nodeapi.ErrShardNotAssigned, "pair %d of blob %s is stored by shard %d, which this node does not hold in epoch %d", pair, id, shard, v.epoch)
		e.Metadata = map[string]string{"shard": strconv.Itoa(shard), "epoch": strconv.Itoa(int(v.epoch))}
		return e
	}
	registered, err := n.uploadAllowed(r, id, v)
	if err != nil {
		return err
	}
	if ok, err := n.store.HasSliver(uint16(shard), t, id); err != nil {
		return storeErr(err, "sliver")
	} else if ok {
		nodeapi.WriteJSON(w, http.StatusOK, "sliver already stored")
		return nil
	}
	md, err := n.store.GetMetadata(id)
	if errors.Is(err, storage.ErrNotFound) && !registered {
		md, err = n.pending.metadata(id), nil
		if md == nil {
			err = storage.ErrNotFound
		}
	}
	if errors.Is(err, storage.ErrNotFound) {
		return nodeapi.Errorf(nodeapi.ErrMetadataMissing, "upload the metadata of %s before its slivers", id)
	} else if err != nil {
		return storeErr(err, "metadata")
	}
	p := md.Params()
	ss := md.SymbolSize()
	limit := int64(p.SliverSymbols(t)*ss) + n.cfg.BodyHeadroom
	// check parses a body in place (it is the sliver's only use) and
	// verifies the sliver against the metadata.
	check := func(body []byte) (*encoding.Sliver, error) {
		sl, err := encoding.UnmarshalSliverShared(t, body)
		if err != nil {
			return nil, nodeapi.Errorf(nodeapi.ErrInvalidSliver, "%v", err)
		}
		if err := p.CheckSliverShape(sl, ss); err != nil {
			return nil, nodeapi.Errorf(nodeapi.ErrInvalidSliver, "%v", err)
		}
		if got := sl.PairIndex(p); got != int(pair) {
			return nil, nodeapi.Errorf(nodeapi.ErrInvalidSliver, "%s sliver %d belongs to pair %d, not %d", t, sl.Index, got, pair)
		}
		err = n.withExpander(p.N, func(x *encoding.Expander) error {
			if err := x.VerifySliver(md, sl); err != nil {
				return nodeapi.Errorf(nodeapi.ErrInvalidSliver, "%v", err)
			}
			return nil
		})
		return sl, err
	}
	if registered && r.ContentLength >= 0 && r.ContentLength <= limit {
		// The body is read straight into the storage write and stored as
		// received (a strict parse means it is the canonical encoding): no
		// buffer of its own, no copy.
		var bodyErr error
		err := n.store.PutSliverFrom(uint16(shard), t, id, int(r.ContentLength), func(raw []byte) error {
			if bodyErr = readBodyInto(w, r, raw); bodyErr == nil {
				_, bodyErr = check(raw)
			}
			return bodyErr
		})
		if bodyErr != nil {
			return bodyErr
		}
		if err != nil {
			return storeErr(err, "storing sliver")
		}
		n.metrics.storedSlivers("upload", t, 1)
		nodeapi.WriteJSON(w, http.StatusCreated, "sliver stored")
		return nil
	}
	body, err := readBody(w, r, limit)
	if err != nil {
		return err
	}
	sl, err := check(body)
	if err != nil {
		return err
	}
	if !registered {
		if err := n.pending.putSliver(id, uint16(shard), sl); err != nil {
			return err
		}
		n.flushIfRegistered(id, v)
		nodeapi.WriteJSON(w, http.StatusAccepted, "sliver buffered until the blob is registered")
		return nil
	}
	if err := n.store.PutSliverEncoded(uint16(shard), t, id, body); err != nil {
		return storeErr(err, "storing sliver")
	}
	n.metrics.storedSlivers("upload", sl.Type, 1)
	nodeapi.WriteJSON(w, http.StatusCreated, "sliver stored")
	return nil
}

func (n *Node) getSliver(w http.ResponseWriter, r *http.Request) error {
	v, id, pair, t, err := n.sliverRequest(r)
	if err != nil {
		return err
	}
	if err := n.checkAllowed(id); err != nil {
		return err
	}
	if _, err := n.registeredInfo(id, v); err != nil {
		return err
	}
	shard := v.params.PairToShard(id, int(pair))
	raw, err := n.store.GetSliverEncoded(uint16(shard), t, id)
	if errors.Is(err, storage.ErrNotFound) && !v.owns(shard) {
		return nodeapi.Errorf(nodeapi.ErrShardNotAssigned, "pair %d of blob %s is stored by shard %d, which this node does not hold", pair, id, shard)
	} else if err != nil {
		return storeErr(err, fmt.Sprintf("%s sliver of pair %d", t, pair))
	}
	nodeapi.WriteBCS(w, http.StatusOK, raw)
	return nil
}

func (n *Node) sliverStatus(w http.ResponseWriter, r *http.Request) error {
	v, id, pair, t, err := n.sliverRequest(r)
	if err != nil {
		return err
	}
	shard := uint16(v.params.PairToShard(id, int(pair)))
	ok, err := n.store.HasSliver(shard, t, id)
	if err != nil {
		return storeErr(err, "sliver")
	}
	st := nodeapi.Nonexistent
	if ok {
		st = nodeapi.Stored
	} else if n.pending.hasSliver(id, shard, t) {
		st = nodeapi.Buffered
	}
	nodeapi.WriteJSON(w, http.StatusOK, st)
	return nil
}

// waitFor long-polls cond when the request asks to wait for registration.
func (n *Node) waitFor(r *http.Request, cond func() (bool, error)) error {
	q := r.URL.Query()
	wait, err := nodeapi.ParseBool("wait_for_registration", q.Get("wait_for_registration"))
	if err != nil || !wait {
		return err
	}
	d := time.Second
	if s := q.Get("wait_millis"); s != "" {
		ms, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return nodeapi.Errorf(nodeapi.ErrInvalidParameter, "wait_millis=%q: want milliseconds", s)
		}
		d = time.Duration(ms) * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(r.Context(), min(d, n.cfg.MaxRegistrationWait))
	defer cancel()
	for {
		if ok, err := cond(); err != nil || ok {
			return err
		}
		if !n.sleep(ctx, 50*time.Millisecond) {
			return nil
		}
	}
}

// checkStored fails unless the node stores the metadata and both slivers
// of every shard it holds for the blob.
func (n *Node) checkStored(id encoding.BlobID, v *view) error {
	if !v.member || len(v.owned) == 0 {
		return nodeapi.Errorf(nodeapi.ErrUnavailable, "the node holds no shards in epoch %d", v.epoch)
	}
	if ok, err := n.store.HasMetadata(id); err != nil {
		return storeErr(err, "metadata")
	} else if !ok {
		return nodeapi.Errorf(nodeapi.ErrNotFullyStored, "metadata of %s is not stored", id)
	}
	for _, s := range v.owned {
		for _, t := range []encoding.SliverType{encoding.Primary, encoding.Secondary} {
			ok, err := n.store.HasSliver(s, t, id)
			if err != nil {
				return storeErr(err, "sliver")
			}
			if !ok {
				return nodeapi.Errorf(nodeapi.ErrNotFullyStored, "%s sliver of pair %d (shard %d) is not stored", t, v.params.ShardToPair(id, int(s)), s)
			}
		}
	}
	return nil
}

func (n *Node) sign(w http.ResponseWriter, msg []byte) {
	nodeapi.WriteJSON(w, http.StatusOK, nodeapi.Confirmation{Signed: protocol.Sign(n.cfg.ProtocolKey, msg)})
}

func (n *Node) permanentConfirmation(w http.ResponseWriter, r *http.Request) error {
	v, id, err := n.blobRequest(r)
	if err != nil {
		return err
	}
	permanent := func() (bool, error) {
		in, err := n.blobInfo(id)
		st := in.Status(v.epoch)
		return err == nil && st.Kind == blobinfo.PermanentStatus, err
	}
	if err := n.waitFor(r, permanent); err != nil {
		return err
	}
	if ok, err := permanent(); err != nil {
		return err
	} else if !ok {
		return nodeapi.Errorf(nodeapi.ErrNotRegistered, "blob %s has no live permanent Blob object at epoch %d", id, v.epoch)
	}
	if err := n.checkStored(id, v); err != nil {
		return err
	}
	n.sign(w, (&protocol.StorageConfirmation{Epoch: v.epoch, BlobID: id}).Marshal())
	return nil
}

func (n *Node) deletableConfirmation(w http.ResponseWriter, r *http.Request) error {
	v, id, err := n.blobRequest(r)
	if err != nil {
		return err
	}
	obj, err := nodeapi.ParseObjectID(r.PathValue(nodeapi.ParamObjectID))
	if err != nil {
		return err
	}
	live := func() (bool, error) {
		if _, err := n.blobInfo(id); err != nil {
			return false, err
		}
		o, err := n.store.ObjectInfo(blobinfo.ObjectID(obj))
		if errors.Is(err, storage.ErrNotFound) {
			return false, nil
		} else if err != nil {
			return false, storeErr(err, "object")
		}
		return o.BlobID == id && o.Deletable && o.Live(v.epoch), nil
	}
	if err := n.waitFor(r, live); err != nil {
		return err
	}
	if ok, err := live(); err != nil {
		return err
	} else if !ok {
		return nodeapi.Errorf(nodeapi.ErrObjectNotLive, "object %s is not a live deletable Blob object of %s at epoch %d", nodeapi.FormatObjectID(obj), id, v.epoch)
	}
	if err := n.checkStored(id, v); err != nil {
		return err
	}
	n.sign(w, (&protocol.StorageConfirmation{Epoch: v.epoch, BlobID: id, Deletable: true, ObjectID: obj}).Marshal())
	return nil
}

// sourceSliver returns the node's sliver (t, index) of a blob, or nil if it
// does not hold it.
func (n *Node) sourceSliver(id encoding.BlobID, v *view, p encoding.Params, t encoding.SliverType, index int) (*encoding.Sliver, error) {
	shard := p.PairToShard(id, p.PairIndex(t, index))
	if !v.owns(shard) {
		return nil, nil
	}
	return n.shardSliver(id, uint16(shard), t)
}

// shardSliver returns the sliver of type t that shard stores for the blob,
// or nil when it has none.
func (n *Node) shardSliver(id encoding.BlobID, shard uint16, t encoding.SliverType) (*encoding.Sliver, error) {
	sl, err := n.store.GetSliver(shard, t, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	return sl, err
}

func (n *Node) recoverySymbols(w http.ResponseWriter, r *http.Request) error {
	v, id, err := n.blobRequest(r)
	if err != nil {
		return err
	}
	q, err := nodeapi.ParseRecoveryQuery(r.URL.Query())
	if err != nil {
		return err
	}
	md, err := n.storedMetadata(id)
	if err != nil {
		return err
	}
	p := md.Params()
	x, put, err := n.expander(p.N)
	if err != nil {
		return nodeapi.Errorf(nodeapi.ErrInternal, "%v", err)
	}
	defer put()
	var out []encoding.GeneralRecoverySymbol
	add := func(src *encoding.Sliver, targets []int) error {
		syms, err := x.RecoverySymbols(md, src, targets)
		if err != nil {
			return nodeapi.Errorf(nodeapi.ErrInternal, "computing symbols: %v", err)
		}
		out = append(out, syms...)
		return nil
	}
	if q.HasTarget {
		if int(q.TargetSliver) >= p.N {
			return nodeapi.Errorf(nodeapi.ErrInvalidParameter, "target sliver %d: the blob has %d", q.TargetSliver, p.N)
		}
		src := q.TargetType.Orthogonal()
		if q.ProofAxis != nil && *q.ProofAxis != src {
			return nodeapi.Errorf(nodeapi.ErrInvalidParameter, "symbols of a %s sliver are proven by %s slivers", q.TargetType, src)
		}
		for _, s := range v.owned {
			sl, err := n.shardSliver(id, s, src)
			if err != nil {
				return storeErr(err, "sliver")
			}
			if sl != nil {
				if err := add(sl, []int{int(q.TargetSliver)}); err != nil {
					return err
				}
			}
		}
	} else {
		for _, sid := range q.IDs {
			if int(sid.Primary) >= p.N || int(sid.Secondary) >= p.N {
				return nodeapi.Errorf(nodeapi.ErrInvalidParameter, "symbol %s: the blob has %d slivers of each type", sid, p.N)
			}
			done := false
			for _, axis := range []encoding.SliverType{encoding.Primary, encoding.Secondary} {
				if done || (q.ProofAxis != nil && *q.ProofAxis != axis) {
					continue
				}
				idx, target := int(sid.Primary), int(sid.Secondary)
				if axis == encoding.Secondary {
					idx, target = target, idx
				}
				sl, err := n.sourceSliver(id, v, p, axis, idx)
				if err != nil {
					return storeErr(err, "sliver")
				}
				if sl != nil {
					if err := add(sl, []int{target}); err != nil {
						return err
					}
					done = true
				}
			}
			if !done {
				return nodeapi.Errorf(nodeapi.ErrNotFound, "the node holds no sliver for symbol %s", sid)
			}
		}
	}
	if len(out) == 0 {
		return nodeapi.Errorf(nodeapi.ErrNotFound, "the node holds no slivers of %s for that target", id)
	}
	nodeapi.WriteBCS(w, http.StatusOK, encoding.MarshalGeneralRecoverySymbols(out))
	return nil
}

func (n *Node) decodingSymbols(w http.ResponseWriter, r *http.Request) error {
	v, id, err := n.blobRequest(r)
	if err != nil {
		return err
	}
	q, err := nodeapi.ParseDecodingQuery(r.URL.Query())
	if err != nil {
		return err
	}
	md, err := n.storedMetadata(id)
	if err != nil {
		return err
	}
	p := md.Params()
	targets := make([]int, len(q.Targets))
	for i, t := range q.Targets {
		if int(t) >= p.N {
			return nodeapi.Errorf(nodeapi.ErrInvalidParameter, "target sliver %d: the blob has %d", t, p.N)
		}
		targets[i] = int(t)
	}
	x, put, err := n.expander(p.N)
	if err != nil {
		return nodeapi.Errorf(nodeapi.ErrInternal, "%v", err)
	}
	defer put()
	out := &nodeapi.DecodingSymbols{TargetType: q.TargetType, Symbols: map[uint16][]encoding.DecodingSymbol{}}
	src := q.TargetType.Orthogonal()
	for _, s := range v.owned {
		sl, err := n.shardSliver(id, s, src)
		if err != nil {
			return storeErr(err, "sliver")
		}
		if sl == nil {
			continue
		}
		syms, err := x.RecoverySymbols(md, sl, targets)
		if err != nil {
			return nodeapi.Errorf(nodeapi.ErrInternal, "computing symbols: %v", err)
		}
		for _, g := range syms {
			out.Symbols[g.TargetIndex] = append(out.Symbols[g.TargetIndex], g.Symbol.DecodingSymbol)
		}
	}
	if len(out.Symbols) == 0 {
		return nodeapi.Errorf(nodeapi.ErrNotFound, "the node holds no slivers of %s", id)
	}
	nodeapi.WriteBCS(w, http.StatusOK, nodeapi.MarshalDecodingSymbols(out))
	return nil
}

func (n *Node) inconsistencyProof(w http.ResponseWriter, r *http.Request) error {
	v, id, err := n.blobRequest(r)
	if err != nil {
		return err
	}
	t, err := nodeapi.ParseSliverType(r.PathValue(nodeapi.ParamSliverType))
	if err != nil {
		return err
	}
	md, err := n.store.GetMetadata(id)
	if errors.Is(err, storage.ErrNotFound) {
		return nodeapi.Errorf(nodeapi.ErrMetadataMissing, "the node has no metadata of %s to check the proof against", id)
	} else if err != nil {
		return storeErr(err, "metadata")
	}
	p := md.Params()
	// Exact bound: threshold symbols, each an index, a length-prefixed
	// symbol and a proof of at most ceil(log2 n) tagged digests.
	per := 2 + 5 + md.SymbolSize() + 5 + (bits.Len(uint(p.N))+1)*33
	body, err := readBody(w, r, int64(p.N*per)+n.cfg.BodyHeadroom)
	if err != nil {
		return err
	}
	proof, err := encoding.UnmarshalInconsistencyProof(t, body)
	if err != nil {
		return nodeapi.Errorf(nodeapi.ErrInvalidProof, "%v", err)
	}
	err = n.withExpander(p.N, func(x *encoding.Expander) error {
		if err := x.VerifyInconsistencyProof(md, proof); err != nil {
			return nodeapi.Errorf(nodeapi.ErrInvalidProof, "%v", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	nodeapi.WriteJSON(w, http.StatusOK, protocol.Sign(n.cfg.ProtocolKey, (&protocol.InvalidBlobID{Epoch: v.epoch, BlobID: id}).Marshal()))
	return nil
}

// APIStatus converts the store's blob status to the API's.
func APIStatus(s blobinfo.Status) nodeapi.BlobStatus {
	out := nodeapi.BlobStatus{Event: nodeapi.EventID{Height: s.Event.Height, Index: s.Event.Index}, EndEpoch: s.EndEpoch,
		IsCertified: s.IsCertified, Counts: nodeapi.DeletableCounts{Total: s.Counts.Total, Certified: s.Counts.Certified}}
	if s.HasInitialCertified {
		e := s.InitialCertifiedEpoch
		out.InitialCertifiedEpoch = &e
	}
	switch s.Kind {
	case blobinfo.InvalidStatus:
		out.Kind = nodeapi.StatusInvalid
	case blobinfo.PermanentStatus:
		out.Kind = nodeapi.StatusPermanent
	case blobinfo.DeletableStatus:
		out.Kind = nodeapi.StatusDeletable
	default:
		out = nodeapi.BlobStatus{Kind: nodeapi.StatusNonexistent}
	}
	return out
}

func (n *Node) blobStatus(w http.ResponseWriter, r *http.Request) error {
	v, id, err := n.blobRequest(r)
	if err != nil {
		return err
	}
	st, err := n.store.BlobStatus(id, v.epoch)
	if err != nil {
		return storeErr(err, "blob status")
	}
	nodeapi.WriteJSON(w, http.StatusOK, APIStatus(st))
	return nil
}

func (n *Node) health(w http.ResponseWriter, r *http.Request) error {
	detailed, err := nodeapi.ParseBool(nodeapi.QueryDetailed, r.URL.Query().Get(nodeapi.QueryDetailed))
	if err != nil {
		return err
	}
	up := time.Since(n.started)
	pk := n.pk.Bytes()
	h := nodeapi.ServiceHealthInfo{
		Uptime:        nodeapi.Duration{Secs: uint64(up / time.Second), Nanos: uint32(up % time.Second)},
		PublicKey:     pk[:],
		NodeStatus:    storage.NodeStandby.String(),
		EventProgress: nodeapi.EventProgress{Persisted: n.eventsApplied.Load()},
	}
	v := n.view.Load()
	shards, err := n.store.Shards()
	if err != nil {
		return storeErr(err, "shards")
	}
	if v != nil {
		h.Epoch = v.epoch
		if v.member {
			h.NodeStatus = storage.NodeActive.String()
		}
		h.ShardSummary.Owned = len(v.owned)
	}
	if detailed {
		h.ShardDetail = &nodeapi.ShardDetail{Owned: []nodeapi.ShardHealth{}, Other: []nodeapi.ShardHealth{}}
	}
	for _, s := range slices.Sorted(maps.Keys(shards)) {
		st := shards[s]
		owned := v != nil && v.owns(int(s))
		if owned {
			switch st {
			case storage.ShardUnknown:
				h.ShardSummary.OwnedShardStatus.Unknown++
			case storage.ShardReady:
				h.ShardSummary.OwnedShardStatus.Ready++
			case storage.ShardInTransfer:
				h.ShardSummary.OwnedShardStatus.InTransfer++
			case storage.ShardInRecovery:
				h.ShardSummary.OwnedShardStatus.InRecovery++
			}
		}
		if st == storage.ShardReadOnly {
			h.ShardSummary.ReadOnly++
		}
		if detailed {
			sh := nodeapi.ShardHealth{Shard: s, Status: st.String()}
			if owned {
				h.ShardDetail.Owned = append(h.ShardDetail.Owned, sh)
			} else {
				h.ShardDetail.Other = append(h.ShardDetail.Other, sh)
			}
		}
	}
	nodeapi.WriteJSON(w, http.StatusOK, h)
	return nil
}
