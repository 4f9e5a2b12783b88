#!/usr/bin/env bash
# Checks the layering the README's architecture section describes: no module imports one of a
# layer above it. Each rule is a set of files and the paths they must not name in code (doc
# comments are skipped, they may point anywhere). Prints every offending line and fails if any.
#
#   .ci/layers.sh
#
# Crate boundaries need no rule here: Cargo already refuses an `app` that names `server`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

failed=0
# rule NAME 'FORBIDDEN (Perl regex)' FILE...
rule() {
  local name="$1" forbidden="$2"
  shift 2
  local hits
  hits="$(grep -nHP -- "$forbidden" "$@" 2>/dev/null | grep -vP '^[^:]+:\d+:\s*//' || true)"
  if [[ -n "$hits" ]]; then
    printf 'layers: %s\n%s\n' "$name" "$hits" >&2
    failed=1
  fi
}
files() { find "$@" -name '*.rs' -not -path '*/tests/*' -not -name 'tests.rs' | sort; }

# app: domain < (config, auth, status, page_context) < feature models < ports < feature pages < shell
rule "the domain is pure: no UI, no ports, no Leptos" \
  '\bcrate::(features|ports|shell|page_context|auth|config|status)\b|\bleptos(_\w+)?::' \
  $(files app/src/domain)
rule "config, auth, status and page_context sit below the features" \
  '\bcrate::(features|ports|shell)\b' \
  app/src/config.rs app/src/auth.rs app/src/status.rs app/src/page_context.rs
rule "a feature's model is plain data: no ports, no pages" \
  '\bcrate::(ports|shell)\b|\bsuper::(api|pages|view|new|detail|list|queue|audit|admin|entry|search)\b' \
  $(find app/src/features -name model.rs | sort)
rule "the ports speak in models: they name no page or server function" \
  '\bcrate::shell\b|\bcrate::features::\w+::(?!model\b)\w+' \
  $(files app/src/ports)
rule "no feature reaches up to the shell" '\bcrate::shell\b' $(files app/src/features)

# server: (metrics, telemetry, assets, serve) < config < store < services < state < handlers < startup
rule "metrics, telemetry, assets and the server loop are leaves" \
  '\bcrate::(store|namespaces|auth|api|startup|state|access|faq|audit|page_error|config)\b' \
  server/src/metrics.rs server/src/telemetry.rs server/src/assets.rs server/src/serve.rs
rule "configuration knows no service" \
  '\bcrate::(store|namespaces|auth|api|startup|state|access|faq|audit|page_error|kubeconfig)\b' \
  $(files server/src/config.rs server/src/config 2>/dev/null || true)
rule "storage knows no service, handler or state" \
  '\bcrate::(namespaces|auth|api|startup|state|access|faq|audit|security|page_error|kubeconfig)\b' \
  $(files server/src/store)
rule "the page error knows no state or handler" \
  '\bcrate::(state|startup|auth|namespaces|api|access)\b' server/src/page_error.rs
rule "the state holds services and knows no router" \
  '\bcrate::(startup|api|kubeconfig|health)\b|\bcrate::namespaces::http\b' server/src/state.rs

if [[ "$failed" != 0 ]]; then
  echo "layers: an import runs up a layer (see the README's architecture section)" >&2
  exit 1
fi
echo "layers: every import runs down"
