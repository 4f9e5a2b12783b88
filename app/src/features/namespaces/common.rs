//! What the namespace pages share: the status badge and the view of a refused read.

use super::model::{RequestError, RequestStatus};
use crate::status::set_status;
use leptos::prelude::*;

/// A request's status as a badge; the class lets the stylesheet colour each status.
#[component]
pub fn StatusBadge(status: RequestStatus) -> impl IntoView {
    view! { <span class=format!("status status-{status}") data-status=status.as_str()>{status.as_str()}</span> }
}

/// A read that was refused: login for anonymous users (303), 403 for developers on
/// administrators' pages, 404 for requests that do not exist or are someone else's, otherwise
/// the reason with a fitting status.
pub fn refused(error: RequestError, next: String) -> AnyView {
    match error {
        RequestError::NotLoggedIn => {
            set_status(303);
            view! { <leptos_router::components::Redirect path=crate::links::login_path(&next)/> }
                .into_any()
        }
        RequestError::AdminOnly => {
            set_status(403);
            view! {
                <section class="card narrow">
                    <h1>"For platform administrators"</h1>
                    <p>"This page is for platform administrators."</p>
                </section>
            }
            .into_any()
        }
        RequestError::NotFound => {
            set_status(404);
            view! {
                <section class="card narrow">
                    <h1>"No such request"</h1>
                    <p>"There is no namespace request at this address that you can see."</p>
                    <p><a href="/namespaces">"Your namespace requests"</a></p>
                </section>
            }
            .into_any()
        }
        other => {
            set_status(match other {
                RequestError::BadCursor => 400,
                _ => 503,
            });
            view! { <p class="notice error" role="alert">{other.to_string()}</p> }.into_any()
        }
    }
}
