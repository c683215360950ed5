package daemon

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"hash"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/walrus-go/walrus/chain"
)

// Tokens are built here from their parts, with the standard library's
// primitives, so that the tests do not share the verifier's code.

func enc(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func jsonPart(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return enc(b)
}

// signer signs a JWS signing input.
type signer func(input []byte) []byte

func hmacSigner(h func() hash.Hash, key []byte) signer {
	return func(in []byte) []byte {
		m := hmac.New(h, key)
		m.Write(in)
		return m.Sum(nil)
	}
}

func ed25519Signer(k ed25519.PrivateKey) signer {
	return func(in []byte) []byte { return ed25519.Sign(k, in) }
}

func es256Signer(k *ecdsa.PrivateKey) signer {
	return func(in []byte) []byte {
		d := sha256.Sum256(in)
		r, s, err := ecdsa.Sign(rand.Reader, k, d[:])
		if err != nil {
			panic(err)
		}
		out := make([]byte, 64)
		r.FillBytes(out[:32])
		s.FillBytes(out[32:])
		return out
	}
}

func rsaSigner(k *rsa.PrivateKey, pss bool) signer {
	return func(in []byte) []byte {
		d := sha256.Sum256(in)
		var sig []byte
		var err error
		if pss {
			sig, err = rsa.SignPSS(rand.Reader, k, crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, d[:])
		}
		if err != nil {
			panic(err)
		}
		return sig
	}
}

// makeToken builds header.claims.signature.
func makeToken(t testing.TB, alg string, claims any, sign signer) string {
	t.Helper()
	in := jsonPart(t, map[string]string{"alg": alg, "typ": "JWT"}) + "." + jsonPart(t, claims)
	var sig []byte
	if sign != nil {
		sig = sign([]byte(in))
	}
	return in + "." + enc(sig)
}

var testSecret = []byte("a shared secret of the publisher")

func hs256(t testing.TB, claims any) string {
	return makeToken(t, "HS256", claims, hmacSigner(sha256.New, testSecret))
}

var jwtNow = time.Unix(1_800_000_000, 0)

func goodClaims() map[string]any {
	return map[string]any{"exp": jwtNow.Unix() + 600, "jti": "id-1"}
}

func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

func mustVerifier(t testing.TB, alg, secret string) *jwtVerifier {
	t.Helper()
	v, err := newJWTVerifier(alg, secret)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestJWTParse(t *testing.T) {
	hsv := mustVerifier(t, "", "0x"+hex.EncodeToString(testSecret))
	good := hs256(t, goodClaims())
	// A good token with one part replaced.
	parts := strings.Split(good, ".")
	swap := func(i int, s string) string {
		p := append([]string(nil), parts...)
		p[i] = s
		return strings.Join(p, ".")
	}
	for _, c := range []struct {
		name, token, reason string
	}{
		{"good", good, ""},
		{"HS384 header", makeToken(t, "HS384", goodClaims(), hmacSigner(sha512.New384, testSecret)), ReasonInvalidToken},
		{"alg none", makeToken(t, "none", goodClaims(), nil), ReasonInvalidToken},
		{"alg none signed", swap(0, jsonPart(t, map[string]string{"alg": "none"})), ReasonInvalidToken},
		{"other secret", makeToken(t, "HS256", goodClaims(), hmacSigner(sha256.New, []byte("other"))), ReasonInvalidSignature},
		{"claims changed", swap(1, jsonPart(t, with(goodClaims(), "epochs", 9))), ReasonInvalidSignature},
		{"signature cut", swap(2, parts[2][:8]), ReasonInvalidSignature},
		{"no signature", swap(2, ""), ReasonInvalidSignature},
		{"expired", hs256(t, with(goodClaims(), "exp", jwtNow.Unix()-61)), ReasonExpiredSignature},
		{"expired within leeway", hs256(t, with(goodClaims(), "exp", jwtNow.Unix()-59)), ""},
		{"no exp", hs256(t, with(goodClaims(), "exp", nil)), ReasonInvalidToken},
		{"no jti", hs256(t, with(goodClaims(), "jti", nil)), ReasonInvalidToken},
		{"exp a string", hs256(t, with(goodClaims(), "exp", "soon")), ReasonInvalidToken},
		{"exp fractional", hs256(t, with(goodClaims(), "exp", 1.9e9+0.5)), ReasonInvalidToken},
		{"exp past year 9999", hs256(t, with(goodClaims(), "exp", int64(1)<<40)), ReasonInvalidTimestamp},
		{"negative size", hs256(t, with(goodClaims(), "size", -1)), ReasonInvalidToken},
		{"epochs too large", hs256(t, with(goodClaims(), "epochs", int64(1)<<32)), ReasonInvalidToken},
		{"send_object_to not an address", hs256(t, with(goodClaims(), "send_object_to", "alice")), ReasonInvalidToken},
		{"claims an array", makeToken(t, "HS256", []int{1}, hmacSigner(sha256.New, testSecret)), ReasonInvalidToken},
		{"header not JSON", swap(0, enc([]byte("{alg"))), ReasonInvalidToken},
		{"header padded", swap(0, parts[0]+"="), ReasonInvalidToken},
		{"header not base64url", swap(0, "eyJ+"), ReasonInvalidToken},
		{"claims not base64url", swap(1, "***"), ReasonInvalidSignature}, // the signature covers the bytes as sent
		{"signature not base64url", swap(2, "a/b"), ReasonInvalidToken},
		{"two parts", parts[0] + "." + parts[1], ReasonInvalidToken},
		{"four parts", good + ".x", ReasonInvalidToken},
		{"empty", "", ReasonInvalidToken},
		{"oversized header", swap(0, enc([]byte(`{"alg":"HS256","x":"`+strings.Repeat("a", maxTokenLen)+`"}`))), ReasonInvalidToken},
	} {
		got, err := hsv.parse(c.token, jwtNow)
		switch {
		case c.reason == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.reason == "" && (got.Jti != "id-1" || got.Exp == 0):
			t.Errorf("%s: claims %+v", c.name, got)
		case c.reason != "" && (err == nil || err.Reason != c.reason || err.Code != http.StatusUnauthorized || err.Domain != AuthDomain):
			t.Errorf("%s: want %s, got %v (%+v)", c.name, c.reason, err, got)
		}
	}

	// Claims are read with their types.
	to := chain.Address{31: 7}
	c, err := hsv.parse(hs256(t, with(goodClaims(), "iat", jwtNow.Unix(), "send_object_to", "0x7", "epochs", 3, "max_size", 1000, "other", []int{1})), jwtNow)
	if err != nil || *c.Iat != jwtNow.Unix() || *c.SendObjectTo != to || *c.Epochs != 3 || *c.MaxSize != 1000 || c.Size != nil || c.MaxEpochs != nil {
		t.Fatalf("claims %+v %v", c, err)
	}
	// The claims are not decoded before the signature verifies.
	if _, err := hsv.parse(swap(1, "***"), jwtNow); err == nil || err.Reason != ReasonInvalidSignature {
		t.Fatalf("bad claims, bad signature: %v", err)
	}
	// Without a secret, signatures are not checked, the rest is.
	open := mustVerifier(t, "HS256", "")
	if _, err := open.parse(makeToken(t, "HS256", goodClaims(), hmacSigner(sha256.New, []byte("anything"))), jwtNow); err != nil {
		t.Fatalf("no secret: %v", err)
	}
	for _, tok := range []string{makeToken(t, "none", goodClaims(), nil), hs256(t, with(goodClaims(), "exp", jwtNow.Unix()-100))} {
		if _, err := open.parse(tok, jwtNow); err == nil {
			t.Fatalf("no secret: %s accepted", tok)
		}
	}
}

func TestJWTAlgorithms(t *testing.T) {
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	ecPriv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecPoint, _ := ecPriv.PublicKey.Bytes()
	ecSPKI, _ := x509.MarshalPKIXPublicKey(&ecPriv.PublicKey)
	edSPKI, _ := x509.MarshalPKIXPublicKey(edPub)
	rsaPriv, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsaDER := x509.MarshalPKCS1PublicKey(&rsaPriv.PublicKey)
	h := func(b []byte) string { return "0x" + hex.EncodeToString(b) }
	for _, c := range []struct {
		alg, secret string
		sign        signer
	}{
		{"HS256", string(testSecret), hmacSigner(sha256.New, testSecret)},
		{"HS384", h(testSecret), hmacSigner(sha512.New384, testSecret)},
		{"HS512", h(testSecret), hmacSigner(sha512.New, testSecret)},
		{"EdDSA", h(edPub), ed25519Signer(edPriv)},
		{"EdDSA", h(edSPKI), ed25519Signer(edPriv)},
		{"ES256", h(ecPoint), es256Signer(ecPriv)},
		{"ES256", h(ecSPKI), es256Signer(ecPriv)},
		{"RS256", h(rsaDER), rsaSigner(rsaPriv, false)},
		{"PS256", h(rsaDER), rsaSigner(rsaPriv, true)},
	} {
		v := mustVerifier(t, c.alg, c.secret)
		tok := makeToken(t, c.alg, goodClaims(), c.sign)
		if _, err := v.parse(tok, jwtNow); err != nil {
			t.Errorf("%s: %v", c.alg, err)
		}
		// A signature of other claims fails.
		parts := strings.Split(tok, ".")
		other := makeToken(t, c.alg, with(goodClaims(), "jti", "id-2"), c.sign)
		forged := parts[0] + "." + parts[1] + "." + strings.Split(other, ".")[2]
		if _, err := v.parse(forged, jwtNow); err == nil || err.Reason != ReasonInvalidSignature {
			t.Errorf("%s: another token's signature: %v", c.alg, err)
		}
	}
	// Algorithm confusion: an HS256 token "signed" with the public key as
	// the HMAC secret, sent to an EdDSA publisher.
	v := mustVerifier(t, "EdDSA", h(edPub))
	if _, err := v.parse(makeToken(t, "HS256", goodClaims(), hmacSigner(sha256.New, edPub)), jwtNow); err == nil || err.Reason != ReasonInvalidToken {
		t.Fatalf("HS256 token to an EdDSA publisher: %v", err)
	}
	// Configuration errors.
	for _, c := range [][2]string{{"none", "x"}, {"hs256", "x"}, {"HS256", "0xabc"}, {"HS256", "0xzz"}, {"HS256", "0x"},
		{"EdDSA", "0x1234"}, {"EdDSA", h(ecSPKI)}, {"ES256", h(edPub)}, {"ES384", h(ecPoint)}, {"RS256", h(ecSPKI)}} {
		if _, err := newJWTVerifier(c[0], c[1]); err == nil {
			t.Errorf("algorithm %s with secret %s accepted", c[0], c[1])
		}
	}
	if err := (AuthConfig{Algorithm: "EdDSA", Secret: "0x00"}).Validate(); err == nil {
		t.Error("AuthConfig.Validate accepted a bad key")
	}
	if err := (AuthConfig{Secret: "s", CacheSize: -1}).Validate(); err == nil {
		t.Error("AuthConfig.Validate accepted a negative cache size")
	}
}

func TestJWTClaimsCheck(t *testing.T) {
	u32 := func(v uint32) *uint32 { return &v }
	u64 := func(v uint64) *uint64 { return &v }
	i64 := func(v int64) *int64 { return &v }
	to, other := &chain.Address{1}, &chain.Address{2}
	base := Claims{Exp: 1000, Jti: "j"}
	for _, c := range []struct {
		name     string
		mod      func(*Claims)
		epochs   uint32
		to       *chain.Address
		length   int64
		expiring int64
		verify   bool
		reason   string
	}{
		{"nothing to check", func(*Claims) {}, 5, nil, 10, 0, true, ""},
		{"exact epochs", func(c *Claims) { c.Epochs = u32(3) }, 3, nil, -1, 0, true, ""},
		{"other epochs", func(c *Claims) { c.Epochs = u32(3) }, 2, nil, -1, 0, true, ReasonInvalidEpochs},
		{"other epochs, not verified", func(c *Claims) { c.Epochs = u32(3) }, 2, nil, -1, 0, false, ""},
		{"max epochs", func(c *Claims) { c.MaxEpochs = u32(3) }, 3, nil, -1, 0, true, ""},
		{"above max epochs", func(c *Claims) { c.MaxEpochs = u32(3) }, 4, nil, -1, 0, true, ReasonEpochsAboveMax},
		{"epochs and max_epochs", func(c *Claims) { c.Epochs, c.MaxEpochs = u32(3), u32(3) }, 3, nil, -1, 0, false, ReasonInvalidEpochs},
		{"size and max_size", func(c *Claims) { c.Size, c.MaxSize = u64(3), u64(3) }, 1, nil, 3, 0, false, ReasonInvalidSizes},
		{"send_object_to", func(c *Claims) { c.SendObjectTo = to }, 1, to, -1, 0, true, ""},
		{"send_object_to missing", func(c *Claims) { c.SendObjectTo = to }, 1, nil, -1, 0, true, ReasonMissingSendObjectTo},
		{"send_object_to other", func(c *Claims) { c.SendObjectTo = to }, 1, other, -1, 0, true, ReasonInvalidSendObjectTo},
		{"send_object_to free", func(*Claims) {}, 1, other, -1, 0, true, ""},
		{"max_size", func(c *Claims) { c.MaxSize = u64(10) }, 1, nil, 10, 0, true, ""},
		{"over max_size", func(c *Claims) { c.MaxSize = u64(10) }, 1, nil, 11, 0, true, ReasonMaxSizeExceeded},
		{"over max_size, length unknown", func(c *Claims) { c.MaxSize = u64(10) }, 1, nil, -1, 0, true, ""},
		{"size", func(c *Claims) { c.Size = u64(10) }, 1, nil, 10, 0, true, ""},
		{"other size", func(c *Claims) { c.Size = u64(10) }, 1, nil, 9, 0, true, ReasonSizeIncorrect},
		{"lifetime", func(c *Claims) { c.Iat = i64(400) }, 1, nil, -1, 600, false, ""},
		{"other lifetime", func(c *Claims) { c.Iat = i64(401) }, 1, nil, -1, 600, false, ReasonInvalidExpiration},
		{"lifetime without iat", func(*Claims) {}, 1, nil, -1, 600, false, ReasonInvalidExpiration},
	} {
		cl := base
		c.mod(&cl)
		err := cl.checkClaims(c.epochs, c.to, c.length, c.expiring, c.verify)
		if (c.reason == "") != (err == nil) || (err != nil && (err.Reason != c.reason || err.Code != http.StatusBadRequest)) {
			t.Errorf("%s: want %q, got %v", c.name, c.reason, err)
		}
	}
	cl := base
	cl.MaxSize = u64(10)
	if cl.bodyLimit() != 10 || cl.checkBody(10) != nil || cl.checkBody(11) == nil {
		t.Fatal("max_size on the body read")
	}
	cl = base
	cl.Size = u64(10)
	if cl.bodyLimit() != 10 || cl.checkBody(10) != nil || cl.checkBody(9) == nil {
		t.Fatal("size on the body read")
	}
	if base.bodyLimit() != -1 || base.checkBody(1<<40) != nil {
		t.Fatal("no size claims")
	}
}

func TestReplayCache(t *testing.T) {
	now := jwtNow
	c := newReplayCache(3, 5*time.Second)
	rel, err := c.spend("a", now.Add(time.Minute), now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.spend("a", now.Add(time.Minute), now); err == nil || err.Reason != ReasonTokenAlreadyUsed || err.Code != 401 {
		t.Fatalf("reuse: %v", err)
	}
	rel() // given back: usable again
	if _, err := c.spend("a", now.Add(time.Minute), now); err != nil {
		t.Fatalf("after release: %v", err)
	}
	for _, j := range []string{"b", "c"} {
		if _, err := c.spend(j, now.Add(10*time.Second), now); err != nil {
			t.Fatal(err)
		}
	}
	// Full of unexpired tokens: refused, with a Retry-After.
	if _, err := c.spend("d", now.Add(time.Minute), now.Add(time.Second)); err == nil || err.Code != 429 || err.RetryAfter != 5 || err.Reason != ReasonTokenCacheFull {
		t.Fatalf("full: %v", err)
	}
	// b and c expire: room again, and their jtis are forgotten.
	later := now.Add(11 * time.Second)
	if _, err := c.spend("d", now.Add(time.Minute), later); err != nil || c.len() != 2 {
		t.Fatalf("after expiry: %v, %d entries", err, c.len())
	}
	// The refresh sweep drops expired entries even when not full.
	c = newReplayCache(100, 5*time.Second)
	for i := range 50 {
		c.spend(string(rune('A'+i)), now.Add(time.Second), now)
	}
	c.spend("last", now.Add(time.Hour), now.Add(6*time.Second))
	if c.len() != 1 {
		t.Fatalf("sweep left %d entries", c.len())
	}
	// Concurrent spends of one jti: exactly one wins.
	c = newReplayCache(100, time.Second)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			if _, err := c.spend("same", now.Add(time.Minute), now); err == nil {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d concurrent spends of one jti succeeded", wins.Load())
	}
}

func TestBearer(t *testing.T) {
	for _, c := range []struct {
		headers []string
		token   string
		reason  string
	}{
		{nil, "", ReasonMissingToken},
		{[]string{"Bearer abc.def.ghi"}, "abc.def.ghi", ""},
		{[]string{"bearer  abc "}, "abc", ""},
		{[]string{"Basic dXNlcjpwYXNz"}, "", ReasonMissingToken},
		{[]string{"Bearer"}, "", ReasonMissingToken},
		{[]string{"Bearer "}, "", ReasonMissingToken},
		{[]string{"Bearer a", "Bearer b"}, "", ReasonInvalidToken},
	} {
		r := httptest.NewRequest(http.MethodPut, "/v1/blobs", nil)
		for _, h := range c.headers {
			r.Header.Add("Authorization", h)
		}
		tok, err := bearer(r)
		if tok != c.token || (c.reason == "") != (err == nil) || (err != nil && err.Reason != c.reason) {
			t.Errorf("%q: %q %v", c.headers, tok, err)
		}
	}
	// A 401 answer says how to authenticate, in the auth domain.
	rec := httptest.NewRecorder()
	writeError(rec, authError(ReasonMissingToken, "no"))
	if rec.Code != 401 || !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") || !strings.Contains(rec.Body.String(), AuthDomain) {
		t.Fatalf("401 answer: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
}

// FuzzJWT feeds arbitrary tokens to the verifiers (a shared secret, and
// none): no panic, and a token accepted has its required claims and has
// not expired.
func FuzzJWT(f *testing.F) {
	good := hs256(f, with(goodClaims(), "send_object_to", "0x1", "size", 5, "iat", 1))
	for _, s := range []string{good, good + "x", makeToken(f, "none", goodClaims(), nil), "a.b.c", "..", "e30.e30.", strings.Repeat(".", 5),
		enc([]byte(`{"alg":"HS256"}`)) + "." + enc([]byte(`{"exp":1e400,"jti":""}`)) + "."} {
		f.Add(s)
	}
	hsv := mustVerifier(f, "HS256", string(testSecret))
	open := mustVerifier(f, "HS256", "")
	f.Fuzz(func(t *testing.T, tok string) {
		for _, v := range []*jwtVerifier{hsv, open} {
			c, err := v.parse(tok, jwtNow)
			if err != nil {
				if err.Code != http.StatusUnauthorized {
					t.Fatalf("%q: status %d", tok, err.Code)
				}
				continue
			}
			if c.Exp < jwtNow.Unix()-60 || c.Exp > maxJWTTime {
				t.Fatalf("%q accepted with exp %d", tok, c.Exp)
			}
			_ = c.checkClaims(1, nil, 10, 600, true)
			_ = c.checkBody(10)
			_ = c.bodyLimit()
		}
	})
}

// FuzzConcatRequest feeds arbitrary concat bodies and queries to their
// parsers: no panic, and IDs accepted are within the bound and each a blob
// or object ID.
func FuzzConcatRequest(f *testing.F) {
	for _, s := range []string{`{"ids":["` + strings.Repeat("A", 43) + `","0x1"]}`, `{"ids":[],"strict_consistency_check":true}`,
		`{"ids":["x"],"other":1}`, `{"ids":null}`, `{"ids":["a"]} {}`, "ids=a,b,,c&skip_consistency_check=true", "ids=%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ids, _, err := parseConcatBody([]byte(s)); err == nil {
			if ids == nil {
				t.Fatalf("body %q: no ids accepted", s)
			}
			if err := checkConcatIDs(ids, 5); err == nil && (len(ids) == 0 || len(ids) > 5) {
				t.Fatalf("body %q: %d IDs accepted", s, len(ids))
			}
		}
		if q, err := url.ParseQuery(s); err == nil {
			if ids, _, err := parseConcatQuery(q); err == nil {
				for _, id := range ids {
					if id == "" || strings.Contains(id, ",") {
						t.Fatalf("query %q: ID %q", s, id)
					}
				}
			}
		}
	})
}

// TestAuthShedKeepsToken: a store shed for load (here: a queue timeout)
// leaves its token unspent; one that reaches the store spends it, even if
// the store then fails (the chain here does not answer).
func TestAuthShedKeepsToken(t *testing.T) {
	base := deadServer(t)
	s, err := New(Config{Client: base.c, Publisher: true, MaxConcurrentRequests: 1, MaxQueuedRequests: 1, QueueTimeout: time.Millisecond,
		StoreTimeout: time.Second, Auth: &AuthConfig{Secret: string(testSecret)}})
	if err != nil {
		t.Fatal(err)
	}
	tok := hs256(t, map[string]any{"exp": time.Now().Add(time.Hour).Unix(), "jti": "shed"})
	store := func() int {
		req := httptest.NewRequest(http.MethodPut, "/v1/blobs", strings.NewReader("data"))
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		return rec.Code
	}
	release, aerr := s.stores.acquire(t.Context())
	if aerr != nil {
		t.Fatal(aerr)
	}
	if code := store(); code != http.StatusServiceUnavailable || s.auth.cache.len() != 0 {
		t.Fatalf("shed store: %d, %d tokens spent", code, s.auth.cache.len())
	}
	release()
	if code := store(); code == http.StatusOK || code == http.StatusUnauthorized || s.auth.cache.len() != 1 {
		t.Fatalf("store on a dead chain: %d, %d tokens spent", code, s.auth.cache.len())
	}
	if code := store(); code != http.StatusUnauthorized {
		t.Fatalf("token reused after a failed store: %d", code)
	}
}
