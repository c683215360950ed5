package daemon

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/walrus-go/walrus/encoding"
)

// cacheControl is what Walrus's aggregator sends: a blob never changes.
const cacheControl = "public, max-age=86400, stale-while-revalidate=3600"

// rangeChunk bounds the bytes of one ReadRange call, so that a large range
// is served in pieces (memory stays bounded).
const rangeChunk = 4 << 20

// readKind tells which part of the blob a request asks for.
type readKind int

const (
	readWhole     readKind = iota // the blob, or one Range of it
	readByteRange                 // ?start=&length=
	readStream                    // streamed as it arrives, no Content-Length
)

// readRequest is a resolved read: the blob and the attributes of the
// object it was found by (by-object-id).
type readRequest struct {
	id    encoding.BlobID
	attrs map[string]string
}

// readSlot waits for one of the aggregator's read slots (answering 429 or
// 503 and reporting false when none comes) and bounds the read by
// ReadTimeout; done releases both.
func (s *Server) readSlot(w http.ResponseWriter, r *http.Request) (ctx context.Context, done func(), ok bool) {
	release, aerr := s.reads.acquire(r.Context())
	if aerr != nil {
		s.shed(w, "read", aerr)
		return nil, nil, false
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.ReadTimeout)
	return ctx, func() { cancel(); release() }, true
}

func (s *Server) handleBlob(w http.ResponseWriter, r *http.Request) {
	s.serveRead(w, r, readWhole, s.byBlobID(r.PathValue("blob_id")))
}

func (s *Server) handleByteRange(w http.ResponseWriter, r *http.Request, blobID string) {
	s.serveRead(w, r, readByteRange, s.byBlobID(blobID))
}

func (s *Server) handleStream(w http.ResponseWriter, r *http.Request) {
	s.serveRead(w, r, readStream, s.byBlobID(r.PathValue("blob_id")))
}

func (s *Server) handleByObject(w http.ResponseWriter, r *http.Request, objectID string) {
	obj, perr := parseObjectID(objectID)
	if perr != nil {
		writeError(w, perr)
		return
	}
	s.serveRead(w, r, readWhole, func(ctx context.Context) (*readRequest, *apiError) {
		info, err := s.c.BlobByObjectID(ctx, obj)
		if err != nil {
			return nil, readError(err)
		}
		if info.Object.CertifiedEpoch == nil {
			return nil, errorf(http.StatusNotFound, "NOT_FOUND", ReasonBlobNotFound, "Blob object %s (blob %s) is not certified yet", obj, info.Object.BlobID)
		}
		return &readRequest{id: info.Object.BlobID, attrs: info.Attributes}, nil
	})
}

func (s *Server) byBlobID(seg string) func(context.Context) (*readRequest, *apiError) {
	return func(context.Context) (*readRequest, *apiError) {
		id, err := parseBlobID(seg)
		if err != nil {
			return nil, err
		}
		return &readRequest{id: id}, nil
	}
}

// serveRead answers a read (reference §8.2) of the blob resolve names.
func (s *Server) serveRead(w http.ResponseWriter, r *http.Request, kind readKind, resolve func(context.Context) (*readRequest, *apiError)) {
	q := r.URL.Query()
	opts, perr := parseReadQuery(q)
	if perr != nil {
		writeError(w, perr)
		return
	}
	var qStart, qLength int64
	if kind == readByteRange {
		if qStart, qLength, perr = parseByteRangeQuery(q); perr != nil {
			writeError(w, perr)
			return
		}
	}
	ctx, done, ok := s.readSlot(w, r)
	if !ok {
		return
	}
	defer done()
	req, perr := resolve(ctx)
	if perr != nil {
		writeError(w, perr)
		return
	}
	s.blobHeaders(w, r, req)
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, req.id.String()) {
		w.Header().Del("Content-Type")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	head := r.Method == http.MethodHead

	if kind == readStream {
		w.Header().Set("X-Walrus-Streaming", "true")
		if head {
			// A HEAD checks that the blob's metadata can be had, and reads
			// nothing more.
			if _, err := s.c.BlobSize(ctx, req.id); err != nil {
				writeError(w, readError(err))
				return
			}
			w.WriteHeader(http.StatusOK)
			return
		}
		lw := &lazyWriter{w: w, status: http.StatusOK}
		_, err := s.c.Stream(ctx, req.id, lw, opts)
		s.finish(w, lw, req.id, err)
		return
	}

	size, err := s.blobSize(ctx, req.id, head)
	if err != nil {
		writeError(w, readError(err))
		return
	}
	w.Header().Set("Accept-Ranges", "bytes")
	var rng *byteRange
	switch kind {
	case readByteRange:
		if uint64(qStart) >= size {
			writeError(w, &apiError{Code: http.StatusRequestedRangeNotSatisfiable, Status: "OUT_OF_RANGE", Reason: ReasonRangeNotSatisfy,
				Message: fmt.Sprintf("start %d of a %d-byte blob", qStart, size), ContentRange: fmt.Sprintf("bytes */%d", size)})
			return
		}
		rng = &byteRange{qStart, min(qLength, int64(size)-qStart)}
	default:
		if rng, perr = parseRange(r.Header.Get("Range"), int64(size)); perr != nil {
			perr.ContentRange = fmt.Sprintf("bytes */%d", size)
			writeError(w, perr)
			return
		}
	}
	h := w.Header()
	if rng == nil {
		h.Set("Content-Length", strconv.FormatUint(size, 10))
		if head {
			w.WriteHeader(http.StatusOK)
			return
		}
		lw := &lazyWriter{w: w, status: http.StatusOK}
		n, err := s.c.Stream(ctx, req.id, lw, opts)
		if err == nil && uint64(n) != size {
			err = fmt.Errorf("read %d bytes of a %d-byte blob", n, size)
		}
		s.finish(w, lw, req.id, err)
		return
	}
	h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", rng.start, rng.start+rng.length-1, size))
	h.Set("Content-Length", strconv.FormatInt(rng.length, 10))
	if head {
		w.WriteHeader(http.StatusPartialContent)
		return
	}
	lw := &lazyWriter{w: w, status: http.StatusPartialContent}
	var rerr error
	if opts.Consistency == encoding.CheckStrict {
		// The strict check re-encodes the whole blob (as Stream does).
		var b []byte
		if b, rerr = s.c.Read(ctx, req.id, opts); rerr == nil {
			if int64(len(b)) < rng.start+rng.length {
				rerr = fmt.Errorf("read %d bytes of a %d-byte blob", len(b), size)
			} else {
				_, rerr = lw.Write(b[rng.start : rng.start+rng.length])
			}
		}
		s.finish(w, lw, req.id, rerr)
		return
	}
	for off, end := rng.start, rng.start+rng.length; off < end && rerr == nil; {
		n := min(end-off, rangeChunk)
		var b []byte
		if b, rerr = s.c.ReadRange(ctx, req.id, off, n, opts); rerr == nil {
			if int64(len(b)) != n {
				rerr = fmt.Errorf("range read returned %d bytes for %d", len(b), n)
			} else {
				_, rerr = lw.Write(b)
			}
		}
		off += n
	}
	s.finish(w, lw, req.id, rerr)
}

// blobHeaders sets the headers of a blob answer (reference §8.2): ETag,
// caching, nosniff, and Content-Type from the request's Accept (if it has
// no *), else its Content-Type, else none (the server must not guess);
// then the object's attributes that AllowedHeaders lists.
func (s *Server) blobHeaders(w http.ResponseWriter, r *http.Request, req *readRequest) {
	h := w.Header()
	h.Set("ETag", req.id.String())
	h.Set("Cache-Control", cacheControl)
	h.Set("X-Content-Type-Options", "nosniff")
	if a := r.Header.Get("Accept"); a != "" && !strings.Contains(a, "*") && validHeaderValue(a) {
		h.Set("Content-Type", a)
	} else if ct := r.Header.Get("Content-Type"); ct != "" && validHeaderValue(ct) {
		h.Set("Content-Type", ct)
	} else {
		h["Content-Type"] = nil // no sniffing by net/http
	}
	for k, v := range req.attrs {
		if name, ok := s.allowed[lower(k)]; ok && validHeaderValue(v) {
			h.Set(name, v)
		}
	}
}

// finish ends a read whose body went through lw: an error before the first
// byte is answered properly; after it, the connection is aborted so that
// the client sees a truncated answer rather than a wrong one.
func (s *Server) finish(w http.ResponseWriter, lw *lazyWriter, id encoding.BlobID, err error) {
	if err == nil {
		if !lw.started {
			w.WriteHeader(lw.status) // an empty blob
		}
		return
	}
	if !lw.started && !wroteHeader(w) {
		writeError(w, readError(err))
		return
	}
	s.cfg.Logger.Warn("read failed after the answer started", "blob", id, "err", err)
	panic(http.ErrAbortHandler)
}

// lazyWriter sends the status with the first byte, so that a read that
// fails before any byte can still answer with an error.
type lazyWriter struct {
	w       http.ResponseWriter
	status  int
	started bool
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if !l.started {
		l.started = true
		l.w.WriteHeader(l.status)
	}
	return l.w.Write(p)
}

var _ io.Writer = (*lazyWriter)(nil)

// sizeCacheEntries bounds the size cache.
const sizeCacheEntries = 1 << 14

// sizeCache remembers blob sizes: a blob ID fixes its size, so a cached
// size is never wrong, and a GET saves the metadata fetch that finds it (the
// read itself still finds a blob gone since, before its first byte).
type sizeCache struct {
	mu sync.Mutex
	m  map[encoding.BlobID]uint64
}

func (c *sizeCache) get(id encoding.BlobID) (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[id]
	return v, ok
}

func (c *sizeCache) put(id encoding.BlobID, size uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[encoding.BlobID]uint64{}
	}
	if len(c.m) >= sizeCacheEntries {
		for k := range c.m { // an arbitrary entry goes
			delete(c.m, k)
			break
		}
	}
	c.m[id] = size
}

// blobSize returns a blob's size, from the cache unless fresh (a HEAD,
// which reads nothing else, must check that the blob is still there).
func (s *Server) blobSize(ctx context.Context, id encoding.BlobID, fresh bool) (uint64, error) {
	if !fresh {
		if v, ok := s.sizes.get(id); ok {
			return v, nil
		}
	}
	v, err := s.c.BlobSize(ctx, id)
	if err == nil {
		s.sizes.put(id, v)
	}
	return v, err
}
