package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"
	"github.com/walrus-go/walrus/internal/cmdline"
)

// app carries what every subcommand shares.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	json           bool
}

// printJSON writes v to standard output as indented JSON.
func (a *app) printJSON(v any) error { return cmdline.PrintJSON(a.stdout, v) }

// Run executes the CLI with the given arguments and returns the exit code
// (0 success, 1 the command failed, 2 the command line was wrong).
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "walrus",
		Short: "Walrus client: store and read blobs on a Walrus network",
	}
	cmdline.Prepare(root, args, stdin, stdout, stderr, &a.json)
	root.AddCommand(a.blobIDCommand(), a.convertBlobIDCommand())
	return cmdline.Execute(ctx, root, stderr, &a.json)
}
