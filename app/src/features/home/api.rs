//! Server functions of the home page.

use crate::AppConfig;
use crate::status::CallError;
use leptos::prelude::*;

/// The public part of the configuration, so the browser checks names exactly as the server does.
#[server(endpoint = "public-config")]
pub async fn public_config() -> Result<AppConfig, CallError> {
    use_context::<std::sync::Arc<AppConfig>>()
        .map(|config| (*config).clone())
        .ok_or_else(|| CallError::Failed("the configuration is not available".to_owned()))
}

/// What the home page shows a logged-in user first: their requests still open, the namespaces
/// they may use, and for administrators how many requests wait.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HomeOverview {
    pub name: String,
    /// Id, name and status of each request that is not final.
    pub open_requests: Vec<(i64, String, crate::domain::RequestStatus)>,
    pub namespaces: Vec<String>,
    /// For administrators: pending requests on the queue's first page, and whether there are
    /// more.
    pub pending: Option<(usize, bool)>,
}

/// `None` for an anonymous visitor. A part that cannot be read (no cluster, a database
/// hiccup) is left empty rather than failing the home page.
#[server(endpoint = "home/summary")]
pub async fn home_summary() -> Result<Option<HomeOverview>, CallError> {
    use crate::features::{access::my_namespaces, namespaces};
    let Some(user) = crate::auth::current_user() else {
        return Ok(None);
    };
    let open_requests = namespaces::my_namespace_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|request| !request.status.is_final())
        .map(|request| (request.id, request.name.to_string(), request.status))
        .collect();
    let namespaces_in_use = my_namespaces()
        .await
        .ok()
        .flatten()
        .map(|access| {
            access
                .namespaces
                .into_iter()
                .map(|namespace| namespace.namespace)
                .collect()
        })
        .unwrap_or_default();
    let pending = if user.is_admin {
        let filter = namespaces::model::QueueFilter {
            status: Some(crate::domain::RequestStatus::Pending),
            ..Default::default()
        };
        namespaces::admin_request_queue(filter)
            .await
            .ok()
            .map(|page| (page.requests.len(), page.next.is_some()))
    } else {
        None
    };
    Ok(Some(HomeOverview {
        name: user.display_name().to_owned(),
        open_requests,
        namespaces: namespaces_in_use,
        pending,
    }))
}
