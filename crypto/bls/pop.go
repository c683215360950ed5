package bls

import "encoding/binary"

// Header bytes of Walrus's proof-of-possession message: intent type 0
// (proof of possession), intent version 0, app ID 3 (storage).
const (
	popIntent  = 0
	popVersion = 0
	popAppID   = 3
)

// PossessionMessageSize is the length of the proof-of-possession message.
const PossessionMessageSize = 3 + 4 + 32 + PublicKeySize

// PossessionMessage returns the message a storage node signs to prove that
// it holds the secret key of pk: intent 0, version 0, app 3, epoch (u32 LE),
// the node's Sui address and the 48-byte key. The protocol package defines
// the same message with a strict decoder.
func PossessionMessage(epoch uint32, suiAddress [32]byte, pk *PublicKey) []byte {
	m := make([]byte, 0, PossessionMessageSize)
	m = append(m, popIntent, popVersion, popAppID)
	m = binary.LittleEndian.AppendUint32(m, epoch)
	m = append(m, suiAddress[:]...)
	return append(m, pk.b[:]...)
}

// ProvePossession signs the proof-of-possession message for sk's public key.
func (sk *SecretKey) ProvePossession(epoch uint32, suiAddress [32]byte) *Signature {
	return sk.Sign(PossessionMessage(epoch, suiAddress, sk.PublicKey()))
}

// VerifyPossession checks a proof of possession of pk.
func VerifyPossession(pk *PublicKey, epoch uint32, suiAddress [32]byte, proof *Signature) error {
	if !pk.valid() {
		return ErrInvalidPublicKey
	}
	return Verify(pk, PossessionMessage(epoch, suiAddress, pk), proof)
}
