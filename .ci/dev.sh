#!/usr/bin/env bash
# Runs the portal locally on http://127.0.0.1:3000 with an SQLite database in ./data/.
# Installs what it needs, builds, and serves until Ctrl-C. Extra arguments go to `portal`.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$REPO_ROOT/.ci/setup.sh"
"$REPO_ROOT/.ci/build.sh"
cd "$REPO_ROOT"
# A demo registry, so the kubectl run recipe has something to accept on a laptop.
export PORTAL_ALLOWED_REGISTRIES="${PORTAL_ALLOWED_REGISTRIES:-harbor.example.com/}"
log "serving http://127.0.0.1:3000 (Ctrl-C stops)"
exec "$REPO_ROOT/target/portal" "$@"
