package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"github.com/walrus-go/walrus/client"
	"github.com/walrus-go/walrus/clientconfig"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/internal/cmdline"
)

// readOutput is the JSON form of `walrus read`: the blob itself (base64)
// when it was not written to --out.
type readOutput struct {
	BlobID string `json:"blobId"`
	Out    string `json:"out,omitempty"`
	Size   int64  `json:"size"`
	Blob   []byte `json:"blob,omitempty"`
}

// parseBlobID reads a blob ID argument (base64url or decimal).
func parseBlobID(s string) (encoding.BlobID, error) {
	var (
		id  encoding.BlobID
		err error
	)
	if isDecimal(s) {
		id, err = encoding.ParseBlobIDDecimal(s)
	} else {
		id, err = encoding.ParseBlobID(s)
	}
	if err != nil {
		return id, cmdline.Usage(err)
	}
	return id, nil
}

func (a *app) readCommand() *cobra.Command {
	var (
		out          string
		strict, skip bool
	)
	cmd := &cobra.Command{
		Use:   "read BLOB_ID",
		Short: "Read a blob to standard output or to --out",
		Long: "Reads a blob from the storage nodes, verifying every piece against the blob ID, and writes it\n" +
			"to --out (streamed, replaced atomically when complete) or to standard output.",
		Args: cmdline.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strict && skip {
				return cmdline.Usagef("--strict-consistency-check and --skip-consistency-check exclude each other")
			}
			id, err := parseBlobID(args[0])
			if err != nil {
				return err
			}
			opts := client.ReadOptions{Consistency: encoding.CheckDefault}
			if strict {
				opts.Consistency = encoding.CheckStrict
			} else if skip {
				opts.Consistency = encoding.CheckSkip
			}
			ctx := cmd.Context()
			conn, err := a.connect(ctx)
			if err != nil {
				return err
			}
			o := readOutput{BlobID: id.String()}
			if out == "" || out == "-" {
				if a.json {
					data, err := conn.Client.Read(ctx, id, opts)
					if err != nil {
						return readError(id, err)
					}
					o.Size, o.Blob = int64(len(data)), data
					return a.printJSON(o)
				}
				// A progress line only when the blob goes to a pipe or file
				// and stderr is a terminal (not to mix with the blob itself).
				w := a.stdout
				if isTerminal(a.stderr) && !isTerminal(a.stdout) {
					p := newProgress(a.stderr, true, "reading "+id.String(), a.blobSize(ctx, conn, id))
					defer p.finish()
					w = countingWriter{w: a.stdout, p: p}
				}
				if _, err := conn.Client.Stream(ctx, id, w, opts); err != nil {
					return readError(id, err)
				}
				return nil
			}
			o.Out = out
			if o.Size, err = a.readToFile(ctx, conn, id, out, opts); err != nil {
				return readError(id, err)
			}
			if a.json {
				return a.printJSON(o)
			}
			fmt.Fprintf(a.stdout, "Blob %s (%s) written to %s\n", id, formatBytes(uint64(o.Size)), out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&out, "out", "o", "", "file to write the blob to (default: standard output)")
	f.BoolVar(&strict, "strict-consistency-check", false, "re-encode the whole blob and check its ID")
	f.BoolVar(&skip, "skip-consistency-check", false, "skip the consistency check of the decoded blob")
	return cmd
}

// readToFile streams the blob into a temporary file next to path, renamed
// over path once complete, so that a failed read leaves no partial file.
func (a *app) readToFile(ctx context.Context, conn *clientconfig.Conn, id encoding.BlobID, path string, opts client.ReadOptions) (int64, error) {
	f, err := os.CreateTemp(dirOf(path), ".walrus-read-*")
	if err != nil {
		return 0, err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after the rename, a no-op
	var w io.Writer = f
	show := !a.json && isTerminal(a.stderr)
	if show {
		p := newProgress(a.stderr, true, "reading "+id.String(), a.blobSize(ctx, conn, id))
		defer p.finish()
		w = countingWriter{w: f, p: p}
	}
	n, err := conn.Client.Stream(ctx, id, w, opts)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return n, err
	}
	return n, os.Rename(tmp, path)
}

// blobSize is the blob's size from its objects on chain, for the progress
// line; 0 (the line then shows bytes only) when unknown.
func (a *app) blobSize(ctx context.Context, conn *clientconfig.Conn, id encoding.BlobID) int64 {
	objs, err := conn.Chain.BlobObjects(ctx, id)
	if err != nil || len(objs) == 0 || objs[0].Blob == nil {
		return 0
	}
	return int64(objs[0].Blob.Size)
}

func dirOf(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if os.IsPathSeparator(path[i]) {
			return path[:i+1]
		}
	}
	return "."
}

// readError words the SDK's read failures for a person; the sentinel stays
// wrapped for scripts using the library.
func readError(id encoding.BlobID, err error) error {
	switch {
	case errors.Is(err, client.ErrBlobNotFound):
		return fmt.Errorf("blob %s not found: it was never stored, was deleted, or is not certified yet (%w)", id, err)
	case errors.Is(err, client.ErrBlobExpired):
		return fmt.Errorf("blob %s has expired (%w)", id, err)
	case errors.Is(err, client.ErrBlobInvalid):
		return fmt.Errorf("blob %s is invalid (inconsistently encoded) (%w)", id, err)
	}
	return fmt.Errorf("reading blob %s: %w", id, err)
}
