package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/walrus-go/walrus/internal/cmdline"
)

func TestJSONArgs(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{`{"command": {"store": {"files": ["a", "b"], "epochs": 2, "permanent": true, "force": false}}}`,
			[]string{"--json", "store", "--epochs", "2", "a", "b", "--permanent"}},
		{`{"config": "c.yaml", "jsonOutput": false, "command": {"read": {"blobId": "X", "out": "f", "strictConsistencyCheck": true}}}`,
			[]string{"--config", "c.yaml", "read", "X", "--out", "f", "--strict-consistency-check"}},
		{`{"command": {"delete": {"blobId": ["x", "y"], "yes": true}}}`,
			[]string{"--json", "delete", "--blob-id", "x", "--blob-id", "y", "--yes"}},
		{`{"command": {"setBlobAttribute": {"blobObjId": "0x1", "attr": ["k=v"]}}}`,
			[]string{"--json", "set-blob-attribute", "--attr", "k=v", "0x1"}},
	}
	for _, c := range cases {
		got, err := jsonArgs([]byte(c.in))
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %q %v\nwant %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{``, `{}`, `{"command": {"a": {}, "b": {}}}`, `{"command": {"store": {"files": [{"x": 1}]}}}`,
		`{"colour": 1, "command": {"info": {}}}`, `{"command": {"json": {}}}`} {
		if _, err := jsonArgs([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}

	// Through Run: the command as an argument (the blob on stdin) ...
	code, out, errs := run(t, "some other string", "json", `{"command": {"blobId": {"file": "-"}}}`)
	var got blobIDOutput
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.BlobID != "M4hsZGQ1oCktdzegB6HnI6Mi28S2nqOPHxK-W7_4BUk" {
		t.Fatalf("json blob-id: %d %q %s", code, out, errs)
	}
	// ... and on stdin.
	code, out, _ = run(t, `{"command": {"convertBlobId": {"blobId": "M4hsZGQ1oCktdzegB6HnI6Mi28S2nqOPHxK-W7_4BUk"}}, "jsonOutput": false}`, "json", "-")
	if code != 0 || !strings.HasPrefix(out, "33029388974007764889800497995325165905902854956237990162315138693239164143667") {
		t.Fatalf("json from stdin: %d %q", code, out)
	}
	if code, _, errs := run(t, "", "json", "{"); code != cmdline.ExitUsage || !strings.Contains(errs, "json:") {
		t.Fatalf("bad json: %d %s", code, errs)
	}
}
