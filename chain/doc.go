// Package chain is the control plane's state machine: Walrus's on-chain rules
// (accounts and WAL balances, storage resources, blobs and their certificates,
// staking pools, committees, epochs, prices and rewards) as a pure,
// deterministic function of the previous state, a block's time and its
// transactions.
//
// The package does no I/O, reads no clock, starts no goroutine, never depends
// on map iteration order and uses no floating point. State lives behind the
// small Store interface (a pebble adapter lives in chain/abci; MemStore is the
// in-memory implementation used by tests). A Block collects the writes of one
// block in an overlay; each transaction runs in its own overlay on top of it,
// so that a failing message changes nothing. The block's sorted write set and
// the previous app hash give the next app hash (AppHash).
//
// Time-driven steps of the epoch state machine (voting end at mid-epoch, epoch
// change at the end) run in NewBlock, at the first block whose time is past
// them. Events are typed values with one canonical BCS encoding; their ID is
// the block height and their index in the block.
//
// Signed messages and certificates are the protocol package's: a
// certificate on chain is protocol.OnChainCertificate (signers bitmap over
// the current committee in node-ID order), verified by protocol.Committee
// (built from the stored committee by ProtocolCommittee and cached per
// epoch) with the intent's threshold; proofs of possession are
// protocol.ProofOfPossession. So a certificate that protocol.Aggregator
// builds from storage nodes' signatures is accepted on chain as is.
package chain
