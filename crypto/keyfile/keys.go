package keyfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/walrus-go/walrus/crypto/account"
	"github.com/walrus-go/walrus/crypto/bls"
	"github.com/walrus-go/walrus/crypto/netkey"
)

// SaveBLS writes a BLS protocol key as base64(0x04 || secret).
func SaveBLS(path string, sk *bls.SecretKey, overwrite bool) error {
	b := sk.Bytes()
	return WriteSecret(path, EncodeTagged(bls.SchemeFlag, b[:]), overwrite)
}

// LoadBLS reads a BLS protocol key written by SaveBLS (or by Walrus).
func LoadBLS(path string) (*bls.SecretKey, error) {
	data, err := ReadSecret(path)
	if err != nil {
		return nil, err
	}
	flag, secret, err := DecodeTagged(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if flag != bls.SchemeFlag {
		return nil, fmt.Errorf("%w: %s has scheme flag 0x%02x, want 0x%02x (BLS12-381)", ErrWrongScheme, path, flag, bls.SchemeFlag)
	}
	sk, err := bls.ParseSecretKey(secret)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return sk, nil
}

// SaveNetwork writes a network key as base64(0x02 || secret).
func SaveNetwork(path string, k *netkey.PrivateKey, overwrite bool) error {
	b := k.Bytes()
	return WriteSecret(path, EncodeTagged(netkey.SchemeFlag, b[:]), overwrite)
}

// SaveNetworkPEM writes a network key as PKCS#8 PEM.
func SaveNetworkPEM(path string, k *netkey.PrivateKey, overwrite bool) error {
	return WriteSecret(path, k.PEM(), overwrite)
}

// LoadNetwork reads a network key in either form SaveNetwork or
// SaveNetworkPEM writes.
func LoadNetwork(path string) (*netkey.PrivateKey, error) {
	data, err := ReadSecret(path)
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN")) {
		k, err := netkey.ParsePEM(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return k, nil
	}
	flag, secret, err := DecodeTagged(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if flag != netkey.SchemeFlag {
		return nil, fmt.Errorf("%w: %s has scheme flag 0x%02x, want 0x%02x (secp256r1)", ErrWrongScheme, path, flag, netkey.SchemeFlag)
	}
	k, err := netkey.ParseSecretKey(secret)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// AliasesPath returns the aliases file that belongs to a keystore: the same
// name with the extension replaced by .aliases (sui.keystore → sui.aliases).
func AliasesPath(keystorePath string) string {
	return strings.TrimSuffix(keystorePath, filepath.Ext(keystorePath)) + ".aliases"
}

// LoadKeystore reads a keystore and, if present, its aliases file.
func LoadKeystore(path string) (*account.Keystore, error) {
	data, err := ReadSecret(path)
	if err != nil {
		return nil, err
	}
	ks, err := account.ParseKeystore(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ap := AliasesPath(path)
	f, err := os.Open(ap)
	if errors.Is(err, fs.ErrNotExist) {
		return ks, nil
	}
	if err != nil {
		return nil, fmt.Errorf("keyfile: %w", err)
	}
	defer f.Close()
	aliases, err := readLimited(f, ap)
	if err != nil {
		return nil, err
	}
	if err := ks.ParseAliases(aliases); err != nil {
		return nil, fmt.Errorf("%s: %w", ap, err)
	}
	return ks, nil
}

// SaveKeystore writes a keystore and its aliases file, replacing both.
func SaveKeystore(path string, ks *account.Keystore) error {
	if err := WriteSecret(path, ks.Marshal(), true); err != nil {
		return err
	}
	return WriteSecret(AliasesPath(path), ks.MarshalAliases(), true)
}
