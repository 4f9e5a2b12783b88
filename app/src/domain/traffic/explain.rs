//! An [`Answer`] in plain words, as a developer would say it: the verdict first, then each side
//! (which policies isolate the Pod, the rule that allows or that none does), then the caveats
//! and problems.
//!
//! Kept apart from the evaluation so that a page can show the answer its own way (and quote the
//! stable [`RuleRef`]s) and still use these sentences.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::model::{
    Answer, Decision, Destination, Direction, DirectionAnswer, PolicyRef, Port, RuleRef, Source,
};

/// An answer explained: one verdict sentence and the sentences that justify it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// "Allowed: …" or "Denied: …".
    pub verdict: String,
    /// Whole sentences, each ending with a full stop: ingress, egress, caveats, problems.
    pub details: Vec<String>,
}

impl Explanation {
    /// Plain text: the verdict, then each detail as a `- ` item.
    pub fn to_text(&self) -> String {
        let mut out = format!("{}\n", self.verdict);
        for detail in &self.details {
            let _ = writeln!(out, "- {detail}");
        }
        out
    }

    /// Every sentence, the verdict first.
    pub fn sentences(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.verdict.as_str()).chain(self.details.iter().map(String::as_str))
    }
}

/// Explains `answer`.
pub fn explain(answer: &Answer) -> Explanation {
    let source = source_words(&answer.connection.source);
    let destination = destination_words(&answer.connection.destination);
    let port = port_words(answer);

    let verdict = if answer.to_itself {
        format!(
            "Allowed: {source} is connecting to itself on {port}, which NetworkPolicies never block."
        )
    } else if answer.allowed {
        format!("Allowed: {source} can connect to {destination} on {port}.")
    } else {
        format!("Denied: {source} cannot connect to {destination} on {port}.")
    };

    let mut details = Vec::new();
    match &answer.egress {
        Some(side) => details.push(side_sentence(side, &port, &format!("to {destination}"))),
        None => details.push(format!(
            "Egress is not checked: {source} is not a Pod, and NetworkPolicies act only on Pods."
        )),
    }
    match &answer.ingress {
        Some(side) => details.push(side_sentence(side, &port, &format!("from {source}"))),
        None => details.push(format!(
            "Ingress is not checked: {destination} is not a Pod, and NetworkPolicies act only on Pods."
        )),
    }
    for (side, other) in [(&answer.egress, &destination), (&answer.ingress, &source)] {
        if let Some(side) = side
            && side.decision == Decision::Denied
            && !side.ip_block_caveats.is_empty()
        {
            details.push(caveat_sentence(side, other));
        }
    }
    for problem in &answer.problems {
        details.push(format!("Problem: {problem}."));
    }
    Explanation { verdict, details }
}

fn source_words(source: &Source) -> String {
    match source {
        Source::Pod(pod) => pod.to_string(),
        Source::Ip { address } => address.to_string(),
        Source::Outside => "a client outside the cluster".into(),
    }
}

fn destination_words(destination: &Destination) -> String {
    match destination {
        Destination::Pod(pod) => pod.to_string(),
        Destination::Ip { address } => address.to_string(),
    }
}

/// "TCP 8080", "TCP 8080 (port http)", "TCP port http (8080)" or "TCP port http".
fn port_words(answer: &Answer) -> String {
    let protocol = answer.connection.protocol.as_str();
    match (
        &answer.connection.port,
        answer.port.number,
        &answer.port.name,
    ) {
        (Port::Named(name), Some(number), _) => format!("{protocol} port {name} ({number})"),
        (Port::Named(name), None, _) => format!("{protocol} port {name}"),
        (Port::Number(number), _, Some(name)) => format!("{protocol} {number} (port {name})"),
        (Port::Number(number), _, None) => format!("{protocol} {number}"),
    }
}

/// The sentence for one side; `peer` is "from …" for ingress, "to …" for egress.
fn side_sentence(side: &DirectionAnswer, port: &str, peer: &str) -> String {
    let direction = side.direction.as_str();
    let heading = match side.direction {
        Direction::Ingress => "Ingress",
        Direction::Egress => "Egress",
    };
    let pod = &side.pod;
    match &side.decision {
        Decision::NotIsolated => format!(
            "{heading}: {pod} is not isolated for {direction} (no NetworkPolicy in {} selects it \
             for {direction}), so {port} {peer} is allowed.",
            pod.namespace
        ),
        Decision::Allowed { by } => {
            let mut sentence = format!(
                "{heading}: {pod} is isolated for {direction} by {}; {} {} allows {port} {peer}",
                names(&side.isolated_by),
                by.policy.name,
                by.path()
            );
            let others: Vec<String> = side
                .matching_rules
                .iter()
                .filter(|rule| *rule != by)
                .map(rule_words)
                .collect();
            if !others.is_empty() {
                let verb = if others.len() == 1 { "does" } else { "do" };
                let _ = write!(sentence, ", and so {} {verb}", and_list(&others));
            }
            sentence.push('.');
            sentence
        }
        Decision::Denied => {
            let of = if side.isolated_by.len() == 1 {
                side.isolated_by[0].name.clone()
            } else {
                "those".into()
            };
            format!(
                "{heading}: {pod} is isolated for {direction} by {}; no rule of {of} allows \
                 {port} {peer}.",
                names(&side.isolated_by)
            )
        }
    }
}

/// Says that the answer assumes ipBlock never matches a Pod's IP, and which rules that decides.
fn caveat_sentence(side: &DirectionAnswer, peer_pod: &str) -> String {
    let rules: Vec<String> = side.ip_block_caveats.iter().map(rule_words).collect();
    let (verb, their) = if rules.len() == 1 {
        ("has", "its")
    } else {
        ("have", "their")
    };
    format!(
        "Good to know: {} {verb} an ipBlock for these ports. This answer treats ipBlock as \
         addresses outside the cluster, as the Kubernetes documentation advises; some network \
         plugins (Calico) also match Pod IPs against it, and there the connection is allowed if \
         the IP of {peer_pod} is in {their} block.",
        and_list(&rules)
    )
}

/// "allow-frontend spec.ingress[0]".
fn rule_words(rule: &RuleRef) -> String {
    format!("{} {}", rule.policy.name, rule.path())
}

/// Policy names (all in the Pod's namespace), "a", "a and b", "a, b and c".
fn names(policies: &[PolicyRef]) -> String {
    let names: Vec<String> = policies.iter().map(|p| p.name.clone()).collect();
    and_list(&names)
}

fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
