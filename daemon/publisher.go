package daemon

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math"
	"net/http"
	"sync"
	"time"
)

// handleStore is PUT /v1/blobs (and the legacy PUT /v1/store): the body
// is the blob (reference §8.1).
func (s *Server) handleStore(w http.ResponseWriter, r *http.Request) {
	opts, perr := parseStoreQuery(r.URL.Query())
	// Walrus's post-store action: the Blob object stays with the
	// publisher's wallet unless sent or shared, or is burned with
	// BurnAfterStore.
	opts.Burn = s.cfg.BurnAfterStore && opts.SendObjectTo == nil && !opts.Share
	if perr != nil {
		writeError(w, perr)
		return
	}
	limit := s.cfg.MaxBodySize
	if r.ContentLength > limit {
		writeError(w, tooLarge(limit))
		return
	}
	// An authenticated publisher checks the token and spends it before
	// the body is read (AuthConfig).
	var claims *Claims
	unspend := func() {}
	tooLong := tooLarge(limit)
	if s.auth != nil {
		c, u, aerr := s.auth.check(r, opts.Epochs, opts.SendObjectTo)
		if aerr != nil {
			writeError(w, aerr)
			return
		}
		claims, unspend = c, u
		if n := c.bodyLimit(); n >= 0 && n < limit {
			limit = n
			tooLong = claimError(ReasonInvalidSize, "the body is longer than the token's size or max_size %d", n)
		}
	}
	// The slot is taken before the body is read, so that memory is bounded
	// by MaxConcurrentRequests × MaxBodySize whatever the load.
	release, aerr := s.stores.acquire(r.Context())
	if aerr != nil {
		unspend() // a request shed for load keeps its token for a retry
		s.shed(w, "store", aerr)
		return
	}
	defer release()
	// A body that trickles in must not hold the slot forever.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.cfg.BodyTimeout))
	data, err := readBody(r.Body, r.ContentLength, limit)
	if err != nil {
		if errors.Is(err, errBodyTooLarge) {
			writeError(w, tooLong)
		} else {
			writeError(w, badParam("reading the body: %v", err))
		}
		return
	}
	if claims != nil {
		if e := claims.checkBody(int64(len(data))); e != nil {
			writeError(w, e)
			return
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.StoreTimeout)
	defer cancel()
	// Stores of the same bytes run one after the other, so that the later
	// ones find the blob certified instead of each buying a Blob object.
	if !opts.Force {
		unlock, err := s.sameBlob.lock(ctx, sha256.Sum256(data))
		if err != nil {
			writeError(w, storeError(err))
			return
		}
		defer unlock()
	}
	// Stores that use the wallet's own storage resources may run at once:
	// the SDK claims each resource for one store.
	res, err := s.c.Store(ctx, data, opts)
	if err != nil {
		e := storeError(err)
		s.cfg.Logger.Warn("store failed", "bytes", len(data), "status", e.Code, "err", err)
		writeError(w, e)
		return
	}
	s.cfg.Logger.Debug("stored", "blob", res.BlobID(), "bytes", len(data), "new", res.NewlyCreated != nil)
	writeJSON(w, res)
}

func tooLarge(limit int64) *apiError {
	return errorf(http.StatusRequestEntityTooLarge, "RESOURCE_EXHAUSTED", ReasonTooLarge, "the body exceeds the publisher's limit of %d bytes", limit)
}

var errBodyTooLarge = errors.New("body too large")

// readBody reads at most limit bytes; a longer body fails with
// errBodyTooLarge after reading limit+1 bytes (never more). A body of known
// length is read into one exact allocation.
func readBody(body io.Reader, contentLength, limit int64) ([]byte, error) {
	if contentLength >= 0 && contentLength <= limit {
		buf := make([]byte, contentLength)
		if _, err := io.ReadFull(body, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	buf, err := io.ReadAll(io.LimitReader(body, min(limit, math.MaxInt64-1)+1))
	if err != nil {
		return nil, err
	}
	if int64(len(buf)) > limit {
		return nil, errBodyTooLarge
	}
	return buf, nil
}

// shed answers a request refused by a limiter and counts it.
func (s *Server) shed(w http.ResponseWriter, api string, e *apiError) {
	switch e {
	case errShed:
		s.metrics.shed.WithLabelValues(api, "queue_full").Inc()
	case errQueueTimeout:
		s.metrics.shed.WithLabelValues(api, "queue_timeout").Inc()
	}
	writeError(w, e)
}

// keyedLock is a mutex per key, waited for under a context; entries live
// while someone holds or waits for them.
type keyedLock struct {
	mu    sync.Mutex
	locks map[[32]byte]*keyEntry
}

type keyEntry struct {
	ch   chan struct{} // holds a token while locked
	refs int
}

func (k *keyedLock) lock(ctx context.Context, key [32]byte) (unlock func(), err error) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[[32]byte]*keyEntry{}
	}
	e := k.locks[key]
	if e == nil {
		e = &keyEntry{ch: make(chan struct{}, 1)}
		k.locks[key] = e
	}
	e.refs++
	k.mu.Unlock()
	done := func() {
		k.mu.Lock()
		if e.refs--; e.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
	select {
	case e.ch <- struct{}{}:
		return func() { <-e.ch; done() }, nil
	case <-ctx.Done():
		done()
		return nil, ctx.Err()
	}
}
