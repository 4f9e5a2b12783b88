#!/usr/bin/env bash
# The login callback's own cost: N logins through the real test provider, each timed end to end
# by curl (the callback request, session write included), with the token request to the
# provider taken from the portal's `login` log line (`token_exchange_us`) and subtracted.
#
#   tests/bench/callback.sh [N] [DATABASE_URL]   (defaults: 30 logins, a fresh SQLite file)
# Uses the release binary (cargo build --release -p server), tests/idp, curl and jq. Loopback only.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
binary="${PORTAL_TEST_BINARY:-${CARGO_TARGET_DIR:-$HOME/.cache/welkin-portal/target}/release/portal}"
runs="${1:-30}"
work="$(mktemp -d)"
database="${2:-sqlite://$work/portal.db}"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
pids=()
trap 'kill ${pids[*]} 2>/dev/null; rm -rf "$work"' EXIT
# Gives up on a wait after 30 s rather than hanging.
wait_for() { for _ in $(seq 1 600); do eval "$1" && return; sleep 0.05; done; echo "gave up: $1" >&2; cat "$work"/*.log "$work"/idp.err >&2; exit 1; }

# Any free ports: the provider prints the one it chose.
IDP_PORTAL_ANY_PORT=1 "$repo/tests/idp/start.sh" --port 0 >"$work/idp.out" 2>"$work/idp.err" &
pids+=($!)
wait_for "grep -q '^idp ready' '$work/idp.out' 2>/dev/null"
idp_port="$(sed -n 's/^idp ready http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$work/idp.out")"

env -u PORTAL_TEST_BINARY PORTAL_LISTEN_ADDR="127.0.0.1:$port" PORTAL_PUBLIC_URL="http://127.0.0.1:$port" \
  PORTAL_DATABASE_URL="$database" PORTAL_OIDC_ISSUER="http://127.0.0.1:$idp_port" \
  PORTAL_OIDC_CLIENT_SECRET=portal-secret PORTAL_LOG_JSON=true RUST_LOG=server::auth=info \
  "$binary" serve >"$work/portal.log" 2>&1 &
pids+=($!)
wait_for "curl -fs -m 2 -o /dev/null 'http://127.0.0.1:$port/readyz'"

# One login as alice in a fresh cookie jar; prints the callback request's total time in µs.
login_once() {
  local jar="$work/jar.$1" url next
  url="$(curl -s -m 10 -o /dev/null -w '%{redirect_url}' -c "$jar" -b "$jar" "http://127.0.0.1:$port/auth/login")"
  for _ in $(seq 1 20); do
    case "$url" in
      "http://127.0.0.1:$port/auth/callback"*)
        curl -s -m 10 -o /dev/null -w '%{time_total}\n' -c "$jar" -b "$jar" "$url" |
          awk '{ printf "%d\n", $1 * 1000000 }'
        return ;;
    esac
    next="$(curl -s -m 10 -o "$work/page" -w '%{redirect_url}' -c "$jar" -b "$jar" "$url")"
    if [[ -z "$next" ]]; then
      next="$(curl -s -m 10 -o /dev/null -w '%{redirect_url}' -c "$jar" -b "$jar" --data 'login=alice&password=alice' "$url")"
    fi
    url="$next"
  done
  echo "login did not reach the callback" >&2
  exit 1
}

for i in $(seq 1 "$runs"); do login_once "$i"; done >"$work/total_us"
sleep 0.2
jq -r 'select(.fields.message == "login") | "\(.fields.callback_us) \(.fields.token_exchange_us)"' \
  "$work/portal.log" >"$work/logged"
[[ "$(wc -l <"$work/logged")" -eq "$runs" ]] || { echo "expected $runs login lines" >&2; cat "$work/portal.log" >&2; exit 1; }

# Columns: total (curl), handler (log), token exchange (log).
paste -d' ' "$work/total_us" "$work/logged" >"$work/rows"
summary() { # $1 = title, stdin = one number per line (µs)
  sort -n | awk -v title="$1" '{ v[NR] = $1 } END {
    printf "%-58s p50 %6.2f ms   min %6.2f ms   max %6.2f ms\n", title, v[int((NR + 1) / 2)] / 1000, v[1] / 1000, v[NR] / 1000 }'
}
echo "$runs logins as alice, $(cut -d: -f1 <<<"$database"), load average $(cut -d' ' -f1-3 /proc/loadavg)"
awk '{ print $1 }' "$work/rows" | summary "callback request, end to end (curl)"
awk '{ print $3 }' "$work/rows" | summary "  of which the token request to the provider"
awk '{ print $1 - $3 }' "$work/rows" | summary "callback without the token exchange"
awk '{ print $2 - $3 }' "$work/rows" | summary "  the handler alone, without it (before the session write)"
