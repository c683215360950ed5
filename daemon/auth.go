package daemon

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/walrus-go/walrus/chain"
)

// AuthDomain is the ErrorInfo domain of the authenticated publisher's
// errors (Walrus's).
const AuthDomain = "auth.publisher.walrus.space"

// Defaults of the replay cache (Walrus's --jwt-cache-size and
// --jwt-cache-refresh-interval).
const (
	DefaultJWTCacheSize            = 10_000
	DefaultJWTCacheRefreshInterval = 5 * time.Second
)

// AuthConfig makes the publisher an authenticated publisher (Walrus's
// --jwt-* flags): every store needs "Authorization: Bearer <JWT>".
//
// The checks, in order, before the body is read: the token's form, its
// algorithm (the configured one), its signature, exp (60 s of leeway),
// exp-iat = ExpiringSec when set, not both epochs and max_epochs nor both
// size and max_size, and with VerifyUpload the request against the claims
// (epochs exact or at most max_epochs, send_object_to, a Content-Length
// against size/max_size); then the jti is spent (single use). Once the body
// is read, its length is checked against size/max_size whatever
// VerifyUpload says (a body without Content-Length is read no further than
// the claim allows). A token is spent by a request that passed these
// checks, even if its store then fails; a request shed for load (429/503)
// leaves it unspent.
//
// Answers: 401 (reason MISSING_TOKEN, INVALID_TOKEN, INVALID_SIGNATURE,
// EXPIRED_SIGNATURE, INVALID_TIMESTAMP, TOKEN_ALREADY_USED) with
// WWW-Authenticate: Bearer; 400 FAILED_PRECONDITION for a request the
// claims do not allow (Walrus's reasons: INVALID_EXPIRATION, INVALID_SIZES,
// INVALID_EPOCHS, EPOCHS_ABOVE_MAX, MISSING_SEND_OBJECT_TO,
// INVALID_SEND_OBJECT_TO, MAX_SIZE_EXCEEDED, SIZE_INCORRECT, INVALID_SIZE);
// 429 TOKEN_CACHE_FULL when the replay cache holds CacheSize unexpired
// tokens. Walrus answers some of these differently (400 without a token,
// 504 for an expired one, 429 for a reused one, 500 for a full cache).
type AuthConfig struct {
	// Secret is --jwt-decode-secret: "0x" and hex digits, or the string's
	// bytes; the HMAC secret or the public key (see newJWTVerifier for the
	// forms). Empty: signatures are not checked (the rest is), for a
	// publisher behind a gateway that checked them.
	Secret string
	// Algorithm is --jwt-algorithm (DefaultJWTAlgorithm if empty): HS256,
	// HS384, HS512, ES256, ES384, RS256, RS384, RS512, PS256, PS384, PS512
	// or EdDSA.
	Algorithm string
	// ExpiringSec (--jwt-expiring-sec), if positive, requires iat and
	// exp-iat equal to it.
	ExpiringSec int64
	// VerifyUpload (--jwt-verify-upload) checks the request against the
	// claims epochs, max_epochs, send_object_to, size and max_size.
	VerifyUpload bool
	// CacheSize (--jwt-cache-size) bounds the spent tokens remembered
	// (DefaultJWTCacheSize if 0).
	CacheSize int
	// CacheRefreshInterval (--jwt-cache-refresh-interval) is how often
	// expired tokens are dropped from the cache (DefaultJWTCacheRefreshInterval
	// if 0); a full cache drops them at once.
	CacheRefreshInterval time.Duration
}

// Reasons of the authenticated publisher's errors (domain AuthDomain).
const (
	ReasonMissingToken        = "MISSING_TOKEN"          // 401: no Authorization: Bearer
	ReasonInvalidToken        = "INVALID_TOKEN"          // 401: malformed, wrong algorithm, claims missing or mistyped
	ReasonInvalidSignature    = "INVALID_SIGNATURE"      // 401
	ReasonExpiredSignature    = "EXPIRED_SIGNATURE"      // 401: exp + 60 s is past
	ReasonInvalidTimestamp    = "INVALID_TIMESTAMP"      // 401: exp or iat out of range
	ReasonTokenAlreadyUsed    = "TOKEN_ALREADY_USED"     // 401: jti spent
	ReasonTokenCacheFull      = "TOKEN_CACHE_FULL"       // 429
	ReasonInvalidExpiration   = "INVALID_EXPIRATION"     // 400: exp-iat ≠ ExpiringSec
	ReasonInvalidSizes        = "INVALID_SIZES"          // 400: size and max_size
	ReasonInvalidEpochs       = "INVALID_EPOCHS"         // 400: epochs ≠ the claim's, or epochs and max_epochs
	ReasonEpochsAboveMax      = "EPOCHS_ABOVE_MAX"       // 400
	ReasonMissingSendObjectTo = "MISSING_SEND_OBJECT_TO" // 400
	ReasonInvalidSendObjectTo = "INVALID_SEND_OBJECT_TO" // 400
	ReasonMaxSizeExceeded     = "MAX_SIZE_EXCEEDED"      // 400: Content-Length > max_size
	ReasonSizeIncorrect       = "SIZE_INCORRECT"         // 400: Content-Length ≠ size
	ReasonInvalidSize         = "INVALID_SIZE"           // 400: the body read does not fit size/max_size
)

func authError(reason, format string, args ...any) *apiError {
	e := errorf(http.StatusUnauthorized, "UNAUTHENTICATED", reason, format, args...)
	e.Domain, e.WWWAuthenticate = AuthDomain, `Bearer error="invalid_token"`
	return e
}

func claimError(reason, format string, args ...any) *apiError {
	e := errorf(http.StatusBadRequest, "FAILED_PRECONDITION", reason, format, args...)
	e.Domain = AuthDomain
	return e
}

// withDefaults fills the cache's zero fields.
func (a AuthConfig) withDefaults() AuthConfig {
	if a.CacheSize == 0 {
		a.CacheSize = DefaultJWTCacheSize
	}
	if a.CacheRefreshInterval == 0 {
		a.CacheRefreshInterval = DefaultJWTCacheRefreshInterval
	}
	if a.Algorithm == "" {
		a.Algorithm = DefaultJWTAlgorithm
	}
	return a
}

// Validate checks the algorithm, the secret's form for it and the limits
// (New does too; this is for commands, before they connect).
func (a AuthConfig) Validate() error {
	_, err := newAuth(a.withDefaults())
	return err
}

// auth is the running authenticated publisher's state.
type auth struct {
	cfg   AuthConfig
	v     *jwtVerifier
	cache *replayCache
	now   func() time.Time
}

func newAuth(cfg AuthConfig) (*auth, error) {
	if cfg.CacheSize < 0 || cfg.CacheRefreshInterval < 0 || cfg.ExpiringSec < 0 {
		return nil, fmt.Errorf("%w: negative JWT cache size, refresh interval or expiring seconds", ErrConfig)
	}
	v, err := newJWTVerifier(cfg.Algorithm, cfg.Secret)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	return &auth{cfg: cfg, v: v, cache: newReplayCache(cfg.CacheSize, cfg.CacheRefreshInterval), now: time.Now}, nil
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) (string, *apiError) {
	vs := r.Header.Values("Authorization")
	if len(vs) == 0 {
		return "", authError(ReasonMissingToken, "this publisher needs an Authorization: Bearer <JWT> header")
	}
	if len(vs) > 1 {
		return "", authError(ReasonInvalidToken, "more than one Authorization header")
	}
	scheme, tok, ok := strings.Cut(strings.TrimSpace(vs[0]), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", authError(ReasonMissingToken, "the Authorization header is not Bearer <JWT>")
	}
	return strings.TrimSpace(tok), nil
}

// check authenticates a store request before its body is read and spends
// its token; release gives the token back (for a request then shed).
func (a *auth) check(r *http.Request, epochs uint32, sendObjectTo *chain.Address) (c *Claims, release func(), e *apiError) {
	tok, e := bearer(r)
	if e != nil {
		return nil, nil, e
	}
	now := a.now()
	if c, e = a.v.parse(tok, now); e != nil {
		return nil, nil, e
	}
	if e = c.checkClaims(epochs, sendObjectTo, r.ContentLength, a.cfg.ExpiringSec, a.cfg.VerifyUpload); e != nil {
		return nil, nil, e
	}
	// A token lives in the cache until it can no longer pass the exp check.
	release, e = a.cache.spend(c.Jti, time.Unix(c.Exp, 0).Add(jwtLeeway), now)
	if e != nil {
		return nil, nil, e
	}
	return c, release, nil
}

// replayCache remembers spent jtis (as SHA-256 hashes, so that memory is
// bounded whatever their length) until their tokens expire: at most max
// of them; expired ones are dropped every refresh interval (on the next
// spend) or at once when the cache is full. Safe for concurrent use.
type replayCache struct {
	mu        sync.Mutex
	max       int
	refresh   time.Duration
	lastSweep time.Time
	m         map[[32]byte]time.Time // jti hash → until
}

func newReplayCache(max int, refresh time.Duration) *replayCache {
	return &replayCache{max: max, refresh: refresh, m: map[[32]byte]time.Time{}}
}

// spend records jti as used until until; it fails if it is already, or if
// the cache is full of unexpired tokens. release forgets it again.
func (c *replayCache) spend(jti string, until, now time.Time) (release func(), e *apiError) {
	k := sha256.Sum256([]byte(jti))
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(c.lastSweep) >= c.refresh || len(c.m) >= c.max {
		c.sweep(now)
	}
	if t, ok := c.m[k]; ok && now.Before(t) {
		return nil, authError(ReasonTokenAlreadyUsed, "the token (jti %q) was used already", echo(jti))
	}
	if len(c.m) >= c.max {
		e := errorf(http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", ReasonTokenCacheFull, "the publisher remembers %d unexpired tokens already; retry later", c.max)
		e.Domain, e.RetryAfter = AuthDomain, max(1, int(c.refresh/time.Second))
		return nil, e
	}
	c.m[k] = until
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.m, k)
	}, nil
}

func (c *replayCache) sweep(now time.Time) {
	c.lastSweep = now
	for k, t := range c.m {
		if !now.Before(t) {
			delete(c.m, k)
		}
	}
}

func (c *replayCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
