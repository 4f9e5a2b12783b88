#!/usr/bin/env bash
# Starts the test identity provider: installs node_modules from package-lock.json
# when they are missing or were installed from another lockfile, then runs
# server.mjs with all arguments (e.g. --port 0 --exit-on-stdin-close).
# Safe to run several times at once: the install is serialised with flock.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

stamp=node_modules/.idp-installed-lock.json
installed() { [ -f node_modules/oidc-provider/package.json ] && cmp -s package-lock.json "$stamp"; }

if ! installed; then
  exec 9>.install.lock
  flock 9
  if ! installed; then
    # npm writes to stderr only: stdout is kept for the "idp ready" line.
    npm ci --no-audit --no-fund --loglevel=error 1>&2
    cp package-lock.json "$stamp"
  fi
  flock -u 9
  exec 9>&-
fi

exec node server.mjs "$@"
