package chain

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
)

// The genesis JSON (the app_state of CometBFT's genesis.json) is meant to be
// read and edited by people: addresses are 0x-hex, BLS and network keys
// standard base64, times RFC 3339, the epoch duration a Go duration
// ("1m0s"), amounts in FROST as numbers. Unknown fields are errors, so a
// misspelt parameter is not silently ignored.

type genesisJSON struct {
	ChainID        string               `json:"chainId"`
	GenesisTime    time.Time            `json:"genesisTime"`
	NShards        uint16               `json:"nShards"`
	EpochDuration  string               `json:"epochDuration"`
	MaxEpochsAhead uint32               `json:"maxEpochsAhead"`
	MinFee         uint64               `json:"minFee"`
	FaucetEnabled  bool                 `json:"faucetEnabled"`
	FaucetMax      uint64               `json:"faucetMax"`
	MaxActiveSet   uint32               `json:"maxActiveSet,omitempty"`
	TotalCapacity  uint64               `json:"totalCapacity,omitempty"`
	Nodes          []genesisNodeJSON    `json:"nodes"`
	Balances       []genesisBalanceJSON `json:"balances"`
}

type genesisNodeJSON struct {
	Operator         Address `json:"operator"`
	Name             string  `json:"name"`
	NetworkAddress   string  `json:"networkAddress"`
	PublicKey        string  `json:"publicKey"`
	NetworkPublicKey string  `json:"networkPublicKey"`
	Stake            uint64  `json:"stake"`
	Commission       uint16  `json:"commission"`
	StoragePrice     uint64  `json:"storagePrice"`
	WritePrice       uint64  `json:"writePrice"`
	Capacity         uint64  `json:"capacity"`
}

type genesisBalanceJSON struct {
	Address Address `json:"address"`
	Amount  uint64  `json:"amount"`
}

// MarshalJSON implements json.Marshaler.
func (g *Genesis) MarshalJSON() ([]byte, error) {
	j := genesisJSON{
		ChainID: g.ChainID, GenesisTime: g.GenesisTime.UTC(), NShards: g.NShards,
		EpochDuration: g.EpochDuration.String(), MaxEpochsAhead: g.MaxEpochsAhead, MinFee: g.MinFee,
		FaucetEnabled: g.FaucetEnabled, FaucetMax: g.FaucetMax, MaxActiveSet: g.MaxActiveSet,
		TotalCapacity: g.TotalCapacity,
		Nodes:         make([]genesisNodeJSON, len(g.Nodes)),
		Balances:      make([]genesisBalanceJSON, len(g.Balances)),
	}
	for i, n := range g.Nodes {
		j.Nodes[i] = genesisNodeJSON{
			Operator: n.Operator, Name: n.Name, NetworkAddress: n.NetworkAddress,
			PublicKey:        base64.StdEncoding.EncodeToString(n.PublicKey[:]),
			NetworkPublicKey: base64.StdEncoding.EncodeToString(n.NetworkPublicKey),
			Stake:            n.Stake, Commission: n.Commission, StoragePrice: n.StoragePrice,
			WritePrice: n.WritePrice, Capacity: n.Capacity,
		}
	}
	for i, b := range g.Balances {
		j.Balances[i] = genesisBalanceJSON(b)
	}
	return json.Marshal(j)
}

// UnmarshalJSON implements json.Unmarshaler. It checks the encodings (key
// sizes, base64, durations); Validate checks the values.
func (g *Genesis) UnmarshalJSON(data []byte) error {
	var j genesisJSON
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(&j); err != nil {
		return fmt.Errorf("%w: genesis JSON: %w", ErrGenesis, err)
	}
	if d.More() {
		return fmt.Errorf("%w: genesis JSON: trailing data", ErrGenesis)
	}
	dur, err := time.ParseDuration(j.EpochDuration)
	if err != nil {
		return fmt.Errorf("%w: epochDuration: %w", ErrGenesis, err)
	}
	out := Genesis{
		ChainID: j.ChainID, GenesisTime: j.GenesisTime, NShards: j.NShards, EpochDuration: dur,
		MaxEpochsAhead: j.MaxEpochsAhead, MinFee: j.MinFee, FaucetEnabled: j.FaucetEnabled,
		FaucetMax: j.FaucetMax, MaxActiveSet: j.MaxActiveSet, TotalCapacity: j.TotalCapacity,
	}
	for i, n := range j.Nodes {
		pk, err := base64.StdEncoding.Strict().DecodeString(n.PublicKey)
		if err != nil || len(pk) != BLSPublicKeySize {
			return fmt.Errorf("%w: node %d: publicKey must be %d bytes of base64 (%v)", ErrGenesis, i, BLSPublicKeySize, err)
		}
		nk, err := base64.StdEncoding.Strict().DecodeString(n.NetworkPublicKey)
		if err != nil {
			return fmt.Errorf("%w: node %d: networkPublicKey: %w", ErrGenesis, i, err)
		}
		out.Nodes = append(out.Nodes, GenesisNode{
			Operator: n.Operator, Name: n.Name, NetworkAddress: n.NetworkAddress,
			PublicKey: [BLSPublicKeySize]byte(pk), NetworkPublicKey: nk, Stake: n.Stake,
			Commission: n.Commission, StoragePrice: n.StoragePrice, WritePrice: n.WritePrice, Capacity: n.Capacity,
		})
	}
	for _, b := range j.Balances {
		out.Balances = append(out.Balances, GenesisBalance(b))
	}
	*g = out
	return nil
}
