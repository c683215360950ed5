package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/walrus-go/walrus/internal/cmdline"
)

// app carries what every subcommand shares.
type app struct {
	stdout, stderr io.Writer
	json           bool
}

// printJSON writes v to standard output as indented JSON.
func (a *app) printJSON(v any) error { return cmdline.PrintJSON(a.stdout, v) }

// Run executes the command line and returns the exit code (0 success, 1 the
// command failed, 2 the command line was wrong). ctx ends the long-running
// commands (main cancels it on SIGINT and SIGTERM).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "walrus-node",
		Short: "Walrus storage node and its control-plane validator",
	}
	cmdline.Prepare(root, args, nil, stdout, stderr, &a.json)
	root.AddCommand(a.chainCommand(), a.runCommand(), a.setupCommand())
	root.AddCommand(a.operatorCommands()...)
	return cmdline.Execute(ctx, root, stderr, &a.json)
}

// chainCommand groups the control-plane subcommands.
func (a *app) chainCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "chain",
		Short: "Run and set up the control plane (CometBFT validators of the Walrus chain)",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cmdline.Usage(fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath()))
			}
			return cmd.Help()
		},
	}
	c.AddCommand(a.generateNetworkCommand(), a.chainRunCommand())
	return c
}
