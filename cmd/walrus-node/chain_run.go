package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/walrus-go/walrus/chain/abci"
	"github.com/walrus-go/walrus/internal/cmdline"
)

// runOptions are the parameters of chain run.
type runOptions struct {
	Home      string
	LogLevel  string // debug, info, warn, error
	LogFormat string // text, json
	Progress  time.Duration
}

func defaultRunOptions() runOptions {
	return runOptions{LogLevel: "info", LogFormat: "text", Progress: 10 * time.Second}
}

// Validate checks the options.
func (o *runOptions) Validate() error {
	if o.Home == "" {
		return errors.New("--home is required")
	}
	if _, err := parseLevel(o.LogLevel); err != nil {
		return err
	}
	if o.LogFormat != "text" && o.LogFormat != "json" {
		return fmt.Errorf("--log-format %q: want text or json", o.LogFormat)
	}
	if o.Progress < 0 {
		return fmt.Errorf("--progress %v: want a non-negative duration", o.Progress)
	}
	return nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("--log-level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

// newLogger returns the structured logger of a long-running command.
func newLogger(w io.Writer, o runOptions) *slog.Logger {
	level, _ := parseLevel(o.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(o.LogFormat, "json") {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func (a *app) chainRunCommand() *cobra.Command {
	o := defaultRunOptions()
	c := &cobra.Command{
		Use:   "run --home DIR",
		Short: "Run one validator of the chain from its CometBFT home directory",
		Long: `Runs a validator from a standard CometBFT home directory (as written by generate-network):
config/config.toml is read as CometBFT reads it (listen addresses, persistent peers, timeouts,
log_level filtering CometBFT's modules), the application state lives in DIR/app. Stops
gracefully on SIGINT or SIGTERM; a restarted validator catches up from its peers.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return cmdline.Usage(err)
			}
			return runValidator(cmd, newLogger(a.stderr, o), o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.Home, "home", "", "the validator's CometBFT home directory")
	f.StringVar(&o.LogLevel, "log-level", o.LogLevel, "log level: debug, info, warn, error")
	f.StringVar(&o.LogFormat, "log-format", o.LogFormat, "log format: text or json")
	f.DurationVar(&o.Progress, "progress", o.Progress, "log the height this often (0: never)")
	return c
}

func runValidator(cmd *cobra.Command, log *slog.Logger, o runOptions) error {
	ctx := cmd.Context()
	cfg, err := abci.LoadConfig(o.Home)
	if err != nil {
		return err
	}
	log = log.With("moniker", cfg.Moniker)
	n, err := abci.StartHome(cfg, log)
	if err != nil {
		return err
	}
	m := n.App().Meta()
	log.Info("validator started", "home", o.Home, "p2p", cfg.P2P.ListenAddress, "rpc", cfg.RPC.ListenAddress,
		"height", m.Height)
	var tick <-chan time.Time
	if o.Progress > 0 {
		t := time.NewTicker(o.Progress)
		defer t.Stop()
		tick = t.C
	}
	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			log.Info("shutting down", "reason", context.Cause(ctx))
			break loop
		case <-n.Done():
			runErr = errors.New("CometBFT node stopped on its own")
			log.Error("node stopped", "err", runErr)
			break loop
		case <-tick:
			m := n.App().Meta()
			log.Info("progress", "height", m.Height, "app_hash", fmt.Sprintf("%X", m.AppHash))
		}
	}
	closeErr := n.Close()
	m = n.App().Meta()
	if closeErr != nil {
		log.Error("stopped with error", "height", m.Height, "err", closeErr)
	} else {
		log.Info("stopped", "height", m.Height)
	}
	return errors.Join(runErr, closeErr)
}
