package protocol

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/walrus-go/walrus/crypto/bls"
)

// Aggregator collects signed messages from committee members until their
// shard weight reaches the threshold of the message's intent, then builds
// the certificate. Every signature is checked on arrival against the
// member's key, and every message must be byte-identical to the expected
// one.
//
// It is safe for concurrent use; signatures are verified outside its lock,
// so callers may feed it from one goroutine per node.
type Aggregator struct {
	c         *Committee
	threshold Threshold
	message   []byte
	hashed    *bls.HashedMessage // message hashed to G2 once

	mu     sync.Mutex
	sigs   []*bls.Signature // by member index; nil if not (yet) signed
	weight int
}

// NewAggregator starts collecting signatures on message, which must carry a
// certifiable intent (see ThresholdFor) and the committee's epoch.
func NewAggregator(c *Committee, message []byte) (*Aggregator, error) {
	h, _, err := ParseHeader(message)
	if err != nil {
		return nil, err
	}
	if h.Epoch != c.epoch {
		return nil, fmt.Errorf("%w: message epoch %d, committee epoch %d", ErrWrongEpoch, h.Epoch, c.epoch)
	}
	t, err := ThresholdFor(h.Intent)
	if err != nil {
		return nil, err
	}
	return &Aggregator{
		c:         c,
		threshold: t,
		message:   bytes.Clone(message),
		hashed:    bls.HashMessage(message),
		sigs:      make([]*bls.Signature, c.Len()),
	}, nil
}

// Threshold returns the threshold being collected for.
func (a *Aggregator) Threshold() Threshold { return a.threshold }

// Add records member's signed message, returning whether the threshold is
// now reached. It fails with ErrSignerOutOfRange, ErrMessageMismatch,
// ErrDuplicateSigner or ErrBadSignature; a failed Add changes nothing.
// Signatures added after the threshold is reached are still recorded.
func (a *Aggregator) Add(member int, sm *SignedMessage) (bool, error) {
	if member < 0 || member >= len(a.sigs) {
		return false, fmt.Errorf("%w: %d of %d members", ErrSignerOutOfRange, member, len(a.sigs))
	}
	if !bytes.Equal(sm.SerializedMessage, a.message) {
		return false, fmt.Errorf("%w: from member %d", ErrMessageMismatch, member)
	}
	if a.has(member) {
		return false, fmt.Errorf("%w: member %d", ErrDuplicateSigner, member)
	}
	if err := bls.VerifyHashed(a.c.members[member].PublicKey, a.hashed, &sm.Signature); err != nil {
		return false, fmt.Errorf("%w: member %d: %w", ErrBadSignature, member, err)
	}
	sig := sm.Signature
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sigs[member] != nil {
		return false, fmt.Errorf("%w: member %d", ErrDuplicateSigner, member)
	}
	a.sigs[member] = &sig
	a.weight += a.c.weights[member]
	return a.threshold.Reached(a.weight, a.c.nShards), nil
}

// AddFrom is Add for a member given by node ID.
func (a *Aggregator) AddFrom(id NodeID, sm *SignedMessage) (bool, error) {
	i, err := a.c.Index(id)
	if err != nil {
		return false, err
	}
	return a.Add(i, sm)
}

func (a *Aggregator) has(member int) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sigs[member] != nil
}

// Weight returns the shard weight collected so far.
func (a *Aggregator) Weight() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.weight
}

// Reached reports whether the threshold is reached.
func (a *Aggregator) Reached() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.threshold.Reached(a.weight, a.c.nShards)
}

// Certificate aggregates the signatures collected so far into a certificate
// with ascending signers, or fails with ErrInsufficientWeight.
func (a *Aggregator) Certificate() (*Certificate, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.threshold.Reached(a.weight, a.c.nShards) {
		return nil, fmt.Errorf("%w: %d of %d shards, %v needs %d",
			ErrInsufficientWeight, a.weight, a.c.nShards, a.threshold, a.threshold.minWeight(a.c.nShards))
	}
	var signers []uint16
	var sigs []*bls.Signature
	for i, s := range a.sigs {
		if s != nil {
			signers = append(signers, uint16(i))
			sigs = append(sigs, s)
		}
	}
	agg, err := bls.AggregateSignatures(sigs...)
	if err != nil {
		return nil, fmt.Errorf("%w: aggregating: %w", ErrBadSignature, err)
	}
	return &Certificate{Signers: signers, SerializedMessage: bytes.Clone(a.message), Signature: *agg}, nil
}
