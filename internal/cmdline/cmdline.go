// Package cmdline holds the command-line conventions that the walrus and
// walrus-node commands share, so that scripts see the same behaviour from
// both: exit codes (0 success, 1 failure, 2 usage), usage errors, errors
// printed as "Error: ..." or, with --json, as {"error": "..."}, and JSON
// output.
package cmdline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes that scripts can rely on.
const (
	ExitOK    = 0
	ExitError = 1 // the command failed
	ExitUsage = 2 // the command line was wrong
)

// UsageError marks an error in the command line itself (exit code 2).
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Usage wraps err as a usage error.
func Usage(err error) error { return UsageError{Err: err} }

// Usagef formats a usage error.
func Usagef(format string, args ...any) error { return UsageError{Err: fmt.Errorf(format, args...)} }

// PrintJSON writes v as indented JSON followed by a newline.
func PrintJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// ExactArgs is cobra.ExactArgs with the error marked as a usage error.
func ExactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return Usagef("%s takes %d argument(s), got %d", cmd.Name(), n, len(args))
		}
		return nil
	}
}

// Prepare sets up root the way both commands run: output streams, silenced
// cobra messages (Execute prints errors itself), flag errors as usage errors
// and the persistent --json flag bound to jsonOut.
func Prepare(root *cobra.Command, args []string, stdin io.Reader, stdout, stderr io.Writer, jsonOut *bool) {
	root.SilenceUsage = true
	root.SilenceErrors = true
	root.SetArgs(args)
	if stdin != nil {
		root.SetIn(stdin)
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().BoolVar(jsonOut, "json", false, "print machine-readable JSON")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return Usage(err) })
}

// Execute runs root and turns its error into an exit code, printing it to
// stderr (as JSON when jsonOut is set, for failures of the command itself).
func Execute(ctx context.Context, root *cobra.Command, stderr io.Writer, jsonOut *bool) int {
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ue UsageError
	if errors.As(err, &ue) || isCobraUsageError(err) {
		fmt.Fprintf(stderr, "Error: %v\nRun '%s --help' for usage.\n", err, root.Name())
		return ExitUsage
	}
	if *jsonOut {
		_ = json.NewEncoder(stderr).Encode(map[string]string{"error": err.Error()})
	} else {
		fmt.Fprintf(stderr, "Error: %v\n", err)
	}
	return ExitError
}

// isCobraUsageError recognises cobra's own argument and flag errors.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "unknown flag", "unknown shorthand", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
