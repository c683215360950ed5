package chain

import "testing"

func TestSmoke(t *testing.T) {
	e := newEnv(t)
	s := e.sys()
	if s.Epoch != GenesisEpoch || s.StoragePrice != testPrice || s.WritePrice != testWrite {
		t.Fatalf("genesis system %+v", s)
	}
	com := e.committee(keyCommitteeCur)
	if len(com.Members) != 4 {
		t.Fatalf("committee %+v", com)
	}
	bid := e.storeBlob(alice, 1, 1000, 2, true)
	o := e.object(bid)
	if !o.Blob.Certified() {
		t.Fatal("not certified")
	}
}
