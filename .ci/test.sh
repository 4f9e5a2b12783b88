#!/usr/bin/env bash
# Runs every check: formatting, clippy (server and browser code, warnings are errors), unit tests,
# the storage suite on SQLite and on a real PostgreSQL, HTTP tests and browser tests in headless
# Chromium. Installs what it needs first. The README's test command, and what CI runs.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_ROOT"
start=$SECONDS

"$REPO_ROOT/.ci/setup.sh"
# Built (or found) by setup.sh; the Kubernetes tests start them.
PORTAL_TEST_KUBE_ASSETS="${PORTAL_TEST_KUBE_ASSETS:-$("$REPO_ROOT/tests/kube/build.sh" 2>/dev/null | tail -n 1)}"
export PORTAL_TEST_KUBE_ASSETS

log "rustfmt"
cargo fmt --all -- --check
log "layers (no import runs up a layer)"
"$REPO_ROOT/.ci/layers.sh"

log "clippy (server side)"
cargo clippy --locked -p app -p server -p portal-tests --all-targets -- -D warnings
log "clippy (browser side)"
cargo clippy --locked -p portal-hydrate --target wasm32-unknown-unknown -- -D warnings

# The browser tests need the bundle.
"$REPO_ROOT/.ci/build.sh"

log "unit tests of the pure domain (no features)"
cargo test --locked -p app --lib
log "server, storage (SQLite and PostgreSQL), HTTP, API, Kubernetes and browser tests"
cargo test --locked -p app -p server -p portal-tests

log "all checks passed in $((SECONDS - start)) s"
