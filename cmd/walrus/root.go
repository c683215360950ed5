package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"
	"github.com/walrus-go/walrus/clientconfig"
	"github.com/walrus-go/walrus/internal/cmdline"
)

// app carries what every subcommand shares.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	json           bool

	// Global flags selecting the network and wallet.
	configPath  string
	contextName string
	walletPath  string
	verbose     bool

	conn *clientconfig.Conn // opened by connect, closed by Run
	ctx  *clientconfig.Context
}

// printJSON writes v to standard output as indented JSON.
func (a *app) printJSON(v any) error { return cmdline.PrintJSON(a.stdout, v) }

// logger is the SDK's debug log: stderr with --verbose, else discarded.
func (a *app) logger() *slog.Logger {
	if !a.verbose {
		return nil
	}
	return slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// connect loads the configuration (once) and connects to its network.
func (a *app) connect(ctx context.Context) (*clientconfig.Conn, error) {
	if a.conn != nil {
		return a.conn, nil
	}
	c, err := a.loadContext()
	if err != nil {
		return nil, err
	}
	conn, err := c.Connect(ctx, clientconfig.Options{WalletPath: a.walletPath, Logger: a.logger()})
	if err != nil {
		return nil, err
	}
	a.conn = conn
	return conn, nil
}

// loadContext finds the configuration and selects the context.
func (a *app) loadContext() (*clientconfig.Context, error) {
	if a.ctx != nil {
		return a.ctx, nil
	}
	f, err := clientconfig.Load(a.configPath)
	if err != nil {
		return nil, err
	}
	c, _, err := f.Select(a.contextName)
	if err != nil {
		return nil, err
	}
	a.ctx = c
	return c, nil
}

// isTerminal reports whether w is a terminal (for progress output).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && fdIsTerminal(f.Fd())
}

// Run executes the CLI with the given arguments and returns the exit code
// (0 success, 1 the command failed, 2 the command line was wrong).
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	args, err := expandJSON(args, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "Error: %v\nRun 'walrus --help' for usage.\n", err)
		return cmdline.ExitUsage
	}
	root := &cobra.Command{
		Use:   "walrus",
		Short: "Walrus client: store and read blobs on a Walrus network",
		Long: "Walrus client: store and read blobs on a Walrus network.\n\n" +
			"Commands that talk to a network read client_config.yaml (or .yml) from --config, else\n" +
			"from ., $XDG_CONFIG_HOME/walrus, ~/.config/walrus or ~/.walrus. `walrus devnet` runs a\n" +
			"local network and writes one.\n\n" +
			"`walrus json '{\"command\": {\"store\": {\"files\": [\"a.txt\"], \"epochs\": 2}}}'` runs any command from\n" +
			"JSON (camelCase names; output is JSON unless \"jsonOutput\": false; - reads standard input).",
	}
	cmdline.Prepare(root, args, stdin, stdout, stderr, &a.json)
	pf := root.PersistentFlags()
	pf.StringVar(&a.configPath, "config", "", "client configuration file (default: searched, see above)")
	pf.StringVar(&a.contextName, "context", "", "context of the configuration to use (default: its default_context)")
	pf.StringVar(&a.walletPath, "wallet", "", "keystore (sui.keystore format) to use instead of the configured wallet")
	pf.BoolVarP(&a.verbose, "verbose", "v", false, "log the client's debug information on standard error")
	root.AddCommand(a.blobIDCommand(), a.convertBlobIDCommand())
	root.AddCommand(a.networkCommands()...)
	root.AddCommand(a.devnetCommand())
	root.AddCommand(a.stakingCommands()...)
	root.AddCommand(a.objectCommands()...)
	root.AddCommand(a.serveCommands()...)
	code := cmdline.Execute(ctx, root, stderr, &a.json)
	if a.conn != nil {
		a.conn.Close()
	}
	return code
}
