// Command walrus is the Walrus client: it computes blob IDs offline and, as
// the project grows, stores and reads blobs and runs the publisher and
// aggregator daemons.
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
