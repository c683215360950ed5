package daemon

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/walrus-go/walrus/client"
	"github.com/walrus-go/walrus/encoding"
)

// Defaults of the concat route.
const (
	DefaultMaxConcatIDs      = 100
	DefaultMaxConcatBodySize = 64 << 10
)

// concatLookups bounds the metadata and object look-ups of one concat
// request in flight at once.
const concatLookups = 8

// concatBody is the POST body of /v1alpha/blobs/concat (Walrus's
// ConcatRequestBody; unknown fields are errors).
type concatBody struct {
	IDs                    []string `json:"ids"`
	StrictConsistencyCheck *bool    `json:"strict_consistency_check"`
	SkipConsistencyCheck   *bool    `json:"skip_consistency_check"`
}

// concatItem is one ID of a concat request, resolved: a blob ID, or the
// blob of a Blob object (and the object's attributes).
type concatItem struct {
	id    encoding.BlobID
	obj   string // the object ID as given, "" for a blob ID
	attrs map[string]string
	size  uint64
}

// handleConcat is GET /v1alpha/blobs/concat?ids=ID1,ID2,… and POST with
// {"ids":[…],"strict_consistency_check":…,"skip_consistency_check":…}
// (reference §8.2): the blobs' bytes one after the other. Each ID is a
// blob ID or a Blob object ID (Walrus tries the blob ID form first). At
// most MaxConcatIDs IDs; a POST body at most MaxConcatBodySize bytes.
//
// Before any byte is sent, every ID is resolved and every blob's metadata
// fetched: an invalid ID is a 400 (INVALID_BLOB_ID), a missing object or a
// blob not found, expired or invalid a 404 with its reason, naming the ID;
// the answer then has a Content-Length (the sum of the sizes), the ETag
// Walrus gives (base64url of SHA-256 of the IDs as given, joined by
// commas) and the first object's allowed attributes as headers. The blobs
// are then streamed one after the other (client.Stream); if one fails
// after the first byte was sent (nodes lost, the blob deleted meanwhile),
// the connection is cut: the client sees fewer bytes than Content-Length,
// never wrong ones.
func (s *Server) handleConcat(w http.ResponseWriter, r *http.Request) {
	var (
		ids  []string
		opts client.ReadOptions
		perr *apiError
	)
	if r.Method == http.MethodPost {
		ids, opts, perr = s.concatPost(r)
	} else {
		ids, opts, perr = parseConcatQuery(r.URL.Query())
	}
	if perr == nil {
		perr = checkConcatIDs(ids, s.cfg.MaxConcatIDs)
	}
	if perr != nil {
		writeError(w, perr)
		return
	}
	ctx, done, ok := s.readSlot(w, r)
	if !ok {
		return
	}
	defer done()

	items, total, perr := s.resolveConcat(ctx, ids)
	if perr != nil {
		writeError(w, perr)
		return
	}
	sum := sha256.Sum256([]byte(strings.Join(ids, ",")))
	etag := base64.RawURLEncoding.EncodeToString(sum[:])
	s.blobHeaders(w, r, &readRequest{attrs: items[0].attrs})
	h := w.Header()
	h.Set("ETag", etag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, etag) {
		h.Del("Content-Type")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.FormatUint(total, 10))
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	lw := &lazyWriter{w: w, status: http.StatusOK}
	for _, it := range items {
		n, err := s.c.Stream(ctx, it.id, lw, opts)
		if err == nil && uint64(n) != it.size {
			err = fmt.Errorf("read %d bytes of a %d-byte blob", n, it.size)
		}
		if err != nil {
			s.finish(w, lw, it.id, err)
			return
		}
	}
	s.finish(w, lw, items[len(items)-1].id, nil)
}

// parseConcatQuery parses the GET form: ids (comma-separated; spaces
// around an ID and empty IDs are dropped, as Walrus does) and the
// consistency flags; any other parameter is an error.
func parseConcatQuery(q url.Values) ([]string, client.ReadOptions, *apiError) {
	for k := range q {
		switch k {
		case "ids", "strict_consistency_check", "skip_consistency_check":
		default:
			return nil, client.ReadOptions{}, badParam("unknown query parameter %q", echo(k))
		}
	}
	opts, perr := parseReadQuery(q)
	if perr != nil {
		return nil, opts, perr
	}
	s, ok, perr := single(q, "ids")
	if perr != nil {
		return nil, opts, perr
	}
	if !ok {
		return nil, opts, badParam("ids is required")
	}
	var ids []string
	for _, id := range strings.Split(s, ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	return ids, opts, nil
}

// concatPost reads and parses the POST body.
func (s *Server) concatPost(r *http.Request) ([]string, client.ReadOptions, *apiError) {
	limit := s.cfg.MaxConcatBodySize
	tooLong := errorf(http.StatusRequestEntityTooLarge, "RESOURCE_EXHAUSTED", ReasonTooLarge, "the body exceeds the limit of %d bytes", limit)
	if r.ContentLength > limit {
		return nil, client.ReadOptions{}, tooLong
	}
	b, err := readBody(r.Body, r.ContentLength, limit)
	if err != nil {
		if errors.Is(err, errBodyTooLarge) {
			return nil, client.ReadOptions{}, tooLong
		}
		return nil, client.ReadOptions{}, badParam("reading the body: %v", err)
	}
	return parseConcatBody(b)
}

// parseConcatBody parses {"ids":[…], "strict_consistency_check": bool,
// "skip_consistency_check": bool}: ids required, nothing else allowed.
func parseConcatBody(b []byte) ([]string, client.ReadOptions, *apiError) {
	var o client.ReadOptions
	var body concatBody
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&body); err != nil {
		return nil, o, badParam("the body: %v", err)
	}
	if d.More() {
		return nil, o, badParam("the body: data after the JSON object")
	}
	if body.IDs == nil {
		return nil, o, badParam("the body has no ids")
	}
	strict := body.StrictConsistencyCheck != nil && *body.StrictConsistencyCheck
	skip := body.SkipConsistencyCheck != nil && *body.SkipConsistencyCheck
	switch {
	case strict && skip:
		return nil, o, badParam("strict_consistency_check and skip_consistency_check exclude each other")
	case strict:
		o.Consistency = encoding.CheckStrict
	case skip:
		o.Consistency = encoding.CheckSkip
	}
	return body.IDs, o, nil
}

// checkConcatIDs checks the number of IDs and that each is a blob ID or an
// object ID.
func checkConcatIDs(ids []string, max int) *apiError {
	if len(ids) == 0 {
		return badParam("at least one blob ID or object ID is required")
	}
	if len(ids) > max {
		return badParam("%d IDs: at most %d", len(ids), max)
	}
	for _, id := range ids {
		if _, err := encoding.ParseBlobID(id); err == nil {
			continue
		}
		if _, perr := parseObjectID(id); perr != nil {
			return errorf(http.StatusBadRequest, "INVALID_ARGUMENT", ReasonInvalidBlobID, "%q is neither a blob ID nor an object ID", echo(id))
		}
	}
	return nil
}

// resolveConcat resolves every ID and fetches every blob's size (its
// metadata, verified), concatLookups at a time; the first failure in the
// IDs' order is the answer.
func (s *Server) resolveConcat(ctx context.Context, ids []string) ([]concatItem, uint64, *apiError) {
	items := make([]concatItem, len(ids))
	errs := make([]*apiError, len(ids))
	sem := make(chan struct{}, concatLookups)
	var wg sync.WaitGroup
	for i, s0 := range ids {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			items[i], errs[i] = s.resolveConcatItem(ctx, s0)
		})
	}
	wg.Wait()
	var total uint64
	for i := range ids {
		if errs[i] != nil {
			return nil, 0, errs[i]
		}
		if total > math.MaxInt64-items[i].size {
			return nil, 0, badParam("the blobs' total size overflows")
		}
		total += items[i].size
	}
	return items, total, nil
}

func (s *Server) resolveConcatItem(ctx context.Context, idStr string) (concatItem, *apiError) {
	var it concatItem
	if id, err := encoding.ParseBlobID(idStr); err == nil {
		it.id = id
	} else {
		obj, perr := parseObjectID(idStr)
		if perr != nil {
			return it, perr
		}
		info, err := s.c.BlobByObjectID(ctx, obj)
		if err != nil {
			return it, readError(err)
		}
		if info.Object.CertifiedEpoch == nil {
			return it, errorf(http.StatusNotFound, "NOT_FOUND", ReasonBlobNotFound, "Blob object %s (blob %s) is not certified yet", obj, info.Object.BlobID)
		}
		it.id, it.obj, it.attrs = info.Object.BlobID, idStr, info.Attributes
	}
	size, err := s.blobSize(ctx, it.id, true)
	if err != nil {
		e := readError(err)
		if it.obj != "" {
			e.Message = fmt.Sprintf("object %s: %s", it.obj, e.Message)
		}
		return it, e
	}
	it.size = size
	return it, nil
}
