#!/usr/bin/env bash
# Starts a throw-away control plane (etcd + kube-apiserver, nothing else) on loopback and
# writes an admin kubeconfig. For the portal's integration tests and for local runs.
#
#   tests/kube/start.sh [options] [DIR]     start; DIR defaults to a new temp folder
#   tests/kube/start.sh --stop DIR          stop what a previous start wrote into DIR
#
# Started again on a DIR of an earlier start, it keeps that cluster: the same etcd data (every
# namespace and object), keys, CA and ports (the ports are remembered in DIR/ports; options
# given now win). The local run command keeps its cluster in data/cluster this way.
#
# Options:
#   --foreground            stay attached; Ctrl-C (SIGINT/SIGTERM) stops both processes
#   --apiserver-port N      kube-apiserver secure port   (default: a free port)
#   --etcd-port N           etcd client port             (default: a free port)
#   --etcd-peer-port N      etcd peer port               (default: a free port)
#   --timeout SECONDS       how long to wait for readiness (default 90)
#   --durable               let etcd fsync its writes (for a DIR that is kept; throw-away
#                           test clusters skip fsync, which is much faster)
#
# Environment:
#   PORTAL_TEST_KUBE_ASSETS   folder with kube-apiserver and etcd (default: run ./build.sh)
#   PORTAL_TEST_KUBE_ADMIN_TOKEN   admin bearer token (default: random); user "admin",
#                             group system:masters
#   PORTAL_TEST_KUBE_EXTRA_TOKENS  file of extra token lines, appended to the token file:
#                             token,user,uid,"group1,group2"
#   PORTAL_TEST_KUBE_OIDC_ISSUER   also accept ID tokens of this (https) issuer, as a Welkin cluster
#                             does: username from `email`, groups from `groups`
#   PORTAL_TEST_KUBE_OIDC_CA_FILE  the CA that signed the issuer's certificate
#   PORTAL_TEST_KUBE_OIDC_CLIENT_ID  the audience the tokens must carry (default kubelogin)
#   PORTAL_TEST_KUBE_OIDC_PREFIX   prefix for OIDC usernames and groups, e.g. `oidc:` (default none)
#
# Files in DIR afterwards:
#   kubeconfig        admin kubeconfig (context "portal-test", CA embedded)
#   env               shell-sourceable: KUBE_SERVER KUBE_TOKEN KUBE_CA_FILE ETCD_URL
#                     KUBECONFIG ETCD_PID APISERVER_PID
#   pki/ca.crt        CA that signed the serving cert (SANs 127.0.0.1, localhost)
#   pki/sa.key sa.pub service-account signing key pair
#   ports             the ports chosen, reused by the next start on DIR
#   tokens.csv        static token file (--token-auth-file)
#   etcd.log kube-apiserver.log etcd.pid kube-apiserver.pid etcd-data/
# The last stdout line is DIR. Needs bash, openssl, curl.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf 'kube/start.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

stop_pid() { # <pidfile> <name>: SIGTERM, wait up to 30s, then SIGKILL
  local pidfile="$1" name="$2" pid i
  [[ -f "$pidfile" ]] || return 0
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name ($pid) did not stop in 30s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}
stop_all() { # <dir>: apiserver first, then etcd
  stop_pid "$1/kube-apiserver.pid" kube-apiserver
  stop_pid "$1/etcd.pid" etcd
}

foreground=false durable=false api_port="" etcd_port="" peer_port="" timeout=90 dir=""
while (($#)); do
  case "$1" in
    --stop) [[ $# -ge 2 ]] || die "--stop needs DIR"; stop_all "$2"; log "stopped"; exit 0 ;;
    --foreground) foreground=true ;;
    --durable) durable=true ;;
    --apiserver-port) api_port="$2"; shift ;;
    --etcd-port) etcd_port="$2"; shift ;;
    --etcd-peer-port) peer_port="$2"; shift ;;
    --timeout) timeout="$2"; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) dir="$1" ;;
  esac
  shift
done

command -v openssl >/dev/null || die "openssl is required"
command -v curl >/dev/null || die "curl is required"

assets="$("$here/build.sh" | tail -n 1)"
[[ -x "$assets/kube-apiserver" && -x "$assets/etcd" ]] || die "no binaries in '$assets'"

if [[ -z "$dir" ]]; then dir="$(mktemp -d "${TMPDIR:-/tmp}/portal-kube.XXXXXX")"; fi
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
if [[ -f "$dir/kube-apiserver.pid" ]] && kill -0 "$(cat "$dir/kube-apiserver.pid")" 2>/dev/null; then
  die "a kube-apiserver from $dir is still running; use --stop $dir first"
fi
# `env` says "ready"; one from an earlier start on this folder must not.
rm -f "$dir/env"

# A kept cluster keeps its ports: the kubeconfigs written for it stay valid, and etcd's
# member record (which holds its peer address) matches.
if [[ -f "$dir/ports" ]]; then
  while IFS='=' read -r key value; do
    case "$key" in
      APISERVER_PORT) api_port="${api_port:-$value}" ;;
      ETCD_PORT) etcd_port="${etcd_port:-$value}" ;;
      ETCD_PEER_PORT) peer_port="${peer_port:-$value}" ;;
    esac
  done <"$dir/ports"
fi

# A port nobody listens on (racy by nature: if a start fails with "address already in
# use", just run again). Avoids ports handed out earlier in this run, and stays below the
# kernel's ephemeral range (32768 and up on Linux), where every port-0 listener and outgoing
# connection of the tests running alongside gets its port.
taken=" "
pick_port() { # <variable name>: sets it to a free port unless already set
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
taken+="$etcd_port $peer_port $api_port "
pick_port etcd_port
pick_port peer_port
pick_port api_port
# Fail early on a busy port: a health check could otherwise answer from someone else's etcd.
for p in "$etcd_port" "$peer_port" "$api_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    if [[ -f "$dir/ports" ]] && grep -q "=$p\$" "$dir/ports"; then
      die "port $p on 127.0.0.1 is already in use; an earlier start on $dir chose it (see $dir/ports: delete that file to pick new ports, and rewrite kubeconfigs that name the old one)"
    fi
    die "port $p on 127.0.0.1 is already in use"
  fi
done
printf 'APISERVER_PORT=%s\nETCD_PORT=%s\nETCD_PEER_PORT=%s\n' "$api_port" "$etcd_port" "$peer_port" >"$dir/ports"

# --- key material -------------------------------------------------------------------
pki="$dir/pki"
mkdir -p "$pki"
if [[ ! -f "$pki/apiserver.crt" ]]; then
  (
    cd "$pki"
    openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
    openssl req -x509 -new -key ca.key -subj "/CN=portal-test-ca" -days 3650 -out ca.crt \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl ecparam -name prime256v1 -genkey -noout -out apiserver.key 2>/dev/null
    openssl req -new -key apiserver.key -subj "/CN=kube-apiserver" -out apiserver.csr 2>/dev/null
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
      "extendedKeyUsage=serverAuth" \
      "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.0.0.1" \
      >apiserver.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile apiserver.ext -out apiserver.crt 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    rm -f apiserver.csr apiserver.ext ca.srl
  )
fi

token="${PORTAL_TEST_KUBE_ADMIN_TOKEN:-$(openssl rand -hex 24)}"
{
  printf '%s,admin,admin,"system:masters"\n' "$token"
  if [[ -n "${PORTAL_TEST_KUBE_EXTRA_TOKENS:-}" ]]; then cat "$PORTAL_TEST_KUBE_EXTRA_TOKENS"; fi
} >"$dir/tokens.csv"
chmod 600 "$dir/tokens.csv"

server="https://127.0.0.1:$api_port"
etcd_url="http://127.0.0.1:$etcd_port"
ca_b64="$(openssl base64 -A -in "$pki/ca.crt")"
cat >"$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: portal-test
  cluster:
    server: $server
    certificate-authority-data: $ca_b64
users:
- name: admin
  user:
    token: $token
contexts:
- name: portal-test
  context:
    cluster: portal-test
    user: admin
current-context: portal-test
EOF
chmod 600 "$dir/kubeconfig"

# --- processes ----------------------------------------------------------------------
if $foreground; then
  trap 'stop_all "$dir"' EXIT
  trap 'exit 130' INT TERM
  spawn() { "$@" & }
else
  # Own session so the processes outlive this script (and its terminal).
  if command -v setsid >/dev/null; then
    spawn() { setsid "$@" </dev/null & }
  else
    spawn() { nohup "$@" </dev/null & }
  fi
fi

now_ms() { local n; n="$(date +%s%N)"; [[ "$n" == *N ]] && n="$(($(date +%s) * 1000000000))"; echo $((n / 1000000)); }
started="$(now_ms)"
elapsed() { echo "$(($(now_ms) - started))ms"; }

fsync_args=(--unsafe-no-fsync=true)
if $durable; then fsync_args=(); fi
spawn "$assets/etcd" \
  --name=portal-test \
  --data-dir="$dir/etcd-data" \
  --listen-client-urls="$etcd_url" \
  --advertise-client-urls="$etcd_url" \
  --listen-peer-urls="http://127.0.0.1:$peer_port" \
  --initial-advertise-peer-urls="http://127.0.0.1:$peer_port" \
  --initial-cluster="portal-test=http://127.0.0.1:$peer_port" \
  "${fsync_args[@]}" \
  --log-level=warn \
  >"$dir/etcd.log" 2>&1
echo $! >"$dir/etcd.pid"

wait_for() { # <name> <pidfile> <command...>: poll until command succeeds
  local name="$1" pidfile="$2" deadline=$((SECONDS + timeout))
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      log "$name exited during start-up; last lines of its log:"
      tail -n 25 "$dir/$name.log" >&2
      stop_all "$dir"; exit 1
    fi
    if ((SECONDS >= deadline)); then
      log "$name not ready after ${timeout}s; see $dir/$name.log"
      stop_all "$dir"; exit 1
    fi
    sleep 0.1
  done
}
etcd_healthy() { curl -sf "$etcd_url/health" | grep -q '"health":"true"'; }
wait_for etcd "$dir/etcd.pid" etcd_healthy
log "etcd healthy on $etcd_url after $(elapsed)"

oidc_args=()
if [[ -n "${PORTAL_TEST_KUBE_OIDC_ISSUER:-}" ]]; then
  oidc_args=(
    --oidc-issuer-url="$PORTAL_TEST_KUBE_OIDC_ISSUER"
    --oidc-client-id="${PORTAL_TEST_KUBE_OIDC_CLIENT_ID:-kubelogin}"
    --oidc-username-claim=email
    --oidc-groups-claim=groups
  )
  if [[ -n "${PORTAL_TEST_KUBE_OIDC_CA_FILE:-}" ]]; then
    oidc_args+=(--oidc-ca-file="$PORTAL_TEST_KUBE_OIDC_CA_FILE")
  fi
  # Without a prefix flag the API server prefixes non-email usernames with the issuer; with
  # the email claim it adds nothing. `-` says "no prefix" explicitly.
  oidc_args+=(--oidc-username-prefix="${PORTAL_TEST_KUBE_OIDC_PREFIX:--}")
  if [[ -n "${PORTAL_TEST_KUBE_OIDC_PREFIX:-}" ]]; then
    oidc_args+=(--oidc-groups-prefix="$PORTAL_TEST_KUBE_OIDC_PREFIX")
  fi
fi

spawn "$assets/kube-apiserver" \
  "${oidc_args[@]}" \
  --advertise-address=127.0.0.1 \
  --bind-address=127.0.0.1 \
  --secure-port="$api_port" \
  --tls-cert-file="$pki/apiserver.crt" \
  --tls-private-key-file="$pki/apiserver.key" \
  --etcd-servers="$etcd_url" \
  --service-cluster-ip-range=10.0.0.0/24 \
  --service-account-issuer=https://kubernetes.default.svc \
  --service-account-key-file="$pki/sa.pub" \
  --service-account-signing-key-file="$pki/sa.key" \
  --authorization-mode=RBAC \
  --token-auth-file="$dir/tokens.csv" \
  --disable-admission-plugins=ServiceAccount \
  --allow-privileged=true \
  --endpoint-reconciler-type=none \
  >"$dir/kube-apiserver.log" 2>&1
echo $! >"$dir/kube-apiserver.pid"

api_ready() {
  [[ "$(curl -s --cacert "$pki/ca.crt" -H "Authorization: Bearer $token" "$server/readyz")" == ok ]]
}
wait_for kube-apiserver "$dir/kube-apiserver.pid" api_ready
log "kube-apiserver ready on $server after $(elapsed)"

cat >"$dir/env" <<EOF
KUBE_SERVER=$server
KUBE_TOKEN=$token
KUBE_CA_FILE=$pki/ca.crt
ETCD_URL=$etcd_url
KUBECONFIG=$dir/kubeconfig
ETCD_PID=$(cat "$dir/etcd.pid")
APISERVER_PID=$(cat "$dir/kube-apiserver.pid")
EOF

if $foreground; then
  log "running; KUBECONFIG=$dir/kubeconfig kubectl get ns   (Ctrl-C stops)"
  echo "$dir"
  wait -n || true
  log "a process exited; stopping the other (see $dir/*.log)"
  exit 1
else
  log "stop with: $here/start.sh --stop $dir"
  echo "$dir"
fi
