//! The access server functions: the guard, then one question to the in-memory snapshot. None of
//! them waits for the API server.

use super::model::{AccessApiError, AdminAccess, MyAccess, NamespacePage};
use leptos::prelude::*;

/// The namespaces the logged-in user may use, and why; `None` without a login (the page asks
/// for one and sets the status, so navigating there is not a failed request).
#[server(endpoint = "access/mine")]
pub async fn my_namespaces() -> Result<Option<MyAccess>, AccessApiError> {
    let Some(user) = crate::auth::current_user() else {
        return Ok(None);
    };
    let access = super::server::access()?;
    let namespaces = access
        .view
        .snapshot()
        .my_namespaces(&super::server::viewer(&user));
    Ok(Some(MyAccess {
        status: access.view.cluster_status(),
        username: user.username,
        groups: user.groups,
        namespaces,
        primary_binding: access.view.primary_binding(),
    }))
}

/// One namespace's access bindings; `None` without a login. A namespace that does not exist and
/// one the user may not see give the same [`AccessApiError::NotFound`].
#[server(endpoint = "access/namespace")]
pub async fn namespace_access(namespace: String) -> Result<Option<NamespacePage>, AccessApiError> {
    let Some(user) = crate::auth::current_user() else {
        return Ok(None);
    };
    let access = super::server::access()?;
    let Some(page) = access
        .view
        .snapshot()
        .namespace(&super::server::viewer(&user), &namespace)
    else {
        crate::status::set_status(404);
        return Err(AccessApiError::NotFound);
    };
    Ok(Some(NamespacePage {
        status: access.view.cluster_status(),
        audit: crate::ports::use_preflight().map(|preflight| preflight.audit(&page.namespace)),
        access: page,
        primary_binding: access.view.primary_binding(),
    }))
}

/// The administrators' matrix, filtered by `search`.
#[server(endpoint = "admin/access")]
pub async fn access_matrix(search: String) -> Result<AdminAccess, AccessApiError> {
    crate::auth::require_admin()?;
    let access = super::server::access()?;
    let seen = access.groups_seen.names().await.map_err(|error| {
        leptos::logging::error!("reading the groups seen at login failed: {error}");
        AccessApiError::Unavailable
    })?;
    let snapshot = access.view.snapshot();
    Ok(AdminAccess {
        status: access.view.cluster_status(),
        matrix: snapshot.matrix(&search),
        groups_never_seen: snapshot.groups_never_seen(&seen),
        search,
        primary_binding: access.view.primary_binding(),
    })
}
