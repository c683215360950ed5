package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/internal/cmdline"
)

// convertOutput is the JSON form of `walrus convert-blob-id`.
type convertOutput struct {
	BlobID  string `json:"blobId"`
	Decimal string `json:"decimal"`
}

func (a *app) convertBlobIDCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "convert-blob-id BLOB_ID",
		Short: "Convert a blob ID between its decimal (on-chain u256) and base64url forms",
		Long: "Given the decimal form that explorers show for a blob's on-chain u256, prints the\n" +
			"URL-safe base64 blob ID; given a base64url blob ID, prints the decimal form.",
		Args: cmdline.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := args[0]
			var (
				id  encoding.BlobID
				err error
			)
			toDecimal := false
			if isDecimal(in) {
				id, err = encoding.ParseBlobIDDecimal(in)
			} else {
				id, err = encoding.ParseBlobID(in)
				toDecimal = true
			}
			if err != nil {
				return cmdline.Usage(err)
			}
			out := convertOutput{BlobID: id.String(), Decimal: id.Decimal()}
			if a.json {
				return a.printJSON(out)
			}
			if toDecimal {
				fmt.Fprintln(a.stdout, out.Decimal)
			} else {
				fmt.Fprintln(a.stdout, out.BlobID)
			}
			return nil
		},
	}
}

// isDecimal reports whether s is non-empty and all ASCII digits. A base64url
// blob ID is exactly 43 characters, while the decimal form of a u256 has up
// to 78 digits; a 43-digit string is therefore ambiguous, and is read as
// decimal (as Walrus's CLI does).
func isDecimal(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
