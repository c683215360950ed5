package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/walrus-go/walrus/devnet"
	"github.com/walrus-go/walrus/internal/cmdline"
)

// TestPublisherJWTFlagErrors: bad --jwt-* values are usage errors, found
// before any connection; the aggregator has no --jwt-* flags.
func TestPublisherJWTFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"publisher", "--jwt-decode-secret", "s", "--jwt-algorithm", "none"},
		{"daemon", "--jwt-decode-secret", "0xabc"},
		{"daemon", "--jwt-algorithm", "EdDSA", "--jwt-decode-secret", "0x1234"},
		{"publisher", "--jwt-verify-upload", "--jwt-cache-size", "0"},
		{"publisher", "--jwt-expiring-sec", "60", "--jwt-cache-refresh-interval", "0s"},
		{"aggregator", "--jwt-decode-secret", "s"},
	} {
		if code, _, errs := run(t, "", append([]string{"--config", "/nonexistent/walrus.yaml"}, args...)...); code != cmdline.ExitUsage {
			t.Errorf("%v: exit %d (%s), want a usage error", args, code, errs)
		}
	}
}

// hs256Token is a JWT signed with HMAC-SHA256.
func hs256Token(secret string, claims map[string]any) string {
	b64 := base64.RawURLEncoding.EncodeToString
	c, _ := json.Marshal(claims)
	in := b64([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + b64(c)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(in))
	return in + "." + b64(m.Sum(nil))
}

// TestPublisherJWTCommand: `walrus daemon --jwt-decode-secret …
// --jwt-verify-upload` stores only with a valid token whose claims allow
// the request.
func TestPublisherJWTCommand(t *testing.T) {
	n := startNet(t, devnet.Config{})
	bind := freeAddr(t)
	const secret = "publisher secret"
	startDaemon(t, n.cfg, bind, "--metrics-address", "", "--jwt-decode-secret", secret, "--jwt-verify-upload", "--jwt-expiring-sec", "600")
	put := func(query, token string) (int, string) {
		req, _ := http.NewRequest(http.MethodPut, "http://"+bind+"/v1/blobs"+query, strings.NewReader("authenticated blob"))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	now := time.Now().Unix()
	if code, body := put("", ""); code != http.StatusUnauthorized {
		t.Fatalf("no token: %d %s", code, body)
	}
	// --jwt-expiring-sec 600: exp - iat must be 600.
	if code, body := put("", hs256Token(secret, map[string]any{"iat": now, "exp": now + 300, "jti": "a"})); code != http.StatusBadRequest ||
		!strings.Contains(body, "INVALID_EXPIRATION") {
		t.Fatalf("wrong lifetime: %d %s", code, body)
	}
	tok := hs256Token(secret, map[string]any{"iat": now, "exp": now + 600, "jti": "b", "max_epochs": 2})
	if code, body := put("?epochs=3", tok); code != http.StatusBadRequest || !strings.Contains(body, "EPOCHS_ABOVE_MAX") {
		t.Fatalf("epochs above max_epochs: %d %s", code, body)
	}
	if code, body := put("?epochs=2", tok); code != http.StatusOK || !strings.Contains(body, "newlyCreated") {
		t.Fatalf("authorized store: %d %s", code, body)
	}
	if code, body := put("?epochs=2", tok); code != http.StatusUnauthorized || !strings.Contains(body, "TOKEN_ALREADY_USED") {
		t.Fatalf("reused token: %d %s", code, body)
	}
	if code, body := put("", hs256Token("other", map[string]any{"iat": now, "exp": now + 600, "jti": "c"})); code != http.StatusUnauthorized {
		t.Fatalf("other secret: %d %s", code, body)
	}
}
