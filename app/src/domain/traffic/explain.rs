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
        Destination::Outside => "an address outside the cluster".into(),
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
                let _ = write!(sentence, ", and so {verb} {}", and_list(&others));
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::rule_tests::{World, ip, pod, policy, tcp};
    use super::super::{Connection, Destination, Port, Protocol, Source};
    use super::*;

    fn web_ingress(rule: serde_json::Value) -> World {
        World::new()
            .with(policy(
                "team-a",
                "deny-all",
                json!({ "podSelector": {}, "policyTypes": ["Ingress"] }),
            ))
            .with(policy(
                "team-a",
                "allow-frontend",
                json!({ "podSelector": { "matchLabels": { "app": "web" } }, "ingress": [rule] }),
            ))
    }

    #[test]
    fn a_denial_names_the_isolating_policies_and_says_no_rule_allows() {
        let world =
            web_ingress(json!({ "from": [{ "podSelector": { "matchLabels": { "app": "db" } } }] }));
        let explanation =
            explain(&world.check(&tcp(pod("team-b", "api"), pod("team-a", "web"), 8080)));
        assert_eq!(
            explanation.details[1],
            "Ingress: web in team-a is isolated for ingress by allow-frontend and deny-all; no rule \
             of those allows TCP 8080 (port http) from api in team-b."
        );
    }

    #[test]
    fn one_isolating_policy_is_named_in_the_denial() {
        let world = World::new().with(policy(
            "team-a",
            "deny-all",
            json!({ "podSelector": {}, "policyTypes": ["Ingress"] }),
        ));
        let explanation =
            explain(&world.check(&tcp(pod("team-b", "api"), pod("team-a", "db"), 5432)));
        assert_eq!(
            explanation.details[1],
            "Ingress: db in team-a is isolated for ingress by deny-all; no rule of deny-all allows \
             TCP 5432 (port pg) from api in team-b."
        );
    }

    #[test]
    fn an_allowance_quotes_the_rule_and_the_others_that_also_match() {
        let world = web_ingress(json!({ "ports": [{ "port": 8080 }] })).with(policy(
            "team-a",
            "allow-all",
            json!({ "podSelector": {}, "ingress": [{}] }),
        ));
        let answer = world.check(&tcp(pod("team-b", "api"), pod("team-a", "web"), 8080));
        let explanation = explain(&answer);
        assert_eq!(
            explanation.verdict,
            "Allowed: api in team-b can connect to web in team-a on TCP 8080 (port http)."
        );
        assert_eq!(
            explanation.details[1],
            "Ingress: web in team-a is isolated for ingress by allow-all, allow-frontend and \
             deny-all; allow-all spec.ingress[0] allows TCP 8080 (port http) from api in team-b, \
             and so does allow-frontend spec.ingress[0]."
        );
    }

    #[test]
    fn a_side_without_policies_says_it_is_not_isolated() {
        let explanation =
            explain(&World::new().check(&tcp(pod("team-a", "web"), pod("team-b", "worker"), 80)));
        assert_eq!(
            explanation.details,
            [
                "Egress: web in team-a is not isolated for egress (no NetworkPolicy in team-a \
                 selects it for egress), so TCP 80 to worker in team-b is allowed.",
                "Ingress: worker in team-b is not isolated for ingress (no NetworkPolicy in team-b \
                 selects it for ingress), so TCP 80 from web in team-a is allowed.",
            ]
        );
    }

    #[test]
    fn sides_that_are_not_pods_are_said_to_be_unchecked() {
        let world = World::new();
        let inbound = explain(&world.check(&Connection {
            source: Source::Outside,
            destination: Destination::Pod(pod("team-a", "web")),
            protocol: Protocol::Udp,
            port: Port::Number(53),
        }));
        assert_eq!(
            inbound.verdict,
            "Allowed: a client outside the cluster can connect to web in team-a on UDP 53."
        );
        assert_eq!(
            inbound.details[0],
            "Egress is not checked: a client outside the cluster is not a Pod, and NetworkPolicies \
             act only on Pods."
        );
        let outbound = explain(&world.check(&Connection {
            source: Source::Pod(pod("team-a", "web")),
            destination: Destination::Ip {
                address: ip("2001:db8::1"),
            },
            protocol: Protocol::Tcp,
            port: Port::Named("https".into()),
        }));
        assert_eq!(
            outbound.verdict,
            "Allowed: web in team-a can connect to 2001:db8::1 on TCP port https."
        );
        assert_eq!(
            outbound.details[1],
            "Ingress is not checked: 2001:db8::1 is not a Pod, and NetworkPolicies act only on Pods."
        );
        assert_eq!(
            outbound.details[2],
            "Problem: port name 'https' can only be resolved on a Pod, and the destination is an \
             address; only rules for every port match."
        );
    }

    #[test]
    fn a_named_connection_port_is_shown_with_its_number() {
        let answer = World::new().check(&Connection::pod_to_pod(
            pod("team-b", "api"),
            pod("team-a", "web"),
            Port::Named("http".into()),
        ));
        assert_eq!(
            explain(&answer).verdict,
            "Allowed: api in team-b can connect to web in team-a on TCP port http (8080)."
        );
    }

    #[test]
    fn an_ip_block_that_could_decide_a_denial_is_a_caveat() {
        let world = web_ingress(json!({ "from": [{ "ipBlock": { "cidr": "10.0.0.0/8" } }] }));
        let explanation =
            explain(&world.check(&tcp(pod("team-b", "api"), pod("team-a", "web"), 8080)));
        assert_eq!(
            explanation.details[2],
            "Good to know: allow-frontend spec.ingress[0] has an ipBlock for these ports. This \
             answer treats ipBlock as addresses outside the cluster, as the Kubernetes \
             documentation advises; some network plugins (Calico) also match Pod IPs against it, \
             and there the connection is allowed if the IP of api in team-b is in its block."
        );
    }

    #[test]
    fn a_pod_talking_to_itself_is_allowed_whatever_the_policies() {
        let world = web_ingress(json!({ "ports": [{ "port": 1 }] }));
        let explanation =
            explain(&world.check(&tcp(pod("team-a", "web"), pod("team-a", "web"), 8080)));
        assert_eq!(
            explanation.verdict,
            "Allowed: web in team-a is connecting to itself on TCP 8080 (port http), which \
             NetworkPolicies never block."
        );
    }

    #[test]
    fn problems_are_sentences_that_say_what_was_done() {
        let world = web_ingress(json!({ "from": [{ "ipBlock": { "cidr": "10.0.0/8" } }] }));
        let explanation =
            explain(&world.check(&tcp(pod("team-b", "api"), pod("team-a", "web"), 8080)));
        assert_eq!(
            explanation.details.last().map(String::as_str),
            Some(
                "Problem: team-a/allow-frontend spec.ingress[0].from[0].ipBlock.cidr: '10.0.0/8': \
                 must be a CIDR block such as 192.168.1.0/24 or 2001:db8::/64 (an IP address, '/', \
                 and a prefix length); this peer never matches."
            )
        );
        let text = explanation.to_text();
        assert!(text.starts_with("Denied: api in team-b cannot connect"));
        assert_eq!(text.lines().count(), 4);
        assert!(explanation.sentences().all(|s| s.ends_with('.')));
    }
}
