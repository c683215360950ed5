package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/walrus-go/walrus/internal/cmdline"
)

func TestNodeConfigParse(t *testing.T) {
	c, err := parseNodeConfig(strings.NewReader(`
name: n1
rest_api_address: 127.0.0.1:9000
data_dir: data
chain:
  chain_id: test
timeouts:
  blob_sync_delay: 3s
`), "/etc/walrus")
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "n1" || c.RESTAPIAddress != "127.0.0.1:9000" || c.Chain.ChainID != "test" ||
		c.Timeouts.BlobSyncDelay != 3*time.Second || c.DataDir != "/etc/walrus/data" ||
		c.ProtocolKeyFile != "/etc/walrus/protocol.key" || c.Chain.RPCAddress != defaultChainRPC ||
		c.Timeouts.CommitteeRefresh != defaultNodeFileConfig().Timeouts.CommitteeRefresh {
		t.Fatalf("parsed %+v", c)
	}
	// An empty file is the defaults.
	if _, err := parseNodeConfig(strings.NewReader(""), "."); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct{ yaml, want string }{
		{"rest_api_adress: 1.2.3.4:5", "field rest_api_adress not found"},
		{"chain: {rpc: x}", "field rpc not found"},
		{"rest_api_address: nope", "rest_api_address"},
		{"metrics_address: 0.0.0.0:9185", "metrics_address and rest_api_address"},
		{"data_dir: ''", "data_dir is required"},
		{"protocol_key_file: ''", "protocol_key_file"},
		{"chain: {rpc_address: 127.0.0.1:26657}", "want a URL"},
		{"chain: {chain_id: ''}", "chain_id is required"},
		{"log: {level: loud}", "log.level"},
		{"log: {format: xml}", "log.format"},
		{"limits: {max_concurrent_requests: 0}", "max_concurrent"},
		{"limits: {max_pending_bytes: -1}", "sizes"},
		{"timeouts: {read: -1s}", "timeouts.read"},
		{"timeouts: {committee_refresh: 0s}", "committee_refresh"},
		{"timeouts: {read: soon}", "soon"},
		{"operator_key: ''", "operator_key"},
	} {
		_, err := parseNodeConfig(strings.NewReader(bad.yaml), ".")
		if !errors.Is(err, errNodeConfig) || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: got %v, want %q", bad.yaml, err, bad.want)
		}
	}
}

func TestSetup(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "n")
	code, out, errs := run(t, "setup", "--dir", dir, "--rest-address", "127.0.0.1:0", "--chain-id", "x", "--json")
	if code != cmdline.ExitOK {
		t.Fatalf("setup: %d %s", code, errs)
	}
	if !strings.Contains(out, `"operator"`) || !strings.Contains(out, `"protocolPublicKey"`) {
		t.Fatalf("output %s", out)
	}
	for _, f := range []string{protocolKeyFile, networkKeyFile, operatorKeystore, nodeConfigFile} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v", f, st.Mode())
		}
	}
	c, err := loadNodeConfig(filepath.Join(dir, nodeConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.nodeConfig(nil, nil, nil); err != nil {
		t.Fatalf("keys of the generated config: %v", err)
	}
	if code, _, errs := run(t, "setup", "--dir", dir); code != cmdline.ExitError || !strings.Contains(errs, "already exists") {
		t.Fatalf("second setup: %d %s", code, errs)
	}
	if code, _, _ := run(t, "setup"); code != cmdline.ExitUsage {
		t.Fatalf("setup without --dir: %d", code)
	}
	if code, _, _ := run(t, "run"); code != cmdline.ExitUsage {
		t.Fatalf("run without --config: %d", code)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("listen: x\n"), 0o600)
	if code, _, errs := run(t, "run", "--config", bad); code != cmdline.ExitError || !strings.Contains(errs, "field listen not found") {
		t.Fatalf("run with a bad config: %d %s", code, errs)
	}
}
