// Command walrus-node is a Walrus storage node. Today it runs the node's
// chain side: it generates the home directories of an N-validator control
// plane network and runs one validator of it from its home directory.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
