package cluster

import (
	"bytes"
	"context"
	"math/rand"
	"os"
	"testing"
	"time"

	sdk "github.com/walrus-go/walrus/client"
)

func TestMain(m *testing.M) {
	code := m.Run()
	RemoveBuild()
	os.Exit(code)
}

// TestClusterStoreRead runs a network of four validators and four storage
// nodes as processes, stores a blob through the proxies and reads it back
// (the faults themselves are exercised in package bft).
func TestClusterStoreRead(t *testing.T) {
	if testing.Short() {
		t.Skip("builds walrus-node and runs eight processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := Start(ctx, Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	defer func() {
		if t.Failed() {
			t.Log(c.Logs(40))
		}
	}()
	cl, err := c.Client(0, "account-0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	blob := make([]byte, 100_000)
	rand.New(rand.NewSource(1)).Read(blob)
	res, err := cl.Store(ctx, blob, sdk.StoreOptions{Epochs: 2})
	if err != nil {
		t.Fatal(err)
	}
	got, err := cl.Read(ctx, res.BlobID(), sdk.ReadOptions{})
	if err != nil || !bytes.Equal(got, blob) {
		t.Fatalf("read: %v", err)
	}
	var through int64
	for _, sn := range c.Nodes {
		through += sn.Proxy.BytesOut(RouteSliver)
	}
	if through == 0 {
		t.Fatal("the read's slivers did not go through the proxies")
	}
}
