package protocol

import (
	"errors"
	"fmt"

	"github.com/walrus-go/walrus/crypto/bls"
)

// VerifyCertificate checks a certificate over a message of the given intent
// against the committee, with the threshold ThresholdFor(intent).
func (c *Committee) VerifyCertificate(cert *Certificate, intent Intent) error {
	t, err := ThresholdFor(intent)
	if err != nil {
		return err
	}
	return c.VerifyCertificateThreshold(cert, intent, t)
}

// VerifyCertificateThreshold checks, in order of cost: the message header
// (known intent version and app ID, the expected intent, the committee's
// epoch), the signers (non-empty, strictly ascending, in range), their
// shard weight against t, and finally the aggregate signature with a single
// pairing check against the committee's aggregate key minus the
// non-signers' keys (or the signers' keys summed, if fewer).
func (c *Committee) VerifyCertificateThreshold(cert *Certificate, intent Intent, t Threshold) error {
	if t != Quorum && t != Validity {
		return fmt.Errorf("%w: %v", ErrInvalidThreshold, t)
	}
	h, _, err := ParseHeader(cert.SerializedMessage)
	if err != nil {
		return err
	}
	if h.Intent != intent {
		return fmt.Errorf("%w: %v, want %v", ErrWrongIntent, h.Intent, intent)
	}
	if h.Epoch != c.epoch {
		return fmt.Errorf("%w: message epoch %d, committee epoch %d", ErrWrongEpoch, h.Epoch, c.epoch)
	}
	if err := checkSigners(cert.Signers, len(c.members)); err != nil {
		return err
	}
	w := 0
	for _, s := range cert.Signers {
		w += c.weights[s]
	}
	if !t.Reached(w, c.nShards) {
		return fmt.Errorf("%w: %d of %d shards, %v needs %d", ErrInsufficientWeight, w, c.nShards, t, t.minWeight(c.nShards))
	}
	key := c.signersKey(cert.Signers)
	if err := key.Verify(cert.SerializedMessage, &cert.Signature); err != nil {
		if errors.Is(err, bls.ErrBadSignature) || errors.Is(err, bls.ErrIdentityKey) {
			return fmt.Errorf("%w: certificate: %w", ErrBadSignature, err)
		}
		return err
	}
	return nil
}

// minWeight returns the least weight that reaches t out of n.
func (t Threshold) minWeight(n int) int {
	switch t {
	case Quorum:
		return (2*n + 1 + 2) / 3
	case Validity:
		return (n + 1 + 2) / 3
	}
	return 0
}

// signersKey returns the sum of the keys of signers (ascending, in range).
// With more signers than non-signers it subtracts the non-signers from the
// precomputed total, in Jacobian coordinates.
func (c *Committee) signersKey(signers []uint16) *bls.AggregateKey {
	if 2*len(signers) <= len(c.members) {
		var k bls.AggregateKey
		for _, s := range signers {
			_ = k.Add(c.members[s].PublicKey) // keys were validated by NewCommittee
		}
		return &k
	}
	k := c.total.Clone()
	next := 0
	for i := range c.members {
		if next < len(signers) && int(signers[next]) == i {
			next++
			continue
		}
		_ = k.Sub(c.members[i].PublicKey)
	}
	return k
}
