package chain

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestGenesisJSON(t *testing.T) {
	e := newEnv(t)
	g := e.g
	g.GenesisTime = g.GenesisTime.UTC()
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	pk := g.Nodes[0].PublicKey
	for _, want := range []string{
		`"chainId": "walrus-test"`, `"epochDuration": "1h0m0s"`, `"nShards": 10`,
		`"operator": "` + g.Nodes[0].Operator.String() + `"`,
		`"publicKey": "` + mustB64(pk[:]) + `"`, `"networkPublicKey": "AgA="`,
		`"address": "` + g.Balances[0].Address.String() + `"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("genesis JSON lacks %s:\n%s", want, s)
		}
	}
	var back Genesis
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, g) {
		t.Fatalf("round trip:\n%+v\n%+v", back, *g)
	}
	for name, bad := range map[string]string{
		"unknown field": strings.Replace(s, `"minFee"`, `"minFees"`, 1),
		"short key":     strings.Replace(s, mustB64(pk[:]), "AAAA", 1),
		"bad duration":  strings.Replace(s, `"1h0m0s"`, `"an hour"`, 1),
		"number array":  strings.Replace(s, `"`+mustB64(pk[:])+`"`, "[1,2,3]", 1),
	} {
		if err := json.Unmarshal([]byte(bad), &back); !errors.Is(err, ErrGenesis) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func mustB64(b []byte) string { v, _ := json.Marshal(b); return strings.Trim(string(v), `"`) }
