package client

import (
	"encoding/json"
	"errors"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/nodeapi"
)

// StoreResult is the outcome of a store, shaped as Walrus's
// BlobStoreResult (reference §8.1): exactly one field is set.
type StoreResult struct {
	NewlyCreated     *NewlyCreated     `json:"newlyCreated,omitempty"`
	AlreadyCertified *AlreadyCertified `json:"alreadyCertified,omitempty"`
	MarkedInvalid    *MarkedInvalid    `json:"markedInvalid,omitempty"`
	Error            *StoreFailure     `json:"error,omitempty"`
}

// StoreFailure is a failed store in Walrus's result form, for callers that
// report many stores at once (the CLI's store of several files).
type StoreFailure struct {
	BlobID       *encoding.BlobID `json:"blobId"` // null when the blob was not encoded
	FailurePhase string           `json:"failurePhase"`
	ErrorMsg     string           `json:"errorMsg"`
}

// FailedStore turns an error of Store into a result with Error set (the
// phase and blob ID come from a *StoreError, when err holds one).
func FailedStore(err error) *StoreResult {
	f := &StoreFailure{FailurePhase: "unknown", ErrorMsg: err.Error()}
	var se *StoreError
	if errors.As(err, &se) {
		f.BlobID, f.FailurePhase = se.BlobID, se.Phase
	}
	return &StoreResult{Error: f}
}

// MarkedInvalid reports a blob ID that the chain marked invalid: it cannot
// be stored (nodes refuse its slivers), so nothing was registered or
// uploaded. Event, when the nodes report it, is the invalidation's event.
type MarkedInvalid struct {
	BlobID encoding.BlobID  `json:"blobId"`
	Event  *nodeapi.EventID `json:"event,omitempty"`
}

// BlobID returns the stored blob's ID (zero for a failure before encoding).
func (r *StoreResult) BlobID() encoding.BlobID {
	switch {
	case r.NewlyCreated != nil:
		return r.NewlyCreated.BlobObject.BlobID
	case r.MarkedInvalid != nil:
		return r.MarkedInvalid.BlobID
	case r.Error != nil:
		if r.Error.BlobID != nil {
			return *r.Error.BlobID
		}
		return encoding.BlobID{}
	}
	return r.AlreadyCertified.BlobID
}

// NewlyCreated reports a blob registered, uploaded and certified by this
// store.
type NewlyCreated struct {
	BlobObject        BlobObject        `json:"blobObject"`
	ResourceOperation ResourceOperation `json:"resourceOperation"`
	// Cost is the FROST paid for storage and writes (transaction fees
	// excluded).
	Cost uint64 `json:"cost"`
	// SharedBlobObject is the shared blob's ID when the store shared it.
	SharedBlobObject string `json:"sharedBlobObject,omitempty"` // 0x hex
}

// AlreadyCertified reports a blob that was already certified for long
// enough; nothing was uploaded. Object is the certified Blob object found
// on chain; Event, when known, is the event of its certification.
type AlreadyCertified struct {
	BlobID   encoding.BlobID  `json:"blobId"`
	Event    *nodeapi.EventID `json:"event,omitempty"`
	Object   *chain.ObjectID  `json:"-"`
	EndEpoch uint32           `json:"endEpoch"`
}

// MarshalJSON implements json.Marshaler in Walrus's form: the
// certification event if known, else the certified object (0x hex), never
// both (Walrus's event-or-object).
func (a AlreadyCertified) MarshalJSON() ([]byte, error) {
	type form struct {
		BlobID   encoding.BlobID  `json:"blobId"`
		Event    *nodeapi.EventID `json:"event,omitempty"`
		Object   string           `json:"object,omitempty"`
		EndEpoch uint32           `json:"endEpoch"`
	}
	f := form{BlobID: a.BlobID, Event: a.Event, EndEpoch: a.EndEpoch}
	if a.Event == nil && a.Object != nil {
		f.Object = a.Object.String()
	}
	return json.Marshal(f)
}

// BlobObject is an on-chain Blob object in Walrus's JSON form.
type BlobObject struct {
	ID              chain.ObjectID
	RegisteredEpoch uint32
	BlobID          encoding.BlobID
	Size            uint64
	EncodingType    uint8
	CertifiedEpoch  *uint32
	Storage         StorageResource
	Deletable       bool
}

// StorageResource is a blob's storage in Walrus's JSON form.
type StorageResource struct {
	ID          chain.ObjectID
	StartEpoch  uint32
	EndEpoch    uint32
	StorageSize uint64
}

func blobObjectOf(b *chain.Blob) BlobObject {
	var ce *uint32
	if b.CertifiedEpoch != nil {
		e := *b.CertifiedEpoch
		ce = &e
	}
	return BlobObject{
		ID: b.ID, RegisteredEpoch: b.RegisteredEpoch, BlobID: b.BlobID, Size: b.Size, EncodingType: b.EncodingType,
		CertifiedEpoch: ce, Deletable: b.Deletable,
		Storage: StorageResource{ID: b.Storage.ID, StartEpoch: b.Storage.Start, EndEpoch: b.Storage.End, StorageSize: b.Storage.Size},
	}
}

// MarshalJSON implements json.Marshaler in Walrus's form.
func (b BlobObject) MarshalJSON() ([]byte, error) {
	type storage struct {
		ID          string `json:"id"`
		StartEpoch  uint32 `json:"startEpoch"`
		EndEpoch    uint32 `json:"endEpoch"`
		StorageSize uint64 `json:"storageSize"`
	}
	type form struct {
		ID              string          `json:"id"`
		RegisteredEpoch uint32          `json:"registeredEpoch"`
		BlobID          encoding.BlobID `json:"blobId"`
		Size            uint64          `json:"size"`
		EncodingType    string          `json:"encodingType"`
		CertifiedEpoch  *uint32         `json:"certifiedEpoch"`
		Storage         storage         `json:"storage"`
		Deletable       bool            `json:"deletable"`
	}
	et := "unknown"
	if b.EncodingType == encoding.EncodingTypeRS2 {
		et = "RS2"
	}
	return json.Marshal(form{
		ID: b.ID.String(), RegisteredEpoch: b.RegisteredEpoch, BlobID: b.BlobID, Size: b.Size, EncodingType: et,
		CertifiedEpoch: b.CertifiedEpoch, Deletable: b.Deletable,
		Storage: storage{ID: b.Storage.ID.String(), StartEpoch: b.Storage.StartEpoch, EndEpoch: b.Storage.EndEpoch, StorageSize: b.Storage.StorageSize},
	})
}

// ResourceOperation tells how the store obtained its Blob object: exactly
// one field is set.
type ResourceOperation struct {
	RegisterFromScratch *RegisterFromScratch `json:"registerFromScratch,omitempty"`
	ReuseStorage        *ReuseStorage        `json:"reuseStorage,omitempty"`
	ReuseRegistration   *ReuseRegistration   `json:"reuseRegistration,omitempty"`
}

// ReuseStorage: a storage resource owned by the wallet (one freed by a
// delete, say) was used; only the write fee was paid.
type ReuseStorage struct {
	EncodedLength uint64 `json:"encodedLength"`
}

// RegisterFromScratch: storage was reserved and the blob registered.
type RegisterFromScratch struct {
	EncodedLength uint64 `json:"encodedLength"`
	EpochsAhead   uint32 `json:"epochsAhead"`
}

// ReuseRegistration: an uncertified registration owned by the wallet was
// reused (a retried store).
type ReuseRegistration struct {
	EncodedLength uint64 `json:"encodedLength"`
}
