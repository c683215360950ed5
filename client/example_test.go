package client_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/walrus-go/walrus/client"
	"github.com/walrus-go/walrus/devnet"
)

// Store a blob on a local in-process network and read it back.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "walrus-devnet-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	nw, err := devnet.Start(ctx, devnet.Config{Dir: dir, Shards: 10})
	if err != nil {
		log.Fatal(err)
	}
	defer nw.Close()

	c, err := client.New(client.Config{Chain: nw.Chain(), Wallet: nw.Wallet()})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	res, err := c.Store(ctx, []byte("hello, walrus"), client.StoreOptions{Epochs: 2})
	if err != nil {
		log.Fatal(err)
	}
	data, err := c.Read(ctx, res.BlobID(), client.ReadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.NewlyCreated != nil, string(data))
	// Output: true hello, walrus
}
