//! Pieces the access pages share.

use super::model::{AccessApiError, ClusterStatus};
use crate::domain::access::{Subject, SubjectKind, Via};
use crate::status::set_status;
use leptos::prelude::*;
use leptos_meta::Title;

/// Says how current the page is: nothing when connected, otherwise a notice. When the API server
/// stopped answering, the page still shows the last state read, and says since when.
#[component]
pub fn ClusterBanner(status: ClusterStatus) -> impl IntoView {
    // Always one element, so the page's structure does not depend on the status (a bare
    // optional view next to static siblings failed to hydrate).
    view! { <div class="cluster-status">{banner(status)}</div> }
}

fn banner(status: ClusterStatus) -> Option<AnyView> {
    let banner = match status {
        ClusterStatus::Connected => return None,
        ClusterStatus::NotConfigured => view! {
            <p class="notice info" id="cluster-not-connected">
                "The portal is not connected to a cluster, so it cannot show who has access here. "
                "kubectl can: "<code>"kubectl get rolebindings.rbac.authorization.k8s.io -A"</code>
            </p>
        }
        .into_any(),
        ClusterStatus::Starting => view! {
            <p class="notice info" id="cluster-starting">
                "The portal is still reading the cluster's RoleBindings; reload in a moment."
            </p>
        }
        .into_any(),
        ClusterStatus::Unreachable { since } => view! {
            <p class="notice error" id="cluster-unreachable" role="alert">
                {format!(
                    "Cluster unreachable since {since}. This page shows the last state the \
                     portal read; it catches up as soon as the cluster answers again."
                )}
            </p>
        }
        .into_any(),
    };
    Some(banner)
}

/// A subject's kind and name, exactly as the cluster has them (Leptos escapes the text).
#[component]
pub fn SubjectName(subject: Subject) -> impl IntoView {
    let kind = subject.kind.as_str();
    let class = match subject.kind {
        SubjectKind::User => "subject user",
        SubjectKind::Group => "subject group",
        SubjectKind::ServiceAccount => "subject serviceaccount",
    };
    view! { <span class=class title=kind><code>{subject.display_name()}</code></span> }
}

/// "your group team-a" / "your username alice".
pub fn via_text(via: &Via) -> String {
    match via {
        Via::Group(group) => format!("group {group}"),
        Via::User(user) => format!("user {user}"),
    }
}

/// The page for an error: the right status, and what to do next.
pub fn error_view(error: AccessApiError, next: &str) -> AnyView {
    set_status(error.status());
    match error {
        AccessApiError::NotLoggedIn => {
            let href = crate::links::login_path(next);
            view! {
                <Title text="Access"/>
                <section class="card narrow" id="access-login">
                    <h1>"Access"</h1>
                    <p><a rel="external" href=href>"Log in"</a>" to see the namespaces you can use and who else can."</p>
                </section>
            }
            .into_any()
        }
        AccessApiError::NotFound => view! {
            <Title text="No such namespace"/>
            <section class="card narrow" id="access-not-found">
                <h1>"No such namespace"</h1>
                <p>"There is no namespace by that name that you have access to. "
                   "Access to a namespace comes from your groups in the identity provider."</p>
                <p><a href="/access">"Your namespaces"</a></p>
            </section>
        }
        .into_any(),
        error => view! {
            <Title text="Access"/>
            <p class="notice error" role="alert">{error.to_string()}</p>
        }
        .into_any(),
    }
}
