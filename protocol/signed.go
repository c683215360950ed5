package protocol

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/walrus-go/walrus/bcs"
	"github.com/walrus-go/walrus/crypto/bls"
)

// SignedMessage is a serialized message with one node's BLS signature.
// BCS: serialized_message as a byte vector, then the 96-byte signature.
// JSON: {"serializedMessage": base64, "signature": base64} (standard
// base64).
type SignedMessage struct {
	SerializedMessage []byte
	Signature         bls.Signature
}

// Sign signs a serialized message.
func Sign(sk *bls.SecretKey, msg []byte) *SignedMessage {
	return &SignedMessage{SerializedMessage: msg, Signature: *sk.Sign(msg)}
}

// Header returns the message's checked header.
func (m *SignedMessage) Header() (Header, error) {
	h, _, err := ParseHeader(m.SerializedMessage)
	return h, err
}

// Verify checks the signature under pk.
func (m *SignedMessage) Verify(pk *bls.PublicKey) error {
	return bls.Verify(pk, m.SerializedMessage, &m.Signature)
}

// MarshalBCS returns the BCS encoding.
func (m *SignedMessage) MarshalBCS() []byte {
	e := bcs.NewEncoder(len(m.SerializedMessage) + 2 + bls.SignatureSize)
	e.ByteVec(m.SerializedMessage)
	sig := m.Signature.Bytes()
	e.Fixed(sig[:])
	return e.Bytes()
}

// ParseSignedMessage decodes the BCS encoding. The message is copied; its
// header is not checked here (the consumer knows which message it expects).
func ParseSignedMessage(b []byte) (*SignedMessage, error) {
	d := bcs.NewDecoder(b)
	msg := d.ByteVec(MaxMessageSize)
	sig := d.Fixed(bls.SignatureSize)
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("%w: signed message: %w", ErrMalformed, err)
	}
	return newSignedMessage(msg, sig)
}

func newSignedMessage(msg, sig []byte) (*SignedMessage, error) {
	s, err := bls.ParseSignature(sig)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return &SignedMessage{SerializedMessage: append([]byte{}, msg...), Signature: *s}, nil
}

type signedMessageJSON struct {
	SerializedMessage *string `json:"serializedMessage"`
	Signature         *string `json:"signature"`
}

// MarshalJSON implements json.Marshaler.
func (m *SignedMessage) MarshalJSON() ([]byte, error) {
	msg := base64.StdEncoding.EncodeToString(m.SerializedMessage)
	sig := m.Signature.Bytes()
	s := base64.StdEncoding.EncodeToString(sig[:])
	return json.Marshal(signedMessageJSON{&msg, &s})
}

// UnmarshalJSON implements json.Unmarshaler: both fields are required and
// must be strict standard base64.
func (m *SignedMessage) UnmarshalJSON(data []byte) error {
	var j signedMessageJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return fmt.Errorf("%w: signed message JSON: %w", ErrMalformed, err)
	}
	if j.SerializedMessage == nil || j.Signature == nil {
		return fmt.Errorf("%w: signed message JSON needs serializedMessage and signature", ErrMalformed)
	}
	msg, err := decodeB64(*j.SerializedMessage, MaxMessageSize)
	if err != nil {
		return fmt.Errorf("%w: serializedMessage: %w", ErrMalformed, err)
	}
	sig, err := decodeB64(*j.Signature, bls.SignatureSize)
	if err != nil {
		return fmt.Errorf("%w: signature: %w", ErrMalformed, err)
	}
	v, err := newSignedMessage(msg, sig)
	if err != nil {
		return err
	}
	*m = *v
	return nil
}

// decodeB64 decodes strict standard base64 of at most max bytes.
func decodeB64(s string, max int) ([]byte, error) {
	if len(s) > base64.StdEncoding.EncodedLen(max) {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrMessageTooLong, max)
	}
	return base64.StdEncoding.Strict().DecodeString(s)
}
