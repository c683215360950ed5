package httpx

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestUnmatched(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/things/{id}", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("thing " + r.PathValue("id"))) })
	mux.HandleFunc("PUT /v1/things/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })
	h := Unmatched(mux, func(w http.ResponseWriter, r *http.Request, allow string) {
		if allow != "" {
			w.Header().Set("Allow", allow)
			http.Error(w, "method", http.StatusMethodNotAllowed)
			return
		}
		http.Error(w, "route", http.StatusNotFound)
	})
	for _, c := range []struct {
		method, path string
		code         int
		allow, body  string
	}{
		{"GET", "/v1/things/7", 200, "", "thing 7"},
		{"PUT", "/v1/things/7", 201, "", ""},
		{"DELETE", "/v1/things/7", 405, "GET, HEAD, PUT", "method\n"},
		{"GET", "/v1/other", 404, "", "route\n"},
		{"GET", "/", 404, "", "route\n"},
		{"GET", "/v1//things/7", 307, "", ""}, // the mux's redirect to the clean path
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != c.code || rec.Header().Get("Allow") != c.allow || (c.body != "" && rec.Body.String() != c.body) {
			t.Errorf("%s %s: %d allow %q body %q, want %d %q %q", c.method, c.path, rec.Code, rec.Header().Get("Allow"), rec.Body.String(), c.code, c.allow, c.body)
		}
	}
}

func TestRecorder(t *testing.T) {
	rec := httptest.NewRecorder()
	w := &Recorder{ResponseWriter: rec}
	w.Write([]byte("hello"))
	w.WriteHeader(http.StatusTeapot) // too late: net/http ignores it too
	if !w.WroteHeader || w.Status != http.StatusOK || w.Bytes != 5 || rec.Body.String() != "hello" {
		t.Fatalf("recorded %d %d %v", w.Status, w.Bytes, w.WroteHeader)
	}
	b := &CountingBody{ReadCloser: io.NopCloser(strings.NewReader("abcdef"))}
	if got, _ := io.ReadAll(b); string(got) != "abcdef" || b.N != 6 {
		t.Fatalf("counted %d", b.N)
	}
}
