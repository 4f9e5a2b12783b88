#!/usr/bin/env bash
# Builds the portal: the server binary (with server-side rendering) and the browser bundle that
# hydrates its pages, assembled in target/site. This replaces cargo-leptos, which downloads tools
# from release pages that this network cannot reach.
#
#   .ci/build.sh            debug server and debug bundle (fast; what the tests use)
#   .ci/build.sh --release  optimised server and size-optimised bundle (what ships)
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

server_profile=dev
wasm_profile=dev
if [[ "${1:-}" == "--release" ]]; then
  server_profile=release
  wasm_profile=wasm-release
fi
profile_dir() { [[ "$1" == dev ]] && echo debug || echo "$1"; }

cd "$REPO_ROOT"
log "building the server ($server_profile)"
cargo build --locked -p server --profile "$server_profile"

log "building the browser bundle ($wasm_profile)"
# LEPTOS_OUTPUT_NAME must not be set at compile time: it would change the file names the page
# asks for. The server names the bundle at run time (bundle-name.txt, see assemble-site.sh).
env -u LEPTOS_OUTPUT_NAME cargo build --locked -p portal-hydrate --lib \
  --target wasm32-unknown-unknown --profile "$wasm_profile"

log "assembling $SITE_DIR"
"$REPO_ROOT/.ci/assemble-site.sh" \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/$(profile_dir "$wasm_profile")/portal_hydrate.wasm" \
  "$SITE_DIR" "$server_profile"

binary="$CARGO_TARGET_DIR/$(profile_dir "$server_profile")/portal"
ln -sf "$binary" "$REPO_ROOT/target/portal"
log "built $binary (linked as target/portal) and $SITE_DIR"
