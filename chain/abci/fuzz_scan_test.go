package abci

import (
	"bytes"
	"testing"
)

// FuzzDecodeKVs: the /scan query's answer reaches clients over the network.
func FuzzDecodeKVs(f *testing.F) {
	f.Add(EncodeKVs([]KV{{Key: []byte("k"), Value: []byte("v")}, {Key: []byte("k2")}}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		kvs, err := DecodeKVs(b)
		if err != nil {
			return
		}
		if again := EncodeKVs(kvs); !bytes.Equal(again, b) {
			t.Fatalf("not canonical: %x re-encodes as %x", b, again)
		}
	})
}
