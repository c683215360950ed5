package storage

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/storage/blobinfo"
)

// The crash tests prove that every write the store acknowledged survives a
// crash: a SIGKILL of the writing process (TestCrashKill), and a power loss
// that drops everything not synced (TestCrashPowerLoss).

const crashEnv = "WALRUS_STORAGE_CRASH_CHILD"

// crashSliver is the sliver that write i stores: its content depends on i so
// that a torn or misplaced value is detected.
func crashSliver(i int) (uint16, encoding.BlobID, *encoding.Sliver) {
	size := 2 * (1 + i%5) * 4096
	return uint16(i % 4), blobID(i), testSliver(encoding.SliverType(i%2), uint16(i), i, size)
}

// TestCrashChild is the writer process of TestCrashKill; it does nothing
// unless started by it. It writes slivers from 4 goroutines and, for every
// write index divisible by 40, applies a blob event with a new cursor, printing
// "s <i>" and "c <height>" once each write is acknowledged.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("only run as a child of TestCrashKill")
	}
	start, _ := strconv.Atoi(os.Getenv(crashEnv + "_START"))
	s, err := Open(dir, Options{sliverFileMin: testFileMin})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	ack := func(format string, args ...any) {
		mu.Lock()
		fmt.Fprintf(out, format+"\n", args...)
		out.Flush()
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := start + g; ; i += 4 {
				shard, id, sl := crashSliver(i)
				if err := s.PutSliver(shard, id, sl); err != nil {
					ack("error %v", err)
					os.Exit(2)
				}
				ack("s %d", i)
				if g == 0 && i%40 == 0 {
					h := uint64(i)
					ev := blobinfo.Event{Kind: blobinfo.Registered, ID: blobinfo.EventID{Height: h},
						BlobID: id, ObjectID: blobinfo.ObjectID{byte(i), byte(i >> 8), byte(i >> 16)}, Epoch: 1, EndEpoch: 10}
					if _, err := s.ApplyEvents([]blobinfo.Event{ev}, EventCursor{Height: h}); err != nil {
						ack("error %v", err)
						os.Exit(2)
					}
					ack("c %d", h)
				}
			}
		}()
	}
	wg.Wait()
}

func TestCrashKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	acked := map[int]bool{}
	var lastCursor uint64
	var events []int // acknowledged event heights
	next := 0
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v=false")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir, fmt.Sprintf("%s_START=%d", crashEnv, next))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill after a number of acknowledgements that varies by round.
		killAfter := 60 + round*70
		sc := bufio.NewScanner(stdout)
		n := 0
		deadline := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
		for sc.Scan() {
			line := sc.Text()
			var v int
			switch {
			case strings.HasPrefix(line, "s "):
				v, _ = strconv.Atoi(line[2:])
				acked[v] = true
				next = max(next, v+1)
				n++
			case strings.HasPrefix(line, "c "):
				v, _ = strconv.Atoi(line[2:])
				lastCursor = max(lastCursor, uint64(v))
				events = append(events, v)
			default:
				t.Fatalf("child: %s", line)
			}
			if n == killAfter {
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
			}
		}
		deadline.Stop()
		cmd.Wait()
		if n < killAfter {
			t.Fatalf("round %d: child stopped after %d acknowledgements", round, n)
		}
		next = (next + 8 + 3) &^ 3 // past what the killed goroutines were writing; goroutine 0 keeps i%4 == 0

		s, err := Open(dir, Options{sliverFileMin: testFileMin})
		if err != nil {
			t.Fatalf("reopen after kill: %v", err)
		}
		for i := range acked {
			shard, id, want := crashSliver(i)
			got, err := s.GetSliver(shard, want.Type, id)
			if err != nil {
				t.Fatalf("round %d: acknowledged sliver %d: %v", round, i, err)
			}
			if got.Index != want.Index || !bytes.Equal(got.Data, want.Data) {
				t.Fatalf("round %d: acknowledged sliver %d differs", round, i)
			}
		}
		c, ok, err := s.Cursor()
		if lastCursor > 0 && (!ok || err != nil || c.Height < lastCursor) {
			t.Fatalf("round %d: cursor %+v %v %v, acknowledged %d", round, c, ok, err, lastCursor)
		}
		for _, h := range events {
			if _, err := s.ObjectInfo(blobinfo.ObjectID{byte(h), byte(h >> 8), byte(h >> 16)}); err != nil {
				t.Fatalf("round %d: object of acknowledged event %d: %v", round, h, err)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: %d slivers acknowledged in all, cursor %d", round, len(acked), lastCursor)
	}
}

// TestCrashPowerLoss writes from several goroutines to a crash-simulating
// in-memory file system, takes a copy of it holding only the data synced so
// far (and, in a second pass, a random part of the rest), and checks that the
// copy opens with every write acknowledged before the copy was taken. With
// NoSync the same test loses writes, which shows it can fail.
func TestCrashPowerLoss(t *testing.T) {
	for _, tc := range []struct {
		name     string
		noSync   bool
		unsynced int
	}{{"synced", false, 0}, {"synced+partial", false, 50}, {"nosync", true, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			fs := vfs.NewCrashableMem()
			s, err := Open("db", Options{sliverFileMin: testFileMin, FS: fs, NoSync: tc.noSync})
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var acked []int
			var wg sync.WaitGroup
			for g := 0; g < 4; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := g; i < 400; i += 4 {
						shard, id, sl := crashSliver(i)
						if err := s.PutSliver(shard, id, sl); err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						acked = append(acked, i)
						mu.Unlock()
					}
				}()
			}
			time.Sleep(20 * time.Millisecond)
			// Without syncs, the first few writes may still reach the disk
			// (pebble syncs the WAL it creates): wait for enough of them
			// that some must be lost.
			count := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
			for tc.noSync && count() < 30 {
				time.Sleep(time.Millisecond)
			}
			mu.Lock()
			snapshot := append([]int(nil), acked...)
			mu.Unlock()
			clone := fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: tc.unsynced, RNG: rand.New(rand.NewPCG(1, 2))})
			wg.Wait()
			s.Close()

			r, err := Open("db", Options{sliverFileMin: testFileMin, FS: clone})
			if err != nil {
				t.Fatalf("open after power loss: %v", err)
			}
			defer r.Close()
			lost := 0
			for _, i := range snapshot {
				shard, id, want := crashSliver(i)
				got, err := r.GetSliver(shard, want.Type, id)
				if err != nil || !bytes.Equal(got.Data, want.Data) {
					lost++
				}
			}
			t.Logf("%d writes acknowledged before the power loss, %d lost", len(snapshot), lost)
			if len(snapshot) == 0 {
				t.Skip("no write acknowledged before the copy")
			}
			if tc.noSync && lost == 0 {
				t.Fatal("NoSync lost nothing: the test cannot tell synced from unsynced writes")
			}
			if !tc.noSync && lost > 0 {
				t.Fatalf("%d acknowledged writes lost", lost)
			}
		})
	}
}
