#!/usr/bin/env bash
# Page latency under load with wrk (Debian package `wrk`): 4 connections for 5 s per page against
# a portal started here with a fresh SQLite database. Loopback only.
#
#   tests/bench/pages.sh [PORTAL_TEST_BINARY]     (default: target/portal; build with --release)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
binary="${1:-$repo/target/portal}"
port=39872
work="$(mktemp -d)"
cd "$repo"
env -u PORTAL_TEST_BINARY PORTAL_LISTEN_ADDR="127.0.0.1:$port" PORTAL_DATABASE_URL="sqlite://$work/portal.db" \
  PORTAL_ALLOWED_REGISTRIES=harbor.example.com/ RUST_LOG=off "$binary" serve &
pid=$!
trap 'kill -TERM $pid; wait $pid || true; rm -rf "$work"' EXIT
until curl -fs -o /dev/null "http://127.0.0.1:$port/readyz"; do sleep 0.01; done
for path in / "/networkpolicies?preset=default-deny-all-except-dns" \
  "/networkpolicies/run?pod=blah&image=harbor.example.com/team/tools:1.0&ns=demo" /healthz; do
  echo "== $path"
  wrk -t1 -c4 -d5s --latency "http://127.0.0.1:$port$path" | grep -E '^\s+(50|90|99)%|Requests/sec'
done
