package main

import "testing"

// TestGenerateNetworkDistinctPorts: with every port picked by the kernel,
// no two addresses of a generated network are the same (a port is held
// until all are chosen, so a node's REST port cannot be another's metrics
// port).
func TestGenerateNetworkDistinctPorts(t *testing.T) {
	for range 3 {
		g := generate(t, 4, "--rest-base-port", "0", "--metrics-base-port", "0")
		seen := map[string]string{}
		for i, n := range g.Nodes {
			for what, a := range map[string]string{"p2p": n.P2P, "rpc": n.RPC, "rest": n.REST, "metrics": n.Metrics} {
				if prev, ok := seen[a]; ok {
					t.Fatalf("node %d %s %s is also %s", i, what, a, prev)
				}
				seen[a] = what
			}
		}
	}
}
