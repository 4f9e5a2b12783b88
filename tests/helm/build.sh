#!/usr/bin/env bash
# Builds the `helm` command from its published Go module (pinned in go.mod in this folder) for
# the chart tests, and prints the folder that holds it as the LAST line of stdout. Everything
# else goes to stderr.
#
#   tests/helm/build.sh            -> .../welkin-portal/tools/helm-v3.22.0
#
# Idempotent: does nothing when the binary is already there and reports the expected version.
# Needs only Go (the version go.mod names, or GOTOOLCHAIN=auto) and the Go module proxy; a cold
# build takes a few minutes on 2 cores.
#
# Environment:
#   PORTAL_TEST_HELM         a `helm` binary to use instead; printed (its folder) when it exists.
#   PORTAL_TEST_CACHE_DIR         cache root (default: $HOME/.cache/welkin-portal); the binary goes to
#                            $PORTAL_TEST_CACHE_DIR/tools/helm-<version>/helm.
#   PORTAL_TEST_HELM_BUILD_JOBS   `go build -p` value (default 1: friendly to a shared machine).
#   GOMAXPROCS               passed to go (default 1 here, for the same reason).
#   PORTAL_TEST_HELM_NICE         nice level of the build (default 19).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

log() { printf 'helm/build.sh: %s\n' "$*" >&2; }

# The one place the version lives is go.mod (require line).
HELM_VERSION="$(awk '($1 == "helm.sh/helm/v3" || $2 == "helm.sh/helm/v3") { for (i = 1; i <= NF; i++) if ($i ~ /^v[0-9]/) { print $i; exit } }' "$here/go.mod")"
[[ -n "$HELM_VERSION" ]] || { log "cannot read the helm.sh/helm/v3 version from $here/go.mod"; exit 1; }
# The Kubernetes minor version helm's own client modules are at: what `helm lint` checks
# deprecations against and what `helm template` reports as .Capabilities.KubeVersion.
KUBE_MINOR="$(awk '$1 == "k8s.io/client-go" { split($2, v, "."); print v[2]; exit }' "$here/go.mod")"
[[ -n "$KUBE_MINOR" ]] || { log "cannot read the k8s.io/client-go version from $here/go.mod"; exit 1; }

helm_ok() { [[ -x "$1/helm" ]] && "$1/helm" version --template '{{.Version}}' 2>/dev/null | grep -qx "$HELM_VERSION"; }

if [[ -n "${PORTAL_TEST_HELM:-}" ]]; then
  if [[ -x "$PORTAL_TEST_HELM" ]]; then
    (cd "$(dirname "$PORTAL_TEST_HELM")" && pwd)
    exit 0
  fi
  log "PORTAL_TEST_HELM=$PORTAL_TEST_HELM is not an executable; building instead"
fi

out="${PORTAL_TEST_CACHE_DIR:-$HOME/.cache/welkin-portal}/tools/helm-$HELM_VERSION"
if helm_ok "$out"; then
  echo "$out"
  exit 0
fi

command -v go >/dev/null || { log "go is not installed (https://go.dev/dl/); or set PORTAL_TEST_HELM"; exit 1; }
mkdir -p "$out"

# Serialise concurrent callers (several test binaries may start at once).
if command -v flock >/dev/null; then
  exec 9>"$out/.build.lock"
  flock 9
  if helm_ok "$out"; then echo "$out"; exit 0; fi
fi

export GOWORK=off
export GOMAXPROCS="${GOMAXPROCS:-1}"
jobs="${PORTAL_TEST_HELM_BUILD_JOBS:-1}"
nice_level="${PORTAL_TEST_HELM_NICE:-19}"

ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for pkg in pkg/lint/rules pkg/chartutil; do
  ldflags+=" -X helm.sh/helm/v3/$pkg.k8sVersionMajor=1 -X helm.sh/helm/v3/$pkg.k8sVersionMinor=$KUBE_MINOR"
done

start=$SECONDS
log "building helm $HELM_VERSION -> $out/helm (go build -p $jobs, GOMAXPROCS=$GOMAXPROCS; a cold build takes minutes)"
tmp="$out/helm.tmp.$$"
(cd "$here" && nice -n "$nice_level" go build -p "$jobs" -trimpath -ldflags "$ldflags" -o "$tmp" helm.sh/helm/v3/cmd/helm) >&2
mv -f "$tmp" "$out/helm"
log "built $out/helm in $((SECONDS - start))s"

helm_ok "$out" || { log "the built $out/helm does not report $HELM_VERSION"; exit 1; }
echo "$out"
