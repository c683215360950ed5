package nodeapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/walrus-go/walrus/bcs"
	"github.com/walrus-go/walrus/encoding"
)

// The decoding-symbols route: symbols without proofs, for readers that
// check the decoded sliver against the metadata instead.
const (
	RouteDecodingSymbols = "GET /v1/blobs/{blob_id}/decodingSymbols"
	QueryTargetSlivers   = "targetSlivers"
	// MaxTargetSlivers bounds the targets of one decoding-symbols request.
	MaxTargetSlivers = 1024
)

// DecodingSymbolsPath is the path of the decoding-symbols route.
func DecodingSymbolsPath(id encoding.BlobID) string { return blobPath(id) + "/decodingSymbols" }

// DecodingQuery asks for the symbols that help decode the target slivers
// of one type.
type DecodingQuery struct {
	Targets    []uint16
	TargetType encoding.SliverType
}

// Encode renders the query (targets comma-separated).
func (q *DecodingQuery) Encode() string {
	parts := make([]string, len(q.Targets))
	for i, t := range q.Targets {
		parts[i] = strconv.Itoa(int(t))
	}
	v := url.Values{QueryTargetSlivers: {strings.Join(parts, ",")}, QueryTargetType: {q.TargetType.String()}}
	return v.Encode()
}

// ParseDecodingQuery parses targetSlivers (comma-separated or repeated
// decimal u16, no duplicates) and targetType.
func ParseDecodingQuery(v url.Values) (*DecodingQuery, error) {
	q := &DecodingQuery{}
	for _, s := range v[QueryTargetSlivers] {
		for _, p := range strings.Split(s, ",") {
			idx, ok := parseU16(p)
			if !ok {
				return nil, Errorf(ErrInvalidParameter, "%s: %q is not a decimal integer in 0..65535", QueryTargetSlivers, truncate(p))
			}
			if slices.Contains(q.Targets, idx) {
				return nil, Errorf(ErrInvalidParameter, "%s: %d repeated", QueryTargetSlivers, idx)
			}
			if len(q.Targets) == MaxTargetSlivers {
				return nil, Errorf(ErrInvalidParameter, "%s: at most %d targets", QueryTargetSlivers, MaxTargetSlivers)
			}
			q.Targets = append(q.Targets, idx)
		}
	}
	if len(q.Targets) == 0 {
		return nil, Errorf(ErrInvalidParameter, "want %s", QueryTargetSlivers)
	}
	tt := v[QueryTargetType]
	if len(tt) != 1 {
		return nil, Errorf(ErrInvalidParameter, "want one %s", QueryTargetType)
	}
	t, err := ParseSliverType(tt[0])
	if err != nil {
		return nil, err
	}
	q.TargetType = t
	return q, nil
}

// DecodingSymbols maps a target sliver index to the symbols of it, each
// from one orthogonal sliver (DecodingSymbol.Index is the source's index).
type DecodingSymbols struct {
	TargetType encoding.SliverType
	Symbols    map[uint16][]encoding.DecodingSymbol
}

// MarshalDecodingSymbols returns the BCS map<u16, vec<EitherDecodingSymbol>>,
// keys in the canonical order of their BCS bytes (u16 little-endian).
func MarshalDecodingSymbols(ds *DecodingSymbols) []byte {
	keys := make([]uint16, 0, len(ds.Symbols))
	for k := range ds.Symbols {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b uint16) int { return bytes.Compare(le16(a), le16(b)) })
	e := bcs.NewEncoder(64)
	e.ULEB(uint32(len(keys)))
	for _, k := range keys {
		e.U16(k)
		syms := ds.Symbols[k]
		e.ULEB(uint32(len(syms)))
		for i := range syms {
			e.ULEB(uint32(ds.TargetType))
			encoding.EncodeDecodingSymbol(e, &syms[i])
		}
	}
	return e.Bytes()
}

func le16(v uint16) []byte { return []byte{byte(v), byte(v >> 8)} }

// UnmarshalDecodingSymbols parses the BCS map strictly: canonical key order,
// every symbol of type t.
func UnmarshalDecodingSymbols(t encoding.SliverType, b []byte) (*DecodingSymbols, error) {
	d := bcs.NewDecoder(b)
	n := d.Len(encoding.MaxShards, 3)
	ds := &DecodingSymbols{TargetType: t, Symbols: map[uint16][]encoding.DecodingSymbol{}}
	var prev []byte
	for i := 0; i < n && d.Err() == nil; i++ {
		k := d.U16()
		if d.Err() == nil && prev != nil && bytes.Compare(prev, le16(k)) >= 0 {
			d.Fail(fmt.Errorf("map keys not in canonical order"))
		}
		prev = le16(k)
		m := d.Len(encoding.MaxShards, 4)
		var syms []encoding.DecodingSymbol
		for j := 0; j < m && d.Err() == nil; j++ {
			if d.Tag(2) != uint32(t) && d.Err() == nil {
				d.Fail(fmt.Errorf("symbol of the other type"))
			}
			idx := d.U16()
			data := d.ByteVec(encoding.MaxSymbolSize)
			syms = append(syms, encoding.DecodingSymbol{Index: idx, Data: append([]byte(nil), data...)})
		}
		ds.Symbols[k] = syms
	}
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("%w: decoding symbols: %v", ErrBadResponse, err)
	}
	return ds, nil
}

// DecodingSymbols fetches decoding symbols (without proofs) for target
// slivers; the caller checks the decoded slivers against the metadata.
func (c *Client) DecodingSymbols(ctx context.Context, id encoding.BlobID, q *DecodingQuery) (*DecodingSymbols, error) {
	_, b, err := c.do(ctx, http.MethodGet, DecodingSymbolsPath(id), q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	return UnmarshalDecodingSymbols(q.TargetType, b)
}
