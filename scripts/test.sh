#!/usr/bin/env bash
# The project's test command (README quick start).
#  1. every package with the race detector, heavy cases trimmed by -short;
#  2. the encoding property tests without the race detector, which lets them
#     cover the large shard counts (n = 301, 1000) in reasonable time.
# Set TESTFLAGS= (empty) to run everything in full instead of -short.
set -euo pipefail
cd "$(dirname "$0")/.."
flags=${TESTFLAGS--short}
go test -race $flags -count=1 ./...
go test $flags -count=1 -run 'Property|Vector' ./encoding/...
