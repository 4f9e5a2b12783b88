//! The preflight answer for a set of manifests: for each object that carries a pod spec, what
//! Pod Security says to creating it, what it says to the Pods the object will create (a
//! Deployment is accepted with a warning while every Pod its ReplicaSet makes is refused), and
//! the manifest with the safe fixes made.
//!
//! Reading the text (YAML or JSON, several documents) is the caller's: this module gets each
//! document as a JSON value with where it starts, so the browser and the server decide alike.

use super::advice::{Advice, Platform, Policies, advise};
use super::network::{Offer, WorkloadPolicy, add_name_label, workload_policy};
use super::pod_security::{
    Decision, FixOutcome, NamespacePolicy, NeedsHuman, PodObject, WorkloadKind, admit_create,
    fix_for_restricted, pod_object,
};
use super::rules::{AppliedMutation, ClusterRules, NoRules, RuleFinding, RulesStatus, Target};
use super::schema;
use crate::domain::networkpolicy::yaml::to_yaml;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

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
    /// The cluster's rules that apply to creating the object itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleFinding>,
    /// For a workload, the cluster's rules that apply to each Pod it will create.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pod_rules: Vec<RuleFinding>,
    /// The cluster's mutators that change the object on its way in (Pod Security and the
    /// rules above see it changed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mutations: Vec<AppliedMutation>,
    /// For a workload, the mutators that change each Pod it creates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pod_mutations: Vec<AppliedMutation>,
    /// The portal's own advice where the cluster has no rule about a concern (registry, tag,
    /// requests), and on the NetworkPolicies that select its Pods: admission will not say it,
    /// and it does not change the verdict.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub advice: Vec<Advice>,
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
    /// What still fails Pod Security and needs a person, with the reason.
    pub needs_human: Vec<NeedsHuman>,
    /// The cluster's rules the fixed manifest still breaks (`[constraint] message`): what a
    /// person must change, such as an image's registry or tag.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules_left: Vec<String>,
    /// The whole manifest with the changes, as YAML.
    pub manifest: String,
    /// The changes as a unified diff, from the object as pasted (written as YAML the same way,
    /// so only what changed shows) to `manifest`; empty when nothing changed.
    #[serde(default)]
    pub diff: String,
    /// A NetworkPolicy for the workload's Pods, from the generator: apply it before the fixed
    /// manifest (`rules_left` is what the cluster still says once both exist).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_policy: Option<WorkloadPolicy>,
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
    /// The namespace checked for; `None`: a namespace as the portal creates it (or, with a
    /// caller's labels, an unnamed one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The Pod Security policy checked against, as the namespace's labels set it.
    pub pod_security: NamespacePolicy,
    /// How far the cluster's own rules (Gatekeeper) could be read for this answer.
    pub rules: RulesStatus,
    pub objects: Vec<ObjectReport>,
    /// Admission rules this answer does not cover: never read as passed.
    pub not_checked: Vec<String>,
}

/// What the answer does not cover when the cluster's rules are not read.
pub const NOT_CHECKED: &str = "Not part of this answer: the cluster's mutations, which on Welkin fill in unset securityContext fields of Pods before Pod Security looks (a Pod refused here may then be admitted; the Pod templates of workloads are not changed).";

/// `documents` checked against `policy` alone, as without a cluster.
pub fn answer(documents: &[Document], policy: NamespacePolicy) -> Answer {
    answer_with(
        documents,
        policy,
        &NoRules,
        Target::default(),
        &Platform::default(),
    )
}

/// `documents` checked against `policy` and the cluster's `rules`, for creating them in
/// `target` (an object's own `metadata.namespace` wins), with the overall verdict and the
/// advice of what the portal knows of the `platform`.
pub fn answer_with(
    documents: &[Document],
    policy: NamespacePolicy,
    rules: &dyn ClusterRules,
    target: Target<'_>,
    platform: &Platform,
) -> Answer {
    // The same object meets the rules several times (as pasted, for its fix, each candidate
    // change of the fix, and a workload's unchanged Pod with each): ask once per object.
    let memo = Memo::new(rules);
    let rules: &dyn ClusterRules = &memo;
    let mut mutation_notes = Vec::new();
    let objects: Vec<ObjectReport> = objects(documents)
        .into_iter()
        .map(|(document, value)| {
            let (report, notes) = check_object(document, value, &policy, rules, target, platform);
            mutation_notes.extend(notes);
            report
        })
        .collect();
    let any = |verdict| objects.iter().any(|object| object.verdict == verdict);
    let verdict = if any(Verdict::Refused) || any(Verdict::Unreadable) {
        Verdict::Refused
    } else if any(Verdict::Warned) {
        Verdict::Warned
    } else {
        Verdict::Accepted
    };
    let status = rules.status();
    let mut not_checked = Vec::new();
    if !status.has_rules() {
        not_checked.push(status.words());
    }
    // Read rules include the mutators; a cluster without Gatekeeper has none.
    if matches!(status, RulesStatus::NoCluster | RulesStatus::Starting) {
        not_checked.push(NOT_CHECKED.to_owned());
    }
    for problem in rules.unreadable() {
        not_checked.push(format!(
            "A rule of the cluster that the portal cannot read, so not checked: {problem}."
        ));
    }
    let rules_not_checked: Vec<String> = objects
        .iter()
        .flat_map(|object| object.rules.iter().chain(&object.pod_rules))
        .filter_map(|finding| match &finding.outcome {
            super::rules::RuleOutcome::NotChecked { reason } => {
                Some(format!("The constraint {} ({}) could not be checked here: {reason}. Its answer is unknown, not passed.", finding.name, finding.kind))
            }
            _ => None,
        })
        .collect();
    for line in rules_not_checked.into_iter().chain(mutation_notes) {
        if !not_checked.contains(&line) {
            not_checked.push(line);
        }
    }
    Answer {
        verdict,
        namespace: target.namespace.map(str::to_owned),
        pod_security: policy,
        rules: status,
        objects,
        not_checked,
    }
}

/// The cluster's rules, each object's findings kept for the rest of one answer: the rules are a
/// pure function of the object and where it goes, and evaluating them is the answer's main cost.
struct Memo<'a> {
    rules: &'a dyn ClusterRules,
    checked: std::cell::RefCell<std::collections::HashMap<MemoKey, Vec<RuleFinding>>>,
}

/// An object as JSON text, and the namespace it is checked for (the labels are the answer's
/// target's, the same for every object of one answer).
type MemoKey = (String, Option<String>);

impl<'a> Memo<'a> {
    fn new(rules: &'a dyn ClusterRules) -> Self {
        Self {
            rules,
            checked: Default::default(),
        }
    }
}

impl ClusterRules for Memo<'_> {
    fn mutate(&self, object: &Value, target: Target<'_>) -> super::rules::Mutated {
        self.rules.mutate(object, target)
    }

    fn check(&self, object: &Value, target: Target<'_>) -> Vec<RuleFinding> {
        let key = (
            object.to_string(),
            target.for_object(object).namespace.map(str::to_owned),
        );
        if let Some(found) = self.checked.borrow().get(&key) {
            return found.clone();
        }
        let found = self.rules.check(object, target);
        self.checked.borrow_mut().insert(key, found.clone());
        found
    }

    fn status(&self) -> RulesStatus {
        self.rules.status()
    }

    fn unreadable(&self) -> Vec<String> {
        self.rules.unreadable()
    }

    fn with_objects(&self, objects: &[Value]) -> Option<Box<dyn ClusterRules>> {
        self.rules.with_objects(objects)
    }

    fn networkpolicies(
        &self,
        namespace: &str,
    ) -> Option<Vec<k8s_openapi::api::networking::v1::NetworkPolicy>> {
        self.rules.networkpolicies(namespace)
    }
}

/// Every object of `documents` checked against `policy` alone.
pub fn check(documents: &[Document], policy: &NamespacePolicy) -> Vec<ObjectReport> {
    objects(documents)
        .into_iter()
        .map(|(document, value)| {
            check_object(
                document,
                value,
                policy,
                &NoRules,
                Target::default(),
                &Platform::default(),
            )
            .0
        })
        .collect()
}

fn text_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(value, |value, key| value.get(key))
        .and_then(Value::as_str)
}

fn check_object(
    document: &Document,
    value: &Value,
    policy: &NamespacePolicy,
    rules: &dyn ClusterRules,
    target: Target<'_>,
    platform: &Platform,
) -> (ObjectReport, Vec<String>) {
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
        rules: Vec::new(),
        pod_rules: Vec::new(),
        mutations: Vec::new(),
        pod_mutations: Vec::new(),
        advice: Vec::new(),
        problem: None,
        fix: None,
    };
    // Gatekeeper's mutating webhook runs first: Pod Security and the constraints see the
    // object as the mutators leave it.
    let mutated = rules.mutate(value, target);
    let mut notes = mutated.not_checked;
    report.mutations = mutated.applied;
    let admitted = mutated.object.as_ref().unwrap_or(value);
    // The API server decodes the body before any webhook sees it.
    let object = match pod_object(value).and_then(|object| schema::read(value).map(|()| object)) {
        Ok(Some(object)) => object,
        Ok(None) => {
            // Pod Security does not look at it, but the cluster's rules may (a Service, a
            // PodDisruptionBudget).
            report.rules = rules.check(admitted, target);
            let what = if report.kind.is_empty() {
                "document without a kind".to_owned()
            } else {
                report.kind.clone()
            };
            report.verdict = rules_verdict(&report.rules, &[]);
            report.summary = match report.verdict {
                Verdict::NotChecked if report.rules.is_empty() => format!(
                    "Pod Security does not look at a {what}, and none of the cluster's rules \
                     checked here applies to it."
                ),
                _ => rules_summary(&subject(&report), &report.rules, &[])
                    .unwrap_or_else(|| format!("{} passes the cluster's rules.", subject(&report))),
            };
            report.fix = rules_fix(value, rules, target);
            return (report, notes);
        }
        Err(error) => {
            report.verdict = Verdict::Unreadable;
            report.summary =
                "This object cannot be read, so the API server would refuse it as well.".into();
            report.problem = Some(error.to_string());
            // The API server refuses it before any webhook sees it.
            report.mutations.clear();
            return (report, Vec::new());
        }
    };
    // What Pod Security sees: the object as mutated (a mutator may make it unreadable, which
    // Gatekeeper would not let happen; then as pasted).
    let seen = as_mutated(mutated.object.as_ref(), &object);
    let decision = admit_create(policy, &seen);
    report.rules = rules.check(admitted, target);
    let mut pods = None;
    let mut pods_as_made = None;
    if object.kind != WorkloadKind::Pod {
        // The controller makes each Pod from the (possibly mutated) workload's template; the
        // mutators then see that Pod on its own way in.
        let pod = pod_value(admitted, object.kind);
        let pod_mutated = pod
            .as_ref()
            .map(|pod| rules.mutate(pod, target))
            .unwrap_or_default();
        notes.extend(pod_mutated.not_checked);
        report.pod_mutations = pod_mutated.applied;
        let made = as_pod(&seen);
        let pod_seen = as_mutated(pod_mutated.object.as_ref(), &made);
        pods = Some(admit_create(policy, &pod_seen));
        if pod_mutated.object.is_some() {
            pods_as_made = Some(admit_create(policy, &made));
        }
        let checked_pod = pod_mutated.object.or(pod);
        report.pod_rules = checked_pod
            .map(|pod| rules.check(&pod, target))
            .unwrap_or_default();
    }
    let findings: Vec<RuleFinding> = report
        .rules
        .iter()
        .chain(&report.pod_rules)
        .cloned()
        .collect();
    let namespace = target.for_object(value).namespace;
    let policies = namespace.and_then(|namespace| {
        rules
            .networkpolicies(namespace)
            .map(|policies| (namespace, policies))
    });
    report.advice = advise(
        value,
        object.kind,
        &findings,
        platform,
        policies.as_ref().map(|(namespace, policies)| Policies {
            namespace,
            policies,
        }),
    );
    // A verdict that holds only because of a mutation is said so.
    let mut thanks_to_mutation = Vec::new();
    if mutated.object.is_some() && decision.allowed() && !admit_create(policy, &object).allowed() {
        thanks_to_mutation.push(format!(
            "Pod Security admits it only because the cluster's mutators change it first ({}); as pasted it breaks \"{}\".",
            mutation_names(&report.mutations),
            policy.enforce.level.as_str()
        ));
    }
    if let (Some(pods), Some(as_made)) = (&pods, &pods_as_made)
        && pods.allowed()
        && !as_made.allowed()
    {
        thanks_to_mutation.push(format!(
            "Its Pods are admitted only because the cluster's mutators change each one first ({}); as the template stands they break \"{}\".",
            mutation_names(&report.pod_mutations),
            policy.enforce.level.as_str()
        ));
    }
    let pod_security = verdict(&decision, pods.as_ref());
    let cluster = rules_verdict(&report.rules, &report.pod_rules);
    report.verdict = worst(pod_security, cluster);
    let what = subject(&report);
    let cluster_words = rules_summary(&what, &report.rules, &report.pod_rules);
    let refused_by_rules = report.rules.iter().any(RuleFinding::refuses);
    report.summary = match cluster_words {
        None => summary(&what, &decision, pods.as_ref(), policy),
        // The rules passed or objected: their words say it all. (Rules that could not be
        // checked say nothing of Pod Security's answer, which then comes first.)
        Some(words) if pod_security == Verdict::Accepted && cluster != Verdict::NotChecked => words,
        // The object itself is refused by a rule: Pod Security's part follows as "also", so the
        // answer never says "will be accepted" first.
        Some(words) if refused_by_rules && decision.allowed() => {
            let enforce = policy.enforce.level.as_str();
            let also = if pods.as_ref().is_some_and(|pods| !pods.allowed()) {
                format!(
                    "Once that is fixed, every Pod it creates would still be refused for breaking Pod Security \"{enforce}\"."
                )
            } else {
                format!(
                    "It also breaks Pod Security \"{}\", which this namespace warns about.",
                    policy.warn.level.as_str()
                )
            };
            format!("{words} {also}")
        }
        Some(words) => format!(
            "{} {words}",
            summary(&what, &decision, pods.as_ref(), policy)
        ),
    };
    let pod_security_failing = !decision.violations.is_empty()
        || pods
            .as_ref()
            .is_some_and(|pods| !pods.violations.is_empty());
    let failing = pod_security_failing
        || report
            .rules
            .iter()
            .chain(&report.pod_rules)
            .any(|finding| finding.refuses() || finding.warns());
    if failing {
        let found: Vec<RuleFinding> = report
            .rules
            .iter()
            .chain(&report.pod_rules)
            .cloned()
            .collect();
        report.fix = Some(fix(
            value,
            &object,
            pod_security_failing,
            &found,
            rules,
            target,
        ));
    }
    if !thanks_to_mutation.is_empty() {
        report.summary = format!("{} {}", report.summary, thanks_to_mutation.join(" "));
    }
    report.object = Some(decision);
    report.pods = pods;
    (report, notes)
}

/// What Pod Security sees: `changed` (the object as mutated) when there is one and it reads,
/// else `unchanged`.
fn as_mutated(changed: Option<&Value>, unchanged: &PodObject) -> PodObject {
    changed
        .and_then(|changed| pod_object(changed).ok().flatten())
        .unwrap_or_else(|| unchanged.clone())
}

/// `Assign/run-as-non-root and ModifySet/drop-all`, for a sentence.
fn mutation_names(applied: &[AppliedMutation]) -> String {
    let names: Vec<String> = applied
        .iter()
        .map(|mutation| format!("{}/{}", mutation.kind, mutation.name))
        .collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// `Deployment shop`, or `This Deployment` without a name.
fn subject(report: &ObjectReport) -> String {
    if report.name.is_empty() {
        format!("This {}", report.kind)
    } else {
        format!("{} {}", report.kind, report.name)
    }
}

/// The worse of two verdicts.
fn worst(a: Verdict, b: Verdict) -> Verdict {
    let rank = |verdict| match verdict {
        Verdict::Unreadable | Verdict::Refused => 3,
        Verdict::Warned => 2,
        Verdict::Accepted => 1,
        Verdict::NotChecked => 0,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// What the cluster's rules add up to: refused, warned, accepted, or not checked when none
/// applies.
fn rules_verdict(object: &[RuleFinding], pods: &[RuleFinding]) -> Verdict {
    let all = || object.iter().chain(pods);
    if all().any(RuleFinding::refuses) {
        Verdict::Refused
    } else if all().any(RuleFinding::warns) {
        Verdict::Warned
    } else if all().all(RuleFinding::not_checked) {
        // No rule applies, or none that does could be checked here: never "accepted" for it.
        Verdict::NotChecked
    } else {
        Verdict::Accepted
    }
}

/// One sentence on what the cluster's rules say, or `None` when they say nothing.
fn rules_summary(what: &str, object: &[RuleFinding], pods: &[RuleFinding]) -> Option<String> {
    fn names(findings: &[RuleFinding], pick: fn(&RuleFinding) -> bool) -> Vec<&str> {
        let mut names: Vec<&str> = findings
            .iter()
            .filter(|finding| pick(finding))
            .map(|finding| finding.name.as_str())
            .collect();
        names.dedup();
        names
    }
    let list = |names: &[&str]| {
        let quoted: Vec<String> = names.iter().map(|name| format!("\"{name}\"")).collect();
        match quoted.as_slice() {
            [one] => format!("the cluster's rule {one}"),
            [init @ .., last] => format!("the cluster's rules {} and {last}", init.join(", ")),
            [] => String::new(),
        }
    };
    let refused = names(object, RuleFinding::refuses);
    let pods_refused: Vec<&str> = names(pods, RuleFinding::refuses)
        .into_iter()
        .filter(|name| !refused.contains(name))
        .collect();
    // The rules `pick` finds for the object or its Pods, each once.
    let on_either = |pick: fn(&RuleFinding) -> bool| -> Vec<&str> {
        let mut all = names(object, pick);
        for name in names(pods, pick) {
            if !all.contains(&name) {
                all.push(name);
            }
        }
        all
    };
    let warned = on_either(RuleFinding::warns);
    let mut sentences = Vec::new();
    if !refused.is_empty() {
        sentences.push(format!("{what} will be refused by {}.", list(&refused)));
    }
    if !pods_refused.is_empty() {
        sentences.push(format!(
            "Every Pod it creates will be refused by {}, while the workload itself shows no error.",
            list(&pods_refused)
        ));
    }
    if !warned.is_empty() {
        sentences.push(format!(
            "{} warn{} about it: accepted, but worth fixing now.",
            capitalise(&list(&warned)),
            if warned.len() == 1 { "s" } else { "" }
        ));
    }
    let unknown = on_either(RuleFinding::not_checked);
    if !unknown.is_empty() {
        sentences.push(format!(
            "{} could not be checked here, so what {} about it is not known.",
            capitalise(&list(&unknown)),
            if unknown.len() == 1 {
                "it says"
            } else {
                "they say"
            }
        ));
    }
    (!sentences.is_empty()).then(|| sentences.join(" "))
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The Pod a workload's controller would create from its template, as JSON: the template's
/// labels and annotations, a generated name, the workload's namespace.
fn pod_value(value: &Value, kind: WorkloadKind) -> Option<Value> {
    let template = kind.template_in(value)?;
    let mut metadata = template
        .get("metadata")
        .cloned()
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    let prefix = match text_at(value, &["metadata", "name"]) {
        Some(name) if !name.is_empty() => format!("{name}-"),
        _ => text_at(value, &["metadata", "generateName"])
            .unwrap_or_default()
            .to_owned(),
    };
    metadata["generateName"] = json!(prefix);
    if let Some(namespace) = text_at(value, &["metadata", "namespace"]) {
        metadata["namespace"] = json!(namespace);
    }
    Some(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": template.get("spec").cloned().unwrap_or_else(|| json!({})),
    }))
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
    what: &str,
    object: &Decision,
    pods: Option<&Decision>,
    policy: &NamespacePolicy,
) -> String {
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

/// The violations the cluster's rules find in `value` and the Pods it creates, as admission
/// would print them (deny and warn only: dryrun says nothing at admission).
fn admission_lines(
    value: &Value,
    kind: WorkloadKind,
    rules: &dyn ClusterRules,
    target: Target<'_>,
) -> Vec<String> {
    let mutated = rules.mutate(value, target).object;
    let value = mutated.as_ref().unwrap_or(value);
    let mut findings = rules.check(value, target);
    if kind != WorkloadKind::Pod
        && let Some(pod) = pod_value(value, kind)
    {
        let pod = rules.mutate(&pod, target).object.unwrap_or(pod);
        findings.extend(rules.check(&pod, target));
    }
    lines_of(findings)
}

/// The admission lines of `findings` (deny and warn), each once.
fn lines_of(findings: Vec<RuleFinding>) -> Vec<String> {
    let mut lines = Vec::new();
    for finding in findings {
        if !(finding.refuses() || finding.warns()) {
            continue;
        }
        if let super::rules::RuleOutcome::Violated { messages } = finding.outcome {
            for message in messages {
                if !lines.contains(&message) {
                    lines.push(message);
                }
            }
        }
    }
    lines
}

/// The manifest with the safe fixes made: the pod spec made to pass `restricted` (when it does
/// not) and the Pods given a label when they have none; then each change of [`CANDIDATES`] kept
/// where it makes one of the cluster's rules pass; and a NetworkPolicy for the Pods. Only `spec`
/// of the pod template is replaced, so labels and annotations stay as written. What the
/// cluster's rules still find afterwards is listed for a person.
fn fix(
    value: &Value,
    object: &PodObject,
    pod_security_failing: bool,
    found: &[RuleFinding],
    rules: &dyn ClusterRules,
    target: Target<'_>,
) -> Fix {
    let mut fixed = value.clone();
    let (mut changes, needs_human) = if pod_security_failing {
        let FixOutcome {
            pod,
            changes,
            needs_human,
        } = fix_for_restricted(&object.pod);
        let template = object.kind.template_in_mut(&mut fixed);
        if let (Some(template), Ok(spec)) = (template, serde_json::to_value(&pod.spec))
            && let Some(map) = template.as_object_mut()
        {
            map.insert("spec".into(), spec);
        }
        (changes, needs_human)
    } else {
        (Vec::new(), Vec::new())
    };
    let labelled = add_name_label(&mut fixed, object.kind, &object.name);
    if let Some(label) = &labelled {
        changes.push(format!(
            "Its Pods labelled {label}, so that a NetworkPolicy can select them."
        ));
    }
    // Unchanged so far, the object gets the rules' answer it already had.
    let mut left = if pod_security_failing || labelled.is_some() {
        admission_lines(&fixed, object.kind, rules, target)
    } else {
        lines_of(found.to_vec())
    };
    for candidate in CANDIDATES {
        if left.is_empty() {
            break;
        }
        let mut changed = fixed.clone();
        let made = candidate(&mut changed, object.kind);
        if made.is_empty() {
            continue;
        }
        let after = admission_lines(&changed, object.kind, rules, target);
        if after.len() < left.len() {
            fixed = changed;
            changes.extend(made);
            left = after;
        }
    }
    let namespace = target.for_object(value).namespace;
    let offer = workload_policy(&fixed, object.kind, &object.name, namespace);
    let (mut network_policy, policy_object) = match offer {
        Some(Offer { policy, object }) => (Some(policy), object),
        None => (None, None),
    };
    if let Some(policy) = network_policy.as_mut()
        && !left.is_empty()
        && let Some(with_policy) = policy_object.and_then(|made| rules.with_objects(&[made]))
    {
        let after = admission_lines(&fixed, object.kind, with_policy.as_ref(), target);
        policy.resolves = left
            .iter()
            .filter(|line| !after.contains(line))
            .cloned()
            .collect();
        left = after;
    }
    let manifest = to_yaml(&fixed);
    Fix {
        changes,
        needs_human,
        rules_left: left,
        diff: diff(&to_yaml(value), &manifest),
        manifest,
        network_policy,
    }
}

/// A change a fix may make to a workload: what it changed, one line each (none: nothing to
/// change). A fix keeps it only where the cluster's rules then say less.
type Candidate = fn(&mut Value, WorkloadKind) -> Vec<String>;

/// The changes tried, in order: requests, then replicas.
const CANDIDATES: [Candidate; 2] = [add_requests, add_replicas];

/// The fix for an object without a pod spec that one of the cluster's rules refuses or warns
/// about: a PodDisruptionBudget that allows no disruption made to allow one, kept where the
/// rules then say less. `None` when nothing here would change what they say.
fn rules_fix(value: &Value, rules: &dyn ClusterRules, target: Target<'_>) -> Option<Fix> {
    let check = |object: &Value| {
        let mutated = rules.mutate(object, target).object;
        lines_of(rules.check(mutated.as_ref().unwrap_or(object), target))
    };
    let before = check(value);
    if before.is_empty() {
        return None;
    }
    let mut fixed = value.clone();
    let changes = allow_one_disruption(&mut fixed);
    if changes.is_empty() {
        return None;
    }
    let left = check(&fixed);
    if left.len() >= before.len() {
        return None;
    }
    let manifest = to_yaml(&fixed);
    Some(Fix {
        changes,
        needs_human: Vec::new(),
        rules_left: left,
        diff: diff(&to_yaml(value), &manifest),
        manifest,
        network_policy: None,
    })
}

/// A PodDisruptionBudget whose `maxUnavailable` is 0 (or `0%`), or whose `minAvailable` is
/// `100%`, blocks every node drain: it becomes `maxUnavailable: 1`.
fn allow_one_disruption(value: &mut Value) -> Vec<String> {
    if text_at(value, &["kind"]) != Some("PodDisruptionBudget") {
        return Vec::new();
    }
    let Some(spec) = value.get_mut("spec").and_then(Value::as_object_mut) else {
        return Vec::new();
    };
    let zero = |value: Option<&Value>| {
        value.is_some_and(|value| value.as_i64() == Some(0) || value.as_str() == Some("0%"))
    };
    let all = spec
        .get("minAvailable")
        .is_some_and(|value| value.as_str() == Some("100%"));
    if !zero(spec.get("maxUnavailable")) && !all {
        return Vec::new();
    }
    spec.remove("minAvailable");
    spec.insert("maxUnavailable".into(), json!(1));
    vec![
        "maxUnavailable set to 1: a node drain may then move one Pod at a time, instead of waiting forever.".into(),
    ]
}

/// A Deployment, ReplicaSet or StatefulSet with fewer than two replicas (one when unset) gets
/// two, so that a node drain leaves one running.
fn add_replicas(value: &mut Value, kind: WorkloadKind) -> Vec<String> {
    if !matches!(
        kind,
        WorkloadKind::Deployment | WorkloadKind::ReplicaSet | WorkloadKind::StatefulSet
    ) {
        return Vec::new();
    }
    let Some(spec) = value.get_mut("spec").and_then(Value::as_object_mut) else {
        return Vec::new();
    };
    let replicas = spec.get("replicas").map_or(Some(1), Value::as_i64);
    match replicas {
        Some(count) if count < 2 => {
            spec.insert("replicas".into(), json!(2));
            vec![format!(
                "replicas {count} raised to 2, so that a node drain leaves one Pod serving."
            )]
        }
        _ => Vec::new(),
    }
}

/// `before` to `after` as a unified diff with three lines of context.
fn diff(before: &str, after: &str) -> String {
    if before == after {
        return String::new();
    }
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header("pasted", "fixed")
        .to_string()
}

/// The CPU and memory requests a starting point needs: the container's limit where it has one
/// (what the API server would copy), else a small default.
const DEFAULT_REQUESTS: [(&str, &str); 2] = [("cpu", "100m"), ("memory", "128Mi")];

/// Adds missing CPU and memory requests to every container of the pod template; what was added,
/// one line per container.
fn add_requests(value: &mut Value, kind: WorkloadKind) -> Vec<String> {
    let Some(spec) = kind.pod_spec_in_mut(value) else {
        return Vec::new();
    };
    let mut changes = Vec::new();
    for list in ["initContainers", "containers"] {
        let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) else {
            continue;
        };
        for container in containers {
            let name = container["name"].as_str().unwrap_or_default().to_owned();
            let limits = container
                .pointer("/resources/limits")
                .cloned()
                .unwrap_or(Value::Null);
            let mut added = Vec::new();
            for (resource, default) in DEFAULT_REQUESTS {
                if container
                    .pointer(&format!("/resources/requests/{resource}"))
                    .is_some_and(|value| !value.is_null())
                {
                    continue;
                }
                let quantity = limits
                    .get(resource)
                    .cloned()
                    .unwrap_or_else(|| json!(default));
                if !container["resources"].is_object() {
                    container["resources"] = json!({});
                }
                if !container["resources"]["requests"].is_object() {
                    container["resources"]["requests"] = json!({});
                }
                added.push(format!(
                    "{resource} {}",
                    quantity
                        .as_str()
                        .map_or_else(|| quantity.to_string(), str::to_owned)
                ));
                container["resources"]["requests"][resource] = quantity;
            }
            if !added.is_empty() {
                changes.push(format!(
                    "Container \"{name}\": requests {} added, a starting point: set what it really uses.",
                    added.join(" and ")
                ));
            }
        }
    }
    changes
}

#[cfg(test)]
mod tests;
