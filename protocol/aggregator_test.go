package protocol

import (
	"errors"
	"sync"
	"testing"
)

func TestAggregator(t *testing.T) {
	tn := newTestNet(t, 2, []int{5, 1, 1, 1, 1, 1}) // 10 shards, quorum 7
	msg := (&StorageConfirmation{Epoch: 2, BlobID: blobID(1)}).Marshal()
	a, err := NewAggregator(tn.c, msg)
	if err != nil {
		t.Fatal(err)
	}
	if a.Threshold() != Quorum {
		t.Fatalf("threshold %v", a.Threshold())
	}
	if _, err := a.Certificate(); !errors.Is(err, ErrInsufficientWeight) {
		t.Fatalf("empty Certificate: %v", err)
	}
	add := func(i int, m []byte, want error) bool {
		t.Helper()
		done, err := a.Add(i, Sign(tn.sks[i], m))
		if !errors.Is(err, want) {
			t.Fatalf("Add(%d): err = %v, want %v", i, err, want)
		}
		return done
	}
	if add(3, msg, nil) {
		t.Fatal("reached after 1 shard")
	}
	add(3, msg, ErrDuplicateSigner)
	other := (&StorageConfirmation{Epoch: 2, BlobID: blobID(2)}).Marshal()
	add(4, other, ErrMessageMismatch)
	// A signature by the wrong key.
	if _, err := a.Add(4, Sign(tn.sks[5], msg)); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("wrong key: %v", err)
	}
	if _, err := a.Add(6, Sign(tn.sks[5], msg)); !errors.Is(err, ErrSignerOutOfRange) {
		t.Fatalf("out of range: %v", err)
	}
	if _, err := a.Add(-1, Sign(tn.sks[5], msg)); !errors.Is(err, ErrSignerOutOfRange) {
		t.Fatalf("negative: %v", err)
	}
	if _, err := a.AddFrom(NodeID{0xee}, Sign(tn.sks[5], msg)); !errors.Is(err, ErrUnknownNode) {
		t.Fatalf("unknown node: %v", err)
	}
	if a.Weight() != 1 || a.Reached() {
		t.Fatalf("weight %d after failures", a.Weight())
	}
	if add(1, msg, nil) {
		t.Fatal("reached after 2 shards")
	}
	if _, err := a.AddFrom(tn.c.Member(0).NodeID, Sign(tn.sks[0], msg)); err != nil {
		t.Fatal(err)
	}
	if !a.Reached() || a.Weight() != 7 {
		t.Fatalf("weight %d, reached %v", a.Weight(), a.Reached())
	}
	cert, err := a.Certificate()
	if err != nil {
		t.Fatal(err)
	}
	if len(cert.Signers) != 3 || cert.Signers[0] != 0 || cert.Signers[1] != 1 || cert.Signers[2] != 3 {
		t.Fatalf("signers %v", cert.Signers)
	}
	if err := tn.c.VerifyCertificate(cert, IntentBlobCertification); err != nil {
		t.Fatal(err)
	}

	// Messages the aggregator refuses to start on.
	for name, tc := range map[string]struct {
		msg  []byte
		want error
	}{
		"wrong epoch":  {(&StorageConfirmation{Epoch: 3}).Marshal(), ErrWrongEpoch},
		"sync shard":   {(&SyncShardRequest{Epoch: 2}).Marshal(), ErrNotCertifiable},
		"malformed":    {msg[:3], ErrMalformed},
		"unknown kind": {append([]byte{8}, msg[1:]...), ErrUnknownIntent},
	} {
		if _, err := NewAggregator(tn.c, tc.msg); !errors.Is(err, tc.want) {
			t.Errorf("NewAggregator %s: %v", name, err)
		}
	}
}

// TestAggregatorConcurrent feeds an aggregator from one goroutine per node,
// with every node sending twice; run with -race.
func TestAggregatorConcurrent(t *testing.T) {
	tn := newTestNet(t, 1, uniform(12, 2))
	msg := (&InvalidBlobID{Epoch: 1, BlobID: blobID(3)}).Marshal()
	a, err := NewAggregator(tn.c, msg)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	dups := 0
	for i := range tn.c.Len() {
		sm := Sign(tn.sks[i], msg)
		for range 2 {
			wg.Go(func() {
				_, err := a.Add(i, sm)
				if errors.Is(err, ErrDuplicateSigner) {
					mu.Lock()
					dups++
					mu.Unlock()
				} else if err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	if dups != tn.c.Len() || a.Weight() != 24 {
		t.Fatalf("%d duplicates, weight %d", dups, a.Weight())
	}
	cert, err := a.Certificate()
	if err != nil {
		t.Fatal(err)
	}
	if err := tn.c.VerifyCertificate(cert, IntentInvalidBlobID); err != nil {
		t.Fatal(err)
	}
}
