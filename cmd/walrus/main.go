// Command walrus is the Walrus client: it stores, reads and manages blobs
// on a network named by client_config.yaml (package clientconfig), runs the
// publisher and aggregator, runs a whole local network in one process
// (`walrus devnet`), and computes blob IDs offline.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal starts a clean stop, a second one kills the
	// process the default way.
	go func() { <-ctx.Done(); stop() }()
	code := Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
