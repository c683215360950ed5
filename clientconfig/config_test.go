package clientconfig

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/walrus-go/walrus/crypto/account"
	"github.com/walrus-go/walrus/crypto/keyfile"
)

const multi = `default_context: local
contexts:
  local:
    rpc_urls: [http://127.0.0.1:26657]
    n_shards: 100
    wallet_config:
      path: local.keystore
  other:
    rpc_urls: [http://10.0.0.1:26657, http://10.0.0.2:26657]
    chain_id: other-chain
    max_epochs_ahead: 5
    communication_config:
      max_data_in_flight: 1000000
      request_timeout_millis: 2500
      sliver_write_extra_time: {factor: 0.25, base_millis: 100}
      pending_uploads_enabled: true
`

func TestParseMultiContext(t *testing.T) {
	f, err := Parse([]byte(multi), "/etc/walrus/client_config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, name, err := f.Select("")
	if err != nil || name != "local" || c.RPCURLs[0] != "http://127.0.0.1:26657" || c.NShards != 100 {
		t.Fatalf("default context %q %+v %v", name, c, err)
	}
	if c.WalletConfig.Path != "/etc/walrus/local.keystore" {
		t.Fatalf("wallet path not relative to the file: %s", c.WalletConfig.Path)
	}
	o, name, err := f.Select("other")
	if err != nil || name != "other" || len(o.RPCURLs) != 2 || o.ChainID != "other-chain" || o.WalletConfig != nil {
		t.Fatalf("other %q %+v %v", name, o, err)
	}
	cfg := o.ClientConfig()
	if cfg.MaxDataInFlight != 1_000_000 || cfg.RequestTimeout != 2500*time.Millisecond || cfg.TailExtraFactor != 0.25 ||
		cfg.TailExtraBase != 100*time.Millisecond || !cfg.PendingUploads || cfg.PerNodeUploadWorkers != 0 {
		t.Fatalf("client config %+v", cfg)
	}
	if _, _, err := f.Select("nope"); !errors.Is(err, ErrNoContext) || !strings.Contains(err.Error(), "[local other]") {
		t.Fatalf("unknown context: %v", err)
	}
}

func TestParseSingleContext(t *testing.T) {
	f, err := Parse([]byte("rpc_urls: [tcp://127.0.0.1:1]\nwallet_config: {path: /abs/w.keystore, active_address: bob}\n"), "x/client_config.yml")
	if err != nil {
		t.Fatal(err)
	}
	c, name, err := f.Select("")
	if err != nil || name != "" || c.RPCURLs[0] != "tcp://127.0.0.1:1" || c.WalletConfig.Path != "/abs/w.keystore" || c.WalletConfig.ActiveAddress != "bob" {
		t.Fatalf("%q %+v %v", name, c, err)
	}
	if _, _, err := f.Select("devnet"); !errors.Is(err, ErrNoContext) {
		t.Fatalf("a single-context file has no named contexts: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ yaml, msg string }{
		{"rpc_urls: [a]\nbogus: 1\n", "line 2: field bogus not found"},
		{"contexts:\n  a:\n    rpc_urls: [x]\n    wallet_config: {path: w, color: red}\n", "line 4: field color not found"},
		{"", "is empty"},
		{"n_shards: 10\n", "rpc_urls is required"},
		{"contexts:\n  a: {rpc_urls: [x]}\n  b: {rpc_urls: [y]}\n", "default_context is required"},
		{"default_context: c\ncontexts:\n  a: {rpc_urls: [x]}\n", `default_context "c" is not one of the contexts`},
		{"rpc_urls: [x]\ncontexts:\n  a: {rpc_urls: [x]}\n", "next to contexts"},
		{"default_context: a\nrpc_urls: [x]\n", "default_context without contexts"},
		{"rpc_urls: [x]\nwallet_config: {active_address: '0x1'}\n", "wallet_config.path is required"},
		{"rpc_urls: [x]\ncommunication_config: {max_data_in_flight: -1}\n", "negative"},
		{"rpc_urls: [x]\nn_shards: many\n", "cannot unmarshal"},
		{"contexts:\n  a:\n", `context "a" is empty`},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.yaml), "cfg.yaml")
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), "cfg.yaml") {
			t.Errorf("%q: %v (want %q)", c.yaml, err, c.msg)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	f, err := Parse([]byte(multi), "")
	if err != nil {
		t.Fatal(err)
	}
	data, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	g, err := Parse(data, "")
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	a, _, _ := f.Select("other")
	b, _, _ := g.Select("other")
	if !reflect.DeepEqual(a.ClientConfig(), b.ClientConfig()) || a.ChainID != b.ChainID || len(b.RPCURLs) != 2 {
		t.Fatalf("round trip changed the file:\n%s", data)
	}
}

// isolate points the working directory, XDG_CONFIG_HOME and HOME at fresh
// directories.
func isolate(t *testing.T) (cwd, xdg, home string) {
	root := t.TempDir()
	cwd, xdg, home = filepath.Join(root, "cwd"), filepath.Join(root, "xdg"), filepath.Join(root, "home")
	for _, d := range []string{cwd, xdg, home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(cwd)
	t.Setenv("XDG_CONFIG_HOME", xdg)
	t.Setenv("HOME", home)
	return
}

func write(t *testing.T, path, rpc string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("rpc_urls: ["+rpc+"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDiscoveryOrder(t *testing.T) {
	cwd, xdg, home := isolate(t)
	if _, err := Load(""); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "walrus devnet") {
		t.Fatalf("nothing to find: %v", err)
	}
	// Written from the last place searched to the first: each new file
	// must take over.
	steps := []struct{ path, rpc string }{
		{filepath.Join(home, ".walrus", "client_config.yaml"), "home-walrus"},
		{filepath.Join(home, ".config", "walrus", "client_config.yml"), "home-config-yml"},
		{filepath.Join(home, ".config", "walrus", "client_config.yaml"), "home-config"},
		{filepath.Join(xdg, "walrus", "client_config.yaml"), "xdg"},
		{filepath.Join(cwd, "client_config.yml"), "cwd-yml"},
		{filepath.Join(cwd, "client_config.yaml"), "cwd"},
	}
	for _, s := range steps {
		write(t, s.path, s.rpc)
		f, err := Load("")
		if err != nil {
			t.Fatal(err)
		}
		if c, _, _ := f.Select(""); c.RPCURLs[0] != s.rpc {
			t.Fatalf("after writing %s, found %s (%s)", s.path, f.Path, c.RPCURLs[0])
		}
	}
	// --config beats them all, and must exist.
	explicit := filepath.Join(t.TempDir(), "mine.yaml")
	write(t, explicit, "explicit")
	if f, err := Load(explicit); err != nil || f.Context.RPCURLs[0] != "explicit" {
		t.Fatalf("explicit: %v", err)
	}
	if _, err := Load(explicit + ".missing"); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("a missing --config must not fall back to the search: %v", err)
	}
	// Without XDG_CONFIG_HOME the XDG step is skipped.
	os.Remove(filepath.Join(cwd, "client_config.yaml"))
	os.Remove(filepath.Join(cwd, "client_config.yml"))
	t.Setenv("XDG_CONFIG_HOME", "")
	if f, err := Load(""); err != nil || f.Context.RPCURLs[0] != "home-config" {
		t.Fatalf("without XDG: %v %+v", err, f)
	}
}

func TestLoadWallet(t *testing.T) {
	dir := t.TempDir()
	ks := account.NewKeystore()
	first, err := ks.Generate("alice")
	if err != nil {
		t.Fatal(err)
	}
	second, err := ks.Generate("bob")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "w.keystore")
	if err := keyfile.SaveKeystore(path, ks); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.keystore")
	ks2 := account.NewKeystore()
	third, _ := ks2.Generate("carol")
	if err := keyfile.SaveKeystore(other, ks2); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "client_config.yaml")
	for _, c := range []struct {
		active, override string
		want             *account.PrivateKey
	}{
		{"", "", first},
		{"bob", "", second},
		{second.Address().String(), "", second},
		{"bob", other, third}, // --wallet replaces the whole wallet_config
	} {
		yaml := "rpc_urls: [x]\nwallet_config: {path: w.keystore, active_address: '" + c.active + "'}\n"
		f, err := Parse([]byte(yaml), cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		ctx, _, _ := f.Select("")
		k, err := ctx.LoadWallet(c.override)
		if err != nil || !k.Equal(c.want) {
			t.Fatalf("active %q override %q: %v", c.active, c.override, err)
		}
	}
	f, _ := Parse([]byte("rpc_urls: [x]\nwallet_config: {path: w.keystore, active_address: dave}\n"), cfgPath)
	ctx, _, _ := f.Select("")
	if _, err := ctx.LoadWallet(""); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("unknown active address: %v", err)
	}
	f, _ = Parse([]byte("rpc_urls: [x]\n"), cfgPath)
	ctx, _, _ = f.Select("")
	if k, err := ctx.LoadWallet(""); k != nil || err != nil {
		t.Fatalf("no wallet: %v %v", k, err)
	}
	if _, err := ctx.LoadWallet(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("a missing keystore must fail")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(multi))
	f.Add([]byte("rpc_urls: [x]\nwallet_config: {path: w}\n"))
	f.Add([]byte("contexts: {a: {rpc_urls: [x]}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error not wrapping ErrInvalid: %v", err)
			}
			return
		}
		// A valid file always yields its default context.
		if c, _, err := file.Select(""); err != nil || len(c.RPCURLs) == 0 {
			t.Fatalf("valid file without a usable default context: %v", err)
		}
	})
}
