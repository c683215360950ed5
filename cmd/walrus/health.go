package main

import (
	"fmt"

	"time"

	"github.com/spf13/cobra"
	"github.com/walrus-go/walrus/internal/cmdline"
	"github.com/walrus-go/walrus/nodeapi"
)

// healthOutput is one node's entry of `walrus health --json`.
type healthOutput struct {
	NodeID     string                     `json:"nodeId"`
	NodeName   string                     `json:"nodeName"`
	NShards    int                        `json:"nShards"`
	HealthInfo *nodeapi.ServiceHealthInfo `json:"healthInfo,omitempty"`
	Error      string                     `json:"error,omitempty"`
}

func (a *app) healthCommand() *cobra.Command {
	var committee, detail bool
	cmd := &cobra.Command{
		Use:   "health --committee [--detail]",
		Short: "Ask every storage node of the current committee for its health",
		Long:  "Exits with 1 when a node did not answer.",
		Args:  cmdline.ExactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !committee {
				return cmdline.Usagef("health needs --committee (the nodes to ask)")
			}
			ctx := cmd.Context()
			conn, err := a.connect(ctx)
			if err != nil {
				return err
			}
			hs, err := conn.Client.Health(ctx, detail)
			if err != nil {
				return err
			}
			outs := make([]healthOutput, len(hs))
			failed := 0
			for i, h := range hs {
				outs[i] = healthOutput{NodeID: h.NodeID.String(), NodeName: h.Name, NShards: h.Shards, HealthInfo: h.Health}
				if h.Err != nil {
					outs[i].Error = h.Err.Error()
					failed++
				}
			}
			if a.json {
				if err := a.printJSON(outs); err != nil {
					return err
				}
			} else {
				for _, o := range outs {
					fmt.Fprintf(a.stdout, "%s (%s), %d shard(s): ", o.NodeName, o.NodeID, o.NShards)
					if o.Error != "" {
						fmt.Fprintf(a.stdout, "ERROR %s\n", o.Error)
						continue
					}
					h := o.HealthInfo
					fmt.Fprintf(a.stdout, "%s, epoch %d, up %s, owned shards %d, events persisted %d pending %d\n",
						h.NodeStatus, h.Epoch, time.Duration(h.Uptime.Secs)*time.Second, h.ShardSummary.Owned, h.EventProgress.Persisted, h.EventProgress.Pending)
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
	cmd.Flags().BoolVar(&committee, "committee", false, "ask the nodes of the current committee")
	cmd.Flags().BoolVar(&detail, "detail", false, "include each shard's status")
	return cmd
}
