package main

import (
	"context"

	"github.com/walrus-go/walrus/clientconfig"
)

// startDevnetDaemon serves the devnet's publisher and aggregator with a
// client built from the written configuration (over the RPC) and the
// wallet in walletPath, as `walrus --wallet walletPath daemon` run from
// another shell would.
func (a *app) startDevnetDaemon(ctx context.Context, cfgPath, walletPath, addr string) (string, func(), error) {
	f, err := clientconfig.Load(cfgPath)
	if err != nil {
		return "", nil, err
	}
	c, _, err := f.Select("")
	if err != nil {
		return "", nil, err
	}
	conn, err := c.Connect(ctx, clientconfig.Options{WalletPath: walletPath, Logger: a.logger()})
	if err != nil {
		return "", nil, err
	}
	url, stop, err := a.startDaemon(conn.Client, serveOptions{bind: addr, maxBodyKiB: defaultMaxBodyKiB,
		maxConcurrentRequests: 8}, true, true)
	if err != nil {
		conn.Close()
		return "", nil, err
	}
	return url, func() { stop(); conn.Close() }, nil
}
