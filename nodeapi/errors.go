package nodeapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Domain is the ErrorInfo domain of the node's errors.
const Domain = "storage.walrus.space"

// Error is an API error: an AIP-193 error body. The package's sentinels are
// *Error values with only Code, Status and Reason set; an *Error matches a
// sentinel under errors.Is when their reasons are equal, so a client can
// test the errors a server sent with errors.Is(err, nodeapi.ErrX).
type Error struct {
	Code     int    // HTTP status
	Status   string // canonical AIP-193 status name
	Reason   string // ErrorInfo reason, UPPER_SNAKE_CASE
	Message  string
	Metadata map[string]string
}

// Error implements error.
func (e *Error) Error() string {
	if e.Message == "" {
		return "nodeapi: " + e.Reason
	}
	return fmt.Sprintf("nodeapi: %s: %s", e.Reason, e.Message)
}

// Is matches errors with the same reason.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Reason == e.Reason
}

// The errors of the API, each with its HTTP status and AIP-193 status. This
// table is the only place that maps errors to HTTP statuses.
var (
	ErrInvalidBlobID    = sentinel(http.StatusBadRequest, "INVALID_ARGUMENT", "INVALID_BLOB_ID")
	ErrInvalidParameter = sentinel(http.StatusBadRequest, "INVALID_ARGUMENT", "INVALID_PARAMETER")
	ErrInvalidMetadata  = sentinel(http.StatusBadRequest, "INVALID_ARGUMENT", "INVALID_METADATA")
	ErrInvalidSliver    = sentinel(http.StatusBadRequest, "INVALID_ARGUMENT", "INVALID_SLIVER")
	ErrInvalidProof     = sentinel(http.StatusBadRequest, "INVALID_ARGUMENT", "INVALID_INCONSISTENCY_PROOF")
	ErrInvalidBody      = sentinel(http.StatusBadRequest, "INVALID_ARGUMENT", "INVALID_BODY")
	ErrNotRegistered    = sentinel(http.StatusBadRequest, "FAILED_PRECONDITION", "BLOB_NOT_REGISTERED")
	ErrBlobInvalid      = sentinel(http.StatusBadRequest, "FAILED_PRECONDITION", "BLOB_INVALID")
	ErrMetadataMissing  = sentinel(http.StatusBadRequest, "FAILED_PRECONDITION", "METADATA_NOT_STORED")
	ErrShardNotAssigned = sentinel(http.StatusBadRequest, "FAILED_PRECONDITION", "SHARD_NOT_ASSIGNED")
	ErrNotFullyStored   = sentinel(http.StatusBadRequest, "FAILED_PRECONDITION", "BLOB_NOT_FULLY_STORED")
	ErrObjectNotLive    = sentinel(http.StatusBadRequest, "FAILED_PRECONDITION", "OBJECT_NOT_LIVE")
	ErrEpochMismatch    = sentinel(http.StatusBadRequest, "FAILED_PRECONDITION", "EPOCH_MISMATCH")
	ErrUnauthenticated  = sentinel(http.StatusUnauthorized, "UNAUTHENTICATED", "INVALID_AUTHORIZATION")
	ErrForbidden        = sentinel(http.StatusForbidden, "PERMISSION_DENIED", "FORBIDDEN")
	ErrNotFound         = sentinel(http.StatusNotFound, "NOT_FOUND", "NOT_FOUND")
	ErrRouteNotFound    = sentinel(http.StatusNotFound, "NOT_FOUND", "ROUTE_NOT_FOUND")
	ErrMethodNotAllowed = sentinel(http.StatusMethodNotAllowed, "UNIMPLEMENTED", "METHOD_NOT_ALLOWED")
	ErrTooLarge         = sentinel(http.StatusRequestEntityTooLarge, "RESOURCE_EXHAUSTED", "REQUEST_TOO_LARGE")
	ErrInternal         = sentinel(http.StatusInternalServerError, "INTERNAL", "INTERNAL")
	ErrUnavailable      = sentinel(http.StatusServiceUnavailable, "UNAVAILABLE", "NODE_NOT_READY")
	ErrOverloaded       = sentinel(http.StatusServiceUnavailable, "UNAVAILABLE", "NODE_OVERLOADED")
)

func sentinel(code int, status, reason string) *Error {
	return &Error{Code: code, Status: status, Reason: reason}
}

// Errorf returns an error of the kind of sentinel with a message.
func Errorf(sentinel *Error, format string, args ...any) *Error {
	return &Error{Code: sentinel.Code, Status: sentinel.Status, Reason: sentinel.Reason, Message: fmt.Sprintf(format, args...)}
}

// AsError returns err as an *Error: itself if it is one (or wraps one), else
// an internal error whose message is err's text.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		if e.Message == "" {
			return &Error{Code: e.Code, Status: e.Status, Reason: e.Reason, Message: err.Error(), Metadata: e.Metadata}
		}
		return e
	}
	return Errorf(ErrInternal, "%v", err)
}

// errorBody is the AIP-193 JSON form.
type errorBody struct {
	Error struct {
		Code    int         `json:"code"`
		Status  string      `json:"status"`
		Message string      `json:"message"`
		Details []errorInfo `json:"details"`
	} `json:"error"`
}

type errorInfo struct {
	Type     string            `json:"@type"`
	Reason   string            `json:"reason"`
	Domain   string            `json:"domain"`
	Metadata map[string]string `json:"metadata"`
}

// MarshalJSON renders the AIP-193 body.
func (e *Error) MarshalJSON() ([]byte, error) {
	var b errorBody
	b.Error.Code, b.Error.Status, b.Error.Message = e.Code, e.Status, e.Message
	md := e.Metadata
	if md == nil {
		md = map[string]string{}
	}
	b.Error.Details = []errorInfo{{Type: "ErrorInfo", Reason: e.Reason, Domain: Domain, Metadata: md}}
	return json.Marshal(&b)
}

// UnmarshalJSON parses an AIP-193 body. The reason comes from the first
// ErrorInfo detail; without one it is derived from the status.
func (e *Error) UnmarshalJSON(data []byte) error {
	var b errorBody
	if err := json.Unmarshal(data, &b); err != nil {
		return err
	}
	if b.Error.Code == 0 && b.Error.Status == "" {
		return errors.New("nodeapi: not an error body")
	}
	*e = Error{Code: b.Error.Code, Status: b.Error.Status, Message: b.Error.Message, Reason: b.Error.Status}
	for _, d := range b.Error.Details {
		if d.Type == "ErrorInfo" {
			e.Reason, e.Metadata = d.Reason, d.Metadata
			break
		}
	}
	return nil
}

// WriteError writes err as an AIP-193 body with its HTTP status.
func WriteError(w http.ResponseWriter, err error) {
	e := AsError(err)
	body, _ := json.Marshal(e)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.Code)
	_, _ = w.Write(body)
}
