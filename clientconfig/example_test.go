package clientconfig_test

import (
	"bytes"
	"context"
	"log"

	"github.com/walrus-go/walrus/client"
	"github.com/walrus-go/walrus/clientconfig"
)

// Connect as the walrus command does (client_config.yaml found in the
// usual places, its default context), store a blob and read it back.
// (Compiled, not run: it needs a network; `walrus devnet` makes one.)
func Example() {
	ctx := context.Background()
	f, err := clientconfig.Load("")
	if err != nil {
		log.Fatal(err)
	}
	cfg, _, err := f.Select("")
	if err != nil {
		log.Fatal(err)
	}
	conn, err := cfg.Connect(ctx, clientconfig.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	c := conn.Client
	res, err := c.Store(ctx, []byte("hello"), client.StoreOptions{Epochs: 5})
	if err != nil {
		log.Fatal(err)
	}
	data, err := c.Read(ctx, res.BlobID(), client.ReadOptions{})
	if err != nil || !bytes.Equal(data, []byte("hello")) {
		log.Fatal(err)
	}
	var w bytes.Buffer
	if _, err := c.Stream(ctx, res.BlobID(), &w, client.ReadOptions{}); err != nil {
		log.Fatal(err)
	}
	if _, err := c.ReadRange(ctx, res.BlobID(), 1, 3, client.ReadOptions{}); err != nil {
		log.Fatal(err)
	}
	if _, err := c.Status(ctx, res.BlobID()); err != nil {
		log.Fatal(err)
	}
}
