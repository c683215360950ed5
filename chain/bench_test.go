package chain

import (
	"testing"
	"time"

	"github.com/walrus-go/walrus/encoding"
)

// BenchmarkRegisterCertify measures the state machine applying a register
// transaction and a certify transaction (real BLS aggregate verification
// over a 4-member committee) per blob, signatures prepared outside the timer.
func BenchmarkRegisterCertify(b *testing.B) {
	e := newEnv(b)
	size := uint64(1000)
	enc := encodedSize(b, size)
	cur := e.sys().Epoch
	// Storage for every blob, bought up front.
	var storages []ObjectID
	for len(storages) < b.N {
		k := min(b.N-len(storages), MaxMessages)
		msgs := make([]Msg, k)
		for i := range msgs {
			msgs[i] = &MsgReserveSpace{Size: enc, EpochsAhead: 1}
		}
		r := e.ok(alice, msgs...)
		for i := range k {
			storages = append(storages, created(r, uint32(i)))
		}
	}
	seq := e.account(addrOf(alice)).Sequence
	regs := make([][]byte, b.N)
	certs := make([][]byte, b.N)
	all := e.allSigners()
	for i := range b.N {
		root := [32]byte{byte(i), byte(i >> 8), byte(i >> 16), 0xbe}
		id := encoding.DeriveBlobID(1, size, root)
		tx := &Tx{Sequence: seq, Fee: testMinFee, Msgs: []Msg{&MsgRegisterBlob{Storage: storages[i], BlobID: id, RootHash: root, Size: size, EncodingType: 1, Deletable: true}}}
		tx.Sign(e.g.ChainID, alice)
		regs[i] = tx.Encode()
		obj := deriveObjectID(TxHash(regs[i]), 0)
		cert := e.cert(CertifyMessage(cur, id, true, obj), all...)
		tx = &Tx{Sequence: seq + 1, Fee: testMinFee, Msgs: []Msg{&MsgCertifyBlob{Blob: obj, Cert: cert}}}
		tx.Sign(e.g.ChainID, alice)
		certs[i] = tx.Encode()
		seq += 2
	}
	blk, err := e.m.BeginBlock(e.store, e.height, e.now.Add(time.Second))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		if r := blk.DeliverTx(regs[i]); r.Err != nil {
			b.Fatal(r.Err)
		}
		if r := blk.DeliverTx(certs[i]); r.Err != nil {
			b.Fatal(r.Err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "blobs/s")
}
