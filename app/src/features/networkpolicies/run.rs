//! `/networkpolicies/run`: the safe way to `kubectl run` a one-off Pod on the platform.

use super::output::{FormProblems, GeneratedPolicy, ShownProblem};
use crate::AppConfig;
use crate::domain::networkpolicy::{FieldError, RunRecipeSpec, build_run_recipe};
use crate::features::shared::copy::CopyButton;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use std::sync::Arc;

#[component]
pub fn RunRecipePage() -> impl IntoView {
    view! {
        <Title text="Safe kubectl run"/>
        <h1>"A kubectl run the platform accepts"</h1>
        <p class="lead">
            "The platform refuses Pods that run as root, use images from outside its registry, "
            "lack resource requests or are not selected by a NetworkPolicy. Give a name and an "
            "image, and get the policy and the exact command."
        </p>
        {match crate::page_context::config() {
            Some(config) => view! { <RunForm config/> }.into_any(),
            None => view! { <p class="notice error">"The settings could not be loaded; try again later."</p> }.into_any(),
        }}
    }
}

/// The recipe spec from the query string; `None` when the form was never submitted.
fn submitted_spec() -> Option<RunRecipeSpec> {
    use_query_map().with_untracked(|q| {
        let image = q.get("image")?;
        let number = |key: &str, default: u32| {
            q.get(key)
                .map_or(Ok(default), |v| v.trim().parse::<u32>().map_err(|_| v))
        };
        let defaults = RunRecipeSpec::example();
        Some(RunRecipeSpec {
            pod_name: q.get("pod").unwrap_or_default(),
            image,
            namespace: q.get("ns").unwrap_or_default(),
            // A non-number becomes u32::MAX, which validation refuses with the field named.
            run_as_user: number("user", defaults.run_as_user).unwrap_or(u32::MAX),
            run_as_group: number("group", defaults.run_as_group).unwrap_or(u32::MAX),
            cpu_request: q.get("cpu").unwrap_or(defaults.cpu_request),
            memory_request: q.get("memory").unwrap_or(defaults.memory_request),
        })
    })
}

#[component]
fn RunForm(config: Arc<AppConfig>) -> impl IntoView {
    let submitted = submitted_spec();
    let was_submitted = submitted.is_some();
    // A link may name the namespace alone (`?ns=team-a-shop`, from a ready request's page).
    let linked_namespace = use_query_map().with_untracked(|q| q.get("ns"));
    let initial = submitted.unwrap_or_else(|| {
        let mut spec = RunRecipeSpec::example();
        if let Some(namespace) = linked_namespace {
            spec.namespace = namespace;
        }
        spec.image = config
            .run_recipe
            .allowed_registry_prefixes
            .first()
            .map(|prefix| {
                format!(
                    "{}team/debug-tools:1.0.0",
                    prefix.trim_end_matches('/').to_owned() + "/"
                )
            })
            .unwrap_or_default();
        spec
    });
    let spec = RwSignal::new(initial.clone());
    let (registries, lint) = (config.run_recipe.clone(), config.lint.clone());
    let recipe = Memo::new(move |_| spec.with(|spec| build_run_recipe(spec, &registries, &lint)));
    // The pre-filled example shows its recipe at once when it is valid; errors wait until the
    // user has typed or submitted something.
    let touched = RwSignal::new(was_submitted || recipe.with_untracked(Result::is_ok));
    let allowed = config.run_recipe.allowed_registry_prefixes.join(", ");

    // The problems of one field (by its input's name), once the user has typed or submitted.
    let problems_at = move |name: &'static str| {
        move || -> Vec<String> {
            if !touched.get() {
                return Vec::new();
            }
            recipe.with(|recipe| match recipe {
                Err(errors) => errors
                    .iter()
                    .filter(|error| field_of(&error.path).is_some_and(|(id, _)| id == name))
                    .map(|error| error.message.clone())
                    .collect(),
                Ok(_) => Vec::new(),
            })
        }
    };
    let field_message = move |name: &'static str| {
        let messages = problems_at(name);
        move || {
            let messages = messages();
            (!messages.is_empty()).then(|| {
                view! {
                    <div class="field-error" id=format!("{name}-error")>
                        {messages.into_iter().map(|m| view! { <p>{m}</p> }).collect_view()}
                    </div>
                }
            })
        }
    };
    let aria = move |name: &'static str| {
        let messages = problems_at(name);
        let again = problems_at(name);
        (
            move || (!messages().is_empty()).then_some("true"),
            move || (!again().is_empty()).then(|| format!("{name}-error")),
        )
    };

    let number_input = move |label: &'static str,
                             name: &'static str,
                             value: u32,
                             set: fn(&mut RunRecipeSpec, u32)| {
        let (aria_invalid, described_by) = aria(name);
        view! {
            <label for=name>{label}</label>
            <input type="number" id=name name=name min="1" value=value.to_string()
                aria-invalid=aria_invalid aria-describedby=described_by
                on:input=move |ev| {
                    let value = event_target_value(&ev).trim().parse::<u32>().unwrap_or(u32::MAX);
                    touched.set(true);
                    spec.update(|s| set(s, value));
                }/>
            {field_message(name)}
        }
    };
    let text_input = move |label: &'static str,
                           name: &'static str,
                           value: String,
                           set: fn(&mut RunRecipeSpec, String)| {
        let (aria_invalid, described_by) = aria(name);
        view! {
            <label for=name>{label}</label>
            <input type="text" id=name name=name value=value autocomplete="off" spellcheck="false"
                aria-invalid=aria_invalid aria-describedby=described_by
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    touched.set(true);
                    spec.update(|s| set(s, value));
                }/>
            {field_message(name)}
        }
    };

    view! {
        <div class="split">
            <form method="get" action="/networkpolicies/run" class="card" id="run-form">
                {text_input("Pod name", "pod", initial.pod_name.clone(), |s, v| s.pod_name = v)}
                {text_input("Image", "image", initial.image.clone(), |s, v| s.image = v)}
                <p class="muted">{if allowed.is_empty() {
                    "No image registry is configured for this platform yet.".to_owned()
                } else {
                    format!("Images must come from: {allowed}")
                }}</p>
                {text_input("Namespace", "ns", initial.namespace.clone(), |s, v| s.namespace = v)}
                {number_input("Run as user (not 0)", "user", initial.run_as_user, |s, v| s.run_as_user = v)}
                {number_input("Run as group (not 0)", "group", initial.run_as_group, |s, v| s.run_as_group = v)}
                {text_input("CPU request", "cpu", initial.cpu_request.clone(), |s, v| s.cpu_request = v)}
                {text_input("Memory request", "memory", initial.memory_request.clone(), |s, v| s.memory_request = v)}
                <button type="submit">"Generate"</button>
            </form>
            <div class="card output" aria-live="polite">
                {move || match (touched.get(), recipe.get()) {
                    (false, _) => view! { <p class="muted">"Fill in the form to get your recipe."</p> }.into_any(),
                    (true, Err(errors)) => view! { <FormProblems problems=shown(errors)/> }.into_any(),
                    (true, Ok(recipe)) => {
                        let file_name = format!("{}.yaml", recipe.policy.manifest_json["metadata"]["name"].as_str().unwrap_or("policy"));
                        view! {
                            <section aria-labelledby="steps-title">
                                <h2 id="steps-title">"Run it in three steps"</h2>
                                <p>"1. Apply the NetworkPolicy that lets the Pod reach what it needs (it selects the Pod by its run label; the policy is explained below):"</p>
                                <div class="code-block">
                                    <CopyButton text=recipe.policy.apply_command.clone() label="Copy the kubectl apply command"/>
                                    <pre id="apply-command"><code>{recipe.policy.apply_command.clone()}</code></pre>
                                </div>
                                <p>"2. Start the Pod:"</p>
                                <div class="code-block">
                                    <CopyButton text=recipe.run_command.clone() label="Copy the kubectl run command"/>
                                    <pre id="run-command"><code>{recipe.run_command}</code></pre>
                                </div>
                                <p>"3. When you are done, remove the policy:"</p>
                                <div class="code-block">
                                    <CopyButton text=recipe.cleanup_command.clone() label="Copy the clean-up command"/>
                                    <pre id="cleanup-command"><code>{recipe.cleanup_command}</code></pre>
                                </div>
                            </section>
                            <GeneratedPolicy generated=recipe.policy file_name/>
                        }.into_any()
                    }
                }}
            </div>
        </div>
    }
}

/// The input (its id, which is also its query name) and label of a recipe field, by the JSON
/// name the domain's errors use.
fn field_of(path: &str) -> Option<(&'static str, &'static str)> {
    Some(match path {
        "podName" => ("pod", "Pod name"),
        "image" => ("image", "Image"),
        "namespace" => ("ns", "Namespace"),
        "runAsUser" => ("user", "Run as user"),
        "runAsGroup" => ("group", "Run as group"),
        "cpuRequest" => ("cpu", "CPU request"),
        "memoryRequest" => ("memory", "Memory request"),
        _ => return None,
    })
}

/// The list beside the form: each problem linked to its field by the field's label.
fn shown(errors: Vec<FieldError>) -> Vec<ShownProblem> {
    errors
        .into_iter()
        .map(|error| ShownProblem {
            at: field_of(&error.path).map(|(id, label)| (id.to_owned(), label.to_owned())),
            message: error.message,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::field_of;
    use crate::domain::networkpolicy::{RunRecipeSpec, build_run_recipe};

    /// Every field the domain can complain about has an input to show it at.
    #[test]
    fn every_problem_of_a_bad_spec_has_its_field() {
        let spec = RunRecipeSpec {
            pod_name: "Bad Name".into(),
            image: "nginx:latest".into(),
            namespace: "Demo;".into(),
            run_as_user: 0,
            run_as_group: 0,
            cpu_request: "lots".into(),
            memory_request: "1 GB".into(),
        };
        let config = Default::default();
        let errors = build_run_recipe(&spec, &config, &Default::default()).unwrap_err();
        assert!(errors.len() >= 7, "{errors:#?}");
        for error in errors {
            assert!(field_of(&error.path).is_some(), "{error:?}");
        }
    }
}
