// Package httpx holds small net/http helpers that the node's API and the
// publisher/aggregator share.
package httpx

import "net/http"

// Unmatched returns a handler that serves requests with mux when one of its
// patterns takes them, and otherwise calls unmatched with the methods the
// path allows: empty for an unknown path (answer 404), else the value of an
// Allow header for a wrong method (answer 405). The mux must have no
// catch-all "/" pattern, so that its own routing tells the two apart.
func Unmatched(mux *http.ServeMux, unmatched func(w http.ResponseWriter, r *http.Request, allow string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		// The mux's own answer (404, 405 with Allow, or a redirect that
		// cleans the path) is recorded, not sent.
		p := &probe{header: http.Header{}}
		h.ServeHTTP(p, r)
		switch {
		case p.status == http.StatusMethodNotAllowed:
			unmatched(w, r, p.header.Get("Allow"))
		case p.status >= 300 && p.status < 400:
			mux.ServeHTTP(w, r) // a redirect to the clean path
		default:
			unmatched(w, r, "")
		}
	})
}

// probe records the status and headers a handler writes, dropping the body.
type probe struct {
	header http.Header
	status int
}

func (p *probe) Header() http.Header { return p.header }

func (p *probe) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}

func (p *probe) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return len(b), nil
}
