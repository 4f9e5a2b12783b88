#!/usr/bin/env bash
# Measures what BENCHMARKS.md records for start-up: time from exec to the first 200 from /readyz
# with a fresh SQLite database (median of RUNS), the idle resident memory after start-up and
# after a burst of page views, and the size of the browser bundle (raw and gzipped).
#
#   tests/bench/startup.sh [PORTAL_TEST_BINARY] [RUNS]     (default: target/portal, 10 runs)
# Build first with `.ci/build.sh --release` to measure what ships.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
binary="${1:-$repo/target/portal}"
runs="${2:-10}"
port=39871
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$repo"

now_ms() { date +%s%3N; }
times=()
for ((i = 0; i < runs; i++)); do
  rm -rf "$work/data"
  start=$(now_ms)
  PORTAL_LISTEN_ADDR="127.0.0.1:$port" PORTAL_DATABASE_URL="sqlite://$work/data/portal.db" \
    RUST_LOG=off "$binary" serve &
  pid=$!
  until curl -fs -o /dev/null "http://127.0.0.1:$port/readyz"; do sleep 0.002; done
  times+=($(($(now_ms) - start)))
  if ((i == runs - 1)); then
    sleep 1
    idle_kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    for ((j = 0; j < 200; j++)); do
      curl -fs -o /dev/null "http://127.0.0.1:$port/"
      curl -fs -o /dev/null "http://127.0.0.1:$port/networkpolicies?preset=default-deny-all-except-dns"
    done
    busy_kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  fi
  kill -TERM "$pid"
  wait "$pid" || true
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "start to /readyz 200 (ms), $runs runs: min ${sorted[0]}, median ${sorted[$((runs / 2))]}, max ${sorted[$((runs - 1))]}"
echo "RSS idle after start: $((idle_kb / 1024)) MiB; after 400 page renders: $((busy_kb / 1024)) MiB"
pkg="$repo/target/site/pkg"
bundle="$(cat "$repo/target/site/bundle-name.txt")"
for file in "${bundle}_bg.wasm" "$bundle.js" "$bundle.css"; do
  echo "$file: $(stat -c %s "$pkg/$file") bytes raw, $(stat -c %s "$pkg/$file.gz") gzip -9, $(stat -c %s "$pkg/$file.br") brotli"
done
