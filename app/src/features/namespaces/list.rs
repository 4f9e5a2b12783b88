//! `/namespaces`: the user's own namespace requests, newest first, with a link to request one.

use super::api::my_namespace_requests;
use super::common::{StatusBadge, refused};
use super::model::NamespaceRequest;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn MyRequestsPage() -> impl IntoView {
    let requests = Resource::new(|| (), |()| my_namespace_requests());
    view! {
        <Title text="Namespaces"/>
        <h1>"Namespaces"</h1>
        <p class="lead">"Ask for a namespace for your team; a platform administrator approves it and the portal creates it, with access for your group and safe network defaults."</p>
        <p><a class="button" href="/namespaces/new" id="request-namespace">"Request a namespace"</a></p>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || requests.get().map(|result| match result {
                Ok(list) => view! { <RequestTable requests=list/> }.into_any(),
                Err(error) => refused(error, "/namespaces".into()),
            })}
        </Suspense>
    }
}

#[component]
fn RequestTable(requests: Vec<NamespaceRequest>) -> AnyView {
    if requests.is_empty() {
        return view! { <p class="muted" id="no-requests">"You have not requested a namespace yet."</p> }
            .into_any();
    }
    view! {
        <section class="card">
            <h2>"Your requests"</h2>
            <table id="my-requests">
                <thead><tr><th>"Namespace"</th><th>"Status"</th><th>"Access for"</th><th>"Requested"</th></tr></thead>
                <tbody>
                    {requests.into_iter().map(|request| {
                        let href = format!("/namespaces/{}", request.id);
                        view! {
                            <tr data-request=request.id>
                                <td><a href=href>{request.name.to_string()}</a></td>
                                <td><StatusBadge status=request.status/></td>
                                <td>{request.groups.join(", ")}</td>
                                <td>{request.created_at.to_string()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
    .into_any()
}
