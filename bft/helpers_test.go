package bft

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"strings"
	"testing"
	"time"

	chainclient "github.com/walrus-go/walrus/chain/client"
	sdk "github.com/walrus-go/walrus/client"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/internal/cluster"
	"github.com/walrus-go/walrus/nodeapi"
)

func TestMain(m *testing.M) {
	code := m.Run()
	cluster.RemoveBuild()
	os.Exit(code)
}

// env is one test's network: the cluster, a chain client over validator 0
// and an SDK client.
type env struct {
	t   *testing.T
	ctx context.Context
	c   *cluster.Cluster
	cc  *chainclient.Client
	cl  *sdk.Client
}

// start runs a four-node network for the test (skipped under -short: it
// builds the binary and runs eight processes). The test's context ends
// after limit, a guard against a hang, not a timed assertion.
func start(t *testing.T, limit time.Duration) *env {
	t.Helper()
	if testing.Short() {
		t.Skip("multi-process network test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel)
	c, err := cluster.Start(ctx, cluster.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(c.Logs(60))
		}
		c.Close()
	})
	cc, err := c.ChainClient(0)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := c.Client(0, "account-0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return &env{t: t, ctx: ctx, c: c, cc: cc, cl: cl}
}

// sub makes e report to subtest t until the returned function runs.
func (e *env) sub(t *testing.T) func() {
	parent := e.t
	e.t = t
	return func() { e.t = parent }
}

func randomBlob(seed int64, n int) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

// waitFor polls cond until it holds or the test's context ends; cond's
// message says what it last saw.
func (e *env) waitFor(what string, cond func() (bool, string)) {
	e.t.Helper()
	for {
		ok, msg := cond()
		if ok {
			return
		}
		select {
		case <-e.ctx.Done():
			e.t.Fatalf("waiting for %s: %s", what, msg)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// store stores blob with the SDK client and checks the result.
func (e *env) store(blob []byte) encoding.BlobID {
	e.t.Helper()
	res, err := e.cl.Store(e.ctx, blob, sdk.StoreOptions{Epochs: 3, Permanent: true})
	if err != nil {
		e.t.Fatalf("store of %d bytes: %v", len(blob), err)
	}
	return res.BlobID()
}

// read reads id with a fresh SDK client (no state from earlier reads) and
// checks the bytes.
func (e *env) read(id encoding.BlobID, want []byte) {
	e.t.Helper()
	cl, err := e.c.Client(0, "account-1", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	defer cl.Close()
	got, err := cl.Read(e.ctx, id, sdk.ReadOptions{})
	if err != nil {
		e.t.Fatalf("read %s: %v", id, err)
	}
	if !bytes.Equal(got, want) {
		e.t.Fatalf("read %s: %d bytes differ from the %d stored", id, len(got), len(want))
	}
}

// missing lists the slivers of blob enc that node sn's owned shards lack
// or hold with other bytes (asked past the proxy). Empty means the node
// holds every sliver of its shards, exactly.
func (e *env) missing(sn *cluster.StorageNode, enc *encoding.EncodedBlob) []string {
	shards, err := sn.OwnedShards(e.ctx)
	if err != nil {
		return []string{err.Error()}
	}
	id := enc.Metadata.BlobID
	var out []string
	for _, s := range shards {
		pair := enc.PairForShard(int(s))
		for _, want := range []encoding.Sliver{pair.Primary, pair.Secondary} {
			got, err := sn.Direct.GetSliver(e.ctx, id, uint16(pair.PairIndex()), want.Type)
			switch {
			case err != nil:
				out = append(out, fmt.Sprintf("shard %d %s: %v", s, want.Type, err))
			case got.Index != want.Index || !bytes.Equal(got.Data, want.Data):
				out = append(out, fmt.Sprintf("shard %d %s: wrong sliver", s, want.Type))
			}
		}
	}
	return out
}

// waitHolds waits until node sn holds every sliver of its shards of enc.
func (e *env) waitHolds(sn *cluster.StorageNode, enc *encoding.EncodedBlob) {
	e.t.Helper()
	e.waitFor(sn.Name+" to hold every sliver of its shards", func() (bool, string) {
		m := e.missing(sn, enc)
		return len(m) == 0, fmt.Sprintf("%d missing, first %v", len(m), first(m))
	})
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// encode encodes blob as the network does (to compare slivers).
func (e *env) encode(blob []byte) *encoding.EncodedBlob {
	e.t.Helper()
	enc, err := encoding.Encode(blob, e.c.Shards)
	if err != nil {
		e.t.Fatal(err)
	}
	return enc
}

// metric returns a node's sample (0 if absent).
func (e *env) metric(sn *cluster.StorageNode, sample string) float64 {
	e.t.Helper()
	m, err := sn.Metrics(e.ctx)
	if err != nil {
		e.t.Fatalf("%s metrics: %v", sn.Name, err)
	}
	return m[sample]
}

// metricSum adds a node's samples whose name starts with prefix.
func (e *env) metricSum(sn *cluster.StorageNode, prefix string) float64 {
	e.t.Helper()
	m, err := sn.Metrics(e.ctx)
	if err != nil {
		e.t.Fatalf("%s metrics: %v", sn.Name, err)
	}
	var sum float64
	for k, v := range m {
		if strings.HasPrefix(k, prefix) {
			sum += v
		}
	}
	return sum
}

// status returns the blob's status as node sn reports it.
func (e *env) status(sn *cluster.StorageNode, id encoding.BlobID) (nodeapi.BlobStatus, error) {
	return sn.Direct.BlobStatus(e.ctx, id)
}
