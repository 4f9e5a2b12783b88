//! The browser bundle and the stylesheet, served the way a CDN serves them.
//!
//! `.ci/build.sh` assembles them under `site_root/pkg` with content-hashed names
//! (`portal-<hash>.js`, `portal-<hash>_bg.wasm`, `portal-<hash>.css`; the name is in
//! `site_root/bundle-name.txt`) and writes a brotli and a gzip copy of each next to it. A new
//! build is a new name, so the files are cached for a year as `immutable`, and the copy the
//! browser accepts is sent as it is: nothing is compressed per request.

use axum::{
    Router,
    http::{HeaderValue, StatusCode, header},
    response::Response,
};
use std::path::Path;
use tower::ServiceBuilder;
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

/// The file under `site_root` that names the bundle.
pub const NAME_FILE: &str = "bundle-name.txt";
/// The name an unhashed bundle has (a build older than hashing, or none at all).
const UNHASHED: &str = "portal";

/// The bundle's name (`portal-<hash>`) as the build wrote it, or `portal` with a warning when
/// the site holds no bundle.
pub fn bundle_name(site_root: &Path) -> String {
    let name = std::fs::read_to_string(site_root.join(NAME_FILE))
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| is_bundle_name(name));
    let name = name.unwrap_or_else(|| UNHASHED.to_owned());
    if !site_root
        .join("pkg")
        .join(format!("{name}_bg.wasm"))
        .is_file()
    {
        tracing::warn!(
            site_root = %site_root.display(),
            "the browser bundle is missing: pages render, but will not become interactive \
             (build it with .ci/build.sh)"
        );
    }
    name
}

/// `portal` followed by `-` and lowercase hex: nothing that could leave `pkg/` or break a URL.
fn is_bundle_name(name: &str) -> bool {
    name == UNHASHED
        || name
            .strip_prefix("portal-")
            .is_some_and(|hash| !hash.is_empty() && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The stylesheet's path for a bundle.
pub fn stylesheet(bundle: &str) -> String {
    format!("/pkg/{bundle}.css")
}

/// `/pkg/…`: the files, precompressed copies preferred, cached for a year when found (a 404 is
/// not cached: the file may be there after the next deployment).
pub fn router<S: Clone + Send + Sync + 'static>(site_root: &Path) -> Router<S> {
    let files = ServeDir::new(site_root.join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    let cache =
        SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, |response: &Response<_>| {
            matches!(
                response.status(),
                StatusCode::OK | StatusCode::PARTIAL_CONTENT | StatusCode::NOT_MODIFIED
            )
            .then(|| HeaderValue::from_static("public, max-age=31536000, immutable"))
        });
    Router::new().nest_service("/pkg", ServiceBuilder::new().layer(cache).service(files))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_portal_and_hex_hashes_are_bundle_names() {
        assert!(is_bundle_name("portal"));
        assert!(is_bundle_name("portal-0123abcdef"));
        for bad in [
            "",
            "portal-",
            "portal-../x",
            "portal-12 34",
            "other-1234",
            "portal-xyz",
        ] {
            assert!(!is_bundle_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_site_without_a_name_file_serves_the_unhashed_bundle() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        assert_eq!(bundle_name(dir.path()), "portal");
        std::fs::write(dir.path().join(NAME_FILE), "portal-../../etc\n").expect("writes");
        assert_eq!(
            bundle_name(dir.path()),
            "portal",
            "an unsafe name is ignored"
        );
        std::fs::write(dir.path().join(NAME_FILE), "portal-abc123\n").expect("writes");
        assert_eq!(bundle_name(dir.path()), "portal-abc123");
    }
}
