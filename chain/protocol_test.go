package chain

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/walrus-go/walrus/crypto/bls"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/protocol"
)

// sk returns the BLS key of a committee member.
func (e *env) sk(id protocol.NodeID) *bls.SecretKey {
	for _, n := range e.nodes {
		if protocol.NodeID(n.nodeID) == id {
			return n.sk
		}
	}
	e.t.Fatalf("no key for node %x", id)
	return nil
}

// aggregate has members of the current committee sign msg, in signer order,
// until the Aggregator reaches the intent's threshold (or every member has
// signed if all), and returns the certificate in its on-chain form after a
// round trip through protocol's BCS encoding.
func (e *env) aggregate(msg []byte, all bool) (*protocol.Committee, *Certificate) {
	e.t.Helper()
	com, err := ProtocolCommittee(e.committee(keyCommitteeCur))
	if err != nil {
		e.t.Fatal(err)
	}
	agg, err := protocol.NewAggregator(com, msg)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := range com.Len() {
		// Each node signs and ships a SignedMessage (BCS) to the client.
		sm, err := protocol.ParseSignedMessage(protocol.Sign(e.sk(com.Member(i).NodeID), msg).MarshalBCS())
		if err != nil {
			e.t.Fatal(err)
		}
		done, err := agg.Add(i, sm)
		if err != nil {
			e.t.Fatal(err)
		}
		if done && !all {
			break
		}
	}
	cert, err := agg.Certificate()
	if err != nil {
		e.t.Fatal(err)
	}
	if cert, err = protocol.ParseCertificate(cert.MarshalBCS()); err != nil {
		e.t.Fatal(err)
	}
	if err := com.VerifyCertificate(cert, mustHeader(e.t, msg).Intent); err != nil {
		e.t.Fatal(err)
	}
	oc, err := cert.OnChain(com.Len())
	if err != nil {
		e.t.Fatal(err)
	}
	return com, oc
}

func mustHeader(t testing.TB, msg []byte) protocol.Header {
	h, _, err := protocol.ParseHeader(msg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestProtocolCertificates: storage confirmations made by protocol and
// aggregated by protocol.Aggregator certify blobs on chain (permanent and
// deletable, by a bare quorum and by everyone, before and after an epoch
// change), and an f+1 invalid-blob certificate from protocol invalidates a
// blob ID.
func TestProtocolCertificates(t *testing.T) {
	e := newEnv(t)
	size := uint64(2048)
	register := func(seed byte, deletable bool) (ObjectID, BlobID) {
		r := e.ok(alice, &MsgReserveSpace{Size: encodedSize(t, size), EpochsAhead: 3})
		id, root := testBlob(seed, size)
		r = e.ok(alice, &MsgRegisterBlob{Storage: created(r, 0), BlobID: id, RootHash: root, Size: size,
			EncodingType: encoding.EncodingTypeRS2, Deletable: deletable})
		return created(r, 0), id
	}
	certify := func(seed byte, deletable, all bool) {
		t.Helper()
		obj, id := register(seed, deletable)
		conf := &protocol.StorageConfirmation{Epoch: e.sys().Epoch, BlobID: id, Deletable: deletable}
		if deletable {
			conf.ObjectID = obj
		}
		com, oc := e.aggregate(conf.Marshal(), all)
		if !all && len(oc.SignersBitmap) > 0 && oc.SignersBitmap[0] == 1<<com.Len()-1 {
			t.Fatal("a bare quorum should not need every member")
		}
		r := e.ok(alice, &MsgCertifyBlob{Blob: obj, Cert: *oc})
		want := &BlobCertified{Epoch: e.sys().Epoch, BlobID: id, EndEpoch: e.object(obj).Blob.Storage.End, Deletable: deletable, ObjectID: obj}
		if len(r.Events) != 1 || !reflect.DeepEqual(r.Events[0], want) {
			t.Fatalf("events %+v, want %+v", r.Events, want)
		}
		// The certificate of another blob does not certify it.
		obj2, _ := register(seed+100, deletable)
		e.fail(ErrCertificate, alice, &MsgCertifyBlob{Blob: obj2, Cert: *oc})
	}
	certify(1, false, false)
	certify(2, true, false)
	certify(3, true, true)

	// A confirmation signed for the wrong epoch does not verify on chain.
	obj, id := register(9, false)
	stale := (&protocol.StorageConfirmation{Epoch: e.sys().Epoch, BlobID: id}).Marshal()
	_, oc := e.aggregate(stale, true)

	e.runEpoch()
	e.syncAll()
	e.fail(ErrCertificate, alice, &MsgCertifyBlob{Blob: obj, Cert: *oc})
	certify(4, true, false) // the new epoch's committee, cached afresh

	// Invalid blob ID: f+1 of the shards suffice.
	bad, _ := testBlob(42, 7)
	inv := (&protocol.InvalidBlobID{Epoch: e.sys().Epoch, BlobID: bad}).Marshal()
	com, oc := e.aggregate(inv, false)
	cert, err := oc.Certificate(com.Len())
	if err != nil {
		t.Fatal(err)
	}
	if err := com.VerifyCertificate(cert, protocol.IntentBlobCertification); !errors.Is(err, protocol.ErrWrongIntent) {
		t.Fatalf("invalid-blob certificate as a blob certificate: %v", err)
	}
	if err := com.VerifyCertificateThreshold(cert, protocol.IntentInvalidBlobID, protocol.Quorum); !errors.Is(err, protocol.ErrInsufficientWeight) {
		t.Fatalf("test wants an f+1 certificate below quorum: %v", err)
	}
	r := e.ok(bob, &MsgInvalidateBlob{Cert: *oc})
	if want := (&InvalidBlobID{Epoch: e.sys().Epoch, BlobID: bad}); len(r.Events) != 1 || !reflect.DeepEqual(r.Events[0], want) {
		t.Fatalf("events %+v", r.Events)
	}
	if _, ok, _ := e.store.Get(InvalidBlobKey(bad)); !ok {
		t.Fatal("invalid blob not recorded")
	}
}

// TestProtocolPossession: a proof of possession made by the bls package
// over protocol's message registers a candidate, and the message chain
// verifies is protocol.ProofOfPossession byte for byte.
func TestProtocolPossession(t *testing.T) {
	e := newEnv(t)
	sk := blsKey(t, 77)
	cur := e.sys().Epoch
	pop := protocol.ProofOfPossession{Epoch: cur, SuiAddress: addrOf(bob), PublicKey: sk.PublicKey()}
	sig := sk.Sign(pop.Marshal())
	if err := verifyPossession(cur, addrOf(bob), sk.PublicKey().Bytes(), sig.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := verifyPossession(cur+1, addrOf(bob), sk.PublicKey().Bytes(), sig.Bytes()); !errors.Is(err, ErrPossession) {
		t.Fatalf("other epoch: %v", err)
	}
	e.ok(bob, &MsgRegisterCandidate{Name: "p", NetworkAddress: "h:3", PublicKey: sk.PublicKey().Bytes(),
		NetworkPublicKey: []byte{1}, ProofOfPossession: sig.Bytes(), StoragePrice: 1, WritePrice: 1, Capacity: 1})
}

// TestCertificateCache: a certificate verified once (in CheckTx) is not
// verified again, but only byte-identical certificates under a
// byte-identical committee of the current epoch benefit.
func TestCertificateCache(t *testing.T) {
	e := newEnv(t)
	size := uint64(100)
	r := e.ok(alice, &MsgReserveSpace{Size: encodedSize(t, size), EpochsAhead: 3})
	id, root := testBlob(5, size)
	r = e.ok(alice, &MsgRegisterBlob{Storage: created(r, 0), BlobID: id, RootHash: root, Size: size, EncodingType: 1})
	obj := created(r, 0)
	msg := CertifyMessage(e.sys().Epoch, id, false, ObjectID{})
	good := e.cert(msg, e.allSigners()...)

	b, err := e.m.BeginBlock(e.store, e.height, e.now.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if res := b.CheckTx(e.signTx(alice, &MsgCertifyBlob{Blob: obj, Cert: good})); res.Err != nil {
		t.Fatal(res.Err)
	}
	entry := e.m.committees.entries[0]
	if len(e.m.committees.entries) != 1 || len(entry.verified) != 1 {
		t.Fatalf("cache: %d committees, %d certificates", len(e.m.committees.entries), len(entry.verified))
	}
	// Same message and signers, another signature: verified, and rejected.
	bad := good
	bad.Signature = e.cert(CertifyMessage(e.sys().Epoch, id, true, obj), e.allSigners()...).Signature
	e.fail(ErrCertificate, alice, &MsgCertifyBlob{Blob: obj, Cert: bad})
	// A trailing zero byte in the bitmap is another certificate.
	long := good
	long.SignersBitmap = append(bytes.Clone(good.SignersBitmap), 0)
	e.fail(ErrCertificate, alice, &MsgCertifyBlob{Blob: obj, Cert: long})
	if len(entry.verified) != 1 {
		t.Fatalf("%d certificates cached", len(entry.verified))
	}
	e.ok(alice, &MsgCertifyBlob{Blob: obj, Cert: good})
}
