package keyfile

import (
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/walrus-go/walrus/crypto/account"
	"github.com/walrus-go/walrus/crypto/bls"
	"github.com/walrus-go/walrus/crypto/netkey"
)

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestBLS(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "protocol.key")
	sk, _ := bls.GenerateKey(rand.Reader)
	if err := SaveBLS(path, sk, false); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, path); m != 0o600 {
		t.Fatalf("mode %04o", m)
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), "B") || len(strings.TrimSpace(string(data))) != 44 {
		t.Fatalf("file content %q: want base64 of 33 bytes starting with 0x04", data)
	}
	back, err := LoadBLS(path)
	if err != nil || !back.Equal(sk) {
		t.Fatalf("LoadBLS: %v", err)
	}
	if err := SaveBLS(path, sk, false); !errors.Is(err, ErrExists) {
		t.Fatalf("second save: %v", err)
	}
	// Loosen the permissions: loading must refuse.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadBLS(path)
	if !errors.Is(err, ErrInsecurePermissions) || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable: %v", err)
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadBLS(path); !errors.Is(err, ErrInsecurePermissions) {
		t.Fatalf("group-readable: %v", err)
	}
	// Overwriting replaces the file with a 0600 one.
	sk2, _ := bls.GenerateKey(rand.Reader)
	if err := SaveBLS(path, sk2, true); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, path); m != 0o600 {
		t.Fatalf("mode after overwrite %04o", m)
	}
	if back, err := LoadBLS(path); err != nil || !back.Equal(sk2) {
		t.Fatalf("after overwrite: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
}

func TestNetwork(t *testing.T) {
	dir := t.TempDir()
	k, _ := netkey.Generate()
	tagged := filepath.Join(dir, "network.key")
	pemPath := filepath.Join(dir, "network.pem")
	if err := SaveNetwork(tagged, k, false); err != nil {
		t.Fatal(err)
	}
	if err := SaveNetworkPEM(pemPath, k, false); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{tagged, pemPath} {
		if m := mode(t, p); m != 0o600 {
			t.Fatalf("%s mode %04o", p, m)
		}
		back, err := LoadNetwork(p)
		if err != nil || !back.Equal(k) {
			t.Fatalf("LoadNetwork(%s): %v", p, err)
		}
	}
	// A BLS key file is not a network key, and vice versa.
	if _, err := LoadBLS(tagged); !errors.Is(err, ErrWrongScheme) {
		t.Fatalf("network key as BLS: %v", err)
	}
	blsPath := filepath.Join(dir, "bls.key")
	sk, _ := bls.GenerateKey(rand.Reader)
	_ = SaveBLS(blsPath, sk, false)
	if _, err := LoadNetwork(blsPath); !errors.Is(err, ErrWrongScheme) {
		t.Fatalf("BLS key as network: %v", err)
	}
}

func TestMalformed(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"empty":        "",
		"not base64":   "!!!!",
		"flag only":    "BA==",
		"short secret": string(EncodeTagged(bls.SchemeFlag, make([]byte, 31))),
		"zero secret":  string(EncodeTagged(bls.SchemeFlag, make([]byte, 32))),
		"bad pem":      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
	}
	for name, content := range cases {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		if err := WriteSecret(p, []byte(content), false); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadBLS(p); err == nil {
			t.Errorf("LoadBLS %s: accepted", name)
		}
		if _, err := LoadNetwork(p); err == nil {
			t.Errorf("LoadNetwork %s: accepted", name)
		}
	}
	if _, err := ReadSecret(dir); !errors.Is(err, ErrFormat) {
		t.Errorf("directory: %v", err)
	}
	if _, err := ReadSecret(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
}

func TestKeystoreFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sui.keystore")
	if AliasesPath(path) != filepath.Join(dir, "sui.aliases") {
		t.Fatalf("AliasesPath = %s", AliasesPath(path))
	}
	ks := account.NewKeystore()
	k, _ := ks.Generate("main")
	if _, err := ks.Generate(""); err != nil {
		t.Fatal(err)
	}
	if err := SaveKeystore(path, ks); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, AliasesPath(path)} {
		if m := mode(t, p); m != 0o600 {
			t.Fatalf("%s mode %04o", p, m)
		}
	}
	back, err := LoadKeystore(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := back.Key("main"); err != nil || !got.Equal(k) {
		t.Fatalf("alias lost: %v", err)
	}
	// Without the aliases file the keys still load.
	os.Remove(AliasesPath(path))
	back, err = LoadKeystore(path)
	if err != nil || len(back.List()) != 2 {
		t.Fatalf("without aliases: %v", err)
	}
	os.Chmod(path, 0o604)
	if _, err := LoadKeystore(path); !errors.Is(err, ErrInsecurePermissions) {
		t.Fatalf("insecure keystore: %v", err)
	}
}
