package chain

import (
	"fmt"

	"github.com/walrus-go/walrus/bcs"
)

// Reading a pool's exchange rates from committed state (the SDK estimates a
// StakedWAL's value with them).

// RateKey returns the key of a pool's exchange rate at the start of an
// epoch.
func RateKey(node ObjectID, epoch uint32) []byte { return key(PrefixRate, node[:], be32(epoch)) }

// DecodeRate decodes an exchange-rate record.
func DecodeRate(b []byte) (Rate, error) {
	d := bcs.NewDecoder(b)
	r := Rate{Wal: d.U64(), Shares: d.U64()}
	if err := d.Finish(); err != nil {
		return Rate{}, fmt.Errorf("%w: rate: %v", ErrDecode, err)
	}
	return r, nil
}

// ToShares converts WAL to pool shares at the rate, rounding as the chain
// does (1:1 for an empty pool).
func (r Rate) ToShares(wal uint64) uint64 { return r.toShares(wal) }

// ToWal converts pool shares to WAL at the rate, rounding as the chain does.
func (r Rate) ToWal(shares uint64) uint64 { return r.toWal(shares) }
