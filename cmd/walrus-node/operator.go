package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/spf13/cobra"
	"github.com/walrus-go/walrus/chain"
	chainclient "github.com/walrus-go/walrus/chain/client"
	"github.com/walrus-go/walrus/client"
	"github.com/walrus-go/walrus/crypto/bls"
	"github.com/walrus-go/walrus/crypto/keyfile"
	"github.com/walrus-go/walrus/internal/cmdline"
)

// The operator's commands (reference §6.5): register the node of a
// configuration file as a committee candidate, set its votes and commission,
// collect its commission. They sign with the configuration's operator key
// and find the node on chain by its protocol key.

// operatorSession is a node's keys and a chain connection.
type operatorSession struct {
	cfg      *nodeFileConfig
	protocol *bls.SecretKey
	operator ed25519.PrivateKey
	chain    *chainclient.Client
	sdk      *client.Client
}

func openOperator(path string) (*operatorSession, error) {
	if path == "" {
		return nil, cmdline.Usage(errors.New("--config is required"))
	}
	cfg, err := loadNodeConfig(path)
	if err != nil {
		return nil, err
	}
	if cfg.OperatorKeystore == "" {
		return nil, fmt.Errorf("%s: no operator_keystore: the operator's commands sign with it", path)
	}
	s := &operatorSession{cfg: cfg}
	if s.protocol, err = keyfile.LoadBLS(cfg.ProtocolKeyFile); err != nil {
		return nil, fmt.Errorf("protocol key: %w", err)
	}
	ks, err := keyfile.LoadKeystore(cfg.OperatorKeystore)
	if err != nil {
		return nil, fmt.Errorf("operator keystore: %w", err)
	}
	k, err := ks.Key(cfg.OperatorKey)
	if err != nil {
		return nil, fmt.Errorf("operator key %q in %s: %w", cfg.OperatorKey, cfg.OperatorKeystore, err)
	}
	seed := k.Bytes()
	s.operator = ed25519.NewKeyFromSeed(seed[:])
	rpc, err := rpchttp.New(cfg.Chain.RPCAddress, "/websocket")
	if err != nil {
		return nil, fmt.Errorf("chain RPC %s: %w", cfg.Chain.RPCAddress, err)
	}
	if s.chain, err = chainclient.New(chainclient.Config{RPC: rpc, ChainID: cfg.Chain.ChainID, MinFee: cfg.Chain.MinFee, PollInterval: cfg.Chain.PollInterval}); err != nil {
		return nil, err
	}
	if s.sdk, err = client.New(client.Config{Chain: s.chain, Wallet: s.operator}); err != nil {
		return nil, err
	}
	return s, nil
}

// onNode opens the operator's session from the node's configuration, finds
// its node on chain, runs act and reports the output (with the node ID).
func (a *app) onNode(ctx context.Context, path string, act func(ctx context.Context, s *operatorSession, node chain.ObjectID) (operatorOutput, error)) error {
	s, err := openOperator(path)
	if err != nil {
		return err
	}
	p, err := s.nodeID(ctx)
	if err != nil {
		return err
	}
	out, err := act(ctx, s, p.NodeID)
	if err != nil {
		return err
	}
	out.NodeID = p.NodeID.String()
	return a.report(out)
}

// nodeID finds the node's pool by its protocol key.
func (s *operatorSession) nodeID(ctx context.Context) (*chain.Pool, error) {
	pools, err := s.chain.Pools(ctx)
	if err != nil {
		return nil, err
	}
	pk := s.protocol.PublicKey().Bytes()
	for _, p := range pools {
		if p.PublicKey == pk {
			return p, nil
		}
	}
	return nil, errors.New("the node is not registered on chain (walrus-node register)")
}

// operatorOutput is the JSON answer of the operator's commands.
type operatorOutput struct {
	NodeID   string `json:"nodeId"`
	Done     string `json:"done"`
	Amount   uint64 `json:"amount,omitempty"`
	Operator string `json:"operator,omitempty"`
}

func (a *app) report(o operatorOutput) error {
	if a.json {
		return a.printJSON(o)
	}
	fmt.Fprintf(a.stdout, "node %s: %s\n", o.NodeID, o.Done)
	return nil
}

// votesFlags are the price and capacity votes.
type votesFlags struct{ storagePrice, writePrice, capacity uint64 }

func (v *votesFlags) add(cmd *cobra.Command, withDefaults bool) {
	var sp, wp, c uint64
	if withDefaults {
		sp, wp, c = 10_000, 2_000, 1<<40
	}
	f := cmd.Flags()
	f.Uint64Var(&v.storagePrice, "storage-price", sp, "storage price vote: FROST per MiB of encoded size per epoch")
	f.Uint64Var(&v.writePrice, "write-price", wp, "write price vote: FROST per MiB of encoded size")
	f.Uint64Var(&v.capacity, "capacity", c, "capacity vote: bytes of encoded storage the node offers")
}

func (v *votesFlags) votes() client.Votes {
	return client.Votes{StoragePrice: v.storagePrice, WritePrice: v.writePrice, Capacity: v.capacity}
}

// operatorCommands are the operator's top-level commands.
func (a *app) operatorCommands() []*cobra.Command {
	return []*cobra.Command{a.registerCommand(), a.setVotesCommand(), a.setCommissionCommand(), a.collectCommissionCommand()}
}

func (a *app) registerCommand() *cobra.Command {
	var path, name, address string
	var commission uint16
	var v votesFlags
	cmd := &cobra.Command{
		Use:   "register --config FILE",
		Short: "Register the node as a committee candidate",
		Long: `Registers the node of a configuration file (as written by 'walrus-node setup') as a
committee candidate: its name, network address (default: public_address), protocol key with a
proof of possession, network key, commission and votes, signed by the operator key, which
must hold WAL for the fee. The node enters a committee once stake selects it (walrus stake).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := openOperator(path)
			if err != nil {
				return err
			}
			if address == "" {
				address = s.cfg.PublicAddress
			}
			if name == "" {
				name = s.cfg.Name
			}
			switch {
			case address == "":
				return cmdline.Usage(errors.New("--network-address is required (or public_address in the configuration)"))
			case name == "":
				return cmdline.Usage(errors.New("--name is required (or name in the configuration)"))
			case commission > chain.MaxCommission:
				return cmdline.Usagef("--commission %d: at most %d basis points", commission, chain.MaxCommission)
			}
			if err := checkHostPort("--network-address", address, true); err != nil {
				return cmdline.Usage(err)
			}
			if s.cfg.NetworkKeyFile == "" {
				return fmt.Errorf("%s: no network_key_file: the network key is registered with the node", path)
			}
			nk, err := keyfile.LoadNetwork(s.cfg.NetworkKeyFile)
			if err != nil {
				return fmt.Errorf("network key: %w", err)
			}
			npk := nk.PublicKey()
			ctx := cmd.Context()
			id, err := s.sdk.RegisterCandidate(ctx, client.Candidate{Name: name, NetworkAddress: address, ProtocolKey: s.protocol,
				NetworkPublicKey: npk[:], Commission: commission, Votes: v.votes()})
			if err != nil {
				return err
			}
			return a.report(operatorOutput{NodeID: id.String(), Done: "registered as a candidate", Operator: s.sdk.Address().String()})
		},
	}
	f := cmd.Flags()
	f.StringVar(&path, "config", "", "the node's YAML configuration file")
	f.StringVar(&name, "name", "", "node name on chain (default: name in the configuration)")
	f.StringVar(&address, "network-address", "", "host:port where clients and nodes reach the node (default: public_address)")
	f.Uint16Var(&commission, "commission", 0, "commission rate in basis points (10000 = 100%)")
	v.add(cmd, true)
	return cmd
}

func (a *app) setVotesCommand() *cobra.Command {
	var path string
	var v votesFlags
	cmd := &cobra.Command{
		Use:   "set-votes --config FILE --storage-price P --write-price P --capacity BYTES",
		Short: "Set the node's price and capacity votes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, f := range []string{"storage-price", "write-price", "capacity"} {
				if !cmd.Flags().Changed(f) {
					return cmdline.Usagef("--%s is required", f)
				}
			}
			return a.onNode(cmd.Context(), path, func(ctx context.Context, s *operatorSession, node chain.ObjectID) (operatorOutput, error) {
				return operatorOutput{Done: "votes set"}, s.sdk.SetVotes(ctx, node, v.votes())
			})
		},
	}
	cmd.Flags().StringVar(&path, "config", "", "the node's YAML configuration file")
	v.add(cmd, false)
	return cmd
}

func (a *app) setCommissionCommand() *cobra.Command {
	var path string
	var rate uint16
	cmd := &cobra.Command{
		Use:   "set-commission --config FILE --rate BPS",
		Short: "Set the node's commission rate (effective two epochs later)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("rate") {
				return cmdline.Usagef("--rate is required")
			}
			if rate > chain.MaxCommission {
				return cmdline.Usagef("--rate %d: at most %d basis points", rate, chain.MaxCommission)
			}
			return a.onNode(cmd.Context(), path, func(ctx context.Context, s *operatorSession, node chain.ObjectID) (operatorOutput, error) {
				return operatorOutput{Done: fmt.Sprintf("commission set to %d basis points", rate)}, s.sdk.SetCommission(ctx, node, rate)
			})
		},
	}
	cmd.Flags().StringVar(&path, "config", "", "the node's YAML configuration file")
	cmd.Flags().Uint16Var(&rate, "rate", 0, "commission rate in basis points (10000 = 100%)")
	return cmd
}

func (a *app) collectCommissionCommand() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "collect-commission --config FILE",
		Short: "Pay the node's collectable commission to the operator",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.onNode(cmd.Context(), path, func(ctx context.Context, s *operatorSession, node chain.ObjectID) (operatorOutput, error) {
				amount, err := s.sdk.CollectCommission(ctx, node)
				return operatorOutput{Done: fmt.Sprintf("collected %d FROST of commission", amount), Amount: amount}, err
			})
		},
	}
	cmd.Flags().StringVar(&path, "config", "", "the node's YAML configuration file")
	return cmd
}
