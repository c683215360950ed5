package nodeapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/walrus-go/walrus/crypto/netkey"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/protocol"
)

// Errors of the client (errors from the server are *Error).
var (
	ErrResponseTooLarge = errors.New("nodeapi: response too large")
	ErrBadResponse      = errors.New("nodeapi: malformed response")
)

// Default client limits.
const (
	DefaultMaxResponseSize = 64 << 20
	DefaultMaxErrorSize    = 64 << 10
	DefaultClientTimeout   = 60 * time.Second
)

// ClientConfig configures a Client.
type ClientConfig struct {
	// BaseURL is the node's API root, e.g. "http://127.0.0.1:9185". Required.
	BaseURL string
	// HTTPClient sends the requests; nil means a client with Timeout (and,
	// with NetworkPublicKey, a transport pinned to that key).
	HTTPClient *http.Client
	// NetworkPublicKey, if set, pins the TLS key of an https BaseURL (§4.1).
	NetworkPublicKey *netkey.PublicKey
	// Timeout bounds each request when HTTPClient is nil (default 60 s).
	Timeout time.Duration
	// MaxResponseSize bounds success bodies (default 64 MiB).
	MaxResponseSize int64
}

// Validate checks the config.
func (c *ClientConfig) Validate() error {
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("nodeapi: base URL %q: want http(s)://host:port", c.BaseURL)
	}
	if c.NetworkPublicKey != nil && u.Scheme != "https" {
		return fmt.Errorf("nodeapi: base URL %q: pinning a network key needs https", c.BaseURL)
	}
	if c.MaxResponseSize < 0 || c.Timeout < 0 {
		return errors.New("nodeapi: negative limit")
	}
	return nil
}

// Client talks to one storage node.
type Client struct {
	base    string
	hc      *http.Client
	maxResp int64
}

// NewClient returns a client for one node.
func NewClient(cfg ClientConfig) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultClientTimeout
	}
	if cfg.MaxResponseSize == 0 {
		cfg.MaxResponseSize = DefaultMaxResponseSize
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: cfg.Timeout}
		if cfg.NetworkPublicKey != nil {
			hc.Transport = PinnedTransport(*cfg.NetworkPublicKey)
		}
	}
	return &Client{base: strings.TrimRight(cfg.BaseURL, "/"), hc: hc, maxResp: cfg.MaxResponseSize}, nil
}

// CloseIdleConnections closes the client's idle connections.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// do sends a request and returns the status and body of a 2xx response;
// other statuses return the server's *Error.
func (c *Client) do(ctx context.Context, method, path, query string, body []byte) (int, []byte, error) {
	return c.doHeader(ctx, method, path, query, body, nil)
}

func (c *Client) doHeader(ctx context.Context, method, path, query string, body []byte, hdr http.Header) (int, []byte, error) {
	var parts [][]byte
	if body != nil {
		parts = [][]byte{body}
	}
	return c.doParts(ctx, method, path, query, parts, hdr)
}

// doParts is doHeader with the body given as the concatenation of parts
// (nil: no body), sent without joining them.
func (c *Client) doParts(ctx context.Context, method, path, query string, parts [][]byte, hdr http.Header) (int, []byte, error) {
	u := c.base + path
	if query != "" {
		u += "?" + query
	}
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return 0, nil, fmt.Errorf("nodeapi: %s %s: %w", method, path, err)
	}
	if parts != nil {
		var n int64
		for _, p := range parts {
			n += int64(len(p))
		}
		body := func() io.ReadCloser {
			b := net.Buffers(slices.Clone(parts))
			return io.NopCloser(&b)
		}
		req.Body, req.ContentLength = body(), n
		req.GetBody = func() (io.ReadCloser, error) { return body(), nil }
		if n == 0 {
			req.Body = http.NoBody
		}
		req.Header.Set("Content-Type", ContentTypeBCS)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("nodeapi: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	limit := c.maxResp
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	if !ok {
		limit = DefaultMaxErrorSize
	}
	var b []byte
	if resp.ContentLength > limit {
		return 0, nil, fmt.Errorf("%w: %s %s: %d bytes, limit %d", ErrResponseTooLarge, method, path, resp.ContentLength, limit)
	} else if resp.ContentLength >= 0 {
		// Known length: read it into one buffer, then expect the end.
		b = make([]byte, resp.ContentLength, resp.ContentLength+1)
		if _, err = io.ReadFull(resp.Body, b); err == nil {
			var rest []byte
			rest, err = io.ReadAll(io.LimitReader(resp.Body, 1))
			b = append(b, rest...)
		}
	} else {
		b, err = io.ReadAll(io.LimitReader(resp.Body, limit+1))
	}
	if err != nil {
		return 0, nil, fmt.Errorf("nodeapi: %s %s: reading response: %w", method, path, err)
	}
	if int64(len(b)) > limit {
		return 0, nil, fmt.Errorf("%w: %s %s: more than %d bytes", ErrResponseTooLarge, method, path, limit)
	}
	if !ok {
		var e Error
		if json.Unmarshal(b, &e) != nil {
			return 0, nil, fmt.Errorf("%w: %s %s: HTTP %d: %.200q", ErrBadResponse, method, path, resp.StatusCode, b)
		}
		e.Code = resp.StatusCode
		return 0, nil, &e
	}
	return resp.StatusCode, b, nil
}

func (c *Client) getJSON(ctx context.Context, path, query string, data any) error {
	_, b, err := c.do(ctx, http.MethodGet, path, query, nil)
	if err != nil {
		return err
	}
	if err := DecodeSuccess(b, data); err != nil {
		return fmt.Errorf("%w: GET %s: %v", ErrBadResponse, path, err)
	}
	return nil
}

func putResult(code int) (PutResult, error) {
	switch r := PutResult(code); r {
	case PutStored, PutAlreadyStored, PutBuffered:
		return r, nil
	}
	return 0, fmt.Errorf("%w: unexpected HTTP %d", ErrBadResponse, code)
}

// GetMetadata fetches a blob's metadata and verifies it against the blob ID
// for a network of nShards shards.
func (c *Client) GetMetadata(ctx context.Context, id encoding.BlobID, nShards int) (*encoding.VerifiedMetadata, error) {
	_, b, err := c.do(ctx, http.MethodGet, MetadataPath(id), "", nil)
	if err != nil {
		return nil, err
	}
	got, md, err := encoding.UnmarshalMetadataWithID(b)
	if err != nil {
		return nil, fmt.Errorf("%w: metadata of %s: %v", ErrBadResponse, id, err)
	}
	if got != id {
		return nil, fmt.Errorf("%w: asked for metadata of %s, got %s", ErrBadResponse, id, got)
	}
	vm, err := md.Verify(id, nShards)
	if err != nil {
		return nil, fmt.Errorf("%w: metadata of %s: %v", ErrBadResponse, id, err)
	}
	return vm, nil
}

// PutMetadata uploads a blob's metadata.
func (c *Client) PutMetadata(ctx context.Context, md *encoding.VerifiedMetadata) (PutResult, error) {
	return c.putMetadata(ctx, md, "")
}

// PutMetadataPending uploads a blob's metadata with pending=true: a node
// that has not seen the blob's registration yet holds it until then
// (PutBuffered).
func (c *Client) PutMetadataPending(ctx context.Context, md *encoding.VerifiedMetadata) (PutResult, error) {
	return c.putMetadata(ctx, md, QueryPending+"=true")
}

func (c *Client) putMetadata(ctx context.Context, md *encoding.VerifiedMetadata, query string) (PutResult, error) {
	code, _, err := c.do(ctx, http.MethodPut, MetadataPath(md.BlobID), query, md.Metadata.MarshalBCS())
	if err != nil {
		return 0, err
	}
	return putResult(code)
}

// MetadataStatus returns whether the node stores a blob's metadata.
func (c *Client) MetadataStatus(ctx context.Context, id encoding.BlobID) (StoredStatus, error) {
	var s StoredStatus
	err := c.getJSON(ctx, MetadataStatusPath(id), "", &s)
	return s, err
}

// GetSliver fetches the sliver of type t of pair pair.
func (c *Client) GetSliver(ctx context.Context, id encoding.BlobID, pair uint16, t encoding.SliverType) (*encoding.Sliver, error) {
	_, b, err := c.do(ctx, http.MethodGet, SliverPath(id, pair, t), "", nil)
	if err != nil {
		return nil, err
	}
	s, err := encoding.UnmarshalSliverShared(t, b) // b is fresh: no copy
	if err != nil {
		return nil, fmt.Errorf("%w: sliver %d/%s of %s: %v", ErrBadResponse, pair, t, id, err)
	}
	return s, nil
}

// PutSliver uploads the sliver s of pair pair.
func (c *Client) PutSliver(ctx context.Context, id encoding.BlobID, pair uint16, s *encoding.Sliver) (PutResult, error) {
	return c.putSliver(ctx, id, pair, s, "")
}

// PutSliverPending uploads a sliver with pending=true (see
// PutMetadataPending).
func (c *Client) PutSliverPending(ctx context.Context, id encoding.BlobID, pair uint16, s *encoding.Sliver) (PutResult, error) {
	return c.putSliver(ctx, id, pair, s, QueryPending+"=true")
}

func (c *Client) putSliver(ctx context.Context, id encoding.BlobID, pair uint16, s *encoding.Sliver, query string) (PutResult, error) {
	head, tail := encoding.MarshalSliverParts(s)
	code, _, err := c.doParts(ctx, http.MethodPut, SliverPath(id, pair, s.Type), query, [][]byte{head, s.Data, tail}, nil)
	if err != nil {
		return 0, err
	}
	return putResult(code)
}

// SliverStatus returns whether the node stores a sliver.
func (c *Client) SliverStatus(ctx context.Context, id encoding.BlobID, pair uint16, t encoding.SliverType) (StoredStatus, error) {
	var s StoredStatus
	err := c.getJSON(ctx, SliverStatusPath(id, pair, t), "", &s)
	return s, err
}

func (c *Client) confirmation(ctx context.Context, path string) (*protocol.SignedMessage, error) {
	var conf Confirmation
	if err := c.getJSON(ctx, path, "", &conf); err != nil {
		return nil, err
	}
	if conf.Signed == nil {
		return nil, fmt.Errorf("%w: confirmation without signed message", ErrBadResponse)
	}
	return conf.Signed, nil
}

// PermanentConfirmation asks for the node's signed storage confirmation of a
// permanent blob. The caller checks the message and signature (an
// Aggregator does).
func (c *Client) PermanentConfirmation(ctx context.Context, id encoding.BlobID) (*protocol.SignedMessage, error) {
	return c.confirmation(ctx, PermanentConfirmationPath(id))
}

// DeletableConfirmation asks for the confirmation of the deletable Blob
// object obj.
func (c *Client) DeletableConfirmation(ctx context.Context, id encoding.BlobID, obj [32]byte) (*protocol.SignedMessage, error) {
	return c.confirmation(ctx, DeletableConfirmationPath(id, obj))
}

// RecoverySymbols fetches recovery symbols. The caller verifies each against
// the metadata (encoding.VerifyRecoverySymbol or Expander.RecoverSliver).
func (c *Client) RecoverySymbols(ctx context.Context, id encoding.BlobID, q *RecoveryQuery) ([]encoding.GeneralRecoverySymbol, error) {
	_, b, err := c.do(ctx, http.MethodGet, RecoverySymbolsPath(id), q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	syms, err := encoding.UnmarshalGeneralRecoverySymbols(b)
	if err != nil {
		return nil, fmt.Errorf("%w: recovery symbols of %s: %v", ErrBadResponse, id, err)
	}
	return syms, nil
}

// InconsistencyProof posts an inconsistency proof and returns the node's
// signed invalid-blob attestation.
func (c *Client) InconsistencyProof(ctx context.Context, id encoding.BlobID, p *encoding.InconsistencyProof) (*protocol.SignedMessage, error) {
	_, b, err := c.do(ctx, http.MethodPost, InconsistencyProofPath(id, p.TargetType), "", encoding.MarshalInconsistencyProof(p))
	if err != nil {
		return nil, err
	}
	var sm protocol.SignedMessage
	if err := DecodeSuccess(b, &sm); err != nil {
		return nil, fmt.Errorf("%w: attestation: %v", ErrBadResponse, err)
	}
	return &sm, nil
}

// BlobStatus returns the node's view of a blob.
func (c *Client) BlobStatus(ctx context.Context, id encoding.BlobID) (BlobStatus, error) {
	var s BlobStatus
	err := c.getJSON(ctx, BlobStatusPath(id), "", &s)
	return s, err
}

// Health returns the node's health; detailed adds the per-shard detail.
func (c *Client) Health(ctx context.Context, detailed bool) (*ServiceHealthInfo, error) {
	var h ServiceHealthInfo
	q := ""
	if detailed {
		q = QueryDetailed + "=true"
	}
	if err := c.getJSON(ctx, HealthPath, q, &h); err != nil {
		return nil, err
	}
	return &h, nil
}
