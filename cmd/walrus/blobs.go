package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/client"
	"github.com/walrus-go/walrus/clientconfig"
	"github.com/walrus-go/walrus/crypto/account"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/internal/cmdline"
	"github.com/walrus-go/walrus/nodeapi"
)

// networkCommands are the commands that talk to a network.
func (a *app) networkCommands() []*cobra.Command {
	return []*cobra.Command{
		a.storeCommand(), a.readCommand(), a.blobStatusCommand(), a.infoCommand(), a.healthCommand(),
		a.listBlobsCommand(), a.deleteCommand(), a.extendCommand(),
	}
}

// parseObjectID reads an object ID: 0x and up to 64 hex digits (Sui's
// form, short forms left-padded with zeros).
func parseObjectID(s string) (chain.ObjectID, error) {
	a, err := account.ParseAddress(s)
	if err != nil {
		return chain.ObjectID{}, cmdline.Usagef("invalid object ID %q", s)
	}
	return chain.ObjectID(a), nil
}

// needWallet fails when the connection has no wallet.
func needWallet(conn *clientconfig.Conn) error {
	if conn.Wallet == nil {
		return fmt.Errorf("%w: set wallet_config in the configuration or pass --wallet", client.ErrNoWallet)
	}
	return nil
}

// walletKey is the connection's wallet as an ed25519 key.
func walletKey(conn *clientconfig.Conn) ed25519.PrivateKey {
	seed := conn.Wallet.Bytes()
	return ed25519.NewKeyFromSeed(seed[:])
}

// blobIDOfFile computes a file's blob ID for the connected network.
func (a *app) blobIDOfFile(conn *clientconfig.Conn, path string) (encoding.BlobID, error) {
	data, err := a.readInput(path)
	if err != nil {
		return encoding.BlobID{}, err
	}
	md, err := encoding.ComputeMetadata(data, int(conn.System.NShards))
	if err != nil {
		return encoding.BlobID{}, fmt.Errorf("encoding %s: %w", path, err)
	}
	return md.BlobID, nil
}

// blobStatusOutput is the JSON form of `walrus blob-status`.
type blobStatusOutput struct {
	BlobID string             `json:"blobId"`
	File   string             `json:"file,omitempty"`
	Status nodeapi.BlobStatus `json:"status"`
}

func (a *app) blobStatusCommand() *cobra.Command {
	var blobID, file string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "blob-status (--blob-id ID | --file FILE)",
		Short: "Show a blob's status as the storage nodes report it",
		Args:  cmdline.ExactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (blobID == "") == (file == "") {
				return cmdline.Usagef("give exactly one of --blob-id and --file")
			}
			if timeout <= 0 {
				return cmdline.Usagef("--timeout must be positive")
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			var id encoding.BlobID
			var err error
			if blobID != "" {
				if id, err = parseBlobID(blobID); err != nil {
					return err
				}
			}
			conn, err := a.connect(ctx)
			if err != nil {
				return err
			}
			if file != "" {
				if id, err = a.blobIDOfFile(conn, file); err != nil {
					return err
				}
			}
			st, err := conn.Client.Status(ctx, id)
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(blobStatusOutput{BlobID: id.String(), File: file, Status: st})
			}
			fmt.Fprintf(a.stdout, "Blob ID: %s\n", id)
			if file != "" {
				fmt.Fprintf(a.stdout, "File: %s\n", file)
			}
			fmt.Fprintf(a.stdout, "Status: %s\n", describeStatus(st))
			return nil
		},
	}
	cmd.Flags().StringVar(&blobID, "blob-id", "", "the blob ID")
	cmd.Flags().StringVar(&file, "file", "", "a file whose blob ID to compute (- for standard input)")
	cmd.Flags().DurationVar(&timeout, "timeout", time.Minute, "give up after this long")
	return cmd
}

func describeStatus(st nodeapi.BlobStatus) string {
	switch st.Kind {
	case nodeapi.StatusNonexistent:
		return "nonexistent (never stored, deleted, or expired)"
	case nodeapi.StatusInvalid:
		return "invalid (marked as inconsistently encoded)"
	case nodeapi.StatusPermanent:
		s := "permanent, registered"
		if st.IsCertified {
			s = "permanent, certified"
		}
		s += fmt.Sprintf(", expiry epoch (exclusive) %d", st.EndEpoch)
		if st.Counts.Total > 0 {
			s += fmt.Sprintf("; also %d deletable object(s), %d certified", st.Counts.Total, st.Counts.Certified)
		}
		return s
	case nodeapi.StatusDeletable:
		return fmt.Sprintf("deletable only: %d object(s), %d certified", st.Counts.Total, st.Counts.Certified)
	}
	return string(st.Kind)
}

func (a *app) listBlobsCommand() *cobra.Command {
	var includeExpired bool
	cmd := &cobra.Command{
		Use:   "list-blobs",
		Short: "List the Blob objects the wallet owns",
		Args:  cmdline.ExactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			conn, err := a.connect(ctx)
			if err != nil {
				return err
			}
			if err := needWallet(conn); err != nil {
				return err
			}
			blobs, err := conn.Client.ListBlobs(ctx, includeExpired)
			if err != nil {
				return err
			}
			if a.json {
				if blobs == nil {
					blobs = []client.BlobObject{}
				}
				return a.printJSON(blobs)
			}
			if len(blobs) == 0 {
				fmt.Fprintln(a.stdout, "No blobs.")
				return nil
			}
			fmt.Fprintf(a.stdout, "%-43s  %-12s  %-9s  %-9s  %-10s  %s\n", "Blob ID", "Size", "Certified", "Deletable", "Expiry", "Object ID")
			for _, b := range blobs {
				fmt.Fprintf(a.stdout, "%-43s  %-12s  %-9t  %-9t  %-10d  %s\n", b.BlobID, formatBytes(b.Size), b.CertifiedEpoch != nil,
					b.Deletable, b.Storage.EndEpoch, b.ID)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&includeExpired, "include-expired", false, "also list expired blobs")
	return cmd
}

// deleteOutput is one entry of `walrus delete --json`.
type deleteOutput struct {
	BlobID    string   `json:"blobId,omitempty"`
	ObjectIDs []string `json:"deletedObjects"`
	// Remaining counts the live certified objects of the blob left on
	// chain after the deletion, whoever owns them (not with
	// --no-status-check): the blob stays readable while one remains.
	Remaining *remainingObjects `json:"remaining,omitempty"`
}

type remainingObjects struct {
	Permanent int `json:"permanent"`
	Deletable int `json:"deletable"`
}

// remaining counts the live certified Blob objects of id on chain.
func remaining(ctx context.Context, conn *clientconfig.Conn, id encoding.BlobID) (*remainingObjects, error) {
	sys, err := conn.Chain.System(ctx)
	if err != nil {
		return nil, err
	}
	objs, err := conn.Chain.BlobObjects(ctx, id)
	if err != nil {
		return nil, err
	}
	r := &remainingObjects{}
	for _, o := range objs {
		if b := o.Blob; b != nil && b.Certified() && b.Storage.End > sys.Epoch {
			if b.Deletable {
				r.Deletable++
			} else {
				r.Permanent++
			}
		}
	}
	return r, nil
}

func (a *app) deleteCommand() *cobra.Command {
	var blobIDs, objectIDs, files []string
	var yes, noStatusCheck bool
	cmd := &cobra.Command{
		Use:   "delete (--blob-id ID | --object-id ID | --file FILE)...",
		Short: "Delete deletable blobs owned by the wallet",
		Long: "Deletes the wallet's deletable Blob objects: every one of a blob (--blob-id, --file) or a\n" +
			"single object (--object-id). Asks for confirmation unless --yes.",
		Args: cmdline.ExactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(blobIDs)+len(objectIDs)+len(files) == 0 {
				return cmdline.Usagef("give at least one --blob-id, --object-id or --file")
			}
			var ids []encoding.BlobID
			for _, s := range blobIDs {
				id, err := parseBlobID(s)
				if err != nil {
					return err
				}
				ids = append(ids, id)
			}
			var objs []chain.ObjectID
			for _, s := range objectIDs {
				id, err := parseObjectID(s)
				if err != nil {
					return err
				}
				objs = append(objs, id)
			}
			ctx := cmd.Context()
			conn, err := a.connect(ctx)
			if err != nil {
				return err
			}
			if err := needWallet(conn); err != nil {
				return err
			}
			for _, f := range files {
				id, err := a.blobIDOfFile(conn, f)
				if err != nil {
					return err
				}
				ids = append(ids, id)
			}
			if !yes {
				var what []string
				for _, id := range ids {
					what = append(what, "blob "+id.String())
				}
				for _, o := range objs {
					what = append(what, "object "+o.String())
				}
				if !a.confirm("Delete " + strings.Join(what, ", ") + "?") {
					return errors.New("not confirmed; nothing deleted (pass --yes to skip the question)")
				}
			}
			var outs []deleteOutput
			for _, id := range ids {
				deleted, err := conn.Client.Delete(ctx, id)
				if err != nil {
					return fmt.Errorf("deleting blob %s: %w", id, err)
				}
				o := deleteOutput{BlobID: id.String()}
				for _, d := range deleted {
					o.ObjectIDs = append(o.ObjectIDs, d.String())
				}
				if !noStatusCheck {
					if o.Remaining, err = remaining(ctx, conn, id); err != nil {
						return fmt.Errorf("blob %s deleted; checking what remains: %w", id, err)
					}
				}
				outs = append(outs, o)
			}
			for _, obj := range objs {
				// One object of a blob: a delete message of its own (the
				// SDK's Delete removes every object of the blob).
				if _, err := conn.Chain.Send(ctx, walletKey(conn), &chain.MsgDeleteBlob{Blob: obj}); err != nil {
					if errors.Is(err, chain.ErrNotFound) || errors.Is(err, chain.ErrNotOwner) {
						err = fmt.Errorf("%w: %w", client.ErrObjectNotFound, err)
					}
					return fmt.Errorf("deleting object %s: %w", obj, err)
				}
				outs = append(outs, deleteOutput{ObjectIDs: []string{obj.String()}})
			}
			if a.json {
				return a.printJSON(outs)
			}
			for _, o := range outs {
				if o.BlobID != "" {
					fmt.Fprintf(a.stdout, "Deleted blob %s: %d object(s) %s\n", o.BlobID, len(o.ObjectIDs), strings.Join(o.ObjectIDs, ", "))
					switch r := o.Remaining; {
					case r == nil:
					case r.Permanent+r.Deletable == 0:
						fmt.Fprintln(a.stdout, "  No certified object of the blob remains: the storage nodes will delete its data.")
					default:
						fmt.Fprintf(a.stdout, "  The blob stays available: %d permanent and %d deletable certified object(s) of it remain.\n", r.Permanent, r.Deletable)
					}
				} else {
					fmt.Fprintf(a.stdout, "Deleted object %s\n", o.ObjectIDs[0])
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&blobIDs, "blob-id", nil, "blob ID to delete (repeatable)")
	f.StringArrayVar(&objectIDs, "object-id", nil, "Blob object ID to delete (repeatable)")
	f.StringArrayVar(&files, "file", nil, "file whose blob to delete (repeatable)")
	f.BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	f.BoolVar(&noStatusCheck, "no-status-check", false, "do not check what remains of the blob after the deletion")
	return cmd
}

// confirm asks a yes/no question on stderr and reads the answer from stdin.
func (a *app) confirm(question string) bool {
	fmt.Fprintf(a.stderr, "%s [y/N] ", question)
	line, _ := bufio.NewReader(a.stdin).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	return false
}

func (a *app) extendCommand() *cobra.Command {
	var obj string
	var epochs uint32
	var shared bool
	cmd := &cobra.Command{
		Use:   "extend --blob-obj-id ID --epochs-extended N",
		Short: "Extend the storage period of a Blob object",
		Args:  cmdline.ExactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if obj == "" || epochs == 0 {
				return cmdline.Usagef("--blob-obj-id and a positive --epochs-extended are required")
			}
			id, err := parseObjectID(obj)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			conn, err := a.connect(ctx)
			if err != nil {
				return err
			}
			if err := needWallet(conn); err != nil {
				return err
			}
			b, err := a.extend(ctx, conn, id, epochs, shared)
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(b)
			}
			fmt.Fprintf(a.stdout, "Extended %s (blob %s) by %d epoch(s): expiry epoch (exclusive) %d\n", b.ID, b.BlobID, epochs, b.Storage.EndEpoch)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&obj, "blob-obj-id", "", "the Blob object ID")
	f.Uint32Var(&epochs, "epochs-extended", 0, "number of epochs to add")
	f.BoolVar(&shared, "shared", false, "the object is a shared blob (paid from its funds)")
	return cmd
}
