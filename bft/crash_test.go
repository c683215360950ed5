package bft

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/internal/cluster"
	"github.com/walrus-go/walrus/nodeapi"
)

// TestCrashWhileReceiving SIGKILLs a storage node while a writer uploads
// slivers to it (a registered blob that is never certified, so no blob
// sync can hide a lost write). After the restart every sliver the node
// acknowledged is there, byte for byte, and it takes the rest.
func TestCrashWhileReceiving(t *testing.T) {
	e := start(t, 6*time.Minute)
	victim := e.c.Nodes[1]
	blob := randomBlob(40, 8<<20)
	enc := e.encode(blob)
	md := enc.Metadata
	id := md.BlobID
	wallet, err := e.c.Wallet("account-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cluster.Register(e.ctx, e.cc, wallet, md, 3); err != nil {
		t.Fatal(err)
	}
	e.waitFor(victim.Name+" to see the registration", func() (bool, string) {
		st, err := victim.Direct.BlobStatus(e.ctx, id)
		return err == nil && st.Kind == nodeapi.StatusPermanent, fmt.Sprintf("%+v %v", st, err)
	})
	if r, err := victim.Direct.PutMetadata(e.ctx, md); err != nil || r != nodeapi.PutStored {
		t.Fatalf("metadata: %v %v", r, err)
	}
	shards, err := victim.OwnedShards(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	type job struct {
		pair uint16
		sl   encoding.Sliver
	}
	var jobs []job
	for _, s := range shards {
		p := enc.PairForShard(int(s))
		jobs = append(jobs, job{uint16(p.PairIndex()), p.Primary}, job{uint16(p.PairIndex()), p.Secondary})
	}

	// Six uploads at a time; the node is killed once a fifth of them
	// were acknowledged, with others in flight.
	var (
		mu     sync.Mutex
		acked  []job
		failed int
		killed = make(chan struct{})
		once   sync.Once
	)
	queue := make(chan job)
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			for j := range queue {
				r, err := victim.Direct.PutSliver(e.ctx, id, j.pair, &j.sl)
				mu.Lock()
				if err == nil && r == nodeapi.PutStored {
					acked = append(acked, j)
				} else {
					failed++
				}
				k := len(acked)
				mu.Unlock()
				if k >= len(jobs)/5 {
					once.Do(func() {
						if err := victim.Kill(); err != nil {
							t.Error(err)
						}
						close(killed)
					})
				}
			}
		})
	}
	for _, j := range jobs {
		queue <- j
	}
	close(queue)
	wg.Wait()
	<-killed
	t.Logf("%d of %d sliver uploads acknowledged before the SIGKILL, %d failed", len(acked), len(jobs), failed)
	if len(acked) == len(jobs) {
		t.Fatal("every upload finished before the kill: the crash did not interrupt them")
	}

	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	if err := victim.WaitReady(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := victim.Direct.GetMetadata(e.ctx, id, e.c.Shards); err != nil || got.BlobID != id {
		t.Fatalf("acknowledged metadata after the crash: %v", err)
	}
	ackedSet := map[string]bool{}
	for _, j := range acked {
		got, err := victim.Direct.GetSliver(e.ctx, id, j.pair, j.sl.Type)
		if err != nil {
			t.Fatalf("acknowledged %s sliver of pair %d lost: %v", j.sl.Type, j.pair, err)
		}
		if got.Index != j.sl.Index || !bytes.Equal(got.Data, j.sl.Data) {
			t.Fatalf("acknowledged %s sliver of pair %d changed", j.sl.Type, j.pair)
		}
		ackedSet[fmt.Sprint(j.pair, j.sl.Type)] = true
	}
	// The rest uploads now; the store took no damage.
	for _, j := range jobs {
		if ackedSet[fmt.Sprint(j.pair, j.sl.Type)] {
			continue
		}
		if _, err := victim.Direct.PutSliver(e.ctx, id, j.pair, &j.sl); err != nil {
			t.Fatalf("upload after restart: %v", err)
		}
	}
	if _, err := victim.Direct.PermanentConfirmation(e.ctx, id); err != nil {
		t.Fatalf("confirmation once every sliver is in: %v", err)
	}
}

// TestValidatorKilledAndRestarted SIGKILLs one validator of four: the
// chain keeps committing, a blob is stored meanwhile (its node, whose
// validator is down, misses the events); after the restart the validator
// catches up and its storage node recovers the blob's slivers.
func TestValidatorKilledAndRestarted(t *testing.T) {
	e := start(t, 6*time.Minute)
	v := e.c.Validators[3]
	sn := e.c.Nodes[3] // follows v's RPC
	h0, err := e.c.Height(e.ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := e.c.WaitValidator(e.ctx, e.c.Validators[0], h0+10); err != nil {
		t.Fatalf("the chain stopped with one validator of four down: %v", err)
	}
	blob := randomBlob(50, 400_000)
	enc := e.encode(blob)
	id := e.store(blob)
	e.checkCertified(id)
	e.read(id, blob)
	if _, err := sn.API.PermanentConfirmation(e.ctx, id); err == nil {
		t.Log(sn.Name + " confirmed although its validator is down (it saw the registration before)")
	}
	h1, err := e.c.Height(e.ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	if err := v.Start(); err != nil {
		t.Fatal(err)
	}
	if err := e.c.WaitValidator(e.ctx, v, h1); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s caught up %d blocks (%d → %d) in %v", v.Name, h1-h0, h0, h1, time.Since(begin).Round(time.Millisecond))
	e.waitHolds(sn, enc)
	t.Logf("%s holds the blob stored while its validator was down, %v after the restart", sn.Name, time.Since(begin).Round(time.Millisecond))
	if err := sn.WaitReady(e.ctx); err != nil {
		t.Fatal(err)
	}

	// A hung validator (SIGSTOP) is no different: the chain goes on and a
	// store succeeds; resumed, it catches up.
	hung := e.c.Validators[2]
	if err := hung.Pause(); err != nil {
		t.Fatal(err)
	}
	h2, err := e.c.Height(e.ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.c.WaitValidator(e.ctx, e.c.Validators[0], h2+5); err != nil {
		t.Fatalf("the chain stopped with one validator hung: %v", err)
	}
	blob2 := randomBlob(51, 100_000)
	enc2 := e.encode(blob2)
	e.read(e.store(blob2), blob2)
	if err := hung.Resume(); err != nil {
		t.Fatal(err)
	}
	h3, err := e.c.Height(e.ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.c.WaitValidator(e.ctx, hung, h3); err != nil {
		t.Fatal(err)
	}
	e.waitHolds(e.c.Nodes[2], enc2)
	t.Logf("%s hung for %d blocks, caught up after SIGCONT; its storage node holds the blob stored meanwhile", hung.Name, h3-h2)
}
