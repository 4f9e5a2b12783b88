//! The preflight answer for a set of manifests: for each object that carries a pod spec, what
//! Pod Security says to creating it, what it says to the Pods the object will create (a
//! Deployment is accepted with a warning while every Pod its ReplicaSet makes is refused), and
//! the manifest with the safe fixes made.
//!
//! Reading the text (YAML or JSON, several documents) is the caller's: this module gets each
//! document as a JSON value with where it starts, so the browser and the server decide alike.

use super::pod_security::{
    Decision, FixOutcome, NamespacePolicy, NeedsHuman, PodObject, WorkloadKind, admit_create,
    fix_for_restricted, pod_object,
};
use crate::domain::networkpolicy::yaml::to_yaml;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One document of the input, as the caller read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// 1-based position among the documents.
    pub number: usize,
    /// 1-based line where the document starts in the text.
    pub line: usize,
    /// The document; `List` objects are opened here.
    pub value: Value,
}

/// What preflight says about one object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectReport {
    /// The document it came from (1-based), and the line the document starts on.
    pub document: usize,
    pub line: usize,
    /// `kind` and `metadata.name` (or `generateName` with `…`), as written.
    pub kind: String,
    pub name: String,
    /// `refused`, `warned`, `accepted`, `not-checked` (a kind without a pod spec), or
    /// `unreadable` (its pod spec does not parse).
    pub verdict: Verdict,
    /// One sentence a developer can act on.
    pub summary: String,
    /// Pod Security's answer to creating the object itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<Decision>,
    /// For a workload, Pod Security's answer to each Pod it will create.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pods: Option<Decision>,
    /// What was wrong with the document when it could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The safe fixes, when the object needs any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

/// How an object fares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// It, or the Pods it creates, will be refused.
    Refused,
    /// Accepted, with warnings.
    Warned,
    /// Accepted without a word.
    Accepted,
    /// A kind Pod Security does not look at.
    NotChecked,
    /// Its pod spec does not parse; the API server would refuse it too.
    Unreadable,
}

/// The object changed to pass `restricted` where a machine may decide that.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fix {
    /// What was changed, one line each.
    pub changes: Vec<String>,
    /// What still fails and needs a person, with the reason.
    pub needs_human: Vec<NeedsHuman>,
    /// The whole manifest with the changes, as YAML.
    pub manifest: String,
}

/// The documents' objects, with `List`s opened (`items` in order), each with the document it
/// came from.
pub fn objects(documents: &[Document]) -> Vec<(&Document, &Value)> {
    let mut out = Vec::new();
    for document in documents {
        let is_list = document
            .value
            .get("kind")
            .and_then(Value::as_str)
            .is_some_and(|kind| kind == "List" || kind.ends_with("List"))
            && document.value.get("items").is_some_and(Value::is_array);
        match document.value.get("items").and_then(Value::as_array) {
            Some(items) if is_list => out.extend(items.iter().map(|item| (document, item))),
            _ => out.push((document, &document.value)),
        }
    }
    out
}

/// The answer for a whole set of manifests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    /// `refused` when any object (or the Pods one creates) will be refused or cannot be read,
    /// else `warned` when any is warned, else `accepted`.
    pub verdict: Verdict,
    /// The Pod Security policy checked against, as the namespace's labels set it.
    pub pod_security: NamespacePolicy,
    pub objects: Vec<ObjectReport>,
    /// Admission rules this answer does not cover: never read as passed.
    pub not_checked: Vec<String>,
}

/// What the answer does not cover yet, in words.
pub const NOT_CHECKED: &str = "Not part of this answer yet: the cluster's Gatekeeper constraints (trusted registries, resource requests, image tags, NetworkPolicy selection and the others), and its mutations, which on Welkin fill in unset securityContext fields of bare Pods before Pod Security looks (a bare Pod refused here may then be admitted; the Pod templates of workloads are never mutated).";

/// `documents` checked against `policy`, with the overall verdict.
pub fn answer(documents: &[Document], policy: NamespacePolicy) -> Answer {
    let objects = check(documents, &policy);
    let any = |verdict| objects.iter().any(|object| object.verdict == verdict);
    let verdict = if any(Verdict::Refused) || any(Verdict::Unreadable) {
        Verdict::Refused
    } else if any(Verdict::Warned) {
        Verdict::Warned
    } else {
        Verdict::Accepted
    };
    Answer {
        verdict,
        pod_security: policy,
        objects,
        not_checked: vec![NOT_CHECKED.to_owned()],
    }
}

/// Every object of `documents` checked against `policy`.
pub fn check(documents: &[Document], policy: &NamespacePolicy) -> Vec<ObjectReport> {
    objects(documents)
        .into_iter()
        .map(|(document, value)| check_object(document, value, policy))
        .collect()
}

fn text_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(value, |value, key| value.get(key))
        .and_then(Value::as_str)
}

fn check_object(document: &Document, value: &Value, policy: &NamespacePolicy) -> ObjectReport {
    let kind = text_at(value, &["kind"]).unwrap_or("").to_owned();
    let name = match (
        text_at(value, &["metadata", "name"]),
        text_at(value, &["metadata", "generateName"]),
    ) {
        (Some(name), _) if !name.is_empty() => name.to_owned(),
        (_, Some(prefix)) => format!("{prefix}…"),
        _ => String::new(),
    };
    let mut report = ObjectReport {
        document: document.number,
        line: document.line,
        kind,
        name,
        verdict: Verdict::NotChecked,
        summary: String::new(),
        object: None,
        pods: None,
        problem: None,
        fix: None,
    };
    let object = match pod_object(value) {
        Ok(Some(object)) => object,
        Ok(None) => {
            report.summary = format!(
                "Pod Security does not look at a {}; nothing to check here.",
                if report.kind.is_empty() {
                    "document without a kind"
                } else {
                    &report.kind
                }
            );
            return report;
        }
        Err(error) => {
            report.verdict = Verdict::Unreadable;
            report.summary =
                "This object cannot be read, so the API server would refuse it as well.".into();
            report.problem = Some(error.to_string());
            return report;
        }
    };

    let decision = admit_create(policy, &object);
    let pods = (object.kind != WorkloadKind::Pod).then(|| admit_create(policy, &as_pod(&object)));
    report.verdict = verdict(&decision, pods.as_ref());
    report.summary = summary(&report, &decision, pods.as_ref(), policy);
    let failing = !decision.violations.is_empty()
        || pods
            .as_ref()
            .is_some_and(|pods| !pods.violations.is_empty());
    if failing {
        report.fix = Some(fix(value, &object));
    }
    report.object = Some(decision);
    report.pods = pods;
    report
}

/// A Pod made from a workload's template, as its controller would create it (named by the API
/// server from a prefix).
fn as_pod(object: &PodObject) -> PodObject {
    let prefix = if object.name.is_empty() {
        object.generate_name.clone().unwrap_or_default()
    } else {
        format!("{}-", object.name)
    };
    PodObject {
        kind: WorkloadKind::Pod,
        name: String::new(),
        generate_name: Some(prefix),
        pod: object.pod.clone(),
    }
}

fn verdict(object: &Decision, pods: Option<&Decision>) -> Verdict {
    if !object.allowed() || pods.is_some_and(|pods| !pods.allowed()) {
        Verdict::Refused
    } else if !object.warnings.is_empty() || pods.is_some_and(|pods| !pods.warnings.is_empty()) {
        Verdict::Warned
    } else {
        Verdict::Accepted
    }
}

fn summary(
    report: &ObjectReport,
    object: &Decision,
    pods: Option<&Decision>,
    policy: &NamespacePolicy,
) -> String {
    let what = if report.name.is_empty() {
        format!("This {}", report.kind)
    } else {
        format!("{} {}", report.kind, report.name)
    };
    let enforce = policy.enforce.level.as_str();
    let warn = policy.warn.level.as_str();
    match (object.allowed(), pods) {
        (false, _) => format!(
            "{what} will be refused: it breaks the namespace's Pod Security level \"{enforce}\"."
        ),
        (true, Some(pods)) if !pods.allowed() => format!(
            "{what} will be accepted, but every Pod it creates will be refused for breaking \
             Pod Security \"{enforce}\": the workload shows no error, and its Pods never start \
             (the reason is only in its ReplicaSet's or Job's events)."
        ),
        _ if report_has_warnings(object, pods) => format!(
            "{what} will be accepted with a warning: it breaks Pod Security \"{warn}\", which \
             this namespace warns about but does not enforce."
        ),
        _ => format!("{what} passes Pod Security here (enforce \"{enforce}\", warn \"{warn}\")."),
    }
}

fn report_has_warnings(object: &Decision, pods: Option<&Decision>) -> bool {
    !object.warnings.is_empty() || pods.is_some_and(|pods| !pods.warnings.is_empty())
}

/// The manifest with the pod spec replaced by its fixed version. Only `spec` is replaced: the
/// fixes never touch the template's metadata, so labels and annotations stay as written.
fn fix(value: &Value, object: &PodObject) -> Fix {
    let FixOutcome {
        pod,
        changes,
        needs_human,
    } = fix_for_restricted(&object.pod);
    let mut fixed = value.clone();
    let template = object
        .kind
        .template_path()
        .iter()
        .try_fold(&mut fixed, |value, key| value.get_mut(*key));
    if let (Some(template), Ok(spec)) = (template, serde_json::to_value(&pod.spec))
        && let Some(map) = template.as_object_mut()
    {
        map.insert("spec".into(), spec);
    }
    Fix {
        changes,
        needs_human,
        manifest: to_yaml(&fixed),
    }
}

#[cfg(test)]
mod tests;
