package client

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/chain/abci"
)

// TestInclusionLatency measures submit-to-inclusion latency on the embedded
// node with its default 100 ms blocks; the target is two block intervals.
func TestInclusionLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("measures latency over many blocks")
	}
	n := &network{}
	*n = *newNetwork(t, time.Hour)
	n.stop(t)
	node, err := abci.StartNode(abci.NodeConfig{Home: n.home, Genesis: n.g})
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	c, _ := New(Config{RPC: node.Client(), ChainID: n.g.ChainID, MinFee: 1, PollInterval: 5 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var lat []time.Duration
	for range 30 {
		start := time.Now()
		if _, err := c.Send(ctx, n.user, &chain.MsgTransfer{To: chain.Address{1}, Amount: 1}); err != nil {
			t.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	t.Logf("inclusion latency over %d txs: median %v, p90 %v, max %v", len(lat), lat[len(lat)/2], lat[len(lat)*9/10], lat[len(lat)-1])
	if lat[len(lat)/2] > 2*abci.DefaultBlockInterval+100*time.Millisecond {
		t.Errorf("median latency %v above two block intervals", lat[len(lat)/2])
	}
}
