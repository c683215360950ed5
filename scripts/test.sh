#!/usr/bin/env bash
# The project's test command (README quick start).
#  1. every package with the race detector, heavy cases trimmed by -short;
#  2. the encoding property tests without the race detector, which lets them
#     cover the large shard counts (n = 301, 1000) in reasonable time;
#  3. the whole-network tests (a real CometBFT chain, storage nodes on
#     loopback, four validators with failover, devnet's committee change,
#     the walrus CLI against a devnet, and the 64 MiB round trips through
#     the SDK, the CLI and the HTTP API)
#     with the race detector;
#  4. the fault tests on a network of separate processes (FAULTS.md), one
#     package at a time (each runs eight processes), about 2-3 minutes.
# Set TESTFLAGS= (empty) to run step 1 in full instead of -short.
set -euo pipefail
cd "$(dirname "$0")/.."
flags=${TESTFLAGS--short}
go test -race $flags -count=1 ./...
go test $flags -count=1 -run 'Property|Vector' ./encoding/...
go test -race -count=1 ./node/... ./chain/... ./cmd/walrus-node/... ./cmd/walrus/... ./devnet/... ./client/... ./daemon/...
go test -count=1 -p 1 ./internal/cluster/ ./bft/
