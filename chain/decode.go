package chain

// Exported decoders and keys for reading committed state (queries in
// chain/abci and chain/client).

// SystemKey is the key of the System record.
func SystemKey() []byte { return []byte(keySystem) }

// PoolsKey is the key of the sorted list of pool (node) IDs.
func PoolsKey() []byte { return []byte(keyPools) }

// Which committee CommitteeKey names.
const (
	CommitteePrevious = "prev"
	CommitteeCurrent  = "cur"
	CommitteeNext     = "next"
)

// CommitteeKey returns the key of the previous, current or next committee.
func CommitteeKey(which string) []byte { return []byte("c/" + which) }

// AccountingKey returns the key of an epoch's future-accounting entry.
func AccountingKey(epoch uint32) []byte { return key(PrefixAccounting, be32(epoch)) }

// InvalidBlobKey returns the key recording an invalid blob ID.
func InvalidBlobKey(id BlobID) []byte { return key(PrefixInvalid, id[:]) }

func decodeAs[T any, P interface {
	*T
	codec
}](b []byte) (*T, error) {
	v := P(new(T))
	if err := decodeRecord(b, v); err != nil {
		return nil, err
	}
	return (*T)(v), nil
}

// DecodeAccount decodes an account record.
func DecodeAccount(b []byte) (*Account, error) { return decodeAs[Account](b) }

// DecodeObject decodes an object record.
func DecodeObject(b []byte) (*Object, error) { return decodeAs[Object](b) }

// DecodeSystem decodes the System record.
func DecodeSystem(b []byte) (*System, error) { return decodeAs[System](b) }

// DecodeCommittee decodes a committee record.
func DecodeCommittee(b []byte) (*Committee, error) { return decodeAs[Committee](b) }

// DecodePool decodes a staking pool record.
func DecodePool(b []byte) (*Pool, error) { return decodeAs[Pool](b) }

// DecodeAccounting decodes a future-accounting entry.
func DecodeAccounting(b []byte) (*Accounting, error) { return decodeAs[Accounting](b) }

// DecodePoolIDs decodes the list of pool IDs.
func DecodePoolIDs(b []byte) ([]ObjectID, error) {
	l, err := decodeAs[idList](b)
	if err != nil {
		return nil, err
	}
	return *l, nil
}
