package cmdline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func execute(t *testing.T, run func() error, args ...string) (int, string) {
	t.Helper()
	var jsonOut bool
	var out, errb bytes.Buffer
	root := &cobra.Command{Use: "tool"}
	root.AddCommand(&cobra.Command{Use: "do ARG", Args: ExactArgs(1), RunE: func(*cobra.Command, []string) error { return run() }})
	Prepare(root, args, nil, &out, &errb, &jsonOut)
	return Execute(context.Background(), root, &errb, &jsonOut), errb.String()
}

func TestExitCodes(t *testing.T) {
	ok := func() error { return nil }
	fail := func() error { return errors.New("boom") }
	bad := func() error { return Usagef("bad value %d", 7) }
	cases := []struct {
		run  func() error
		args []string
		code int
		msg  string
	}{
		{ok, []string{"do", "x"}, ExitOK, ""},
		{fail, []string{"do", "x"}, ExitError, "Error: boom"},
		{bad, []string{"do", "x"}, ExitUsage, "bad value 7"},
		{ok, []string{"do"}, ExitUsage, "takes 1 argument"},
		{ok, []string{"do", "x", "--nope"}, ExitUsage, "unknown flag"},
		{ok, []string{"nothing"}, ExitUsage, "unknown command"},
	}
	for _, c := range cases {
		code, errs := execute(t, c.run, c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("%v: code %d (want %d), stderr %q", c.args, code, c.code, errs)
		}
	}
	code, errs := execute(t, fail, "do", "x", "--json")
	var e map[string]string
	if code != ExitError || json.Unmarshal([]byte(errs), &e) != nil || e["error"] != "boom" {
		t.Errorf("json failure: %d %q", code, errs)
	}
}
