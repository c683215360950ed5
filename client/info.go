package client

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/nodeapi"
)

// NodeHealth is one storage node's health answer.
type NodeHealth struct {
	NodeID chain.ObjectID // zero for a URL that no registered node has
	Name   string         // "name (address)", or the URL asked
	URL    string         // the node's REST API
	Shards int            // shards held in the current committee
	// Verified is false for a URL that no registered node has: its TLS key
	// could not be pinned, so the answer is not authenticated.
	Verified bool
	Health   *nodeapi.ServiceHealthInfo // nil when Err is set
	Err      error
}

// HealthQuery names the nodes Health asks (reference §7.4 `health`): the
// union of the current committee, the active set (every registered storage
// node), nodes by ID and nodes by URL.
type HealthQuery struct {
	Committee bool
	ActiveSet bool
	NodeIDs   []chain.ObjectID
	URLs      []string
	Detailed  bool
	// Concurrency bounds the requests in flight (DefaultHealthConcurrency
	// if 0).
	Concurrency int
}

// DefaultHealthConcurrency is Walrus's default for health requests.
const DefaultHealthConcurrency = 60

// Health asks the storage nodes that q names for their health, each once:
// the committee's members in committee order, then the other registered
// nodes, then URLs that no registered node has. A node ID that is not
// registered, and a node that does not answer, get an entry with Err.
func (c *Client) Health(ctx context.Context, q HealthQuery) ([]NodeHealth, error) {
	v, _, err := c.committee(ctx)
	if err != nil {
		return nil, err
	}
	pools, err := c.chain.Pools(ctx)
	if err != nil {
		return nil, fmt.Errorf("client: pools: %w", err)
	}
	byID := make(map[chain.ObjectID]*chain.Pool, len(pools))
	byAddr := make(map[string]*chain.Pool, len(pools))
	for _, p := range pools {
		byID[p.NodeID], byAddr[p.NetworkAddress] = p, p
	}
	shards := map[chain.ObjectID]int{}
	for m := range v.com.Len() {
		shards[chain.ObjectID(v.com.Member(m).NodeID)] = v.com.Weight(m)
	}
	var out []NodeHealth
	seen := map[chain.ObjectID]bool{}
	add := func(id chain.ObjectID) {
		if seen[id] {
			return
		}
		seen[id] = true
		h := NodeHealth{NodeID: id, Shards: shards[id], Verified: true}
		if p := byID[id]; p != nil {
			h.Name, h.URL = p.Name+" ("+p.NetworkAddress+")", c.nodeURL(p.NetworkAddress)
		} else {
			h.Name, h.Err = id.String(), fmt.Errorf("no storage node with ID %s is registered", id)
		}
		out = append(out, h)
	}
	if q.Committee {
		for m := range v.com.Len() {
			add(chain.ObjectID(v.com.Member(m).NodeID))
		}
	}
	if q.ActiveSet {
		for _, p := range pools {
			add(p.NodeID)
		}
	}
	for _, id := range q.NodeIDs {
		add(id)
	}
	for _, u := range q.URLs {
		addr, err := nodeAddress(u)
		if err != nil {
			out = append(out, NodeHealth{Name: u, URL: u, Err: err})
		} else if p := byAddr[addr]; p != nil {
			add(p.NodeID)
		} else {
			out = append(out, NodeHealth{Name: u, URL: c.nodeURL(addr)})
		}
	}
	conc := q.Concurrency
	if conc <= 0 {
		conc = DefaultHealthConcurrency
	}
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for i := range out {
		h := &out[i]
		if h.Err != nil {
			continue
		}
		var api *nodeapi.Client
		if p := byID[h.NodeID]; h.Verified && p != nil {
			api, err = c.nodeClient(p)
		} else {
			api, err = c.unverifiedNodeClient(h.URL)
		}
		if err != nil {
			h.Err = err
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			h.Health, h.Err = api.Health(ctx, q.Detailed)
		})
	}
	wg.Wait()
	return out, nil
}

// nodeAddress returns host:port of a node URL ("https://host:port",
// "host:port").
func nodeAddress(u string) (string, error) {
	if !strings.Contains(u, "://") {
		u = "https://" + u
	}
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || p.Port() == "" || (p.Path != "" && p.Path != "/") {
		return "", fmt.Errorf("%w: node URL %q: want https://host:port", ErrConfig, u)
	}
	return p.Host, nil
}

// ListBlobs returns the Blob objects owned by the wallet (reference §7.3
// `list-blobs`); expired ones only with includeExpired.
func (c *Client) ListBlobs(ctx context.Context, includeExpired bool) ([]BlobObject, error) {
	if c.cfg.Wallet == nil {
		return nil, ErrNoWallet
	}
	sys, err := c.chain.System(ctx)
	if err != nil {
		return nil, fmt.Errorf("client: system: %w", err)
	}
	objs, err := c.chain.Owned(ctx, c.Address())
	if err != nil {
		return nil, fmt.Errorf("client: owned objects: %w", err)
	}
	var out []BlobObject
	for _, o := range objs {
		if o.Kind != chain.KindBlob || o.Blob == nil {
			continue
		}
		if !includeExpired && o.Blob.Storage.End <= sys.Epoch {
			continue
		}
		out = append(out, blobObjectOf(o.Blob))
	}
	return out, nil
}
