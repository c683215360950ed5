package chain

import (
	"fmt"
	"sync"

	"github.com/walrus-go/walrus/crypto/bls"
)

// BLS is the BLSVerifier over the crypto/bls package. It caches parsed
// public keys (parsing checks the subgroup, which costs more than adding
// points), so one value should be shared by every block.
type BLS struct {
	mu   sync.Mutex
	keys map[[BLSPublicKeySize]byte]*bls.PublicKey
}

// NewBLS returns a BLS verifier with an empty key cache.
func NewBLS() *BLS { return &BLS{keys: make(map[[BLSPublicKeySize]byte]*bls.PublicKey)} }

// maxCachedKeys bounds the key cache; it is cleared when full.
const maxCachedKeys = 4096

func (v *BLS) key(b []byte) (*bls.PublicKey, error) {
	if len(b) != BLSPublicKeySize {
		return nil, fmt.Errorf("public key of %d bytes", len(b))
	}
	k := [BLSPublicKeySize]byte(b)
	v.mu.Lock()
	pk, ok := v.keys[k]
	v.mu.Unlock()
	if ok {
		return pk, nil
	}
	pk, err := bls.ParsePublicKey(b)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	if len(v.keys) >= maxCachedKeys {
		clear(v.keys)
	}
	v.keys[k] = pk
	v.mu.Unlock()
	return pk, nil
}

// Verify implements BLSVerifier.
func (v *BLS) Verify(pk, msg, sig []byte) error {
	k, err := v.key(pk)
	if err != nil {
		return err
	}
	s, err := bls.ParseSignature(sig)
	if err != nil {
		return err
	}
	return bls.Verify(k, msg, s)
}

// VerifyAggregate implements BLSVerifier.
func (v *BLS) VerifyAggregate(pks [][]byte, msg, sig []byte) error {
	keys := make([]*bls.PublicKey, len(pks))
	for i, b := range pks {
		k, err := v.key(b)
		if err != nil {
			return err
		}
		keys[i] = k
	}
	s, err := bls.ParseSignature(sig)
	if err != nil {
		return err
	}
	return bls.FastAggregateVerify(keys, msg, s)
}
