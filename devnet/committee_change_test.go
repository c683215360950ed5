package devnet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/walrus-go/walrus/chain"
	chainclient "github.com/walrus-go/walrus/chain/client"
	"github.com/walrus-go/walrus/client"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/storage"
)

// Issue #8's whole-system test: five nodes, four in the genesis committee and
// one registered candidate. Stake moves so that the candidate enters the
// committee of epoch 2 and a genesis node leaves it (its operator withdraws
// its whole stake); the candidate then holds exactly the leaver's shards
// (shard assignment keeps every other node's shards). Blobs of several sizes
// are stored through the SDK in epoch 1, and a reader reads every one of
// them continuously through the change, comparing bytes.
//
// TestCommitteeChange checks the clean change: the newcomer fetches the
// shards from the leaver with sync_shard (byte-identical slivers), the leaver
// removes them once the newcomer reported, a blob stored during the transfer
// goes to the new committee, rewards reach the pools as the chain's rules
// compute them, the leaver's operator withdraws its stake with its
// rewards, and a blob stored for one epoch is garbage-collected. It measures
// the shard-transfer throughput and the epoch-change duration.
//
// TestCommitteeChangeFaults crashes the newcomer mid-transfer and restarts
// it (it resumes from its stored progress: no sliver is fetched twice), then
// kills the leaver mid-transfer: the newcomer recovers the rest of the
// shards from the committee.

const (
	ccShards = 40
	ccEpoch  = 12 * time.Second // voting ends 6 s after genesis: staking must land before
	ccLeaver = 1                // the genesis node whose operator withdraws its stake
	ccNew    = 4                // the candidate
)

func TestCommitteeChange(t *testing.T) {
	if testing.Short() {
		t.Skip("whole-network test through an epoch change (about 30 s)")
	}
	testCommitteeChange(t, false)
}

func TestCommitteeChangeFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("whole-network test through an epoch change (about 25 s)")
	}
	testCommitteeChange(t, true)
}

type storedBlob struct {
	data []byte
	id   encoding.BlobID
}

func testCommitteeChange(t *testing.T, faults bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// DEVNET_EPOCH_CHANGE_MIB=N adds N MiB of blobs to the clean change
	// (in 4 MiB blobs, with a longer epoch to store them in): the
	// measurement of BENCHMARKS.md.
	// DEVNET_EPOCH_CHANGE_SMALL=N adds N blobs of 10 kB (stored 8 at a
	// time): many blobs, little data.
	extraMiB, _ := strconv.Atoi(os.Getenv("DEVNET_EPOCH_CHANGE_MIB"))
	extraSmall, _ := strconv.Atoi(os.Getenv("DEVNET_EPOCH_CHANGE_SMALL"))
	if faults {
		extraMiB, extraSmall = 0, 0
	}
	epoch := ccEpoch + time.Duration(extraMiB)*time.Second + time.Duration(extraSmall)*100*time.Millisecond
	cfg := Config{
		Dir: t.TempDir(), Nodes: 4, Candidates: 1, Shards: ccShards, EpochDuration: epoch, BlobSyncDelay: 2 * time.Second,
		ShardRecoveryAfter: time.Hour, // the clean change must be served by sync_shard alone
	}
	if faults {
		// Small sync_shard responses make many batches, so that the
		// transfer is caught in the middle; a dead owner is given up on
		// after a second.
		cfg.MaxSyncShardBytes = 32 << 10
		cfg.ShardRecoveryAfter = time.Second
	}
	nw, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := nw.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	cc := nw.Chain()
	newClient := func(w []byte) *client.Client {
		c, err := client.New(client.Config{Chain: cc, Wallet: w, HedgeDelay: 500 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	user, leaverOp, reader := newClient(nw.Wallet()), newClient(nw.Operator(ccLeaver)), newClient(nil)
	leaverID, err := nw.NodeID(ctx, ccLeaver)
	if err != nil {
		t.Fatal(err)
	}
	newID, err := nw.NodeID(ctx, ccNew)
	if err != nil {
		t.Fatal(err)
	}
	com1, err := cc.Committee(ctx, chain.CommitteeCurrent)
	if err != nil {
		t.Fatal(err)
	}
	leaverShards := memberShards(com1, leaverID)
	if len(leaverShards) == 0 || com1.Index(newID) >= 0 {
		t.Fatalf("genesis committee %+v", com1)
	}

	// Stake moves before voting ends: as much as a genesis node's on the
	// candidate, and the leaver's whole stake out.
	staked, err := user.Stake(ctx, newID, GenesisStake)
	if err != nil {
		t.Fatal(err)
	}
	own, err := leaverOp.ListStaked(ctx)
	if err != nil || len(own) != 1 {
		t.Fatalf("leaver's stakes %+v %v", own, err)
	}
	withdrawing, err := leaverOp.RequestWithdraw(ctx, own[0].ID)
	if err != nil || withdrawing == nil || withdrawing.WithdrawEpoch != chain.GenesisEpoch+1 {
		t.Fatalf("withdrawal request: %+v %v", withdrawing, err)
	}
	if sys, err := cc.System(ctx); err != nil || sys.Epoch != chain.GenesisEpoch || sys.State != chain.StateChangeDone {
		t.Fatalf("set-up too slow: staking landed after voting ended (%+v %v)", sys, err)
	}

	// Blobs of several sizes for five epochs, and one for a single epoch.
	sizes := []int{1, 1000, 64 << 10, 700 << 10, 2 << 20}
	if faults {
		sizes = []int{1000, 300 << 10, 1 << 20, 2 << 20, 2 << 20}
	}
	for ; extraMiB > 0; extraMiB -= 4 {
		sizes = append(sizes, min(extraMiB, 4)<<20)
	}
	var blobs []storedBlob
	for i, size := range sizes {
		b := storeBlob(ctx, t, user, uint64(i+1), size, 5)
		blobs = append(blobs, b)
	}
	if extraSmall > 0 {
		small := make([]storedBlob, extraSmall)
		errs := make([]error, extraSmall)
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8)
		for i := range small {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				small[i], errs[i] = tryStore(ctx, user, uint64(1000+i), 10_000, 5)
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		blobs = append(blobs, small...)
	}
	short := storeBlob(ctx, t, user, 99, 50_000, 1)
	// The rewards of epoch 1 are final once nothing more is paid in it
	// (the nodes send no transaction in epoch 1).
	acc1, err := cc.Accounting(ctx, chain.GenesisEpoch)
	if err != nil {
		t.Fatal(err)
	}
	pools1 := poolsByID(ctx, t, cc)
	sys1, err := cc.System(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sys1.Epoch != chain.GenesisEpoch {
		t.Fatalf("set-up too slow: blobs stored after the epoch change (epoch %d)", sys1.Epoch)
	}

	// The reader reads every blob, over and over, until the end.
	var reads, readsDuring atomic.Int64
	var transferring atomic.Bool
	var readErrs []error
	var readMu sync.Mutex
	rctx, stopReader := context.WithCancel(ctx)
	var rwg sync.WaitGroup
	rwg.Go(func() {
		for i := 0; rctx.Err() == nil; i++ {
			b := blobs[i%len(blobs)]
			got, err := reader.Read(rctx, b.id, client.ReadOptions{})
			if rctx.Err() != nil {
				return
			}
			if err == nil && !bytes.Equal(got, b.data) {
				err = errors.New("different bytes")
			}
			if err != nil {
				readMu.Lock()
				readErrs = append(readErrs, fmt.Errorf("blob %s (%d B): %w", b.id, len(b.data), err))
				readMu.Unlock()
				continue
			}
			reads.Add(1)
			if transferring.Load() {
				readsDuring.Add(1)
			}
		}
	})
	defer func() { stopReader(); rwg.Wait() }()

	// EpochChangeStart.
	var start time.Time
	waitFor(ctx, t, "epoch 2", 5*time.Millisecond, func() bool {
		sys, err := cc.System(ctx)
		return err == nil && sys.Epoch == chain.GenesisEpoch+1
	})
	start = time.Now()
	transferring.Store(true)
	com2, err := cc.Committee(ctx, chain.CommitteeCurrent)
	if err != nil {
		t.Fatal(err)
	}
	if com2.Index(leaverID) >= 0 || com2.Index(newID) < 0 {
		t.Fatalf("committee of epoch 2 %+v: the candidate should have replaced node %d", com2, ccLeaver)
	}
	gained := memberShards(com2, newID)
	if !slices.Equal(gained, leaverShards) {
		t.Fatalf("the newcomer holds shards %v, the leaver held %v", gained, leaverShards)
	}
	for _, m := range com1.Members {
		if m.NodeID != leaverID && !slices.Equal(memberShards(com2, m.NodeID), memberShards(com1, m.NodeID)) {
			t.Fatalf("node %s's shards moved: %v -> %v", m.NodeID, memberShards(com1, m.NodeID), memberShards(com2, m.NodeID))
		}
	}
	// Every long-lived blob's slivers of the gained shards.
	total := 2 * len(gained) * len(blobs)

	var during *storedBlob
	var run1 float64
	if !faults {
		// A write during the transfer goes to the new committee.
		b := storeBlob(ctx, t, user, 50, 80_000, 3)
		during = &b
		if !allReady(t, nw.Node(ccNew).Store(), gained) {
			t.Logf("blob %s stored while the newcomer was still fetching its shards", b.id)
		}
	} else {
		// Crash the newcomer once it stored part of its shards, and
		// restart it: it resumes from its progress.
		st := nw.Node(ccNew).Store()
		waitFor(ctx, t, "the newcomer's first shard-sync batch", time.Millisecond, func() bool { return anyProgress(t, st, gained) })
		if err := nw.StopNode(ccNew); err != nil {
			t.Fatal(err)
		}
		// Stopped: count what it holds of the gained shards.
		run1 = float64(countSlivers(t, filepath.Join(cfg.Dir, "node"+strconv.Itoa(ccNew)), gained))
		if run1 == 0 || run1 >= float64(total) {
			t.Fatalf("the newcomer held %v of %d slivers when stopped: not mid-transfer", run1, total)
		}
		if err := nw.StartNode(ccNew); err != nil {
			t.Fatal(err)
		}
		// Once the restarted node fetched more, kill the leaver.
		waitFor(ctx, t, "shard sync after the restart", time.Millisecond, func() bool {
			return metricSum(nw.Metrics(ccNew), "walrus_node_shard_sync_slivers_total", nil) > 0
		})
		if err := nw.StopNode(ccLeaver); err != nil {
			t.Fatal(err)
		}
		if allReady(t, nw.Node(ccNew).Store(), gained) {
			t.Fatal("the transfer completed before the previous owner was killed")
		}
	}

	// EpochChangeDone on chain, and the newcomer's shards all ready.
	var done, synced time.Time
	waitFor(ctx, t, "the epoch change and the newcomer's shards", 5*time.Millisecond, func() bool {
		if done.IsZero() {
			if sys, err := cc.System(ctx); err == nil && sys.Epoch == chain.GenesisEpoch+1 && sys.State == chain.StateChangeDone {
				done = time.Now()
			}
		}
		if synced.IsZero() {
			if n := nw.Node(ccNew); n != nil && allReady(t, n.Store(), gained) {
				synced = time.Now()
			}
		}
		return !done.IsZero() && !synced.IsZero()
	})
	transferring.Store(false)

	// The newcomer holds the leaver's slivers, byte for byte.
	st := nw.Node(ccNew).Store()
	for _, b := range blobs {
		enc, err := encoding.Encode(b.data, ccShards)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range gained {
			p := enc.PairForShard(int(s))
			for _, want := range []encoding.Sliver{p.Primary, p.Secondary} {
				got, err := st.GetSliver(s, want.Type, b.id)
				if err != nil || !bytes.Equal(got.Data, want.Data) || got.Index != want.Index {
					t.Fatalf("newcomer, shard %d, blob %s, %s sliver: %v", s, b.id, want.Type, err)
				}
			}
		}
	}
	sync2 := metricSum(nw.Metrics(ccNew), "walrus_node_shard_sync_slivers_total", nil)
	recovered := metricSum(nw.Metrics(ccNew), "walrus_node_slivers_stored_total", map[string]string{"source": "shard_recovery"})
	if faults {
		// Resumed, not restarted: the two runs fetched every sliver once,
		// and recovery made up exactly what the dead owner did not send.
		if recovered == 0 || run1+sync2+recovered != float64(total) {
			t.Fatalf("slivers: %v fetched before the crash, %v after, %v recovered; want %d in all, some recovered", run1, sync2, recovered, total)
		}
		t.Logf("newcomer: %v slivers fetched before its crash, %v after its restart, %v recovered after the previous owner died", run1, sync2, recovered)
	} else if sync2 != float64(total) {
		// (Recovery may add the slivers of the blob stored during the
		// transfer, if its upload to the newcomer was cut short.)
		t.Fatalf("slivers: %v fetched by sync_shard, %v recovered; want %d fetched", sync2, recovered, total)
	}

	// After the change every blob still reads back identical.
	stopReader()
	rwg.Wait()
	all := blobs
	if during != nil {
		all = append(slices.Clone(blobs), *during)
	}
	for _, b := range all {
		got, err := reader.Read(ctx, b.id, client.ReadOptions{})
		if err != nil || !bytes.Equal(got, b.data) {
			t.Fatalf("read of %s after the change: %v", b.id, err)
		}
	}
	readMu.Lock()
	if len(readErrs) > 0 {
		t.Fatalf("%d of %d reads failed during the change, first: %v", len(readErrs), int(reads.Load())+len(readErrs), readErrs[0])
	}
	readMu.Unlock()
	if readsDuring.Load() == 0 {
		t.Fatal("no read completed during the change")
	}
	t.Logf("%d reads, %d of them during the change, all identical", reads.Load(), readsDuring.Load())

	if faults {
		return
	}

	// Measurements.
	served := metricSum(nw.Metrics(ccLeaver), "walrus_node_http_response_bytes_total", map[string]string{"route": "sync_shard"})
	transfer, change := synced.Sub(start), done.Sub(start)
	t.Logf("epoch change: %d shards, %d slivers, %.1f MiB sent by sync_shard in %v (%.1f MiB/s); EpochChangeStart -> EpochChangeDone %v",
		len(gained), total, served/(1<<20), transfer.Round(time.Millisecond), served/(1<<20)/transfer.Seconds(), change.Round(time.Millisecond))

	// The leaver removes the shards once the newcomer reported.
	waitFor(ctx, t, "the leaver to remove its lost shards", 20*time.Millisecond, func() bool {
		shards, err := nw.Node(ccLeaver).Store().Shards()
		return err == nil && len(shards) == 0
	})
	for _, b := range blobs {
		for _, s := range leaverShards {
			if ok, err := nw.Node(ccLeaver).Store().HasSliver(s, encoding.Primary, b.id); err != nil || ok {
				t.Fatalf("the leaver still holds shard %d of %s (%v)", s, b.id, err)
			}
		}
	}

	// Rewards of epoch 1, as the chain's rules split them: 3% burned, the
	// rest to epoch 1's committee by shard count, commission to the
	// operator, the remainder of the pool's share to its stakers.
	sys2, err := cc.System(ctx)
	if err != nil {
		t.Fatal(err)
	}
	burn := acc1.Rewards * chain.BurnPercent / 100
	if acc1.Rewards == 0 || sys2.Burned-sys1.Burned != burn {
		t.Fatalf("epoch 1's rewards %d: burned %d, want %d", acc1.Rewards, sys2.Burned-sys1.Burned, burn)
	}
	pools2 := poolsByID(ctx, t, cc)
	share := func(m chain.Member) (staker, commission uint64) {
		r := (acc1.Rewards - burn) * uint64(len(m.Shards)) / uint64(com1.NShards)
		c := r * uint64(pools1[m.NodeID].Commission) / chain.MaxCommission
		return r - c, c
	}
	for _, m := range com1.Members {
		p1, p2 := pools1[m.NodeID], pools2[m.NodeID]
		staker, commission := share(m)
		if staker == 0 {
			t.Fatalf("no reward for node %s", m.NodeID)
		}
		if p2.CommissionPending != p1.CommissionPending+commission {
			t.Fatalf("node %s: commission %d, want %d", m.NodeID, p2.CommissionPending, p1.CommissionPending+commission)
		}
		if m.NodeID == leaverID {
			// The whole pool left at epoch 2, rewards included.
			if p2.ActiveStake != 0 || p2.Withdrawable != p1.ActiveStake+staker {
				t.Fatalf("leaver's pool %+v, want %d withdrawable", p2, p1.ActiveStake+staker)
			}
		} else if p2.ActiveStake != p1.ActiveStake+staker {
			t.Fatalf("node %s: stake %d, want %d + %d", m.NodeID, p2.ActiveStake, p1.ActiveStake, staker)
		}
	}
	// The leaver's operator withdraws its stake with its rewards.
	_, leaverStaker := func() (uint64, uint64) {
		for _, m := range com1.Members {
			if m.NodeID == leaverID {
				s, _ := share(m)
				return 0, s
			}
		}
		return 0, 0
	}()
	info, err := leaverOp.Staked(ctx, own[0].ID)
	if err != nil || !info.CanWithdraw || !info.Exact || info.EstimatedValue != GenesisStake+leaverStaker {
		t.Fatalf("leaver's stake %+v %v, want %d withdrawable", info, err, GenesisStake+leaverStaker)
	}
	balBefore := balance(ctx, t, cc, nw.Operator(ccLeaver))
	got, err := leaverOp.Withdraw(ctx, own[0].ID)
	if err != nil || got != GenesisStake+leaverStaker {
		t.Fatalf("withdrawn %d %v", got, err)
	}
	if after := balance(ctx, t, cc, nw.Operator(ccLeaver)); after != balBefore+got-sys2.MinFee {
		t.Fatalf("leaver's operator balance %d, want %d", after, balBefore+got-sys2.MinFee)
	}
	// The user's stake on the newcomer is active, worth its principal
	// (epoch 2's rewards come at the next change).
	if s, err := user.Staked(ctx, staked.ID); err != nil || !s.Active || s.EstimatedValue != GenesisStake {
		t.Fatalf("user's stake %+v %v", s, err)
	}
	// A staying operator's genesis stake, its pool's only stake, is worth
	// the whole pool: principal and epoch 1's rewards.
	stay := (ccLeaver + 1) % nw.GenesisNodes()
	stayID, err := nw.NodeID(ctx, stay)
	if err != nil {
		t.Fatal(err)
	}
	stayOp := newClient(nw.Operator(stay))
	if list, err := stayOp.ListStaked(ctx); err != nil || len(list) != 1 || !list[0].Exact || list[0].EstimatedValue != pools2[stayID].ActiveStake || list[0].EstimatedValue <= GenesisStake {
		t.Fatalf("node %d's operator stake %+v %v, want it worth %d", stay, list, err, pools2[stayID].ActiveStake)
	}

	// The one-epoch blob expired with epoch 2: the nodes collect it.
	if _, err := reader.Read(ctx, short.id, client.ReadOptions{}); !errors.Is(err, client.ErrBlobExpired) {
		t.Fatalf("read of an expired blob: %v", err)
	}
	for i := range nw.Nodes() {
		if i == ccLeaver {
			continue
		}
		waitFor(ctx, t, fmt.Sprintf("node %d to collect the expired blob", i), 20*time.Millisecond, func() bool {
			ok, err := nw.Node(i).Store().HasMetadata(short.id)
			return err == nil && !ok
		})
		for s := range uint16(ccShards) {
			if ok, err := nw.Node(i).Store().HasSliver(s, encoding.Primary, short.id); err != nil || ok {
				t.Fatalf("node %d still holds a sliver of the expired blob (shard %d, %v)", i, s, err)
			}
		}
	}
}

func storeBlob(ctx context.Context, t *testing.T, c *client.Client, seed uint64, size, epochs int) storedBlob {
	t.Helper()
	b, err := tryStore(ctx, c, seed, size, epochs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func tryStore(ctx context.Context, c *client.Client, seed uint64, size, epochs int) (storedBlob, error) {
	r := rand.New(rand.NewPCG(seed, 8))
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	res, err := c.Store(ctx, data, client.StoreOptions{Epochs: uint32(epochs)})
	if err != nil {
		return storedBlob{}, fmt.Errorf("store %d B: %w", size, err)
	}
	return storedBlob{data: data, id: res.BlobID()}, nil
}

func memberShards(c *chain.Committee, id chain.ObjectID) []uint16 {
	i := c.Index(id)
	if i < 0 {
		return nil
	}
	s := slices.Clone(c.Members[i].Shards)
	slices.Sort(s)
	return s
}

func poolsByID(ctx context.Context, t *testing.T, cc *chainclient.Client) map[chain.ObjectID]*chain.Pool {
	t.Helper()
	ps, err := cc.Pools(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[chain.ObjectID]*chain.Pool{}
	for _, p := range ps {
		out[p.NodeID] = p
	}
	return out
}

func balance(ctx context.Context, t *testing.T, cc *chainclient.Client, k []byte) uint64 {
	t.Helper()
	acc, err := cc.Account(ctx, addrOf(k))
	if err != nil {
		t.Fatal(err)
	}
	return acc.Balance
}

func allReady(t *testing.T, st *storage.Store, shards []uint16) bool {
	t.Helper()
	for _, s := range shards {
		if ss, err := st.ShardStatus(s); err != nil {
			t.Fatal(err)
		} else if ss != storage.ShardReady {
			return false
		}
	}
	return true
}

// countSlivers opens a stopped node's store and counts the slivers of shards.
func countSlivers(t *testing.T, dir string, shards []uint16) int {
	t.Helper()
	st, err := storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n := 0
	for _, s := range shards {
		for _, ty := range []encoding.SliverType{encoding.Primary, encoding.Secondary} {
			var from encoding.BlobID
			for {
				page, err := st.ScanSlivers(s, ty, from, 100)
				if err != nil {
					t.Fatal(err)
				}
				n += len(page)
				if len(page) < 100 {
					break
				}
				last := page[len(page)-1].BlobID
				var ok bool
				if from, ok = nextID(last); !ok {
					break
				}
			}
		}
	}
	return n
}

func nextID(id encoding.BlobID) (encoding.BlobID, bool) {
	for i := len(id) - 1; i >= 0; i-- {
		id[i]++
		if id[i] != 0 {
			return id, true
		}
	}
	return id, false
}

func anyProgress(t *testing.T, st *storage.Store, shards []uint16) bool {
	t.Helper()
	for _, s := range shards {
		for _, ty := range []encoding.SliverType{encoding.Primary, encoding.Secondary} {
			if _, ok, err := st.SyncProgress(s, ty); err != nil {
				t.Fatal(err)
			} else if ok {
				return true
			}
		}
	}
	return false
}

// waitFor polls cond until it holds (the test's context bounds the wait).
func waitFor(ctx context.Context, t *testing.T, what string, every time.Duration, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(every):
		}
	}
}

// metricSum sums the samples of a counter or gauge family whose labels
// contain the given values (substring match).
func metricSum(g prometheus.Gatherer, name string, labels map[string]string) float64 {
	if g == nil {
		return 0
	}
	mfs, err := g.Gather()
	if err != nil {
		return 0
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for k, v := range labels {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == k && strings.Contains(lp.GetValue(), v) {
						found = true
					}
				}
				if !found {
					continue metrics
				}
			}
			if c := m.GetCounter(); c != nil {
				sum += c.GetValue()
			} else if g := m.GetGauge(); g != nil {
				sum += g.GetValue()
			}
		}
	}
	return sum
}
