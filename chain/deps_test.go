package chain

import (
	"go/build"
	"strings"
	"testing"
)

// TestPure checks that the state machine imports no network, disk, clock
// source or consensus engine.
func TestPure(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		switch {
		case imp == "os", imp == "net", strings.HasPrefix(imp, "net/"), imp == "math/rand", imp == "math/rand/v2",
			imp == "crypto/rand", strings.HasPrefix(imp, "github.com/cometbft/"), strings.HasPrefix(imp, "github.com/cockroachdb/"),
			imp == "io/ioutil", imp == "os/exec", imp == "unsafe":
			t.Errorf("chain imports %s", imp)
		}
	}
}
