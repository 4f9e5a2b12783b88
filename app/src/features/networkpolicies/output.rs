//! Rendering a generated policy: the problems that stop it, warnings, the explanation, YAML and commands.

use crate::domain::networkpolicy::{Generated, Severity};
use crate::features::shared::copy::CopyButton;
use leptos::prelude::*;

/// A problem of the policy form as the list beside it shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownProblem {
    /// The field's id and label; `None` for the policy as a whole.
    pub at: Option<(String, String)>,
    /// What is wrong, in words.
    pub message: String,
}

/// The problems that stop generation, each naming (and linking to) its field, where the same
/// message is shown too.
#[component]
pub fn FormProblems(problems: Vec<ShownProblem>) -> impl IntoView {
    view! {
        <div class="notice error" role="alert" id="field-errors">
            <p><strong>"Nothing is generated until these are fixed:"</strong></p>
            <ul>
                {problems
                    .into_iter()
                    .map(|problem| match problem.at {
                        Some((id, label)) => view! {
                            // `rel="external"`: the browser, not the router, moves to the field.
                            <li><a href=format!("#{id}") rel="external">{label}</a>": "{problem.message}</li>
                        }.into_any(),
                        None => view! { <li>{problem.message}</li> }.into_any(),
                    })
                    .collect_view()}
            </ul>
        </div>
    }
}

/// Warnings, explanation, YAML and apply command of a valid policy.
#[component]
pub fn GeneratedPolicy(generated: Generated, file_name: String) -> impl IntoView {
    let download = crate::features::shared::yaml_download(&generated.yaml);
    view! {
        <div class="generated">
            {(!generated.warnings.is_empty()).then(|| view! {
                <section aria-labelledby="warnings-title">
                    <h2 id="warnings-title">"Warnings"</h2>
                    <ul class="lints" id="policy-warnings">
                        {generated.warnings.into_iter().map(|lint| {
                            let class = match lint.severity {
                                Severity::Warning => "notice error",
                                Severity::Info => "notice info",
                            };
                            view! { <li class=class>{lint.message}</li> }
                        }).collect_view()}
                    </ul>
                </section>
            })}
            <section aria-labelledby="explanation-title">
                <h2 id="explanation-title">"What this policy does"</h2>
                <div id="policy-explanation">
                    {generated.explanation.sections.into_iter().map(|section| view! {
                        <h3>{section.heading}</h3>
                        <ul>{section.sentences.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}</ul>
                    }).collect_view()}
                </div>
            </section>
            <section aria-labelledby="yaml-title">
                <h2 id="yaml-title">"Manifest"</h2>
                <div class="code-block">
                    <CopyButton text=generated.yaml.clone() label="Copy the YAML"/>
                    <pre id="policy-yaml"><code>{generated.yaml}</code></pre>
                </div>
                <p><a href=download download=file_name>"Download the YAML"</a></p>
                <h3>"Apply it"</h3>
                <div class="code-block">
                    <CopyButton text=generated.apply_command.clone() label="Copy the apply command"/>
                    <pre id="apply-command"><code>{generated.apply_command}</code></pre>
                </div>
            </section>
        </div>
    }
}
