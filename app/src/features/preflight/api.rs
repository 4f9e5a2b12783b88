//! The preflight server functions: the namespaces a user may check for, and the check.

use super::PreflightError;
use crate::domain::preflight::report::Answer;
use leptos::prelude::*;

/// What the page starts from: the namespaces it offers, and, after a post without JavaScript,
/// what was posted with its answer.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Start {
    /// The namespaces the user may check for (their own; every one for an administrator);
    /// empty without a login or a cluster.
    pub namespaces: Vec<String>,
    /// The posted manifests and namespace, and the answer; `None` for a plain visit.
    pub submitted: Option<(String, String, Result<Answer, PreflightError>)>,
}

/// `manifests` checked for `namespace` (one of the user's, with its labels as the cluster has
/// them now), or, when `namespace` is empty, for a namespace as the portal creates it.
#[server(endpoint = "preflight/check")]
pub async fn check_manifests(
    manifests: String,
    namespace: String,
) -> Result<Answer, PreflightError> {
    checked(&manifests, &namespace)
}

/// The page's starting point; see [`Start`].
pub async fn start() -> Start {
    #[cfg(feature = "ssr")]
    {
        let namespaces = match (crate::auth::current_user(), crate::ports::use_access()) {
            (Some(user), Some(access)) => access.view.snapshot().usable_namespaces(&user.viewer()),
            _ => Vec::new(),
        };
        let submitted = use_context::<super::Submitted>().map(|posted| {
            let answer = checked(&posted.manifests, &posted.namespace);
            (posted.manifests, posted.namespace, answer)
        });
        Start {
            namespaces,
            submitted,
        }
    }
    #[cfg(not(feature = "ssr"))]
    {
        Start {
            namespaces: Vec::new(),
            submitted: None,
        }
    }
}

/// The check itself, for the server function and the post without JavaScript alike.
#[cfg(feature = "ssr")]
fn checked(manifests: &str, namespace: &str) -> Result<Answer, PreflightError> {
    use crate::ports::PreflightTarget;
    let preflight = crate::ports::use_preflight().ok_or(PreflightError::Unavailable)?;
    let namespace = namespace.trim();
    let target = if namespace.is_empty() {
        PreflightTarget::NewNamespace
    } else {
        PreflightTarget::Namespace {
            name: namespace.to_owned(),
            viewer: crate::auth::current_user().map(|user| user.viewer()),
        }
    };
    preflight.check(manifests, &target)
}
