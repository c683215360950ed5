package httpx

import (
	"io"
	"net/http"
)

// Recorder is an http.ResponseWriter that records the status and the body
// bytes of an answer (for metrics), passing everything through.
type Recorder struct {
	http.ResponseWriter
	Status      int   // the final status, once WroteHeader
	Bytes       int64 // body bytes written
	WroteHeader bool
}

// WriteHeader records the first final (non-1xx) status.
func (w *Recorder) WriteHeader(code int) {
	if !w.WroteHeader && code >= 200 {
		w.Status, w.WroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *Recorder) Write(p []byte) (int, error) {
	if !w.WroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(p)
	w.Bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (w *Recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush implements http.Flusher.
func (w *Recorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// CountingBody counts the bytes read from a request body.
type CountingBody struct {
	io.ReadCloser
	N int64
}

func (b *CountingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.N += int64(n)
	return n, err
}
