//! The preflight page: the form, and the answer beside it.

use super::api::{Start, check_manifests, start};
use crate::domain::networkpolicy::form::PolicyForm;
use crate::domain::preflight::advice::Advice;
use crate::domain::preflight::network::WorkloadPolicy;
use crate::domain::preflight::pod_security::Decision;
use crate::domain::preflight::report::{Answer, Fix, ObjectReport, Verdict};
use crate::domain::preflight::rules::{AppliedMutation, RuleAction, RuleFinding, RuleOutcome};
use crate::features::shared::copy::CopyButton;
use leptos::prelude::*;
use leptos_meta::Title;
use std::time::Duration;

/// How long typing must pause before the hydrated page checks again.
const RECHECK_AFTER: Duration = Duration::from_millis(400);

#[component]
pub fn PreflightPage() -> impl IntoView {
    // The namespaces to offer and what was posted without JavaScript, answered on the server
    // and sent with the page.
    let start = Resource::new(|| (), |()| start());
    view! {
        <Title text="Will it run here?"/>
        <h1>"Will it run here?"</h1>
        <p class="lead">
            "Paste the manifests you are about to apply (a Deployment, Helm's output, a Pod) or "
            "a kubectl run command, and "
            "see what this cluster's admission rules will say (Pod Security and its Gatekeeper "
            "constraints, as they are now): to each object, and to the Pods a workload creates, "
            "which are refused long after the workload itself was accepted. Where something "
            "breaks the rules, you get the manifest back with the safe fixes made."
        </p>
        <Suspense fallback=|| ()>
            {move || start.get().map(|start| view! { <PreflightForm start/> })}
        </Suspense>
    }
}

#[component]
fn PreflightForm(start: Start) -> impl IntoView {
    let (text, chosen, answer) = match start.submitted {
        Some((text, namespace, answer)) => (text, namespace, Some(answer)),
        None => (String::new(), String::new(), None),
    };
    let current = RwSignal::new(text.clone());
    let namespace = RwSignal::new(chosen.clone());
    let answer = RwSignal::new(answer);
    let check = Action::new(|(text, namespace): &(String, String)| {
        check_manifests(text.clone(), namespace.clone())
    });
    Effect::new(move |_| {
        if let Some(result) = check.value().get() {
            answer.set(Some(result));
        }
    });
    // Typing re-checks once it pauses; a later keystroke makes an earlier timer do nothing.
    let typed = RwSignal::new(0_u64);
    let on_input = move |ev| {
        current.set(event_target_value(&ev));
        let version = typed.get_untracked() + 1;
        typed.set(version);
        set_timeout(
            move || {
                if typed.get_untracked() == version && !current.get_untracked().trim().is_empty() {
                    check.dispatch((current.get_untracked(), namespace.get_untracked()));
                }
            },
            RECHECK_AFTER,
        );
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        check.dispatch((current.get_untracked(), namespace.get_untracked()));
    };
    // Another namespace: check again for it at once.
    let on_namespace = move |ev| {
        namespace.set(event_target_value(&ev));
        if !current.get_untracked().trim().is_empty() {
            check.dispatch((current.get_untracked(), namespace.get_untracked()));
        }
    };
    // Offered only to a user with namespaces; a chosen one that is no longer theirs stays
    // listed, so the answer (refused) and the form agree.
    let mut namespaces = start.namespaces;
    if !chosen.is_empty() && !namespaces.contains(&chosen) {
        namespaces.push(chosen.clone());
    }
    let target = (!namespaces.is_empty()).then(|| {
        view! {
            <label for="namespace">"Namespace"</label>
            <select id="namespace" name="namespace" on:change=on_namespace>
                <option value="" selected=chosen.is_empty()>"A new namespace, as this portal creates it"</option>
                {namespaces.into_iter().map(|name| {
                    let selected = name == chosen;
                    view! { <option value=name.clone() selected=selected>{name.clone()}</option> }
                }).collect_view()}
            </select>
        }
    });

    view! {
        <div class="split">
            <form method="post" action="/preflight" class="card" id="preflight-form" on:submit=on_submit>
                <label for="manifests">"Your manifests"</label>
                <p class="muted" id="manifests-hint">
                    "YAML or JSON, as kubectl apply -f reads it: several documents separated by "
                    "lines of ---, and List objects; or a kubectl run command line."
                </p>
                <textarea id="manifests" name="manifests" rows="20" spellcheck="false"
                    autocomplete="off" aria-describedby="manifests-hint" on:input=on_input>
                    {text}
                </textarea>
                {target}
                <button type="submit" id="check">"Check"</button>
            </form>
            <div class="card output" aria-live="polite" id="preflight-answer">
                {move || match answer.get() {
                    None => view! {
                        <p class="muted">"Paste a manifest and choose Check to see what the platform will say."</p>
                    }.into_any(),
                    Some(Err(error)) => view! {
                        <p class="notice error" role="alert" id="preflight-error">{error.to_string()}</p>
                    }.into_any(),
                    Some(Ok(answer)) => view! { <AnswerView answer/> }.into_any(),
                }}
            </div>
        </div>
    }
}

fn verdict_words(verdict: Verdict) -> (&'static str, &'static str) {
    match verdict {
        Verdict::Refused => ("notice error", "Refused"),
        Verdict::Warned => ("notice info", "Accepted with warnings"),
        Verdict::Accepted => ("notice ok", "Accepted"),
        Verdict::NotChecked => ("muted", "Not checked"),
        Verdict::Unreadable => ("notice error", "Cannot be read"),
    }
}

#[component]
fn AnswerView(answer: Answer) -> impl IntoView {
    let (class, words) = verdict_words(answer.verdict);
    let overall = match answer.verdict {
        Verdict::Refused => "Something here will be refused: see below for what and how to fix it.",
        Verdict::Warned => "Everything will be accepted, with warnings worth fixing now.",
        _ => "The rules checked here accept everything.",
    };
    let rules_status = answer.rules.has_rules().then(|| answer.rules.words());
    let policy = match &answer.namespace {
        Some(namespace) => format!(
            "Checked for namespace {namespace}, whose Pod Security is: enforce {}, warn {}.",
            answer.pod_security.enforce, answer.pod_security.warn
        ),
        None => format!(
            "Checked for a namespace as this portal creates it, whose Pod Security is: enforce {}, warn {}.",
            answer.pod_security.enforce, answer.pod_security.warn
        ),
    };
    view! {
        <section aria-labelledby="verdict-title">
            <h2 id="verdict-title">"The answer"</h2>
            <p class=class id="preflight-verdict"><strong>{words}</strong>": "{overall}</p>
            <p class="muted">{policy}</p>
            {rules_status.map(|words| view! { <p class="muted" id="preflight-rules">{words}</p> })}
            <ul class="lints">
                {answer.not_checked.into_iter().map(|line| view! { <li class="notice info">{line}</li> }).collect_view()}
            </ul>
        </section>
        {answer.objects.into_iter().enumerate().map(|(index, object)| view! { <ObjectView object index/> }).collect_view()}
    }
}

#[component]
fn ObjectView(object: ObjectReport, index: usize) -> impl IntoView {
    let (class, words) = verdict_words(object.verdict);
    let title = if object.name.is_empty() {
        object.kind.clone()
    } else {
        format!("{} {}", object.kind, object.name)
    };
    // A Pod meets most of the workload's rules with the same answer: list only what differs.
    let pod_rules: Vec<RuleFinding> = object
        .pod_rules
        .iter()
        .filter(|finding| !object.rules.contains(finding))
        .cloned()
        .collect();
    let heading_id = format!("object-{index}");
    let labelled_by = heading_id.clone();
    let decisions = [
        ("When it is applied", object.object),
        ("For each Pod it creates", object.pods),
    ];
    view! {
        <section class="preflight-object" aria-labelledby=labelled_by>
            <h2 id=heading_id>{title}</h2>
            <p class="muted">{format!("Document {}, line {}", object.document, object.line)}</p>
            <p class=class><strong>{words}</strong>": "{object.summary}</p>
            {object.problem.map(|problem| view! { <pre class="prewrap">{problem}</pre> })}
            {decisions.into_iter().filter_map(|(when, decision)| decision.filter(has_words).map(|d| view! { <DecisionView when decision=d/> })).collect_view()}
            <RulesView when="The cluster's rules, when it is applied" findings=object.rules.clone()/>
            <RulesView when="The cluster's rules, for each Pod it creates, where they say more" findings=pod_rules/>
            <MutationsView when="Changed on its way in by the cluster's mutators" applied=object.mutations/>
            <MutationsView when="Changed in each Pod it creates by the cluster's mutators" applied=object.pod_mutations/>
            <AdviceView advice=object.advice/>
            {object.fix.map(|fix| view! { <FixView fix index/> })}
        </section>
    }
}

fn has_words(decision: &Decision) -> bool {
    decision.denial.is_some() || !decision.warnings.is_empty()
}

/// What the API server would answer, word for word, so it can be matched with what kubectl says.
#[component]
fn DecisionView(when: &'static str, decision: Decision) -> impl IntoView {
    view! {
        <h3>{when}</h3>
        {decision.denial.map(|denial| view! { <p>"Refused with:"</p><pre class="prewrap">{denial}</pre> })}
        {decision.warnings.into_iter().map(|warning| view! { <p>"Warning:"</p><pre class="prewrap">{warning}</pre> }).collect_view()}
    }
}

#[component]
fn FixView(fix: Fix, index: usize) -> impl IntoView {
    let download = crate::features::shared::yaml_download(&fix.manifest);
    let pre_id = format!("fixed-{index}");
    view! {
        <h3>"Fixed"</h3>
        {(!fix.changes.is_empty()).then(|| view! {
            <p>"Changed, nothing the application relies on:"</p>
            <ul>{fix.changes.into_iter().map(|change| view! { <li>{change}</li> }).collect_view()}</ul>
        })}
        {(!fix.needs_human.is_empty()).then(|| view! {
            <p><strong>"Still refused until a person decides:"</strong></p>
            <ul class="needs-human">{fix.needs_human.into_iter().map(|item| view! { <li>{item.reason}</li> }).collect_view()}</ul>
        })}
        {(!fix.rules_left.is_empty()).then(|| view! {
            <p><strong>"The cluster's rules still refuse or warn until you change it yourself:"</strong></p>
            <ul class="needs-human">{fix.rules_left.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
        })}
        {(!fix.diff.is_empty()).then(|| view! {
            <details class="diff">
                <summary>"What changed, as a diff"</summary>
                <pre><code>{fix.diff.lines().map(|line| {
                    let class = match line.as_bytes().first() {
                        Some(b'+') if !line.starts_with("+++") => "add",
                        Some(b'-') if !line.starts_with("---") => "del",
                        _ => "",
                    };
                    view! { <span class=class>{format!("{line}\n")}</span> }
                }).collect_view()}</code></pre>
            </details>
        })}
        <div class="code-block">
            <CopyButton text=fix.manifest.clone() label="Copy the fixed manifest"/>
            <pre id=pre_id><code>{fix.manifest}</code></pre>
        </div>
        <p><a href=download download="fixed.yaml">"Download the fixed manifest"</a></p>
        {fix.network_policy.map(|policy| view! { <NetworkPolicyView policy index/> })}
    }
}

/// The cluster's mutators that change the object (or each of its Pods) before Pod Security and
/// the constraints look, and the field each sets.
#[component]
fn MutationsView(when: &'static str, applied: Vec<AppliedMutation>) -> impl IntoView {
    if applied.is_empty() {
        return ().into_any();
    }
    view! {
        <h3>{when}</h3>
        <ul>
            {applied.into_iter().map(|mutation| view! {
                <li><code>{format!("{}/{}", mutation.kind, mutation.name)}</code>" sets "<code>{mutation.location}</code></li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// What the platform expects where the cluster has no rule about it, and whether the
/// namespace's NetworkPolicies let the Pods talk at all: not admission's words, so apart.
#[component]
fn AdviceView(advice: Vec<Advice>) -> impl IntoView {
    if advice.is_empty() {
        return ().into_any();
    }
    view! {
        <h3>"What the portal adds"</h3>
        <p class="muted">"No rule of this cluster says these; admission will let them pass."</p>
        <ul class="lints">
            {advice.into_iter().map(|advice| view! {
                <li class="notice info">
                    <strong>{advice.message}</strong>" "{advice.reason}" "
                    <a href=format!("/faq/{}", advice.faq)>"Read more"</a>
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// The NetworkPolicy offered for the workload's Pods: what it allows, its YAML, and the way to
/// the generator to widen it.
#[component]
fn NetworkPolicyView(policy: WorkloadPolicy, index: usize) -> impl IntoView {
    let download = crate::features::shared::yaml_download(&policy.yaml);
    let generator = format!(
        "/networkpolicies?{}",
        PolicyForm::from_spec(&policy.spec)
            .to_params()
            .iter()
            .map(|(name, value)| format!("{name}={}", crate::links::query_value(value)))
            .collect::<Vec<_>>()
            .join("&")
    );
    let pre_id = format!("policy-{index}");
    let file = format!("{}.yaml", policy.name);
    view! {
        <h3>"A NetworkPolicy for its Pods"</h3>
        <p>
            "Apply it before the fixed manifest. It is a start: it lets Pods of the same namespace "
            "reach the ports the containers declare and lets the Pods look up names, nothing more. "
            "Open it in the generator to add what the workload really talks to, such as the "
            "ingress controller or a database."
        </p>
        {(!policy.resolves.is_empty()).then(|| view! {
            <p>"Once it exists, the cluster's rules no longer say:"</p>
            <ul>{policy.resolves.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
        })}
        <ul>{policy.explanation.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
        <div class="code-block">
            <CopyButton text=policy.yaml.clone() label="Copy the NetworkPolicy"/>
            <pre id=pre_id><code>{policy.yaml}</code></pre>
        </div>
        <p>
            <a href=download download=file>"Download the NetworkPolicy"</a>
            " · "
            <a href=generator>"Open it in the NetworkPolicy generator"</a>
        </p>
    }
}

/// Each of the cluster's rules that applies, violated ones first: what it does, its own message
/// word for word, why it exists and where to read more. Rules that pass are listed by name.
#[component]
fn RulesView(when: &'static str, findings: Vec<RuleFinding>) -> impl IntoView {
    if findings.is_empty() {
        return ().into_any();
    }
    let (mut violated, rest): (Vec<_>, Vec<_>) =
        findings.into_iter().partition(RuleFinding::violated);
    violated.sort_by_key(|finding| std::cmp::Reverse(finding.action));
    let (passed, not_checked): (Vec<_>, Vec<_>) = rest
        .into_iter()
        .partition(|finding| finding.outcome == RuleOutcome::Passes);
    view! {
        <h3>{when}</h3>
        <ul class="rules">
            {violated.into_iter().map(|finding| {
                let (class, words) = match finding.action {
                    RuleAction::Deny => ("notice error", "Refused by"),
                    RuleAction::Warn => ("notice info", "Warned by"),
                    RuleAction::Dryrun => ("muted", "Recorded in the audit by"),
                };
                let reason = finding.reason();
                let faq = format!("/faq/{}", finding.faq_slug());
                let messages = match &finding.outcome {
                    RuleOutcome::Violated { messages } => messages.clone(),
                    _ => Vec::new(),
                };
                view! {
                    <li class=class data-rule=finding.id.clone()>
                        <strong>{format!("{words} {}", finding.name)}</strong>
                        {format!(" ({}, {})", finding.kind, finding.action.as_str())}
                        {messages.into_iter().map(|message| view! { <pre class="prewrap">{message}</pre> }).collect_view()}
                        {reason.map(|reason| view! { <p>{reason}</p> })}
                        <p><a href=faq>"Why, and what to do"</a></p>
                    </li>
                }
            }).collect_view()}
            {not_checked.into_iter().map(|finding| {
                let reason = match &finding.outcome {
                    RuleOutcome::NotChecked { reason } => reason.clone(),
                    _ => String::new(),
                };
                view! {
                    <li class="notice info" data-rule=finding.id.clone()>
                        <strong>{format!("Not checked: {}", finding.name)}</strong>
                        {format!(" ({}): {reason}", finding.kind)}
                    </li>
                }
            }).collect_view()}
        </ul>
        {(!passed.is_empty()).then(|| {
            let names: Vec<String> = passed.iter().map(|finding| finding.name.clone()).collect();
            view! { <p class="muted">"Passes: "{names.join(", ")}"."</p> }
        })}
    }
    .into_any()
}
