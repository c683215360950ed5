package daemon

import (
	"context"
	"net/http"
	"time"

	"github.com/walrus-go/walrus/chain"
)

// Status is the JSON answer of GET /status.
type Status struct {
	Publisher  bool `json:"publisher"`
	Aggregator bool `json:"aggregator"`
	// Epoch, Nodes and Shards describe the current committee; Error says
	// why they could not be read.
	Epoch  uint32 `json:"epoch"`
	Nodes  int    `json:"nodes"`
	Shards int    `json:"shards"`
	Error  string `json:"error,omitempty"`
	// Authenticated says that stores need a JWT (Config.Auth).
	Authenticated bool `json:"authenticated,omitempty"`
	// Wallet is the publisher's address.
	Wallet                string `json:"wallet,omitempty"`
	MaxBodySize           int64  `json:"maxBodySize,omitempty"`
	MaxConcurrentRequests int    `json:"maxConcurrentRequests,omitempty"`
	MaxConcurrentReads    int    `json:"maxConcurrentReads,omitempty"`
	StoresInFlight        int    `json:"storesInFlight"`
	StoresQueued          int    `json:"storesQueued"`
	ReadsInFlight         int    `json:"readsInFlight"`
	ReadsQueued           int    `json:"readsQueued"`
}

// statusTimeout bounds the chain queries of /status.
const statusTimeout = 10 * time.Second

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	st := Status{
		Publisher: s.cfg.Publisher, Aggregator: s.cfg.Aggregator,
		StoresInFlight: s.stores.inFlight(), StoresQueued: s.stores.waiting(),
		ReadsInFlight: s.reads.inFlight(), ReadsQueued: s.reads.waiting(),
	}
	if s.cfg.Publisher {
		st.MaxBodySize, st.MaxConcurrentRequests = s.cfg.MaxBodySize, s.cfg.MaxConcurrentRequests
		st.Authenticated = s.auth != nil
		if a := s.c.Address(); a != (chain.Address{}) {
			st.Wallet = a.String()
		}
	}
	if s.cfg.Aggregator {
		st.MaxConcurrentReads = s.cfg.MaxConcurrentReads
	}
	ctx, cancel := context.WithTimeout(r.Context(), statusTimeout)
	defer cancel()
	if n, err := s.c.Network(ctx); err != nil {
		st.Error = err.Error()
	} else {
		st.Epoch, st.Nodes, st.Shards = n.Epoch, n.Nodes, n.Shards
	}
	writeJSON(w, st)
}
