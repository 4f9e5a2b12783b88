//! `/admin/audit`: the audit trail, newest first, filtered by actor, action and subject in a GET
//! form, paged by keyset, and exported as CSV or JSON with the same filters.

use super::api::admin_audit_events;
use super::common::refused;
use super::model::{AuditFilter, AuditPage};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The actions the filter offers (any prefix works in the address too).
const ACTIONS: &[(&str, &str)] = &[
    ("namespace_request.", "Every namespace request event"),
    ("namespace_request.created", "Created"),
    ("namespace_request.cancelled", "Cancelled"),
    ("namespace_request.approved", "Approved"),
    ("namespace_request.rejected", "Rejected"),
    (
        "namespace_request.provisioning_started",
        "Provisioning started",
    ),
    (
        "namespace_request.provisioning_succeeded",
        "Provisioning succeeded",
    ),
    (
        "namespace_request.provisioning_failed",
        "Provisioning failed",
    ),
    ("namespace_request.retried", "Retried"),
];

/// For administrators only: a developer gets the 403 page, not the audit trail' headings and
/// filters (the server function checks again).
#[component]
pub fn AuditTrailPage() -> impl IntoView {
    view! {
        <crate::features::account::AdminOnly>
            <AuditTrailPageContent/>
        </crate::features::account::AdminOnly>
    }
}

#[component]
fn AuditTrailPageContent() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        let query = query.read();
        AuditFilter {
            actor: query.get("actor"),
            action: query.get("action"),
            subject: query.get("subject"),
            before: query.get("before").and_then(|b| b.parse().ok()),
        }
    };
    let page = Resource::new(filter, admin_audit_events);
    view! {
        <Title text="Audit trail"/>
        <h1>"Audit trail"</h1>
        <AuditFilters filter=filter()/>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || page.get().map(|result| match result {
                Ok(page) => view! { <AuditTable page filter=filter()/> }.into_any(),
                Err(error) => refused(error, "/admin/audit".into()),
            })}
        </Suspense>
    }
}

fn filter_query(filter: &AuditFilter) -> String {
    [
        ("actor", &filter.actor),
        ("action", &filter.action),
        ("subject", &filter.subject),
    ]
    .into_iter()
    .filter_map(|(key, value)| {
        value
            .as_deref()
            .filter(|v| !v.trim().is_empty())
            .map(|v| format!("{key}={}", crate::links::query_value(v.trim())))
    })
    .collect::<Vec<_>>()
    .join("&")
}

#[component]
fn AuditFilters(filter: AuditFilter) -> impl IntoView {
    let chosen = filter.action.clone().unwrap_or_default();
    let query = filter_query(&filter);
    let export = move |extension: &str| {
        if query.is_empty() {
            format!("/admin/audit.{extension}")
        } else {
            format!("/admin/audit.{extension}?{query}")
        }
    };
    view! {
        <form method="get" action="/admin/audit" class="card filters" id="audit-filters">
            <label for="a-actor">"Actor"</label>
            <input id="a-actor" name="actor" value=filter.actor.clone().unwrap_or_default()/>
            <label for="a-action">"Action"</label>
            <select id="a-action" name="action">
                <option value="" selected=chosen.is_empty()>"Any"</option>
                {ACTIONS.iter().map(|(value, label)| view! {
                    <option value=*value selected=chosen == *value>{*label}</option>
                }).collect_view()}
            </select>
            <label for="a-subject">"Subject"</label>
            <input id="a-subject" name="subject" placeholder="namespace_request/42" value=filter.subject.clone().unwrap_or_default()/>
            <button type="submit">"Filter"</button>
            <p class="muted">
                "Export what matches: "
                <a href=export("csv") rel="external" id="export-csv" download>"CSV"</a>" · "
                <a href=export("json") rel="external" id="export-json" download>"JSON"</a>
            </p>
        </form>
    }
}

#[component]
fn AuditTable(page: AuditPage, filter: AuditFilter) -> impl IntoView {
    let query = filter_query(&filter);
    let older = page.older.map(|before| {
        if query.is_empty() {
            format!("/admin/audit?before={before}")
        } else {
            format!("/admin/audit?{query}&before={before}")
        }
    });
    view! {
        {if page.events.is_empty() {
            view! { <p class="muted" id="audit-empty">"No events match."</p> }.into_any()
        } else {
            view! {
                <table id="audit">
                    <thead><tr><th>"When"</th><th>"Actor"</th><th>"Action"</th><th>"Subject"</th><th>"Detail"</th></tr></thead>
                    <tbody>
                        {page.events.into_iter().map(|event| {
                            let request = crate::domain::audit::request_id_of_subject(&event.subject)
                                .and_then(|id| Some((id, page.request_names.get(&id)?.clone())));
                            let subject = match request {
                                // The namespace's name, linked to its request; the stored
                                // subject stays in the title (it is what the filter takes).
                                Some((id, name)) => view! {
                                    <a href=format!("/namespaces/{id}") title=event.subject.clone()>{name}</a>
                                    <span class="muted">{format!(" (request {id})")}</span>
                                }.into_any(),
                                None => event.subject.clone().into_any(),
                            };
                            view! {
                                <tr>
                                    <td>{event.occurred_at.to_string()}</td>
                                    <td>{event.actor}</td>
                                    <td>{event.action}</td>
                                    <td>{subject}</td>
                                    <td class="prewrap">{event.detail}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        {older.map(|href| view! { <p><a href=href id="audit-older">"Older events"</a></p> })}
    }
}
