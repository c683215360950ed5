package nodeapi

import (
	"errors"
	"net/url"
	"testing"
)

// FuzzParseDecodingQuery: the decodingSymbols route's query comes from
// the network; a parsed query re-encodes to one that parses the same.
func FuzzParseDecodingQuery(f *testing.F) {
	f.Add("targetSlivers=1&targetSlivers=7&targetType=primary")
	f.Add("targetSlivers=1,2,3&targetType=secondary")
	f.Add("targetSlivers=&targetType=tertiary")
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := ParseDecodingQuery(v)
		if err != nil {
			if !errors.Is(err, ErrInvalidParameter) {
				t.Fatalf("%q: %v is not an invalid-parameter error", raw, err)
			}
			return
		}
		v2, err := url.ParseQuery(q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		q2, err := ParseDecodingQuery(v2)
		if err != nil || q2.TargetType != q.TargetType || len(q2.Targets) != len(q.Targets) {
			t.Fatalf("re-parse of %q: %+v %v, want %+v", q.Encode(), q2, err, q)
		}
		for i := range q.Targets {
			if q2.Targets[i] != q.Targets[i] {
				t.Fatalf("re-parse of %q: %+v, want %+v", q.Encode(), q2, q)
			}
		}
	})
}

// FuzzParseScalars: query flags and base58 digests (event IDs in JSON).
func FuzzParseScalars(f *testing.F) {
	f.Add("true")
	f.Add("3yZe7d")
	f.Add("0x1f")
	f.Fuzz(func(t *testing.T, s string) {
		if b, err := ParseBool("flag", s); err == nil {
			if back, _ := ParseBool("flag", map[bool]string{true: "true", false: "false"}[b]); back != b {
				t.Fatalf("%q -> %v", s, b)
			}
		}
		if b, err := ParseBase58(s); err == nil && Base58(b) != s {
			t.Fatalf("base58 %q -> %x -> %q", s, b, Base58(b))
		}
	})
}
