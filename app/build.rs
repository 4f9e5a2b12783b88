//! Rebuilds this crate when it is built from another checkout: `.ci/env.sh` sets
//! `PORTAL_CHECKOUT` to the repository's folder, and checkouts share one target folder, where
//! cargo would otherwise judge this crate fresh by file times alone and reuse a build of
//! another checkout's sources (with that checkout's paths compiled in).

fn main() {
    println!("cargo::rerun-if-env-changed=PORTAL_CHECKOUT");
    println!("cargo::rerun-if-changed=build.rs");
}
