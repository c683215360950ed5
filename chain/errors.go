package chain

import "errors"

// Errors returned by the state machine. Each is wrapped with the operation and
// the values involved; test with errors.Is.
var (
	ErrDecode            = errors.New("chain: malformed encoding")
	ErrStore             = errors.New("chain: store failure")
	ErrBadSignature      = errors.New("chain: invalid transaction signature")
	ErrSequence          = errors.New("chain: wrong sequence number")
	ErrFee               = errors.New("chain: fee below minimum")
	ErrInsufficientFunds = errors.New("chain: insufficient funds")
	ErrOverflow          = errors.New("chain: amount overflow")
	ErrInvalidArgument   = errors.New("chain: invalid argument")
	ErrNotFound          = errors.New("chain: object not found")
	ErrNotOwner          = errors.New("chain: sender does not own the object")
	ErrWrongKind         = errors.New("chain: object has the wrong kind")
	ErrFaucetDisabled    = errors.New("chain: faucet disabled")
	ErrEpochRange        = errors.New("chain: invalid epoch range")
	ErrCapacity          = errors.New("chain: not enough storage capacity")
	ErrStorageMismatch   = errors.New("chain: storage resources do not match")
	ErrBlobID            = errors.New("chain: blob ID does not match its root hash, size and encoding")
	ErrEncodingType      = errors.New("chain: unsupported encoding type")
	ErrBlobSize          = errors.New("chain: blob too large for its storage")
	ErrAlreadyCertified  = errors.New("chain: blob already certified")
	ErrNotCertified      = errors.New("chain: blob not certified")
	ErrExpired           = errors.New("chain: blob or storage expired")
	ErrNotDeletable      = errors.New("chain: blob not deletable")
	ErrCertificate       = errors.New("chain: invalid certificate")
	ErrNotEnoughWeight   = errors.New("chain: certificate signers below threshold")
	ErrPossession        = errors.New("chain: invalid proof of possession")
	ErrNotOperator       = errors.New("chain: sender is not the node's operator")
	ErrEpochState        = errors.New("chain: not allowed in this epoch state")
	ErrNotInCommittee    = errors.New("chain: node not in the committee")
	ErrStake             = errors.New("chain: invalid stake operation")
	ErrGenesis           = errors.New("chain: invalid genesis")
	ErrTooMany           = errors.New("chain: too many items")
)
