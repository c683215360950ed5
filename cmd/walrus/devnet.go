package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"

	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/client"
	"github.com/walrus-go/walrus/clientconfig"
	"github.com/walrus-go/walrus/crypto/account"
	"github.com/walrus-go/walrus/crypto/keyfile"
	"github.com/walrus-go/walrus/devnet"
	"github.com/walrus-go/walrus/internal/cmdline"
)

// Files `walrus devnet` writes next to the network.
const (
	devnetConfigFile = "client_config.yaml"
	devnetWalletFile = "wallet.keystore"
	// devnetPublisherFile holds the publisher's own funded wallet.
	devnetPublisherFile = "publisher.keystore"
	devnetContext       = "devnet"
)

// devnetFaucetMax is the most `walrus get-wal` gives at once on a devnet.
const devnetFaucetMax = 1000 * chain.FrostPerWAL

// devnetReady, when set (by tests), is called once the network serves.
var devnetReady func(configPath string)

// defaultDevnetDir is $XDG_DATA_HOME/walrus/devnet, else
// ~/.local/share/walrus/devnet, else ./walrus-devnet.
func defaultDevnetDir() string {
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "walrus", "devnet")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "walrus", "devnet")
	}
	return "walrus-devnet"
}

type devnetFlags struct {
	dir           string
	nodes, shards int
	epochDuration time.Duration
	bindAddress   string
	rpcAddress    string
	demo          bool
	demoFile      string
}

func (a *app) devnetCommand() *cobra.Command {
	var f devnetFlags
	cmd := &cobra.Command{
		Use:   "devnet",
		Short: "Run a whole local Walrus network in this process (chain, storage nodes, publisher/aggregator)",
		Long: "Starts a local network in --dir: a one-validator chain serving CometBFT RPC on a loopback\n" +
			"port, the storage nodes, a funded wallet, and a publisher+aggregator on --bind-address. It\n" +
			"writes DIR/client_config.yaml (and the wallet it names) so that, from another shell,\n" +
			"`walrus --config DIR/client_config.yaml store FILE` works. Ctrl-C stops it; running it\n" +
			"again with the same --dir resumes the network with every blob.\n\n" +
			"The default --dir is $XDG_DATA_HOME/walrus/devnet (~/.local/share/walrus/devnet).\n" +
			"The network's shape (--nodes, --shards, --epoch-duration) is fixed when it is created.\n\n" +
			"--demo stores a file (--demo-file, default 1 MiB of random bytes), reads it back, checks the\n" +
			"bytes, and exits (in a temporary directory unless --dir is given).",
		Args: cmdline.ExactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.nodes < 1 || f.shards < 4 || f.epochDuration <= 0 {
				return cmdline.Usagef("need at least 1 node, 4 shards and a positive epoch duration")
			}
			if f.demoFile != "" && !f.demo {
				return cmdline.Usagef("--demo-file needs --demo")
			}
			if !cmd.Flags().Changed("dir") {
				if f.demo {
					tmp, err := os.MkdirTemp("", "walrus-devnet-demo-")
					if err != nil {
						return err
					}
					defer os.RemoveAll(tmp)
					f.dir = tmp
				} else {
					f.dir = defaultDevnetDir()
				}
			}
			if f.demo && !cmd.Flags().Changed("bind-address") {
				f.bindAddress = "" // the demo needs no publisher/aggregator
			}
			return a.runDevnet(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dir, "dir", defaultDevnetDir(), "directory of the network (created on first use)")
	fl.IntVar(&f.nodes, "nodes", devnet.DefaultNodes, "storage nodes (new network only)")
	fl.IntVar(&f.shards, "shards", devnet.DefaultShards, "shards (new network only)")
	fl.DurationVar(&f.epochDuration, "epoch-duration", 10*time.Minute, "epoch length (new network only)")
	fl.StringVar(&f.bindAddress, "bind-address", "127.0.0.1:31415", "publisher and aggregator address (empty: none)")
	fl.StringVar(&f.rpcAddress, "rpc-address", "", "CometBFT RPC address (default: the previous run's, else a free loopback port)")
	fl.BoolVar(&f.demo, "demo", false, "store a file, read it back, compare, and exit")
	fl.StringVar(&f.demoFile, "demo-file", "", "the file --demo stores (default: 1 MiB of random bytes)")
	return cmd
}

func (a *app) runDevnet(ctx context.Context, f devnetFlags) error {
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return err
	}
	cfgPath := filepath.Join(f.dir, devnetConfigFile)
	rpcAddr, err := chooseRPCAddress(f.rpcAddress, cfgPath)
	if err != nil {
		return err
	}
	var logger *slog.Logger
	if a.verbose {
		logger = slog.New(slog.NewTextHandler(a.stderr, nil))
	}
	if _, err := os.Stat(filepath.Join(f.dir, "devnet.json")); err == nil {
		fmt.Fprintf(a.stderr, "Resuming the devnet in %s (--nodes, --shards and --epoch-duration only shape a new one) ...\n", f.dir)
	} else {
		fmt.Fprintf(a.stderr, "Starting a new devnet in %s ...\n", f.dir)
	}
	nw, err := devnet.Start(ctx, devnet.Config{Dir: f.dir, Nodes: f.nodes, Shards: f.shards, EpochDuration: f.epochDuration,
		RPCListen: "tcp://" + rpcAddr, Logger: logger, FaucetMax: devnetFaucetMax, Wallets: 2})
	if err != nil {
		return err
	}
	defer nw.Close()
	rpcURL := "http://" + rpcAddr
	if err := writeDevnetConfig(f.dir, rpcURL, nw.ChainID(), nw.Shards(), nw.Wallet()); err != nil {
		return err
	}

	var daemonURL string
	stopDaemon := func() {}
	if f.bindAddress != "" {
		// The publisher signs with a wallet of its own, so that its
		// transactions and those of a CLI using the configuration's wallet
		// never compete for sequence numbers (a network created before
		// there were two has one, shared).
		ws := nw.Wallets()
		pubPath, err := filepath.Abs(filepath.Join(f.dir, devnetPublisherFile))
		if err != nil {
			return err
		}
		if err := writeKeystore(pubPath, ws[len(ws)-1], "devnet-publisher"); err != nil {
			return err
		}
		daemonURL, stopDaemon, err = a.startDevnetDaemon(ctx, cfgPath, pubPath, f.bindAddress)
		if err != nil {
			return err
		}
	}
	defer stopDaemon()

	if f.demo {
		return a.devnetDemo(ctx, cfgPath, f.demoFile)
	}
	self := "walrus"
	if a.json {
		a.printJSON(map[string]any{"dir": f.dir, "config": cfgPath, "rpcUrl": rpcURL, "chainId": nw.ChainID(),
			"nodeUrls": nw.NodeURLs(), "publisherAggregatorUrl": daemonURL, "shards": nw.Shards()})
	} else {
		w := a.stdout
		fmt.Fprintf(w, "Walrus devnet running: %d storage nodes, %d shards, chain %s\n", nw.Nodes(), nw.Shards(), nw.ChainID())
		fmt.Fprintf(w, "Directory:        %s\n", f.dir)
		fmt.Fprintf(w, "Chain RPC:        %s\n", rpcURL)
		for i, u := range nw.NodeURLs() {
			fmt.Fprintf(w, "Storage node %d:   %s\n", i, u)
		}
		if daemonURL != "" {
			fmt.Fprintf(w, "Publisher/aggregator: %s (PUT %s/v1/blobs, GET %s/v1/blobs/<id>)\n", daemonURL, daemonURL, daemonURL)
		}
		fmt.Fprintf(w, "Client config:    %s (wallet %s)\n\n", cfgPath, filepath.Join(f.dir, devnetWalletFile))
		fmt.Fprintf(w, "From another shell:\n  %s --config %s store FILE\n  %s --config %s read BLOB_ID --out FILE\n\n",
			self, shellQuote(cfgPath), self, shellQuote(cfgPath))
		fmt.Fprintln(w, "Press Ctrl-C to stop; running the same command again resumes the network with its blobs.")
	}
	if devnetReady != nil {
		devnetReady(cfgPath)
	}
	<-ctx.Done()
	fmt.Fprintln(a.stderr, "Stopping the devnet ...")
	return nil
}

// chooseRPCAddress returns the RPC address to serve: the flag, else the
// one the existing configuration names if it is still free (so that
// configurations handed out keep working), else a free loopback port.
func chooseRPCAddress(flag, cfgPath string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if data, err := os.ReadFile(cfgPath); err == nil {
		if f, err := clientconfig.Parse(data, cfgPath); err == nil {
			if c, _, err := f.Select(""); err == nil && len(c.RPCURLs) > 0 {
				if u, err := url.Parse(c.RPCURLs[0]); err == nil && u.Host != "" {
					if ln, err := net.Listen("tcp", u.Host); err == nil {
						ln.Close()
						return u.Host, nil
					}
				}
			}
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// writeKeystore writes a keystore (0600) holding one key.
func writeKeystore(path string, wallet ed25519.PrivateKey, alias string) error {
	ks := account.NewKeystore()
	if err := ks.Add(account.FromSeed([32]byte(wallet.Seed())), alias); err != nil {
		return err
	}
	if err := keyfile.SaveKeystore(path, ks); err != nil {
		return fmt.Errorf("writing the wallet: %w", err)
	}
	return nil
}

// writeDevnetConfig writes DIR/wallet.keystore (0600) with the funded
// wallet and DIR/client_config.yaml naming it and the chain's RPC.
func writeDevnetConfig(dir, rpcURL, chainID string, shards int, wallet ed25519.PrivateKey) error {
	key := account.FromSeed([32]byte(wallet.Seed()))
	walletPath, err := filepath.Abs(filepath.Join(dir, devnetWalletFile))
	if err != nil {
		return err
	}
	if err := writeKeystore(walletPath, wallet, "devnet-wallet"); err != nil {
		return err
	}
	f := &clientconfig.File{
		DefaultContext: devnetContext,
		Contexts: map[string]*clientconfig.Context{devnetContext: {
			RPCURLs: []string{rpcURL}, ChainID: chainID, NShards: shards,
			// Absolute, so that a copy of the file elsewhere (say in
			// ~/.config/walrus) still finds the wallet.
			WalletConfig: &clientconfig.WalletConfig{Path: walletPath, ActiveAddress: key.Address().String()},
		}},
	}
	data, err := f.Marshal()
	if err != nil {
		return err
	}
	header := "# Written by `walrus devnet`; rewritten on every start.\n"
	path := filepath.Join(dir, devnetConfigFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append([]byte(header), data...), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// devnetDemo stores a file through the written configuration (over the
// RPC, as another process would), reads it back and compares.
func (a *app) devnetDemo(ctx context.Context, cfgPath, file string) error {
	var data []byte
	var err error
	if file != "" {
		if data, err = a.readInput(file); err != nil {
			return err
		}
	} else {
		data = make([]byte, 1<<20)
		rand.Read(data)
		file = "1 MiB of random bytes"
	}
	cf, err := clientconfig.Load(cfgPath)
	if err != nil {
		return err
	}
	c, _, err := cf.Select("")
	if err != nil {
		return err
	}
	conn, err := c.Connect(ctx, clientconfig.Options{Logger: a.logger()})
	if err != nil {
		return err
	}
	defer conn.Close()
	start := time.Now()
	res, err := conn.Client.Store(ctx, data, client.StoreOptions{Epochs: 1})
	if err != nil {
		return fmt.Errorf("demo store: %w", err)
	}
	stored := time.Since(start)
	id := res.BlobID()
	start = time.Now()
	var back bytes.Buffer
	if _, err := conn.Client.Stream(ctx, id, &back, client.ReadOptions{}); err != nil {
		return fmt.Errorf("demo read: %w", err)
	}
	read := time.Since(start)
	same := bytes.Equal(back.Bytes(), data)
	if a.json {
		a.printJSON(map[string]any{"blobId": id.String(), "size": len(data), "bytesMatch": same,
			"storeMillis": stored.Milliseconds(), "readMillis": read.Milliseconds()})
	} else {
		fmt.Fprintf(a.stdout, "Stored %s (%s) in %s\nBlob ID: %s\nRead back %s in %s: ", file, formatBytes(uint64(len(data))),
			stored.Round(time.Millisecond), id, formatBytes(uint64(back.Len())), read.Round(time.Millisecond))
		if same {
			fmt.Fprintln(a.stdout, "the bytes match.")
		} else {
			fmt.Fprintln(a.stdout, "the bytes DIFFER.")
		}
	}
	if !same {
		return errors.New("demo: the blob read back differs from the one stored")
	}
	return nil
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
