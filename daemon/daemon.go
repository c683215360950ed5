// Package daemon is the Walrus publisher and aggregator HTTP API (reference
// §8.1–8.2) over the SDK (package client): the publisher stores request
// bodies (PUT /v1/blobs) and answers Walrus's newlyCreated/alreadyCertified/markedInvalid
// JSON; the aggregator serves blobs by blob ID (whole, one Range, a
// byte-range query, or streamed), by Blob object ID (attributes in the
// allowed list become response headers), and several at once
// (/v1alpha/blobs/concat, concat.go). With Config.Auth the publisher is
// Walrus's authenticated publisher: each store needs a single-use JWT
// whose claims allow it (auth.go, jwt.go). Handler serves either or both
// (the `walrus publisher|aggregator|daemon` commands), plus /status and the
// OpenAPI description at /v1/api.
//
// As Walrus's publisher, stores buy new storage unless reuse_resources=true
// and leave the Blob object with the publisher's wallet unless
// send_object_to or share says otherwise. Stores of the same bytes run one
// after the other, so that a later one finds the blob certified (and
// answers alreadyCertified if the first one's lifetime covers it).
//
// Robustness: request bodies are bounded (413 without buffering past the
// limit); stores and reads each run under a concurrency limit with a
// bounded queue behind it (a full queue answers 429, a request that waited
// QueueTimeout answers 503); every request has a deadline; a panic in a
// handler answers 500 (or aborts a started response). Errors are JSON
// bodies in the AIP-193 form the storage nodes use, with a reason per case
// (errors.go lists them). Read answers: 404 for a blob that is unknown, not
// certified yet or deleted (reason BLOB_NOT_FOUND), expired (BLOB_EXPIRED)
// or marked invalid (BLOB_INVALID); 503 when too few nodes answer; 416 for
// an unsatisfiable range. Metrics go to Config.Registerer.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/client"
	"github.com/walrus-go/walrus/internal/httpx"
)

// Defaults.
const (
	DefaultMaxBodySize           = 10_240 << 10 // Walrus's --max-body-size 10,240 KiB
	DefaultMaxConcurrentRequests = 8
	DefaultMaxConcurrentReads    = 64
	DefaultQueueTimeout          = 30 * time.Second
	DefaultBodyTimeout           = 2 * time.Minute
	DefaultStoreTimeout          = 10 * time.Minute
	DefaultReadTimeout           = 10 * time.Minute
)

// DefaultAllowedHeaders are the attribute keys served as response headers
// by the by-object-id route (Walrus's --allowed-headers default).
var DefaultAllowedHeaders = []string{"content-disposition", "content-encoding", "content-language", "content-location", "content-type", "link"}

// ErrConfig reports an invalid configuration.
var ErrConfig = errors.New("daemon: invalid config")

// Config configures a Server.
type Config struct {
	// Client is the SDK client; required. Publisher needs it to have a
	// wallet.
	Client *client.Client
	// Publisher and Aggregator choose the routes served (a daemon is both);
	// at least one.
	Publisher, Aggregator bool
	// MaxBodySize bounds a store's body in bytes (DefaultMaxBodySize).
	MaxBodySize int64
	// MaxConcurrentRequests bounds the stores in progress
	// (DefaultMaxConcurrentRequests); MaxQueuedRequests more wait (default:
	// as many), beyond that requests are shed with 429.
	MaxConcurrentRequests int
	MaxQueuedRequests     int
	// MaxConcurrentReads bounds the aggregator's reads in progress
	// (DefaultMaxConcurrentReads); MaxQueuedReads more wait (default: as
	// many), beyond that 429.
	MaxConcurrentReads int
	MaxQueuedReads     int
	// QueueTimeout bounds the wait for a slot (then 503).
	QueueTimeout time.Duration
	// BodyTimeout bounds the reading of a store's body (a client that
	// trickles its body would otherwise hold a store slot).
	BodyTimeout time.Duration
	// StoreTimeout and ReadTimeout bound one store or read.
	StoreTimeout, ReadTimeout time.Duration
	// AllowedHeaders are the attribute keys copied to response headers on
	// by-object-id reads (DefaultAllowedHeaders if nil; compared
	// case-insensitively).
	AllowedHeaders []string
	// BurnAfterStore burns each new Blob object that a store neither sends
	// (send_object_to) nor shares, instead of keeping it in the publisher's
	// wallet (Walrus's --burn-after-store): the blob stays stored until its
	// end epoch, and the wallet does not fill up with objects.
	BurnAfterStore bool
	// Auth, if set, makes the publisher an authenticated one: stores need
	// a JWT (see AuthConfig).
	Auth *AuthConfig
	// MaxConcatIDs bounds the blobs of one /v1alpha/blobs/concat request
	// (DefaultMaxConcatIDs); MaxConcatBodySize its POST body in bytes
	// (DefaultMaxConcatBodySize).
	MaxConcatIDs      int
	MaxConcatBodySize int64
	// Registerer receives the metrics; nil: none are exported.
	Registerer prometheus.Registerer
	// Logger receives request errors; nil discards them.
	Logger *slog.Logger
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.MaxBodySize == 0 {
		c.MaxBodySize = DefaultMaxBodySize
	}
	if c.MaxConcurrentRequests == 0 {
		c.MaxConcurrentRequests = DefaultMaxConcurrentRequests
	}
	if c.MaxQueuedRequests == 0 {
		c.MaxQueuedRequests = c.MaxConcurrentRequests
	}
	if c.MaxConcurrentReads == 0 {
		c.MaxConcurrentReads = DefaultMaxConcurrentReads
	}
	if c.MaxQueuedReads == 0 {
		c.MaxQueuedReads = c.MaxConcurrentReads
	}
	if c.QueueTimeout == 0 {
		c.QueueTimeout = DefaultQueueTimeout
	}
	if c.BodyTimeout == 0 {
		c.BodyTimeout = DefaultBodyTimeout
	}
	if c.StoreTimeout == 0 {
		c.StoreTimeout = DefaultStoreTimeout
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.Auth != nil {
		a := c.Auth.withDefaults()
		c.Auth = &a
	}
	if c.MaxConcatIDs == 0 {
		c.MaxConcatIDs = DefaultMaxConcatIDs
	}
	if c.MaxConcatBodySize == 0 {
		c.MaxConcatBodySize = DefaultMaxConcatBodySize
	}
	if c.AllowedHeaders == nil {
		c.AllowedHeaders = DefaultAllowedHeaders
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate checks a config (after WithDefaults).
func (c *Config) Validate() error {
	switch {
	case c.Client == nil:
		return fmt.Errorf("%w: no client", ErrConfig)
	case !c.Publisher && !c.Aggregator:
		return fmt.Errorf("%w: neither publisher nor aggregator", ErrConfig)
	case c.Publisher && c.Client.Address() == (chain.Address{}):
		return fmt.Errorf("%w: the publisher needs a client with a wallet", ErrConfig)
	case !allTokens(c.AllowedHeaders):
		return fmt.Errorf("%w: allowed headers %q: want header names (letters, digits, -)", ErrConfig, c.AllowedHeaders)
	case c.MaxBodySize < 0, c.MaxConcurrentRequests < 0, c.MaxQueuedRequests < 0, c.MaxConcurrentReads < 0,
		c.MaxQueuedReads < 0, c.MaxConcatIDs < 0, c.MaxConcatBodySize < 0, c.QueueTimeout < 0, c.BodyTimeout < 0, c.StoreTimeout < 0, c.ReadTimeout < 0:
		return fmt.Errorf("%w: negative limit", ErrConfig)
	}
	return nil
}

// Server is a publisher and/or aggregator. It is safe for concurrent use.
type Server struct {
	cfg     Config
	c       *client.Client
	stores  *limiter
	reads   *limiter
	metrics *metrics
	allowed map[string]string // lower-case attribute key → header name
	// sameBlob serializes stores of the same bytes.
	sameBlob keyedLock
	sizes    sizeCache
	auth     *auth // nil: an open publisher
	handler  http.Handler
}

// New returns a server for cfg.
func New(cfg Config) (*Server, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, c: cfg.Client,
		stores:  newLimiter(cfg.MaxConcurrentRequests, cfg.MaxQueuedRequests, cfg.QueueTimeout),
		reads:   newLimiter(cfg.MaxConcurrentReads, cfg.MaxQueuedReads, cfg.QueueTimeout),
		metrics: newMetrics(),
		allowed: map[string]string{},
	}
	for _, h := range cfg.AllowedHeaders {
		s.allowed[lower(h)] = http.CanonicalHeaderKey(h)
	}
	if cfg.Publisher && cfg.Auth != nil {
		a, err := newAuth(*cfg.Auth)
		if err != nil {
			return nil, err
		}
		s.auth = a
	}
	if cfg.Registerer != nil {
		if err := s.metrics.register(cfg.Registerer, s); err != nil {
			return nil, fmt.Errorf("daemon: metrics: %w", err)
		}
	}
	s.handler = s.routes()
	return s, nil
}

// Handler returns the HTTP handler of every enabled route, /status and
// /v1/api.
func (s *Server) Handler() http.Handler { return s.handler }

// HTTPServer returns an http.Server for the handler on addr with header
// and idle timeouts (bodies and answers are bounded by the handlers'
// own deadlines, since a store or a large read may take minutes).
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr: addr, Handler: s.handler,
		ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
	}
}

// Route names (the metrics' route label).
const (
	routeStore       = "PUT /v1/blobs"
	routeStoreLegacy = "PUT /v1/store"
	routeBlob        = "GET /v1/blobs/{blob_id}"
	routeByObject    = "GET /v1/blobs/by-object-id/{object_id}"
	routeByteRange   = "GET /v1/blobs/{blob_id}/byte-range"
	routeStream      = "GET /v1alpha/blobs/{blob_id}/stream"
	routeConcat      = "GET /v1alpha/blobs/concat"
	routeConcatPost  = "POST /v1alpha/blobs/concat"
	routeStatus      = "GET /status"
	routeAPI         = "GET /v1/api"
	routeUnknown     = "unknown"
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	if s.cfg.Publisher {
		mux.HandleFunc(routeStore, s.handleStore)
		mux.HandleFunc(routeStoreLegacy, s.handleStore)
	}
	if s.cfg.Aggregator {
		mux.HandleFunc(routeBlob, s.handleBlob)
		// by-object-id/{id} and {blob_id}/byte-range overlap (ServeMux
		// refuses both patterns): one pattern, dispatched by segment.
		mux.HandleFunc("GET /v1/blobs/{a}/{b}", func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.PathValue("a") == "by-object-id":
				setRoute(w, routeByObject)
				s.handleByObject(w, r, r.PathValue("b"))
			case r.PathValue("b") == "byte-range":
				setRoute(w, routeByteRange)
				s.handleByteRange(w, r, r.PathValue("a"))
			default:
				s.notFound(w, r)
			}
		})
		mux.HandleFunc(routeStream, s.handleStream)
		mux.HandleFunc(routeConcat, s.handleConcat)
		mux.HandleFunc(routeConcatPost, s.handleConcat)
	}
	mux.HandleFunc(routeStatus, s.handleStatus)
	mux.HandleFunc(routeAPI, s.handleAPI)
	return s.instrument(httpx.Unmatched(mux, s.unmatched))
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) { s.unmatched(w, r, "") }

// unmatched answers a request no route takes: 405 with Allow for a wrong
// method on a known path, else 404.
func (s *Server) unmatched(w http.ResponseWriter, r *http.Request, allow string) {
	setRoute(w, routeUnknown)
	if allow != "" {
		e := errorf(http.StatusMethodNotAllowed, "UNIMPLEMENTED", ReasonMethodNotAllowed, "%s is not allowed on %s (allowed: %s)", r.Method, echo(r.URL.Path), allow)
		e.Allow = allow
		writeError(w, e)
		return
	}
	writeError(w, errorf(http.StatusNotFound, "NOT_FOUND", ReasonRouteNotFound, "no route %s %s", r.Method, echo(r.URL.Path)))
}

// limiter bounds the operations in progress, with a bounded queue behind.
type limiter struct {
	slots     chan struct{}
	queued    atomic.Int64
	maxQueued int64
	timeout   time.Duration
}

func newLimiter(n, queue int, timeout time.Duration) *limiter {
	return &limiter{slots: make(chan struct{}, n), maxQueued: int64(queue), timeout: timeout}
}

var (
	errShed         = &apiError{Code: http.StatusTooManyRequests, Status: "RESOURCE_EXHAUSTED", Reason: ReasonOverloaded, Message: "too many requests in progress and queued; retry later", RetryAfter: 1}
	errQueueTimeout = &apiError{Code: http.StatusServiceUnavailable, Status: "UNAVAILABLE", Reason: ReasonQueueTimeout, Message: "no capacity freed up in time; retry later", RetryAfter: 5}
)

// acquire takes a slot, waiting in the queue if there is room in it.
func (l *limiter) acquire(ctx context.Context) (release func(), err *apiError) {
	release = func() { <-l.slots }
	select {
	case l.slots <- struct{}{}:
		return release, nil
	default:
	}
	if l.queued.Add(1) > l.maxQueued {
		l.queued.Add(-1)
		return nil, errShed
	}
	defer l.queued.Add(-1)
	t := time.NewTimer(l.timeout)
	defer t.Stop()
	select {
	case l.slots <- struct{}{}:
		return release, nil
	case <-t.C:
		return nil, errQueueTimeout
	case <-ctx.Done():
		return nil, errCancelled(ctx.Err())
	}
}

func (l *limiter) inFlight() int { return len(l.slots) }
func (l *limiter) waiting() int  { return int(l.queued.Load()) }

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// allTokens reports whether every name is a plausible header name.
func allTokens(names []string) bool {
	for _, n := range names {
		if n == "" {
			return false
		}
		for i := 0; i < len(n); i++ {
			c := n[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
