#!/usr/bin/env bash
# Builds a real kube-apiserver and etcd from their published Go modules (see go.mod in
# this folder) for the portal's integration tests, and prints the folder that holds them
# as the LAST line of stdout. Everything else goes to stderr.
#
#   tests/kube/build.sh            -> .../welkin-portal/kube/v1.34.4
#
# Idempotent: does nothing if the binaries are already there (and report the expected
# versions). Needs only Go (>= 1.24, or GOTOOLCHAIN=auto) and access to the Go module
# proxy; a cold build takes ~10 min on 2 cores and ~3 GB of Go caches.
#
# Environment:
#   PORTAL_TEST_KUBE_ASSETS  folder that already holds both `kube-apiserver` and `etcd`;
#                            if it does, it is printed and nothing is built.
#   PORTAL_TEST_CACHE_DIR         cache root (default: $HOME/.cache/welkin-portal); binaries go
#                            to $PORTAL_TEST_CACHE_DIR/kube/<kubernetes version>/.
#   PORTAL_TEST_KUBE_BUILD_JOBS   `go build -p` value (default 1: friendly to a shared machine).
#   GOMAXPROCS               passed to go (default 1 here, for the same reason).
#   PORTAL_TEST_KUBE_NICE         nice level of the build (default 19).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

log() { printf 'kube/build.sh: %s\n' "$*" >&2; }

# The one place the versions live is go.mod (require block).
mod_version() { awk -v m="$1" '$1 == m && $2 ~ /^v[0-9]/ { print $2; exit }' "$here/go.mod"; }
KUBE_VERSION="$(mod_version k8s.io/kubernetes)"
ETCD_VERSION="$(mod_version go.etcd.io/etcd/server/v3)"
if [[ -z "$KUBE_VERSION" || -z "$ETCD_VERSION" ]]; then
  log "cannot read k8s.io/kubernetes / go.etcd.io/etcd/server/v3 versions from $here/go.mod"
  exit 1
fi
kube_minor="$(cut -d. -f2 <<<"$KUBE_VERSION")"

# Both binaries present and reporting the versions go.mod asks for?
assets_ok() {
  local dir="$1"
  [[ -x "$dir/kube-apiserver" && -x "$dir/etcd" ]] || return 1
  "$dir/kube-apiserver" --version 2>/dev/null | grep -qx "Kubernetes $KUBE_VERSION" || return 1
  "$dir/etcd" --version 2>/dev/null | grep -qx "etcd Version: ${ETCD_VERSION#v}" || return 1
}

if [[ -n "${PORTAL_TEST_KUBE_ASSETS:-}" ]]; then
  if [[ -x "$PORTAL_TEST_KUBE_ASSETS/kube-apiserver" && -x "$PORTAL_TEST_KUBE_ASSETS/etcd" ]]; then
    # Trust a folder given explicitly, whatever versions it holds.
    (cd "$PORTAL_TEST_KUBE_ASSETS" && pwd)
    exit 0
  fi
  log "PORTAL_TEST_KUBE_ASSETS=$PORTAL_TEST_KUBE_ASSETS lacks kube-apiserver and/or etcd; building instead"
fi

out="${PORTAL_TEST_CACHE_DIR:-$HOME/.cache/welkin-portal}/kube/$KUBE_VERSION"
if assets_ok "$out"; then
  echo "$out"
  exit 0
fi

command -v go >/dev/null || { log "go is not installed (https://go.dev/dl/); or set PORTAL_TEST_KUBE_ASSETS"; exit 1; }
mkdir -p "$out"

# Serialise concurrent callers (several test binaries may start at once).
if command -v flock >/dev/null; then
  exec 9>"$out/.build.lock"
  flock 9
  if assets_ok "$out"; then echo "$out"; exit 0; fi
fi

export GOWORK=off
export GOMAXPROCS="${GOMAXPROCS:-1}"
jobs="${PORTAL_TEST_KUBE_BUILD_JOBS:-1}"
nice_level="${PORTAL_TEST_KUBE_NICE:-19}"

gobuild() { # <output> <ldflags> <package>
  local tmp="$1.tmp.$$"
  local start=$SECONDS
  log "building $3 -> $1 (go build -p $jobs, GOMAXPROCS=$GOMAXPROCS; a cold build takes minutes)"
  (cd "$here" && nice -n "$nice_level" go build -p "$jobs" -trimpath -ldflags "$2" -o "$tmp" "$3") >&2
  mv -f "$tmp" "$1"
  log "built $1 in $((SECONDS - start))s"
}

if ! "$out/kube-apiserver" --version 2>/dev/null | grep -qx "Kubernetes $KUBE_VERSION"; then
  gobuild "$out/kube-apiserver" \
    "-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$kube_minor -X k8s.io/component-base/version.gitTreeState=clean" \
    k8s.io/kubernetes/cmd/kube-apiserver
fi
if ! "$out/etcd" --version 2>/dev/null | grep -qx "etcd Version: ${ETCD_VERSION#v}"; then
  gobuild "$out/etcd" "-s -w" go.etcd.io/etcd/server/v3
fi

assets_ok "$out" || { log "built binaries in $out do not report $KUBE_VERSION / etcd $ETCD_VERSION"; exit 1; }
echo "$out"
