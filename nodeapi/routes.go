// Package nodeapi is the wire protocol of a storage node's REST API (Walrus
// reference §4.1, §4.2), shared by the server (package node) and its client:
// route patterns and path builders, parsers of path and query parameters,
// the JSON success envelope and AIP-193 error bodies (with the mapping of
// every error to its HTTP status, in errors.go), the JSON forms of BlobStatus
// and ServiceHealthInfo, and an HTTP Client with a method per route.
//
// Binary bodies are BCS (package encoding and protocol); everything else is
// JSON.
package nodeapi

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/walrus-go/walrus/encoding"
)

// Route patterns for net/http.ServeMux. Path parameters are named as below.
const (
	RouteHealth                = "GET /v1/health"
	RouteGetMetadata           = "GET /v1/blobs/{blob_id}/metadata"
	RoutePutMetadata           = "PUT /v1/blobs/{blob_id}/metadata"
	RouteMetadataStatus        = "GET /v1/blobs/{blob_id}/metadata/status"
	RoutePutSliver             = "PUT /v1/blobs/{blob_id}/slivers/{sliver_pair_index}/{sliver_type}"
	RouteGetSliver             = "GET /v1/blobs/{blob_id}/slivers/{sliver_pair_index}/{sliver_type}"
	RouteSliverStatus          = "GET /v1/blobs/{blob_id}/slivers/{sliver_pair_index}/{sliver_type}/status"
	RoutePermanentConfirmation = "GET /v1/blobs/{blob_id}/confirmation/permanent"
	RouteDeletableConfirmation = "GET /v1/blobs/{blob_id}/confirmation/deletable/{object_id}"
	RouteRecoverySymbols       = "GET /v1/blobs/{blob_id}/recoverySymbols"
	RouteInconsistencyProof    = "POST /v1/blobs/{blob_id}/inconsistencyProof/{sliver_type}"
	RouteBlobStatus            = "GET /v1/blobs/{blob_id}/status"
)

// Path parameter names used in the route patterns.
const (
	ParamBlobID     = "blob_id"
	ParamPairIndex  = "sliver_pair_index"
	ParamSliverType = "sliver_type"
	ParamObjectID   = "object_id"
)

// Query parameter names.
const (
	QueryPending      = "pending"
	QueryDetailed     = "detailed"
	QuerySymbolID     = "id"
	QueryTargetSliver = "targetSliver"
	QueryTargetType   = "targetType"
	QueryProofAxis    = "proofAxis"
)

// MaxSymbolIDs bounds the number of symbol IDs one recovery-symbols request
// may name.
const MaxSymbolIDs = 1024

// Path builders, the client-side twins of the patterns.

func blobPath(id encoding.BlobID) string { return "/v1/blobs/" + id.String() }

// MetadataPath is the path of a blob's metadata.
func MetadataPath(id encoding.BlobID) string { return blobPath(id) + "/metadata" }

// MetadataStatusPath is the path of a blob's metadata status.
func MetadataStatusPath(id encoding.BlobID) string { return MetadataPath(id) + "/status" }

// SliverPath is the path of one sliver.
func SliverPath(id encoding.BlobID, pair uint16, t encoding.SliverType) string {
	return blobPath(id) + "/slivers/" + strconv.Itoa(int(pair)) + "/" + t.String()
}

// SliverStatusPath is the path of one sliver's status.
func SliverStatusPath(id encoding.BlobID, pair uint16, t encoding.SliverType) string {
	return SliverPath(id, pair, t) + "/status"
}

// PermanentConfirmationPath is the path of a permanent blob's confirmation.
func PermanentConfirmationPath(id encoding.BlobID) string {
	return blobPath(id) + "/confirmation/permanent"
}

// DeletableConfirmationPath is the path of a deletable blob object's
// confirmation.
func DeletableConfirmationPath(id encoding.BlobID, obj [32]byte) string {
	return blobPath(id) + "/confirmation/deletable/" + FormatObjectID(obj)
}

// RecoverySymbolsPath is the path of the recovery-symbols route (query not
// included).
func RecoverySymbolsPath(id encoding.BlobID) string { return blobPath(id) + "/recoverySymbols" }

// InconsistencyProofPath is the path to post an inconsistency proof of axis t.
func InconsistencyProofPath(id encoding.BlobID, t encoding.SliverType) string {
	return blobPath(id) + "/inconsistencyProof/" + t.String()
}

// BlobStatusPath is the path of a blob's status.
func BlobStatusPath(id encoding.BlobID) string { return blobPath(id) + "/status" }

// HealthPath is the path of the health route.
const HealthPath = "/v1/health"

// Parsers of path and query parameters. Each error wraps ErrInvalidParameter
// or ErrInvalidBlobID, so the server answers 400 with a clear message.

// ParseBlobID parses a blob ID path parameter (base64url, no padding).
func ParseBlobID(s string) (encoding.BlobID, error) {
	id, err := encoding.ParseBlobID(s)
	if err != nil {
		return id, Errorf(ErrInvalidBlobID, "blob ID %q: want 43 characters of unpadded base64url", truncate(s))
	}
	return id, nil
}

// ParsePairIndex parses a sliver pair index: a canonical decimal u16 (no
// sign, no leading zeros except "0").
func ParsePairIndex(s string) (uint16, error) {
	v, ok := parseU16(s)
	if !ok {
		return 0, Errorf(ErrInvalidParameter, "sliver pair index %q: want a decimal integer in 0..65535", truncate(s))
	}
	return v, nil
}

// ParseSliverType parses "primary" or "secondary".
func ParseSliverType(s string) (encoding.SliverType, error) {
	t, err := encoding.ParseSliverType(s)
	if err != nil {
		return 0, Errorf(ErrInvalidParameter, "sliver type %q: want primary or secondary", truncate(s))
	}
	return t, nil
}

// ParseSymbolID parses a symbol ID "<primary>-<secondary>" with canonical
// decimal u16 parts.
func ParseSymbolID(s string) (encoding.SymbolID, error) {
	p, q, ok := strings.Cut(s, "-")
	a, okA := parseU16(p)
	b, okB := parseU16(q)
	if !ok || !okA || !okB {
		return encoding.SymbolID{}, Errorf(ErrInvalidParameter, "symbol ID %q: want <primary>-<secondary>", truncate(s))
	}
	return encoding.SymbolID{Primary: a, Secondary: b}, nil
}

// FormatObjectID renders an object ID as 0x-prefixed lowercase hex.
func FormatObjectID(id [32]byte) string { return fmt.Sprintf("%#x", id[:]) }

// ParseObjectID parses an object ID: 64 hex digits, optionally 0x-prefixed.
func ParseObjectID(s string) ([32]byte, error) {
	var id [32]byte
	h := strings.TrimPrefix(s, "0x")
	if len(h) != 64 {
		return id, Errorf(ErrInvalidParameter, "object ID %q: want 64 hex digits", truncate(s))
	}
	for i := range 32 {
		hi, ok1 := unhex(h[2*i])
		lo, ok2 := unhex(h[2*i+1])
		if !ok1 || !ok2 {
			return id, Errorf(ErrInvalidParameter, "object ID %q: want 64 hex digits", truncate(s))
		}
		id[i] = hi<<4 | lo
	}
	return id, nil
}

// ParseBool parses an optional boolean query parameter ("" is false).
func ParseBool(name, s string) (bool, error) {
	switch s {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, Errorf(ErrInvalidParameter, "%s=%q: want true or false", name, truncate(s))
}

// RecoveryQuery is the query of the recovery-symbols route: either a list of
// symbol IDs, or a target sliver whose symbols the node returns from every
// orthogonal sliver it holds. ProofAxis, if set, is the type of the source
// sliver whose expansion proves each symbol.
type RecoveryQuery struct {
	IDs          []encoding.SymbolID
	HasTarget    bool
	TargetSliver uint16
	TargetType   encoding.SliverType
	ProofAxis    *encoding.SliverType
}

// Encode renders the query.
func (q *RecoveryQuery) Encode() string {
	v := url.Values{}
	for _, id := range q.IDs {
		v.Add(QuerySymbolID, id.String())
	}
	if q.HasTarget {
		v.Set(QueryTargetSliver, strconv.Itoa(int(q.TargetSliver)))
		v.Set(QueryTargetType, q.TargetType.String())
	}
	if q.ProofAxis != nil {
		v.Set(QueryProofAxis, q.ProofAxis.String())
	}
	return v.Encode()
}

// ParseRecoveryQuery parses the recovery-symbols query: exactly one of
// id=<p>-<s> (repeatable, at most MaxSymbolIDs) or targetSliver and
// targetType, and optionally proofAxis.
func ParseRecoveryQuery(v url.Values) (*RecoveryQuery, error) {
	q := &RecoveryQuery{}
	ids := v[QuerySymbolID]
	if len(ids) > MaxSymbolIDs {
		return nil, Errorf(ErrInvalidParameter, "%d symbol IDs: at most %d per request", len(ids), MaxSymbolIDs)
	}
	for _, s := range ids {
		id, err := ParseSymbolID(s)
		if err != nil {
			return nil, err
		}
		q.IDs = append(q.IDs, id)
	}
	ts, tt := v[QueryTargetSliver], v[QueryTargetType]
	if len(ts) > 1 || len(tt) > 1 || len(ts) != len(tt) {
		return nil, Errorf(ErrInvalidParameter, "want one %s with one %s", QueryTargetSliver, QueryTargetType)
	}
	if len(ts) == 1 {
		idx, ok := parseU16(ts[0])
		if !ok {
			return nil, Errorf(ErrInvalidParameter, "%s=%q: want a decimal integer in 0..65535", QueryTargetSliver, truncate(ts[0]))
		}
		t, err := ParseSliverType(tt[0])
		if err != nil {
			return nil, err
		}
		q.HasTarget, q.TargetSliver, q.TargetType = true, idx, t
	}
	if q.HasTarget == (len(q.IDs) > 0) {
		return nil, Errorf(ErrInvalidParameter, "want either %s=<p>-<s> or %s and %s", QuerySymbolID, QueryTargetSliver, QueryTargetType)
	}
	if pa := v[QueryProofAxis]; len(pa) > 0 {
		if len(pa) > 1 {
			return nil, Errorf(ErrInvalidParameter, "want one %s", QueryProofAxis)
		}
		t, err := ParseSliverType(pa[0])
		if err != nil {
			return nil, err
		}
		q.ProofAxis = &t
	}
	return q, nil
}

func parseU16(s string) (uint16, bool) {
	if s == "" || len(s) > 5 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	if v > 0xffff {
		return 0, false
	}
	return uint16(v), true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// truncate shortens user input quoted in error messages.
func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
