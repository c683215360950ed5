package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/crypto/account"
	"github.com/walrus-go/walrus/crypto/bls"
	"github.com/walrus-go/walrus/crypto/keyfile"
	"github.com/walrus-go/walrus/crypto/netkey"
	"github.com/walrus-go/walrus/internal/cmdline"
)

// setupOutput describes a node set up by walrus-node setup: what an
// operator registers on chain.
type setupOutput struct {
	Config           string        `json:"config"`
	ProtocolKey      string        `json:"protocolPublicKey"` // base64 BLS public key
	NetworkPublicKey string        `json:"networkPublicKey"`  // hex compressed secp256r1
	Operator         chain.Address `json:"operator"`
}

func (a *app) setupCommand() *cobra.Command {
	c := defaultNodeFileConfig()
	var dir string
	cmd := &cobra.Command{
		Use:   "setup --dir DIR",
		Short: "Create a storage node's keys and configuration file",
		Long: `Writes, in DIR (created if needed; existing files are never overwritten):
protocol.key (BLS), network.pem (TLS, secp256r1), operator.keystore (the operator's account,
alias "operator"), all mode 0600, and node.yaml, the configuration for
'walrus-node run --config DIR/node.yaml' (every default written out; edit as needed).
Prints the public keys and the operator address to register the node on chain.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return cmdline.Usage(errors.New("--dir is required"))
			}
			if err := c.Validate(); err != nil {
				return cmdline.Usage(err)
			}
			out, err := setupNode(dir, &c)
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(out)
			}
			fmt.Fprintf(a.stdout, "Storage node set up in %s\n  protocol public key: %s\n  network public key:  %s\n  operator address:    %s\nRun with: walrus-node run --config %s\n"+
				"Join the committee: fund the operator address, then walrus-node register --config %[5]s, and get stake (walrus stake)\n",
				dir, out.ProtocolKey, out.NetworkPublicKey, out.Operator, out.Config)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "dir", "", "directory for the keys and node.yaml")
	f.StringVar(&c.Name, "name", "", "node name (labels the logs)")
	f.StringVar(&c.RESTAPIAddress, "rest-address", c.RESTAPIAddress, "REST API listen address")
	f.StringVar(&c.PublicAddress, "public-address", "", "host:port registered on chain (checked at start when set)")
	f.StringVar(&c.MetricsAddress, "metrics-address", c.MetricsAddress, "Prometheus metrics address (empty: off)")
	f.StringVar(&c.Chain.RPCAddress, "chain-rpc", c.Chain.RPCAddress, "CometBFT RPC endpoint of the chain")
	f.StringVar(&c.Chain.ChainID, "chain-id", c.Chain.ChainID, "chain ID")
	f.Uint64Var(&c.Chain.MinFee, "min-fee", c.Chain.MinFee, "fee of the node's transactions in FROST")
	return cmd
}

// setupNode writes a node's keys and configuration into dir.
func setupNode(dir string, c *nodeFileConfig) (*setupOutput, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(dir, nodeConfigFile)
	for _, f := range []string{protocolKeyFile, networkKeyFile, operatorKeystore, nodeConfigFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s already exists: refusing to overwrite a node's keys", filepath.Join(dir, f))
		}
	}
	keys, err := writeNodeKeys(dir)
	if err != nil {
		return nil, err
	}
	if err := writeNodeConfig(cfgPath, c); err != nil {
		return nil, err
	}
	pk := keys.protocol.PublicKey().Bytes()
	npk := keys.network.PublicKey()
	return &setupOutput{Config: cfgPath, ProtocolKey: base64.StdEncoding.EncodeToString(pk[:]),
		NetworkPublicKey: hex.EncodeToString(npk[:]), Operator: keys.operator.Address()}, nil
}

// nodeKeys are a storage node's keys.
type nodeKeys struct {
	protocol *bls.SecretKey
	network  *netkey.PrivateKey
	operator *account.PrivateKey
}

// writeNodeKeys generates a node's keys and writes them into dir (0600,
// never overwriting).
func writeNodeKeys(dir string) (*nodeKeys, error) {
	sk, err := bls.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	nk, err := netkey.Generate()
	if err != nil {
		return nil, err
	}
	ks := account.NewKeystore()
	op, err := ks.Generate("operator")
	if err != nil {
		return nil, err
	}
	if err := keyfile.SaveBLS(filepath.Join(dir, protocolKeyFile), sk, false); err != nil {
		return nil, err
	}
	if err := keyfile.SaveNetworkPEM(filepath.Join(dir, networkKeyFile), nk, false); err != nil {
		return nil, err
	}
	if err := keyfile.SaveKeystore(filepath.Join(dir, operatorKeystore), ks); err != nil {
		return nil, err
	}
	return &nodeKeys{protocol: sk, network: nk, operator: op}, nil
}
