package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/chain/abci"
	"github.com/walrus-go/walrus/crypto/bls"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/protocol"
)

// benchAccountsFlag is the number of accounts submitting in parallel.
var benchAccountsFlag = flag.Int("bench-accounts", 64, "accounts submitting in parallel in BenchmarkNodeRegisterCertify")

// BenchmarkNodeRegisterCertify measures blobs registered and certified per
// second through one embedded validator (default 100 ms blocks) and the
// client: -bench-accounts accounts (64) in parallel, each broadcasting a
// register transaction then a certify transaction (a certificate of the
// whole 4-member committee, aggregated by protocol.Aggregator and verified
// on chain with a pairing check in CheckTx and in the block) and waiting
// for the certify transaction's inclusion. Storage is bought and the
// certificates are signed before the timer starts. It reports certified
// blobs per second and the certify transaction's broadcast-to-inclusion
// latency (median and 99th percentile).
//
// Each account certifies about one blob per block, so the rate is bounded by
// accounts / block interval until the validator's CPU is the limit.
//
//	go test -run XXX -bench NodeRegisterCertify -benchtime 3000x ./chain/client
//	go test -run XXX -bench NodeRegisterCertify -benchtime 6000x ./chain/client -args -bench-accounts 256
func BenchmarkNodeRegisterCertify(b *testing.B) {
	benchAccounts := *benchAccountsFlag
	ctx := context.Background()
	home := b.TempDir()
	nShards := uint16(100)
	g := &chain.Genesis{
		ChainID: "walrus-bench", GenesisTime: time.Now().Add(-time.Second).UTC().Truncate(time.Millisecond), NShards: nShards,
		EpochDuration: time.Hour, MaxEpochsAhead: 10, MinFee: 1, FaucetEnabled: false,
	}
	var sks []*bls.SecretKey
	for i := range 4 {
		sk, err := bls.KeyFromSeed(bytes.Repeat([]byte{byte(i + 1)}, 32))
		if err != nil {
			b.Fatal(err)
		}
		sks = append(sks, sk)
		op := edKey(byte(40 + i))
		g.Nodes = append(g.Nodes, chain.GenesisNode{
			Operator: addrOf(op), Name: fmt.Sprint("n", i), NetworkAddress: "127.0.0.1:1", PublicKey: sk.PublicKey().Bytes(),
			NetworkPublicKey: []byte{1}, Stake: 100 * chain.FrostPerWAL, StoragePrice: 10, WritePrice: 10, Capacity: 1 << 50,
		})
	}
	users := make([]ed25519.PrivateKey, benchAccounts)
	for i := range users {
		var seed [32]byte
		seed[0], seed[1] = byte(i), 0xbe
		users[i] = ed25519.NewKeyFromSeed(seed[:])
		g.Balances = append(g.Balances, chain.GenesisBalance{Address: addrOf(users[i]), Amount: 1_000_000 * chain.FrostPerWAL})
	}
	node, err := abci.StartNode(abci.NodeConfig{Home: home, Genesis: g})
	if err != nil {
		b.Fatal(err)
	}
	defer node.Close()
	c, err := New(Config{RPC: node.Client(), ChainID: g.ChainID, MinFee: 1, PollInterval: 10 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	com, err := c.ProtocolCommittee(ctx, chain.CommitteeCurrent)
	if err != nil {
		b.Fatal(err)
	}
	sys, err := c.System(ctx)
	if err != nil {
		b.Fatal(err)
	}
	size := uint64(1000)
	enc, err := encoding.EncodedBlobLength(size, int(nShards))
	if err != nil {
		b.Fatal(err)
	}

	// Per account: storage for its blobs, then the register and certify
	// transactions, signed ahead.
	per := (b.N + benchAccounts - 1) / benchAccounts
	type job struct{ reg, cert []byte }
	jobs := make([][]job, benchAccounts)
	var wg sync.WaitGroup
	errs := make(chan error, benchAccounts)
	for u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var storages []chain.ObjectID
			for len(storages) < per {
				k := min(per-len(storages), chain.MaxMessages)
				msgs := make([]chain.Msg, k)
				for i := range msgs {
					msgs[i] = &chain.MsgReserveSpace{Size: enc, EpochsAhead: 2}
				}
				inc, err := c.Send(ctx, users[u], msgs...)
				if err != nil {
					errs <- err
					return
				}
				for i := range k {
					storages = append(storages, chain.DeriveObjectID(inc.Hash, uint32(i)))
				}
			}
			acc, err := c.Account(ctx, addrOf(users[u]))
			if err != nil {
				errs <- err
				return
			}
			seq := acc.Sequence
			for i := range per {
				root := [32]byte{byte(u), byte(i), byte(i >> 8), 0xbe}
				id := encoding.DeriveBlobID(encoding.EncodingTypeRS2, size, root)
				reg := &chain.Tx{Sequence: seq, Fee: 1, Msgs: []chain.Msg{&chain.MsgRegisterBlob{
					Storage: storages[i], BlobID: id, RootHash: root, Size: size, EncodingType: encoding.EncodingTypeRS2, Deletable: true}}}
				reg.Sign(g.ChainID, users[u])
				rawReg := reg.Encode()
				obj := chain.DeriveObjectID(chain.TxHash(rawReg), 0)
				msg := (&protocol.StorageConfirmation{Epoch: sys.Epoch, BlobID: id, Deletable: true, ObjectID: obj}).Marshal()
				oc, err := aggregate(com, sks, msg)
				if err != nil {
					errs <- err
					return
				}
				cert := &chain.Tx{Sequence: seq + 1, Fee: 1, Msgs: []chain.Msg{&chain.MsgCertifyBlob{Blob: obj, Cert: *oc}}}
				cert.Sign(g.ChainID, users[u])
				jobs[u] = append(jobs[u], job{rawReg, cert.Encode()})
				seq += 2
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}

	lat := make([][]time.Duration, benchAccounts)
	errs = make(chan error, benchAccounts)
	b.ResetTimer()
	start := time.Now()
	done := 0
	for u := range users {
		n := min(per, b.N-done)
		done += n
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, j := range jobs[u][:n] {
				if err := c.Broadcast(ctx, j.reg); err != nil {
					errs <- err
					return
				}
				t0 := time.Now()
				if err := c.Broadcast(ctx, j.cert); err != nil {
					errs <- err
					return
				}
				inc, err := c.WaitIncluded(ctx, j.cert)
				if err != nil {
					errs <- err
					return
				}
				if len(inc.Events) != 1 || inc.Events[0].Event.Kind() != chain.KindBlobCertified {
					errs <- fmt.Errorf("certify events %+v", inc.Events)
					return
				}
				lat[u] = append(lat[u], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	all := slices.Sorted(slices.Values(slices.Concat(lat...)))
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "certified/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
}

// aggregate has every member sign msg and returns the on-chain certificate.
func aggregate(com *protocol.Committee, sks []*bls.SecretKey, msg []byte) (*chain.Certificate, error) {
	agg, err := protocol.NewAggregator(com, msg)
	if err != nil {
		return nil, err
	}
	for i := range com.Len() {
		for _, sk := range sks {
			if sk.PublicKey().Equal(com.Member(i).PublicKey) {
				if _, err := agg.Add(i, protocol.Sign(sk, msg)); err != nil {
					return nil, err
				}
			}
		}
	}
	cert, err := agg.Certificate()
	if err != nil {
		return nil, err
	}
	return cert.OnChain(com.Len())
}
