#!/usr/bin/env bash
# What a session costs: the login callback (token exchange with the real test provider included)
# and a request that loads the session from the database, against one without a session.
#
#   tests/bench/sessions.sh [DATABASE_URL]   (default: a fresh SQLite file; pass a postgres:// URL
#                                            to measure PostgreSQL)
# Uses the release binary (cargo build --release -p server), tests/idp and wrk. Loopback only.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
binary="${PORTAL_TEST_BINARY:-${CARGO_TARGET_DIR:-$HOME/.cache/welkin-portal/target}/release/portal}"
work="$(mktemp -d)"
database="${1:-sqlite://$work/portal.db}"
idp_port=39881
port=39882
pids=()
trap 'kill ${pids[*]} 2>/dev/null; rm -rf "$work"' EXIT

IDP_PORTAL_ANY_PORT=1 "$repo/tests/idp/start.sh" --port "$idp_port" >"$work/idp.out" 2>/dev/null &
pids+=($!)
until grep -q '^idp ready' "$work/idp.out" 2>/dev/null; do sleep 0.05; done

env -u PORTAL_TEST_BINARY PORTAL_LISTEN_ADDR="127.0.0.1:$port" PORTAL_PUBLIC_URL="http://127.0.0.1:$port" \
  PORTAL_DATABASE_URL="$database" PORTAL_OIDC_ISSUER="http://127.0.0.1:$idp_port" \
  PORTAL_OIDC_CLIENT_SECRET=portal-secret RUST_LOG=off "$binary" serve &
pids+=($!)
until curl -fs -o /dev/null "http://127.0.0.1:$port/readyz"; do sleep 0.05; done

# Log in as alice through the provider's form, timing the callback on its own.
jar="$work/jar"
login="$(curl -s -o /dev/null -w '%{redirect_url}' -c "$jar" -b "$jar" "http://127.0.0.1:$port/auth/login")"
url="$login"
callback=""
for _ in $(seq 1 20); do
  case "$url" in
    "http://127.0.0.1:$port/auth/callback"*) callback="$url"; break ;;
  esac
  next="$(curl -s -o "$work/page" -w '%{redirect_url}' -c "$jar" -b "$jar" "$url")"
  if [[ -z "$next" ]]; then
    next="$(curl -s -o /dev/null -w '%{redirect_url}' -c "$jar" -b "$jar" --data 'login=alice&password=alice' "$url")"
  fi
  url="$next"
done
[[ -n "$callback" ]] || { echo "login did not reach the callback" >&2; exit 1; }
curl -s -o /dev/null -w 'login callback (token exchange and ID token check included): %{time_total} s\n' \
  -c "$jar" -b "$jar" "$callback"
cookie="$(awk '$6 == "portal_session" { print $7 }' "$jar")"

cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
LUA
echo "== POST /api/who-am-i without a session"
wrk -t1 -c4 -d5s --latency -s "$work/post.lua" "http://127.0.0.1:$port/api/who-am-i" | grep -E '^\s+(50|99)%|Requests/sec'
echo "== POST /api/who-am-i with alice's session (read from $(cut -d: -f1 <<<"$database"))"
wrk -t1 -c4 -d5s --latency -s "$work/post.lua" -H "Cookie: portal_session=$cookie" \
  "http://127.0.0.1:$port/api/who-am-i" | grep -E '^\s+(50|99)%|Requests/sec'
