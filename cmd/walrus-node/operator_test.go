package main

import (
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/crypto/keyfile"
	"github.com/walrus-go/walrus/devnet"
	"github.com/walrus-go/walrus/internal/cmdline"
)

// TestOperatorCommands sets a node up with walrus-node setup against a
// devnet, funds its operator, registers it as a candidate and sets its votes
// and commission and collects its commission, checking the pool on chain.
func TestOperatorCommands(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rpcAddr := ln.Addr().String()
	ln.Close()
	nw, err := devnet.Start(ctx, devnet.Config{Dir: t.TempDir(), Shards: 10, RPCListen: "tcp://" + rpcAddr})
	if err != nil {
		t.Fatal(err)
	}
	defer nw.Close()

	dir := t.TempDir()
	if code, _, errs := run(t, "setup", "--dir", dir, "--chain-rpc", "tcp://"+rpcAddr, "--chain-id", nw.ChainID(), "--min-fee", "1",
		"--name", "op-test", "--public-address", "127.0.0.1:19185", "--rest-address", "127.0.0.1:19185", "--metrics-address", ""); code != cmdline.ExitOK {
		t.Fatalf("setup: exit %d: %s", code, errs)
	}
	cfg := filepath.Join(dir, nodeConfigFile)
	// Not registered yet.
	if code, _, errs := run(t, "collect-commission", "--config", cfg); code != cmdline.ExitError || !strings.Contains(errs, "not registered") {
		t.Fatalf("collect-commission before registering: exit %d: %s", code, errs)
	}
	ks, err := keyfile.LoadKeystore(filepath.Join(dir, operatorKeystore))
	if err != nil {
		t.Fatal(err)
	}
	op, err := ks.Key("operator")
	if err != nil {
		t.Fatal(err)
	}
	opAddr := chain.Address(op.Address())
	// Registering costs a fee: the operator has nothing yet.
	if code, _, _ := run(t, "register", "--config", cfg); code != cmdline.ExitError {
		t.Fatalf("register without funds: exit %d", code)
	}
	if _, err := nw.Chain().Send(ctx, nw.Wallet(), &chain.MsgTransfer{To: opAddr, Amount: chain.FrostPerWAL}); err != nil {
		t.Fatal(err)
	}

	code, out, errs := run(t, "register", "--config", cfg, "--commission", "300", "--storage-price", "11", "--write-price", "22", "--capacity", "333", "--json")
	if code != cmdline.ExitOK {
		t.Fatalf("register: exit %d: %s", code, errs)
	}
	var reg operatorOutput
	if err := json.Unmarshal([]byte(out), &reg); err != nil {
		t.Fatal(err)
	}
	sk, err := keyfile.LoadBLS(filepath.Join(dir, protocolKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	nk, err := keyfile.LoadNetwork(filepath.Join(dir, networkKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	npk := nk.PublicKey()
	pool := func() *chain.Pool {
		pools, err := nw.Chain().Pools(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pools {
			if p.NodeID.String() == reg.NodeID {
				return p
			}
		}
		t.Fatalf("no pool %s", reg.NodeID)
		return nil
	}
	p := pool()
	if p.Name != "op-test" || p.NetworkAddress != "127.0.0.1:19185" || p.Operator != opAddr || p.PublicKey != sk.PublicKey().Bytes() ||
		string(p.NetworkPublicKey) != string(npk[:]) || p.Commission != 300 || p.StoragePrice != 11 || p.WritePrice != 22 || p.Capacity != 333 {
		t.Fatalf("registered pool %+v", p)
	}
	if code, _, _ := run(t, "register", "--config", cfg); code != cmdline.ExitError {
		t.Fatalf("registering the same key twice: exit %d", code)
	}

	if code, _, errs := run(t, "set-votes", "--config", cfg, "--storage-price", "44", "--write-price", "55", "--capacity", "666"); code != cmdline.ExitOK {
		t.Fatalf("set-votes: exit %d: %s", code, errs)
	}
	if code, _, errs := run(t, "set-commission", "--config", cfg, "--rate", "1200"); code != cmdline.ExitOK {
		t.Fatalf("set-commission: exit %d: %s", code, errs)
	}
	sys, err := nw.Chain().System(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p = pool()
	if p.StoragePrice != 44 || p.WritePrice != 55 || p.Capacity != 666 || len(p.PendingCommission) != 1 ||
		p.PendingCommission[0].Amount != 1200 || p.PendingCommission[0].Epoch != sys.Epoch+2 {
		t.Fatalf("pool after set-votes and set-commission %+v", p)
	}
	code, out, errs = run(t, "collect-commission", "--config", cfg, "--json")
	if code != cmdline.ExitOK {
		t.Fatalf("collect-commission: exit %d: %s", code, errs)
	}
	var col operatorOutput
	if err := json.Unmarshal([]byte(out), &col); err != nil || col.NodeID != reg.NodeID || col.Amount != 0 {
		t.Fatalf("collect-commission output %s (%v)", out, err)
	}

	for _, args := range [][]string{
		{"register"},
		{"set-votes", "--config", cfg, "--storage-price", "1"},
		{"set-commission", "--config", cfg},
		{"set-commission", "--config", cfg, "--rate", "10001"},
		{"register", "--config", cfg, "--commission", "20000"},
		{"register", "--config", cfg, "--network-address", "no-port"},
	} {
		if code, _, errs := run(t, args...); code != cmdline.ExitUsage {
			t.Fatalf("%v: exit %d, want %d: %s", args, code, cmdline.ExitUsage, errs)
		}
	}
}
