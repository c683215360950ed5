package client

import (
	"context"
	"net"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/chain/abci"
	"github.com/walrus-go/walrus/encoding"
)

// TestFollowSubscribed: over the websocket of CometBFT's HTTP RPC, Follow
// and WaitIncluded see a new block as soon as it is committed, well before
// their (here 3 s) poll interval; and Follow still works from its cursor
// when the RPC cannot subscribe (the websocket client not started).
func TestFollowSubscribed(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node with an RPC server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n := newNetwork(t, time.Hour)
	n.stop(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	node, err := abci.StartNode(abci.NodeConfig{Home: n.home, Genesis: n.g, RPCListen: "tcp://" + addr})
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	n.node = node
	n.c, _ = New(Config{RPC: node.Client(), ChainID: n.g.ChainID, MinFee: 1, PollInterval: 5 * time.Millisecond})

	const poll = 3 * time.Second
	newHTTP := func(start bool) *Client {
		rpc, err := rpchttp.New("tcp://"+addr, "/websocket")
		if err != nil {
			t.Fatal(err)
		}
		if start {
			if err := rpc.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { rpc.Stop() })
		}
		c, err := New(Config{RPC: rpc, ChainID: n.g.ChainID, MinFee: 1, PollInterval: poll})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ws := newHTTP(true)
	latest, err := ws.LatestHeight(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cursor := chain.EventID{Height: latest + 1}

	type seen struct {
		ev EventRecord
		at time.Time
	}
	follow := func(c *Client) <-chan seen {
		out := make(chan seen, 16)
		go c.Follow(ctx, cursor, func(ev EventRecord) error {
			out <- seen{ev, time.Now()}
			return nil
		})
		return out
	}
	subscribed := follow(ws)
	time.Sleep(300 * time.Millisecond) // let the subscription start

	// A registration, sent through the websocket client's WaitIncluded.
	size := uint64(1000)
	enc, _ := encoding.EncodedBlobLength(size, int(n.g.NShards))
	inc, err := n.c.Send(ctx, n.user, &chain.MsgReserveSpace{Size: enc, EpochsAhead: 1})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := n.c.Account(ctx, addrOf(n.user))
	if err != nil {
		t.Fatal(err)
	}
	root := [32]byte{0x77}
	tx := &chain.Tx{Sequence: acc.Sequence, Fee: 1, Msgs: []chain.Msg{&chain.MsgRegisterBlob{Storage: chain.DeriveObjectID(inc.Hash, 0),
		BlobID: encoding.DeriveBlobID(1, size, root), RootHash: root, Size: size, EncodingType: 1}}}
	tx.Sign(n.g.ChainID, n.user)
	start := time.Now()
	reg, err := ws.Submit(ctx, tx.Encode())
	if err != nil {
		t.Fatal(err)
	}
	waited := time.Since(start)
	included := time.Now()
	t.Logf("WaitIncluded over the websocket: %v (poll interval %v)", waited, poll)
	if waited > poll/2 {
		t.Errorf("WaitIncluded took %v: the subscription did not wake it", waited)
	}
	var got seen
	for got.ev.Event == nil || got.ev.ID != reg.Events[0].ID {
		select {
		case got = <-subscribed:
		case <-time.After(2 * poll):
			t.Fatal("Follow did not deliver the event")
		}
	}
	t.Logf("Follow delivered %v %v after the inclusion was seen", got.ev.Event.Kind(), got.at.Sub(included))
	if d := got.at.Sub(included); d > poll/2 {
		t.Errorf("Follow took %v: the subscription did not wake it", d)
	}

	// Without a running websocket, Follow falls back to polling and still
	// delivers the same events from the cursor.
	polled := follow(newHTTP(false))
	deadline := time.After(4 * poll)
	for {
		select {
		case s := <-polled:
			if s.ev.ID == reg.Events[0].ID {
				return
			}
		case <-deadline:
			t.Fatal("polling Follow did not deliver the event")
		}
	}
}
