package protocol

import (
	"testing"
)

// benchNet is a 100-member committee over 1000 shards (10 each) with a
// certificate signed by 70 members (700 shards, above the quorum of 667).
func benchNet(b *testing.B) (*testNet, *Certificate) {
	tn := newTestNet(b, 1, uniform(100, 10))
	msg := (&StorageConfirmation{Epoch: 1, BlobID: blobID(7)}).Marshal()
	var signers []int
	for i := range 100 {
		if i%10 < 7 { // spread the non-signers over the committee
			signers = append(signers, i)
		}
	}
	cert := tn.certify(b, msg, signers...)
	if err := tn.c.VerifyCertificate(cert, IntentBlobCertification); err != nil {
		b.Fatal(err)
	}
	return tn, cert
}

// BenchmarkVerifyCertificate measures verifying a decoded certificate.
func BenchmarkVerifyCertificate(b *testing.B) {
	tn, cert := benchNet(b)
	b.ResetTimer()
	for b.Loop() {
		if err := tn.c.VerifyCertificate(cert, IntentBlobCertification); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyOnChainCertificate adds decoding from the on-chain form
// (bitmap, and decompressing and subgroup-checking the signature).
func BenchmarkVerifyOnChainCertificate(b *testing.B) {
	tn, cert := benchNet(b)
	oc, err := cert.OnChain(tn.c.Len())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		c, err := oc.Certificate(tn.c.Len())
		if err != nil {
			b.Fatal(err)
		}
		if err := tn.c.VerifyCertificate(c, IntentBlobCertification); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAggregatorAdd measures checking one member's signed confirmation.
func BenchmarkAggregatorAdd(b *testing.B) {
	tn, cert := benchNet(b)
	sm := Sign(tn.sks[0], cert.SerializedMessage)
	b.ResetTimer()
	for b.Loop() {
		a, err := NewAggregator(tn.c, cert.SerializedMessage)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.Add(0, sm); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewCommittee measures building (and validating) the committee.
func BenchmarkNewCommittee(b *testing.B) {
	tn, _ := benchNet(b)
	members := tn.c.Members()
	b.ResetTimer()
	for b.Loop() {
		if _, err := NewCommittee(1, 1000, members); err != nil {
			b.Fatal(err)
		}
	}
}
