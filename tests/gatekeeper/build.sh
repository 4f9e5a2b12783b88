#!/usr/bin/env bash
# Builds a real OPA Gatekeeper manager from its published Go module (see go.mod in this
# folder) for the portal's integration tests, copies Gatekeeper's own CRDs (from the same
# module) next to it, and prints the folder that holds both as the LAST line of stdout.
# Everything else goes to stderr.
#
#   tests/gatekeeper/build.sh      -> .../welkin-portal/gatekeeper/v3.21.1
#
# The folder holds `manager` (the binary Gatekeeper's image runs) and `crds/*.yaml` (the
# chart's CRDs, unmodified). Idempotent: does nothing if both are there and the binary was
# built for the version go.mod names (`manager.version`). Needs only Go (>= 1.25) and the Go
# module proxy; a cold build takes about 7 minutes on 2 shared cores.
#
# Environment:
#   PORTAL_TEST_GATEKEEPER_ASSETS  folder that already holds `manager` and `crds/`; if it
#                                  does, it is printed and nothing is built.
#   PORTAL_TEST_CACHE_DIR               cache root (default: $HOME/.cache/welkin-portal); output
#                                  goes to $PORTAL_TEST_CACHE_DIR/gatekeeper/<version>/.
#   PORTAL_TEST_GATEKEEPER_BUILD_JOBS   `go build -p` value (default 2).
#   GOMAXPROCS                     passed to go (default 2 here; the build runs niced).
#   PORTAL_TEST_GATEKEEPER_NICE         nice level of the build (default 19).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module=github.com/open-policy-agent/gatekeeper/v3

log() { printf 'gatekeeper/build.sh: %s\n' "$*" >&2; }

# The one place the version lives is go.mod (require line).
VERSION="$(awk -v m="$module" '($1 == m || ($1 == "require" && $2 == m)) { print $NF; exit }' "$here/go.mod")"
if [[ ! "$VERSION" =~ ^v3\.[0-9]+\.[0-9]+ ]]; then
  log "cannot read the $module version from $here/go.mod"
  exit 1
fi

# The manager has no --version flag: a successful build writes `manager.version` beside it.
built_ok() { [[ -x "$1/manager" && "$(cat "$1/manager.version" 2>/dev/null)" == "$VERSION" ]]; }
assets_ok() { built_ok "$1" && [[ -f "$1/crds/constrainttemplate-customresourcedefinition.yaml" ]]; }

if [[ -n "${PORTAL_TEST_GATEKEEPER_ASSETS:-}" ]]; then
  if [[ -x "$PORTAL_TEST_GATEKEEPER_ASSETS/manager" && -d "$PORTAL_TEST_GATEKEEPER_ASSETS/crds" ]]; then
    (cd "$PORTAL_TEST_GATEKEEPER_ASSETS" && pwd)
    exit 0
  fi
  log "PORTAL_TEST_GATEKEEPER_ASSETS=$PORTAL_TEST_GATEKEEPER_ASSETS lacks manager and/or crds/; building instead"
fi

out="${PORTAL_TEST_CACHE_DIR:-$HOME/.cache/welkin-portal}/gatekeeper/$VERSION"
if assets_ok "$out"; then
  echo "$out"
  exit 0
fi

command -v go >/dev/null || { log "go is not installed (https://go.dev/dl/); or set PORTAL_TEST_GATEKEEPER_ASSETS"; exit 1; }
mkdir -p "$out"

# Serialise concurrent callers (several test binaries may start at once).
if command -v flock >/dev/null; then
  exec 9>"$out/.build.lock"
  flock 9
  if assets_ok "$out"; then echo "$out"; exit 0; fi
fi

export GOWORK=off
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly"
export GOMAXPROCS="${GOMAXPROCS:-2}"
jobs="${PORTAL_TEST_GATEKEEPER_BUILD_JOBS:-2}"
nice_level="${PORTAL_TEST_GATEKEEPER_NICE:-19}"

# The CRDs: the chart's own files from the module (go.sum pins its hash), copied verbatim.
moddir="$(cd "$here" && go mod download -json "$module" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
if [[ ! -d "$moddir/charts/gatekeeper/crds" ]]; then
  log "no charts/gatekeeper/crds in the module at '$moddir'"
  exit 1
fi
rm -rf "$out/crds.tmp.$$"
mkdir -p "$out/crds.tmp.$$"
cp "$moddir"/charts/gatekeeper/crds/*.yaml "$out/crds.tmp.$$/"
chmod 644 "$out/crds.tmp.$$"/*.yaml
rm -rf "$out/crds"
mv "$out/crds.tmp.$$" "$out/crds"

if ! built_ok "$out"; then
  tmp="$out/manager.tmp.$$"
  start=$SECONDS
  log "building $module -> $out/manager (go build -p $jobs, GOMAXPROCS=$GOMAXPROCS; a cold build takes minutes)"
  (cd "$here" && nice -n "$nice_level" go build -p "$jobs" -trimpath \
    -ldflags "-s -w -X $module/pkg/version.Version=$VERSION" -o "$tmp" "$module") >&2
  rm -f "$out/manager.version"
  mv -f "$tmp" "$out/manager"
  echo "$VERSION" >"$out/manager.version"
  log "built $out/manager in $((SECONDS - start))s"
fi

assets_ok "$out" || { log "no complete $VERSION build in $out"; exit 1; }
echo "$out"
