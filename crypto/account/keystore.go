package account

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// Keystore errors.
var (
	ErrKeystoreFormat = errors.New("account: malformed keystore")
	ErrNotFound       = errors.New("account: no such key")
	ErrDuplicateKey   = errors.New("account: key already in keystore")
	ErrDuplicateAlias = errors.New("account: alias already in use")
	ErrInvalidAlias   = errors.New("account: invalid alias")
	ErrEmptyKeystore  = errors.New("account: keystore is empty")
)

// maxKeystoreEntries bounds what ParseKeystore accepts.
const maxKeystoreEntries = 10000

// Keystore is an ordered set of account keys with aliases, in Sui's file
// formats. Entries of other schemes (secp256k1, secp256r1, ...) are kept
// verbatim, so a Sui keystore survives a round trip, but are not usable.
//
// The active address is held in memory only (Sui keeps it in client.yaml);
// it defaults to the first Ed25519 key. A Keystore is not safe for
// concurrent mutation.
type Keystore struct {
	entries []entry
	// foreign holds aliases of keys this package cannot decode, so that
	// they are written back unchanged.
	foreign []aliasEntry
	active  *Address
}

type entry struct {
	raw   string      // the keystore string: base64(flag || secret)
	key   *PrivateKey // nil for other schemes
	alias string      // "" for other schemes
}

// aliasEntry is one element of Sui's sui.aliases file.
type aliasEntry struct {
	Alias           string `json:"alias"`
	PublicKeyBase64 string `json:"public_key_base64"`
}

// NewKeystore returns an empty keystore.
func NewKeystore() *Keystore { return &Keystore{} }

// ParseKeystore decodes a keystore file: a JSON array of standard base64
// strings of flag || secret.
func ParseKeystore(data []byte) (*Keystore, error) {
	var raws []string
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raws); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeystoreFormat, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the JSON array", ErrKeystoreFormat)
	}
	if len(raws) > maxKeystoreEntries {
		return nil, fmt.Errorf("%w: %d entries", ErrKeystoreFormat, len(raws))
	}
	ks := &Keystore{}
	seen := map[string]bool{}
	for i, r := range raws {
		b, err := base64.StdEncoding.Strict().DecodeString(r)
		if err != nil || len(b) == 0 {
			return nil, fmt.Errorf("%w: entry %d is not base64 of a tagged key", ErrKeystoreFormat, i)
		}
		e := entry{raw: r}
		if b[0] == SchemeFlag {
			k, err := ParseSecretKey(b[1:])
			if err != nil {
				return nil, fmt.Errorf("%w: entry %d: %v", ErrKeystoreFormat, i, err)
			}
			e.key = k
			if seen[k.Address().String()] {
				return nil, fmt.Errorf("%w: entry %d: %s", ErrDuplicateKey, i, k.Address())
			}
			seen[k.Address().String()] = true
		}
		ks.entries = append(ks.entries, e)
	}
	for i, e := range ks.entries {
		if e.key != nil {
			ks.entries[i].alias = ks.freshAlias(e.key.Address())
		}
	}
	return ks, nil
}

// Marshal encodes the keystore file (pretty-printed JSON, as Sui writes it).
func (ks *Keystore) Marshal() []byte {
	raws := make([]string, len(ks.entries))
	for i, e := range ks.entries {
		raws[i] = e.raw
	}
	b, err := json.MarshalIndent(raws, "", "  ")
	if err != nil {
		panic("account: marshalling strings: " + err.Error())
	}
	return append(b, '\n')
}

// ParseAliases applies a Sui aliases file (a JSON array of
// {"alias", "public_key_base64"} with the key as base64(flag || public key)).
// Keys without an alias get a generated one.
func (ks *Keystore) ParseAliases(data []byte) error {
	var as []aliasEntry
	if err := json.Unmarshal(data, &as); err != nil {
		return fmt.Errorf("%w: aliases: %v", ErrKeystoreFormat, err)
	}
	byPub := map[string]int{}
	for i, e := range ks.entries {
		if e.key != nil {
			byPub[taggedPublic(e.key)] = i
			ks.entries[i].alias = ""
		}
	}
	ks.foreign = nil
	used := map[string]bool{}
	for _, a := range as {
		if err := checkAlias(a.Alias); err != nil {
			return err
		}
		if used[a.Alias] {
			return fmt.Errorf("%w: %q", ErrDuplicateAlias, a.Alias)
		}
		used[a.Alias] = true
		if i, ok := byPub[a.PublicKeyBase64]; ok && ks.entries[i].alias == "" {
			ks.entries[i].alias = a.Alias
		} else {
			ks.foreign = append(ks.foreign, a)
		}
	}
	for i, e := range ks.entries {
		if e.key != nil && e.alias == "" {
			ks.entries[i].alias = ks.freshAlias(e.key.Address())
		}
	}
	return nil
}

// MarshalAliases encodes the aliases file.
func (ks *Keystore) MarshalAliases() []byte {
	as := []aliasEntry{}
	for _, e := range ks.entries {
		if e.key != nil {
			as = append(as, aliasEntry{Alias: e.alias, PublicKeyBase64: taggedPublic(e.key)})
		}
	}
	as = append(as, ks.foreign...)
	b, err := json.MarshalIndent(as, "", "  ")
	if err != nil {
		panic("account: marshalling aliases: " + err.Error())
	}
	return append(b, '\n')
}

func taggedPublic(k *PrivateKey) string {
	pk := k.PublicKey()
	return base64.StdEncoding.EncodeToString(append([]byte{SchemeFlag}, pk[:]...))
}

// checkAlias applies Sui's rule: a letter, then letters, digits, '-' or '_'.
func checkAlias(a string) error {
	if a == "" || len(a) > 64 {
		return fmt.Errorf("%w: %q", ErrInvalidAlias, a)
	}
	for i, c := range a {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if i == 0 && !letter || !letter && !(c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("%w: %q must start with a letter and contain only letters, digits, '-' and '_'", ErrInvalidAlias, a)
		}
	}
	return nil
}

func (ks *Keystore) aliasUsed(a string) bool {
	for _, e := range ks.entries {
		if e.alias == a {
			return true
		}
	}
	for _, f := range ks.foreign {
		if f.Alias == a {
			return true
		}
	}
	return false
}

// freshAlias derives an unused alias from the address.
func (ks *Keystore) freshAlias(a Address) string {
	h := a.String()[2:]
	for n := 8; ; n++ {
		alias := "key-" + h[:min(n, len(h))]
		if !ks.aliasUsed(alias) {
			return alias
		}
		if n >= len(h) {
			alias += fmt.Sprint("-", len(ks.entries))
			if !ks.aliasUsed(alias) {
				return alias
			}
		}
	}
}

// Add inserts k under alias ("" for a generated one).
func (ks *Keystore) Add(k *PrivateKey, alias string) error {
	if _, err := ks.find(k.Address()); err == nil {
		return fmt.Errorf("%w: %s", ErrDuplicateKey, k.Address())
	}
	if alias == "" {
		alias = ks.freshAlias(k.Address())
	} else if err := checkAlias(alias); err != nil {
		return err
	} else if ks.aliasUsed(alias) {
		return fmt.Errorf("%w: %q", ErrDuplicateAlias, alias)
	}
	sk := k.Bytes()
	raw := base64.StdEncoding.EncodeToString(append([]byte{SchemeFlag}, sk[:]...))
	ks.entries = append(ks.entries, entry{raw: raw, key: k, alias: alias})
	return nil
}

// Generate creates a new key, adds it under alias and returns it.
func (ks *Keystore) Generate(alias string) (*PrivateKey, error) {
	k, err := Generate()
	if err != nil {
		return nil, err
	}
	if err := ks.Add(k, alias); err != nil {
		return nil, err
	}
	return k, nil
}

func (ks *Keystore) find(a Address) (int, error) {
	for i, e := range ks.entries {
		if e.key != nil && e.key.Address() == a {
			return i, nil
		}
	}
	return -1, fmt.Errorf("%w: %s", ErrNotFound, a)
}

// resolve finds a key by alias or address string.
func (ks *Keystore) resolve(aliasOrAddress string) (int, error) {
	for i, e := range ks.entries {
		if e.key != nil && e.alias == aliasOrAddress {
			return i, nil
		}
	}
	a, err := ParseAddress(aliasOrAddress)
	if err != nil {
		return -1, fmt.Errorf("%w: %q is neither an alias nor an address", ErrNotFound, aliasOrAddress)
	}
	return ks.find(a)
}

// Key returns the key with the given alias or address (0x...).
func (ks *Keystore) Key(aliasOrAddress string) (*PrivateKey, error) {
	i, err := ks.resolve(aliasOrAddress)
	if err != nil {
		return nil, err
	}
	return ks.entries[i].key, nil
}

// KeyInfo describes one usable key.
type KeyInfo struct {
	Alias     string
	Address   Address
	PublicKey PublicKey
}

// List returns the usable keys in file order.
func (ks *Keystore) List() []KeyInfo {
	var out []KeyInfo
	for _, e := range ks.entries {
		if e.key != nil {
			out = append(out, KeyInfo{Alias: e.alias, Address: e.key.Address(), PublicKey: e.key.PublicKey()})
		}
	}
	return out
}

// Remove deletes the key with the given alias or address.
func (ks *Keystore) Remove(aliasOrAddress string) error {
	i, err := ks.resolve(aliasOrAddress)
	if err != nil {
		return err
	}
	if ks.active != nil && *ks.active == ks.entries[i].key.Address() {
		ks.active = nil
	}
	ks.entries = append(ks.entries[:i], ks.entries[i+1:]...)
	return nil
}

// SetActive makes the key with the given alias or address the active one.
func (ks *Keystore) SetActive(aliasOrAddress string) error {
	i, err := ks.resolve(aliasOrAddress)
	if err != nil {
		return err
	}
	a := ks.entries[i].key.Address()
	ks.active = &a
	return nil
}

// Active returns the active key: the one set with SetActive, else the first
// Ed25519 key.
func (ks *Keystore) Active() (*PrivateKey, error) {
	if ks.active != nil {
		if i, err := ks.find(*ks.active); err == nil {
			return ks.entries[i].key, nil
		}
	}
	for _, e := range ks.entries {
		if e.key != nil {
			return e.key, nil
		}
	}
	return nil, ErrEmptyKeystore
}
