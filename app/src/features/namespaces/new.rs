//! `/namespaces/new`: the request form. It is a plain HTML form that posts to the server, so it
//! works without JavaScript; once hydrated, the name is checked on every keystroke and the whole
//! form before it is sent, with the rules the server enforces (`domain::namespace_request`). A refused form comes back with everything that was typed and the
//! reason: the server keeps both in the session for the next load of this page.

use super::api::namespace_form;
use super::common::refused;
use super::model::{FormState, MAX_PURPOSE, RequestForm};
use crate::domain::NamespaceName;
use crate::domain::namespace_request::{self, FormRules, Requester};
use leptos::prelude::*;
use leptos_meta::Title;
use std::collections::{BTreeMap, BTreeSet};

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
    let rules_naming = naming.clone();
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
    // What the form holds, as the browser sees it, checked as the server will check it when the
    // user sends it; a refusal stops the post and says why, and nothing typed is lost.
    let (purpose, set_purpose) = signal(returned.purpose.clone());
    let is_checked = |group: &String| {
        returned.groups.contains(group) || (returned.groups.is_empty() && options.groups.len() == 1)
    };
    let (groups, set_groups) = signal(
        options
            .groups
            .iter()
            .filter(|group| is_checked(group))
            .cloned()
            .collect::<BTreeSet<String>>(),
    );
    let (extra_groups, set_extra_groups) = signal(
        returned
            .groups
            .iter()
            .filter(|group| !options.groups.contains(group))
            .cloned()
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let (labels, set_labels) = signal(returned.labels.clone());
    let (form_problem, set_form_problem) = signal(problem.map(|problem| problem.to_string()));
    let own = options.groups.clone();
    let label_keys = options.label_keys.clone();
    let any_group = options.any_group;
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        let form = RequestForm {
            name: name.get_untracked(),
            purpose: purpose.get_untracked(),
            groups: groups
                .get_untracked()
                .into_iter()
                .chain(
                    extra_groups
                        .get_untracked()
                        .split([',', '\n'])
                        .map(|group| group.trim().to_owned()),
                )
                .collect(),
            labels: labels.get_untracked(),
        };
        let checked = namespace_request::check(
            &form,
            Requester {
                username: "",
                groups: &own,
                is_admin: any_group,
            },
            FormRules {
                naming: &rules_naming,
                label_keys: &label_keys,
            },
        );
        match checked {
            Ok(_) => set_form_problem.set(None),
            Err(problem) => {
                ev.prevent_default();
                set_form_problem.set(Some(problem.to_string()));
            }
        }
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
        {move || form_problem.get().map(|problem| view! {
            <p class="notice error" role="alert" id="form-problem">{problem}</p>
        })}
        {at_limit.then(|| view! {
            <p class="notice info" id="at-limit">
                {format!("You have {} open requests, the most allowed. Wait for a decision, or cancel one on ", options.open_now)}
                <a href="/namespaces">"your requests"</a>"."
            </p>
        })}
        <form class="card" method="post" action="/namespaces/new" id="request-form" on:submit=on_submit>
            <label for="ns-name">"Name"</label>
            <input id="ns-name" name="name" required maxlength="63" autocomplete="off" spellcheck="false"
                value=returned.name.clone()
                on:input=move |ev| { set_touched.set(true); set_name.set(event_target_value(&ev)); }
                aria-describedby="ns-name-help ns-name-problem"/>
            <p class="muted" id="ns-name-help">"Lowercase letters, digits and hyphens; at most 63 characters."</p>
            <p class="field-error" id="ns-name-problem" aria-live="polite">{name_problem}</p>

            <label for="ns-purpose">"Purpose"</label>
            <textarea id="ns-purpose" name="purpose" required maxlength=MAX_PURPOSE rows="3"
                on:input=move |ev| set_purpose.set(event_target_value(&ev))
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
                        let toggled = group.clone();
                        view! {
                            <label class="check" for=for_id>
                                <input type="checkbox" name="groups" id=id value=group.clone() checked=checked
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        set_groups.update(|groups| {
                                            if on { groups.insert(toggled.clone()); } else { groups.remove(&toggled); }
                                        });
                                    }/>
                                {group.clone()}
                            </label>
                        }
                    }).collect_view().into_any()
                }}
                {options.any_group.then(|| view! {
                    <label for="other-groups">"Other groups (administrators; one per line)"</label>
                    <textarea id="other-groups" name="other_groups" rows="2"
                        on:input=move |ev| set_extra_groups.set(event_target_value(&ev))>{other_groups.join("\n")}</textarea>
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
                        let edited = key.clone();
                        view! {
                            <label for=for_id>{key.clone()}</label>
                            <input id=id name=format!("label.{key}") maxlength="63" value=value
                                on:input=move |ev| {
                                    let value = event_target_value(&ev);
                                    set_labels.update(|labels: &mut BTreeMap<String, String>| {
                                        labels.insert(edited.clone(), value);
                                    });
                                }/>
                        }
                    }).collect_view()}
                </fieldset>
            })}
            <button type="submit" id="submit-request">"Send the request"</button>
        </form>
    }
}
