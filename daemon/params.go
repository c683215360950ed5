package daemon

import (
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/client"
	"github.com/walrus-go/walrus/crypto/account"
	"github.com/walrus-go/walrus/encoding"
)

// Parsers of the request line and headers. Each is total: any input gives
// a value or an *apiError (400 or 416), never a panic (FuzzParsers).

// maxEcho bounds how much of a bad value an error message repeats.
const maxEcho = 80

func echo(s string) string {
	if len(s) > maxEcho {
		return s[:maxEcho] + "…"
	}
	return s
}

// single returns the one value of query parameter name ("" and false when
// absent); a repeated parameter is an error.
func single(q url.Values, name string) (string, bool, *apiError) {
	vs, ok := q[name]
	if !ok {
		return "", false, nil
	}
	if len(vs) != 1 {
		return "", false, badParam("%s is given %d times", name, len(vs))
	}
	return vs[0], true, nil
}

// boolParam parses an optional boolean: absent is def, else true or false.
func boolParam(q url.Values, name string, def bool) (bool, *apiError) {
	s, ok, err := single(q, name)
	if err != nil || !ok {
		return def, err
	}
	switch s {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, badParam("%s=%q: want true or false", name, echo(s))
}

// uintParam parses a canonical decimal in [lo, hi].
func uintParam(name, s string, lo, hi uint64) (uint64, *apiError) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v < lo || v > hi || (len(s) > 1 && s[0] == '0') {
		return 0, badParam("%s=%q: want a decimal integer in %d..%d", name, echo(s), lo, hi)
	}
	return v, nil
}

// parseStoreQuery parses the publisher's query (reference §8.1): epochs,
// permanent, deletable, force, reuse_resources, send_object_to, share,
// encoding_type.
func parseStoreQuery(q url.Values) (client.StoreOptions, *apiError) {
	var o client.StoreOptions
	o.Epochs = 1
	if s, ok, err := single(q, "epochs"); err != nil {
		return o, err
	} else if ok {
		v, err := uintParam("epochs", s, 1, math.MaxUint32)
		if err != nil {
			return o, err
		}
		o.Epochs = uint32(v)
	}
	permanent, err := boolParam(q, "permanent", false)
	if err != nil {
		return o, err
	}
	deletable, err := boolParam(q, "deletable", false)
	if err != nil {
		return o, err
	}
	if permanent && deletable {
		return o, badParam("permanent=true and deletable=true exclude each other")
	}
	o.Permanent = permanent
	if o.Force, err = boolParam(q, "force", false); err != nil {
		return o, err
	}
	// Walrus's publisher buys new storage unless reuse_resources=true.
	reuse, err := boolParam(q, "reuse_resources", false)
	if err != nil {
		return o, err
	}
	o.IgnoreResources = !reuse
	if o.Share, err = boolParam(q, "share", false); err != nil {
		return o, err
	}
	if s, ok, err := single(q, "send_object_to"); err != nil {
		return o, err
	} else if ok {
		a, perr := account.ParseAddress(s)
		if perr != nil {
			return o, badParam("send_object_to=%q: want 0x and 1 to 64 hex digits", echo(s))
		}
		addr := chain.Address(a)
		o.SendObjectTo = &addr
	}
	if o.Share && o.SendObjectTo != nil {
		return o, badParam("share=true and send_object_to exclude each other")
	}
	if s, ok, err := single(q, "encoding_type"); err != nil {
		return o, err
	} else if ok && s != "RS2" {
		return o, badParam("encoding_type=%q: only RS2 is supported", echo(s))
	}
	return o, nil
}

// parseReadQuery parses strict_consistency_check and skip_consistency_check.
func parseReadQuery(q url.Values) (client.ReadOptions, *apiError) {
	var o client.ReadOptions
	strict, err := boolParam(q, "strict_consistency_check", false)
	if err != nil {
		return o, err
	}
	skip, err := boolParam(q, "skip_consistency_check", false)
	if err != nil {
		return o, err
	}
	switch {
	case strict && skip:
		return o, badParam("strict_consistency_check and skip_consistency_check exclude each other")
	case strict:
		o.Consistency = encoding.CheckStrict
	case skip:
		o.Consistency = encoding.CheckSkip
	}
	return o, nil
}

// parseBlobID parses a blob ID path segment (unpadded base64url).
func parseBlobID(s string) (encoding.BlobID, *apiError) {
	id, err := encoding.ParseBlobID(s)
	if err != nil {
		return id, errorf(400, "INVALID_ARGUMENT", ReasonInvalidBlobID, "blob ID %q: want 43 characters of unpadded base64url", echo(s))
	}
	return id, nil
}

// parseObjectID parses an object ID: 0x and 1 to 64 hex digits (Sui's
// form; short forms are left-padded), or 64 hex digits without 0x.
func parseObjectID(s string) (chain.ObjectID, *apiError) {
	if !strings.HasPrefix(s, "0x") && len(s) == 64 {
		s = "0x" + s
	}
	a, err := account.ParseAddress(s)
	if err != nil {
		return chain.ObjectID{}, errorf(400, "INVALID_ARGUMENT", ReasonInvalidObjectID, "object ID %q: want 0x and 1 to 64 hex digits", echo(s))
	}
	return chain.ObjectID(a), nil
}

// parseByteRangeQuery parses the byte-range route's start and length (both
// required; length at least 1).
func parseByteRangeQuery(q url.Values) (start, length int64, e *apiError) {
	var v [2]int64
	for i, name := range []string{"start", "length"} {
		s, ok, err := single(q, name)
		if err != nil {
			return 0, 0, err
		}
		if !ok {
			return 0, 0, badParam("%s is required", name)
		}
		n, err := uintParam(name, s, uint64(i), math.MaxInt64)
		if err != nil {
			return 0, 0, err
		}
		v[i] = int64(n)
	}
	return v[0], v[1], nil
}

// byteRange is a satisfiable range of a blob: [start, start+length).
type byteRange struct{ start, length int64 }

// parseRange interprets a Range header for a blob of size bytes (RFC 9110
// §14): one range "bytes=a-b", "bytes=a-" or "bytes=-n". It returns nil
// (serve the whole blob, as RFC 9110 allows) for an absent, malformed or
// multi-range header, and a 416 error for a range outside the blob.
func parseRange(h string, size int64) (*byteRange, *apiError) {
	unit, spec, ok := strings.Cut(strings.TrimSpace(h), "=")
	if !ok || !strings.EqualFold(strings.TrimSpace(unit), "bytes") || strings.Contains(spec, ",") {
		return nil, nil
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return nil, nil
	}
	unsatisfiable := func() *apiError {
		return errorf(416, "OUT_OF_RANGE", ReasonRangeNotSatisfy, "range %q of a %d-byte blob", echo(h), size)
	}
	if first == "" {
		n, ok := digits(last)
		if !ok {
			return nil, nil
		}
		if n == 0 {
			return nil, unsatisfiable()
		}
		if size == 0 {
			return nil, nil // the whole (empty) blob
		}
		n = min(n, size)
		return &byteRange{size - n, n}, nil
	}
	a, ok := digits(first)
	if !ok {
		return nil, nil
	}
	b := int64(math.MaxInt64)
	if last != "" {
		if b, ok = digits(last); !ok || b < a {
			return nil, nil
		}
	}
	if a >= size {
		return nil, unsatisfiable()
	}
	b = min(b, size-1)
	return &byteRange{a, b - a + 1}, nil
}

// digits parses 1 or more ASCII digits; values past int64 saturate (a range
// end beyond any blob).
func digits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var v int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxInt64-9)/10 {
			v = math.MaxInt64
			continue
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

// etagMatches reports whether an If-None-Match header names etag (quoted or
// not, weak or strong) or is "*".
func etagMatches(h, etag string) bool {
	for _, t := range strings.Split(h, ",") {
		t = strings.TrimSpace(t)
		t = strings.TrimPrefix(t, "W/")
		if t == "*" || t == etag || strings.Trim(t, `"`) == etag {
			return true
		}
	}
	return false
}

// validHeaderValue reports whether an attribute value can be sent as a
// header value (no control characters but tab).
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
