//! The check page's question in a developer's terms: "can my frontend reach the API on 8080?",
//! "can the ingress controller reach my web Pods?", "can this Pod look up names?".
//!
//! A [`CheckForm`] is the form as typed; [`CheckForm::question`] reads it into a [`Question`]
//! (every problem at its field); [`ask`] decides it over one namespace's objects
//! ([`NamespaceObjects`]) and what a what-if adds ([`what_if_policies`]), and returns what the
//! page shows ([`Checked`]): the engine's answer and explanation, the rules that decide quoted
//! from their YAML, and, when something denies, the smallest policies that would allow it.
//!
//! # The platform's ends
//!
//! The ingress controller and the cluster DNS are Pods of namespaces the platform runs, which a
//! developer may not read. They are represented by a Pod with their well-known labels in their
//! namespace: that is all a developer's policies can select them by. Their own policies are the
//! platform's, so their side of the connection is reported as not checked, never as open.

use std::collections::BTreeMap;
use std::net::IpAddr;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::evaluate::TrafficModel;
use super::explain::{Explanation, explain};
use super::model::{
    Answer, Connection, ConnectionError, ContainerPort, Decision, Destination, Direction,
    NAMESPACE_NAME_LABEL, NamespaceInfo, PodInfo, PodRef, PolicyRef, Port, Protocol, RuleRef,
    Source,
};
use super::suggest::{Suggestion, suggest};
use crate::domain::networkpolicy::LintConfig;
use crate::domain::networkpolicy::manifest::{
    DNS_NAMESPACE, DNS_POD_LABEL_KEY, DNS_POD_LABEL_VALUE, DNS_PORT,
};
use crate::domain::networkpolicy::names::{label_key_errors, label_value_error, port_name_error};
use crate::domain::networkpolicy::yaml::to_yaml;

/// The labels of the ingress-nginx controller's Pods, as its Helm chart (and Welkin) sets them.
pub const INGRESS_CONTROLLER_LABELS: [(&str, &str); 2] = [
    ("app.kubernetes.io/name", "ingress-nginx"),
    ("app.kubernetes.io/component", "controller"),
];

/// The name the check gives the ingress controller's Pod.
pub const INGRESS_CONTROLLER_POD: &str = "the ingress controller";
/// The name the check gives the cluster DNS's Pod.
pub const DNS_POD: &str = "the cluster DNS";

/// More what-if policies than this are refused: a what-if is one change, not a cluster.
pub const MAX_WHAT_IF_POLICIES: usize = 20;

/// One end of the connection, as the form offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum End {
    /// A Pod of the namespace, by name.
    Pod { name: String },
    /// A Pod of the namespace that carries these labels (one that does not run yet, say).
    Labels { labels: BTreeMap<String, String> },
    /// The platform's ingress controller (only as a source).
    IngressController,
    /// The cluster DNS (only as a destination).
    Dns,
    /// Somewhere outside the cluster, address unknown.
    Internet,
    /// An address that is not a Pod's.
    Ip { address: IpAddr },
}

impl End {
    /// Whether this end is a Pod of the namespace asked in.
    fn is_own_pod(&self) -> bool {
        matches!(self, Self::Pod { .. } | Self::Labels { .. })
    }

    /// Whether this end is a Pod the platform runs.
    fn is_platform(&self) -> bool {
        matches!(self, Self::IngressController | Self::Dns)
    }
}

/// A question ready to ask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Question {
    pub namespace: String,
    pub from: End,
    pub to: End,
    pub protocol: Protocol,
    pub port: Port,
}

/// The form's fields, by the names they are submitted with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CheckField {
    Namespace,
    From,
    FromLabels,
    FromIp,
    To,
    ToLabels,
    ToIp,
    Protocol,
    Port,
    WhatIf,
}

impl CheckField {
    /// The query parameter.
    pub fn name(self) -> &'static str {
        match self {
            Self::Namespace => "ns",
            Self::From => "from",
            Self::FromLabels => "from_labels",
            Self::FromIp => "from_ip",
            Self::To => "to",
            Self::ToLabels => "to_labels",
            Self::ToIp => "to_ip",
            Self::Protocol => "protocol",
            Self::Port => "port",
            Self::WhatIf => "whatif",
        }
    }
}

/// What is wrong with one field, in words to show beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    pub field: CheckField,
    pub message: String,
}

impl FieldProblem {
    fn new(field: CheckField, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// The form as typed; every field a string, so nothing typed is lost.
///
/// `from` and `to` are a choice: `pod:NAME`, `labels` (then `from_labels`/`to_labels`),
/// `ingress-controller` (source only), `dns` (destination only), `internet`, or `ip` (then
/// `from_ip`/`to_ip`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckForm {
    pub namespace: String,
    pub from: String,
    pub from_labels: String,
    pub from_ip: String,
    pub to: String,
    pub to_labels: String,
    pub to_ip: String,
    pub protocol: String,
    pub port: String,
    /// NetworkPolicies to add (or replace, by name) for a what-if; empty: none.
    pub what_if: String,
}

/// The form's `from` value for a Pod.
pub fn pod_choice(name: &str) -> String {
    format!("pod:{name}")
}

impl CheckForm {
    /// The form as a query string gives it; `None` unless it was submitted (it has `from`).
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> Option<Self> {
        let field = |field: CheckField| get(field.name()).unwrap_or_default();
        get(CheckField::From.name())?;
        Some(Self {
            namespace: field(CheckField::Namespace),
            from: field(CheckField::From),
            from_labels: field(CheckField::FromLabels),
            from_ip: field(CheckField::FromIp),
            to: field(CheckField::To),
            to_labels: field(CheckField::ToLabels),
            to_ip: field(CheckField::ToIp),
            protocol: field(CheckField::Protocol),
            port: field(CheckField::Port),
            what_if: field(CheckField::WhatIf),
        })
    }

    /// The query parameters that give this form back (empty ones left out).
    pub fn to_params(&self) -> Vec<(&'static str, String)> {
        [
            (CheckField::Namespace, &self.namespace),
            (CheckField::From, &self.from),
            (CheckField::FromLabels, &self.from_labels),
            (CheckField::FromIp, &self.from_ip),
            (CheckField::To, &self.to),
            (CheckField::ToLabels, &self.to_labels),
            (CheckField::ToIp, &self.to_ip),
            (CheckField::Protocol, &self.protocol),
            (CheckField::Port, &self.port),
            (CheckField::WhatIf, &self.what_if),
        ]
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(field, value)| (field.name(), value.clone()))
        .collect()
    }

    /// The question the form asks in `namespace` (whose Pods are `pods`), or every problem at
    /// its field.
    pub fn question(
        &self,
        namespace: &str,
        pods: &[PodInfo],
    ) -> Result<Question, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let from = read_end(
            &self.from,
            &self.from_labels,
            &self.from_ip,
            Side::From,
            pods,
            &mut problems,
        );
        let to = read_end(
            &self.to,
            &self.to_labels,
            &self.to_ip,
            Side::To,
            pods,
            &mut problems,
        );
        if let (Some(from), Some(to)) = (&from, &to)
            && !from.is_own_pod()
            && !to.is_own_pod()
        {
            problems.push(FieldProblem::new(
                CheckField::To,
                format!(
                    "one end must be a Pod of {namespace}: NetworkPolicies act only on Pods, and this check reads the policies of {namespace}"
                ),
            ));
        }
        let protocol = match self.protocol.trim().to_ascii_uppercase().as_str() {
            "" | "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            other => {
                problems.push(FieldProblem::new(
                    CheckField::Protocol,
                    format!(
                        "{other:?} is not a protocol NetworkPolicies know: choose TCP, UDP or SCTP"
                    ),
                ));
                None
            }
        };
        let port = read_port(&self.port, &mut problems);
        match (from, to, protocol, port) {
            (Some(from), Some(to), Some(protocol), Some(port)) if problems.is_empty() => {
                Ok(Question {
                    namespace: namespace.to_owned(),
                    from,
                    to,
                    protocol,
                    port,
                })
            }
            _ => Err(problems),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    From,
    To,
}

fn read_end(
    choice: &str,
    labels: &str,
    address: &str,
    side: Side,
    pods: &[PodInfo],
    problems: &mut Vec<FieldProblem>,
) -> Option<End> {
    let (field, labels_field, ip_field) = match side {
        Side::From => (CheckField::From, CheckField::FromLabels, CheckField::FromIp),
        Side::To => (CheckField::To, CheckField::ToLabels, CheckField::ToIp),
    };
    let choice = choice.trim();
    if let Some(name) = choice.strip_prefix("pod:") {
        let name = name.trim();
        if pods.iter().any(|pod| pod.name == name) {
            return Some(End::Pod {
                name: name.to_owned(),
            });
        }
        problems.push(FieldProblem::new(
            field,
            format!("there is no Pod {name:?} in this namespace now; choose one of the list, or give labels"),
        ));
        return None;
    }
    match (choice, side) {
        ("labels", _) => {
            read_labels(labels, labels_field, problems).map(|labels| End::Labels { labels })
        }
        ("ingress-controller", Side::From) => Some(End::IngressController),
        ("dns", Side::To) => Some(End::Dns),
        ("internet", _) => Some(End::Internet),
        ("ip", _) => match address.trim().parse::<IpAddr>() {
            Ok(address) => Some(End::Ip { address }),
            Err(_) if address.trim().is_empty() => {
                problems.push(FieldProblem::new(
                    ip_field,
                    "give the address, such as 203.0.113.10 or 2001:db8::1",
                ));
                None
            }
            Err(_) => {
                problems.push(FieldProblem::new(
                    ip_field,
                    format!(
                        "{:?} is not an IP address: write one address, such as 203.0.113.10 or 2001:db8::1, without a prefix length",
                        address.trim()
                    ),
                ));
                None
            }
        },
        ("ingress-controller", Side::To) => {
            problems.push(FieldProblem::new(
                field,
                "the ingress controller opens connections to your Pods; choose it as the source",
            ));
            None
        }
        ("dns", Side::From) => {
            problems.push(FieldProblem::new(
                field,
                "the cluster DNS answers lookups; choose it as the destination",
            ));
            None
        }
        ("", _) => {
            problems.push(FieldProblem::new(
                field,
                match side {
                    Side::From => "choose where the connection comes from",
                    Side::To => "choose where the connection goes",
                },
            ));
            None
        }
        (other, _) => {
            problems.push(FieldProblem::new(
                field,
                format!("{other:?} is not one of the choices"),
            ));
            None
        }
    }
}

/// `app=web, tier=api` into labels; a key without `=` has the empty value.
fn read_labels(
    text: &str,
    field: CheckField,
    problems: &mut Vec<FieldProblem>,
) -> Option<BTreeMap<String, String>> {
    let mut labels = BTreeMap::new();
    let mut broken = Vec::new();
    for item in text
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        let (key, value) = item
            .split_once('=')
            .map_or((item, ""), |(k, v)| (k.trim(), v.trim()));
        if item.contains(':') && !item.contains('=') {
            broken.push(format!(
                "{item:?}: write labels as key=value, with '=' and not ':'"
            ));
            continue;
        }
        if let Some(rule) = label_key_errors(key).first() {
            broken.push(format!("{key:?}: {rule}"));
            continue;
        }
        if let Some(rule) = label_value_error(value) {
            broken.push(format!("{value:?}: {rule}"));
            continue;
        }
        labels.insert(key.to_owned(), value.to_owned());
    }
    if labels.is_empty() && broken.is_empty() {
        broken.push("give the Pod's labels, such as app=web, separated by commas".to_owned());
    }
    if broken.is_empty() {
        Some(labels)
    } else {
        problems.push(FieldProblem::new(field, broken.join("; ")));
        None
    }
}

fn read_port(text: &str, problems: &mut Vec<FieldProblem>) -> Option<Port> {
    let text = text.trim();
    if text.is_empty() {
        problems.push(FieldProblem::new(
            CheckField::Port,
            "give the port the connection goes to: a number such as 8080, or a port name the destination declares, such as http",
        ));
        return None;
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<u16>() {
            Ok(number) if number > 0 => Some(Port::Number(number)),
            _ => {
                problems.push(FieldProblem::new(
                    CheckField::Port,
                    format!("{text} is not a port: a port number is from 1 to 65535"),
                ));
                None
            }
        };
    }
    match port_name_error(text) {
        None => Some(Port::Named(text.to_owned())),
        Some(rule) => {
            problems.push(FieldProblem::new(
                CheckField::Port,
                format!("{text:?} is neither a port number nor a port name: {rule}"),
            ));
            None
        }
    }
}

/// What the check reads of one namespace: its labels, its Pods and its NetworkPolicies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamespaceObjects {
    pub namespace: NamespaceInfo,
    pub pods: Vec<PodInfo>,
    pub policies: Vec<NetworkPolicy>,
}

/// Where the platform's ends run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// The ingress controller's namespace.
    pub ingress_namespace: String,
}

/// The rule that decides one side, quoted from its policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    pub rule: RuleRef,
    /// The rule as YAML, as it appears in the policy (under `spec.ingress` or `spec.egress`).
    pub yaml: String,
}

/// What the page shows for one question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Checked {
    pub answer: Answer,
    pub explanation: Explanation,
    /// The rule that allows each side that a rule allows.
    pub quotes: Vec<Quote>,
    /// When a side denies: the smallest policies that would allow the connection, each
    /// checked to do so.
    pub suggestions: Vec<Suggestion>,
}

/// NetworkPolicies from the documents of a what-if, for `namespace`: each must be a
/// `networking.k8s.io/v1` NetworkPolicy with a name, in `namespace` (one without a namespace is
/// put there, as `kubectl apply -n` would).
pub fn what_if_policies(
    documents: &[Value],
    namespace: &str,
) -> Result<Vec<NetworkPolicy>, String> {
    if documents.len() > MAX_WHAT_IF_POLICIES {
        return Err(format!(
            "more than {MAX_WHAT_IF_POLICIES} documents; a what-if checks a few policies at a time"
        ));
    }
    let mut policies: Vec<NetworkPolicy> = Vec::with_capacity(documents.len());
    for (index, document) in documents.iter().enumerate() {
        let number = index + 1;
        let text = |key: &str| document.get(key).and_then(Value::as_str);
        match (text("apiVersion"), text("kind")) {
            (Some("networking.k8s.io/v1"), Some("NetworkPolicy")) => {}
            (api_version, kind) => {
                return Err(format!(
                    "document {number} is {}, not a NetworkPolicy (apiVersion networking.k8s.io/v1)",
                    match (api_version, kind) {
                        (Some(api_version), Some(kind)) => format!("a {kind} ({api_version})"),
                        _ => "not a Kubernetes object (it has no apiVersion and kind)".to_owned(),
                    }
                ));
            }
        }
        crate::domain::preflight::schema::read(document)
            .map_err(|error| format!("document {number}: {error}"))?;
        let mut policy: NetworkPolicy = serde_json::from_value(document.clone())
            .map_err(|error| format!("document {number}: {error}"))?;
        let Some(name) = policy.metadata.name.clone().filter(|name| !name.is_empty()) else {
            return Err(format!(
                "document {number}: the policy has no metadata.name"
            ));
        };
        match policy.metadata.namespace.as_deref() {
            None | Some("") => policy.metadata.namespace = Some(namespace.to_owned()),
            Some(ours) if ours == namespace => {}
            Some(other) => {
                return Err(format!(
                    "document {number}: {name} is for namespace {other}, and this check is in {namespace}"
                ));
            }
        }
        if policies
            .iter()
            .any(|p| p.metadata.name.as_deref() == Some(&name))
        {
            return Err(format!(
                "document {number}: a policy named {name} is given twice"
            ));
        }
        policies.push(policy);
    }
    Ok(policies)
}

/// The namespace's policies with `what_if` applied as `kubectl apply` would: a policy of the
/// same name is replaced, others are added.
pub fn with_what_if(policies: &[NetworkPolicy], what_if: &[NetworkPolicy]) -> Vec<NetworkPolicy> {
    let replaced = |policy: &NetworkPolicy| {
        what_if.iter().any(|w| {
            w.metadata.name == policy.metadata.name
                && w.metadata.namespace == policy.metadata.namespace
        })
    };
    policies
        .iter()
        .filter(|policy| !replaced(policy))
        .chain(what_if)
        .cloned()
        .collect()
}

/// The Pod a question's end stands for, if it is one, and the namespace it is in.
///
/// `another` names the Pod "another Pod labelled …": the destination, when both ends are given
/// by the same labels, is a second Pod, not the source talking to itself.
pub(super) fn end_pod(
    end: &End,
    namespace: &str,
    platform: &Platform,
    another: bool,
) -> Option<PodInfo> {
    match end {
        End::Pod { .. } | End::Internet | End::Ip { .. } => None,
        End::Labels { labels } => {
            let words: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            Some(PodInfo {
                namespace: namespace.to_owned(),
                name: format!(
                    "{} labelled {}",
                    if another { "another Pod" } else { "a Pod" },
                    words.join(",")
                ),
                labels: labels.clone(),
                ports: Vec::new(),
            })
        }
        End::IngressController => Some(PodInfo::new(
            &platform.ingress_namespace,
            INGRESS_CONTROLLER_POD,
            INGRESS_CONTROLLER_LABELS,
        )),
        End::Dns => Some(
            PodInfo::new(
                DNS_NAMESPACE,
                DNS_POD,
                [(DNS_POD_LABEL_KEY, DNS_POD_LABEL_VALUE)],
            )
            .with_port(ContainerPort::named("dns", DNS_PORT, Protocol::Udp))
            .with_port(ContainerPort::named("dns-tcp", DNS_PORT, Protocol::Tcp)),
        ),
    }
}

/// The question as the engine asks it, with the Pods and namespaces it needs besides the
/// namespace's own.
struct Asked {
    connection: Connection,
    pods: Vec<PodInfo>,
    namespaces: Vec<NamespaceInfo>,
}

fn asked(objects: &NamespaceObjects, question: &Question, platform: &Platform) -> Asked {
    let namespace = &objects.namespace.name;
    let mut pods = objects.pods.clone();
    let mut namespaces = vec![objects.namespace.clone()];
    let twins = matches!(
        (&question.from, &question.to),
        (End::Labels { labels: a }, End::Labels { labels: b }) if a == b
    );
    let mut reference = |end: &End, another: bool| -> Option<PodRef> {
        if let End::Pod { name } = end {
            return Some(PodRef::new(namespace, name));
        }
        let pod = end_pod(end, namespace, platform, another)?;
        if pod.namespace != *namespace && !namespaces.iter().any(|n| n.name == pod.namespace) {
            namespaces.push(NamespaceInfo::new(
                &pod.namespace,
                [(NAMESPACE_NAME_LABEL, pod.namespace.as_str())],
            ));
        }
        let reference = pod.reference();
        pods.push(pod);
        Some(reference)
    };
    let source = match (&question.from, reference(&question.from, false)) {
        (_, Some(pod)) => Source::Pod(pod),
        (End::Ip { address }, None) => Source::Ip { address: *address },
        (_, None) => Source::Outside,
    };
    let destination = match (&question.to, reference(&question.to, twins)) {
        (_, Some(pod)) => Destination::Pod(pod),
        (End::Ip { address }, None) => Destination::Ip { address: *address },
        (_, None) => Destination::Outside,
    };
    Asked {
        connection: Connection {
            source,
            destination,
            protocol: question.protocol,
            port: question.port.clone(),
        },
        pods,
        namespaces,
    }
}

/// Decides `question` over `objects` with `what_if` applied, and says what decides it.
pub fn ask(
    objects: &NamespaceObjects,
    what_if: &[NetworkPolicy],
    question: &Question,
    platform: &Platform,
    lint: &LintConfig,
) -> Result<Checked, ConnectionError> {
    let Asked {
        connection,
        pods,
        namespaces,
    } = asked(objects, question, platform);
    let policies = with_what_if(&objects.policies, what_if);
    let model = TrafficModel::new(&policies, namespaces.clone(), pods.clone());
    let mut answer = model.check(&connection)?;
    // The platform's Pods have policies this check does not read: their side is not known.
    if question.from.is_platform() {
        answer.egress = None;
    }
    if question.to.is_platform() {
        answer.ingress = None;
    }
    answer.allowed = answer.to_itself
        || [&answer.egress, &answer.ingress]
            .into_iter()
            .flatten()
            .all(|side| side.allows());
    let mut explanation = explain(&answer);
    for (end, direction) in [(&question.from, "Egress"), (&question.to, "Ingress")] {
        if end.is_platform() {
            let words = match end {
                End::Dns => "the cluster DNS",
                _ => "the ingress controller",
            };
            replace_not_checked(&mut explanation, direction, words);
        }
    }
    let quotes = [&answer.egress, &answer.ingress]
        .into_iter()
        .flatten()
        .filter_map(|side| match &side.decision {
            Decision::Allowed { by } => quote(&policies, by),
            _ => None,
        })
        .collect();
    let suggestions = if answer.allowed {
        Vec::new()
    } else {
        suggest(&answer, &model, &policies, &namespaces, &pods, lint)
    };
    Ok(Checked {
        answer,
        explanation,
        quotes,
        suggestions,
    })
}

/// The explanation's "not checked" sentence for a platform end, in words that say why.
fn replace_not_checked(explanation: &mut Explanation, direction: &str, words: &str) {
    let prefix = format!("{direction} is not checked");
    let sentence = format!(
        "{direction} is not checked at {words}: its policies are the platform's, and the platform keeps it reachable."
    );
    match explanation
        .details
        .iter_mut()
        .find(|detail| detail.starts_with(&prefix))
    {
        Some(detail) => *detail = sentence,
        None => explanation.details.push(sentence),
    }
}

/// `rule` as YAML, from the policy that holds it; `None` if the policy or rule is not there.
pub fn quote(policies: &[NetworkPolicy], rule: &RuleRef) -> Option<Quote> {
    let policy = policies.iter().find(|policy| {
        policy.metadata.name.as_deref() == Some(rule.policy.name.as_str())
            && policy.metadata.namespace.as_deref() == Some(rule.policy.namespace.as_str())
    })?;
    let spec = policy.spec.as_ref()?;
    let value = match rule.direction {
        Direction::Ingress => serde_json::to_value(spec.ingress.as_ref()?.get(rule.index)?),
        Direction::Egress => serde_json::to_value(spec.egress.as_ref()?.get(rule.index)?),
    }
    .ok()?;
    let key = rule.direction.as_str();
    // As the rule stands in the policy: one item of `ingress:` or `egress:`.
    let body = to_yaml(&Value::Array(vec![value]));
    let indented: String = body.lines().map(|line| format!("  {line}\n")).collect();
    Some(Quote {
        rule: rule.clone(),
        yaml: format!("{key}:\n{indented}"),
    })
}

/// The policies that isolate a Pod in some direction, by reference, for a summary.
pub fn isolating(answer: &Answer) -> Vec<&PolicyRef> {
    let mut policies: Vec<&PolicyRef> = [&answer.egress, &answer.ingress]
        .into_iter()
        .flatten()
        .filter(|side| side.decision == Decision::Denied)
        .flat_map(|side| &side.isolated_by)
        .collect();
    policies.sort();
    policies.dedup();
    policies
}
