package protocol

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/walrus-go/walrus/bcs"
	"github.com/walrus-go/walrus/crypto/bls"
)

// Certificate errors.
var (
	ErrNoSigners           = errors.New("protocol: certificate has no signers")
	ErrDuplicateSigner     = errors.New("protocol: duplicate signer")
	ErrUnsortedSigners     = errors.New("protocol: signers not in ascending order")
	ErrSignerOutOfRange    = errors.New("protocol: signer index out of range")
	ErrInsufficientWeight  = errors.New("protocol: signers' weight below threshold")
	ErrBadSignature        = errors.New("protocol: invalid signature")
	ErrBitmapTooLong       = errors.New("protocol: signers bitmap longer than the committee")
	ErrBitmapExtraBits     = errors.New("protocol: signers bitmap has bits beyond the committee")
	ErrMessageMismatch     = errors.New("protocol: signed message differs from the expected one")
	ErrInvalidCommitteeLen = errors.New("protocol: invalid committee size")
)

// Certificate is an aggregate BLS signature by a set of committee members
// on one serialized message.
//
// Signers are member indices (positions in the committee's node-ID order)
// and, in this implementation's canonical form, strictly ascending: the
// aggregator produces them so, decoders reject anything else, and the
// on-chain bitmap carries the same information in the same order.
//
// BCS: signers as vector<u16>, serialized_message as vector<u8>, then the
// 96-byte aggregate signature. JSON: {"signers": [..],
// "serializedMessage": base64, "signature": base64}.
type Certificate struct {
	Signers           []uint16
	SerializedMessage []byte
	Signature         bls.Signature
}

// checkSigners checks that signers are strictly ascending and, if n >= 0,
// below n.
func checkSigners(signers []uint16, n int) error {
	if len(signers) == 0 {
		return ErrNoSigners
	}
	for i, s := range signers {
		if n >= 0 && int(s) >= n {
			return fmt.Errorf("%w: %d of %d members", ErrSignerOutOfRange, s, n)
		}
		if i > 0 {
			switch p := signers[i-1]; {
			case s == p:
				return fmt.Errorf("%w: %d", ErrDuplicateSigner, s)
			case s < p:
				return fmt.Errorf("%w: %d after %d", ErrUnsortedSigners, s, p)
			}
		}
	}
	return nil
}

// MarshalBCS returns the BCS encoding.
func (c *Certificate) MarshalBCS() []byte {
	e := bcs.NewEncoder(8 + 2*len(c.Signers) + len(c.SerializedMessage) + bls.SignatureSize)
	e.ULEB(uint32(len(c.Signers)))
	for _, s := range c.Signers {
		e.U16(s)
	}
	e.ByteVec(c.SerializedMessage)
	sig := c.Signature.Bytes()
	e.Fixed(sig[:])
	return e.Bytes()
}

// ParseCertificate decodes the BCS encoding, checking that the signers are
// non-empty and strictly ascending and that the signature is a valid point.
// The message header and the signers' range are checked by
// Committee.VerifyCertificate.
func ParseCertificate(b []byte) (*Certificate, error) {
	d := bcs.NewDecoder(b)
	n := d.Len(maxMembers, 2)
	var signers []uint16
	if d.Err() == nil {
		signers = make([]uint16, n)
		for i := range signers {
			signers[i] = d.U16()
		}
	}
	msg := d.ByteVec(MaxMessageSize)
	sig := d.Fixed(bls.SignatureSize)
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("%w: certificate: %w", ErrMalformed, err)
	}
	return newCertificate(signers, msg, sig)
}

func newCertificate(signers []uint16, msg, sig []byte) (*Certificate, error) {
	if err := checkSigners(signers, -1); err != nil {
		return nil, err
	}
	s, err := bls.ParseSignature(sig)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return &Certificate{Signers: signers, SerializedMessage: append([]byte{}, msg...), Signature: *s}, nil
}

type certificateJSON struct {
	Signers           []uint16 `json:"signers"`
	SerializedMessage *string  `json:"serializedMessage"`
	Signature         *string  `json:"signature"`
}

// MarshalJSON implements json.Marshaler.
func (c *Certificate) MarshalJSON() ([]byte, error) {
	msg := base64.StdEncoding.EncodeToString(c.SerializedMessage)
	sigb := c.Signature.Bytes()
	sig := base64.StdEncoding.EncodeToString(sigb[:])
	signers := c.Signers
	if signers == nil {
		signers = []uint16{}
	}
	return json.Marshal(certificateJSON{Signers: signers, SerializedMessage: &msg, Signature: &sig})
}

// UnmarshalJSON implements json.Unmarshaler with the checks of
// ParseCertificate.
func (c *Certificate) UnmarshalJSON(data []byte) error {
	var j certificateJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return fmt.Errorf("%w: certificate JSON: %w", ErrMalformed, err)
	}
	if j.SerializedMessage == nil || j.Signature == nil {
		return fmt.Errorf("%w: certificate JSON needs signers, serializedMessage and signature", ErrMalformed)
	}
	if len(j.Signers) > maxMembers {
		return fmt.Errorf("%w: %d signers", ErrMalformed, len(j.Signers))
	}
	msg, err := decodeB64(*j.SerializedMessage, MaxMessageSize)
	if err != nil {
		return fmt.Errorf("%w: serializedMessage: %w", ErrMalformed, err)
	}
	sig, err := decodeB64(*j.Signature, bls.SignatureSize)
	if err != nil {
		return fmt.Errorf("%w: signature: %w", ErrMalformed, err)
	}
	v, err := newCertificate(j.Signers, msg, sig)
	if err != nil {
		return err
	}
	*c = *v
	return nil
}

// OnChainCertificate is the form a certificate takes in a Move call: the
// aggregate signature, the signers as a bitmap over the committee's members
// (bit i%8 of byte i/8 for member i), and the message.
type OnChainCertificate struct {
	Signature     [bls.SignatureSize]byte
	SignersBitmap []byte
	Message       []byte
}

// SignersBitmap encodes signer indices as a bitmap of ceil(members/8) bytes.
func SignersBitmap(signers []uint16, members int) ([]byte, error) {
	if members < 1 || members > maxMembers {
		return nil, fmt.Errorf("%w: %d", ErrInvalidCommitteeLen, members)
	}
	if err := checkSigners(signers, members); err != nil {
		return nil, err
	}
	bm := make([]byte, (members+7)/8)
	for _, s := range signers {
		bm[s/8] |= 1 << (s % 8)
	}
	return bm, nil
}

// ParseSignersBitmap decodes a bitmap over a committee of the given size into
// ascending signer indices. The bitmap may be shorter than ceil(members/8)
// (missing bytes are zero) but not longer, and bits at or beyond members
// must be zero.
func ParseSignersBitmap(bm []byte, members int) ([]uint16, error) {
	if members < 1 || members > maxMembers {
		return nil, fmt.Errorf("%w: %d", ErrInvalidCommitteeLen, members)
	}
	if len(bm) > (members+7)/8 {
		return nil, fmt.Errorf("%w: %d bytes for %d members", ErrBitmapTooLong, len(bm), members)
	}
	var signers []uint16
	for i, b := range bm {
		for bit := range 8 {
			if b&(1<<bit) == 0 {
				continue
			}
			idx := 8*i + bit
			if idx >= members {
				return nil, fmt.Errorf("%w: bit %d, %d members", ErrBitmapExtraBits, idx, members)
			}
			signers = append(signers, uint16(idx))
		}
	}
	if len(signers) == 0 {
		return nil, ErrNoSigners
	}
	return signers, nil
}

// OnChain converts the certificate for a committee of the given size.
func (c *Certificate) OnChain(members int) (*OnChainCertificate, error) {
	bm, err := SignersBitmap(c.Signers, members)
	if err != nil {
		return nil, err
	}
	return &OnChainCertificate{
		Signature:     c.Signature.Bytes(),
		SignersBitmap: bm,
		Message:       append([]byte{}, c.SerializedMessage...),
	}, nil
}

// Certificate converts back from the on-chain form, validating the bitmap
// and the signature encoding.
func (oc *OnChainCertificate) Certificate(members int) (*Certificate, error) {
	signers, err := ParseSignersBitmap(oc.SignersBitmap, members)
	if err != nil {
		return nil, err
	}
	if len(oc.Message) > MaxMessageSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrMessageTooLong, len(oc.Message))
	}
	return newCertificate(signers, oc.Message, oc.Signature[:])
}
