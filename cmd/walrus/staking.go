package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/client"
	"github.com/walrus-go/walrus/internal/cmdline"
)

// Staking commands (reference §7.4): stake, request-withdraw-stake,
// withdraw-stake, list-staked-wal, and node-admin collect-commission for
// operators. Amounts are in FROST (1 WAL = 10^9 FROST).

// stakingCommands returns the staking commands for the root.
func (a *app) stakingCommands() []*cobra.Command {
	return []*cobra.Command{
		a.stakeCommand(), a.requestWithdrawCommand(), a.withdrawStakeCommand(), a.listStakedCommand(), a.nodeAdminCommand(),
	}
}

// stakingClient connects with a wallet: every staking command signs.
func (a *app) stakingClient(ctx context.Context) (*client.Client, error) {
	conn, err := a.walletConn(ctx)
	if err != nil {
		return nil, err
	}
	return conn.Client, nil
}

// objectAndClient parses an object ID (usage errors first) and connects
// with the wallet.
func (a *app) objectAndClient(ctx context.Context, parse func() (chain.ObjectID, error)) (chain.ObjectID, *client.Client, error) {
	id, err := parse()
	if err != nil {
		return id, nil, err
	}
	c, err := a.stakingClient(ctx)
	return id, c, err
}

// stakedOutput is a StakedWAL in the commands' JSON (amounts as numbers of
// FROST, IDs in 0x form).
type stakedOutput struct {
	ID              string `json:"stakedWalId"`
	NodeID          string `json:"nodeId"`
	NodeName        string `json:"nodeName,omitempty"`
	Principal       uint64 `json:"principal"`
	ActivationEpoch uint32 `json:"activationEpoch"`
	State           string `json:"state"`
	WithdrawEpoch   uint32 `json:"withdrawEpoch,omitempty"`
	Active          bool   `json:"active"`
	CanWithdraw     bool   `json:"canWithdraw"`
	EstimatedValue  uint64 `json:"estimatedValue"`
}

func stakedOut(s *client.StakedWAL) stakedOutput {
	return stakedOutput{ID: s.ID.String(), NodeID: s.NodeID.String(), NodeName: s.NodeName, Principal: s.Principal,
		ActivationEpoch: s.ActivationEpoch, State: s.State, WithdrawEpoch: s.WithdrawEpoch, Active: s.Active,
		CanWithdraw: s.CanWithdraw, EstimatedValue: s.EstimatedValue}
}

func (a *app) printStaked(list []stakedOutput) {
	if len(list) == 0 {
		fmt.Fprintln(a.stdout, "No staked WAL.")
		return
	}
	fmt.Fprintf(a.stdout, "%-66s  %-20s  %-12s  %-10s  %-18s  %s\n", "Staked WAL ID", "Node", "State", "Activation", "Principal", "Estimated value")
	for _, s := range list {
		state := s.State
		switch {
		case s.State == client.StakeWithdrawing && s.CanWithdraw:
			state = "Withdrawable"
		case s.State == client.StakeWithdrawing:
			state = fmt.Sprintf("%s(%d)", s.State, s.WithdrawEpoch)
		case !s.Active:
			state = "Pending"
		}
		node := s.NodeName
		if node == "" {
			node = s.NodeID
		}
		fmt.Fprintf(a.stdout, "%-66s  %-20s  %-12s  %-10d  %-18s  %s\n", s.ID, node, state, s.ActivationEpoch, formatWAL(s.Principal), formatWAL(s.EstimatedValue))
	}
}

func (a *app) stakeCommand() *cobra.Command {
	var nodeIDs, amountFlags []string
	cmd := &cobra.Command{
		Use:   "stake --node-ids ID... [--amounts FROST...]",
		Short: "Stake WAL with storage nodes",
		Long: `Stakes WAL with each node (node IDs as listed by 'walrus info committee' or
'walrus health'), one StakedWAL object per node. --amounts gives the FROST to stake with each
node, in the order of --node-ids; a single amount applies to every node (default 1 WAL).
The stake activates at the next epoch, or the one after if the next committee is already
selected.`,
		Args: cmdline.ExactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(nodeIDs) == 0 {
				return cmdline.Usagef("--node-ids is required")
			}
			if len(amountFlags) != 1 && len(amountFlags) != len(nodeIDs) {
				return cmdline.Usagef("%d amounts for %d nodes: give one amount, or one per node", len(amountFlags), len(nodeIDs))
			}
			amounts := make([]uint64, len(amountFlags))
			for i, s := range amountFlags {
				amt, err := strconv.ParseUint(s, 10, 64)
				if err != nil || amt == 0 {
					return cmdline.Usagef("invalid amount %q: a positive number of FROST", s)
				}
				amounts[i] = amt
			}
			ids := make([]chain.ObjectID, len(nodeIDs))
			for i, s := range nodeIDs {
				id, err := parseObjectID(s)
				if err != nil {
					return err
				}
				ids[i] = id
			}
			ctx := cmd.Context()
			c, err := a.stakingClient(ctx)
			if err != nil {
				return err
			}
			var out []stakedOutput
			for i, id := range ids {
				amt := amounts[0]
				if len(amounts) > 1 {
					amt = amounts[i]
				}
				s, err := c.Stake(ctx, id, amt)
				if err != nil {
					return fmt.Errorf("staking %d FROST with %s: %w", amt, id, err)
				}
				out = append(out, stakedOut(s))
				if !a.json {
					fmt.Fprintf(a.stdout, "Staked %s with node %s: StakedWAL %s, active from epoch %d\n", formatWAL(amt), id, s.ID, s.ActivationEpoch)
				}
			}
			if a.json {
				return a.printJSON(out)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&nodeIDs, "node-ids", nil, "IDs of the nodes to stake with (comma-separated or repeated)")
	f.StringSliceVar(&amountFlags, "amounts", []string{strconv.FormatUint(chain.FrostPerWAL, 10)}, "FROST to stake with each node (one for all, or one per node)")
	return cmd
}

// stakedWalID reads --staked-wal-id.
func stakedWalID(flag string) (chain.ObjectID, error) {
	if flag == "" {
		return chain.ObjectID{}, cmdline.Usagef("--staked-wal-id is required")
	}
	return parseObjectID(flag)
}

func (a *app) requestWithdrawCommand() *cobra.Command {
	var idFlag string
	cmd := &cobra.Command{
		Use:   "request-withdraw-stake --staked-wal-id ID",
		Short: "Request the withdrawal of staked WAL",
		Long: `Starts the withdrawal of a StakedWAL object: it stops earning at its withdraw epoch (the
next epoch, or the one after if its node is in the already selected next committee), from
which 'walrus withdraw-stake' pays it out. A stake that is not active yet is paid back at once.`,
		Args: cmdline.ExactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			id, c, err := a.objectAndClient(ctx, func() (chain.ObjectID, error) { return stakedWalID(idFlag) })
			if err != nil {
				return err
			}
			s, err := c.RequestWithdraw(ctx, id)
			if err != nil {
				return err
			}
			if s == nil {
				if a.json {
					return a.printJSON(map[string]any{"stakedWalId": id.String(), "withdrawn": true})
				}
				fmt.Fprintf(a.stdout, "%s was not active yet: its principal was paid back\n", id)
				return nil
			}
			if a.json {
				return a.printJSON(stakedOut(s))
			}
			fmt.Fprintf(a.stdout, "Withdrawal of %s requested: withdraw it from epoch %d (now worth %s)\n", id, s.WithdrawEpoch, formatWAL(s.EstimatedValue))
			return nil
		},
	}
	cmd.Flags().StringVar(&idFlag, "staked-wal-id", "", "ID of the StakedWAL object")
	return cmd
}

func (a *app) withdrawStakeCommand() *cobra.Command {
	var idFlag string
	cmd := &cobra.Command{
		Use:   "withdraw-stake --staked-wal-id ID",
		Short: "Withdraw staked WAL whose withdrawal epoch has come",
		Args:  cmdline.ExactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			id, c, err := a.objectAndClient(ctx, func() (chain.ObjectID, error) { return stakedWalID(idFlag) })
			if err != nil {
				return err
			}
			amount, err := c.Withdraw(ctx, id)
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(map[string]any{"stakedWalId": id.String(), "amount": amount})
			}
			fmt.Fprintf(a.stdout, "Withdrew %s from %s\n", formatWAL(amount), id)
			return nil
		},
	}
	cmd.Flags().StringVar(&idFlag, "staked-wal-id", "", "ID of the StakedWAL object")
	return cmd
}

func (a *app) listStakedCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list-staked-wal",
		Short: "List the wallet's staked WAL with its state and estimated value",
		Args:  cmdline.ExactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			c, err := a.stakingClient(ctx)
			if err != nil {
				return err
			}
			list, err := c.ListStaked(ctx)
			if err != nil {
				return err
			}
			out := make([]stakedOutput, 0, len(list))
			for i := range list {
				out = append(out, stakedOut(&list[i]))
			}
			if a.json {
				return a.printJSON(out)
			}
			a.printStaked(out)
			return nil
		},
	}
}

// nodeAdminCommand groups the operators' commands.
func (a *app) nodeAdminCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "node-admin",
		Short: "Storage node operators' commands (the wallet must operate the node)",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cmdline.Usagef("unknown command %q for %q", args[0], cmd.CommandPath())
			}
			return cmd.Help()
		},
	}
	var nodeFlag string
	collect := &cobra.Command{
		Use:   "collect-commission --node-id ID",
		Short: "Pay the node's collectable commission to the wallet",
		Args:  cmdline.ExactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if nodeFlag == "" {
				return cmdline.Usagef("--node-id is required")
			}
			ctx := cmd.Context()
			id, cl, err := a.objectAndClient(ctx, func() (chain.ObjectID, error) { return parseObjectID(nodeFlag) })
			if err != nil {
				return err
			}
			amount, err := cl.CollectCommission(ctx, id)
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(map[string]any{"nodeId": id.String(), "amount": amount})
			}
			fmt.Fprintf(a.stdout, "Collected %s of commission from node %s\n", formatWAL(amount), id)
			return nil
		},
	}
	collect.Flags().StringVar(&nodeFlag, "node-id", "", "ID of the node (its staking pool)")
	c.AddCommand(collect)
	return c
}
