#!/usr/bin/env bash
# Runs the portal locally on http://127.0.0.1:3000 with an SQLite database in ./data/, a local
# identity provider on http://127.0.0.1:5556 (users alice, bob, carol, root; password = name)
# and, with --cluster, a local Kubernetes API server (built once, ~10 minutes) where approved
# namespaces are created, with kubeconfigs for the test users in data/. Without it, requests can
# be made and approved, and wait. Installs only what running needs, builds the debug build, and
# serves until Ctrl-C. Other arguments go to `portal`.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
with_cluster=false
if [[ "${1:-}" == "--cluster" ]]; then with_cluster=true; shift; fi

# Only what running needs: no browser, PostgreSQL or podman; Go and the API server only with
# --cluster.
if $with_cluster; then "$REPO_ROOT/.ci/setup.sh" --run --cluster; else "$REPO_ROOT/.ci/setup.sh" --run; fi
"$REPO_ROOT/.ci/build.sh"
cd "$REPO_ROOT"

run_dir="$(mktemp -d)"
# The local cluster lives next to the SQLite file, so after a restart the namespaces the
# database calls ready are still there (etcd's data, the keys and the ports are kept).
cluster_dir="$REPO_ROOT/data/cluster"
children=()
cleanup() {
  for pid in "${children[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  [[ -n "${gatekeeper_dir:-}" ]] && "$REPO_ROOT/tests/gatekeeper/start.sh" --stop "$gatekeeper_dir" 2>/dev/null
  [[ -f "$cluster_dir/env" ]] && "$REPO_ROOT/tests/kube/start.sh" --stop "$cluster_dir" 2>/dev/null
  rm -rf "$run_dir"
}
trap cleanup EXIT INT TERM

log "starting the local identity provider on http://127.0.0.1:5556"
"$REPO_ROOT/tests/idp/start.sh" --port 5556 >"$run_dir/idp.out" 2>"$run_dir/idp.log" &
children+=($!)
until grep -q '^idp ready' "$run_dir/idp.out" 2>/dev/null; do
  kill -0 "${children[0]}" 2>/dev/null || { cat "$run_dir/idp.log" >&2; exit 1; }
  sleep 0.1
done
export PORTAL_OIDC_ISSUER="${PORTAL_OIDC_ISSUER:-http://127.0.0.1:5556}"
export PORTAL_OIDC_CLIENT_SECRET="${PORTAL_OIDC_CLIENT_SECRET:-portal-secret}"
export PORTAL_ADMIN_GROUPS="${PORTAL_ADMIN_GROUPS:-platform-admins}"

if $with_cluster; then
  log "starting a local Kubernetes API server"
  mkdir -p "$cluster_dir" "$run_dir/pki"
  # The API server trusts ID tokens only from an https issuer: a second, https instance of the
  # local identity provider (same users) with a certificate from a throw-away CA, for kubectl.
  # The portal and your browser keep using the http one, so no certificate warning appears.
  (
    cd "$run_dir/pki"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 \
      -subj "/CN=welkin-portal local CA" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout idp.key -out idp.csr -subj "/CN=127.0.0.1" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >idp.ext
    openssl x509 -req -in idp.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 \
      -extfile idp.ext -out idp.crt 2>/dev/null
  )
  "$REPO_ROOT/tests/idp/start.sh" --port 5557 --tls-cert "$run_dir/pki/idp.crt" \
    --tls-key "$run_dir/pki/idp.key" >"$run_dir/idp-tls.out" 2>"$run_dir/idp-tls.log" &
  children+=($!)
  until grep -q '^idp ready' "$run_dir/idp-tls.out" 2>/dev/null; do
    kill -0 "${children[-1]}" 2>/dev/null || { cat "$run_dir/idp-tls.log" >&2; exit 1; }
    sleep 0.1
  done
  kubectl_issuer="https://127.0.0.1:5557"
  # The portal acts as its ServiceAccount, with exactly the RBAC the chart (deploy/chart) ships.
  portal_token="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
  printf '%s,system:serviceaccount:welkin-portal:welkin-portal,welkin-portal-sa,"system:serviceaccounts,system:serviceaccounts:welkin-portal,system:authenticated"\n' \
    "$portal_token" >"$run_dir/extra-tokens.csv"
  if PORTAL_TEST_KUBE_EXTRA_TOKENS="$run_dir/extra-tokens.csv" \
    PORTAL_TEST_KUBE_OIDC_ISSUER="$kubectl_issuer" PORTAL_TEST_KUBE_OIDC_CA_FILE="$run_dir/pki/ca.crt" \
    "$REPO_ROOT/tests/kube/start.sh" --durable "$cluster_dir" >/dev/null; then
    source "$cluster_dir/env"
    export PORTAL_CLUSTER_SERVER="$KUBE_SERVER" PORTAL_CLUSTER_CA_FILE="$KUBE_CA_FILE"
    # No controller-manager runs: give `admin` its rules, and install the portal's RBAC as the
    # chart renders it (its namespace, ServiceAccount, ClusterRoles and admission policy).
    helm_bin="$("$REPO_ROOT/tests/helm/build.sh" | tail -n 1)/helm"
    kubectl --kubeconfig "$KUBECONFIG" create namespace welkin-portal --dry-run=client -o yaml |
      kubectl --kubeconfig "$KUBECONFIG" label --local -f - -o yaml \
        pod-security.kubernetes.io/enforce=restricted >"$run_dir/portal-namespace.yaml"
    "$helm_bin" template welkin-portal "$REPO_ROOT/deploy/chart" --namespace welkin-portal \
      --values "$REPO_ROOT/deploy/chart/ci/minimal-values.yaml" \
      --show-only templates/rbac.yaml --show-only templates/admission-policy.yaml >"$run_dir/portal-rbac.yaml"
    kubectl --kubeconfig "$KUBECONFIG" apply --server-side --force-conflicts -f "$REPO_ROOT/tests/kube/admin-clusterrole.yaml" \
      -f "$run_dir/portal-namespace.yaml" -f "$run_dir/portal-rbac.yaml" >/dev/null
    sed "s|^\( *token: \).*|\1$portal_token|" "$KUBECONFIG" >"$run_dir/portal-kubeconfig"
    chmod 600 "$run_dir/portal-kubeconfig"
    export PORTAL_KUBECONFIG="$run_dir/portal-kubeconfig"
    # A kubeconfig per test user, logging in at the https provider without a browser (the
    # portal's own download points at kubelogin, as on Welkin). They outlive the run, in data/.
    mkdir -p "$REPO_ROOT/data"
    ca_data="$(base64 -w0 <"$KUBE_CA_FILE")"
    for user in alice bob carol root; do
      cat >"$REPO_ROOT/data/kubeconfig-$user" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: $KUBE_SERVER
    certificate-authority-data: $ca_data
users:
- name: $user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: node
      args: ["$REPO_ROOT/tests/idp/kubectl-login.mjs", "$kubectl_issuer", "$user"]
      env: [{name: NODE_EXTRA_CA_CERTS, value: "$run_dir/pki/ca.crt"}]
      interactiveMode: Never
contexts:
- name: local
  context: {cluster: local, user: $user}
current-context: local
KUBECONFIG
      chmod 600 "$REPO_ROOT/data/kubeconfig-$user"
    done
    # Gatekeeper as Welkin runs it, with rules in the shape of Welkin's (tests/gatekeeper/preflight/:
    # registries, tags, requests, replicas, NetworkPolicy selection through the synced inventory,
    # and mutators that harden Pods in restricted namespaces), so preflight and the access pages
    # answer with a cluster's real rules. Built once from its Go module (~7 minutes), then cached.
    log "starting Gatekeeper (built once from its Go module, ~7 minutes)"
    if gatekeeper_dir="$("$REPO_ROOT/tests/gatekeeper/start.sh" --kubeconfig "$KUBECONFIG" --audit-interval 30 --failure-policy Ignore 2>"$run_dir/gatekeeper.log" | tail -n 1)" &&
      [[ -n "$gatekeeper_dir" ]]; then
      kubectl --kubeconfig "$KUBECONFIG" apply --server-side -f "$REPO_ROOT/tests/gatekeeper/preflight/templates.yaml" >/dev/null
      kubectl --kubeconfig "$KUBECONFIG" apply --server-side -f "$REPO_ROOT/tests/gatekeeper/preflight/config.yaml" >/dev/null
      for _ in $(seq 120); do
        kubectl --kubeconfig "$KUBECONFIG" apply --server-side \
          -f "$REPO_ROOT/tests/gatekeeper/preflight/mutators.yaml" >/dev/null 2>&1 && break
        sleep 0.5
      done
      # Each constraint kind exists once Gatekeeper has made its CRD from the template.
      for _ in $(seq 120); do
        kubectl --kubeconfig "$KUBECONFIG" apply --server-side \
          -f "$REPO_ROOT/tests/gatekeeper/preflight/constraints.yaml" >/dev/null 2>&1 && break
        sleep 0.5
      done
      log "Gatekeeper enforces tests/gatekeeper/preflight/ (see them: KUBECONFIG=$KUBECONFIG kubectl get constraints)"
    else
      gatekeeper_dir=""
      log "Gatekeeper did not start ($run_dir/gatekeeper.log): preflight checks Pod Security only"
    fi
    log "kubectl as a test user: KUBECONFIG=data/kubeconfig-alice kubectl get pods -n team-a-shop (also bob, carol, root)"
    log "Kubernetes API server at $KUBE_SERVER; approved namespaces are created there (see them: KUBECONFIG=$KUBECONFIG kubectl get ns)"
  else
    log "the local Kubernetes API server did not start: approved namespace requests will wait for a cluster"
  fi
else
  log "no local Kubernetes API server (.ci/dev.sh --cluster builds one, ~10 minutes once, and starts it)"
fi

# A demo registry, so the kubectl run recipe has something to accept on a laptop.
export PORTAL_ALLOWED_REGISTRIES="${PORTAL_ALLOWED_REGISTRIES:-harbor.example.com/}"
log "serving the debug build (quick to build; .ci/build.sh --release makes the optimised one) on http://127.0.0.1:3000 (Ctrl-C stops); log in as alice/alice or root/root"
"$REPO_ROOT/target/portal" "$@" &
children+=($!)
wait "${children[-1]}"
