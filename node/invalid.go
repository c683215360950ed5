package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/crypto/bls"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/nodeapi"
	"github.com/walrus-go/walrus/protocol"
)

// Invalid blobs (§3.2): when sliver recovery (blob sync or shard recovery)
// decodes, from correctly proven symbols, a sliver that does not match the
// metadata, the blob was encoded inconsistently and RecoverSliver returns
// the inconsistency proof. The node then runs one invalid-blob flow per
// blob: it checks the proof itself, signs its own invalid-blob attestation,
// posts the proof to the other committee members (their inconsistencyProof
// route) and aggregates their attestations until the validity threshold
// (f+1 shards, 3w ≥ n+1) is reached, then submits MsgInvalidateBlob with the
// certificate, signed with its operator key. The chain emits InvalidBlobID;
// the follower then deletes the blob's data everywhere and status answers
// invalid.
//
// Members that are down or refuse are skipped and asked again at the next
// attempt; attempts back off from RetryInterval up to maxSyncBackoff, at
// most maxInvalidationAttempts times (a restart scan finds the blob again).
// The flow stops as soon as the blob is known to be invalid (the follower
// applied InvalidBlobID, or the chain reports it) and the InvalidBlobID
// event cancels a running flow.

const (
	// maxInvalidationAttempts bounds the attempts of one flow.
	maxInvalidationAttempts = 12
	// maxConcurrentAttestations bounds the proofs posted at once.
	maxConcurrentAttestations = 8
)

// errBlobInvalidated cancels a flow whose blob the chain marked invalid.
var errBlobInvalidated = errors.New("node: blob marked invalid on chain")

// invalidation is a running invalid-blob flow.
type invalidation struct {
	cancel context.CancelCauseFunc
}

// invalidChecker is implemented by chain clients that can say whether a
// blob ID is marked invalid on chain (*client.Client does); the flow uses it
// when available to stop before submitting a certificate that is no longer
// needed.
type invalidChecker interface {
	Invalid(ctx context.Context, id chain.BlobID) (bool, error)
}

// reportInconsistency starts the invalid-blob flow for md's blob with the
// given proof unless one is already running for that blob.
func (n *Node) reportInconsistency(md *encoding.VerifiedMetadata, proof *encoding.InconsistencyProof) {
	id := md.BlobID
	parent := n.runCtx
	if parent == nil || parent.Err() != nil {
		return
	}
	n.invalidMu.Lock()
	if _, ok := n.invalidating[id]; ok {
		n.invalidMu.Unlock()
		return
	}
	ctx, cancel := context.WithCancelCause(parent)
	inv := &invalidation{cancel: cancel}
	n.invalidating[id] = inv
	n.invalidMu.Unlock()
	n.metrics.invalidations.WithLabelValues("started").Inc()
	n.log.Warn("blob is inconsistently encoded: starting the invalid-blob flow", "blob", id,
		"target", proof.TargetType, "index", proof.TargetIndex)
	n.jobs.Go(func() {
		defer func() {
			n.invalidMu.Lock()
			if n.invalidating[id] == inv {
				delete(n.invalidating, id)
			}
			n.invalidMu.Unlock()
			cancel(nil)
		}()
		result := n.invalidateBlob(ctx, parent, md, proof)
		n.metrics.invalidations.WithLabelValues(result).Inc()
	})
}

// stopInvalidation cancels the flow of blob id, if any (the chain marked it
// invalid).
func (n *Node) stopInvalidation(id encoding.BlobID) {
	n.invalidMu.Lock()
	defer n.invalidMu.Unlock()
	if inv, ok := n.invalidating[id]; ok {
		inv.cancel(errBlobInvalidated)
		delete(n.invalidating, id)
	}
}

// invalidationRunning reports whether a flow for id is running.
func (n *Node) invalidationRunning(id encoding.BlobID) bool {
	n.invalidMu.Lock()
	defer n.invalidMu.Unlock()
	_, ok := n.invalidating[id]
	return ok
}

// blobInvalid reports whether the node's blob info, or the chain when it
// can tell, marks id invalid.
func (n *Node) blobInvalid(ctx context.Context, id encoding.BlobID, askChain bool) bool {
	if in, err := n.store.BlobInfo(id); err == nil && in.Invalid {
		return true
	}
	if ic, ok := n.cfg.Chain.(invalidChecker); ok && askChain {
		if inv, err := ic.Invalid(ctx, id); err == nil && inv {
			return true
		}
	}
	return false
}

// attestationRound is the state of a flow for one committee epoch.
type attestationRound struct {
	epoch   uint32
	members []chain.Member
	com     *protocol.Committee
	agg     *protocol.Aggregator
	signed  []atomic.Bool // by member index
}

// invalidateBlob runs the flow until the certificate is on chain, the blob
// is invalid anyway, the attempts are exhausted or ctx ends. It returns the
// outcome (the metric label). The certificate is sent under sendCtx (the
// node's), so that the InvalidBlobID event it causes, which cancels ctx,
// does not interrupt the wait for its own inclusion.
func (n *Node) invalidateBlob(ctx, sendCtx context.Context, md *encoding.VerifiedMetadata, proof *encoding.InconsistencyProof) string {
	id := md.BlobID
	x, put, err := n.expander(md.Params().N)
	if err != nil {
		n.log.Error("invalid-blob flow", "blob", id, "err", err)
		return "failed"
	}
	err = x.VerifyInconsistencyProof(md, proof)
	put()
	if err != nil {
		n.log.Error("invalid-blob flow: the node's own inconsistency proof does not verify", "blob", id, "err", err)
		return "bad_proof"
	}
	if n.cfg.Operator == nil {
		n.log.Warn("invalid-blob flow: no operator key to submit the certificate with", "blob", id)
		return "no_operator"
	}
	var round *attestationRound
	backoff := n.cfg.RetryInterval
	for attempt := 1; ; attempt++ {
		if n.blobInvalid(ctx, id, attempt > 1) {
			return "already_invalid"
		}
		done, err := n.invalidationAttempt(ctx, sendCtx, md, proof, &round)
		if done {
			return "submitted"
		}
		if ctx.Err() != nil {
			if errors.Is(context.Cause(ctx), errBlobInvalidated) {
				return "already_invalid"
			}
			return "canceled"
		}
		if attempt >= maxInvalidationAttempts {
			n.log.Error("invalid-blob flow: giving up", "blob", id, "attempts", attempt, "err", err)
			return "gave_up"
		}
		n.log.Warn("invalid-blob flow", "blob", id, "attempt", attempt, "err", err)
		if !n.sleep(ctx, backoff) {
			if errors.Is(context.Cause(ctx), errBlobInvalidated) {
				return "already_invalid"
			}
			return "canceled"
		}
		backoff = min(2*backoff, maxSyncBackoff)
	}
}

// invalidationAttempt collects attestations for the current committee
// (keeping those of earlier attempts in the same epoch) and, once they
// reach the validity threshold, submits the certificate. done reports that
// it was included.
func (n *Node) invalidationAttempt(ctx, sendCtx context.Context, md *encoding.VerifiedMetadata, proof *encoding.InconsistencyProof, roundp **attestationRound) (done bool, err error) {
	id := md.BlobID
	c, err := n.cfg.Chain.Committee(ctx, chain.CommitteeCurrent)
	if err != nil {
		return false, fmt.Errorf("reading the committee: %w", err)
	}
	round := *roundp
	if round == nil || round.epoch != c.Epoch {
		if round, err = n.newAttestationRound(c, id); err != nil {
			return false, err
		}
		*roundp = round
	}
	if !round.agg.Reached() {
		cerr := n.collectAttestations(ctx, round, id, proof)
		if !round.agg.Reached() {
			return false, fmt.Errorf("attestations from %d of %d shards, below the %v threshold (last failure: %v)",
				round.agg.Weight(), round.com.NShards(), round.agg.Threshold(), cerr)
		}
	}
	cert, err := round.agg.Certificate()
	if err != nil {
		return false, err
	}
	oc, err := cert.OnChain(round.com.Len())
	if err != nil {
		return false, err
	}
	if n.blobInvalid(ctx, id, true) {
		return true, nil // someone else was faster
	}
	if _, err := n.cfg.Chain.Send(sendCtx, n.cfg.Operator, &chain.MsgInvalidateBlob{Cert: *oc}); err != nil {
		return false, fmt.Errorf("submitting the invalid-blob certificate: %w", err)
	}
	n.log.Info("invalid-blob certificate submitted", "blob", id, "epoch", round.epoch, "signers", len(cert.Signers),
		"shards", round.agg.Weight())
	return true, nil
}

// newAttestationRound starts collecting for committee c, with the node's
// own attestation when it is a member.
func (n *Node) newAttestationRound(c *chain.Committee, id encoding.BlobID) (*attestationRound, error) {
	pc, err := chain.ProtocolCommittee(c)
	if err != nil {
		return nil, err
	}
	msg := (&protocol.InvalidBlobID{Epoch: c.Epoch, BlobID: id}).Marshal()
	agg, err := protocol.NewAggregator(pc, msg)
	if err != nil {
		return nil, err
	}
	r := &attestationRound{epoch: c.Epoch, members: c.Members, com: pc, agg: agg, signed: make([]atomic.Bool, len(c.Members))}
	own := n.pk.Bytes()
	for i, m := range c.Members {
		if m.PublicKey != own {
			continue
		}
		if _, err := agg.Add(i, protocol.Sign(n.cfg.ProtocolKey, msg)); err != nil {
			return nil, fmt.Errorf("own attestation: %w", err)
		}
		r.signed[i].Store(true)
	}
	return r, nil
}

// collectAttestations posts the proof to the members that have not signed
// yet (at most maxConcurrentAttestations at once) until the threshold is
// reached. Members that fail are left for the next attempt.
func (n *Node) collectAttestations(ctx context.Context, r *attestationRound, id encoding.BlobID, proof *encoding.InconsistencyProof) error {
	v, err := n.currentView()
	if err != nil {
		return err
	}
	peers, err := n.peers(ctx, v)
	if err != nil {
		return fmt.Errorf("listing peers: %w", err)
	}
	byKey := make(map[[bls.PublicKeySize]byte]*nodeapi.Client, len(peers))
	for _, p := range peers {
		byKey[p.pk] = p.api
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, maxConcurrentAttestations)
	var (
		wg      sync.WaitGroup
		errMu   sync.Mutex
		lastErr error
	)
	fail := func(err error) {
		errMu.Lock()
		lastErr = err
		errMu.Unlock()
	}
asking:
	for i, m := range r.members {
		if r.signed[i].Load() || len(m.Shards) == 0 {
			continue
		}
		api := byKey[m.PublicKey]
		if api == nil {
			fail(fmt.Errorf("no address for member %s", m.NodeID))
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-cctx.Done():
			break asking
		}
		wg.Go(func() {
			defer func() { <-sem }()
			sm, err := api.InconsistencyProof(cctx, id, proof)
			if err != nil {
				if cctx.Err() == nil {
					n.log.Debug("invalid-blob attestation", "blob", id, "member", m.NodeID, "err", err)
					fail(fmt.Errorf("member %s: %w", m.NodeID, err))
				}
				return
			}
			reached, err := r.agg.Add(i, sm)
			if err != nil {
				n.log.Warn("invalid-blob attestation rejected", "blob", id, "member", m.NodeID, "err", err)
				fail(fmt.Errorf("member %s: %w", m.NodeID, err))
				return
			}
			r.signed[i].Store(true)
			if reached {
				cancel()
			}
		})
	}
	wg.Wait()
	if r.agg.Reached() {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return lastErr
}
