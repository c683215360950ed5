package node

import (
	"errors"
	"testing"
	"time"

	"github.com/walrus-go/walrus/chain/client"
	"github.com/walrus-go/walrus/crypto/bls"
)

func TestConfigValidate(t *testing.T) {
	sk, err := bls.KeyFromSeed(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	good := Config{DataDir: t.TempDir(), ProtocolKey: sk, Chain: &client.Client{}}.WithDefaults()
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	if good.ListenAddress != DefaultListenAddress || good.MaxConcurrentRequests != DefaultMaxConcurrentRequests || good.BlobSyncDelay != DefaultBlobSyncDelay {
		t.Fatalf("defaults not applied: %+v", good)
	}
	for name, mut := range map[string]func(*Config){
		"no dir":          func(c *Config) { c.DataDir = "" },
		"no key":          func(c *Config) { c.ProtocolKey = nil },
		"no chain":        func(c *Config) { c.Chain = nil },
		"no concurrency":  func(c *Config) { c.MaxConcurrentRequests = -1 },
		"negative sliver": func(c *Config) { c.MaxSliverSize = -1 },
		"negative delay":  func(c *Config) { c.BlobSyncDelay = -1 },
	} {
		c := good
		mut(&c)
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := New(Config{}); !errors.Is(err, ErrConfig) {
		t.Fatalf("New with an empty config: %v", err)
	}
}

func TestGCRandomDelay(t *testing.T) {
	const epoch = time.Hour
	seen := map[time.Duration]bool{}
	for e := range uint32(50) {
		for _, pk := range [][]byte{{1, 2, 3}, {4, 5, 6}} {
			d := GCRandomDelay(pk, e, epoch)
			if d < 0 || d >= epoch/2 {
				t.Fatalf("delay %v out of [0, %v)", d, epoch/2)
			}
			if d != GCRandomDelay(pk, e, epoch) {
				t.Fatal("not deterministic")
			}
			seen[d] = true
		}
	}
	if len(seen) < 95 {
		t.Fatalf("only %d distinct delays of 100", len(seen))
	}
	if GCRandomDelay([]byte{1}, 1, 0) != 0 || GCRandomDelay([]byte{1}, 1, time.Nanosecond) != 0 {
		t.Fatal("delay of an empty epoch")
	}
}
