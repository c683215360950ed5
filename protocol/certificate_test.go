package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/walrus-go/walrus/bcs"
	"github.com/walrus-go/walrus/crypto/bls"
)

func TestCertificateRoundTrips(t *testing.T) {
	tn := newTestNet(t, 5, uniform(10, 3))
	msg := (&StorageConfirmation{Epoch: 5, BlobID: blobID(1)}).Marshal()
	cert := tn.certify(t, msg, 0, 2, 3, 5, 6, 7, 9)
	if err := tn.c.VerifyCertificate(cert, IntentBlobCertification); err != nil {
		t.Fatal(err)
	}
	same := func(what string, got *Certificate) {
		t.Helper()
		if !slices.Equal(got.Signers, cert.Signers) || !bytes.Equal(got.SerializedMessage, cert.SerializedMessage) || !got.Signature.Equal(&cert.Signature) {
			t.Fatalf("%s round trip: %+v", what, got)
		}
	}
	b := cert.MarshalBCS()
	if b[0] != 7 || b[1] != 0 || b[2] != 0 || b[3] != 2 || b[4] != 0 {
		t.Fatalf("BCS starts %x", b[:5])
	}
	got, err := ParseCertificate(b)
	if err != nil {
		t.Fatal(err)
	}
	same("BCS", got)

	js, err := json.Marshal(cert)
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON Certificate
	if err := json.Unmarshal(js, &fromJSON); err != nil {
		t.Fatal(err)
	}
	same("JSON", &fromJSON)
	var keys map[string]any
	_ = json.Unmarshal(js, &keys)
	if len(keys) != 3 || keys["signers"] == nil || keys["serializedMessage"] == nil || keys["signature"] == nil {
		t.Fatalf("JSON = %s", js)
	}

	oc, err := cert.OnChain(tn.c.Len())
	if err != nil {
		t.Fatal(err)
	}
	// Members 0,2,3,5,6,7 in byte 0 (LSB first), member 9 as bit 1 of byte 1.
	if !bytes.Equal(oc.SignersBitmap, []byte{0b11101101, 0b10}) || oc.Signature != cert.Signature.Bytes() || !bytes.Equal(oc.Message, msg) {
		t.Fatalf("on-chain form %+v", oc)
	}
	back, err := oc.Certificate(tn.c.Len())
	if err != nil {
		t.Fatal(err)
	}
	same("on-chain", back)
}

func TestSignersBitmap(t *testing.T) {
	tests := []struct {
		bm      []byte
		members int
		want    []uint16
		err     error
	}{
		{[]byte{1}, 1, []uint16{0}, nil},
		{[]byte{0x80}, 8, []uint16{7}, nil},
		{[]byte{0x81, 0x01}, 9, []uint16{0, 7, 8}, nil},
		{[]byte{0x03}, 100, []uint16{0, 1}, nil}, // trailing zero bytes omitted
		{[]byte{0x03, 0, 0}, 17, []uint16{0, 1}, nil},
		{[]byte{0x02}, 1, nil, ErrBitmapExtraBits},
		{[]byte{0xff, 0x02}, 9, nil, ErrBitmapExtraBits},
		{[]byte{1, 0}, 8, nil, ErrBitmapTooLong},
		{[]byte{0, 0}, 9, nil, ErrNoSigners},
		{nil, 9, nil, ErrNoSigners},
		{[]byte{1}, 0, nil, ErrInvalidCommitteeLen},
		{[]byte{1}, 1<<16 + 1, nil, ErrInvalidCommitteeLen},
	}
	for _, tc := range tests {
		got, err := ParseSignersBitmap(tc.bm, tc.members)
		if !errors.Is(err, tc.err) || !slices.Equal(got, tc.want) {
			t.Errorf("ParseSignersBitmap(%x, %d) = %v, %v; want %v, %v", tc.bm, tc.members, got, err, tc.want, tc.err)
		}
	}
	encTests := []struct {
		signers []uint16
		members int
		want    []byte
		err     error
	}{
		{[]uint16{0, 1}, 100, append([]byte{3}, make([]byte, 12)...), nil},
		{[]uint16{15}, 16, []byte{0, 0x80}, nil},
		{[]uint16{16}, 16, nil, ErrSignerOutOfRange},
		{[]uint16{1, 1}, 16, nil, ErrDuplicateSigner},
		{[]uint16{2, 1}, 16, nil, ErrUnsortedSigners},
		{nil, 16, nil, ErrNoSigners},
		{[]uint16{0}, 0, nil, ErrInvalidCommitteeLen},
	}
	for _, tc := range encTests {
		got, err := SignersBitmap(tc.signers, tc.members)
		if !errors.Is(err, tc.err) || !bytes.Equal(got, tc.want) {
			t.Errorf("SignersBitmap(%v, %d) = %x, %v; want %x, %v", tc.signers, tc.members, got, err, tc.want, tc.err)
		}
	}
}

func TestVerifyCertificateRejects(t *testing.T) {
	tn := newTestNet(t, 5, uniform(10, 3)) // 30 shards: quorum 21 (7 members), validity 11 (4)
	other := newTestNet(t, 5, uniform(10, 3))
	other.sks[0] = testSecret(t, 99)
	msg := (&StorageConfirmation{Epoch: 5, BlobID: blobID(1)}).Marshal()
	inv := (&InvalidBlobID{Epoch: 5, BlobID: blobID(1)}).Marshal()
	oldEpoch := (&StorageConfirmation{Epoch: 4, BlobID: blobID(1)}).Marshal()
	pop := (&ProofOfPossession{Epoch: 5, PublicKey: tn.sks[0].PublicKey()}).Marshal()
	badApp := bytes.Clone(msg)
	badApp[2] = 9
	quorum := seq(0, 7)

	withSigners := func(c *Certificate, s ...uint16) *Certificate {
		d := *c
		d.Signers = s
		return &d
	}
	good := tn.certify(t, msg, quorum...)
	otherMsg := tn.certify(t, (&StorageConfirmation{Epoch: 5, BlobID: blobID(2)}).Marshal(), quorum...)
	tests := []struct {
		name   string
		cert   *Certificate
		intent Intent
		want   error
	}{
		{"wrong epoch", tn.certify(t, oldEpoch, quorum...), IntentBlobCertification, ErrWrongEpoch},
		{"wrong intent", tn.certify(t, inv, quorum...), IntentBlobCertification, ErrWrongIntent},
		{"not certifiable", tn.certify(t, pop, quorum...), IntentProofOfPossession, ErrNotCertifiable},
		{"bad app ID", tn.certify(t, badApp, quorum...), IntentBlobCertification, ErrAppID},
		{"short message", tn.certify(t, msg[:5], quorum...), IntentBlobCertification, ErrMalformed},
		{"no signers", withSigners(good), IntentBlobCertification, ErrNoSigners},
		{"duplicate signer", withSigners(good, 0, 1, 2, 3, 4, 5, 6, 6), IntentBlobCertification, ErrDuplicateSigner},
		{"unsorted signers", withSigners(good, 1, 0, 2, 3, 4, 5, 6), IntentBlobCertification, ErrUnsortedSigners},
		{"signer out of range", withSigners(good, 0, 1, 2, 3, 4, 5, 6, 10), IntentBlobCertification, ErrSignerOutOfRange},
		{"below quorum", tn.certify(t, msg, seq(0, 6)...), IntentBlobCertification, ErrInsufficientWeight},
		{"below validity", tn.certify(t, inv, 0, 1, 2), IntentInvalidBlobID, ErrInsufficientWeight},
		{"signature on another message", &Certificate{Signers: good.Signers, SerializedMessage: msg, Signature: otherMsg.Signature}, IntentBlobCertification, ErrBadSignature},
		{"signer claimed but absent", withSigners(tn.certify(t, msg, seq(0, 8)...), 0, 1, 2, 3, 4, 5, 6, 8), IntentBlobCertification, ErrBadSignature},
		{"signer present but unclaimed", withSigners(good, 0, 1, 2, 3, 4, 5, 7), IntentBlobCertification, ErrBadSignature},
		{"foreign key", other.certify(t, msg, quorum...), IntentBlobCertification, ErrBadSignature},
	}
	for _, tc := range tests {
		if err := tn.c.VerifyCertificate(tc.cert, tc.intent); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	if err := tn.c.VerifyCertificateThreshold(good, IntentBlobCertification, 0); !errors.Is(err, ErrInvalidThreshold) {
		t.Errorf("zero threshold: %v", err)
	}
	// A validity certificate passes with 4 signers; as a quorum it does not.
	invCert := tn.certify(t, inv, 1, 4, 6, 9)
	if err := tn.c.VerifyCertificate(invCert, IntentInvalidBlobID); err != nil {
		t.Errorf("validity certificate: %v", err)
	}
	if err := tn.c.VerifyCertificateThreshold(invCert, IntentInvalidBlobID, Quorum); !errors.Is(err, ErrInsufficientWeight) {
		t.Errorf("validity certificate as quorum: %v", err)
	}
	// Both key-sum strategies (signers summed, non-signers subtracted).
	for _, signers := range [][]int{seq(0, 10), {0, 1, 2, 3, 4, 5, 6}, {3, 4, 5, 6, 7, 8, 9}} {
		if err := tn.c.VerifyCertificate(tn.certify(t, msg, signers...), IntentBlobCertification); err != nil {
			t.Errorf("signers %v: %v", signers, err)
		}
	}
	if err := tn.c.VerifyCertificate(tn.certify(t, inv, 0, 2, 4, 8, 9), IntentInvalidBlobID); err != nil {
		t.Errorf("few signers: %v", err)
	}
}

func TestParseCertificateRejects(t *testing.T) {
	tn := newTestNet(t, 5, uniform(4, 1))
	msg := (&InvalidBlobID{Epoch: 5}).Marshal()
	good := tn.certify(t, msg, 0, 1).MarshalBCS()
	sig := good[len(good)-96:]
	build := func(signers []uint16, m []byte, s []byte) []byte {
		e := bcs.NewEncoder(0)
		e.ULEB(uint32(len(signers)))
		for _, x := range signers {
			e.U16(x)
		}
		e.ByteVec(m)
		e.Fixed(s)
		return e.Bytes()
	}
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, bcs.ErrShort},
		{"trailing", append(bytes.Clone(good), 0), bcs.ErrTrailing},
		{"short", good[:len(good)-1], bcs.ErrShort},
		{"huge signer count", bcs.AppendULEB(nil, 1<<20), bcs.ErrTooLong},
		{"signer count beyond input", bcs.AppendULEB(nil, 1000), bcs.ErrShort},
		{"no signers", build(nil, msg, sig), ErrNoSigners},
		{"duplicate", build([]uint16{1, 1}, msg, sig), ErrDuplicateSigner},
		{"unsorted", build([]uint16{1, 0}, msg, sig), ErrUnsortedSigners},
		{"message too long", build([]uint16{0}, make([]byte, MaxMessageSize+1), sig), bcs.ErrTooLong},
		{"identity signature", build([]uint16{0}, msg, append([]byte{0xc0}, make([]byte, 95)...)), bls.ErrInvalidSignature},
	}
	for _, tc := range tests {
		if _, err := ParseCertificate(tc.in); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	for name, in := range map[string]string{
		"missing signature": `{"signers":[0],"serializedMessage":"AAAA"}`,
		"unsorted":          `{"signers":[1,0],"serializedMessage":"AAAA","signature":"` + bls64(sig) + `"}`,
		"negative signer":   `{"signers":[-1],"serializedMessage":"AAAA","signature":"` + bls64(sig) + `"}`,
		"bad base64":        `{"signers":[0],"serializedMessage":"A","signature":"` + bls64(sig) + `"}`,
	} {
		var c Certificate
		if err := json.Unmarshal([]byte(in), &c); err == nil {
			t.Errorf("JSON %s accepted", name)
		}
	}
	oc := &OnChainCertificate{SignersBitmap: []byte{1}, Message: msg}
	if _, err := oc.Certificate(4); !errors.Is(err, ErrMalformed) {
		t.Errorf("on-chain zero signature: %v", err)
	}
	oc.Message = make([]byte, MaxMessageSize+1)
	if _, err := oc.Certificate(4); !errors.Is(err, ErrMessageTooLong) {
		t.Errorf("on-chain long message: %v", err)
	}
	if _, err := tn.certify(t, msg, 0).OnChain(0); !errors.Is(err, ErrInvalidCommitteeLen) {
		t.Errorf("OnChain(0): %v", err)
	}
}

func bls64(b []byte) string {
	s, _ := json.Marshal(b)
	return string(s[1 : len(s)-1])
}

func FuzzParseCertificate(f *testing.F) {
	tn := newTestNet(f, 5, uniform(4, 1))
	f.Add(tn.certify(f, (&InvalidBlobID{Epoch: 5}).Marshal(), 0, 1).MarshalBCS())
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCertificate(b)
		if err != nil {
			return
		}
		if out := c.MarshalBCS(); !bytes.Equal(out, b) {
			t.Fatalf("accepted %x, which re-encodes as %x", b, out)
		}
		_ = tn.c.VerifyCertificate(c, IntentInvalidBlobID) // must not panic
	})
}

func FuzzCertificateJSON(f *testing.F) {
	tn := newTestNet(f, 5, uniform(4, 1))
	js, _ := json.Marshal(tn.certify(f, (&InvalidBlobID{Epoch: 5}).Marshal(), 0, 1))
	f.Add(js)
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Certificate
		if err := json.Unmarshal(b, &c); err != nil {
			return
		}
		if _, err := ParseCertificate(c.MarshalBCS()); err != nil {
			t.Fatalf("JSON-accepted certificate fails BCS: %v", err)
		}
	})
}

func FuzzParseSignersBitmap(f *testing.F) {
	f.Add([]byte{0x81, 0x01}, uint16(9))
	f.Fuzz(func(t *testing.T, bm []byte, members uint16) {
		signers, err := ParseSignersBitmap(bm, int(members))
		if err != nil {
			return
		}
		out, err := SignersBitmap(signers, int(members))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out[:len(bm)], bm) || slices.ContainsFunc(out[len(bm):], func(b byte) bool { return b != 0 }) {
			t.Fatalf("bitmap %x re-encodes as %x", bm, out)
		}
	})
}
