package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/walrus-go/walrus/internal/cmdline"
)

func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestBlobIDOfficialVector(t *testing.T) {
	path := filepath.Join(t.TempDir(), "blob")
	if err := os.WriteFile(path, []byte("some other string"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, "", "blob-id", path)
	if code != cmdline.ExitOK || !strings.Contains(out, "Blob ID: M4hsZGQ1oCktdzegB6HnI6Mi28S2nqOPHxK-W7_4BUk") {
		t.Fatalf("code %d, out %q, err %q", code, out, errs)
	}
	code, out, _ = run(t, "some other string", "blob-id", "-", "--json")
	var got blobIDOutput
	if code != cmdline.ExitOK || json.Unmarshal([]byte(out), &got) != nil {
		t.Fatalf("json: code %d out %q", code, out)
	}
	if got.BlobID != "M4hsZGQ1oCktdzegB6HnI6Mi28S2nqOPHxK-W7_4BUk" || got.UnencodedLength != 17 || got.NShards != 1000 || got.EncodedLength != 66_034_000 {
		t.Fatalf("json output %+v", got)
	}
	// A different shard count gives a different ID.
	_, out, _ = run(t, "some other string", "blob-id", "-", "--n-shards", "10", "--json")
	if strings.Contains(out, "M4hsZGQ1") || !strings.Contains(out, `"nShards": 10`) {
		t.Fatalf("n-shards ignored: %s", out)
	}
}

func TestConvertBlobID(t *testing.T) {
	const id = "M4hsZGQ1oCktdzegB6HnI6Mi28S2nqOPHxK-W7_4BUk"
	const dec = "33029388974007764889800497995325165905902854956237990162315138693239164143667"
	if code, out, _ := run(t, "", "convert-blob-id", dec); code != 0 || strings.TrimSpace(out) != id {
		t.Fatalf("decimal -> id: %d %q", code, out)
	}
	if code, out, _ := run(t, "", "convert-blob-id", id); code != 0 || strings.TrimSpace(out) != dec {
		t.Fatalf("id -> decimal: %d %q", code, out)
	}
	code, out, _ := run(t, "", "convert-blob-id", dec, "--json")
	var got convertOutput
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.BlobID != id || got.Decimal != dec {
		t.Fatalf("json: %d %q", code, out)
	}
}

func TestErrorsAndExitCodes(t *testing.T) {
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"convert-blob-id", "not-an-id"}, cmdline.ExitUsage, "invalid blob ID"},
		{[]string{"blob-id"}, cmdline.ExitUsage, "takes 1 argument"},
		{[]string{"blob-id", "/does/not/exist"}, cmdline.ExitError, "no such file"},
		{[]string{"blob-id", "-", "--n-shards", "3"}, cmdline.ExitUsage, "invalid number of shards"},
		{[]string{"no-such-command"}, cmdline.ExitUsage, "unknown command"},
		{[]string{"blob-id", "-", "--bogus"}, cmdline.ExitUsage, "unknown flag"},
	}
	for _, c := range cases {
		code, _, errs := run(t, "", c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("%v: code %d (want %d), stderr %q", c.args, code, c.code, errs)
		}
	}
	// With --json, failures are reported as a JSON object on stderr.
	code, _, errs := run(t, "", "blob-id", "/does/not/exist", "--json")
	var e map[string]string
	if code != cmdline.ExitError || json.Unmarshal([]byte(errs), &e) != nil || e["error"] == "" {
		t.Errorf("json error: %d %q", code, errs)
	}
}
