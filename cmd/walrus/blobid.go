package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/internal/cmdline"
)

// blobIDOutput is the JSON form of `walrus blob-id`.
type blobIDOutput struct {
	BlobID          string `json:"blobId"`
	File            string `json:"file"`
	UnencodedLength uint64 `json:"unencodedLength"`
	EncodedLength   uint64 `json:"encodedLength"`
	NShards         int    `json:"nShards"`
	SymbolSize      int    `json:"symbolSize"`
	RootHash        string `json:"rootHash"`
	EncodingType    string `json:"encodingType"`
}

func (a *app) blobIDCommand() *cobra.Command {
	var nShards int
	cmd := &cobra.Command{
		Use:   "blob-id FILE",
		Short: "Compute the blob ID of a file offline (FILE may be - for standard input)",
		Long: "Encodes the file with RedStuff for the given number of shards and prints its blob ID,\n" +
			"which is the ID the blob gets when stored on a network with that many shards.",
		Args: cmdline.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := encoding.NewParams(nShards); err != nil {
				return cmdline.Usage(err)
			}
			data, err := a.readInput(args[0])
			if err != nil {
				return err
			}
			md, err := encoding.ComputeMetadata(data, nShards)
			if err != nil {
				return err
			}
			p := md.Params()
			encoded, _ := p.EncodedLength(md.Metadata.UnencodedLength)
			root := md.Metadata.RootHash()
			out := blobIDOutput{
				BlobID:          md.BlobID.String(),
				File:            args[0],
				UnencodedLength: md.Metadata.UnencodedLength,
				EncodedLength:   encoded,
				NShards:         nShards,
				SymbolSize:      md.SymbolSize(),
				RootHash:        hex.EncodeToString(root[:]),
				EncodingType:    "RS2",
			}
			if a.json {
				return a.printJSON(out)
			}
			fmt.Fprintf(a.stdout, "Blob ID: %s\n", out.BlobID)
			fmt.Fprintf(a.stdout, "Unencoded size: %s\n", formatBytes(out.UnencodedLength))
			fmt.Fprintf(a.stdout, "Encoded size (including replicated metadata): %s\n", formatBytes(out.EncodedLength))
			fmt.Fprintf(a.stdout, "Shards: %d\n", nShards)
			return nil
		},
	}
	cmd.Flags().IntVar(&nShards, "n-shards", 1000, "number of shards of the target network")
	return cmd
}

// readInput reads a whole file, or standard input for "-".
func (a *app) readInput(path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(a.stdin)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return data, nil
}

// formatBytes renders a size the way Walrus's CLI does: exact bytes below
// 1 KiB, otherwise one decimal in the largest binary unit.
func formatBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
