package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/clientconfig"
	"github.com/walrus-go/walrus/crypto/keyfile"
	"github.com/walrus-go/walrus/devnet"
	"github.com/walrus-go/walrus/internal/cmdline"
)

func TestObjectCommands(t *testing.T) {
	n := startNet(t, devnet.Config{FaucetMax: 10 * chain.FrostPerWAL})
	_, res := n.store(t, writeFile(t, []byte("attributes, sharing, burning")), "--epochs", "2")
	obj := res["newlyCreated"]["blobObject"].(map[string]any)["id"].(string)

	if code, _, errs := n.walrus(t, "", "set-blob-attribute", obj, "--attr", "content-type", "text/plain", "--attr", "k", "v w"); code != 0 {
		t.Fatalf("set: %d %s", code, errs)
	}
	if code, _, errs := n.walrus(t, "", "set-blob-attribute", obj, "--attr", "x=1"); code != 0 {
		t.Fatalf("set k=v: %d %s", code, errs)
	}
	var got struct {
		ObjectID   string            `json:"objectId"`
		Attributes map[string]string `json:"attributes"`
	}
	n.mustJSON(t, &got, "get-blob-attribute", obj)
	if got.ObjectID != obj || len(got.Attributes) != 3 || got.Attributes["content-type"] != "text/plain" || got.Attributes["k"] != "v w" || got.Attributes["x"] != "1" {
		t.Fatalf("attributes %+v", got)
	}
	if code, _, _ := n.walrus(t, "", "remove-blob-attribute-fields", obj, "--keys", "k,x"); code != 0 {
		t.Fatal("remove fields")
	}
	got.Attributes = nil // json.Unmarshal merges into a non-nil map
	n.mustJSON(t, &got, "get-blob-attribute", obj)
	if len(got.Attributes) != 1 || got.Attributes["content-type"] != "text/plain" {
		t.Fatalf("after removing fields %+v", got)
	}
	if code, _, _ := n.walrus(t, "", "remove-blob-attribute", obj); code != 0 {
		t.Fatal("remove all")
	}
	got.Attributes = nil
	n.mustJSON(t, &got, "get-blob-attribute", obj)
	if len(got.Attributes) != 0 {
		t.Fatalf("after removing all %+v", got)
	}
	if code, _, _ := n.walrus(t, "", "set-blob-attribute", obj, "--attr", "a", "b", "c"); code != cmdline.ExitUsage {
		t.Fatal("unpaired --attr values accepted")
	}

	// Share, fund, extend from the funds.
	if code, _, errs := n.walrus(t, "", "share", "--blob-obj-id", obj, "--amount", "1000000"); code != 0 {
		t.Fatalf("share: %d %s", code, errs)
	}
	if code, _, errs := n.walrus(t, "", "fund-shared-blob", "--shared-blob-obj-id", obj, "--amount", "1000000"); code != 0 {
		t.Fatalf("fund: %d %s", code, errs)
	}
	var ext map[string]any
	n.mustJSON(t, &ext, "extend", "--blob-obj-id", obj, "--epochs-extended", "1", "--shared")
	if ext["storage"].(map[string]any)["endEpoch"].(float64) != res["newlyCreated"]["blobObject"].(map[string]any)["storage"].(map[string]any)["endEpoch"].(float64)+1 {
		t.Fatalf("shared extend %v", ext)
	}

	// Burn: the shared blob is no longer the wallet's; two owned ones are.
	for i := range 2 {
		n.store(t, writeFile(t, []byte(fmt.Sprint("burn me ", i))))
	}
	if code, _, _ := n.walrus(t, "n\n", "burn-blobs", "--all"); code != cmdline.ExitError {
		t.Fatal("unconfirmed burn")
	}
	var burned map[string][]string
	n.mustJSON(t, &burned, "burn-blobs", "--all", "--yes")
	if len(burned["burnedObjects"]) != 2 {
		t.Fatalf("burned %v", burned)
	}
	var blobs []map[string]any
	n.mustJSON(t, &blobs, "list-blobs", "--include-expired")
	if len(blobs) != 0 {
		t.Fatalf("after burning: %v", blobs)
	}
	if code, _, _ := n.walrus(t, "", "burn-blobs", "--all", "--all-expired"); code != cmdline.ExitUsage {
		t.Fatal("two burn selections accepted")
	}

	// Several files at once, --share, and delete by object ID.
	f1, f2 := writeFile(t, []byte("first of two")), writeFile(t, []byte("second of two"))
	var many []struct {
		BlobStoreResult map[string]map[string]any `json:"blobStoreResult"`
		Path            string                    `json:"path"`
	}
	n.mustJSON(t, &many, "store", f1, f2, "--share")
	if len(many) != 2 || many[0].Path != f1 || many[1].Path != f2 {
		t.Fatalf("two files: %+v", many)
	}
	for _, m := range many {
		if nc := m.BlobStoreResult["newlyCreated"]; nc == nil || nc["sharedBlobObject"] != nc["blobObject"].(map[string]any)["id"] {
			t.Fatalf("--share: %+v", m.BlobStoreResult)
		}
	}
	_, res = n.store(t, writeFile(t, []byte("deleted by object ID")))
	del := res["newlyCreated"]["blobObject"].(map[string]any)
	var deleted []deleteOutput
	n.mustJSON(t, &deleted, "delete", "--object-id", del["id"].(string), "--yes")
	if len(deleted) != 1 || deleted[0].ObjectIDs[0] != del["id"] {
		t.Fatalf("delete --object-id: %+v", deleted)
	}
	if code, errs := n.readGone(t, del["blobId"].(string)); code != cmdline.ExitError || !strings.Contains(errs, "not found") {
		t.Fatalf("read after delete --object-id: %d %s", code, errs)
	}
	if code, _, errs := n.walrus(t, "", "delete", "--object-id", del["id"].(string), "--yes"); code != cmdline.ExitError || !strings.Contains(errs, "no matching blob object") {
		t.Fatalf("second delete --object-id: %d %s", code, errs)
	}

	// A generated wallet owns nothing and has no funds to store with.
	ks := filepath.Join(t.TempDir(), "new.keystore")
	var gen map[string]string
	n.mustJSON(t, &gen, "generate-wallet", "--path", ks)
	if st, err := os.Stat(ks); err != nil || st.Mode().Perm() != 0o600 || !strings.HasPrefix(gen["address"], "0x") {
		t.Fatalf("keystore %v %v", st, err)
	}
	n.mustJSON(t, &gen, "generate-sui-wallet", "--path", ks)
	if k, err := keyfile.LoadKeystore(ks); err != nil || len(k.List()) != 2 {
		t.Fatalf("second key not added: %v", err)
	}
	if code, _, _ := n.walrus(t, "", "--wallet", ks, "list-blobs"); code != 0 {
		t.Fatal("list-blobs with --wallet")
	}
	if code, _, errs := n.walrus(t, "", "--wallet", ks, "store", writeFile(t, []byte("no money"))); code != cmdline.ExitError || !strings.Contains(errs, "insufficient") {
		t.Fatalf("store from an empty wallet: %d %s", code, errs)
	}
	// The faucet pays its own transaction's fee, so the new, empty wallet
	// gets WAL and can then store.
	var w1, w2 map[string]any
	n.mustJSON(t, &w1, "--wallet", ks, "get-wal", "--amount", fmt.Sprint(2*chain.FrostPerWAL))
	n.mustJSON(t, &w2, "--wallet", ks, "get-wal", "--amount", fmt.Sprint(3*chain.FrostPerWAL))
	if w1["balance"].(float64) != 2*chain.FrostPerWAL || w2["balance"].(float64) != 5*chain.FrostPerWAL {
		t.Fatalf("get-wal: %v then %v", w1, w2)
	}
	if code, _, errs := n.walrus(t, "", "--wallet", ks, "store", writeFile(t, []byte("now with money"))); code != 0 {
		t.Fatalf("store after get-wal: %d %s", code, errs)
	}
	if code, _, errs := n.walrus(t, "", "get-wal", "--amount", fmt.Sprint(11*chain.FrostPerWAL)); code != cmdline.ExitError {
		t.Fatalf("get-wal over the faucet's limit: %d %s", code, errs)
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "xdg"))
	t.Setenv("HOME", filepath.Join(dir, "home"))
	if code, _, errs := run(t, "", "info"); code != cmdline.ExitError || !strings.Contains(errs, "no client configuration found") {
		t.Fatalf("no config: %d %s", code, errs)
	}
	cfg := filepath.Join(dir, "client_config.yaml")
	os.WriteFile(cfg, []byte("rpc_urls: [http://127.0.0.1:1]\ncolour: blue\n"), 0o644)
	if code, _, errs := run(t, "", "info"); code != cmdline.ExitError || !strings.Contains(errs, "line 2: field colour not found") {
		t.Fatalf("unknown field: %d %s", code, errs)
	}
	os.WriteFile(cfg, []byte("rpc_urls: [http://127.0.0.1:1]\n"), 0o644)
	if code, _, errs := run(t, "", "info", "--context", "mainnet"); code != cmdline.ExitError || !strings.Contains(errs, "no such context") {
		t.Fatalf("unknown context: %d %s", code, errs)
	}
	if code, _, errs := run(t, "", "info"); code != cmdline.ExitError || !strings.Contains(errs, "no chain RPC endpoint answered") {
		t.Fatalf("dead RPC: %d %s", code, errs)
	}
	// Offline commands need no configuration.
	if code, _, _ := run(t, "x", "blob-id", "-"); code != 0 {
		t.Fatal("blob-id needs no network")
	}
}

func TestContextSelection(t *testing.T) {
	n := startNet(t, devnet.Config{})
	data, err := os.ReadFile(n.cfg)
	if err != nil {
		t.Fatal(err)
	}
	// A second context pointing nowhere, made the default: --context
	// devnet still reaches the network.
	multi := strings.Replace(string(data), "default_context: devnet", "default_context: dead", 1) +
		"    dead:\n        rpc_urls: [http://127.0.0.1:1]\n"
	os.WriteFile(n.cfg, []byte(multi), 0o600)
	if code, _, errs := n.walrus(t, "", "info", "epoch"); code != cmdline.ExitError || !strings.Contains(errs, "127.0.0.1:1") {
		t.Fatalf("default context: %d %s", code, errs)
	}
	if code, _, errs := n.walrus(t, "", "--context", "devnet", "info", "epoch"); code != 0 {
		t.Fatalf("--context devnet: %d %s", code, errs)
	}
	// This devnet has no faucet: a clear error.
	if code, _, errs := n.walrus(t, "", "--context", "devnet", "get-wal"); code != cmdline.ExitError || !strings.Contains(errs, "no faucet") {
		t.Fatalf("get-wal: %d %s", code, errs)
	}
	// A context pinning another chain ID is refused.
	wrong := strings.Replace(string(data), "chain_id: ", "chain_id: not-", 1)
	os.WriteFile(n.cfg, []byte(wrong), 0o600)
	if code, _, errs := n.walrus(t, "", "info"); code != cmdline.ExitError || !strings.Contains(errs, "chain ID") {
		t.Fatalf("wrong chain ID: %d %s", code, errs)
	}
}

// devnetRun runs `walrus devnet ARGS` until stop is called, and returns the
// configuration it wrote once the network serves.
func devnetRun(t *testing.T, args ...string) (cfg string, stdout func() string, stop func() int) {
	t.Helper()
	ready := make(chan string, 1)
	devnetReady = func(p string) { ready <- p }
	t.Cleanup(func() { devnetReady = nil })
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	var mu sync.Mutex
	done := make(chan int, 1)
	go func() {
		code := Run(ctx, append([]string{"devnet"}, args...), strings.NewReader(""), lockedWriter{&mu, &out}, lockedWriter{&mu, &errb})
		done <- code
	}()
	select {
	case cfg = <-ready:
	case code := <-done:
		cancel()
		t.Fatalf("devnet exited with %d: %s", code, errb.String())
	}
	stopped := false
	stop = func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { stop() })
	return cfg, func() string { mu.Lock(); defer mu.Unlock(); return out.String() }, stop
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestDevnetCommandRestartAndDaemon(t *testing.T) {
	dir := t.TempDir()
	bind := freeAddr(t)
	cfg, stdout, stop := devnetRun(t, "--dir", dir, "--nodes", "4", "--shards", "20", "--bind-address", bind)
	if cfg != filepath.Join(dir, "client_config.yaml") || !strings.Contains(stdout(), "--config "+cfg+" store FILE") {
		t.Fatalf("config %s, output %s", cfg, stdout())
	}
	if st, err := os.Stat(filepath.Join(dir, "wallet.keystore")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("wallet %v %v", st, err)
	}
	n := &testNet{cfg: cfg}
	data := bytes.Repeat([]byte("kept across restarts "), 3000)
	id, _ := n.store(t, writeFile(t, data), "--epochs", "5")

	// The publisher and aggregator serve on the bind address.
	viaHTTP := []byte("stored through the devnet's publisher")
	req, _ := http.NewRequest(http.MethodPut, "http://"+bind+"/v1/blobs?epochs=2", bytes.NewReader(viaHTTP))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var stored map[string]map[string]any
	json.NewDecoder(resp.Body).Decode(&stored)
	resp.Body.Close()
	nc := stored["newlyCreated"]
	if resp.StatusCode != 200 || nc == nil {
		t.Fatalf("publisher: %d %v", resp.StatusCode, stored)
	}
	httpID := nc["blobObject"].(map[string]any)["blobId"].(string)
	// The publisher signs with its own wallet: its Blob object is not the
	// configuration wallet's.
	var blobs []map[string]any
	n.mustJSON(t, &blobs, "list-blobs")
	if len(blobs) != 1 || blobs[0]["blobId"] != id {
		t.Fatalf("the configuration's wallet owns %v", blobs)
	}
	pub := filepath.Join(dir, devnetPublisherFile)
	if st, err := os.Stat(pub); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("publisher wallet %v %v", st, err)
	}
	n.mustJSON(t, &blobs, "--wallet", pub, "list-blobs")
	if len(blobs) != 1 || blobs[0]["blobId"] != httpID {
		t.Fatalf("the publisher's wallet owns %v", blobs)
	}
	resp, err = http.Get("http://" + bind + "/v1/blobs/" + id)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(body, data) {
		t.Fatalf("aggregator: %d, %d bytes", resp.StatusCode, len(body))
	}
	if code := stop(); code != 0 {
		t.Fatalf("devnet exit code %d", code)
	}

	// Restarted in the same directory: same network, same RPC address in
	// the same configuration, every blob there.
	before, _ := os.ReadFile(cfg)
	cfg2, _, stop2 := devnetRun(t, "--dir", dir, "--bind-address", "")
	after, _ := os.ReadFile(cfg2)
	if cfg2 != cfg || !bytes.Equal(before, after) {
		t.Fatalf("configuration changed across a restart:\n%s\n%s", before, after)
	}
	for _, c := range []struct {
		id   string
		data []byte
	}{{id, data}, {httpID, viaHTTP}} {
		code, out, errs := n.walrus(t, "", "read", c.id)
		if code != 0 || out != string(c.data) {
			t.Fatalf("read %s after restart: %d %s", c.id, code, errs)
		}
	}
	var info infoOutput
	n.mustJSON(t, &info, "info", "storage")
	if info.Storage.NShards != 20 {
		t.Fatalf("restart changed the network: %+v", info.Storage)
	}
	if code := stop2(); code != 0 {
		t.Fatalf("devnet exit code %d", code)
	}

	// With its RPC port taken meanwhile, the devnet moves to another port
	// and rewrites the configuration, which keeps working.
	f, err := clientconfig.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c, _, _ := f.Select("")
	u, _ := url.Parse(c.RPCURLs[0])
	ln, err := net.Listen("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	devnetRun(t, "--dir", dir, "--bind-address", "")
	moved, _ := os.ReadFile(cfg)
	if bytes.Equal(moved, before) {
		t.Fatal("configuration not rewritten for the new RPC port")
	}
	if code, out, errs := n.walrus(t, "", "read", id); code != 0 || out != string(data) {
		t.Fatalf("read after moving the RPC port: %d %s", code, errs)
	}
}

func TestDevnetDemo(t *testing.T) {
	devnetReady = nil
	data := bytes.Repeat([]byte("demo "), 1000)
	path := writeFile(t, data)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	code := Run(ctx, []string{"devnet", "--demo", "--demo-file", path, "--dir", t.TempDir(), "--shards", "10", "--json"}, strings.NewReader(""), &out, &errb)
	var res struct {
		BlobID     string `json:"blobId"`
		Size       int    `json:"size"`
		BytesMatch bool   `json:"bytesMatch"`
	}
	if code != 0 || json.Unmarshal(out.Bytes(), &res) != nil {
		t.Fatalf("demo: %d %q %s", code, out.String(), errb.String())
	}
	_, bout, _ := run(t, "", "blob-id", path, "--n-shards", "10", "--json")
	var bid blobIDOutput
	json.Unmarshal([]byte(bout), &bid)
	if !res.BytesMatch || res.Size != len(data) || res.BlobID != bid.BlobID {
		t.Fatalf("demo %+v, blob-id %s", res, bid.BlobID)
	}
}

// startDaemon runs `walrus --config cfg daemon --bind-address bind args…`
// until the test ends (it must then exit with 0) and waits until it serves.
func startDaemon(t *testing.T, cfg, bind string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var mu sync.Mutex
	var errb bytes.Buffer
	go func() {
		done <- Run(ctx, append([]string{"--config", cfg, "daemon", "--bind-address", bind}, args...),
			strings.NewReader(""), io.Discard, lockedWriter{&mu, &errb})
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("daemon exit code %d: %s", code, errb.String())
		}
	})
	// Wait for the server (the test's deadline bounds the wait).
	for {
		resp, err := http.Get("http://" + bind + "/status")
		if err == nil {
			resp.Body.Close()
			return
		}
		select {
		case code := <-done:
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("daemon exited with %d: %s", code, errb.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestDaemonCommand(t *testing.T) {
	n := startNet(t, devnet.Config{})
	bind, metrics := freeAddr(t), freeAddr(t)
	startDaemon(t, n.cfg, bind, "--metrics-address", metrics, "--max-body-size", "1")
	put := func(body []byte) (int, map[string]map[string]any) {
		req, _ := http.NewRequest(http.MethodPut, "http://"+bind+"/v1/blobs", bytes.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	data := bytes.Repeat([]byte("d"), 1024)
	code, out := put(data)
	if code != 200 || out["newlyCreated"] == nil {
		t.Fatalf("store: %d %v", code, out)
	}
	// --max-body-size is in KiB.
	if code, _ := put(append(data, 'x')); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("over --max-body-size: %d", code)
	}
	id := out["newlyCreated"]["blobObject"].(map[string]any)["blobId"].(string)
	if c, stdout, _ := n.walrus(t, "", "read", id); c != 0 || stdout != string(data) {
		t.Fatalf("read of the published blob: %d", c)
	}
	resp, err := http.Get("http://" + metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "go_goroutines") {
		t.Fatalf("metrics: %d", resp.StatusCode)
	}
}
