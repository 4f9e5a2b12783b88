#!/usr/bin/env bash
# The Prometheus Operator's CustomResourceDefinitions of ServiceMonitor and PrometheusRule, for
# the chart tests: the test API server has no monitoring stack, so the tests install these
# before they apply the chart's ServiceMonitor and PrometheusRule with strict field validation.
# They come from the operator's own Go module (`go mod download`, checked against the Go checksum
# database), at the version below. Prints the folder that holds them as the LAST line of stdout.
#
#   tests/helm/crds.sh            -> .../welkin-portal/tools/prometheus-operator-crds-v0.85.0
#
# Environment: PORTAL_TEST_CACHE_DIR (default $HOME/.cache/welkin-portal).
set -euo pipefail

# The operator version the CRDs are taken from (Welkin's kube-prometheus-stack ships one of
# about this age; the two CRDs have been at monitoring.coreos.com/v1 for years).
VERSION=v0.85.0
MODULE=github.com/prometheus-operator/prometheus-operator
FILES=(monitoring.coreos.com_servicemonitors.yaml monitoring.coreos.com_prometheusrules.yaml)

log() { printf 'helm/crds.sh: %s\n' "$*" >&2; }

out="${PORTAL_TEST_CACHE_DIR:-$HOME/.cache/welkin-portal}/tools/prometheus-operator-crds-$VERSION"
have_all() { local f; for f in "${FILES[@]}"; do [[ -s "$out/$f" ]] || return 1; done; }
if have_all; then echo "$out"; exit 0; fi

command -v go >/dev/null || { log "go is not installed (https://go.dev/dl/)"; exit 1; }
log "downloading the Go module $MODULE@$VERSION for its CRDs"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
dir="$(cd "$tmp" && GOWORK=off GOFLAGS=-mod=mod go mod download -json "$MODULE@$VERSION" |
  awk -F'"' '$2 == "Dir" { print $4 }')"
[[ -n "$dir" && -d "$dir/example/prometheus-operator-crd" ]] || { log "no CRD folder in $MODULE@$VERSION"; exit 1; }
mkdir -p "$out"
for f in "${FILES[@]}"; do
  install -m 0644 "$dir/example/prometheus-operator-crd/$f" "$out/$f.tmp"
  mv -f "$out/$f.tmp" "$out/$f"
done
have_all || { log "the CRDs did not land in $out"; exit 1; }
echo "$out"
