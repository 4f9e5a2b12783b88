#!/usr/bin/env bash
# Pages against the static-file limit: each page is fetched once from the portal, the same bytes
# are served by nginx (Debian's `nginx-light`) from files, and both are loaded with wrk (Debian's
# `wrk`) in the same run, one after the other: best of ROUNDS rounds of SECONDS s at CONNECTIONS
# connections. Prints, per page, both rates, their ratio and the portal's p50/p99; the portal's
# resident memory before and after each full pass (a pass loads every page once per round); and
# the number of panic lines in the portal's log, which must be 0. Loopback only.
#
#   tests/bench/against-nginx.sh [PORTAL_TEST_BINARY]   (default: target/portal, built by
#                                                   .ci/build.sh --release)
#   PASSES=3 ROUNDS=3 SECONDS_PER_ROUND=8 CONNECTIONS=64 (the defaults)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
binary="${1:-$repo/target/portal}"
passes="${PASSES:-3}"
rounds="${ROUNDS:-3}"
seconds="${SECONDS_PER_ROUND:-8}"
connections="${CONNECTIONS:-64}"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port="$(free_port)"
nginx_port="$(free_port)"
work="$(mktemp -d)"
chmod 755 "$work" # nginx workers run as another user when started as root
pids=()
trap 'kill ${pids[*]} 2>/dev/null; wait 2>/dev/null; [[ -n "${KEEP:-}" ]] || rm -rf "$work"' EXIT
cd "$repo"

# Its two tools come from Debian; installed here when missing, like .ci/setup.sh does.
missing=()
command -v nginx >/dev/null || missing+=(nginx-light)
command -v wrk >/dev/null || missing+=(wrk)
if ((${#missing[@]})); then
  echo "installing Debian packages: ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

env -u PORTAL_TEST_BINARY PORTAL_LISTEN_ADDR="127.0.0.1:$port" PORTAL_PUBLIC_URL="http://127.0.0.1:$port" \
  PORTAL_DATABASE_URL="sqlite://$work/portal.db" PORTAL_METRICS_ADDR=off \
  PORTAL_ALLOWED_REGISTRIES=harbor.example.com/ RUST_LOG=warn RUST_BACKTRACE="${RUST_BACKTRACE:-0}" "$binary" serve >"$work/portal.log" 2>&1 &
portal_pid=$!
pids+=("$portal_pid")
for _ in $(seq 1 600); do curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.05; done

pages=(
  /
  /faq
  "/faq?q=why+cant+i+kubectl+run"
  /faq/kubectl-run-refused
  "/networkpolicies?preset=default-deny-all-except-dns"
  # Not a page: what the middleware stack alone allows, the ceiling for every page above.
  /healthz
)

# The same bytes as files, mapped from each page's URI.
mkdir -p "$work/www"
{
  echo "map \$request_uri \$page_file {"
  for i in "${!pages[@]}"; do
    curl -fsS -o "$work/www/page$i.html" "http://127.0.0.1:$port${pages[$i]}"
    printf '  "%s" /page%s.html;\n' "${pages[$i]}" "$i"
  done
  echo "}"
} >"$work/map.conf"
cat >"$work/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  map_hash_bucket_size 256;
  include $work/map.conf;
  default_type text/html;
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/www;
    location / { try_files \$page_file =404; }
  }
}
EOF
mkdir -p "$work/tmp"
nginx -c "$work/nginx.conf" -p "$work" &
pids+=($!)
for _ in $(seq 1 200); do curl -fs -o /dev/null "http://127.0.0.1:$nginx_port/" && break; sleep 0.05; done
for i in "${!pages[@]}"; do
  cmp -s <(curl -fsS "http://127.0.0.1:$nginx_port${pages[$i]}") "$work/www/page$i.html" ||
    { echo "nginx does not serve ${pages[$i]} as the portal did" >&2; exit 1; }
done

rss() { awk '/^VmRSS/ { printf "%.1f MB", $2 / 1024 }' "/proc/$portal_pid/status"; }
# Requests/s and the p50, p99 in ms of one wrk run.
load() {
  wrk -t2 -c"$connections" -d"${seconds}s" --latency "$1" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rate = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    END { printf "%d %.2f %.2f\n", rate, p50, p99 }'
}

echo "release binary: $binary"
echo "rounds: best of $rounds × ${seconds}s at $connections connections (wrk -t2), nginx $(nginx -v 2>&1 | sed 's/.*\///')"
echo "portal RSS at start: $(rss)"
for pass in $(seq 1 "$passes"); do
  echo
  echo "pass $pass"
  printf '| %-52s | %8s | %8s | %6s | %15s |\n' page "portal/s" "nginx/s" ratio "p50 / p99 ms"
  for i in "${!pages[@]}"; do
    best=0 best_line="" nginx_best=0
    for _ in $(seq 1 "$rounds"); do
      read -r rate p50 p99 < <(load "http://127.0.0.1:$port${pages[$i]}")
      if ((rate > best)); then best=$rate best_line="$p50 / $p99"; fi
      read -r nrate _ _ < <(load "http://127.0.0.1:$nginx_port${pages[$i]}")
      ((nrate > nginx_best)) && nginx_best=$nrate
    done
    printf '| %-52s | %8d | %8d | %6.3f | %15s |\n' "\`${pages[$i]}\` ($(stat -c %s "$work/www/page$i.html") B)" \
      "$best" "$nginx_best" "$(echo "$best / $nginx_best" | bc -l)" "$best_line"
  done
  echo "portal RSS after pass $pass: $(rss)"
done
echo
panics="$(grep -c 'panicked' "$work/portal.log" || true)"
echo "panic lines in the portal's log: $panics"
grep -m3 'panicked' "$work/portal.log" || true
