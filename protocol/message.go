// Package protocol defines the messages storage nodes sign and the
// structures that turn signatures into proofs: the common message header,
// storage confirmations, invalid-blob-ID attestations, sync-shard requests,
// proofs of possession, SignedMessage, committees with their shard-weighted
// quorum rules, certificates (with the on-chain signers bitmap), an
// aggregator that collects signatures into a certificate, and certificate
// verification.
//
// Every signed message is intent_type u8 || intent_version u8 (0) ||
// app_id u8 (3, storage) || epoch u32 LE || body, the body not length
// prefixed. Decoders are strict: the intent, version and app ID must be the
// expected ones and trailing bytes are an error, so a message has exactly
// one encoding and signatures cannot be replayed across message types.
//
// The package is pure: no I/O and no goroutines of its own (the Aggregator
// holds a mutex so that a driver may feed it from several goroutines).
package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/walrus-go/walrus/bcs"
)

// Intent is the first byte of a signed message: what it attests to.
type Intent uint8

// The intents Walrus defines.
const (
	IntentProofOfPossession  Intent = 0
	IntentBlobCertification  Intent = 1
	IntentInvalidBlobID      Intent = 2
	IntentSyncShard          Intent = 3
	IntentDenyListUpdate     Intent = 4
	IntentDenyListBlobDelete Intent = 5
	IntentProtocolVersion    Intent = 6
	numIntents                      = 7
)

var intentNames = [numIntents]string{
	"proof of possession", "blob certification", "invalid blob ID", "sync shard",
	"deny list update", "deny list blob deleted", "protocol version",
}

// String names the intent.
func (i Intent) String() string {
	if i < numIntents {
		return intentNames[i]
	}
	return fmt.Sprintf("unknown intent %d", uint8(i))
}

// Header constants.
const (
	IntentVersion = 0 // the only intent version
	AppID         = 3 // Walrus storage
	HeaderSize    = 7 // intent, version, app ID, epoch u32
)

// MaxMessageSize bounds serialized messages accepted from the network. The
// largest message Walrus defines (a proof of possession) is 87 bytes.
const MaxMessageSize = 1024

// Errors.
var (
	ErrMalformed      = errors.New("protocol: malformed message")
	ErrWrongIntent    = errors.New("protocol: wrong message intent")
	ErrUnknownIntent  = errors.New("protocol: unknown message intent")
	ErrIntentVersion  = errors.New("protocol: unsupported intent version")
	ErrAppID          = errors.New("protocol: wrong app ID")
	ErrWrongEpoch     = errors.New("protocol: message epoch is not the committee epoch")
	ErrMessageTooLong = errors.New("protocol: message too long")
)

// Header is the common prefix of every signed message.
type Header struct {
	Intent Intent
	Epoch  uint32
}

// appendTo appends the 7-byte header.
func (h Header) appendTo(b []byte) []byte {
	b = append(b, byte(h.Intent), IntentVersion, AppID)
	return binary.LittleEndian.AppendUint32(b, h.Epoch)
}

// ParseHeader checks and splits off the header of a serialized message,
// returning the body. The intent must be one Walrus defines.
func ParseHeader(msg []byte) (Header, []byte, error) {
	if len(msg) > MaxMessageSize {
		return Header{}, nil, fmt.Errorf("%w: %d bytes", ErrMessageTooLong, len(msg))
	}
	if len(msg) < HeaderSize {
		return Header{}, nil, fmt.Errorf("%w: %d bytes, shorter than the header", ErrMalformed, len(msg))
	}
	h := Header{Intent: Intent(msg[0]), Epoch: binary.LittleEndian.Uint32(msg[3:7])}
	switch {
	case h.Intent >= numIntents:
		return Header{}, nil, fmt.Errorf("%w: %d", ErrUnknownIntent, msg[0])
	case msg[1] != IntentVersion:
		return Header{}, nil, fmt.Errorf("%w: %d", ErrIntentVersion, msg[1])
	case msg[2] != AppID:
		return Header{}, nil, fmt.Errorf("%w: %d, want %d", ErrAppID, msg[2], AppID)
	}
	return h, msg[HeaderSize:], nil
}

// parseAs checks the header of msg against the wanted intent and returns the
// epoch and a decoder over the body.
func parseAs(msg []byte, want Intent) (uint32, *bcs.Decoder, error) {
	h, body, err := ParseHeader(msg)
	if err != nil {
		return 0, nil, err
	}
	if h.Intent != want {
		return 0, nil, fmt.Errorf("%w: %v, want %v", ErrWrongIntent, h.Intent, want)
	}
	return h.Epoch, bcs.NewDecoder(body), nil
}

// finish turns a body decoder's outcome into the package's error.
func finish(d *bcs.Decoder, what string) error {
	if err := d.Finish(); err != nil {
		return fmt.Errorf("%w: %s body: %w", ErrMalformed, what, err)
	}
	return nil
}
