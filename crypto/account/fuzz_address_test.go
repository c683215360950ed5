package account

import (
	"strings"
	"testing"
)

// FuzzParseAddress: addresses arrive in queries (send_object_to) and JSON.
// A parsed address prints as 0x and 64 hex digits, which parses back to
// the same address.
func FuzzParseAddress(f *testing.F) {
	f.Add("0x1")
	f.Add("0x" + strings.Repeat("ab", 32))
	f.Add("0xZZ")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddress(s)
		if err != nil {
			return
		}
		back, err := ParseAddress(a.String())
		if err != nil || back != a {
			t.Fatalf("%q -> %s -> %v %v", s, a, back, err)
		}
		var u Address
		if err := u.UnmarshalText([]byte(s)); err != nil || u != a {
			t.Fatalf("UnmarshalText(%q) = %v %v, want %v", s, u, err, a)
		}
	})
}
