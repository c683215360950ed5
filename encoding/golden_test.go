package encoding

import (
	"bytes"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestGoldenFormats pins every wire format to bytes on disk, for a fixed
// blob on 7 shards: a change to any encoder shows up as a diff, and
// `go test ./encoding/ -run Golden -update` rewrites the files after a deliberate change.
// Each file also decodes back to the same bytes.
func TestGoldenFormats(t *testing.T) {
	enc, err := Encode([]byte("golden vector: the quick brown fox jumps over the lazy dog"), 7)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := NewExpander(7)
	md := enc.Metadata
	primary, secondary := enc.PrimarySliver(1), enc.SecondarySliver(5)
	gs, _ := x.RecoverySymbols(md, &secondary, []int{0, 3})
	var syms []RecoverySymbol
	for j := 0; j < 3; j++ {
		src := enc.PrimarySliver(j)
		g, _ := x.RecoverySymbols(md, &src, []int{2})
		syms = append(syms, g[0].Symbol)
	}
	proof := &InconsistencyProof{TargetType: Secondary, TargetIndex: 2, Symbols: syms}

	cases := []struct {
		name   string
		data   []byte
		decode func([]byte) ([]byte, error)
	}{
		{"blob_id", []byte(md.BlobID.String()), nil},
		{"metadata_with_id", md.MarshalBCS(), func(b []byte) ([]byte, error) {
			id, m, err := UnmarshalMetadataWithID(b)
			if err != nil {
				return nil, err
			}
			return (&VerifiedMetadata{BlobID: id, Metadata: *m}).MarshalBCS(), nil
		}},
		{"primary_sliver", MarshalSliver(&primary), func(b []byte) ([]byte, error) {
			s, err := UnmarshalSliver(Primary, b)
			if err != nil {
				return nil, err
			}
			return MarshalSliver(s), nil
		}},
		{"secondary_sliver", MarshalSliver(&secondary), func(b []byte) ([]byte, error) {
			s, err := UnmarshalSliver(Secondary, b)
			if err != nil {
				return nil, err
			}
			return MarshalSliver(s), nil
		}},
		{"recovery_symbols", MarshalGeneralRecoverySymbols(gs), func(b []byte) ([]byte, error) {
			s, err := UnmarshalGeneralRecoverySymbols(b)
			if err != nil {
				return nil, err
			}
			return MarshalGeneralRecoverySymbols(s), nil
		}},
		{"recovery_symbol", MarshalRecoverySymbol(&syms[0]), func(b []byte) ([]byte, error) {
			s, err := UnmarshalRecoverySymbol(b)
			if err != nil {
				return nil, err
			}
			return MarshalRecoverySymbol(s), nil
		}},
		{"decoding_symbol", MarshalDecodingSymbol(&syms[0].DecodingSymbol), func(b []byte) ([]byte, error) {
			s, err := UnmarshalDecodingSymbol(b)
			if err != nil {
				return nil, err
			}
			return MarshalDecodingSymbol(s), nil
		}},
		{"inconsistency_proof", MarshalInconsistencyProof(proof), func(b []byte) ([]byte, error) {
			p, err := UnmarshalInconsistencyProof(Secondary, b)
			if err != nil {
				return nil, err
			}
			return MarshalInconsistencyProof(p), nil
		}},
	}
	for _, c := range cases {
		path := filepath.Join("testdata", c.name+".golden")
		text := hex.EncodeToString(c.data) + "\n"
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (run with -update to create it)", c.name, err)
		}
		if string(want) != text {
			t.Errorf("%s: encoding changed:\n got %s\nwant %s", c.name, strings.TrimSpace(text), strings.TrimSpace(string(want)))
		}
		if c.decode != nil {
			raw, _ := hex.DecodeString(strings.TrimSpace(string(want)))
			back, err := c.decode(raw)
			if err != nil || !bytes.Equal(back, raw) {
				t.Errorf("%s: golden bytes do not round-trip: %v", c.name, err)
			}
		}
	}
}
