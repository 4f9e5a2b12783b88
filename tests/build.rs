//! Rebuilds this crate when it is built from another checkout: `.ci/env.sh` sets
//! `WELKIN_PORTAL_CHECKOUT` to the repository's folder, and checkouts share one target folder,
//! where cargo would otherwise judge this crate fresh by file times alone and reuse a build of
//! another checkout's sources (with that checkout's paths compiled in). Not a `PORTAL_`
//! variable: the portal refuses unknown ones.

fn main() {
    println!("cargo::rerun-if-env-changed=WELKIN_PORTAL_CHECKOUT");
    println!("cargo::rerun-if-changed=build.rs");
}
