package client

import (
	"go/build"
	"strings"
	"testing"
)

// TestDeps checks that the SDK stays a client: it reaches the chain through
// the Chain interface and nodes through nodeapi, and never links the node,
// its store, the consensus engine or the devnet.
func TestDeps(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	const mod = "github.com/walrus-go/walrus/"
	for _, imp := range pkg.Imports {
		switch {
		case imp == mod+"node", imp == mod+"devnet", strings.HasPrefix(imp, mod+"storage"), strings.HasPrefix(imp, mod+"cmd/"),
			imp == mod+"chain/abci", strings.HasPrefix(imp, "github.com/cockroachdb/"), strings.HasPrefix(imp, "github.com/cometbft/"):
			t.Errorf("client imports %s", imp)
		}
	}
}
