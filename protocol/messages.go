package protocol

import (
	"fmt"

	"github.com/walrus-go/walrus/bcs"
	"github.com/walrus-go/walrus/crypto/bls"
	"github.com/walrus-go/walrus/encoding"
)

// StorageConfirmation is a node's statement that it stores its slivers of a
// blob (intent 1). Body: blob_id[32] || persistence, where persistence is
// 0x00 (permanent) or 0x01 || object_id[32] (deletable); 40 or 72 bytes with
// the header.
type StorageConfirmation struct {
	Epoch     uint32
	BlobID    encoding.BlobID
	Deletable bool
	ObjectID  [32]byte // the Sui object of a deletable blob; zero otherwise
}

// Sizes of encoded storage confirmations.
const (
	PermanentConfirmationSize = HeaderSize + 32 + 1
	DeletableConfirmationSize = HeaderSize + 32 + 1 + 32
)

// Marshal returns the serialized message. ObjectID is ignored for a
// permanent blob.
func (m *StorageConfirmation) Marshal() []byte {
	b := Header{IntentBlobCertification, m.Epoch}.appendTo(make([]byte, 0, DeletableConfirmationSize))
	b = append(b, m.BlobID[:]...)
	if !m.Deletable {
		return append(b, 0)
	}
	b = append(b, 1)
	return append(b, m.ObjectID[:]...)
}

// ParseStorageConfirmation decodes a serialized storage confirmation.
func ParseStorageConfirmation(msg []byte) (*StorageConfirmation, error) {
	epoch, d, err := parseAs(msg, IntentBlobCertification)
	if err != nil {
		return nil, err
	}
	m := &StorageConfirmation{Epoch: epoch}
	d.FixedInto(m.BlobID[:])
	if d.Tag(2) == 1 {
		m.Deletable = true
		d.FixedInto(m.ObjectID[:])
	}
	if err := finish(d, "storage confirmation"); err != nil {
		return nil, err
	}
	return m, nil
}

// InvalidBlobID attests that a blob ID is inconsistently encoded (intent 2).
// Body: blob_id[32].
type InvalidBlobID struct {
	Epoch  uint32
	BlobID encoding.BlobID
}

// Marshal returns the serialized message.
func (m *InvalidBlobID) Marshal() []byte {
	b := Header{IntentInvalidBlobID, m.Epoch}.appendTo(make([]byte, 0, HeaderSize+32))
	return append(b, m.BlobID[:]...)
}

// ParseInvalidBlobID decodes a serialized invalid-blob-ID attestation.
func ParseInvalidBlobID(msg []byte) (*InvalidBlobID, error) {
	epoch, d, err := parseAs(msg, IntentInvalidBlobID)
	if err != nil {
		return nil, err
	}
	m := &InvalidBlobID{Epoch: epoch}
	d.FixedInto(m.BlobID[:])
	if err := finish(d, "invalid blob ID"); err != nil {
		return nil, err
	}
	return m, nil
}

// SliverType says which of a blob's two sliver kinds is meant; BCS encodes it
// as an enum tag. It is the encoding package's type.
type SliverType = encoding.SliverType

// Sliver types.
const (
	Primary   = encoding.Primary
	Secondary = encoding.Secondary
)

// SyncShardRequest asks a node of the previous committee for a range of a
// shard's slivers during an epoch change (intent 3). The body is BCS of the
// enum SyncShardRequest::V1 {shard_index u16, sliver_type, starting_blob_id
// [32], sliver_count u64, epoch u32}, so it starts with the variant tag 0.
type SyncShardRequest struct {
	Epoch          uint32 // header epoch: the requester's current epoch
	ShardIndex     uint16
	SliverType     SliverType
	StartingBlobID encoding.BlobID
	SliverCount    uint64
	RequestEpoch   uint32 // the body's own epoch field
}

// SyncShardRequestSize is the encoded length of a sync-shard request.
const SyncShardRequestSize = HeaderSize + 1 + 2 + 1 + 32 + 8 + 4

// Marshal returns the serialized message. SliverType must be Primary or
// Secondary.
func (m *SyncShardRequest) Marshal() []byte {
	e := bcs.NewEncoder(SyncShardRequestSize)
	e.Fixed(Header{IntentSyncShard, m.Epoch}.appendTo(nil))
	e.ULEB(0) // SyncShardRequest::V1
	e.U16(m.ShardIndex)
	e.ULEB(uint32(m.SliverType))
	e.Fixed(m.StartingBlobID[:])
	e.U64(m.SliverCount)
	e.U32(m.RequestEpoch)
	return e.Bytes()
}

// ParseSyncShardRequest decodes a serialized sync-shard request.
func ParseSyncShardRequest(msg []byte) (*SyncShardRequest, error) {
	epoch, d, err := parseAs(msg, IntentSyncShard)
	if err != nil {
		return nil, err
	}
	m := &SyncShardRequest{Epoch: epoch}
	d.Tag(1) // only V1
	m.ShardIndex = d.U16()
	m.SliverType = SliverType(d.Tag(2))
	d.FixedInto(m.StartingBlobID[:])
	m.SliverCount = d.U64()
	m.RequestEpoch = d.U32()
	if err := finish(d, "sync shard request"); err != nil {
		return nil, err
	}
	return m, nil
}

// ProofOfPossession is the message a node signs with its BLS key when it
// registers the key (intent 0). Body: sui_address[32] || bls_pubkey[48].
// Its encoding is bls.PossessionMessage.
type ProofOfPossession struct {
	Epoch      uint32
	SuiAddress [32]byte
	PublicKey  *bls.PublicKey
}

// Marshal returns the serialized message.
func (m *ProofOfPossession) Marshal() []byte {
	return bls.PossessionMessage(m.Epoch, m.SuiAddress, m.PublicKey)
}

// ParseProofOfPossession decodes a serialized proof-of-possession message,
// validating the public key.
func ParseProofOfPossession(msg []byte) (*ProofOfPossession, error) {
	epoch, d, err := parseAs(msg, IntentProofOfPossession)
	if err != nil {
		return nil, err
	}
	m := &ProofOfPossession{Epoch: epoch}
	d.FixedInto(m.SuiAddress[:])
	pkb := d.Fixed(bls.PublicKeySize)
	if err := finish(d, "proof of possession"); err != nil {
		return nil, err
	}
	if m.PublicKey, err = bls.ParsePublicKey(pkb); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return m, nil
}

// Verify checks a proof of possession: the signature is by the key the
// message names, on this message.
func (m *ProofOfPossession) Verify(sig *bls.Signature) error {
	return bls.Verify(m.PublicKey, m.Marshal(), sig)
}
