#!/usr/bin/env bash
# The project's test command (README quick start). Runs every package's tests
# with the race detector; heavy cases are skipped under -short, so pass
# TESTFLAGS= to run them all.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -race ${TESTFLAGS--short} -count=1 ./...
