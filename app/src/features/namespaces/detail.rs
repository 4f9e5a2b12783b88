//! `/namespaces/ID`: one request — where it stands, its timeline, and exactly the manifests that
//! approval applies. The requester may cancel it while it is pending; administrators approve,
//! reject (with a comment) or retry a failed provisioning. Hydrated, the page follows a request
//! that is being provisioned until it is ready or failed, without a reload.

use super::api::namespace_request_detail;
use super::common::{StatusBadge, refused};
use super::model::{MAX_COMMENT, RequestDetail, RequestStatus};
use crate::features::shared::copy::CopyButton;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The message for an outcome code in the address. Only these codes mean anything, so a crafted
/// link cannot make the page say something else.
/// Whether the banner for `code` still describes a request in `status` (a refusal always does).
fn outcome_still_true(code: &str, status: RequestStatus) -> bool {
    match code {
        "created" => status == RequestStatus::Pending,
        "approved" | "retried" => {
            matches!(
                status,
                RequestStatus::Approved | RequestStatus::Provisioning
            )
        }
        "cancelled" => status == RequestStatus::Cancelled,
        "rejected" => status == RequestStatus::Rejected,
        _ => true,
    }
}

fn outcome_message(code: &str) -> Option<(&'static str, &'static str)> {
    Some(match code {
        "created" => (
            "ok",
            "Your request was sent. A platform administrator will look at it.",
        ),
        "cancelled" => ("ok", "The request was cancelled."),
        "approved" => ("ok", "Approved. The portal is creating the namespace."),
        "rejected" => ("ok", "Rejected; the requester sees your comment."),
        "retried" => ("ok", "Provisioning is being retried."),
        "conflict" => (
            "error",
            "Someone else acted on this request first; here is where it stands now.",
        ),
        "comment_missing" => (
            "error",
            "A rejection needs a comment that tells the requester why.",
        ),
        "comment_too_long" => (
            "error",
            "The comment is too long; keep it under 2,000 characters.",
        ),
        "not_yours" => ("error", "Only the person who made a request can cancel it."),
        "admin_only" => ("error", "Only platform administrators can do this."),
        "own_request" => (
            "error",
            "You made this request yourself: another platform administrator must approve it.",
        ),
        "error" => ("error", "That did not work; try again in a moment."),
        _ => return None,
    })
}

#[component]
pub fn RequestPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
            .filter(|id| *id > 0)
    };
    let detail = Resource::new(id, |id| async move {
        match id {
            Some(id) => namespace_request_detail(id).await,
            None => Err(super::model::RequestError::NotFound),
        }
    });
    // Hydrated, the page asks every two seconds whether a request that is not final changed,
    // and reloads its data only when it did, so a refresh never wipes what an administrator is
    // typing into the rejection comment.
    let shown = StoredValue::new(None::<RequestDetail>);
    Effect::new(move |_| {
        let Some(Ok(current)) = detail.get() else {
            return;
        };
        let open = !current.request.status.is_final();
        let request_id = current.request.id;
        shown.set_value(Some(current));
        if !open {
            return;
        }
        let handle = set_interval_with_handle(
            move || {
                leptos::task::spawn_local(async move {
                    if let Ok(fresh) = namespace_request_detail(request_id).await
                        && shown.with_value(|shown| shown.as_ref() != Some(&fresh))
                    {
                        detail.refetch();
                    }
                });
            },
            std::time::Duration::from_secs(2),
        );
        if let Ok(handle) = handle {
            on_cleanup(move || handle.clear());
        }
    });
    let outcome = use_query_map()
        .get_untracked()
        .get("outcome")
        .and_then(|code| outcome_message(&code).map(|(kind, message)| (code, kind, message)));
    view! {
        <Title text="Namespace request"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || detail.get().map(|result| {
                let next = format!("/namespaces/{}", id().unwrap_or_default());
                match result {
                    Ok(detail) => {
                        // What the last action said, while it is still true: once the request
                        // has moved on (it turned ready by itself), its banner goes.
                        let outcome = outcome.clone().filter(|(code, _, _)| {
                            outcome_still_true(code, detail.request.status)
                        });
                        view! {
                            {outcome.map(|(_, kind, message)| view! {
                                <p class=format!("notice {kind}") role="status" id="outcome">{message}</p>
                            })}
                            <DetailView detail/>
                        }
                        .into_any()
                    }
                    Err(error) => refused(error, next),
                }
            })}
        </Transition>
    }
}

#[component]
fn DetailView(detail: RequestDetail) -> impl IntoView {
    let request = detail.request;
    let id = request.id;
    let status = request.status;
    let explanation = match status {
        RequestStatus::Pending => "Waiting for a platform administrator.".to_owned(),
        RequestStatus::Approved if !detail.cluster_connected => {
            "Approved. The portal is not connected to a cluster yet; it creates the namespace as soon as it is.".to_owned()
        }
        RequestStatus::Approved | RequestStatus::Provisioning => {
            "Approved; the portal is creating the namespace now.".to_owned()
        }
        RequestStatus::Ready => "The namespace is ready.".to_owned(),
        RequestStatus::Failed => format!("Creating the namespace failed: {}", request.reason),
        RequestStatus::Rejected => format!(
            "Rejected by {}: {}",
            request.decided_by.clone().unwrap_or_default(),
            request.reason
        ),
        RequestStatus::Cancelled => "Cancelled by the requester.".to_owned(),
    };
    let use_it = format!(
        "kubectl config set-context --current --namespace={name}\n\
         kubectl auth can-i create deployments\n\
         kubectl get networkpolicies",
        name = request.name
    );
    let ready = status == RequestStatus::Ready;
    let created: Vec<String> = detail
        .manifests
        .iter()
        .map(|manifest| format!("{} {}", manifest.kind, manifest.name))
        .collect();
    let labels: Vec<String> = request
        .labels
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    view! {
        <h1>"Namespace "<code id="request-name">{request.name.to_string()}</code></h1>
        <section class="card" id="request-summary" data-status=status.as_str()>
            <p><StatusBadge status/>" "<span id="status-explanation">{explanation}</span></p>
            <dl class="facts">
                <dt>"Requested by"</dt><dd>{request.requester.clone()}" on "{request.created_at.to_string()}</dd>
                <dt>"Purpose"</dt><dd class="prewrap">{request.purpose.clone()}</dd>
                <dt>"Access for (workload-admin)"</dt><dd>{request.groups.join(", ")}</dd>
                {(!labels.is_empty()).then(|| view! { <dt>"Labels"</dt><dd>{labels.join(", ")}</dd> })}
            </dl>
            {ready.then(|| {
                let name = request.name.to_string();
                view! {
                    <section id="ready" aria-labelledby="ready-title">
                        <h2 id="ready-title">"Start using it"</h2>
                        <p>
                            "The portal created the namespace, gave "{request.groups.join(", ")}
                            " the workload-admin role in it, and set its network defaults: "
                            "nothing reaches or leaves its Pods except DNS and the ingress "
                            "controller until you add NetworkPolicies."
                        </p>
                        <p>"With a kubeconfig from the "<a href="/kubeconfig">"kubeconfig page"</a>":"</p>
                        <div class="code-block">
                            <pre><code>{use_it.clone()}</code></pre>
                            <CopyButton text=use_it.clone() label="Copy the commands"/>
                        </div>
                        <ul class="next-steps">
                            <li><a id="ready-access" href=format!("/access/{name}")>"Who has access to "{name.clone()}</a></li>
                            <li><a id="ready-policy" href=format!("/networkpolicies?ns={name}")>"Write a NetworkPolicy for "{name.clone()}</a></li>
                            <li><a id="ready-run" href=format!("/networkpolicies/run?ns={name}")>"Run a first Pod there safely"</a></li>
                        </ul>
                    </section>
                }
            })}
            <Actions id status requester=detail.viewer_is_requester admin=detail.viewer_is_admin may_approve=detail.viewer_may_approve/>
        </section>
        <section class="card" aria-labelledby="timeline-title">
            <h2 id="timeline-title">"Timeline"</h2>
            <ol class="timeline" id="timeline">
                {detail.timeline.into_iter().map(|entry| view! {
                    <li>
                        <time>{entry.at.to_string()}</time>" "<strong>{entry.what}</strong>" by "{entry.actor}
                        {(!entry.detail.is_empty()).then(|| view! { <div class="muted prewrap">{entry.detail}</div> })}
                    </li>
                }).collect_view()}
            </ol>
        </section>
        <section class="card" aria-labelledby="manifests-title">
            <h2 id="manifests-title">{if ready { "What was created" } else { "What approval creates" }}</h2>
            <ul id="manifest-list">{created.into_iter().map(|item| view! { <li>{item}</li> }).collect_view()}</ul>
            <details id="manifests">
                <summary>"The manifests (YAML)"</summary>
                <p class="muted">"Applied in this order, under the field manager welkin-portal."</p>
                {detail.manifests.into_iter().map(|manifest| {
                    let heading = format!("{} {}", manifest.kind, manifest.name);
                    view! {
                        <h3>{heading}</h3>
                        <div class="code-block">
                            <pre><code class="manifest">{manifest.yaml.clone()}</code></pre>
                            <CopyButton text=manifest.yaml label="Copy the manifest"/>
                        </div>
                    }
                }).collect_view()}
            </details>
        </section>
    }
}

/// The forms a viewer may use on this request now. A failed request can still be cancelled by
/// its requester or rejected by an administrator, so it never holds its name for ever.
#[component]
fn Actions(
    id: i64,
    status: RequestStatus,
    requester: bool,
    admin: bool,
    may_approve: bool,
) -> impl IntoView {
    let pending = status == RequestStatus::Pending;
    let failed = status == RequestStatus::Failed;
    view! {
        <div class="actions">
            {(requester && (pending || failed)).then(|| view! {
                <form method="post" action=format!("/namespaces/{id}/cancel") class="inline-form">
                    <button type="submit" id="cancel-request" class="secondary">"Cancel the request"</button>
                </form>
            })}
            {(admin && pending && may_approve).then(|| view! {
                <form method="post" action=format!("/admin/requests/{id}/approve") class="decision" id="approve-form">
                    <h3>"Approve"</h3>
                    <p class="muted">"The portal creates the namespace as listed below, with access for the groups named above."</p>
                    <button type="submit" id="approve-request">"Approve and create"</button>
                </form>
            })}
            {(admin && pending && !may_approve).then(|| view! {
                <p class="muted" id="four-eyes">"You made this request: another platform administrator approves it."</p>
            })}
            {(admin && failed).then(|| view! {
                <form method="post" action=format!("/admin/requests/{id}/retry") class="inline-form">
                    <button type="submit" id="retry-request">"Retry provisioning"</button>
                </form>
            })}
            {(admin && (pending || failed)).then(|| view! {
                <form method="post" action=format!("/admin/requests/{id}/reject") class="decision" id="reject-form">
                    <h3>"Reject"</h3>
                    <label for="reject-comment">"Why (the requester sees it)"</label>
                    <textarea id="reject-comment" name="comment" required maxlength=MAX_COMMENT rows="2"></textarea>
                    <button type="submit" id="reject-request" class="secondary">"Reject with this reason"</button>
                </form>
            })}
        </div>
    }
}
