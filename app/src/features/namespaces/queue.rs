//! `/admin/requests`: the administrators' queue. Pending requests first, oldest first; filters
//! by status, group and name in a GET form; pages by keyset ("Next page" carries a cursor, so a
//! page never shifts when requests arrive).

use super::api::admin_request_queue;
use super::common::{StatusBadge, refused};
use super::model::{QueueFilter, QueuePage, RequestStatus};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// For administrators only: a developer gets the 403 page, not the namespace requests' headings and
/// filters (the server function checks again).
#[component]
pub fn QueuePage() -> impl IntoView {
    view! {
        <crate::features::account::AdminOnly>
            <QueuePageContent/>
        </crate::features::account::AdminOnly>
    }
}

#[component]
fn QueuePageContent() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        let query = query.read();
        QueueFilter {
            status: query.get("status").and_then(|s| s.parse().ok()),
            group: query.get("group"),
            name: query.get("name"),
            after: query.get("after"),
        }
    };
    let page = Resource::new(filter, admin_request_queue);
    view! {
        <Title text="Namespace requests"/>
        <h1>"Namespace requests"</h1>
        <FilterForm filter=filter()/>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || page.get().map(|result| match result {
                Ok(page) => view! { <QueueTable page filter=filter()/> }.into_any(),
                Err(error) => refused(error, "/admin/requests".into()),
            })}
        </Suspense>
    }
}

#[component]
fn FilterForm(filter: QueueFilter) -> impl IntoView {
    let selected = filter.status;
    view! {
        <form method="get" action="/admin/requests" class="card filters" id="queue-filters">
            <label for="f-status">"Status"</label>
            <select id="f-status" name="status">
                <option value="" selected=selected.is_none()>"Any (pending first)"</option>
                {RequestStatus::ALL.into_iter().map(|status| view! {
                    <option value=status.as_str() selected=selected == Some(status)>{status.as_str()}</option>
                }).collect_view()}
            </select>
            <label for="f-group">"Group"</label>
            <input id="f-group" name="group" value=filter.group.unwrap_or_default()/>
            <label for="f-name">"Name contains"</label>
            <input id="f-name" name="name" maxlength="63" value=filter.name.unwrap_or_default()/>
            <button type="submit">"Filter"</button>
        </form>
    }
}

#[component]
fn QueueTable(page: QueuePage, filter: QueueFilter) -> impl IntoView {
    let next = page.next.map(|cursor| {
        let mut query = url_query(&filter);
        query.push(("after", cursor));
        let encoded: Vec<String> = query
            .into_iter()
            .map(|(key, value)| format!("{key}={}", crate::links::query_value(&value)))
            .collect();
        format!("/admin/requests?{}", encoded.join("&"))
    });
    view! {
        {if page.requests.is_empty() {
            view! { <p class="muted" id="queue-empty">"No requests match."</p> }.into_any()
        } else {
            view! {
                <table id="queue">
                    <thead><tr><th>"Namespace"</th><th>"Requested by"</th><th>"Access for"</th><th>"Status"</th><th>"Requested"</th></tr></thead>
                    <tbody>
                        {page.requests.into_iter().map(|request| {
                            let href = format!("/namespaces/{}", request.id);
                            view! {
                                <tr data-request=request.id>
                                    <td><a href=href>{request.name.to_string()}</a></td>
                                    <td>{request.requester}</td>
                                    <td>{request.groups.join(", ")}</td>
                                    <td><StatusBadge status=request.status/></td>
                                    <td>{request.created_at.to_string()}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        {next.map(|href| view! { <p><a href=href id="queue-next">"Next page"</a></p> })}
    }
}

fn url_query(filter: &QueueFilter) -> Vec<(&'static str, String)> {
    let mut query = Vec::new();
    if let Some(status) = filter.status {
        query.push(("status", status.as_str().to_owned()));
    }
    if let Some(group) = filter.group.clone().filter(|g| !g.is_empty()) {
        query.push(("group", group));
    }
    if let Some(name) = filter.name.clone().filter(|n| !n.is_empty()) {
        query.push(("name", name));
    }
    query
}
