package cluster

import (
	"context"
	"crypto/ed25519"
	"fmt"

	"github.com/walrus-go/walrus/chain"
	chainclient "github.com/walrus-go/walrus/chain/client"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/protocol"
)

// Helpers for tests that act as a writer of their own (a malicious one, or
// one that uploads to a single node): the SDK's Store re-encodes and
// uploads everywhere, these take an encoding as it is.

// InconsistentEncoding encodes blob for n shards, replaces primary sliver
// row by garbage (repeated to the sliver's length) and recomputes the
// metadata over the tampered sliver, as a malicious writer would: every
// sliver verifies against the lying metadata, but the columns disagree
// with that row, so recovering primary sliver row from the secondary
// slivers' symbols exposes the lie (an inconsistency proof).
func InconsistentEncoding(blob []byte, n, row int, garbage []byte) (*encoding.EncodedBlob, error) {
	enc, err := encoding.Encode(blob, n)
	if err != nil {
		return nil, err
	}
	x, err := encoding.NewExpander(n)
	if err != nil {
		return nil, err
	}
	if row < 0 || row >= n || len(garbage) == 0 {
		return nil, fmt.Errorf("cluster: row %d of %d, %d garbage bytes", row, n, len(garbage))
	}
	s := enc.PrimarySliver(row)
	for i := range s.Data {
		s.Data[i] ^= garbage[i%len(garbage)] | 1 // never the original byte
	}
	m := enc.Metadata.Metadata
	m.Hashes = append([]encoding.PairMetadata(nil), m.Hashes...)
	m.Hashes[row].Primary = x.SliverRoot(&s)
	enc.Metadata = &encoding.VerifiedMetadata{BlobID: m.ComputeBlobID(), Metadata: m}
	return enc, nil
}

// Register reserves storage for epochs and registers the encoded blob
// (permanent) with wallet, returning the Blob object's ID.
func Register(ctx context.Context, cc *chainclient.Client, wallet ed25519.PrivateKey, md *encoding.VerifiedMetadata, epochs uint32) (chain.ObjectID, error) {
	size := md.Metadata.UnencodedLength
	encLen, err := encoding.EncodedBlobLength(size, md.Params().N)
	if err != nil {
		return chain.ObjectID{}, err
	}
	inc, err := cc.Send(ctx, wallet, &chain.MsgReserveSpace{Size: encLen, EpochsAhead: epochs},
		&chain.MsgRegisterBlob{Storage: chain.StorageFromThisTx, BlobID: md.BlobID, RootHash: [32]byte(md.Metadata.RootHash()),
			Size: size, EncodingType: encoding.EncodingTypeRS2})
	if err != nil {
		return chain.ObjectID{}, err
	}
	for _, ev := range inc.Events {
		if r, ok := ev.Event.(*chain.BlobRegistered); ok && r.BlobID == md.BlobID {
			return r.ObjectID, nil
		}
	}
	return chain.ObjectID{}, fmt.Errorf("cluster: no BlobRegistered event for %s", md.BlobID)
}

// Committee returns the current committee and, for each member, its
// storage node in the cluster.
func (c *Cluster) Committee(ctx context.Context, cc *chainclient.Client) (*protocol.Committee, []*StorageNode, error) {
	com, err := cc.ProtocolCommittee(ctx, chain.CommitteeCurrent)
	if err != nil {
		return nil, nil, err
	}
	nodes := make([]*StorageNode, com.Len())
	for m := range com.Len() {
		for _, sn := range c.Nodes {
			if sn.ProtocolKey.PublicKey().Equal(com.Member(m).PublicKey) {
				nodes[m] = sn
			}
		}
		if nodes[m] == nil {
			return nil, nil, fmt.Errorf("cluster: committee member %d is no node of the cluster", m)
		}
	}
	return com, nodes, nil
}

// ShardOwner returns the node that holds shard s in the current committee.
func (c *Cluster) ShardOwner(ctx context.Context, cc *chainclient.Client, s int) (*StorageNode, error) {
	com, nodes, err := c.Committee(ctx, cc)
	if err != nil {
		return nil, err
	}
	m, err := com.ShardOwner(uint16(s))
	if err != nil {
		return nil, err
	}
	return nodes[m], nil
}

// Certify collects storage confirmations for blob id from the given nodes
// (through their proxies), aggregates them and certifies the blob object
// on chain. It fails if they do not reach a quorum.
func (c *Cluster) Certify(ctx context.Context, cc *chainclient.Client, wallet ed25519.PrivateKey, obj chain.ObjectID, id encoding.BlobID, from []*StorageNode) error {
	com, nodes, err := c.Committee(ctx, cc)
	if err != nil {
		return err
	}
	msg := (&protocol.StorageConfirmation{Epoch: com.Epoch(), BlobID: id}).Marshal()
	agg, err := protocol.NewAggregator(com, msg)
	if err != nil {
		return err
	}
	for m, sn := range nodes {
		for _, f := range from {
			if f != sn {
				continue
			}
			sm, err := sn.API.PermanentConfirmation(ctx, id)
			if err != nil {
				return fmt.Errorf("cluster: confirmation of %s: %w", sn.Name, err)
			}
			if _, err := agg.Add(m, sm); err != nil {
				return fmt.Errorf("cluster: confirmation of %s: %w", sn.Name, err)
			}
		}
	}
	cert, err := agg.Certificate()
	if err != nil {
		return err
	}
	oc, err := cert.OnChain(com.Len())
	if err != nil {
		return err
	}
	_, err = cc.Send(ctx, wallet, &chain.MsgCertifyBlob{Blob: obj, Cert: *oc})
	return err
}
