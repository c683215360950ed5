package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/client"
	"github.com/walrus-go/walrus/clientconfig"
	"github.com/walrus-go/walrus/crypto/account"
	"github.com/walrus-go/walrus/crypto/keyfile"
	"github.com/walrus-go/walrus/internal/cmdline"
)

// objectCommands act on Blob objects and the wallet.
func (a *app) objectCommands() []*cobra.Command {
	return []*cobra.Command{
		a.shareCommand(), a.fundSharedCommand(), a.burnCommand(),
		a.getAttrCommand(), a.setAttrCommand(), a.removeAttrFieldsCommand(), a.removeAttrCommand(),
		a.getWALCommand(), a.generateWalletCommand(),
	}
}

// walletConn connects and requires a wallet.
func (a *app) walletConn(ctx context.Context) (*clientconfig.Conn, error) {
	conn, err := a.connect(ctx)
	if err != nil {
		return nil, err
	}
	return conn, needWallet(conn)
}

// objectArg reads the object ID given as the only argument or as flag.
func objectArg(args []string, flag string) (chain.ObjectID, error) {
	switch {
	case len(args) == 1 && flag == "":
		return parseObjectID(args[0])
	case len(args) == 0 && flag != "":
		return parseObjectID(flag)
	}
	return chain.ObjectID{}, cmdline.Usagef("give the Blob object ID once (argument or flag)")
}

func (a *app) extend(ctx context.Context, conn *clientconfig.Conn, id chain.ObjectID, epochs uint32, shared bool) (*client.BlobObject, error) {
	if shared {
		return conn.Client.ExtendShared(ctx, id, epochs)
	}
	return conn.Client.Extend(ctx, id, epochs)
}

// okOutput is the JSON answer of commands that only act.
type okOutput struct {
	ObjectID string `json:"objectId,omitempty"`
	Done     string `json:"done"`
}

// onObject parses the Blob object ID (the argument or the flag), connects
// with the wallet, runs act and reports what it did.
func (a *app) onObject(ctx context.Context, args []string, flag string, act func(ctx context.Context, c *client.Client, id chain.ObjectID) (string, error)) error {
	id, err := objectArg(args, flag)
	if err != nil {
		return err
	}
	conn, err := a.walletConn(ctx)
	if err != nil {
		return err
	}
	done, err := act(ctx, conn.Client, id)
	if err != nil {
		return err
	}
	return a.report(id, done)
}

func (a *app) report(obj chain.ObjectID, done string) error {
	if a.json {
		return a.printJSON(okOutput{ObjectID: obj.String(), Done: done})
	}
	fmt.Fprintf(a.stdout, "%s: %s\n", obj, done)
	return nil
}

func (a *app) shareCommand() *cobra.Command {
	var obj string
	var amount uint64
	cmd := &cobra.Command{
		Use:   "share --blob-obj-id ID [--amount FROST]",
		Short: "Turn an owned Blob object into a shared blob that anyone can fund and extend",
		Args:  cmdline.ExactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.onObject(cmd.Context(), nil, obj, func(ctx context.Context, c *client.Client, id chain.ObjectID) (string, error) {
				return fmt.Sprintf("shared, funded with %s", formatWAL(amount)), c.Share(ctx, id, amount)
			})
		},
	}
	cmd.Flags().StringVar(&obj, "blob-obj-id", "", "the Blob object ID")
	cmd.Flags().Uint64Var(&amount, "amount", 0, "FROST to put in the shared blob's funds")
	return cmd
}

func (a *app) fundSharedCommand() *cobra.Command {
	var obj string
	var amount uint64
	cmd := &cobra.Command{
		Use:   "fund-shared-blob --shared-blob-obj-id ID --amount FROST",
		Short: "Add FROST from the wallet to a shared blob's funds",
		Args:  cmdline.ExactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if amount == 0 {
				return cmdline.Usagef("--amount must be positive")
			}
			return a.onObject(cmd.Context(), nil, obj, func(ctx context.Context, c *client.Client, id chain.ObjectID) (string, error) {
				return fmt.Sprintf("funded with %s", formatWAL(amount)), c.FundShared(ctx, id, amount)
			})
		},
	}
	cmd.Flags().StringVar(&obj, "shared-blob-obj-id", "", "the shared blob's object ID")
	cmd.Flags().Uint64Var(&amount, "amount", 0, "FROST to add")
	return cmd
}

func (a *app) burnCommand() *cobra.Command {
	var ids []string
	var all, allExpired, yes bool
	cmd := &cobra.Command{
		Use:   "burn-blobs (--object-ids ID... | --all | --all-expired)",
		Short: "Destroy Blob objects owned by the wallet (the data stays until the nodes drop it)",
		Args:  cmdline.ExactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			chosen := 0
			for _, b := range []bool{len(ids) > 0, all, allExpired} {
				if b {
					chosen++
				}
			}
			if chosen != 1 {
				return cmdline.Usagef("give exactly one of --object-ids, --all and --all-expired")
			}
			var objs []chain.ObjectID
			for _, s := range ids {
				id, err := parseObjectID(s)
				if err != nil {
					return err
				}
				objs = append(objs, id)
			}
			ctx := cmd.Context()
			conn, err := a.walletConn(ctx)
			if err != nil {
				return err
			}
			if all || allExpired {
				blobs, err := conn.Client.ListBlobs(ctx, true)
				if err != nil {
					return err
				}
				sys, err := conn.Chain.System(ctx)
				if err != nil {
					return err
				}
				for _, b := range blobs {
					if all || b.Storage.EndEpoch <= sys.Epoch {
						objs = append(objs, b.ID)
					}
				}
			}
			burned := []string{}
			for _, o := range objs {
				burned = append(burned, o.String())
			}
			if len(objs) > 0 {
				if !yes && !a.confirm(fmt.Sprintf("Burn %d Blob object(s)?", len(objs))) {
					return errors.New("not confirmed; nothing burned (pass --yes to skip the question)")
				}
				if err := conn.Client.Burn(ctx, objs...); err != nil {
					return err
				}
			}
			if a.json {
				return a.printJSON(map[string][]string{"burnedObjects": burned})
			}
			fmt.Fprintf(a.stdout, "Burned %d Blob object(s)\n", len(burned))
			for _, b := range burned {
				fmt.Fprintf(a.stdout, "  %s\n", b)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&ids, "object-ids", nil, "Blob object IDs to burn (comma-separated or repeated)")
	f.BoolVar(&all, "all", false, "burn every Blob object the wallet owns")
	f.BoolVar(&allExpired, "all-expired", false, "burn every expired Blob object the wallet owns")
	f.BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func (a *app) getAttrCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "get-blob-attribute BLOB_OBJ_ID",
		Short: "Show the attributes of a Blob object",
		Args:  cmdline.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := objectArg(args, "")
			if err != nil {
				return err
			}
			conn, err := a.connect(cmd.Context())
			if err != nil {
				return err
			}
			attrs, err := conn.Client.Attributes(cmd.Context(), id)
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(map[string]any{"objectId": id.String(), "attributes": attrs})
			}
			if len(attrs) == 0 {
				fmt.Fprintln(a.stdout, "No attributes.")
			}
			keys := make([]string, 0, len(attrs))
			for k := range attrs {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				fmt.Fprintf(a.stdout, "%s: %s\n", k, attrs[k])
			}
			return nil
		},
	}
}

func (a *app) setAttrCommand() *cobra.Command {
	var keys []string
	cmd := &cobra.Command{
		Use:   "set-blob-attribute BLOB_OBJ_ID --attr KEY VALUE [--attr KEY VALUE]...",
		Short: "Set attributes of a Blob object owned by the wallet (--attr key=value works too)",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmdline.Usagef("set-blob-attribute needs the Blob object ID")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			attrs, err := attrPairs(keys, args[1:])
			if err != nil {
				return err
			}
			return a.onObject(cmd.Context(), args[:1], "", func(ctx context.Context, c *client.Client, id chain.ObjectID) (string, error) {
				return fmt.Sprintf("%d attribute(s) set", len(attrs)), c.SetAttributes(ctx, id, attrs)
			})
		},
	}
	cmd.Flags().StringArrayVar(&keys, "attr", nil, "KEY VALUE (or KEY=VALUE); repeatable")
	return cmd
}

// attrPairs pairs each --attr key with the positional value that follows
// it (pflag leaves "--attr k v" as flag k and argument v), or splits
// key=value when no values follow.
func attrPairs(keys, values []string) (map[string]string, error) {
	if len(keys) == 0 {
		return nil, cmdline.Usagef("give at least one --attr KEY VALUE")
	}
	out := map[string]string{}
	switch {
	case len(values) == len(keys):
		for i, k := range keys {
			out[k] = values[i]
		}
	case len(values) == 0:
		for _, kv := range keys {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return nil, cmdline.Usagef("--attr %q: give KEY VALUE or KEY=VALUE", kv)
			}
			out[k] = v
		}
	default:
		return nil, cmdline.Usagef("%d --attr key(s) but %d value(s)", len(keys), len(values))
	}
	for k := range out {
		if k == "" {
			return nil, cmdline.Usagef("empty attribute key")
		}
	}
	return out, nil
}

func (a *app) removeAttrFieldsCommand() *cobra.Command {
	var keys []string
	cmd := &cobra.Command{
		Use:   "remove-blob-attribute-fields BLOB_OBJ_ID --keys K1,K2",
		Short: "Remove attributes of a Blob object owned by the wallet",
		Args:  cmdline.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(keys) == 0 {
				return cmdline.Usagef("give --keys")
			}
			return a.onObject(cmd.Context(), args, "", func(ctx context.Context, c *client.Client, id chain.ObjectID) (string, error) {
				return "attribute(s) " + strings.Join(keys, ", ") + " removed", c.RemoveAttributes(ctx, id, keys...)
			})
		},
	}
	cmd.Flags().StringSliceVar(&keys, "keys", nil, "attribute keys (comma-separated or repeated)")
	return cmd
}

func (a *app) removeAttrCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "remove-blob-attribute BLOB_OBJ_ID",
		Short: "Remove every attribute of a Blob object owned by the wallet",
		Args:  cmdline.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.onObject(cmd.Context(), args, "", func(ctx context.Context, c *client.Client, id chain.ObjectID) (string, error) {
				attrs, err := c.Attributes(ctx, id)
				if err != nil {
					return "", err
				}
				keys := slices.Collect(maps.Keys(attrs))
				if len(keys) > 0 {
					err = c.RemoveAttributes(ctx, id, keys...)
				}
				return fmt.Sprintf("%d attribute(s) removed", len(keys)), err
			})
		},
	}
}

// defaultFaucetAmount is what get-wal asks for (Walrus's 0.5 WAL).
const defaultFaucetAmount = chain.FrostPerWAL / 2

func (a *app) getWALCommand() *cobra.Command {
	var amount uint64
	cmd := &cobra.Command{
		Use:   "get-wal [--amount FROST]",
		Short: "Get WAL from the network's faucet (local and test networks only)",
		Args:  cmdline.ExactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if amount == 0 {
				return cmdline.Usagef("--amount must be positive")
			}
			ctx := cmd.Context()
			conn, err := a.walletConn(ctx)
			if err != nil {
				return err
			}
			if err := conn.Client.GetWAL(ctx, amount); err != nil {
				if errors.Is(err, chain.ErrFaucetDisabled) {
					return fmt.Errorf("this network has no faucet: %w", err)
				}
				return err
			}
			bal, err := conn.Client.Balance(ctx)
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(map[string]any{"address": conn.Wallet.Address().String(), "amount": amount, "balance": bal})
			}
			fmt.Fprintf(a.stdout, "Received %s; balance of %s: %s\n", formatWAL(amount), conn.Wallet.Address(), formatWAL(bal))
			return nil
		},
	}
	cmd.Flags().Uint64Var(&amount, "amount", defaultFaucetAmount, "FROST to ask for")
	return cmd
}

func (a *app) generateWalletCommand() *cobra.Command {
	var path, alias string
	cmd := &cobra.Command{
		Use:     "generate-wallet --path FILE",
		Aliases: []string{"generate-sui-wallet"},
		Short:   "Generate a key into a keystore (sui.keystore format, mode 0600), created if needed",
		Long: "Generates an Ed25519 key and adds it to the keystore at --path (a new file is created with\n" +
			"mode 0600; an existing one keeps its keys). Name it in wallet_config.path, or pass --wallet.",
		Args: cmdline.ExactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if path == "" {
				return cmdline.Usagef("--path is required")
			}
			ks := account.NewKeystore()
			if _, err := os.Stat(path); err == nil {
				if ks, err = keyfile.LoadKeystore(path); err != nil {
					return err
				}
			}
			k, err := ks.Generate(alias)
			if err != nil {
				return err
			}
			if err := keyfile.SaveKeystore(path, ks); err != nil {
				return err
			}
			if a.json {
				return a.printJSON(map[string]string{"path": path, "address": k.Address().String()})
			}
			fmt.Fprintf(a.stdout, "Generated address %s in %s\n", k.Address(), path)
			return nil
		},
	}
	cmd.Flags().StringVar(&path, "path", "", "keystore file")
	cmd.Flags().StringVar(&alias, "alias", "", "alias of the new key (default: generated)")
	return cmd
}
