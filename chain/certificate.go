package chain

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/walrus-go/walrus/crypto/bls"
	"github.com/walrus-go/walrus/protocol"
	"golang.org/x/crypto/blake2b"
)

// ProtocolCommittee returns the protocol committee of a chain committee:
// the same members in the same (node-ID) order, so that a member's index in
// Members is its signer index in certificates. Only what verification needs
// is filled: node IDs, BLS keys and shards; network addresses and keys live
// in the pools.
func ProtocolCommittee(c *Committee) (*protocol.Committee, error) {
	members := make([]protocol.Member, len(c.Members))
	for i, m := range c.Members {
		pk, err := bls.ParsePublicKey(m.PublicKey[:])
		if err != nil {
			return nil, fmt.Errorf("committee of epoch %d, node %s: %w", c.Epoch, m.NodeID, err)
		}
		members[i] = protocol.Member{NodeID: protocol.NodeID(m.NodeID), PublicKey: pk, Shards: m.Shards}
	}
	pc, err := protocol.NewCommittee(c.Epoch, int(c.NShards), members)
	if err != nil {
		return nil, fmt.Errorf("committee of epoch %d: %w", c.Epoch, err)
	}
	return pc, nil
}

// committeeCache keeps the protocol committees of the last few epochs, so
// that each epoch's keys are parsed (with their subgroup checks) and summed
// once, and with each the certificates it verified, so that a certificate
// checked in CheckTx (and rechecked after every block) costs its pairing
// check once. An entry is keyed by epoch and used only if the committee's
// stored encoding is byte-identical, and a certificate is remembered only
// after it verified, by a hash of all its bytes; verification is a pure
// function of the committee and the certificate, so the cache never changes
// an outcome: the machine stays a pure function of the store.
type committeeCache struct {
	mu      sync.Mutex
	max     int
	entries []*cachedCommittee // most recent last
}

type cachedCommittee struct {
	epoch    uint32
	raw      []byte
	c        *protocol.Committee
	verified map[[32]byte]struct{} // guarded by committeeCache.mu
}

// maxVerified bounds the certificates remembered per committee; the set is
// cleared when full.
const maxVerified = 1 << 16

func (cc *committeeCache) get(epoch uint32, raw []byte) *cachedCommittee {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	for _, e := range cc.entries {
		if e.epoch == epoch && bytes.Equal(e.raw, raw) {
			return e
		}
	}
	return nil
}

func (cc *committeeCache) put(epoch uint32, raw []byte, c *protocol.Committee) *cachedCommittee {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if len(cc.entries) >= cc.max {
		cc.entries = append(cc.entries[:0], cc.entries[1:]...)
	}
	e := &cachedCommittee{epoch: epoch, raw: bytes.Clone(raw), c: c, verified: make(map[[32]byte]struct{})}
	cc.entries = append(cc.entries, e)
	return e
}

func (cc *committeeCache) isVerified(e *cachedCommittee, k [32]byte) bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	_, ok := e.verified[k]
	return ok
}

func (cc *committeeCache) addVerified(e *cachedCommittee, k [32]byte) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if len(e.verified) >= maxVerified {
		clear(e.verified)
	}
	e.verified[k] = struct{}{}
}

// certificateKey hashes every byte of an on-chain certificate.
func certificateKey(oc *Certificate) [32]byte {
	h, _ := blake2b.New256(nil)
	var n [8]byte
	binary.LittleEndian.PutUint32(n[:4], uint32(len(oc.SignersBitmap)))
	binary.LittleEndian.PutUint32(n[4:], uint32(len(oc.Message)))
	h.Write(n[:])
	h.Write(oc.SignersBitmap)
	h.Write(oc.Message)
	h.Write(oc.Signature[:])
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// currentCommittee returns the protocol committee of the current epoch.
func (x *exec) currentCommittee() (*cachedCommittee, error) {
	raw, ok, err := x.st.o.get([]byte(keyCommitteeCur))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: no current committee", ErrCertificate)
	}
	if e := x.m.committees.get(x.sys.Epoch, raw); e != nil {
		return e, nil
	}
	var c Committee
	if err := decodeRecord(raw, &c); err != nil {
		return nil, fmt.Errorf("record %q: %w", keyCommitteeCur, err)
	}
	pc, err := ProtocolCommittee(&c)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCertificate, err)
	}
	return x.m.committees.put(x.sys.Epoch, raw, pc), nil
}

// verifyCertificate checks an on-chain certificate over a message of the
// given intent against the current committee, as Walrus's contract does: the
// message header (intent, version, app ID, the current epoch), the signers
// bitmap, the signers' shard weight against the intent's threshold (quorum
// for blob certification, validity for an invalid blob ID) and the aggregate
// signature. It returns the message.
func (x *exec) verifyCertificate(oc *Certificate, intent protocol.Intent) ([]byte, error) {
	h, _, err := protocol.ParseHeader(oc.Message)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCertificate, err)
	}
	if h.Intent != intent {
		return nil, fmt.Errorf("%w: %v message, want %v", ErrCertificate, h.Intent, intent)
	}
	if h.Epoch != x.sys.Epoch {
		return nil, fmt.Errorf("%w: signed for epoch %d, current epoch is %d", ErrCertificate, h.Epoch, x.sys.Epoch)
	}
	entry, err := x.currentCommittee()
	if err != nil {
		return nil, err
	}
	k := certificateKey(oc)
	if x.m.committees.isVerified(entry, k) {
		return oc.Message, nil
	}
	com := entry.c
	cert, err := oc.Certificate(com.Len())
	if err == nil {
		err = com.VerifyCertificate(cert, intent)
	}
	switch {
	case err == nil:
		x.m.committees.addVerified(entry, k)
		return oc.Message, nil
	case errors.Is(err, protocol.ErrNoSigners), errors.Is(err, protocol.ErrInsufficientWeight):
		return nil, fmt.Errorf("%w: %w", ErrNotEnoughWeight, err)
	default:
		return nil, fmt.Errorf("%w: %w", ErrCertificate, err)
	}
}

// isQuorum reports whether shard weight w out of n reaches a quorum
// (protocol.Quorum: 3w ≥ 2n+1).
func isQuorum(w, n uint64) bool { return protocol.Quorum.Reached(int(w), int(n)) }
