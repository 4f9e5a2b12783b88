#!/usr/bin/env bash
# The policy map page as a browser gets it, in a busy namespace: a throw-away API server
# (tests/kube/start.sh) holding the objects of the map's benchmark (tests/bench/policy-map.py:
# 100 Pods, 50 NetworkPolicies by default), the portal's release binary watching it, an
# administrator (root) logged in through the real test provider; then N requests of
# /networkpolicies/map?ns=... after 3 warm-ups, whole and narrowed to one Pod's group, timed by
# curl. Prints p50/min/max, the page's bytes and its gzipped bytes. Loopback only.
#
#   tests/bench/policy-map.sh [N] [PODS] [POLICIES]   (defaults: 30, 100, 50)
# Uses PORTAL_TEST_BINARY (default: the release build of .ci/build.sh --release), kubectl, curl.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
binary="${PORTAL_TEST_BINARY:-$repo/target/portal}"
runs="${1:-30}"
pods="${2:-100}"
policies="${3:-50}"
namespace=team-a-shop
work="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
pids=()
trap 'kill ${pids[*]} 2>/dev/null; "$repo/tests/kube/start.sh" --stop "$work/kube" >/dev/null 2>&1; rm -rf "$work"' EXIT
wait_for() { for _ in $(seq 1 600); do eval "$1" && return; sleep 0.05; done; echo "gave up: $1" >&2; cat "$work"/*.log "$work"/idp.err >&2; exit 1; }

"$repo/tests/kube/start.sh" "$work/kube" >/dev/null
source "$work/kube/env"
kubectl --kubeconfig "$KUBECONFIG" apply --server-side -f "$repo/tests/kube/admin-clusterrole.yaml" >/dev/null
python3 "$repo/tests/bench/policy-map.py" "$namespace" "$pods" "$policies" >"$work/objects.json"
kubectl --kubeconfig "$KUBECONFIG" create -f "$work/objects.json" >/dev/null
kubectl --kubeconfig "$KUBECONFIG" create namespace team-a-empty >/dev/null

IDP_PORTAL_ANY_PORT=1 "$repo/tests/idp/start.sh" --port 0 >"$work/idp.out" 2>"$work/idp.err" &
pids+=($!)
wait_for "grep -q '^idp ready' '$work/idp.out' 2>/dev/null"
idp_port="$(sed -n 's/^idp ready http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$work/idp.out")"

env -u PORTAL_TEST_BINARY PORTAL_LISTEN_ADDR="127.0.0.1:$port" PORTAL_PUBLIC_URL="http://127.0.0.1:$port" \
  PORTAL_DATABASE_URL="sqlite://$work/portal.db" PORTAL_OIDC_ISSUER="http://127.0.0.1:$idp_port" \
  PORTAL_OIDC_CLIENT_SECRET=portal-secret PORTAL_ADMIN_GROUPS=platform-admins \
  PORTAL_KUBECONFIG="$KUBECONFIG" PORTAL_METRICS_ADDR=off RUST_LOG=warn \
  "$binary" serve >"$work/portal.log" 2>&1 &
pids+=($!)
wait_for "curl -fs -m 2 -o /dev/null 'http://127.0.0.1:$port/readyz'"

jar="$work/jar"
url="$(curl -s -m 10 -o /dev/null -w '%{redirect_url}' -c "$jar" -b "$jar" "http://127.0.0.1:$port/auth/login")"
for _ in $(seq 1 20); do
  case "$url" in
    "http://127.0.0.1:$port/"*) curl -s -m 10 -o /dev/null -c "$jar" -b "$jar" "$url"; break ;;
  esac
  next="$(curl -s -m 10 -o /dev/null -w '%{redirect_url}' -c "$jar" -b "$jar" "$url")"
  [[ -n "$next" ]] || next="$(curl -s -m 10 -o /dev/null -w '%{redirect_url}' -c "$jar" -b "$jar" --data 'login=root&password=root' "$url")"
  url="$next"
done

page="http://127.0.0.1:$port/networkpolicies/map?ns=$namespace"
# The watched caches fill in the background: wait until the map shows every Pod.
wait_for "curl -fs -m 10 -b '$jar' '$page' | grep -q 'app-$(( (pods - 1) % 50 ))-$(printf %04d $((pods - 1)))'"

measure() { # $1 = title, $2 = URL
  local i
  for i in 1 2 3; do curl -fs -o /dev/null -b "$jar" "$2"; done
  for i in $(seq 1 "$runs"); do curl -fs -o /dev/null -w '%{time_total}\n' -b "$jar" "$2"; done |
    sort -n | awk -v title="$1" '{ v[NR] = $1 * 1000 } END {
      printf "%-40s p50 %7.2f ms   min %7.2f ms   max %7.2f ms\n", title, v[int((NR + 1) / 2)], v[1], v[NR] }'
  curl -fs -b "$jar" "$2" >"$work/body"
  printf '%-40s %d B, %d B gzipped\n' "" "$(wc -c <"$work/body")" "$(gzip -c "$work/body" | wc -c)"
}
echo "$runs requests each, $pods Pods and $policies policies in $namespace, load average $(cut -d' ' -f1-3 /proc/loadavg)"
measure "the whole map" "$page"
measure "one Pod's group (pod=app-0-0000)" "$page&pod=app-0-0000"
measure "reference: the map of an empty namespace" "http://127.0.0.1:$port/networkpolicies/map?ns=team-a-empty"
if grep -q panicked "$work/portal.log"; then echo "the portal panicked:" >&2; grep panicked "$work/portal.log" >&2; exit 1; fi
