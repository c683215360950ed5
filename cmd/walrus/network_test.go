package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/devnet"
	"github.com/walrus-go/walrus/internal/cmdline"
)

// testNet is a devnet serving CometBFT RPC on loopback with the client
// configuration `walrus devnet` writes, so that the CLI reaches it exactly
// as it would from another process.
type testNet struct {
	nw  *devnet.Network
	cfg string // client_config.yaml
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startNet(t *testing.T, cfg devnet.Config) *testNet {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	if cfg.Shards == 0 {
		cfg.Shards = 10
	}
	addr := freeAddr(t)
	cfg.RPCListen = "tcp://" + addr
	nw, err := devnet.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nw.Close() })
	if err := writeDevnetConfig(cfg.Dir, "http://"+addr, nw.ChainID(), nw.Shards(), nw.Wallet()); err != nil {
		t.Fatal(err)
	}
	return &testNet{nw: nw, cfg: filepath.Join(cfg.Dir, devnetConfigFile)}
}

// walrus runs the CLI against the network.
func (n *testNet) walrus(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	return run(t, stdin, append([]string{"--config", n.cfg}, args...)...)
}

// mustJSON runs a command with --json, expects success and decodes stdout.
func (n *testNet) mustJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	code, out, errs := n.walrus(t, "", append(args, "--json")...)
	if code != cmdline.ExitOK {
		t.Fatalf("%v: exit %d: %s", args, code, errs)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%v: %v in %q", args, err, out)
	}
}

func writeFile(t *testing.T, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "blob")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// storedID stores a file and returns its blob ID from the JSON output.
func (n *testNet) store(t *testing.T, path string, args ...string) (string, map[string]map[string]any) {
	t.Helper()
	var out []struct {
		BlobStoreResult map[string]map[string]any `json:"blobStoreResult"`
		Path            string                    `json:"path"`
	}
	n.mustJSON(t, &out, append([]string{"store", path}, args...)...)
	if len(out) != 1 || out[0].Path != path || len(out[0].BlobStoreResult) != 1 {
		t.Fatalf("store output %+v", out)
	}
	for kind, r := range out[0].BlobStoreResult {
		switch kind {
		case "newlyCreated":
			return r["blobObject"].(map[string]any)["blobId"].(string), out[0].BlobStoreResult
		case "alreadyCertified":
			return r["blobId"].(string), out[0].BlobStoreResult
		}
		t.Fatalf("unknown result %q", kind)
	}
	return "", nil
}

// readGone reads a deleted or expired blob until the read fails: the nodes
// drop its data when they see the deletion or the epoch change, a moment
// after the chain (so a read right after it may still succeed). It returns the failed read's
// exit code and standard error.
func (n *testNet) readGone(t *testing.T, id string) (int, string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		code, _, errs := n.walrus(t, "", "read", id)
		if code != 0 || time.Now().After(deadline) {
			return code, errs
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestStoreAndReadSizes(t *testing.T) {
	// 100 shards, as `walrus devnet`: 64 MiB is too large for 10.
	n := startNet(t, devnet.Config{Shards: 100})
	sizes := []int{0, 1, 1 << 20}
	if !testing.Short() {
		sizes = append(sizes, 64<<20)
	}
	for _, size := range sizes {
		data := make([]byte, size)
		rand.Read(data)
		path := writeFile(t, data)
		id, _ := n.store(t, path)

		// The offline blob ID for the network's shard count is the stored one.
		var bid blobIDOutput
		n.mustJSON(t, &bid, "blob-id", path, "--n-shards", "100")
		if bid.BlobID != id || bid.UnencodedLength != uint64(size) {
			t.Fatalf("%d B: blob-id %s, stored %s", size, bid.BlobID, id)
		}

		// To a file (streamed), to stdout, and as JSON.
		out := filepath.Join(t.TempDir(), "back")
		if code, _, errs := n.walrus(t, "", "read", id, "--out", out); code != 0 || errs != "" {
			// Standard error is no terminal here: no progress line either.
			t.Fatalf("%d B: read: %d %q", size, code, errs)
		}
		if back, err := os.ReadFile(out); err != nil || !bytes.Equal(back, data) {
			t.Fatalf("%d B: --out differs (%d bytes, %v)", size, len(back), err)
		}
		if size <= 1<<20 {
			code, stdout, errs := n.walrus(t, "", "read", id)
			if code != 0 || stdout != string(data) {
				t.Fatalf("%d B: stdout read: %d %d bytes %s", size, code, len(stdout), errs)
			}
			var ro readOutput
			n.mustJSON(t, &ro, "read", id)
			if ro.BlobID != id || ro.Size != int64(size) || !bytes.Equal(ro.Blob, data) {
				t.Fatalf("%d B: json read %+v", size, ro.Size)
			}
		}
	}
}

func TestAlreadyCertifiedDeleteAndErrors(t *testing.T) {
	n := startNet(t, devnet.Config{})
	data := []byte("a blob stored twice, then deleted")
	path := writeFile(t, data)
	id, first := n.store(t, path, "--epochs", "3")
	nc := first["newlyCreated"]
	if nc == nil || nc["cost"].(float64) <= 0 || nc["resourceOperation"].(map[string]any)["registerFromScratch"] == nil {
		t.Fatalf("first store: %+v", first)
	}
	bo := nc["blobObject"].(map[string]any)
	for _, k := range []string{"id", "registeredEpoch", "blobId", "size", "encodingType", "certifiedEpoch", "storage", "deletable"} {
		if _, ok := bo[k]; !ok {
			t.Fatalf("blobObject lacks %q: %v", k, bo)
		}
	}
	if bo["deletable"] != true || bo["encodingType"] != "RS2" || bo["size"].(float64) != float64(len(data)) {
		t.Fatalf("blobObject %v", bo)
	}

	// Stored again for no longer: nothing uploaded.
	id2, second := n.store(t, path, "--epochs", "2")
	ac := second["alreadyCertified"]
	if id2 != id || ac == nil || ac["object"] != bo["id"] {
		t.Fatalf("second store: %+v", second)
	}
	// --force stores a new object.
	if _, third := n.store(t, path, "--epochs", "2", "--force"); third["newlyCreated"] == nil {
		t.Fatalf("forced store: %+v", third)
	}

	var blobs []map[string]any
	n.mustJSON(t, &blobs, "list-blobs")
	if len(blobs) != 2 || blobs[0]["blobId"] != id {
		t.Fatalf("list-blobs: %v", blobs)
	}
	var st blobStatusOutput
	n.mustJSON(t, &st, "blob-status", "--file", path, "--timeout", "30s")
	if st.BlobID != id || st.Status.Counts.Total != 2 || st.Status.Counts.Certified != 2 {
		t.Fatalf("status %+v", st)
	}

	// Without --yes and without a yes on stdin nothing is deleted.
	if code, _, errs := n.walrus(t, "n\n", "delete", "--blob-id", id); code != cmdline.ExitError || !strings.Contains(errs, "not confirmed") {
		t.Fatalf("unconfirmed delete: %d %s", code, errs)
	}
	if code, out, errs := n.walrus(t, "y\n", "delete", "--file", path); code != 0 || !strings.Contains(out, "No certified object of the blob remains") {
		t.Fatalf("delete: %d %s %s", code, out, errs)
	}
	code, errs := n.readGone(t, id)
	if code != cmdline.ExitError || !strings.Contains(errs, "not found") || !strings.Contains(errs, id) {
		t.Fatalf("read after delete: %d %q", code, errs)
	}
	code, _, errs = n.walrus(t, "", "read", id, "--json")
	var e map[string]string
	if code != cmdline.ExitError || json.Unmarshal([]byte(errs), &e) != nil || !strings.Contains(e["error"], "not found") {
		t.Fatalf("json read after delete: %d %q", code, errs)
	}
	// A failed read to a file leaves no file behind.
	out := filepath.Join(t.TempDir(), "out")
	if code, _, _ := n.walrus(t, "", "read", id, "--out", out); code != cmdline.ExitError {
		t.Fatalf("read --out after delete: %d", code)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("partial output left: %v", err)
	}
	if code, _, errs := n.walrus(t, "", "delete", "--blob-id", id, "--yes"); code != cmdline.ExitError || !strings.Contains(errs, "no matching blob object") {
		t.Fatalf("second delete: %d %s", code, errs)
	}

	// Several files: each is stored on its own; one that cannot be read is
	// reported (Walrus's "error" result) and the others are stored.
	other := writeFile(t, []byte("another blob"))
	missing := filepath.Join(t.TempDir(), "missing")
	code, stdout, errs := n.walrus(t, "", "store", path, missing, other, "--json")
	var several []struct {
		BlobStoreResult map[string]map[string]any `json:"blobStoreResult"`
		Path            string                    `json:"path"`
	}
	if code != cmdline.ExitError || json.Unmarshal([]byte(stdout), &several) != nil || len(several) != 3 || !strings.Contains(errs, "1 of 3 files not stored") {
		t.Fatalf("store of three files, one missing: %d %q %q", code, stdout, errs)
	}
	if f := several[1].BlobStoreResult["error"]; several[1].Path != missing || f == nil || f["failurePhase"] != "read" || f["blobId"] != nil || !strings.Contains(f["errorMsg"].(string), "missing") {
		t.Fatalf("the missing file's entry: %+v", several[1])
	}
	if several[0].BlobStoreResult["newlyCreated"] == nil || several[2].BlobStoreResult["newlyCreated"] == nil {
		t.Fatalf("the readable files' entries: %+v", several)
	}
	code, stdout, errs = n.walrus(t, "", "store", missing, other)
	if code != cmdline.ExitError || !strings.Contains(stdout, "Blob was already available") || !strings.Contains(errs, "Error: storing "+missing+" (phase: read)") {
		t.Fatalf("human output of a store with a missing file: %d %q %q", code, stdout, errs)
	}

	// Usage errors are exit code 2.
	for _, args := range [][]string{
		{"store"}, {"store", path, "--epochs", "0"}, {"store", path, "--epochs", "9999"}, {"store", path, "--permanent", "--deletable"},
		{"read", "not-a-blob-id"}, {"read", id, "--strict-consistency-check", "--skip-consistency-check"},
		{"blob-status"}, {"blob-status", "--blob-id", id, "--timeout", "0s"}, {"info", "everything"}, {"health"}, {"delete"}, {"extend", "--blob-obj-id", "0x1"},
	} {
		if code, _, errs := n.walrus(t, "", args...); code != cmdline.ExitUsage {
			t.Errorf("%v: exit %d, want 2: %s", args, code, errs)
		}
	}
}

func TestPermanentExtendDryRunInfo(t *testing.T) {
	n := startNet(t, devnet.Config{})
	data := bytes.Repeat([]byte("permanent"), 5000)
	path := writeFile(t, data)

	var dry []dryRunOutput
	n.mustJSON(t, &dry, "store", path, "--dry-run", "--epochs", "4")
	var bid blobIDOutput
	n.mustJSON(t, &bid, "blob-id", path, "--n-shards", "10")
	sys, err := n.nw.Chain().System(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(dry) != 1 || dry[0].BlobID != bid.BlobID || dry[0].EncodedSize != bid.EncodedLength || dry[0].Epochs != 4 ||
		dry[0].StorageCost != storageCost(sys, bid.EncodedLength, 4) || dry[0].StorageCost == 0 {
		t.Fatalf("dry run %+v (blob-id %+v)", dry, bid)
	}
	// The dry run stored nothing.
	var blobs []map[string]any
	n.mustJSON(t, &blobs, "list-blobs")
	if len(blobs) != 0 {
		t.Fatalf("dry run stored %v", blobs)
	}

	_, res := n.store(t, path, "--permanent", "--epochs", "max")
	bo := res["newlyCreated"]["blobObject"].(map[string]any)
	end := bo["storage"].(map[string]any)["endEpoch"].(float64)
	if bo["deletable"] != false || uint32(end) != sys.Epoch+sys.MaxEpochsAhead {
		t.Fatalf("permanent max-epochs store: %v (system %+v)", bo, sys)
	}
	// Deleting a permanent blob finds nothing to delete.
	if code, _, _ := n.walrus(t, "", "delete", "--blob-id", bo["blobId"].(string), "--yes"); code != cmdline.ExitError {
		t.Fatal("a permanent blob was deleted")
	}
	// A deletable object of the same blob, deleted: the permanent one
	// remains, and delete says so (not with --no-status-check).
	if _, forced := n.store(t, path, "--force"); forced["newlyCreated"] == nil {
		t.Fatalf("forced deletable store: %v", forced)
	}
	var dels []deleteOutput
	n.mustJSON(t, &dels, "delete", "--blob-id", bo["blobId"].(string), "--yes")
	if len(dels) != 1 || len(dels[0].ObjectIDs) != 1 || dels[0].Remaining == nil || *dels[0].Remaining != (remainingObjects{Permanent: 1}) {
		t.Fatalf("delete with a permanent object left: %+v", dels)
	}
	if _, forced := n.store(t, path, "--force"); forced["newlyCreated"] == nil {
		t.Fatalf("forced deletable store: %v", forced)
	}
	var unchecked []deleteOutput
	n.mustJSON(t, &unchecked, "delete", "--blob-id", bo["blobId"].(string), "--yes", "--no-status-check")
	if len(unchecked) != 1 || unchecked[0].Remaining != nil {
		t.Fatalf("delete --no-status-check: %+v", unchecked)
	}

	// --end-epoch instead of --epochs.
	_, res = n.store(t, writeFile(t, []byte("until epoch 4")), "--end-epoch", fmt.Sprint(sys.Epoch+3))
	if got := res["newlyCreated"]["blobObject"].(map[string]any)["storage"].(map[string]any)["endEpoch"].(float64); uint32(got) != sys.Epoch+3 {
		t.Fatalf("--end-epoch: end epoch %v", got)
	}
	for _, args := range [][]string{{"--end-epoch", fmt.Sprint(sys.Epoch)}, {"--end-epoch", "9999"}, {"--end-epoch", "5", "--epochs", "2"}} {
		if code, _, _ := n.walrus(t, "", append([]string{"store", path}, args...)...); code != cmdline.ExitUsage {
			t.Errorf("store %v: exit %d", args, code)
		}
	}

	// Extend a deletable blob.
	_, res = n.store(t, writeFile(t, []byte("to extend")), "--epochs", "2")
	obj := res["newlyCreated"]["blobObject"].(map[string]any)
	var ext map[string]any
	n.mustJSON(t, &ext, "extend", "--blob-obj-id", obj["id"].(string), "--epochs-extended", "3")
	if got, was := ext["storage"].(map[string]any)["endEpoch"].(float64), obj["storage"].(map[string]any)["endEpoch"].(float64); got != was+3 {
		t.Fatalf("extend: end epoch %v, was %v", got, was)
	}

	// The same through `walrus json`.
	var ro readOutput
	n.mustJSON(t, &ro, "json", fmt.Sprintf(`{"command": {"read": {"blobId": %q, "skipConsistencyCheck": true}}}`, bo["blobId"]))
	if !bytes.Equal(ro.Blob, data) {
		t.Fatalf("json read: %d bytes", len(ro.Blob))
	}

	var info infoOutput
	n.mustJSON(t, &info, "info", "all")
	if info.Epoch == nil || info.Epoch.CurrentEpoch != sys.Epoch || info.Storage.NShards != 10 || info.Storage.NNodes != 4 ||
		info.BFT.FaultyShards != 3 || info.BFT.QuorumThreshold != 7 || info.Price.StoragePricePerUnit != sys.StoragePrice || info.Size.MaxBlobSize == 0 {
		t.Fatalf("info %+v", info)
	}
	shards := map[uint16]bool{}
	for _, m := range info.Committee.Members {
		if len(m.Shards) != m.NShards || m.Name == "" || m.NetworkAddress == "" {
			t.Fatalf("member %+v", m)
		}
		for _, s := range m.Shards {
			shards[s] = true
		}
	}
	if len(shards) != 10 {
		t.Fatalf("committee holds %d distinct shards", len(shards))
	}
	var only infoOutput
	n.mustJSON(t, &only, "info", "committee")
	if only.Committee == nil || only.Epoch != nil || only.Price != nil {
		t.Fatalf("info committee: %+v", only)
	}
	var health []healthOutput
	n.mustJSON(t, &health, "health", "--committee", "--detail")
	if len(health) != 4 {
		t.Fatalf("health %+v", health)
	}
	for _, h := range health {
		if h.Error != "" || h.HealthInfo == nil || h.HealthInfo.NodeStatus != "Active" || h.HealthInfo.ShardDetail == nil || !h.Verified {
			t.Fatalf("health %+v", h)
		}
	}
	// By ID and URL, sorted by name descending; a node that does not answer
	// makes the command fail after printing every entry.
	var some []healthOutput
	n.mustJSON(t, &some, "health", "--node-ids", health[0].NodeID, "--node-urls", health[1].NodeURL, "--sort-by", "name", "--desc")
	if len(some) != 2 || some[0].NodeName < some[1].NodeName || some[0].Error != "" || some[1].Error != "" {
		t.Fatalf("health by ID and URL: %+v", some)
	}
	code, out, errs := n.walrus(t, "", "health", "--node-urls", "https://127.0.0.1:1", "--active-set")
	if code != cmdline.ExitError || strings.Count(out, "Active, epoch") != 4 || !strings.Contains(out, "ERROR") || !strings.Contains(errs, "1 of 5 storage node(s) did not answer") {
		t.Fatalf("health with an unreachable URL: %d %q %q", code, out, errs)
	}
	for _, args := range [][]string{{"health", "--committee", "--sort-by", "age"}, {"health", "--node-ids", "0xzz"}, {"health", "--committee", "--concurrent-requests", "0"}} {
		if code, _, errs := n.walrus(t, "", args...); code != cmdline.ExitUsage {
			t.Errorf("%v: exit %d, want 2: %s", args, code, errs)
		}
	}
}

func TestBlobExpires(t *testing.T) {
	n := startNet(t, devnet.Config{EpochDuration: 5 * time.Second})
	data := []byte("short-lived")
	id, res := n.store(t, writeFile(t, data), "--epochs", "2")
	var end uint32
	if nc := res["newlyCreated"]; nc != nil {
		end = uint32(nc["blobObject"].(map[string]any)["storage"].(map[string]any)["endEpoch"].(float64))
	} else {
		end = uint32(res["alreadyCertified"]["endEpoch"].(float64))
	}
	if code, out, errs := n.walrus(t, "", "read", id); code != 0 || out != string(data) {
		// Only fine if the 5 s epoch already ended (a loaded machine).
		if sys, err := n.nw.Chain().System(context.Background()); err != nil || sys.Epoch < end {
			t.Fatalf("read before expiry: %d %s", code, errs)
		}
	}
	// Wait (bounded by the test's deadline, not by a timed assertion) for
	// the chain to reach the end epoch.
	ctx := context.Background()
	for {
		sys, err := n.nw.Chain().System(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sys.Epoch >= end && sys.State == chain.StateChangeDone {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	code, errs := n.readGone(t, id)
	if code != cmdline.ExitError || !(strings.Contains(errs, "expired") || strings.Contains(errs, "not found")) {
		t.Fatalf("read after expiry: %d %q", code, errs)
	}
	var blobs []map[string]any
	n.mustJSON(t, &blobs, "list-blobs")
	if len(blobs) != 0 {
		t.Fatalf("expired blob still listed: %v", blobs)
	}
	n.mustJSON(t, &blobs, "list-blobs", "--include-expired")
	if len(blobs) != 1 {
		t.Fatalf("--include-expired: %v", blobs)
	}
}
