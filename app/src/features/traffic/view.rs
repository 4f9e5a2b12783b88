//! The check page: the form, and the verdict with what decides it.

use super::api::check_page;
use super::model::{Outcome, TrafficPage, TrafficPageError, WhatIf};
use crate::domain::traffic::question::{
    CheckField, CheckForm, Checked, FieldProblem, isolating, pod_choice,
};
use crate::domain::traffic::suggest::Suggestion;
use crate::features::shared::copy::CopyButton;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn TrafficCheckPage() -> impl IntoView {
    let query = use_query_map();
    let form = query.with_untracked(|params| CheckForm::from_params(|key| params.get(key)));
    let page = Resource::new(move || form.clone(), check_page);
    view! {
        <Title text="Would this traffic be allowed?"/>
        <h1>"Would this traffic be allowed?"</h1>
        <p class="lead">
            "Pick where a connection comes from and where it goes in one of your namespaces. "
            "The answer comes from the NetworkPolicies in the cluster now: whether each side lets "
            "it through, the rule that decides, and, when it is blocked, the smallest policy that "
            "would allow it. "
            <a href="/faq/traffic-check" id="traffic-faq">"More about the answer and the what-if"</a>
        </p>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || page.get().map(|page| match page {
                Ok(page) => view! { <CheckView page/> }.into_any(),
                Err(error) => view! { <PageError error page="/networkpolicies/check"/> }.into_any(),
            })}
        </Suspense>
    }
}

/// Why a traffic page has no answer, with the way on: logging in (back to `page`), or
/// requesting a namespace.
#[component]
pub(super) fn PageError(error: TrafficPageError, page: &'static str) -> impl IntoView {
    let login = matches!(error, TrafficPageError::NotLoggedIn).then(|| {
        view! { <p><a href=format!("/auth/login?next={page}")>"Log in"</a></p> }
    });
    let request = matches!(error, TrafficPageError::NoNamespaces)
        .then(|| view! { <p><a href="/namespaces/new">"Request a namespace"</a></p> });
    view! {
        <p class="notice error" role="alert">{error.to_string()}</p>
        {login}
        {request}
    }
}

/// The message for `field`, if the form has one there.
fn problem_at(problems: &[FieldProblem], field: CheckField) -> Option<String> {
    let messages: Vec<&str> = problems
        .iter()
        .filter(|p| p.field == field)
        .map(|p| p.message.as_str())
        .collect();
    (!messages.is_empty()).then(|| messages.join(" "))
}

#[component]
fn FieldError(message: Option<String>, field: CheckField) -> impl IntoView {
    message.map(|message| {
        view! { <p class="field-error" id=format!("{}-error", field.name())>{message}</p> }
    })
}

#[component]
fn CheckView(page: TrafficPage) -> impl IntoView {
    let TrafficPage {
        namespaces,
        form,
        pods,
        outcome,
    } = page;
    let problems = match &outcome {
        Outcome::Problems(problems) => problems.clone(),
        _ => Vec::new(),
    };
    let at = |field| problem_at(&problems, field);
    let option = |value: String, label: String, chosen: &str| {
        let selected = value == chosen;
        view! { <option value=value selected=selected>{label}</option> }
    };
    let pod_options = |chosen: &str| {
        pods.iter()
            .map(|pod| {
                let labels: Vec<String> =
                    pod.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let label = if labels.is_empty() {
                    pod.name.clone()
                } else {
                    format!("{} ({})", pod.name, labels.join(", "))
                };
                option(pod_choice(&pod.name), label, chosen)
            })
            .collect_view()
    };
    let from_pods = pod_options(&form.from);
    let to_pods = pod_options(&form.to);
    let (from, to) = (form.from.clone(), form.to.clone());
    let protocol = form.protocol.to_ascii_uppercase();
    view! {
        <div class="split">
            <form method="get" action="/networkpolicies/check" class="card" id="traffic-form">
                <label for="ns">"Namespace"</label>
                <select id="ns" name="ns">
                    {namespaces.iter().map(|name| option(name.clone(), name.clone(), &form.namespace)).collect_view()}
                </select>
                <p class="muted">
                    "Choosing another namespace? Check once to see its Pods. "
                    <a href=format!("/networkpolicies/map?ns={}", crate::links::query_value(&form.namespace)) id="map-link">"Its policy map"</a>
                    " shows every allowed flow."
                </p>

                <label for="from">"From"</label>
                <select id="from" name="from" aria-describedby="from-error">
                    <option value="" selected=from.is_empty()>"Choose…"</option>
                    <optgroup label="Pods of this namespace">{from_pods}</optgroup>
                    {option("labels".into(), "A Pod with these labels…".into(), &from)}
                    {option("ingress-controller".into(), "The ingress controller".into(), &from)}
                    {option("internet".into(), "The internet".into(), &from)}
                    {option("ip".into(), "An IP address…".into(), &from)}
                </select>
                <FieldError message=at(CheckField::From) field=CheckField::From/>
                <label for="from_labels">"Its labels (for a Pod with these labels)"</label>
                <input id="from_labels" name="from_labels" value=form.from_labels.clone() placeholder="app=frontend"/>
                <FieldError message=at(CheckField::FromLabels) field=CheckField::FromLabels/>
                <label for="from_ip">"Its address (for an IP address)"</label>
                <input id="from_ip" name="from_ip" value=form.from_ip.clone() placeholder="203.0.113.10"/>
                <FieldError message=at(CheckField::FromIp) field=CheckField::FromIp/>

                <label for="to">"To"</label>
                <select id="to" name="to" aria-describedby="to-error">
                    <option value="" selected=to.is_empty()>"Choose…"</option>
                    <optgroup label="Pods of this namespace">{to_pods}</optgroup>
                    {option("labels".into(), "A Pod with these labels…".into(), &to)}
                    {option("dns".into(), "The cluster DNS".into(), &to)}
                    {option("internet".into(), "The internet".into(), &to)}
                    {option("ip".into(), "An IP address…".into(), &to)}
                </select>
                <FieldError message=at(CheckField::To) field=CheckField::To/>
                <label for="to_labels">"Its labels (for a Pod with these labels)"</label>
                <input id="to_labels" name="to_labels" value=form.to_labels.clone() placeholder="app=api"/>
                <FieldError message=at(CheckField::ToLabels) field=CheckField::ToLabels/>
                <label for="to_ip">"Its address (for an IP address)"</label>
                <input id="to_ip" name="to_ip" value=form.to_ip.clone() placeholder="203.0.113.10"/>
                <FieldError message=at(CheckField::ToIp) field=CheckField::ToIp/>

                <label for="protocol">"Protocol"</label>
                <select id="protocol" name="protocol">
                    {["TCP", "UDP", "SCTP"].into_iter().map(|p| option(p.into(), p.into(), if protocol.is_empty() { "TCP" } else { &protocol })).collect_view()}
                </select>
                <FieldError message=at(CheckField::Protocol) field=CheckField::Protocol/>
                <label for="port">"Port"</label>
                <input id="port" name="port" value=form.port.clone() placeholder="8080 or http"/>
                <FieldError message=at(CheckField::Port) field=CheckField::Port/>

                <details open=!form.what_if.trim().is_empty()>
                    <summary>"What if… (add or replace policies)"</summary>
                    <label for="whatif">"NetworkPolicies to try, as YAML"</label>
                    <textarea id="whatif" name="whatif" rows="10" spellcheck="false">{form.what_if.clone()}</textarea>
                </details>
                <button type="submit" id="check">"Check"</button>
            </form>
            <div class="card output" aria-live="polite" id="traffic-answer">
                {match outcome {
                    Outcome::NotAsked => view! {
                        <p class="muted">"Choose both ends and a port, then Check."</p>
                    }.into_any(),
                    Outcome::Problems(_) => view! {
                        <p class="notice error" role="alert">"The form has problems; each is shown at its field."</p>
                    }.into_any(),
                    Outcome::Checked { now, what_if } => view! {
                        <Verdict checked=*now form=form.clone() heading="Now"/>
                        {what_if.map(|what_if| view! { <WhatIfView what_if/> })}
                    }.into_any(),
                }}
            </div>
        </div>
    }
}

#[component]
fn Verdict(checked: Checked, form: CheckForm, heading: &'static str) -> impl IntoView {
    let allowed = checked.answer.allowed;
    let class = if allowed {
        "verdict allowed"
    } else {
        "verdict denied"
    };
    let isolating: Vec<String> = isolating(&checked.answer)
        .iter()
        .map(|p| p.to_string())
        .collect();
    let isolated = (!allowed && !isolating.is_empty()).then(|| {
        view! {
            <p>"Isolated by: " <strong>{isolating.join(", ")}</strong>
            ". No rule of these policies allows this connection."</p>
        }
    });
    view! {
        <section class=class>
            <h2>{heading}": "{if allowed { "allowed" } else { "denied" }}</h2>
            <p class="verdict-sentence">{checked.explanation.verdict.clone()}</p>
            <ul>{checked.explanation.details.iter().map(|d| view! { <li>{d.clone()}</li> }).collect_view()}</ul>
            {isolated}
            {checked.quotes.into_iter().map(|quote| view! {
                <h3>"Allowed by "<code>{quote.rule.to_string()}</code></h3>
                <pre class="yaml"><code>{quote.yaml}</code></pre>
            }).collect_view()}
            {(!checked.suggestions.is_empty()).then(|| {
                let all: String = checked.suggestions.iter().map(|s| s.yaml.clone()).collect::<Vec<_>>().join("---\n");
                let mut again = form.clone();
                again.what_if = all;
                let href = format!(
                    "/networkpolicies/check?{}",
                    again
                        .to_params()
                        .iter()
                        .map(|(name, value)| format!("{name}={}", crate::links::query_value(value)))
                        .collect::<Vec<_>>()
                        .join("&")
                );
                let lead = if checked.suggestions.len() == 1 {
                    "Apply this, the smallest policy that lets exactly this connection through:"
                } else {
                    "Apply these, the smallest policies that let exactly this connection through (one for each side that blocks it):"
                };
                view! {
                    <h3>"To allow it"</h3>
                    <p>{lead}</p>
                    {checked.suggestions.into_iter().map(|s| view! { <SuggestionView suggestion=s/> }).collect_view()}
                    <p><a href=href id="try-suggestion">"Check again with it (what-if)"</a></p>
                }
            })}
        </section>
    }
}

#[component]
fn SuggestionView(suggestion: Suggestion) -> impl IntoView {
    let command = suggestion.apply_command.clone();
    view! {
        <div class="suggestion">
            <h4><code>{suggestion.policy.to_string()}</code>" ("{suggestion.direction.as_str()}")"</h4>
            {suggestion.notes.into_iter().map(|n| view! { <p class="notice">{n}</p> }).collect_view()}
            {suggestion.warnings.into_iter().map(|w| view! { <p class="notice warning">{w}</p> }).collect_view()}
            <pre class="yaml"><code>{suggestion.yaml}</code></pre>
            <CopyButton text=Signal::derive(move || command.clone()) label="Copy the kubectl apply command"/>
        </div>
    }
}

#[component]
fn WhatIfView(what_if: WhatIf) -> impl IntoView {
    let names: Vec<String> = what_if.policies.iter().map(|p| p.to_string()).collect();
    match what_if.result {
        Err(message) => view! {
            <section class="what-if">
                <h2>"What if"</h2>
                <p class="notice error" role="alert">{format!("The policies to try cannot be used: {message}")}</p>
            </section>
        }
        .into_any(),
        Ok(checked) => view! {
            <section class="what-if">
                <p class="muted">{format!("With {}:", names.join(", "))}</p>
                <Verdict checked=*checked form=CheckForm::default() heading="With your policies"/>
            </section>
        }
        .into_any(),
    }
}
