# Shared settings for the scripts in .ci/ (sourced, not run).
#
# Build caches live outside the checkout, under ~/.cache/welkin-portal, so a fresh clone (as CI
# makes) reuses what an earlier build on the same machine compiled, while a cold machine still
# builds everything from scratch.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${PORTAL_TEST_CACHE_DIR:-$HOME/.cache/welkin-portal}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE_DIR/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Incremental compilation only pays off for repeated edits of one crate; in CI it writes
# gigabytes (per crate, feature set and test binary) that are never read again.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
# Checkouts at different paths share CARGO_TARGET_DIR (dependencies build once), but cargo
# judges the workspace's own crates fresh by file times alone, so one checkout could run a test
# binary another built from its own sources (and with its paths: insta's snapshot folder, the
# harness's repository root). The workspace crates' build scripts watch this variable, so a
# different checkout rebuilds them, and only them.
export WELKIN_PORTAL_CHECKOUT="$REPO_ROOT"

# Must equal the `wasm-bindgen` version pinned in Cargo.toml.
WASM_BINDGEN_VERSION="0.2.130"
TOOLS_DIR="$CACHE_DIR/tools"
export PATH="$TOOLS_DIR/wasm-bindgen-$WASM_BINDGEN_VERSION/bin:$PATH"

# Where the browser bundle and stylesheet are assembled; the portal's default site_root.
SITE_DIR="$REPO_ROOT/target/site"

log() { printf '\n==> %s\n' "$*" >&2; }
