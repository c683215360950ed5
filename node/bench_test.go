package node

import (
	"testing"

	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/nodeapi"
)

// benchBlob starts the test network, registers and uploads the largest blob
// its shard count allows (primary slivers of 7 × 65534 B), and returns the
// node holding shard 0 with that shard's pair.
func benchBlob(b *testing.B) (*testNet, *runningNode, encoding.BlobID, encoding.SliverPair) {
	tn := newTestNet(b)
	p, _ := encoding.NewParams(testShards)
	enc, err := encoding.Encode(randomBlob(9, int(p.MaxBlobSize())), testShards)
	if err != nil {
		b.Fatal(err)
	}
	tn.register(enc.Metadata, false)
	tn.waitStatus(enc.Metadata.BlobID, isKind(nodeapi.StatusPermanent))
	tn.upload(enc)
	return tn, tn.nodes[tn.owner(0)], enc.Metadata.BlobID, enc.PairForShard(0)
}

// BenchmarkSliverPut measures verified, synced uploads of a primary sliver
// through the HTTPS API. Each iteration first deletes the stored sliver
// (timer stopped) so that the upload is verified and written again.
func BenchmarkSliverPut(b *testing.B) {
	tn, rn, id, pair := benchBlob(b)
	b.SetBytes(int64(len(pair.Primary.Data)))
	for b.Loop() {
		b.StopTimer()
		if err := rn.n.Store().DeleteSliver(0, encoding.Primary, id); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if r, err := rn.api.PutSliver(tn.ctx, id, uint16(pair.PairIndex()), &pair.Primary); err != nil || r != nodeapi.PutStored {
			b.Fatal(r, err)
		}
	}
}

// BenchmarkSliverGet measures primary-sliver reads through the HTTPS API
// with 2×GOMAXPROCS concurrent requests.
func BenchmarkSliverGet(b *testing.B) {
	tn, rn, id, pair := benchBlob(b)
	b.SetBytes(int64(len(pair.Primary.Data)))
	b.SetParallelism(2)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := rn.api.GetSliver(tn.ctx, id, uint16(pair.PairIndex()), encoding.Primary); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
