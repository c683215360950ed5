package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/client"
	"github.com/walrus-go/walrus/clientconfig"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/internal/cmdline"
)

// errReadInput marks a file that could not be read.
var errReadInput = errors.New("reading the input")

// storeOutput is one file's entry of `walrus store --json` (Walrus's
// form: the SDK's BlobStoreResult and the path).
type storeOutput struct {
	BlobStoreResult *client.StoreResult `json:"blobStoreResult"`
	Path            string              `json:"path"`
}

// dryRunOutput is one file's entry of `walrus store --dry-run --json`.
type dryRunOutput struct {
	Path          string `json:"path"`
	BlobID        string `json:"blobId"`
	EncodingType  string `json:"encodingType"`
	UnencodedSize uint64 `json:"unencodedSize"`
	EncodedSize   uint64 `json:"encodedSize"`
	StorageCost   uint64 `json:"storageCost"` // FROST
	Epochs        uint32 `json:"epochs"`
}

// parseEpochs reads --epochs: a positive number or "max".
func parseEpochs(s string, limit uint32) (uint32, error) {
	if s == "max" {
		return limit, nil
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 0 {
		return 0, cmdline.Usagef("--epochs must be a positive number or max, not %q", s)
	}
	if uint32(n) > limit {
		return 0, cmdline.Usagef("--epochs %d is more than the network allows (%d; use --epochs max)", n, limit)
	}
	return uint32(n), nil
}

// storageCost is what a store pays (reference §7.1): storage for every
// epoch plus the write fee, per started MiB of encoded size.
func storageCost(sys *chain.System, encoded uint64, epochs uint32) uint64 {
	units := (encoded + chain.StorageUnit - 1) / chain.StorageUnit
	return sys.StoragePrice*units*uint64(epochs) + sys.WritePrice*units
}

func (a *app) storeCommand() *cobra.Command {
	var (
		epochs                                      string
		permanent, deletable, force, dryRun, ignore bool
		share                                       bool
		endEpoch                                    uint32
	)
	cmd := &cobra.Command{
		Use:     "store FILE...",
		Aliases: []string{"write"},
		Short:   "Store files as blobs (FILE may be - for standard input)",
		Long: "Encodes each file, registers it on chain, uploads it to the storage nodes and certifies it.\n" +
			"A blob already certified for long enough is not uploaded again (unless --force).\n" +
			"Blobs are deletable unless --permanent.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmdline.Usagef("store needs at least one file")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if permanent && deletable {
				return cmdline.Usagef("--permanent and --deletable exclude each other")
			}
			ctx := cmd.Context()
			conn, err := a.connect(ctx)
			if err != nil {
				return err
			}
			sys, err := conn.Chain.System(ctx)
			if err != nil {
				return fmt.Errorf("reading the system state: %w", err)
			}
			limit := a.ctx.EpochsLimit(sys)
			var n uint32
			if endEpoch != 0 {
				if cmd.Flags().Changed("epochs") {
					return cmdline.Usagef("--epochs and --end-epoch exclude each other")
				}
				if endEpoch <= sys.Epoch || endEpoch-sys.Epoch > limit {
					return cmdline.Usagef("--end-epoch %d must be after the current epoch %d and at most %d", endEpoch, sys.Epoch, sys.Epoch+limit)
				}
				n = endEpoch - sys.Epoch
			} else if n, err = parseEpochs(epochs, limit); err != nil {
				return err
			}
			if dryRun {
				return a.storeDryRun(args, sys, n)
			}
			if conn.Wallet == nil {
				return fmt.Errorf("%w: set wallet_config in the configuration or pass --wallet", client.ErrNoWallet)
			}
			opts := client.StoreOptions{Epochs: n, Permanent: permanent, Force: force, IgnoreResources: ignore, Share: share}
			// Each file is stored on its own: a failure is reported (Walrus's
			// "error" result in JSON) and the next file goes on; the exit
			// code says whether every file was stored.
			var outs []storeOutput
			var failed []error
			for _, path := range args {
				res, err := a.storeFile(ctx, conn, path, opts)
				if err != nil {
					if ctx.Err() != nil {
						if a.json && len(outs) > 0 {
							a.printJSON(outs)
						}
						return fmt.Errorf("storing %s: %w", path, err)
					}
					failed = append(failed, fmt.Errorf("storing %s: %w", path, err))
					res = client.FailedStore(err)
					if errors.Is(err, errReadInput) {
						res.Error.FailurePhase = "read"
					}
				} else if res.MarkedInvalid != nil {
					failed = append(failed, fmt.Errorf("storing %s: blob %s is marked invalid on chain", path, res.MarkedInvalid.BlobID))
				}
				outs = append(outs, storeOutput{BlobStoreResult: res, Path: path})
				switch {
				case a.json:
				case res.Error != nil:
					if len(args) > 1 { // a single file's error is the command's
						fmt.Fprintf(a.stderr, "Error: storing %s (phase: %s): %v\n", path, res.Error.FailurePhase, err)
					}
				default:
					a.printStoreResult(path, res, int(sys.NShards))
				}
			}
			if a.json {
				if err := a.printJSON(outs); err != nil {
					return err
				}
			}
			switch {
			case len(failed) == 1 && len(args) == 1:
				return failed[0]
			case len(failed) > 0 && a.json:
				return fmt.Errorf("%d of %d files not stored: %w", len(failed), len(args), errors.Join(failed...))
			case len(failed) > 0:
				return fmt.Errorf("%d of %d files not stored", len(failed), len(args))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&epochs, "epochs", "1", "epochs to store the blob for, counting the current one, or max")
	f.Uint32Var(&endEpoch, "end-epoch", 0, "epoch at which the blob expires (instead of --epochs)")
	f.BoolVar(&permanent, "permanent", false, "store a permanent blob (cannot be deleted before it expires)")
	f.BoolVar(&deletable, "deletable", false, "store a deletable blob (the default)")
	f.BoolVar(&force, "force", false, "store even if the blob is already certified")
	f.BoolVar(&dryRun, "dry-run", false, "only encode: print the blob ID, sizes and cost, change nothing")
	f.BoolVar(&ignore, "ignore-resources", false, "buy new storage instead of using storage the wallet owns")
	f.BoolVar(&share, "share", false, "turn the new Blob object into a shared blob")
	return cmd
}

// storeFile stores one file, with a progress line on a terminal.
func (a *app) storeFile(ctx context.Context, conn *clientconfig.Conn, path string, opts client.StoreOptions) (*client.StoreResult, error) {
	data, err := a.readInput(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errReadInput, err)
	}
	if a.json || !isTerminal(a.stderr) {
		return conn.Client.Store(ctx, data, opts)
	}
	label := fmt.Sprintf("storing %s (%s)", path, formatBytes(uint64(len(data))))
	p := newProgress(a.stderr, true, label+": encoding, registering", 0)
	defer p.finish()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go watchRegistration(wctx, conn, uint64(len(data)), func() {
		p.phase(label + ": uploading slivers, collecting confirmations, certifying")
	})
	return conn.Client.Store(ctx, data, opts)
}

// watchRegistration calls registered once a new uncertified Blob object of
// the given size appears among the wallet's objects: the SDK has encoded
// the blob and registered it, and is uploading. It is how the progress line
// learns the store's phase from outside the SDK (one chain query per
// redraw, on terminals only); a blob already certified never shows it.
func watchRegistration(ctx context.Context, conn *clientconfig.Conn, size uint64, registered func()) {
	addr := conn.Wallet.Address()
	before := map[chain.ObjectID]bool{}
	objs, err := conn.Chain.Owned(ctx, addr)
	if err != nil {
		return
	}
	for _, o := range objs {
		before[o.ID()] = true
	}
	t := time.NewTicker(progressInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		objs, err := conn.Chain.Owned(ctx, addr)
		if err != nil {
			continue
		}
		for _, o := range objs {
			if o.Kind == chain.KindBlob && o.Blob != nil && !before[o.ID()] && o.Blob.Size == size && !o.Blob.Certified() {
				registered()
				return
			}
		}
	}
}

func (a *app) printStoreResult(path string, res *client.StoreResult, nShards int) {
	w := a.stdout
	if nc := res.NewlyCreated; nc != nil {
		kind := "Deletable"
		if !nc.BlobObject.Deletable {
			kind = "Permanent"
		}
		enc, _ := encoding.EncodedBlobLength(nc.BlobObject.Size, nShards)
		fmt.Fprintf(w, "Success: %s blob stored successfully.\n", kind)
		fmt.Fprintf(w, "Path: %s\n", path)
		fmt.Fprintf(w, "Blob ID: %s\n", nc.BlobObject.BlobID)
		fmt.Fprintf(w, "Object ID: %s\n", nc.BlobObject.ID)
		fmt.Fprintf(w, "Unencoded size: %s\n", formatBytes(nc.BlobObject.Size))
		fmt.Fprintf(w, "Encoded size (including replicated metadata): %s\n", formatBytes(enc))
		fmt.Fprintf(w, "Cost (excluding gas): %s (%s)\n", formatWAL(nc.Cost), resourceOp(nc.ResourceOperation))
		fmt.Fprintf(w, "Expiry epoch (exclusive): %d\n", nc.BlobObject.Storage.EndEpoch)
		if nc.SharedBlobObject != "" {
			fmt.Fprintf(w, "Shared blob object ID: %s\n", nc.SharedBlobObject)
		}
		fmt.Fprintln(w, "Encoding type: RS2")
		return
	}
	if mi := res.MarkedInvalid; mi != nil {
		fmt.Fprintf(w, "Error: Blob was marked as invalid on chain; it cannot be stored.\n")
		fmt.Fprintf(w, "Path: %s\n", path)
		fmt.Fprintf(w, "Blob ID: %s\n", mi.BlobID)
		if mi.Event != nil {
			fmt.Fprintf(w, "Invalidation event: block %d, index %d\n", mi.Event.Height, mi.Event.Index)
		}
		return
	}
	ac := res.AlreadyCertified
	fmt.Fprintf(w, "Success: Blob was already available and certified within Walrus, for a sufficient number of epochs.\n")
	fmt.Fprintf(w, "Path: %s\n", path)
	fmt.Fprintf(w, "Blob ID: %s\n", ac.BlobID)
	if ac.Object != nil {
		fmt.Fprintf(w, "Object ID: %s\n", ac.Object)
	}
	fmt.Fprintf(w, "Expiry epoch (exclusive): %d\n", ac.EndEpoch)
}

func resourceOp(r client.ResourceOperation) string {
	switch {
	case r.RegisterFromScratch != nil:
		return fmt.Sprintf("storage bought for %d epoch(s)", r.RegisterFromScratch.EpochsAhead)
	case r.ReuseStorage != nil:
		return "reused owned storage"
	case r.ReuseRegistration != nil:
		return "reused an owned registration"
	}
	return "unknown"
}

func (a *app) storeDryRun(paths []string, sys *chain.System, epochs uint32) error {
	n := int(sys.NShards)
	var outs []dryRunOutput
	for _, path := range paths {
		data, err := a.readInput(path)
		if err != nil {
			return err
		}
		md, err := encoding.ComputeMetadata(data, n)
		if err != nil {
			return fmt.Errorf("encoding %s: %w", path, err)
		}
		enc, err := encoding.EncodedBlobLength(uint64(len(data)), n)
		if err != nil {
			return err
		}
		o := dryRunOutput{Path: path, BlobID: md.BlobID.String(), EncodingType: "RS2", UnencodedSize: uint64(len(data)),
			EncodedSize: enc, StorageCost: storageCost(sys, enc, epochs), Epochs: epochs}
		outs = append(outs, o)
		if !a.json {
			fmt.Fprintf(a.stdout, "Dry run: nothing stored.\nPath: %s\nBlob ID: %s\nUnencoded size: %s\n", o.Path, o.BlobID, formatBytes(o.UnencodedSize))
			fmt.Fprintf(a.stdout, "Encoded size (including replicated metadata): %s\nCost for %d epoch(s) (excluding gas): %s\n",
				formatBytes(o.EncodedSize), epochs, formatWAL(o.StorageCost))
		}
	}
	if a.json {
		return a.printJSON(outs)
	}
	return nil
}

// formatWAL renders FROST as WAL.
func formatWAL(frost uint64) string {
	whole, frac := frost/chain.FrostPerWAL, frost%chain.FrostPerWAL
	if frac == 0 {
		return fmt.Sprintf("%d WAL", whole)
	}
	return fmt.Sprintf("%d.%s WAL", whole, strings.TrimRight(fmt.Sprintf("%09d", frac), "0"))
}
