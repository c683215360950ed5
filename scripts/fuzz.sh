#!/usr/bin/env bash
# Runs every `func FuzzXxx` target in the module for $FUZZTIME each
# (default 20000x: a run count, because a duration can fail spuriously on a
# loaded machine, golang/go#75804). CI runs it briefly; run longer locally, e.g.
#   FUZZTIME=5m ./scripts/fuzz.sh            # all targets
#   FUZZTIME=5m ./scripts/fuzz.sh ./encoding # one package
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME="${FUZZTIME:-20000x}"
dirs=("$@")
if [ ${#dirs[@]} -eq 0 ]; then
  mapfile -t dirs < <(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -r -n1 dirname | sort -u)
fi
for dir in "${dirs[@]}"; do
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go | sed 's/^func //'); do
    echo "-- $dir $target ($FUZZTIME)"
    go test -run='^$' -fuzz="^${target}\$" -fuzztime="$FUZZTIME" "$dir"
  done
done
