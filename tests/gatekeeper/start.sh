#!/usr/bin/env bash
# Starts a real OPA Gatekeeper (the manager binary from ./build.sh) on loopback against a
# given cluster, as that cluster's validating and mutating admission webhook and audit controller:
# installs Gatekeeper's CRDs and the gatekeeper-system namespace, starts the manager with a
# serving certificate for 127.0.0.1, waits until it answers, then registers a
# ValidatingWebhookConfiguration whose clientConfig is `url: https://127.0.0.1:PORT/v1/admit`
# and a MutatingWebhookConfiguration for `/v1/mutate`.
#
#   tests/gatekeeper/start.sh --kubeconfig FILE [options] [DIR]   start; DIR: a new temp folder
#   tests/gatekeeper/start.sh --stop DIR                          unregister the webhook, stop
#
# FILE is an admin kubeconfig with a bearer token and an embedded CA, as tests/kube/start.sh
# writes (its `server`, `certificate-authority-data` and `token` are read for the installs
# done with curl; the manager itself reads FILE with client-go).
#
# Options:
#   --kubeconfig FILE       the cluster (required to start)
#   --port N                webhook port on 127.0.0.1 (default: a free port)
#   --health-port N         /healthz and /readyz (default: a free port)
#   --metrics-port N        Prometheus metrics (default: a free port)
#   --audit-interval S      seconds between audit runs (default 60, Gatekeeper's own default)
#   --failure-policy P      Fail or Ignore for validation.gatekeeper.sh (default Fail;
#                           Gatekeeper's chart ships Ignore)
#   --webhook-timeout S     timeoutSeconds of both webhooks (default 10; the chart ships 3)
#   --timeout SECONDS       how long to wait for readiness (default 120)
#   --foreground            stay attached; Ctrl-C unregisters the webhook and stops it
#
# Environment:
#   PORTAL_TEST_GATEKEEPER_ASSETS   folder with `manager` and `crds/` (default: run ./build.sh)
#
# Files in DIR afterwards:
#   env                 shell-sourceable: GATEKEEPER_URL GATEKEEPER_HEALTH_URL GATEKEEPER_PID
#                       GATEKEEPER_CA_FILE KUBECONFIG
#   certs/ca.crt        CA that signed the webhook's serving cert (the webhook's caBundle)
#   certs/tls.crt tls.key  serving cert (SAN IP:127.0.0.1), read by the manager (--cert-dir)
#   webhook.yaml        the ValidatingWebhookConfiguration registered
#   gatekeeper.log gatekeeper.pid audit/
# The last stdout line is DIR. Needs bash, openssl, curl.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf 'gatekeeper/start.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

VWC_NAME=gatekeeper-validating-webhook-configuration
MWC_NAME=gatekeeper-mutating-webhook-configuration
NAMESPACE=gatekeeper-system

# --- talking to the API server with curl (no kubectl needed) ------------------------
kube_server="" kube_token="" kube_ca=""
read_kubeconfig() { # <file> <dir for the CA file>
  local file="$1" ca_b64
  [[ -f "$file" ]] || die "no kubeconfig at $file"
  kube_server="$(awk '$1 == "server:" { print $2; exit }' "$file")"
  kube_token="$(awk '$1 == "token:" { print $2; exit }' "$file")"
  ca_b64="$(awk '$1 == "certificate-authority-data:" { print $2; exit }' "$file")"
  [[ -n "$kube_server" && -n "$kube_token" && -n "$ca_b64" ]] ||
    die "$file needs server, certificate-authority-data and token (as tests/kube/start.sh writes)"
  kube_ca="$2/kube-ca.crt"
  printf '%s' "$ca_b64" | openssl base64 -d -A >"$kube_ca"
}
kube() { # <method> <path> [curl args...]: prints the body, fails on HTTP >= 400
  local method="$1" path="$2"
  shift 2
  curl -sS --fail-with-body --max-time 30 --cacert "$kube_ca" -H "Authorization: Bearer $kube_token" \
    -X "$method" "$kube_server$path" "$@"
}
apply_yaml() { # <api path of the object> <file>: server-side apply, forced
  kube PATCH "$1?fieldManager=portal-tests&force=true" \
    -H 'Content-Type: application/apply-patch+yaml' --data-binary "@$2" >/dev/null ||
    die "applying $2 to $1 failed"
}

stop_gatekeeper() { # <dir>: unregister the webhook (else every create fails), then SIGTERM
  local dir="$1" pid i
  if [[ -f "$dir/kubeconfig.path" ]]; then
    if read_kubeconfig "$(cat "$dir/kubeconfig.path")" "$dir" 2>/dev/null; then
      kube DELETE "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/$VWC_NAME" \
        --max-time 5 >/dev/null 2>&1 || true
      kube DELETE "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/$MWC_NAME" \
        --max-time 5 >/dev/null 2>&1 || true
    fi
  fi
  [[ -f "$dir/gatekeeper.pid" ]] || return 0
  pid="$(cat "$dir/gatekeeper.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "gatekeeper ($pid) did not stop in 30s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$dir/gatekeeper.pid"
}

kubeconfig="" port="" health_port="" metrics_port="" audit_interval=60 failure_policy=Fail
webhook_timeout=10 timeout=120 foreground=false dir=""
while (($#)); do
  case "$1" in
    --stop) [[ $# -ge 2 ]] || die "--stop needs DIR"; stop_gatekeeper "$2"; log "stopped"; exit 0 ;;
    --kubeconfig) kubeconfig="$2"; shift ;;
    --port) port="$2"; shift ;;
    --health-port) health_port="$2"; shift ;;
    --metrics-port) metrics_port="$2"; shift ;;
    --audit-interval) audit_interval="$2"; shift ;;
    --failure-policy) failure_policy="$2"; shift ;;
    --webhook-timeout) webhook_timeout="$2"; shift ;;
    --timeout) timeout="$2"; shift ;;
    --foreground) foreground=true ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) dir="$1" ;;
  esac
  shift
done
[[ -n "$kubeconfig" ]] || die "--kubeconfig FILE is required (see --help)"
[[ "$failure_policy" == Fail || "$failure_policy" == Ignore ]] || die "--failure-policy is Fail or Ignore"
command -v openssl >/dev/null || die "openssl is required"
command -v curl >/dev/null || die "curl is required"

assets="$("$here/build.sh" | tail -n 1)"
[[ -x "$assets/manager" && -d "$assets/crds" ]] || die "no manager and crds/ in '$assets'"

if [[ -z "$dir" ]]; then dir="$(mktemp -d "${TMPDIR:-/tmp}/portal-gatekeeper.XXXXXX")"; fi
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
kubeconfig="$(cd "$(dirname "$kubeconfig")" && pwd)/$(basename "$kubeconfig")"
if [[ -f "$dir/gatekeeper.pid" ]] && kill -0 "$(cat "$dir/gatekeeper.pid")" 2>/dev/null; then
  die "a gatekeeper from $dir is still running; use --stop $dir first"
fi
read_kubeconfig "$kubeconfig" "$dir"
echo "$kubeconfig" >"$dir/kubeconfig.path"

# Free ports below the ephemeral range (see tests/kube/start.sh).
taken=" $port $health_port $metrics_port "
pick_port() {
  local p i
  if [[ -n "${!1}" ]]; then return 0; fi
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + RANDOM % 12000))
    [[ "$taken" == *" $p "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      taken+="$p "; printf -v "$1" '%s' "$p"; return 0
    fi
  done
  die "no free port found"
}
pick_port port
pick_port health_port
pick_port metrics_port
for p in "$port" "$health_port" "$metrics_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "port $p on 127.0.0.1 is already in use"; fi
done

# --- serving certificate for 127.0.0.1 ----------------------------------------------
certs="$dir/certs"
mkdir -p "$certs"
if [[ ! -f "$certs/tls.crt" ]]; then
  (
    cd "$certs"
    openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
    openssl req -x509 -new -key ca.key -subj "/CN=portal-test-gatekeeper-ca" -days 3650 -out ca.crt \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl ecparam -name prime256v1 -genkey -noout -out tls.key 2>/dev/null
    openssl req -new -key tls.key -subj "/CN=gatekeeper-webhook-service.gatekeeper-system.svc" -out tls.csr 2>/dev/null
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
      "extendedKeyUsage=serverAuth" \
      "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:gatekeeper-webhook-service.gatekeeper-system.svc" \
      >tls.ext
    openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile tls.ext -out tls.crt 2>/dev/null
    rm -f tls.csr tls.ext ca.srl
  )
fi

# --- CRDs and namespace -------------------------------------------------------------
started=$SECONDS
for crd in "$assets"/crds/*.yaml; do
  name="$(awk '$1 == "name:" { print $2; exit }' "$crd")"
  [[ -n "$name" ]] || die "no metadata.name in $crd"
  apply_yaml "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/$name" "$crd"
done
printf '%s\n' "apiVersion: v1" "kind: Namespace" "metadata:" "  name: $NAMESPACE" \
  "  labels:" "    admission.gatekeeper.sh/ignore: no-self-managing" >"$dir/namespace.yaml"
apply_yaml "/api/v1/namespaces/$NAMESPACE" "$dir/namespace.yaml"
# The manager needs the CRDs served before it starts its watches.
for crd in "$assets"/crds/*.yaml; do
  name="$(awk '$1 == "name:" { print $2; exit }' "$crd")"
  deadline=$((SECONDS + timeout))
  until kube GET "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/$name" 2>/dev/null |
    tr -d ' \n' | grep -q '{"type":"Established","status":"True"'; do
    ((SECONDS < deadline)) || die "CRD $name not Established after ${timeout}s"
    sleep 0.2
  done
done
log "CRDs and namespace $NAMESPACE installed in $((SECONDS - started))s"

# --- the manager ----------------------------------------------------------------------
if $foreground; then
  trap 'stop_gatekeeper "$dir"' EXIT
  trap 'exit 130' INT TERM
  spawn() { "$@" & }
elif command -v setsid >/dev/null; then
  spawn() { setsid "$@" </dev/null & }
else
  spawn() { nohup "$@" </dev/null & }
fi

mkdir -p "$dir/audit"
# What Gatekeeper's chart splits over its webhook and audit Deployments, in one process:
# --operation=webhook (validation), generate (the constraint CRD of each template; without it
# no constraint kind ever exists), audit (status.violations of constraints), status (the
# byPod status that says a template or constraint is enforced), and the mutation webhook with
# its controllers (Assign, AssignMetadata, ModifySet are read and applied on /v1/mutate).
# --debug-use-fake-pod: there is no Pod of its own to read (status objects say `no-pod`).
KUBECONFIG="$kubeconfig" POD_NAMESPACE="$NAMESPACE" \
  spawn "$assets/manager" \
  --kubeconfig="$kubeconfig" \
  --operation=webhook --operation=generate --operation=audit --operation=status \
  --operation=mutation-webhook --operation=mutation-controller --operation=mutation-status \
  --host=127.0.0.1 --port="$port" \
  --cert-dir="$certs" --disable-cert-rotation \
  --health-addr="127.0.0.1:$health_port" \
  --metrics-backend=prometheus --prometheus-port="$metrics_port" \
  --validating-webhook-configuration-name="$VWC_NAME" \
  --exempt-namespace="$NAMESPACE" \
  --disable-opa-builtin='{http.send}' \
  --audit-interval="$audit_interval" \
  --api-cache-dir="$dir/audit" \
  --debug-use-fake-pod \
  --shutdown-delay=0 \
  >"$dir/gatekeeper.log" 2>&1
echo $! >"$dir/gatekeeper.pid"

wait_for() { # <what> <command...>
  local what="$1" deadline=$((SECONDS + timeout))
  shift
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$dir/gatekeeper.pid")" 2>/dev/null; then
      log "gatekeeper exited during start-up; last lines of its log:"
      tail -n 25 "$dir/gatekeeper.log" >&2
      stop_gatekeeper "$dir"; exit 1
    fi
    if ((SECONDS >= deadline)); then
      log "$what not ready after ${timeout}s; see $dir/gatekeeper.log"
      stop_gatekeeper "$dir"; exit 1
    fi
    sleep 0.2
  done
}
health_url="http://127.0.0.1:$health_port"
webhook_url="https://127.0.0.1:$port"
ready() { [[ "$(curl -s "$health_url/readyz")" == ok ]]; }
# The webhook server answers TLS with our CA (a 404 for /: only its webhook paths are served).
webhook_up() { curl -s -o /dev/null --cacert "$certs/ca.crt" "$webhook_url/"; }
wait_for "gatekeeper /readyz" ready
wait_for "the webhook on $webhook_url" webhook_up
log "gatekeeper ready after $((SECONDS - started))s (webhook $webhook_url, health $health_url)"

# --- the webhook registration (rules as Gatekeeper's chart ships them) ---------------
ca_bundle="$(openssl base64 -A -in "$certs/ca.crt")"
cat >"$dir/webhook.yaml" <<EOF
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: $VWC_NAME
  labels:
    gatekeeper.sh/system: "yes"
webhooks:
- name: validation.gatekeeper.sh
  admissionReviewVersions: [v1, v1beta1]
  clientConfig:
    url: $webhook_url/v1/admit
    caBundle: $ca_bundle
  failurePolicy: $failure_policy
  matchPolicy: Exact
  namespaceSelector:
    matchExpressions:
    - {key: admission.gatekeeper.sh/ignore, operator: DoesNotExist}
    - {key: kubernetes.io/metadata.name, operator: NotIn, values: [$NAMESPACE]}
  rules:
  - apiGroups: ["*"]
    apiVersions: ["*"]
    operations: [CREATE, UPDATE]
    resources: ["*", pods/ephemeralcontainers, pods/exec, pods/log, pods/eviction, pods/portforward,
      pods/proxy, pods/attach, pods/binding, pods/resize, deployments/scale, replicasets/scale,
      statefulsets/scale, replicationcontrollers/scale, services/proxy, nodes/proxy, services/status]
  sideEffects: None
  timeoutSeconds: $webhook_timeout
- name: check-ignore-label.gatekeeper.sh
  admissionReviewVersions: [v1, v1beta1]
  clientConfig:
    url: $webhook_url/v1/admitlabel
    caBundle: $ca_bundle
  failurePolicy: Fail
  matchPolicy: Exact
  namespaceSelector:
    matchExpressions:
    - {key: kubernetes.io/metadata.name, operator: NotIn, values: [$NAMESPACE]}
  rules:
  - apiGroups: [""]
    apiVersions: ["*"]
    operations: [CREATE, UPDATE]
    resources: [namespaces]
  sideEffects: None
  timeoutSeconds: $webhook_timeout
EOF
apply_yaml "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/$VWC_NAME" "$dir/webhook.yaml"

# The mutating webhook, as the chart registers it (failurePolicy Ignore, never reinvoked).
cat >"$dir/mutating-webhook.yaml" <<EOF
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: $MWC_NAME
  labels:
    gatekeeper.sh/system: "yes"
webhooks:
- name: mutation.gatekeeper.sh
  admissionReviewVersions: [v1, v1beta1]
  clientConfig:
    url: $webhook_url/v1/mutate
    caBundle: $ca_bundle
  failurePolicy: Ignore
  matchPolicy: Exact
  reinvocationPolicy: Never
  namespaceSelector:
    matchExpressions:
    - {key: admission.gatekeeper.sh/ignore, operator: DoesNotExist}
    - {key: kubernetes.io/metadata.name, operator: NotIn, values: [$NAMESPACE]}
  rules:
  - apiGroups: ["*"]
    apiVersions: ["*"]
    operations: [CREATE, UPDATE]
    resources: ["*", pods/ephemeralcontainers]
  sideEffects: None
  timeoutSeconds: $webhook_timeout
EOF
apply_yaml "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/$MWC_NAME" "$dir/mutating-webhook.yaml"

cat >"$dir/env" <<EOF
GATEKEEPER_URL=$webhook_url
GATEKEEPER_HEALTH_URL=$health_url
GATEKEEPER_CA_FILE=$certs/ca.crt
GATEKEEPER_PID=$(cat "$dir/gatekeeper.pid")
KUBECONFIG=$kubeconfig
EOF
log "webhook $VWC_NAME registered (failurePolicy $failure_policy) after $((SECONDS - started))s"

if $foreground; then
  log "running; Ctrl-C unregisters the webhook and stops gatekeeper"
  echo "$dir"
  wait -n || true
  log "gatekeeper exited (see $dir/gatekeeper.log)"
  exit 1
else
  log "stop with: $here/start.sh --stop $dir"
  echo "$dir"
fi
