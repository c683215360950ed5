package main

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
	exitOK    = 0
	exitError = 1 // the command failed
	exitUsage = 2 // the command line was wrong
)

// usageError marks errors in the command line itself.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// app carries what every subcommand shares.
type app struct {
	stdout, stderr io.Writer
	json           bool
}

// printJSON writes v as indented JSON followed by a newline.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Run executes the command line and returns the exit code. ctx ends the
// long-running commands (main cancels it on SIGINT and SIGTERM).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "walrus-node",
		Short:         "Walrus storage node and its control-plane validator",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().BoolVar(&a.json, "json", false, "print machine-readable JSON")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(a.chainCommand(), a.runCommand(), a.setupCommand())

	if err := root.ExecuteContext(ctx); err != nil {
		var ue usageError
		if errors.As(err, &ue) || isCobraUsageError(err) {
			fmt.Fprintf(stderr, "Error: %v\nRun 'walrus-node --help' for usage.\n", err)
			return exitUsage
		}
		if a.json {
			_ = json.NewEncoder(stderr).Encode(map[string]string{"error": err.Error()})
		} else {
			fmt.Fprintf(stderr, "Error: %v\n", err)
		}
		return exitError
	}
	return exitOK
}

// isCobraUsageError recognises cobra's own argument-count and unknown-command errors.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "unknown flag", "unknown shorthand", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// chainCommand groups the control-plane subcommands.
func (a *app) chainCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "chain",
		Short: "Run and set up the control plane (CometBFT validators of the Walrus chain)",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())}
			}
			return cmd.Help()
		},
	}
	c.AddCommand(a.generateNetworkCommand(), a.chainRunCommand())
	return c
}
