package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/walrus-go/walrus/client"
)

// Domain is the ErrorInfo domain of the daemon's errors.
const Domain = "daemon.walrus.space"

// apiError is an error answer: an HTTP status, the AIP-193 status name and
// an ErrorInfo reason (what a program should test), and a message for
// people. The body has the form the storage nodes use (nodeapi):
//
//	{"error":{"code":404,"status":"NOT_FOUND","message":"...",
//	  "details":[{"@type":"ErrorInfo","reason":"BLOB_NOT_FOUND","domain":"daemon.walrus.space","metadata":{}}]}}
type apiError struct {
	Code    int
	Status  string
	Reason  string
	Message string
	// RetryAfter, in seconds, is sent as Retry-After when positive.
	RetryAfter int
	// ContentRange is sent as Content-Range when set (416 answers).
	ContentRange string
	// Allow is sent as Allow when set (405 answers).
	Allow string
	// WWWAuthenticate is sent as WWW-Authenticate when set (401 answers).
	WWWAuthenticate string
	// Domain is the ErrorInfo domain (Domain if empty).
	Domain string
}

func (e *apiError) Error() string { return e.Reason + ": " + e.Message }

func errorf(code int, status, reason, format string, args ...any) *apiError {
	return &apiError{Code: code, Status: status, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// Reasons of the daemon's errors (the ErrorInfo reason of each answer).
const (
	ReasonInvalidParameter = "INVALID_PARAMETER"     // 400
	ReasonInvalidBlobID    = "INVALID_BLOB_ID"       // 400
	ReasonInvalidObjectID  = "INVALID_OBJECT_ID"     // 400
	ReasonTooLarge         = "BLOB_TOO_LARGE"        // 413
	ReasonBlobNotFound     = "BLOB_NOT_FOUND"        // 404: never stored, not certified yet, deleted
	ReasonBlobExpired      = "BLOB_EXPIRED"          // 404: its storage period ended
	ReasonBlobInvalid      = "BLOB_INVALID"          // 404: marked invalid (inconsistently encoded)
	ReasonObjectNotFound   = "OBJECT_NOT_FOUND"      // 404: no such Blob object
	ReasonRouteNotFound    = "ROUTE_NOT_FOUND"       // 404
	ReasonMethodNotAllowed = "METHOD_NOT_ALLOWED"    // 405
	ReasonRangeNotSatisfy  = "RANGE_NOT_SATISFIABLE" // 416
	ReasonNotEnoughNodes   = "NOT_ENOUGH_NODES"      // 504 (store) / 503 (read)
	ReasonTimeout          = "TIMEOUT"               // 504
	ReasonOverloaded       = "OVERLOADED"            // 429: the queue is full
	ReasonQueueTimeout     = "QUEUE_TIMEOUT"         // 503: waited too long for a slot
	ReasonInternal         = "INTERNAL"              // 500
	ReasonCancelled        = "CANCELLED"             // 499: the client went away
)

func badParam(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, "INVALID_ARGUMENT", ReasonInvalidParameter, format, args...)
}

// readError maps an error of a read (client.Read, Stream, ReadRange,
// BlobSize) to its answer. Not found, expired and invalid blobs are all 404
// (reference §8.2: "404 not found/not yet stored"), told apart by the
// reason; too few nodes is 503 ("not currently retrievable").
func readError(err error) *apiError {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, client.ErrBlobInvalid):
		return errorf(http.StatusNotFound, "NOT_FOUND", ReasonBlobInvalid, "%v", err)
	case errors.Is(err, client.ErrBlobExpired):
		return errorf(http.StatusNotFound, "NOT_FOUND", ReasonBlobExpired, "%v", err)
	case errors.Is(err, client.ErrBlobNotFound):
		return errorf(http.StatusNotFound, "NOT_FOUND", ReasonBlobNotFound, "%v", err)
	case errors.Is(err, client.ErrObjectNotFound):
		return errorf(http.StatusNotFound, "NOT_FOUND", ReasonObjectNotFound, "%v", err)
	case errors.Is(err, client.ErrInvalidRange):
		return errorf(http.StatusRequestedRangeNotSatisfiable, "OUT_OF_RANGE", ReasonRangeNotSatisfy, "%v", err)
	case errors.Is(err, client.ErrNotEnoughNodes):
		return errorf(http.StatusServiceUnavailable, "UNAVAILABLE", ReasonNotEnoughNodes, "%v", err)
	case errors.Is(err, context.DeadlineExceeded):
		return errorf(http.StatusGatewayTimeout, "DEADLINE_EXCEEDED", ReasonTimeout, "%v", err)
	case errors.Is(err, context.Canceled):
		return errCancelled(err)
	}
	return errorf(http.StatusInternalServerError, "INTERNAL", ReasonInternal, "%v", err)
}

// errCancelled answers a request whose client went away (nginx's 499: the
// answer is for the metrics and logs, nobody reads it).
func errCancelled(err error) *apiError {
	return errorf(499, "CANCELLED", ReasonCancelled, "%v", err)
}

// storeError maps an error of client.Store to its answer (reference §8.1:
// 400 bad parameters, 413 too large, 504 not enough nodes in time, 500).
func storeError(err error) *apiError {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, client.ErrConfig):
		return badParam("%v", err)
	case errors.Is(err, client.ErrTooLarge):
		return errorf(http.StatusRequestEntityTooLarge, "RESOURCE_EXHAUSTED", ReasonTooLarge, "%v", err)
	case errors.Is(err, client.ErrNotEnoughNodes), errors.Is(err, client.ErrEpochChanged):
		return errorf(http.StatusGatewayTimeout, "DEADLINE_EXCEEDED", ReasonNotEnoughNodes, "%v", err)
	case errors.Is(err, context.DeadlineExceeded):
		return errorf(http.StatusGatewayTimeout, "DEADLINE_EXCEEDED", ReasonTimeout, "%v", err)
	case errors.Is(err, context.Canceled):
		return errCancelled(err)
	}
	return errorf(http.StatusInternalServerError, "INTERNAL", ReasonInternal, "%v", err)
}

type errorInfo struct {
	Type     string            `json:"@type"`
	Reason   string            `json:"reason"`
	Domain   string            `json:"domain"`
	Metadata map[string]string `json:"metadata"`
}

type errorBody struct {
	Error struct {
		Code    int         `json:"code"`
		Status  string      `json:"status"`
		Message string      `json:"message"`
		Details []errorInfo `json:"details"`
	} `json:"error"`
}

// writeError answers with e, replacing any header a handler set for a
// success (ETag, caching, content headers, attribute headers).
func writeError(w http.ResponseWriter, e *apiError) {
	h := w.Header()
	for k := range h {
		delete(h, k)
	}
	var b errorBody
	b.Error.Code, b.Error.Status, b.Error.Message = e.Code, e.Status, e.Message
	domain := e.Domain
	if domain == "" {
		domain = Domain
	}
	b.Error.Details = []errorInfo{{Type: "ErrorInfo", Reason: e.Reason, Domain: domain, Metadata: map[string]string{}}}
	body, _ := json.Marshal(&b)
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	if e.ContentRange != "" {
		h.Set("Content-Range", e.ContentRange)
	}
	if e.Allow != "" {
		h.Set("Allow", e.Allow)
	}
	if e.WWWAuthenticate != "" {
		h.Set("WWW-Authenticate", e.WWWAuthenticate)
	}
	if e.RetryAfter > 0 {
		h.Set("Retry-After", fmt.Sprint(e.RetryAfter))
	}
	w.WriteHeader(e.Code)
	_, _ = w.Write(append(body, '\n'))
}

// writeJSON answers 200 with v as JSON.
func writeJSON(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeError(w, errorf(http.StatusInternalServerError, "INTERNAL", ReasonInternal, "encoding the answer: %v", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(body, '\n'))
}
