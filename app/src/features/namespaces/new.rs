//! `/namespaces/new`: the request form. It is a plain HTML form that posts to the server, so it
//! works without JavaScript; once hydrated, the name is checked on every keystroke with the same
//! rules the server enforces. A refused form comes back with everything that was typed and the
//! reason: the server keeps both in the session for the next load of this page.

use super::api::namespace_form;
use super::common::refused;
use super::model::{FormState, MAX_PURPOSE, RequestForm};
use crate::domain::NamespaceName;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NewRequestPage() -> impl IntoView {
    let state = Resource::new(|| (), |()| namespace_form());
    view! {
        <Title text="Request a namespace"/>
        <h1>"Request a namespace"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                state.get().map(|result| match result {
                    Ok(state) => view! { <RequestFormView state/> }.into_any(),
                    Err(error) => refused(error, "/namespaces/new".into()),
                })
            }}
        </Suspense>
    }
}

#[component]
fn RequestFormView(state: FormState) -> impl IntoView {
    let FormState {
        options,
        naming,
        refused,
    } = state;
    let (returned, problem) = match refused {
        Some(refused) => (refused.form, Some(refused.problem)),
        None => (RequestForm::default(), None),
    };
    let (name, set_name) = signal(returned.name.clone());
    let (touched, set_touched) = signal(false);
    // Before any typing the server's verdict stands; once the user types, the browser checks.
    let name_problem = move || {
        if !touched.get() {
            return None;
        }
        let typed = name.get();
        if typed.trim().is_empty() {
            return None;
        }
        NamespaceName::parse(&typed, &naming)
            .err()
            .map(|e| e.to_string())
    };
    let at_limit = options.open_now >= options.max_open;
    let chosen = returned.groups.clone();
    let own_groups = options.groups.clone();
    let other_groups: Vec<String> = returned
        .groups
        .iter()
        .filter(|group| !own_groups.contains(group))
        .cloned()
        .collect();
    view! {
        {problem.map(|problem| view! {
            <p class="notice error" role="alert" id="form-problem">{problem.to_string()}</p>
        })}
        {at_limit.then(|| view! {
            <p class="notice info" id="at-limit">
                {format!("You have {} open requests, the most allowed. Wait for a decision, or cancel one on ", options.open_now)}
                <a href="/namespaces">"your requests"</a>"."
            </p>
        })}
        <form class="card" method="post" action="/namespaces/new" id="request-form">
            <label for="ns-name">"Name"</label>
            <input id="ns-name" name="name" required maxlength="63" autocomplete="off" spellcheck="false"
                value=returned.name.clone()
                on:input=move |ev| { set_touched.set(true); set_name.set(event_target_value(&ev)); }
                aria-describedby="ns-name-help ns-name-problem"/>
            <p class="muted" id="ns-name-help">"Lowercase letters, digits and hyphens; at most 63 characters."</p>
            <p class="field-error" id="ns-name-problem" aria-live="polite">{name_problem}</p>

            <label for="ns-purpose">"Purpose"</label>
            <textarea id="ns-purpose" name="purpose" required maxlength=MAX_PURPOSE rows="3"
                placeholder="What will run here, and for whom?">{returned.purpose.clone()}</textarea>

            <fieldset>
                <legend>"Who gets access (workload-admin)"</legend>
                {if options.groups.is_empty() {
                    view! { <p class="muted">"Your login carries no groups."</p> }.into_any()
                } else {
                    options.groups.iter().map(|group| {
                        let id = format!("group-{group}");
                        let for_id = id.clone();
                        let checked = chosen.contains(group) || (chosen.is_empty() && options.groups.len() == 1);
                        view! {
                            <label class="check" for=for_id>
                                <input type="checkbox" name="groups" id=id value=group.clone() checked=checked/>
                                {group.clone()}
                            </label>
                        }
                    }).collect_view().into_any()
                }}
                {options.any_group.then(|| view! {
                    <label for="other-groups">"Other groups (administrators; one per line)"</label>
                    <textarea id="other-groups" name="other_groups" rows="2">{other_groups.join("\n")}</textarea>
                })}
                <p class="muted">"Members of these identity-provider groups get the ClusterRole admin in the namespace. To give someone access later, add them to the group in the identity provider."</p>
            </fieldset>

            {(!options.label_keys.is_empty()).then(|| view! {
                <fieldset>
                    <legend>"Labels (optional)"</legend>
                    {options.label_keys.iter().map(|key| {
                        let id = format!("label-{key}");
                        let for_id = id.clone();
                        let value = returned.labels.get(key).cloned().unwrap_or_default();
                        view! {
                            <label for=for_id>{key.clone()}</label>
                            <input id=id name=format!("label.{key}") maxlength="63" value=value/>
                        }
                    }).collect_view()}
                </fieldset>
            })}
            <button type="submit" id="submit-request">"Send the request"</button>
        </form>
    }
}
