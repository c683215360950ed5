package nodeapi

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strconv"

	"github.com/walrus-go/walrus/protocol"
)

// Content types.
const (
	ContentTypeJSON = "application/json"
	ContentTypeBCS  = "application/octet-stream"
)

// successBody is the JSON envelope of every JSON success response.
type successBody[T any] struct {
	Success struct {
		Code int `json:"code"`
		Data T   `json:"data"`
	} `json:"success"`
}

// WriteJSON writes data in the success envelope with HTTP status code.
func WriteJSON(w http.ResponseWriter, code int, data any) {
	var b successBody[any]
	b.Success.Code, b.Success.Data = code, data
	body, err := json.Marshal(&b)
	if err != nil {
		WriteError(w, Errorf(ErrInternal, "encoding response: %v", err))
		return
	}
	w.Header().Set("Content-Type", ContentTypeJSON)
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// WriteBCS writes a binary (BCS) body with HTTP status code.
func WriteBCS(w http.ResponseWriter, code int, body []byte) {
	w.Header().Set("Content-Type", ContentTypeBCS)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// DecodeSuccess parses a success envelope into data.
func DecodeSuccess(body []byte, data any) error {
	var b successBody[json.RawMessage]
	if err := json.Unmarshal(body, &b); err != nil {
		return fmt.Errorf("nodeapi: malformed success body: %w", err)
	}
	if len(b.Success.Data) == 0 {
		return errors.New("nodeapi: success body without data")
	}
	if err := json.Unmarshal(b.Success.Data, data); err != nil {
		return fmt.Errorf("nodeapi: malformed success data: %w", err)
	}
	return nil
}

// StoredStatus is the status of a blob's metadata or of a sliver at a node.
type StoredStatus string

// The stored statuses.
const (
	Nonexistent StoredStatus = "nonexistent"
	Buffered    StoredStatus = "buffered"
	Stored      StoredStatus = "stored"
)

// PutResult tells how a node took a metadata or sliver upload, from the
// HTTP status: 201 stored now, 200 already stored, 202 buffered pending
// registration.
type PutResult int

// The upload results.
const (
	PutStored        PutResult = http.StatusCreated
	PutAlreadyStored PutResult = http.StatusOK
	PutBuffered      PutResult = http.StatusAccepted
)

// Confirmation is the data of the confirmation routes.
type Confirmation struct {
	Signed *protocol.SignedMessage `json:"signed"`
}

// EventID identifies a chain event in BlobStatus. Walrus's form is a Sui
// transaction digest and an event sequence number; this chain identifies
// events by block height and index in the block, rendered as txDigest =
// base58 of 32 bytes holding the height as a big-endian u64 (then zeros) and
// eventSeq = the index as a decimal string. The mapping is reversible.
type EventID struct {
	Height uint64
	Index  uint32
}

type eventIDJSON struct {
	TxDigest string `json:"txDigest"`
	EventSeq string `json:"eventSeq"`
}

// MarshalJSON implements json.Marshaler.
func (id EventID) MarshalJSON() ([]byte, error) {
	var d [32]byte
	binary.BigEndian.PutUint64(d[:], id.Height)
	return json.Marshal(eventIDJSON{TxDigest: Base58(d[:]), EventSeq: strconv.FormatUint(uint64(id.Index), 10)})
}

// UnmarshalJSON implements json.Unmarshaler.
func (id *EventID) UnmarshalJSON(b []byte) error {
	var j eventIDJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	d, err := ParseBase58(j.TxDigest)
	if err != nil || len(d) != 32 || !bytes.Equal(d[8:], make([]byte, 24)) {
		return fmt.Errorf("nodeapi: txDigest %q is not a height digest", j.TxDigest)
	}
	seq, err := strconv.ParseUint(j.EventSeq, 10, 32)
	if err != nil {
		return fmt.Errorf("nodeapi: eventSeq %q: %w", j.EventSeq, err)
	}
	*id = EventID{Height: binary.BigEndian.Uint64(d), Index: uint32(seq)}
	return nil
}

// BlobStatusKind is the variant of a BlobStatus.
type BlobStatusKind string

// The BlobStatus variants.
const (
	StatusNonexistent BlobStatusKind = "nonexistent"
	StatusInvalid     BlobStatusKind = "invalid"
	StatusPermanent   BlobStatusKind = "permanent"
	StatusDeletable   BlobStatusKind = "deletable"
)

// DeletableCounts counts a blob's live deletable objects.
type DeletableCounts struct {
	Total     uint32 `json:"count_deletable_total"`
	Certified uint32 `json:"count_deletable_certified"`
}

// BlobStatus is a node's view of a blob (§4.2): "nonexistent",
// {"invalid":{"event"}}, {"permanent":{...}} or {"deletable":{...}}.
// Fields beyond Kind are meaningful for the variants noted.
type BlobStatus struct {
	Kind                  BlobStatusKind
	Event                 EventID // invalid: the event; permanent: the status event
	EndEpoch              uint32  // permanent
	IsCertified           bool    // permanent
	Counts                DeletableCounts
	InitialCertifiedEpoch *uint32 // permanent, deletable
}

type permanentJSON struct {
	EndEpoch              uint32          `json:"end_epoch"`
	IsCertified           bool            `json:"is_certified"`
	StatusEvent           EventID         `json:"status_event"`
	DeletableCounts       DeletableCounts `json:"deletable_counts"`
	InitialCertifiedEpoch *uint32         `json:"initial_certified_epoch"`
}

type deletableJSON struct {
	DeletableCounts       DeletableCounts `json:"deletable_counts"`
	InitialCertifiedEpoch *uint32         `json:"initial_certified_epoch"`
}

type invalidJSON struct {
	Event EventID `json:"event"`
}

// MarshalJSON implements json.Marshaler.
func (s BlobStatus) MarshalJSON() ([]byte, error) {
	switch s.Kind {
	case StatusNonexistent, "":
		return json.Marshal(string(StatusNonexistent))
	case StatusInvalid:
		return json.Marshal(map[string]invalidJSON{"invalid": {Event: s.Event}})
	case StatusPermanent:
		return json.Marshal(map[string]permanentJSON{"permanent": {EndEpoch: s.EndEpoch, IsCertified: s.IsCertified,
			StatusEvent: s.Event, DeletableCounts: s.Counts, InitialCertifiedEpoch: s.InitialCertifiedEpoch}})
	case StatusDeletable:
		return json.Marshal(map[string]deletableJSON{"deletable": {DeletableCounts: s.Counts, InitialCertifiedEpoch: s.InitialCertifiedEpoch}})
	}
	return nil, fmt.Errorf("nodeapi: unknown blob status %q", s.Kind)
}

// UnmarshalJSON implements json.Unmarshaler.
func (s *BlobStatus) UnmarshalJSON(b []byte) error {
	var str string
	if json.Unmarshal(b, &str) == nil {
		if str != string(StatusNonexistent) {
			return fmt.Errorf("nodeapi: unknown blob status %q", str)
		}
		*s = BlobStatus{Kind: StatusNonexistent}
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("nodeapi: malformed blob status: %w", err)
	}
	if len(m) != 1 {
		return errors.New("nodeapi: blob status must have exactly one variant")
	}
	for k, v := range m {
		switch BlobStatusKind(k) {
		case StatusInvalid:
			var j invalidJSON
			if err := json.Unmarshal(v, &j); err != nil {
				return err
			}
			*s = BlobStatus{Kind: StatusInvalid, Event: j.Event}
		case StatusPermanent:
			var j permanentJSON
			if err := json.Unmarshal(v, &j); err != nil {
				return err
			}
			*s = BlobStatus{Kind: StatusPermanent, EndEpoch: j.EndEpoch, IsCertified: j.IsCertified, Event: j.StatusEvent,
				Counts: j.DeletableCounts, InitialCertifiedEpoch: j.InitialCertifiedEpoch}
		case StatusDeletable:
			var j deletableJSON
			if err := json.Unmarshal(v, &j); err != nil {
				return err
			}
			*s = BlobStatus{Kind: StatusDeletable, Counts: j.DeletableCounts, InitialCertifiedEpoch: j.InitialCertifiedEpoch}
		default:
			return fmt.Errorf("nodeapi: unknown blob status %q", k)
		}
	}
	return nil
}

// Duration is serde's form of a Rust Duration.
type Duration struct {
	Secs  uint64 `json:"secs"`
	Nanos uint32 `json:"nanos"`
}

// EventProgress reports the node's progress through chain events.
type EventProgress struct {
	Persisted                 uint64  `json:"persisted"`
	Pending                   uint64  `json:"pending"`
	HighestFinishedEventIndex *uint64 `json:"highestFinishedEventIndex"`
}

// OwnedShardStatus counts owned shards by status.
type OwnedShardStatus struct {
	Unknown    int `json:"unknown"`
	Ready      int `json:"ready"`
	InTransfer int `json:"inTransfer"`
	InRecovery int `json:"inRecovery"`
}

// ShardSummary summarizes the node's shards.
type ShardSummary struct {
	Owned            int              `json:"owned"`
	OwnedShardStatus OwnedShardStatus `json:"ownedShardStatus"`
	ReadOnly         int              `json:"readOnly"`
}

// ShardHealth is one shard's status ("unknown", "ready", "inTransfer",
// "inRecovery", "readOnly").
type ShardHealth struct {
	Shard  uint16 `json:"shard"`
	Status string `json:"status"`
}

// ShardDetail lists shards with their status.
type ShardDetail struct {
	Owned []ShardHealth `json:"owned"`
	Other []ShardHealth `json:"other"`
}

// ServiceHealthInfo is the data of the health route.
type ServiceHealthInfo struct {
	Uptime                         Duration      `json:"uptime"`
	Epoch                          uint32        `json:"epoch"`
	PublicKey                      []byte        `json:"publicKey"` // BLS public key, standard base64
	NodeStatus                     string        `json:"nodeStatus"`
	EventProgress                  EventProgress `json:"eventProgress"`
	LatestCheckpointSequenceNumber *uint64       `json:"latestCheckpointSequenceNumber"`
	ShardSummary                   ShardSummary  `json:"shardSummary"`
	ShardDetail                    *ShardDetail  `json:"shardDetail,omitempty"`
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// Base58 encodes b with the Bitcoin alphabet (Sui's digest form).
func Base58(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	n := new(big.Int).SetBytes(b)
	var out []byte
	radix, mod := big.NewInt(58), new(big.Int)
	for n.Sign() > 0 {
		n.DivMod(n, radix, mod)
		out = append(out, base58Alphabet[mod.Int64()])
	}
	for range zeros {
		out = append(out, '1')
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

// ParseBase58 decodes the Bitcoin-alphabet base58 form (at most 64
// characters).
func ParseBase58(s string) ([]byte, error) {
	if len(s) > 64 {
		return nil, errors.New("nodeapi: base58 string too long")
	}
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	n := new(big.Int)
	radix := big.NewInt(58)
	for i := zeros; i < len(s); i++ {
		d := bytes.IndexByte([]byte(base58Alphabet), s[i])
		if d < 0 {
			return nil, fmt.Errorf("nodeapi: invalid base58 character %q", s[i])
		}
		n.Mul(n, radix).Add(n, big.NewInt(int64(d)))
	}
	return append(make([]byte, zeros), n.Bytes()...), nil
}
