#!/usr/bin/env bash
# Builds the portal's image from this machine's release build, for the tests: the release server
# and browser bundle (the same steps as `.ci/build.sh --release`, or `.ci/build.sh` with --dev,
# with the site assembled in a
# folder of its own so target/site, which the other tests use, is left alone), then
# deploy/image-rootfs.sh, then the runtime stage of deploy/Containerfile with that root
# filesystem in place of its build stage. Nothing is pulled: the image is FROM scratch.
#
#   deploy/build-image.sh          -> localhost/welkin-portal:test-<hash of the image's content>
#   deploy/build-image.sh --dev    the same over the debug build (what the tests use)
#
# The tests take --dev: what they check (the runtime stage's files, its user, a read-only root
# filesystem, no capabilities, a clean stop) does not depend on the optimisation level, and a
# release build adds about 11 minutes to a cold test run (5 to 6 whenever the server changes).
# The image's size in BENCHMARKS.md is measured without --dev.
#
# Prints the image reference as the LAST line of stdout; everything else goes to stderr. Cached by
# content: when the files that go into the image have not changed, the image is not rebuilt.
# Needs podman (.ci/setup.sh installs it with buildah and runc from Debian's packages).
source "$(dirname "${BASH_SOURCE[0]}")/../.ci/env.sh"
cd "$REPO_ROOT"

export CONTAINERS_CONF="${CONTAINERS_CONF:-$REPO_ROOT/deploy/containers.conf}"
command -v podman >/dev/null || {
  echo "build-image.sh: podman is missing: run .ci/setup.sh (it installs podman, buildah and runc)" >&2
  exit 1
}
command -v wasm-bindgen >/dev/null || {
  echo "build-image.sh: wasm-bindgen is missing: run .ci/setup.sh" >&2
  exit 1
}

work="$CACHE_DIR/image"
mkdir -p "$work"
exec 9>"$work/.lock"
flock 9

# Run from a test, the environment carries what cargo sets for the test (CARGO_PKG_*,
# CARGO_MANIFEST_DIR, OUT_DIR …); build scripts such as ring's rerun when those differ, so a build
# from a test and one from a shell would each rebuild the other's dependencies. Drop them.
for var in $(compgen -e); do
  case "$var" in
    OUT_DIR | CARGO_PKG_* | CARGO_MANIFEST_* | CARGO_BIN_EXE_* | CARGO_CRATE_NAME | \
      CARGO_PRIMARY_PACKAGE | CARGO_TARGET_TMPDIR | CARGO_BIN_NAME) unset "$var" ;;
  esac
done

server_profile=release wasm_profile=wasm-release
case "${1:-}" in
  "") ;;
  --dev) server_profile=dev wasm_profile=dev ;;
  *) echo "build-image.sh: unknown argument '$1' (only --dev)" >&2; exit 2 ;;
esac
profile_dir() { [[ "$1" == dev ]] && echo debug || echo "$1"; }

log "building the server ($server_profile) and browser bundle ($wasm_profile) for the image"
cargo build --locked -p server --profile "$server_profile" >&2
env -u LEPTOS_OUTPUT_NAME cargo build --locked -p portal-hydrate --lib \
  --target wasm32-unknown-unknown --profile "$wasm_profile" >&2
binary="$CARGO_TARGET_DIR/$(profile_dir "$server_profile")/portal"
wasm="$CARGO_TARGET_DIR/wasm32-unknown-unknown/$(profile_dir "$wasm_profile")/portal_hydrate.wasm"

# The site, as .ci/build.sh assembles it for that profile.
"$REPO_ROOT/.ci/assemble-site.sh" "$wasm" "$work/site" "$server_profile"

context="$work/context"
"$REPO_ROOT/deploy/image-rootfs.sh" "$binary" "$work/site" "$context/rootfs"
# The Containerfile's runtime stage, with the rootfs from the context instead of the build stage.
sed -n '/^# --- runtime/,$p' deploy/Containerfile |
  sed 's|^COPY --from=build /rootfs/ /$|COPY rootfs/ /|' >"$context/Containerfile"
grep -qx 'COPY rootfs/ /' "$context/Containerfile" ||
  { echo "build-image.sh: deploy/Containerfile's runtime stage no longer copies /rootfs/ from the build stage" >&2; exit 1; }

hash="$(
  {
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - -C "$context/rootfs" .
    cat "$context/Containerfile"
  } | sha256sum | cut -c1-16
)"
image="localhost/welkin-portal:test-$hash"
if podman image exists "$image"; then
  log "$image is up to date"
else
  log "building $image"
  podman build --quiet --pull=never --file "$context/Containerfile" --tag "$image" "$context" >&2
  # Earlier test images of other content.
  podman images --format '{{.Repository}}:{{.Tag}}' | grep '^localhost/welkin-portal:test-' |
    grep -vx "$image" | xargs -r podman rmi >/dev/null 2>&1 || true
fi
log "$image: $(podman image inspect --format '{{.Size}}' "$image") bytes"
echo "$image"
