// Package clientconfig is the client configuration of the walrus command
// (reference §7.5): the client_config.yaml format, where it is looked for,
// the choice of context and wallet, and building an SDK client (package
// client) that talks to the chain over CometBFT's HTTP RPC.
//
// A file holds either several contexts
//
//	default_context: devnet
//	contexts:
//	  devnet: {rpc_urls: [...], wallet_config: {...}, ...}
//	  other:  {...}
//
// or the fields of a single context at the top level. Unknown fields are
// errors (with their line), relative paths are relative to the file.
package clientconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/walrus-go/walrus/client"
	"github.com/walrus-go/walrus/crypto/account"
	"github.com/walrus-go/walrus/crypto/keyfile"
	"go.yaml.in/yaml/v3"
)

// FileNames are the names looked for in each search directory, in order.
var FileNames = []string{"client_config.yaml", "client_config.yml"}

// Errors.
var (
	// ErrNotFound: no configuration file in any search directory.
	ErrNotFound = errors.New("clientconfig: no client configuration found")
	// ErrInvalid: the file is malformed or inconsistent.
	ErrInvalid = errors.New("clientconfig: invalid configuration")
	// ErrNoContext: the requested context does not exist.
	ErrNoContext = errors.New("clientconfig: no such context")
)

// File is a whole configuration file.
type File struct {
	// DefaultContext names the context used without --context.
	DefaultContext string `yaml:"default_context,omitempty"`
	// Contexts are the named contexts; empty for a single-context file.
	Contexts map[string]*Context `yaml:"contexts,omitempty"`
	// Context holds the fields of a single-context file.
	Context `yaml:",inline"`

	// Path is the file the configuration was read from ("" if none).
	Path string `yaml:"-"`
}

// Context is one network's client configuration.
type Context struct {
	// RPCURLs are CometBFT RPC endpoints of the chain (e.g.
	// http://127.0.0.1:26657); the first one that answers is used.
	RPCURLs []string `yaml:"rpc_urls,omitempty"`
	// ChainID, if set, must match the chain's ID.
	ChainID string `yaml:"chain_id,omitempty"`
	// NShards, if set, must match the chain's shard count.
	NShards int `yaml:"n_shards,omitempty"`
	// MaxEpochsAhead, if set, caps `--epochs max` below the chain's limit.
	MaxEpochsAhead uint32 `yaml:"max_epochs_ahead,omitempty"`
	// WalletConfig names the keystore that signs transactions.
	WalletConfig *WalletConfig `yaml:"wallet_config,omitempty"`
	// CommunicationConfig tunes the SDK client.
	CommunicationConfig *CommunicationConfig `yaml:"communication_config,omitempty"`
}

// WalletConfig is a keystore in Sui's sui.keystore format and the address
// to use from it.
type WalletConfig struct {
	Path string `yaml:"path"`
	// ActiveAddress is an address or alias of the keystore; empty for the
	// first Ed25519 key.
	ActiveAddress string `yaml:"active_address,omitempty"`
}

// CommunicationConfig maps to client.Config; zero fields keep the SDK's
// defaults.
type CommunicationConfig struct {
	MaxDataInFlight       int64                 `yaml:"max_data_in_flight,omitempty"` // bytes
	PerNodeUploadWorkers  int                   `yaml:"per_node_upload_workers,omitempty"`
	MaxConcurrentReads    int                   `yaml:"max_concurrent_sliver_reads,omitempty"`
	MetadataConcurrency   int                   `yaml:"max_concurrent_metadata_reads,omitempty"`
	RequestTimeoutMillis  int64                 `yaml:"request_timeout_millis,omitempty"`
	RegistrationWaitMs    int64                 `yaml:"registration_delay_millis,omitempty"`
	HedgeDelayMillis      int64                 `yaml:"hedge_delay_millis,omitempty"`
	SliverWriteExtraTime  *SliverWriteExtraTime `yaml:"sliver_write_extra_time,omitempty"`
	PendingUploadsEnabled bool                  `yaml:"pending_uploads_enabled,omitempty"`
	PendingUploadMaxSize  int64                 `yaml:"pending_upload_max_size,omitempty"`
	// PlainHTTP reaches storage nodes over http:// (nodes without TLS).
	PlainHTTP bool `yaml:"plain_http,omitempty"`
}

// SliverWriteExtraTime is Walrus's tail-handling time: uploads go on for
// factor × elapsed + base after a quorum.
type SliverWriteExtraTime struct {
	Factor     float64 `yaml:"factor"`
	BaseMillis int64   `yaml:"base_millis"`
}

// Parse decodes a configuration file's bytes. path, if not empty, is used
// in errors and to resolve relative paths.
func Parse(data []byte, path string) (*File, error) {
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: %s is empty", ErrInvalid, orStdin(path))
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, orStdin(path), err)
	}
	f.Path = path
	if err := f.validate(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, orStdin(path), err)
	}
	return &f, nil
}

func orStdin(path string) string {
	if path == "" {
		return "configuration"
	}
	return path
}

func (f *File) validate() error {
	if len(f.Contexts) > 0 {
		if !f.Context.isZero() {
			return errors.New("context fields at the top level next to contexts")
		}
		if f.DefaultContext == "" {
			if len(f.Contexts) > 1 {
				return errors.New("default_context is required with several contexts")
			}
		} else if f.Contexts[f.DefaultContext] == nil {
			return fmt.Errorf("default_context %q is not one of the contexts (%v)", f.DefaultContext, f.ContextNames())
		}
		for _, name := range f.ContextNames() {
			c := f.Contexts[name]
			if c == nil {
				return fmt.Errorf("context %q is empty", name)
			}
			if err := c.validate(); err != nil {
				return fmt.Errorf("context %q: %v", name, err)
			}
		}
		return nil
	}
	if f.DefaultContext != "" {
		return errors.New("default_context without contexts")
	}
	return f.Context.validate()
}

func (c *Context) isZero() bool {
	return len(c.RPCURLs) == 0 && c.ChainID == "" && c.NShards == 0 && c.MaxEpochsAhead == 0 &&
		c.WalletConfig == nil && c.CommunicationConfig == nil
}

func (c *Context) validate() error {
	if len(c.RPCURLs) == 0 {
		return errors.New("rpc_urls is required")
	}
	for _, u := range c.RPCURLs {
		if u == "" {
			return errors.New("empty rpc_urls entry")
		}
	}
	if c.NShards < 0 {
		return errors.New("negative n_shards")
	}
	if c.WalletConfig != nil && c.WalletConfig.Path == "" {
		return errors.New("wallet_config.path is required")
	}
	if cc := c.CommunicationConfig; cc != nil {
		if cc.MaxDataInFlight < 0 || cc.PerNodeUploadWorkers < 0 || cc.MaxConcurrentReads < 0 || cc.MetadataConcurrency < 0 ||
			cc.RequestTimeoutMillis < 0 || cc.RegistrationWaitMs < 0 || cc.HedgeDelayMillis < 0 || cc.PendingUploadMaxSize < 0 {
			return errors.New("communication_config: negative value")
		}
		if t := cc.SliverWriteExtraTime; t != nil && (t.Factor < 0 || t.BaseMillis < 0) {
			return errors.New("communication_config.sliver_write_extra_time: negative value")
		}
	}
	return nil
}

// ContextNames returns the names of the contexts, sorted.
func (f *File) ContextNames() []string {
	names := make([]string, 0, len(f.Contexts))
	for n := range f.Contexts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Select returns the context called name, or the default one for "".
// A single-context file has only the default context. Relative wallet
// paths of the result are made relative to the file's directory.
func (f *File) Select(name string) (*Context, string, error) {
	var c *Context
	switch {
	case len(f.Contexts) == 0:
		if name != "" {
			return nil, "", fmt.Errorf("%w: %q (%s has a single context)", ErrNoContext, name, orStdin(f.Path))
		}
		c = &f.Context
	case name == "":
		name = f.DefaultContext
		if name == "" {
			name = f.ContextNames()[0]
		}
		c = f.Contexts[name]
	default:
		if c = f.Contexts[name]; c == nil {
			return nil, "", fmt.Errorf("%w: %q (%s has %v)", ErrNoContext, name, orStdin(f.Path), f.ContextNames())
		}
	}
	out := *c
	if out.WalletConfig != nil {
		w := *out.WalletConfig
		w.Path = f.resolve(w.Path)
		out.WalletConfig = &w
	}
	return &out, name, nil
}

// resolve makes a path relative to the file's directory; "~/" is the home
// directory.
func (f *File) resolve(p string) string {
	if len(p) >= 2 && p[:2] == "~/" {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[2:])
		}
	}
	if filepath.IsAbs(p) || f.Path == "" {
		return p
	}
	return filepath.Join(filepath.Dir(f.Path), p)
}

// SearchDirs returns the directories searched for a configuration file, in
// order: the working directory, $XDG_CONFIG_HOME/walrus, ~/.config/walrus
// and ~/.walrus.
func SearchDirs() []string {
	dirs := []string{"."}
	if x := os.Getenv("XDG_CONFIG_HOME"); x != "" {
		dirs = append(dirs, filepath.Join(x, "walrus"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".config", "walrus"), filepath.Join(home, ".walrus"))
	}
	return dirs
}

// Find returns the configuration file to use: explicit if not empty
// (which must exist), else the first client_config.yaml or .yml in
// SearchDirs.
func Find(explicit string) (string, error) {
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", fmt.Errorf("config file: %w", err)
		}
		return explicit, nil
	}
	var tried []string
	for _, d := range SearchDirs() {
		for _, n := range FileNames {
			p := filepath.Join(d, n)
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p, nil
			}
			tried = append(tried, p)
		}
	}
	return "", fmt.Errorf("%w (looked for %v; pass --config, or run `walrus devnet` for a local network)", ErrNotFound, tried)
}

// Load finds (see Find) and parses the configuration.
func Load(explicit string) (*File, error) {
	path, err := Find(explicit)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	return Parse(data, path)
}

// Marshal encodes a configuration file.
func (f *File) Marshal() ([]byte, error) { return yaml.Marshal(f) }

// LoadWallet reads the context's keystore (walletPath overrides the
// configured one; both empty means no wallet, nil) and returns its active
// key.
func (c *Context) LoadWallet(walletPath string) (*account.PrivateKey, error) {
	active := ""
	if walletPath == "" {
		if c.WalletConfig == nil {
			return nil, nil
		}
		walletPath, active = c.WalletConfig.Path, c.WalletConfig.ActiveAddress
	}
	ks, err := keyfile.LoadKeystore(walletPath)
	if err != nil {
		return nil, fmt.Errorf("wallet %s: %w", walletPath, err)
	}
	if active != "" {
		k, err := ks.Key(active)
		if err != nil {
			return nil, fmt.Errorf("wallet %s: active_address %s: %w", walletPath, active, err)
		}
		return k, nil
	}
	k, err := ks.Active()
	if err != nil {
		return nil, fmt.Errorf("wallet %s: %w", walletPath, err)
	}
	return k, nil
}

// ClientConfig returns the SDK configuration of the context, without its
// Chain and Wallet.
func (c *Context) ClientConfig() client.Config {
	var cfg client.Config
	cc := c.CommunicationConfig
	if cc == nil {
		return cfg
	}
	cfg.MaxDataInFlight = cc.MaxDataInFlight
	cfg.PerNodeUploadWorkers = cc.PerNodeUploadWorkers
	cfg.MaxConcurrentReads = cc.MaxConcurrentReads
	cfg.MetadataConcurrency = cc.MetadataConcurrency
	cfg.RequestTimeout = time.Duration(cc.RequestTimeoutMillis) * time.Millisecond
	cfg.RegistrationWait = time.Duration(cc.RegistrationWaitMs) * time.Millisecond
	cfg.HedgeDelay = time.Duration(cc.HedgeDelayMillis) * time.Millisecond
	if t := cc.SliverWriteExtraTime; t != nil {
		cfg.TailExtraFactor = t.Factor
		cfg.TailExtraBase = time.Duration(t.BaseMillis) * time.Millisecond
	}
	cfg.PendingUploads = cc.PendingUploadsEnabled
	cfg.PendingUploadMaxSize = cc.PendingUploadMaxSize
	cfg.PlainHTTP = cc.PlainHTTP
	return cfg
}
