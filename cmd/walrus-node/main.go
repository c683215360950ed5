// Command walrus-node is a Walrus storage node: "setup" writes a node's
// keys and YAML configuration, "run --config" runs the storage service
// (REST API, event follower, sync, epoch change, GC, Prometheus metrics),
// and "chain" generates an N-validator control-plane network (with a
// ready node.yaml per storage node) and runs one validator of it.
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
