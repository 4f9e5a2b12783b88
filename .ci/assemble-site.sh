#!/usr/bin/env bash
# Assembles the site folder the server serves (its `site_root`) from a compiled browser bundle:
#
#   .ci/assemble-site.sh BUNDLE_WASM SITE_DIR PROFILE     (PROFILE: dev or release)
#
# - pkg/portal-HASH.js, pkg/portal-HASH_bg.wasm (wasm-bindgen) and pkg/portal-HASH.css: content-
#   hashed names, so browsers may cache them for a year (server/src/assets.rs). The hash covers
#   everything that decides the bytes: the compiled bundle, the stylesheet and how wasm-bindgen
#   was run. The name is written to bundle-name.txt, where the server reads it.
# - a .br and a .gz copy of each, made here once and served as they are: the server never
#   compresses these per request.
# - the files of app/public (the favicon).
# The folder is built beside SITE_DIR and moved into place, so a running portal never sees half.
# Used by .ci/build.sh and deploy/build-image.sh; needs wasm-bindgen, gzip and brotli.
set -euo pipefail
if (($# != 3)); then
  echo "usage: $0 BUNDLE_WASM SITE_DIR dev|release" >&2
  exit 2
fi
wasm="$1" site="$2" profile="$3"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Must equal the `wasm-bindgen` version pinned in Cargo.toml (and .ci/env.sh).
bindgen_version="$(wasm-bindgen --version | awk '{print $2}')"

bindgen_flags=()
# Brotli's best level takes a while on the debug bundle (9 MB); debug builds use a quick one.
brotli_level=5
if [[ "$profile" == release ]]; then
  # The name section only serves debuggers; without it the bundle is 57 % smaller raw and
  # 28 % smaller gzipped (measured, see BENCHMARKS.md).
  bindgen_flags=(--remove-name-section --remove-producers-section)
  brotli_level=11
fi
for tool in wasm-bindgen gzip brotli; do
  command -v "$tool" >/dev/null || { echo "assemble-site.sh: $tool is missing (.ci/setup.sh installs it)" >&2; exit 1; }
done

hash="$(
  {
    sha256sum "$wasm" "$repo/style/portal.css"
    echo "wasm-bindgen $bindgen_version ${bindgen_flags[*]}"
  } | sha256sum | cut -c1-16
)"
name="portal-$hash"
rm -rf "$site.tmp"
mkdir -p "$site.tmp/pkg"
wasm-bindgen --target web --no-typescript "${bindgen_flags[@]}" --out-dir "$site.tmp/pkg" --out-name "$name" "$wasm"
cp "$repo/style/portal.css" "$site.tmp/pkg/$name.css"
cp -R "$repo/app/public/." "$site.tmp/"
echo "$name" >"$site.tmp/bundle-name.txt"
for file in "$site.tmp/pkg/$name.js" "$site.tmp/pkg/${name}_bg.wasm" "$site.tmp/pkg/$name.css"; do
  gzip -9 --keep --no-name "$file"
  brotli --quality="$brotli_level" --keep "$file"
done
rm -rf "$site"
mv "$site.tmp" "$site"
