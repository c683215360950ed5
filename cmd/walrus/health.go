package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/client"
	"github.com/walrus-go/walrus/internal/cmdline"
	"github.com/walrus-go/walrus/nodeapi"
)

// healthOutput is one node's entry of `walrus health --json`.
type healthOutput struct {
	NodeID     string                     `json:"nodeId,omitempty"`
	NodeName   string                     `json:"nodeName"`
	NodeURL    string                     `json:"nodeUrl"`
	NShards    int                        `json:"nShards"`
	Verified   bool                       `json:"verified"`
	HealthInfo *nodeapi.ServiceHealthInfo `json:"healthInfo,omitempty"`
	Error      string                     `json:"error,omitempty"`
}

func (a *app) healthCommand() *cobra.Command {
	var committee, activeSet, detail, desc bool
	var nodeIDs, nodeURLs []string
	var sortBy string
	var concurrency int
	cmd := &cobra.Command{
		Use:   "health (--committee | --active-set | --node-ids ID,… | --node-urls URL,…) [--detail] [--sort-by status|id|name|url [--desc]]",
		Short: "Ask storage nodes for their health",
		Long: "Asks the nodes named by --committee (the current committee), --active-set (every registered\n" +
			"storage node), --node-ids and --node-urls (any mix; each node once). A URL that no registered\n" +
			"node has is asked without checking its TLS key: its answer is marked unverified.\n" +
			"Exits with 1 when a node did not answer.",
		Args: cmdline.ExactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !committee && !activeSet && len(nodeIDs) == 0 && len(nodeURLs) == 0 {
				return cmdline.Usagef("health needs the nodes to ask: --committee, --active-set, --node-ids or --node-urls")
			}
			if concurrency < 1 {
				return cmdline.Usagef("--concurrent-requests must be at least 1")
			}
			less, ok := healthOrders[sortBy]
			if !ok {
				return cmdline.Usagef("--sort-by %q: want status, id, name or url", sortBy)
			}
			q := client.HealthQuery{Committee: committee, ActiveSet: activeSet, URLs: nodeURLs, Detailed: detail, Concurrency: concurrency}
			for _, s := range nodeIDs {
				id, err := parseObjectID(s)
				if err != nil {
					return cmdline.Usagef("--node-ids: %v", err)
				}
				q.NodeIDs = append(q.NodeIDs, id)
			}
			ctx := cmd.Context()
			conn, err := a.connect(ctx)
			if err != nil {
				return err
			}
			hs, err := conn.Client.Health(ctx, q)
			if err != nil {
				return err
			}
			outs := make([]healthOutput, len(hs))
			failed := 0
			for i, h := range hs {
				outs[i] = healthOutput{NodeName: h.Name, NodeURL: h.URL, NShards: h.Shards, Verified: h.Verified, HealthInfo: h.Health}
				if h.NodeID != (chain.ObjectID{}) {
					outs[i].NodeID = h.NodeID.String()
				}
				if h.Err != nil {
					outs[i].Error = h.Err.Error()
					failed++
				}
			}
			if sortBy != "" {
				slices.SortStableFunc(outs, func(x, y healthOutput) int {
					if desc {
						x, y = y, x
					}
					return less(x, y)
				})
			}
			if a.json {
				if err := a.printJSON(outs); err != nil {
					return err
				}
			} else {
				for _, o := range outs {
					fmt.Fprintf(a.stdout, "%s", o.NodeName)
					if o.NodeID != "" {
						fmt.Fprintf(a.stdout, " [%s]", o.NodeID)
					}
					fmt.Fprintf(a.stdout, ", %d shard(s): ", o.NShards)
					if o.Error != "" {
						fmt.Fprintf(a.stdout, "ERROR %s\n", o.Error)
						continue
					}
					h := o.HealthInfo
					fmt.Fprintf(a.stdout, "%s, epoch %d, up %s, owned shards %d, events persisted %d pending %d",
						h.NodeStatus, h.Epoch, time.Duration(h.Uptime.Secs)*time.Second, h.ShardSummary.Owned, h.EventProgress.Persisted, h.EventProgress.Pending)
					if !o.Verified {
						fmt.Fprintf(a.stdout, " (unverified: no registered node has this address)")
					}
					fmt.Fprintln(a.stdout)
					if d := h.ShardDetail; d != nil && detail {
						for _, sh := range d.Owned {
							fmt.Fprintf(a.stdout, "    shard %d: %s\n", sh.Shard, sh.Status)
						}
					}
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d storage node(s) did not answer", failed, len(hs))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&committee, "committee", false, "ask the nodes of the current committee")
	f.BoolVar(&activeSet, "active-set", false, "ask every registered storage node")
	f.StringSliceVar(&nodeIDs, "node-ids", nil, "ask these nodes (0x node IDs, comma-separated or repeated)")
	f.StringSliceVar(&nodeURLs, "node-urls", nil, "ask the nodes at these REST API URLs (https://host:port)")
	f.BoolVar(&detail, "detail", false, "include each shard's status")
	f.StringVar(&sortBy, "sort-by", "", "order the nodes by status, id, name or url")
	f.BoolVar(&desc, "desc", false, "with --sort-by: descending")
	f.IntVar(&concurrency, "concurrent-requests", client.DefaultHealthConcurrency, "requests in flight at most")
	return cmd
}

// healthOrders are the orders of --sort-by ("" keeps the query's order).
var healthOrders = map[string]func(x, y healthOutput) int{
	"": nil,
	"status": func(x, y healthOutput) int {
		return strings.Compare(healthStatus(x), healthStatus(y))
	},
	"id":   func(x, y healthOutput) int { return strings.Compare(x.NodeID, y.NodeID) },
	"name": func(x, y healthOutput) int { return strings.Compare(x.NodeName, y.NodeName) },
	"url":  func(x, y healthOutput) int { return strings.Compare(x.NodeURL, y.NodeURL) },
}

func healthStatus(o healthOutput) string {
	if o.HealthInfo == nil {
		return "~error" // after every status
	}
	return o.HealthInfo.NodeStatus
}
