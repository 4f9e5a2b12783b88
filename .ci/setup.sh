#!/usr/bin/env bash
# Installs everything the build and the tests need that a fresh machine lacks. Idempotent: each
# step checks first, so a second run takes a second.
#
#   - Debian packages: Chromium and its WebDriver (browser tests), PostgreSQL (storage tests),
#     podman and runc (the image test);
#   - the wasm32 Rust target;
#   - the wasm-bindgen CLI at exactly the version Cargo.toml pins (cached under ~/.cache);
#   - a real kube-apiserver and etcd, built from their Go modules (tests/kube/build.sh, cached
#     under ~/.cache; about 10 minutes on a cold machine, a tenth of a second after that);
#   - helm, built from its Go module (tests/helm/build.sh, cached under ~/.cache; under 3 minutes
#     once), and the Prometheus Operator's CRDs the chart tests validate against
#     (tests/helm/crds.sh, from the operator's Go module).
#
#   .ci/setup.sh                  everything (the test command)
#   .ci/setup.sh --run            only what running the portal locally needs (.ci/dev.sh)
#   .ci/setup.sh --run --cluster  that, and the local API server and helm
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

run_only=false cluster=true
for arg in "$@"; do
  case "$arg" in
    --run) run_only=true; cluster=false ;;
    --cluster) cluster=true ;;
    *) echo "setup: unknown argument $arg" >&2; exit 2 ;;
  esac
done
tests=true
$run_only && tests=false

apt_packages=()
if $tests; then
  command -v chromium >/dev/null || apt_packages+=(chromium)
  command -v chromedriver >/dev/null || apt_packages+=(chromium-driver)
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || apt_packages+=(postgresql)
  # The image test (deploy/build-image.sh): podman builds the image FROM scratch and runs it
  # with runc (deploy/containers.conf), so neither buildah nor a base image is needed.
  command -v podman >/dev/null || apt_packages+=(podman)
  command -v runc >/dev/null || [[ -x /usr/sbin/runc ]] || apt_packages+=(runc)
fi
if $cluster; then
  command -v openssl >/dev/null || apt_packages+=(openssl)
  command -v curl >/dev/null || apt_packages+=(curl)
fi
[[ -s /etc/ssl/certs/ca-certificates.crt ]] || apt_packages+=(ca-certificates)
# .ci/build.sh writes a brotli copy of each bundle file.
command -v brotli >/dev/null || apt_packages+=(brotli)
if ((${#apt_packages[@]})); then
  log "installing Debian packages: ${apt_packages[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${apt_packages[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown Rust target"
  rustup target add wasm32-unknown-unknown
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (once per machine, a few minutes)"
  # No --locked: the CLI's lockfile names a crate version the registry no longer serves.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" \
    --root "$TOOLS_DIR/wasm-bindgen-$WASM_BINDGEN_VERSION"
fi

# kubectl checks the downloaded kubeconfig; machines of this kind ship it (Debian has no package).
if $cluster; then
  command -v kubectl >/dev/null || [[ -n "${PORTAL_TEST_KUBECTL:-}" ]] || {
    echo "setup: kubectl is needed (or PORTAL_TEST_KUBECTL naming one)" >&2; exit 1; }
fi

# The test identity provider (tests/idp) runs on the machine's Node.js (20 or newer).
command -v npm >/dev/null || { echo "setup: Node.js 20+ with npm is needed for the test identity provider" >&2; exit 1; }
if [[ ! -d "$REPO_ROOT/tests/idp/node_modules" ]]; then
  log "installing the test identity provider's npm packages"
  (cd "$REPO_ROOT/tests/idp" && npm ci --no-audit --no-fund --loglevel=error)
fi

# axe-core, which the browser tests run on every page (tests only).
if $tests && [[ ! -d "$REPO_ROOT/tests/axe/node_modules" ]]; then
  log "installing axe-core for the accessibility tests"
  (cd "$REPO_ROOT/tests/axe" && npm ci --no-audit --no-fund --loglevel=error)
fi

$cluster || exit 0

# The test control plane. setup.sh is the one-off install step, so let the build use both cores.
if [[ -z "${PORTAL_TEST_KUBE_ASSETS:-}" ]]; then
  # Debian's golang-go is too old for Kubernetes 1.34 (it needs Go 1.24); the machine's Go is used.
  command -v go >/dev/null || { echo "setup: Go 1.24 or newer is needed to build the test kube-apiserver" >&2; exit 1; }
  GOMAXPROCS="${GOMAXPROCS:-$(nproc)}" PORTAL_TEST_KUBE_BUILD_JOBS="${PORTAL_TEST_KUBE_BUILD_JOBS:-$(nproc)}" \
    PORTAL_TEST_KUBE_NICE="${PORTAL_TEST_KUBE_NICE:-0}" "$REPO_ROOT/tests/kube/build.sh" >/dev/null
fi

# The chart tests' helm and the CRDs of the chart's ServiceMonitor and PrometheusRule.
if [[ -z "${PORTAL_TEST_HELM:-}" ]]; then
  command -v go >/dev/null || { echo "setup: Go is needed to build helm for the chart tests" >&2; exit 1; }
  GOMAXPROCS="${GOMAXPROCS:-$(nproc)}" PORTAL_TEST_HELM_BUILD_JOBS="${PORTAL_TEST_HELM_BUILD_JOBS:-$(nproc)}" \
    PORTAL_TEST_HELM_NICE="${PORTAL_TEST_HELM_NICE:-0}" "$REPO_ROOT/tests/helm/build.sh" >/dev/null
fi
$tests && "$REPO_ROOT/tests/helm/crds.sh" >/dev/null
exit 0
