package bls

import (
	"crypto/sha256"
	"fmt"
	"testing"

	circl "github.com/cloudflare/circl/sign/bls"
)

// TestCrossCheckCircl compares keys, signatures and aggregates with
// Cloudflare's CIRCL, an independent BLS12-381 implementation (test-only
// dependency).
func TestCrossCheckCircl(t *testing.T) {
	salt := sha256.Sum256([]byte("BLS-SIG-KEYGEN-SALT-"))
	var ours []*Signature
	var theirs []circl.Signature
	var theirPKs []*circl.PublicKey[circl.KeyG1SigG2]
	msg := []byte("a common message for aggregation")
	for i := range 8 {
		ikm := sha256.Sum256(fmt.Appendf(nil, "seed %d", i))
		sk, err := KeyFromSeed(ikm[:])
		if err != nil {
			t.Fatal(err)
		}
		csk, err := circl.KeyGen[circl.KeyG1SigG2](ikm[:], salt[:], nil)
		if err != nil {
			t.Fatal(err)
		}
		cskb, _ := csk.MarshalBinary()
		if skb := sk.Bytes(); string(skb[:]) != string(cskb) {
			t.Fatalf("key %d: secret %x, circl %x", i, skb, cskb)
		}
		cpk := csk.PublicKey()
		cpkb, _ := cpk.MarshalBinary()
		if pkb := sk.PublicKey().Bytes(); string(pkb[:]) != string(cpkb) {
			t.Fatalf("key %d: public %x, circl %x", i, pkb, cpkb)
		}
		for _, m := range [][]byte{nil, []byte("x"), msg, make([]byte, 300)} {
			sig := sk.Sign(m)
			csig := circl.Sign(csk, m)
			sb := sig.Bytes()
			if string(sb[:]) != string(csig) {
				t.Fatalf("key %d msg %q: signature %x, circl %x", i, m, sb, csig)
			}
			if !circl.Verify(cpk, m, sb[:]) {
				t.Fatal("circl rejects our signature")
			}
		}
		ours = append(ours, sk.Sign(msg))
		theirs = append(theirs, circl.Sign(csk, msg))
		theirPKs = append(theirPKs, cpk)
	}
	agg, err := AggregateSignatures(ours...)
	if err != nil {
		t.Fatal(err)
	}
	cagg, err := circl.Aggregate(circl.KeyG1SigG2{}, theirs)
	if err != nil {
		t.Fatal(err)
	}
	if ab := agg.Bytes(); string(ab[:]) != string(cagg) {
		t.Fatalf("aggregate %x, circl %x", ab, cagg)
	}
	msgs := make([][]byte, len(theirPKs))
	for i := range msgs {
		msgs[i] = msg
	}
	if !circl.VerifyAggregate(theirPKs, msgs, cagg) {
		t.Fatal("circl rejects the aggregate")
	}
}
