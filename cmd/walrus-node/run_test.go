package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/walrus-go/walrus/crypto/keyfile"
	"github.com/walrus-go/walrus/internal/cmdline"
	"github.com/walrus-go/walrus/nodeapi"
)

// storageNode is a "walrus-node run" running in this process.
type storageNode struct {
	cancel context.CancelFunc
	done   chan int
	log    *syncBuffer
	cfg    *nodeFileConfig
	api    *nodeapi.Client
}

func startStorageNode(t *testing.T, path string) *storageNode {
	t.Helper()
	cfg, err := loadNodeConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	nk, err := keyfile.LoadNetwork(cfg.NetworkKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	api, err := nodeapi.NewClient(nodeapi.ClientConfig{BaseURL: "https://" + cfg.RESTAPIAddress,
		HTTPClient: &http.Client{Transport: nodeapi.PinnedTransport(nk.PublicKey()), Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &storageNode{cancel: cancel, done: make(chan int, 1), log: &syncBuffer{}, cfg: cfg, api: api}
	go func() { s.done <- Run(ctx, []string{"run", "--config", path}, io.Discard, s.log) }()
	return s
}

func (s *storageNode) stop(t *testing.T) {
	t.Helper()
	s.api.CloseIdleConnections()
	s.cancel()
	select {
	case code := <-s.done:
		if code != cmdline.ExitOK {
			t.Fatalf("storage node exited with %d: %s", code, s.log.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("storage node did not stop")
	}
	if !strings.Contains(s.log.String(), "msg=stopped") {
		t.Fatalf("no stop logged: %s", s.log.String())
	}
}

// TestRunNetwork generates a 3-validator network, runs each validator
// ("chain run") and each storage node ("run --config node.yaml") in this
// process on loopback, checks every node's health (active in epoch 1, its
// shards owned and ready, all shards covered once) and metrics, and stops
// everything gracefully.
func TestRunNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three validators and three storage nodes")
	}
	const nShards = 10
	g := generate(t, 3, "--rest-base-port", "0", "--metrics-base-port", "0")
	vals := make([]*validator, len(g.Nodes))
	nodes := make([]*storageNode, len(g.Nodes))
	defer func() {
		for i := range g.Nodes {
			if nodes[i] != nil {
				nodes[i].cancel()
				<-nodes[i].done
			}
			if vals[i] != nil {
				vals[i].cancel()
				<-vals[i].done
			}
		}
	}()
	for i, n := range g.Nodes {
		if n.Config != filepath.Join(n.Home, "walrus", "node.yaml") || n.Metrics == "" {
			t.Fatalf("node %d: %+v", i, n)
		}
		vals[i] = startValidator(n.Home)
	}
	for i, n := range g.Nodes {
		nodes[i] = startStorageNode(t, n.Config)
	}
	ctx := context.Background()
	covered := map[uint16]int{}
	for i, s := range nodes {
		deadline := time.Now().Add(60 * time.Second)
		var h *nodeapi.ServiceHealthInfo
		for {
			var err error
			h, err = s.api.Health(ctx, true)
			if err == nil && h.Epoch == 1 && h.NodeStatus == "Active" && h.ShardSummary.Owned > 0 &&
				h.ShardSummary.OwnedShardStatus.Ready == h.ShardSummary.Owned {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %d health %+v, %v; log:\n%s", i, h, err, s.log.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
		if h.ShardDetail == nil || len(h.ShardDetail.Owned) != h.ShardSummary.Owned {
			t.Fatalf("node %d: shard detail %+v", i, h.ShardDetail)
		}
		for _, sh := range h.ShardDetail.Owned {
			if sh.Status != "ready" {
				t.Fatalf("node %d: shard %d is %s", i, sh.Shard, sh.Status)
			}
			covered[sh.Shard]++
		}
	}
	if len(covered) != nShards {
		t.Fatalf("shards covered: %v", covered)
	}
	for s, k := range covered {
		if k != 1 {
			t.Fatalf("shard %d owned by %d nodes", s, k)
		}
	}
	for i, s := range nodes {
		resp, err := http.Get("http://" + s.cfg.MetricsAddress + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{
			`walrus_node_http_requests_total{route="GET /v1/health",status="200"}`,
			`walrus_node_shards{owned="true",status="ready"}`,
			"walrus_node_epoch 1",
			"walrus_node_committee_member 1",
			"walrus_node_chain_height ",
			"go_goroutines ",
		} {
			if !bytes.Contains(body, []byte(want)) {
				t.Fatalf("node %d metrics lack %q:\n%s", i, want, body)
			}
		}
	}
	for i := range nodes {
		nodes[i].stop(t)
		nodes[i] = nil
	}
	for i := range vals {
		vals[i].stop(t)
		vals[i] = nil
	}
}
