//! `/networkpolicies`: build a NetworkPolicy from a preset or from scratch.

use super::output::{FieldErrors, GeneratedPolicy};
use crate::AppConfig;
use crate::domain::networkpolicy::{
    Preset,
    form::{PolicyForm, ROWS, RuleRow},
    generate,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use std::sync::Arc;

#[component]
pub fn PolicyPage() -> impl IntoView {
    view! {
        <Title text="NetworkPolicy generator"/>
        <h1>"NetworkPolicy generator"</h1>
        <p class="lead">
            "Describe which Pods may talk to yours. The manifest, a plain-words explanation and "
            "warnings for the classic mistakes update as you type. Need a one-off Pod? Use the "
            <a href="/networkpolicies/run">"safe kubectl run recipe"</a>"."
        </p>
        {match crate::page_context::config() {
            Some(config) => view! { <Editor config/> }.into_any(),
            None => view! { <p class="notice error">"The generator's settings could not be loaded; try again later."</p> }.into_any(),
        }}
    }
}

/// The form as the query string describes it: a submitted form, a chosen preset, or the default.
fn initial_form(config: &AppConfig) -> (PolicyForm, String) {
    let query = use_query_map();
    query.with_untracked(|params| {
        let namespace = params
            .get("ns")
            .filter(|ns| !ns.trim().is_empty())
            .unwrap_or_else(|| "my-namespace".into());
        // "Load preset" submits the whole form: the preset wins, the namespace typed stays.
        let loading_preset = params.get("load").as_deref() == Some("preset");
        if !loading_preset && let Some(form) = PolicyForm::from_params(|key| params.get(key)) {
            return (form, String::new());
        }
        let preset = params
            .get("preset")
            .and_then(|id| Preset::ALL.into_iter().find(|p| p.id() == id));
        match preset {
            Some(preset) => (
                PolicyForm::from_spec(&preset.build(&namespace, &config.presets)),
                preset.id().to_owned(),
            ),
            None => (PolicyForm::default(), String::new()),
        }
    })
}

#[component]
fn Editor(config: Arc<AppConfig>) -> impl IntoView {
    let (initial, chosen_preset) = initial_form(&config);
    let form = RwSignal::new(initial.clone());
    let lint = config.lint.clone();
    let result = Memo::new(move |_| {
        form.with(|form| form.to_spec())
            .and_then(|spec| generate(&spec, &lint).map(|g| (spec.name, g)))
    });

    view! {
        // The preset controls belong to the policy form (`form="policy-form"`), so loading a
        // preset sends the namespace typed there along, with JavaScript or without.
        <div class="card preset-form">
            <label for="preset">"Start from a preset"</label>
            <div class="inline-form">
                <select id="preset" name="preset" form="policy-form">
                    {Preset::ALL.into_iter().map(|preset| view! {
                        <option value=preset.id() selected=preset.id() == chosen_preset>{preset.title()}</option>
                    }).collect_view()}
                </select>
                <button type="submit" form="policy-form" name="load" value="preset">"Load preset"</button>
            </div>
        </div>
        <div class="split">
            <form method="get" action="/networkpolicies" class="card policy-form" id="policy-form">
                <fieldset>
                    <legend>"Policy"</legend>
                    <Text label="Name" name="name" value=initial.name.clone() set=move |v| form.update(|f| f.name = v)/>
                    <Text label="Namespace" name="ns" value=initial.namespace.clone() set=move |v| form.update(|f| f.namespace = v)/>
                    <label for="target">"Which Pods it applies to"</label>
                    <select id="target" name="target" on:change=move |ev| { let v = event_target_value(&ev); form.update(|f| f.target = v) }>
                        {[("all", "Every Pod in the namespace"), ("labels", "Pods with these labels"), ("run", "The Pod that kubectl run NAME creates")]
                            .into_iter()
                            .map(|(value, text)| view! { <option value=value selected=initial.target == value>{text}</option> })
                            .collect_view()}
                    </select>
                    <Text label="Labels (key=value, …) or the kubectl run name" name="tv" value=initial.target_value.clone() set=move |v| form.update(|f| f.target_value = v)/>
                </fieldset>
                <Direction
                    legend="Incoming traffic (ingress)"
                    toggle="in"
                    restrict=initial.ingress
                    rows=initial.ingress_rows.clone()
                    prefix='i'
                    set_restrict=move |on| form.update(|f| f.ingress = on)
                    set_row=move |i, row| form.update(|f| f.ingress_rows[i] = row)
                />
                <Direction
                    legend="Outgoing traffic (egress)"
                    toggle="eg"
                    restrict=initial.egress
                    rows=initial.egress_rows.clone()
                    prefix='e'
                    set_restrict=move |on| form.update(|f| f.egress = on)
                    set_row=move |i, row| form.update(|f| f.egress_rows[i] = row)
                />
                <label class="check">
                    <input type="checkbox" name="dns" checked=initial.allow_dns
                        on:change=move |ev| { let on = event_target_checked(&ev); form.update(|f| f.allow_dns = on) }/>
                    " Allow DNS lookups (UDP and TCP 53 to kube-dns) when egress is restricted"
                </label>
                <button type="submit">"Generate"</button>
            </form>
            <div class="card output" aria-live="polite">
                {move || match result.get() {
                    Ok((name, generated)) => view! { <GeneratedPolicy generated file_name=format!("{name}.yaml")/> }.into_any(),
                    Err(errors) => view! { <FieldErrors errors/> }.into_any(),
                }}
            </div>
        </div>
    }
}

#[component]
fn Text(
    label: &'static str,
    name: &'static str,
    value: String,
    set: impl Fn(String) + 'static,
) -> impl IntoView {
    view! {
        <label for=name>{label}</label>
        <input type="text" id=name name=name value=value autocomplete="off" spellcheck="false"
            on:input=move |ev| set(event_target_value(&ev))/>
    }
}

const PEER_KINDS: [(&str, &str); 8] = [
    ("", "(unused)"),
    ("anywhere", "Anywhere (allow all)"),
    ("pods", "Pods of this namespace with labels"),
    ("namespace", "Every Pod of the namespace named"),
    ("namespaceLabels", "Every Pod of namespaces with labels"),
    ("podsInNamespace", "Pods with labels in the namespace named"),
    (
        "podsInNamespaceLabels",
        "Pods with labels in namespaces with labels",
    ),
    ("ipBlock", "IP addresses outside the cluster (CIDR)"),
];

#[component]
fn Direction(
    legend: &'static str,
    toggle: &'static str,
    restrict: bool,
    rows: Vec<RuleRow>,
    prefix: char,
    set_restrict: impl Fn(bool) + 'static,
    set_row: impl Fn(usize, RuleRow) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let rows = rows.into_iter().take(ROWS).enumerate().map(|(i, row)| {
        let current = RwSignal::new(row.clone());
        let set_row = set_row.clone();
        Effect::watch(move || current.get(), move |row, _, _| set_row(i, row.clone()), false);
        let field = |suffix: char| format!("{prefix}{i}{suffix}");
        view! {
            <div class="rule-row">
                <select name=field('k') aria-label=format!("Rule {} peer", i + 1)
                    on:change=move |ev| { let v = event_target_value(&ev); current.update(|r| r.kind = v) }>
                    {PEER_KINDS.into_iter().map(|(value, text)| view! {
                        <option value=value selected=row.kind == value>{text}</option>
                    }).collect_view()}
                </select>
                <input type="text" name=field('v') value=row.value.clone() placeholder="labels, namespace or CIDR"
                    aria-label=format!("Rule {} selector", i + 1)
                    on:input=move |ev| { let v = event_target_value(&ev); current.update(|r| r.value = v) }/>
                <input type="text" name=field('x') value=row.extra.clone() placeholder="pod labels or excepted CIDRs"
                    aria-label=format!("Rule {} pod labels or exceptions", i + 1)
                    on:input=move |ev| { let v = event_target_value(&ev); current.update(|r| r.extra = v) }/>
                <input type="text" name=field('p') value=row.ports.clone() placeholder="ports: 443, UDP 53 (empty: all)"
                    aria-label=format!("Rule {} ports", i + 1)
                    on:input=move |ev| { let v = event_target_value(&ev); current.update(|r| r.ports = v) }/>
            </div>
        }
    }).collect_view();
    view! {
        <fieldset>
            <legend>{legend}</legend>
            <label class="check">
                <input type="checkbox" name=toggle checked=restrict
                    on:change=move |ev| set_restrict(event_target_checked(&ev))/>
                " Restrict it (only the rules below are allowed)"
            </label>
            {rows}
        </fieldset>
    }
}
