package chain

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"github.com/walrus-go/walrus/crypto/bls"
	"github.com/walrus-go/walrus/protocol"
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
// once. An entry is keyed by epoch and used only if the committee's stored
// encoding is byte-identical, so the cache can never change an outcome: the
// machine stays a pure function of the store.
type committeeCache struct {
	mu      sync.Mutex
	max     int
	entries []cachedCommittee // most recent last
}

type cachedCommittee struct {
	epoch uint32
	raw   []byte
	c     *protocol.Committee
}

func (cc *committeeCache) get(epoch uint32, raw []byte) *protocol.Committee {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	for _, e := range cc.entries {
		if e.epoch == epoch && bytes.Equal(e.raw, raw) {
			return e.c
		}
	}
	return nil
}

func (cc *committeeCache) put(epoch uint32, raw []byte, c *protocol.Committee) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if len(cc.entries) >= cc.max {
		cc.entries = append(cc.entries[:0], cc.entries[1:]...)
	}
	cc.entries = append(cc.entries, cachedCommittee{epoch, bytes.Clone(raw), c})
}

// currentCommittee returns the protocol committee of the current epoch.
func (x *exec) currentCommittee() (*protocol.Committee, error) {
	raw, ok, err := x.st.o.get([]byte(keyCommitteeCur))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: no current committee", ErrCertificate)
	}
	if pc := x.m.committees.get(x.sys.Epoch, raw); pc != nil {
		return pc, nil
	}
	var c Committee
	if err := decodeRecord(raw, &c); err != nil {
		return nil, fmt.Errorf("record %q: %w", keyCommitteeCur, err)
	}
	pc, err := ProtocolCommittee(&c)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCertificate, err)
	}
	x.m.committees.put(x.sys.Epoch, raw, pc)
	return pc, nil
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
	com, err := x.currentCommittee()
	if err != nil {
		return nil, err
	}
	cert, err := oc.Certificate(com.Len())
	if err == nil {
		err = com.VerifyCertificate(cert, intent)
	}
	switch {
	case err == nil:
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
