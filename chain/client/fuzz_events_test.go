package client

import (
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/chain/abci"
)

// FuzzDecodeEvents: block events come from a validator's RPC as string
// attributes (index, base64 BCS); any of them must decode or fail cleanly.
func FuzzDecodeEvents(f *testing.F) {
	f.Add("0", "AQ==")
	f.Add("7", "")
	f.Add("-1", "!!")
	f.Fuzz(func(t *testing.T, idx, data string) {
		evs := []abcitypes.Event{{Type: abci.EventType, Attributes: []abcitypes.EventAttribute{{Key: "index", Value: idx}, {Key: "bcs", Value: data}}}}
		out, err := decodeEvents(3, evs)
		if err != nil {
			return
		}
		if len(out) != 1 || out[0].ID.Height != 3 || out[0].Event == nil {
			t.Fatalf("%q %q: %+v", idx, data, out)
		}
		if _, err := chain.DecodeEvent(chain.EncodeEvent(out[0].Event)); err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
	})
}
