package main

import (
	"crypto/ed25519"
	"path/filepath"
	"strings"
	"testing"

	"github.com/walrus-go/walrus/crypto/account"
	"github.com/walrus-go/walrus/crypto/keyfile"
	"github.com/walrus-go/walrus/devnet"
	"github.com/walrus-go/walrus/internal/cmdline"
)

// keystoreOf writes a keystore holding k, for --wallet.
func keystoreOf(t *testing.T, k ed25519.PrivateKey) string {
	t.Helper()
	ks := account.NewKeystore()
	if err := ks.Add(account.FromSeed([32]byte(k.Seed())), "key"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "wallet.keystore")
	if err := keyfile.SaveKeystore(path, ks); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestStakingCommands stakes with a candidate node and withdraws before
// activation, lists stakes (the user's and an operator's genesis stake), and
// checks the operator-only commission collection and the usage errors.
func TestStakingCommands(t *testing.T) {
	n := startNet(t, devnet.Config{Candidates: 1})
	ctx := t.Context()
	node4, err := n.nw.NodeID(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	var list []stakedOutput
	n.mustJSON(t, &list, "list-staked-wal")
	if len(list) != 0 {
		t.Fatalf("stakes before staking: %+v", list)
	}
	var staked []stakedOutput
	n.mustJSON(t, &staked, "stake", "--node-ids", node4.String(), "--amounts", "2000000000")
	if len(staked) != 1 || staked[0].NodeID != node4.String() || staked[0].Principal != 2_000_000_000 || staked[0].Active || staked[0].State != "Staked" {
		t.Fatalf("stake output %+v", staked)
	}
	n.mustJSON(t, &list, "list-staked-wal")
	if len(list) != 1 || list[0] != staked[0] {
		t.Fatalf("listed %+v, staked %+v", list, staked)
	}
	if code, out, errs := n.walrus(t, "", "list-staked-wal"); code != cmdline.ExitOK || !strings.Contains(out, "Pending") || !strings.Contains(out, "2 WAL") {
		t.Fatalf("list-staked-wal: exit %d: %s %s", code, out, errs)
	}
	var withdrawn map[string]any
	n.mustJSON(t, &withdrawn, "request-withdraw-stake", "--staked-wal-id", staked[0].ID)
	if withdrawn["withdrawn"] != true {
		t.Fatalf("withdrawal of an inactive stake: %v", withdrawn)
	}
	if code, _, errs := n.walrus(t, "", "withdraw-stake", "--staked-wal-id", staked[0].ID); code != cmdline.ExitError || !strings.Contains(errs, "no such staked WAL") {
		t.Fatalf("withdrawing a gone stake: exit %d: %s", code, errs)
	}

	// Operators only.
	if code, _, errs := n.walrus(t, "", "node-admin", "collect-commission", "--node-id", node4.String()); code != cmdline.ExitError || !strings.Contains(errs, "operator") {
		t.Fatalf("commission collected by a non-operator: exit %d: %s", code, errs)
	}
	var collected map[string]any
	n.mustJSON(t, &collected, "--wallet", keystoreOf(t, n.nw.Operator(4)), "node-admin", "collect-commission", "--node-id", node4.String())
	if collected["amount"] != 0.0 || collected["nodeId"] != node4.String() {
		t.Fatalf("collected %v", collected)
	}
	n.mustJSON(t, &list, "--wallet", keystoreOf(t, n.nw.Operator(0)), "list-staked-wal")
	if len(list) != 1 || !list[0].Active || list[0].Principal != devnet.GenesisStake || list[0].EstimatedValue != devnet.GenesisStake {
		t.Fatalf("operator 0's stakes %+v", list)
	}

	for _, args := range [][]string{
		{"stake"},
		{"stake", "--node-ids", node4.String(), "--amounts", "0"},
		{"stake", "--node-ids", node4.String(), "--amounts", "1,2"},
		{"stake", "--node-ids", "zz", "--amounts", "1"},
		{"request-withdraw-stake"},
		{"withdraw-stake", "--staked-wal-id", "not-an-id"},
		{"node-admin", "collect-commission"},
		{"node-admin", "bogus"},
	} {
		if code, _, errs := n.walrus(t, "", args...); code != cmdline.ExitUsage {
			t.Fatalf("%v: exit %d, want %d: %s", args, code, cmdline.ExitUsage, errs)
		}
	}
}
