#!/usr/bin/env bash
# Assembles the root filesystem of the portal's image in OUT: the `portal` binary and the shared
# libraries it links (as `ldd` lists them: glibc, libm, libgcc_s and the dynamic loader, from the
# system that built it), the site folder, the CA certificates, and passwd and group entries for
# UID/GID 10001. Nothing else: no shell, no package manager.
#
#   deploy/image-rootfs.sh BINARY SITE_DIR OUT
#
# deploy/Containerfile runs it in its build stage; deploy/build-image.sh runs it on the machine
# that built the release (the tests' image). Needs bash, coreutils, ldd and strip (binutils).
set -euo pipefail

if (($# != 3)); then
  echo "usage: $0 BINARY SITE_DIR OUT" >&2
  exit 2
fi
binary="$1" site="$2" out="$3"
[[ -x "$binary" ]] || { echo "image-rootfs.sh: $binary is not an executable" >&2; exit 1; }
bundle="$(cat "$site/bundle-name.txt" 2>/dev/null || true)"
[[ -n "$bundle" && -f "$site/pkg/$bundle.js" && -f "$site/pkg/${bundle}_bg.wasm" ]] ||
  { echo "image-rootfs.sh: $site has no bundle-name.txt naming pkg/NAME.js and pkg/NAME_bg.wasm (run .ci/build.sh --release)" >&2; exit 1; }
command -v strip >/dev/null || { echo "image-rootfs.sh: strip is missing (install binutils)" >&2; exit 1; }
ca=/etc/ssl/certs/ca-certificates.crt
[[ -s "$ca" ]] || { echo "image-rootfs.sh: $ca is missing (install ca-certificates)" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out/app" "$out/etc/ssl/certs"
# Without its symbol table (a quarter of the file): panics still name the file and line, and
# the portal never prints backtraces.
strip --strip-all -o "$out/app/portal" "$binary"
chmod 0755 "$out/app/portal"
cp -R "$site" "$out/app/site"
chmod -R a+rX,go-w "$out/app/site"
install -m 0644 "$ca" "$out/etc/ssl/certs/ca-certificates.crt"

# Each library at the path the binary asks for (symlinks resolved), the loader included.
libs="$(ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')"
[[ -n "$libs" ]] || { echo "image-rootfs.sh: ldd found no libraries for $binary" >&2; exit 1; }
for lib in $libs; do
  mkdir -p "$out$(dirname "$lib")"
  cp -L "$lib" "$out$lib"
done

# The user the portal runs as; no login, no home. /etc/hosts before DNS, as glibc's default
# order is the other way round without an nsswitch.conf (Kubernetes writes hostAliases there).
printf 'portal:x:10001:10001:Welkin portal:/nonexistent:/usr/sbin/nologin\n' >"$out/etc/passwd"
printf 'portal:x:10001:\n' >"$out/etc/group"
printf 'hosts: files dns\n' >"$out/etc/nsswitch.conf"
chmod 0644 "$out/etc/passwd" "$out/etc/group" "$out/etc/nsswitch.conf"
