// Package keyfile reads and writes key files the way a node operator
// expects: secrets are created with mode 0600 (never world- or
// group-readable, written atomically), and loading refuses a secret file
// that group or others can read, so a leaked key is noticed before use.
//
// Formats follow Walrus and Sui: a BLS protocol key or a network key is the
// standard base64 of a "tagged" key, the scheme flag byte (bls.SchemeFlag
// 0x04, netkey.SchemeFlag 0x02) followed by the 32-byte secret; a network
// key may also be a PKCS#8 PEM file; an account keystore is Sui's
// sui.keystore with its sui.aliases beside it.
//
// This is the only package under crypto/ that touches the disk.
package keyfile

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// Errors.
var (
	ErrInsecurePermissions = errors.New("keyfile: secret file is readable by group or others")
	ErrExists              = errors.New("keyfile: file already exists")
	ErrFormat              = errors.New("keyfile: malformed key file")
	ErrWrongScheme         = errors.New("keyfile: key file holds another key scheme")
	ErrTooLarge            = errors.New("keyfile: file too large")
)

// maxFileSize bounds what ReadSecret reads.
const maxFileSize = 16 << 20

// SecretMode is the permission of every secret file this package creates.
const SecretMode fs.FileMode = 0o600

// WriteSecret writes data to path with mode 0600. Without overwrite it fails
// with ErrExists if path exists; with overwrite it replaces path atomically
// (write to a temporary file in the same directory, sync, rename), so the
// old key is never lost to a crash and the new file never has looser
// permissions than 0600, whatever the old one had.
func WriteSecret(path string, data []byte, overwrite bool) error {
	if !overwrite {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, SecretMode)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s", ErrExists, path)
		}
		if err != nil {
			return fmt.Errorf("keyfile: %w", err)
		}
		if err := writeSync(f, data); err != nil {
			os.Remove(path)
			return err
		}
		return nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("keyfile: %w", err)
	}
	tmp := f.Name()
	if err := f.Chmod(SecretMode); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("keyfile: %w", err)
	}
	if err := writeSync(f, data); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("keyfile: %w", err)
	}
	return nil
}

func writeSync(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("keyfile: writing %s: %w", f.Name(), err)
	}
	return nil
}

// ReadSecret reads a secret file, refusing it (ErrInsecurePermissions) if
// group or others have any access to it, or if it is not a regular file.
func ReadSecret(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keyfile: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("keyfile: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrFormat, path)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o; restrict it with: chmod 600 %s",
			ErrInsecurePermissions, path, fi.Mode().Perm(), path)
	}
	return readLimited(f, path)
}

func readLimited(r io.Reader, path string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("keyfile: reading %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%w: %s", ErrTooLarge, path)
	}
	return data, nil
}

// EncodeTagged returns base64(flag || secret) and a newline.
func EncodeTagged(flag byte, secret []byte) []byte {
	raw := append([]byte{flag}, secret...)
	out := make([]byte, base64.StdEncoding.EncodedLen(len(raw)), base64.StdEncoding.EncodedLen(len(raw))+1)
	base64.StdEncoding.Encode(out, raw)
	return append(out, '\n')
}

// DecodeTagged decodes base64(flag || secret), ignoring surrounding
// whitespace.
func DecodeTagged(data []byte) (flag byte, secret []byte, err error) {
	raw, err := base64.StdEncoding.Strict().DecodeString(string(bytes.TrimSpace(data)))
	if err != nil || len(raw) < 2 {
		return 0, nil, fmt.Errorf("%w: not base64 of a tagged key", ErrFormat)
	}
	return raw[0], raw[1:], nil
}
