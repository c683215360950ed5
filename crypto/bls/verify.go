package bls

import (
	bls12381 "github.com/consensys/gnark-crypto/ecc/bls12-381"
)

// Verify checks sig on msg under pk, returning ErrBadSignature (or
// ErrInvalidPublicKey / ErrInvalidSignature for zero values) on failure.
func Verify(pk *PublicKey, msg []byte, sig *Signature) error {
	return VerifyHashed(pk, HashMessage(msg), sig)
}

// VerifyHashed is Verify for a message hashed once with HashMessage.
func VerifyHashed(pk *PublicKey, h *HashedMessage, sig *Signature) error {
	if !pk.valid() {
		return ErrInvalidPublicKey
	}
	return verifyPoint(&pk.p, h, sig)
}

// verifyPoint checks e(p, H(m)) == e(g1, sig) as one pairing product.
func verifyPoint(p *bls12381.G1Affine, h *HashedMessage, sig *Signature) error {
	if !sig.valid() {
		return ErrInvalidSignature
	}
	ok, err := bls12381.PairingCheck(
		[]bls12381.G1Affine{*p, negG1},
		[]bls12381.G2Affine{h.p, sig.p},
	)
	if err != nil || !ok {
		return ErrBadSignature
	}
	return nil
}

// AggregateSignatures returns the sum of the signatures. The result is
// rejected (ErrInvalidSignature) in the negligible case that it is the
// identity, which no signature parses to.
func AggregateSignatures(sigs ...*Signature) (*Signature, error) {
	if len(sigs) == 0 {
		return nil, ErrEmpty
	}
	var acc bls12381.G2Jac
	for _, s := range sigs {
		if !s.valid() {
			return nil, ErrInvalidSignature
		}
		acc.AddMixed(&s.p)
	}
	var p bls12381.G2Affine
	p.FromJacobian(&acc)
	if p.IsInfinity() {
		return nil, ErrInvalidSignature
	}
	return newSignature(&p), nil
}

// AggregateKey is a running sum of public keys in Jacobian coordinates, so
// that adding and subtracting keys costs no field inversion. The zero value
// is the empty sum. It is not safe for concurrent mutation; Verify does not
// mutate it.
type AggregateKey struct {
	j bls12381.G1Jac
}

// AggregatePublicKeys returns the sum of the keys.
func AggregatePublicKeys(pks ...*PublicKey) (*AggregateKey, error) {
	if len(pks) == 0 {
		return nil, ErrEmpty
	}
	var a AggregateKey
	for _, pk := range pks {
		if err := a.Add(pk); err != nil {
			return nil, err
		}
	}
	return &a, nil
}

// Add adds pk to the sum.
func (a *AggregateKey) Add(pk *PublicKey) error {
	if !pk.valid() {
		return ErrInvalidPublicKey
	}
	a.j.AddMixed(&pk.p)
	return nil
}

// Sub subtracts pk from the sum.
func (a *AggregateKey) Sub(pk *PublicKey) error {
	if !pk.valid() {
		return ErrInvalidPublicKey
	}
	var n bls12381.G1Affine
	n.Neg(&pk.p)
	a.j.AddMixed(&n)
	return nil
}

// AddAggregate adds another sum to this one.
func (a *AggregateKey) AddAggregate(o *AggregateKey) { a.j.AddAssign(&o.j) }

// Clone returns a copy of the sum.
func (a *AggregateKey) Clone() *AggregateKey {
	c := *a
	return &c
}

// PublicKey returns the sum as a public key; ErrIdentityKey if it is the
// identity (for example the empty sum).
func (a *AggregateKey) PublicKey() (*PublicKey, error) {
	var p bls12381.G1Affine
	p.FromJacobian(&a.j)
	if p.IsInfinity() {
		return nil, ErrIdentityKey
	}
	return newPublicKey(&p), nil
}

// Verify checks a signature on msg under the sum of the keys. A sum that is
// the identity is rejected with ErrIdentityKey.
func (a *AggregateKey) Verify(msg []byte, sig *Signature) error {
	return a.VerifyHashed(HashMessage(msg), sig)
}

// VerifyHashed is Verify for a message hashed once with HashMessage.
func (a *AggregateKey) VerifyHashed(h *HashedMessage, sig *Signature) error {
	var p bls12381.G1Affine
	p.FromJacobian(&a.j)
	if p.IsInfinity() {
		return ErrIdentityKey
	}
	return verifyPoint(&p, h, sig)
}

// FastAggregateVerify checks an aggregate signature by all of pks on the same
// msg (the IETF FastAggregateVerify). The keys must have passed a proof of
// possession.
func FastAggregateVerify(pks []*PublicKey, msg []byte, sig *Signature) error {
	a, err := AggregatePublicKeys(pks...)
	if err != nil {
		return err
	}
	return a.Verify(msg, sig)
}
