package daemon

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"strings"
	"time"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/crypto/account"
)

// The JWT check of the authenticated publisher (Walrus's operator guide,
// "The authenticated publisher"): a compact JWS (RFC 7515) whose header
// names the configured algorithm, whose signature verifies with the
// configured secret or public key, and whose claims hold exp and jti. This
// file is pure: the clock is an argument; the replay cache is in auth.go.

// JWT algorithms the publisher verifies (Walrus's list).
var jwtAlgorithms = []string{"HS256", "HS384", "HS512", "ES256", "ES384", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"}

// DefaultJWTAlgorithm is used when AuthConfig.Algorithm is empty.
const DefaultJWTAlgorithm = "HS256"

// maxTokenLen bounds a token (the whole Authorization value is bounded by
// the server's header limit; this bounds what is decoded and hashed).
const maxTokenLen = 8 << 10

// jwtLeeway is the clock skew allowed on exp (the jsonwebtoken crate's
// default, which Walrus's publisher uses): a token is expired once
// exp + 60 s is past.
const jwtLeeway = 60 * time.Second

// Claims are a token's claims that the publisher reads (Walrus's Claim);
// other claims are ignored.
type Claims struct {
	// Exp (required) is when the token expires, in Unix seconds.
	Exp int64
	// Iat (optional) is when it was issued; required when
	// AuthConfig.ExpiringSec is set, with Exp-Iat equal to it.
	Iat *int64
	// Jti (required) makes the token single-use.
	Jti string
	// SendObjectTo, if set, is the address the request must send the Blob
	// object to.
	SendObjectTo *chain.Address
	// Epochs is the exact epochs= a request must ask for; MaxEpochs the
	// largest (one of them at most).
	Epochs, MaxEpochs *uint32
	// Size is the exact body size in bytes; MaxSize the largest (one of
	// them at most).
	Size, MaxSize *uint64
}

// claimsJSON is the claims' JSON form; a field of the wrong type (a
// negative or fractional size, an address that is not 0x and hex) fails
// the token.
type claimsJSON struct {
	Exp          *int64  `json:"exp"`
	Iat          *int64  `json:"iat"`
	Jti          *string `json:"jti"`
	SendObjectTo *string `json:"send_object_to"`
	Epochs       *uint32 `json:"epochs"`
	MaxEpochs    *uint32 `json:"max_epochs"`
	Size         *uint64 `json:"size"`
	MaxSize      *uint64 `json:"max_size"`
}

type jwtHeader struct {
	Alg string `json:"alg"`
}

// jwtVerifier checks tokens of one algorithm with one key.
type jwtVerifier struct {
	alg string
	// key is the HMAC secret ([]byte), an ed25519.PublicKey, an
	// *ecdsa.PublicKey or an *rsa.PublicKey; nil: signatures are not
	// checked (no secret configured).
	key  any
	hash crypto.Hash
}

// newJWTVerifier returns the verifier of alg ("" is HS256) with secret, as
// Walrus reads --jwt-decode-secret: "0x" and an even number of hex digits
// is those bytes, anything else the string's own bytes. HS*: the shared
// secret. EdDSA: the 32-byte Ed25519 public key. ES256/ES384: the SEC 1
// uncompressed point (0x04‖X‖Y). RS*/PS*: the PKCS #1 RSAPublicKey DER.
// The asymmetric algorithms also take a DER SubjectPublicKeyInfo. An
// empty secret turns signature checking off (Walrus's behaviour for a
// publisher behind a gateway that checked the token).
func newJWTVerifier(alg, secret string) (*jwtVerifier, error) {
	if alg == "" {
		alg = DefaultJWTAlgorithm
	}
	v := &jwtVerifier{alg: alg}
	switch alg {
	case "HS256", "ES256", "RS256", "PS256":
		v.hash = crypto.SHA256
	case "HS384", "ES384", "RS384", "PS384":
		v.hash = crypto.SHA384
	case "HS512", "RS512", "PS512":
		v.hash = crypto.SHA512
	case "EdDSA":
	default:
		return nil, fmt.Errorf("JWT algorithm %q: want one of %s", alg, strings.Join(jwtAlgorithms, ", "))
	}
	if secret == "" {
		return v, nil
	}
	raw := []byte(secret)
	if strings.HasPrefix(secret, "0x") {
		b, err := hex.DecodeString(secret[2:])
		if err != nil || len(b) == 0 {
			return nil, fmt.Errorf("JWT secret: 0x and an even number of hex digits")
		}
		raw = b
	}
	var err error
	switch alg[:2] {
	case "HS":
		v.key = raw
	case "Ed":
		v.key, err = ed25519Key(raw)
	case "ES":
		curve := elliptic.P256()
		if alg == "ES384" {
			curve = elliptic.P384()
		}
		v.key, err = ecdsaKey(curve, raw)
	default:
		v.key, err = rsaKey(raw)
	}
	if err != nil {
		return nil, fmt.Errorf("JWT key for %s: %w", alg, err)
	}
	return v, nil
}

func ed25519Key(b []byte) (ed25519.PublicKey, error) {
	if len(b) == ed25519.PublicKeySize {
		return ed25519.PublicKey(bytes.Clone(b)), nil
	}
	if k, err := x509.ParsePKIXPublicKey(b); err == nil {
		if pk, ok := k.(ed25519.PublicKey); ok {
			return pk, nil
		}
	}
	return nil, errors.New("want a 32-byte Ed25519 public key or its SubjectPublicKeyInfo DER")
}

func ecdsaKey(curve elliptic.Curve, b []byte) (*ecdsa.PublicKey, error) {
	if k, err := ecdsa.ParseUncompressedPublicKey(curve, b); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKIXPublicKey(b); err == nil {
		if pk, ok := k.(*ecdsa.PublicKey); ok && pk.Curve == curve {
			return pk, nil
		}
	}
	return nil, fmt.Errorf("want an uncompressed %s point or its SubjectPublicKeyInfo DER", curve.Params().Name)
}

func rsaKey(b []byte) (*rsa.PublicKey, error) {
	if k, err := x509.ParsePKCS1PublicKey(b); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKIXPublicKey(b); err == nil {
		if pk, ok := k.(*rsa.PublicKey); ok {
			return pk, nil
		}
	}
	return nil, errors.New("want a PKCS #1 RSAPublicKey DER or a SubjectPublicKeyInfo DER")
}

// b64 is base64url without padding, refusing non-canonical trailing bits.
var b64 = base64.RawURLEncoding.Strict()

// parse checks a token and returns its claims: its form (three base64url
// parts, JSON header and claims), its header's alg (the configured one: a
// token cannot choose, so "none" or a switch to HMAC with a public key is
// refused), its signature, and exp (with jwtLeeway) at now. Errors are 401
// answers (token errors).
func (v *jwtVerifier) parse(token string, now time.Time) (*Claims, *apiError) {
	if len(token) > maxTokenLen {
		return nil, authError(ReasonInvalidToken, "the token is longer than %d bytes", maxTokenLen)
	}
	h64, rest, ok1 := strings.Cut(token, ".")
	c64, s64, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(s64, ".") {
		return nil, authError(ReasonInvalidToken, "the token is not three base64url parts separated by dots")
	}
	hb, err := b64.DecodeString(h64)
	if err != nil {
		return nil, authError(ReasonInvalidToken, "the token's header is not base64url")
	}
	var hdr jwtHeader
	if err := json.Unmarshal(hb, &hdr); err != nil {
		return nil, authError(ReasonInvalidToken, "the token's header is not a JSON object")
	}
	if hdr.Alg != v.alg {
		return nil, authError(ReasonInvalidToken, "the token's algorithm %q is not the publisher's %s", echo(hdr.Alg), v.alg)
	}
	sig, err := b64.DecodeString(s64)
	if err != nil {
		return nil, authError(ReasonInvalidToken, "the token's signature is not base64url")
	}
	if v.key != nil && !v.verify([]byte(token[:len(h64)+1+len(c64)]), sig) {
		return nil, authError(ReasonInvalidSignature, "the token's signature does not verify")
	}
	cb, err := b64.DecodeString(c64)
	if err != nil {
		return nil, authError(ReasonInvalidToken, "the token's claims are not base64url")
	}
	c, aerr := parseClaims(cb)
	if aerr != nil {
		return nil, aerr
	}
	if now.After(time.Unix(c.Exp, 0).Add(jwtLeeway)) {
		return nil, authError(ReasonExpiredSignature, "the token expired at %s", time.Unix(c.Exp, 0).UTC().Format(time.RFC3339))
	}
	return c, nil
}

// maxJWTTime bounds exp and iat (year 9999), so that times never overflow.
const maxJWTTime = 253402300799

// parseClaims decodes the claims JSON: exp and jti are required.
func parseClaims(b []byte) (*Claims, *apiError) {
	var j claimsJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, authError(ReasonInvalidToken, "the token's claims: %v", err)
	}
	if j.Exp == nil || j.Jti == nil {
		return nil, authError(ReasonInvalidToken, "the token has no exp or no jti claim")
	}
	if *j.Exp < 0 || *j.Exp > maxJWTTime || (j.Iat != nil && (*j.Iat < 0 || *j.Iat > maxJWTTime)) {
		return nil, authError(ReasonInvalidTimestamp, "the token's exp or iat is not a time in years 1970 to 9999")
	}
	c := &Claims{Exp: *j.Exp, Iat: j.Iat, Jti: *j.Jti, Epochs: j.Epochs, MaxEpochs: j.MaxEpochs, Size: j.Size, MaxSize: j.MaxSize}
	if j.SendObjectTo != nil {
		a, err := account.ParseAddress(*j.SendObjectTo)
		if err != nil {
			return nil, authError(ReasonInvalidToken, "the token's send_object_to %q is not an address", echo(*j.SendObjectTo))
		}
		addr := chain.Address(a)
		c.SendObjectTo = &addr
	}
	return c, nil
}

// verify checks sig over the signing input.
func (v *jwtVerifier) verify(input, sig []byte) bool {
	switch k := v.key.(type) {
	case []byte:
		var h func() hash.Hash
		switch v.hash {
		case crypto.SHA256:
			h = sha256.New
		case crypto.SHA384:
			h = sha512.New384
		default:
			h = sha512.New
		}
		m := hmac.New(h, k)
		m.Write(input)
		return hmac.Equal(m.Sum(nil), sig)
	case ed25519.PublicKey:
		return ed25519.Verify(k, input, sig)
	case *ecdsa.PublicKey:
		// JWS: r‖s, each the curve's size (RFC 7518 §3.4).
		n := (k.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*n {
			return false
		}
		r, s := new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])
		return ecdsa.Verify(k, digest(v.hash, input), r, s)
	case *rsa.PublicKey:
		d := digest(v.hash, input)
		if v.alg[0] == 'P' {
			return rsa.VerifyPSS(k, v.hash, d, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
		}
		return rsa.VerifyPKCS1v15(k, v.hash, d, sig) == nil
	}
	return false
}

func digest(h crypto.Hash, b []byte) []byte {
	d := h.New()
	d.Write(b)
	return d.Sum(nil)
}

// checkClaims checks what a token's claims say about a store request
// before its body is read, as Walrus's publisher does: always, that
// exp-iat equals expiringSec (when set) and that epochs/max_epochs and
// size/max_size are not both given; with verifyUpload, that the query's
// epochs and send_object_to match the claims and that a known
// Content-Length (contentLength ≥ 0) fits size/max_size. Errors are 400
// answers.
func (c *Claims) checkClaims(epochs uint32, sendObjectTo *chain.Address, contentLength int64, expiringSec int64, verifyUpload bool) *apiError {
	if expiringSec > 0 && (c.Iat == nil || c.Exp-*c.Iat != expiringSec) {
		return claimError(ReasonInvalidExpiration, "the token's exp - iat must be %d seconds", expiringSec)
	}
	if c.Size != nil && c.MaxSize != nil {
		return claimError(ReasonInvalidSizes, "the token has both size and max_size")
	}
	if c.Epochs != nil && c.MaxEpochs != nil {
		return claimError(ReasonInvalidEpochs, "the token has both epochs and max_epochs")
	}
	if !verifyUpload {
		return nil
	}
	if contentLength >= 0 {
		if c.MaxSize != nil && uint64(contentLength) > *c.MaxSize {
			return claimError(ReasonMaxSizeExceeded, "the body's %d bytes exceed the token's max_size %d", contentLength, *c.MaxSize)
		}
		if c.Size != nil && uint64(contentLength) != *c.Size {
			return claimError(ReasonSizeIncorrect, "the body has %d bytes, the token's size is %d", contentLength, *c.Size)
		}
	}
	switch {
	case c.Epochs != nil && epochs != *c.Epochs:
		return claimError(ReasonInvalidEpochs, "epochs=%d, the token's epochs is %d", epochs, *c.Epochs)
	case c.MaxEpochs != nil && epochs > *c.MaxEpochs:
		return claimError(ReasonEpochsAboveMax, "epochs=%d is above the token's max_epochs %d", epochs, *c.MaxEpochs)
	}
	if c.SendObjectTo != nil {
		if sendObjectTo == nil {
			return claimError(ReasonMissingSendObjectTo, "the token requires send_object_to=%s", c.SendObjectTo)
		}
		if *sendObjectTo != *c.SendObjectTo {
			return claimError(ReasonInvalidSendObjectTo, "send_object_to=%s, the token's is %s", sendObjectTo, c.SendObjectTo)
		}
	}
	return nil
}

// bodyLimit is the most bytes the claims allow in a body (-1: no limit).
func (c *Claims) bodyLimit() int64 {
	for _, p := range []*uint64{c.Size, c.MaxSize} {
		if p != nil && *p < 1<<62 {
			return int64(*p)
		}
	}
	return -1
}

// checkBody checks the size of a body once read, against size/max_size
// (as Walrus's publisher does whenever a token is given).
func (c *Claims) checkBody(n int64) *apiError {
	if (c.MaxSize != nil && uint64(n) > *c.MaxSize) || (c.Size != nil && uint64(n) != *c.Size) {
		return claimError(ReasonInvalidSize, "the body's %d bytes do not fit the token's size or max_size", n)
	}
	return nil
}
