//! Validation: turns a [`PolicySpec`] into a [`ValidSpec`], or lists every problem at once.
//!
//! The rules are the API server's (names, labels, ports, CIDRs), plus the portal's own where
//! the model needs them to stay unambiguous (at least one peer per rule, `anywhere` alone, no
//! duplicate label keys, a label list for a label target) and stricter CIDRs (no host bits; see
//! [`super::cidr`]). Sizes are capped so that pasted garbage of any size is refused quickly and
//! with a bounded list of errors.
//!
//! Errors carry a path in the JSON's own field names, e.g. `ingress[0].peers[1].cidr`, so the form
//! can put each message next to its field.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::cidr::Cidr;
use super::model::{Label, NamespaceSelection, Peer, PolicySpec, Port, PortSpec, Rule, Target};
use super::names;

/// Most rules per direction.
pub const MAX_RULES: usize = 100;
/// Most peers in one rule.
pub const MAX_PEERS_PER_RULE: usize = 100;
/// Most ports in one rule.
pub const MAX_PORTS_PER_RULE: usize = 100;
/// Most labels in one selector.
pub const MAX_LABELS: usize = 100;
/// Most `except` entries in one ipBlock.
pub const MAX_EXCEPT: usize = 100;
/// Most errors reported; one more entry says how many were left out.
pub const MAX_REPORTED_ERRORS: usize = 100;

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{path}: {message}")]
pub struct FieldError {
    /// Where, in the JSON's field names: `name`, `target.labels[0].key`,
    /// `ingress[0].peers[1].cidr`; empty for the spec as a whole.
    pub path: String,
    /// Which rule was broken, in words.
    pub message: String,
}

impl FieldError {
    /// An error at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// A [`PolicySpec`] that passed validation. Only [`PolicySpec::validate`] makes one, so every
/// function that takes it (manifest, explanation, lint) may rely on the rules above.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidSpec(PolicySpec);

impl ValidSpec {
    /// The validated spec.
    pub fn spec(&self) -> &PolicySpec {
        &self.0
    }

    /// Gives the spec back, e.g. to edit it and validate again.
    pub fn into_inner(self) -> PolicySpec {
        self.0
    }
}

impl PolicySpec {
    /// Validates the spec, returning every error found (at most [`MAX_REPORTED_ERRORS`], plus one
    /// saying how many more there were). Never panics, whatever the input.
    pub fn validate(self) -> Result<ValidSpec, Vec<FieldError>> {
        let errors = self.errors();
        if errors.is_empty() {
            Ok(ValidSpec(self))
        } else {
            Err(errors)
        }
    }

    /// Like [`PolicySpec::validate`], for a borrowed spec: clones it only when it is valid.
    pub fn validated(&self) -> Result<ValidSpec, Vec<FieldError>> {
        let errors = self.errors();
        if errors.is_empty() {
            Ok(ValidSpec(self.clone()))
        } else {
            Err(errors)
        }
    }

    /// The errors [`PolicySpec::validate`] would return, without consuming the spec.
    pub fn errors(&self) -> Vec<FieldError> {
        let mut errors = Errors::default();
        check_spec(self, &mut errors);
        errors.finish()
    }
}

/// Collects errors, keeping the first [`MAX_REPORTED_ERRORS`] and counting the rest.
#[derive(Default)]
pub(super) struct Errors {
    list: Vec<FieldError>,
    left_out: usize,
}

impl Errors {
    pub(super) fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        if self.list.len() < MAX_REPORTED_ERRORS {
            self.list.push(FieldError::new(path, message));
        } else {
            self.left_out += 1;
        }
    }

    pub(super) fn finish(mut self) -> Vec<FieldError> {
        if self.left_out > 0 {
            self.list.push(FieldError::new(
                "",
                format!(
                    "{} more errors were found but are not shown; fix the ones above first",
                    self.left_out
                ),
            ));
        }
        self.list
    }
}

fn check_spec(spec: &PolicySpec, errors: &mut Errors) {
    if !names::is_dns1123_subdomain(&spec.name) {
        errors.push("name", format!("policy name {}", names::DNS_SUBDOMAIN_RULE));
    }
    check_namespace_name(&spec.namespace, "namespace", errors);
    check_target(&spec.target, errors);
    if !spec.policy_types.ingress && !spec.policy_types.egress {
        errors.push(
            "policyTypes",
            "choose at least one policy type: Ingress (restrict incoming traffic), Egress (restrict outgoing traffic) or both",
        );
    }
    check_rules(&spec.ingress, "ingress", errors);
    check_rules(&spec.egress, "egress", errors);
}

fn check_namespace_name(name: &str, path: &str, errors: &mut Errors) {
    if !names::is_dns1123_label(name) {
        errors.push(path, format!("namespace name {}", names::DNS_LABEL_RULE));
    }
}

fn check_target(target: &Target, errors: &mut Errors) {
    match target {
        Target::AllPods {} => {}
        Target::Labels { labels } => {
            if labels.is_empty() {
                errors.push(
                    "target.labels",
                    "add at least one label, or choose \"all Pods\" to select every Pod in the namespace",
                );
            }
            check_labels(labels, "target.labels", errors);
        }
        Target::KubectlRun { name } => {
            if !names::is_dns1123_label(name) {
                errors.push(
                    "target.name",
                    format!("kubectl run Pod name {}", names::DNS_LABEL_RULE),
                );
            }
        }
    }
}

/// Checks a selector's labels: count, syntax and duplicate keys (a selector is a map).
fn check_labels(labels: &[Label], path: &str, errors: &mut Errors) {
    if labels.len() > MAX_LABELS {
        errors.push(path, format!("at most {MAX_LABELS} labels are allowed"));
        return;
    }
    let mut seen = BTreeSet::new();
    for (index, label) in labels.iter().enumerate() {
        if let Some(rule) = names::label_key_error(&label.key) {
            errors.push(format!("{path}[{index}].key"), rule);
        } else if !seen.insert(label.key.as_str()) {
            errors.push(
                format!("{path}[{index}].key"),
                "this label key appears twice; a selector can require only one value per key",
            );
        }
        if let Some(rule) = names::label_value_error(&label.value) {
            errors.push(format!("{path}[{index}].value"), rule);
        }
    }
}

fn check_rules(rules: &[Rule], direction: &str, errors: &mut Errors) {
    if rules.len() > MAX_RULES {
        errors.push(
            direction,
            format!("at most {MAX_RULES} {direction} rules are allowed"),
        );
        return;
    }
    for (index, rule) in rules.iter().enumerate() {
        check_rule(rule, &format!("{direction}[{index}]"), errors);
    }
}

fn check_rule(rule: &Rule, path: &str, errors: &mut Errors) {
    let peers_path = format!("{path}.peers");
    if rule.peers.is_empty() {
        errors.push(
            &peers_path,
            "add at least one peer; to allow any source or destination, add the peer \"anywhere\"",
        );
    } else if rule.peers.len() > MAX_PEERS_PER_RULE {
        errors.push(
            &peers_path,
            format!("at most {MAX_PEERS_PER_RULE} peers are allowed in one rule"),
        );
    } else {
        if rule.peers.len() > 1 && rule.peers.contains(&Peer::Anywhere {}) {
            errors.push(
                &peers_path,
                "\"anywhere\" already includes every other peer; make it the rule's only peer, or remove it",
            );
        }
        for (index, peer) in rule.peers.iter().enumerate() {
            check_peer(peer, &format!("{peers_path}[{index}]"), errors);
        }
    }

    let ports_path = format!("{path}.ports");
    if rule.ports.len() > MAX_PORTS_PER_RULE {
        errors.push(
            ports_path,
            format!("at most {MAX_PORTS_PER_RULE} ports are allowed in one rule"),
        );
    } else {
        for (index, port) in rule.ports.iter().enumerate() {
            check_port(port, &format!("{ports_path}[{index}]"), errors);
        }
    }
}

fn check_peer(peer: &Peer, path: &str, errors: &mut Errors) {
    match peer {
        Peer::Anywhere {} => {}
        Peer::PodsInNamespace { labels } => check_labels(labels, &format!("{path}.labels"), errors),
        Peer::NamespaceByName { name } => {
            check_namespace_name(name, &format!("{path}.name"), errors)
        }
        Peer::NamespacesByLabels { labels } => {
            check_labels(labels, &format!("{path}.labels"), errors);
        }
        Peer::PodsInNamespaces {
            namespace,
            pod_labels,
        } => {
            match namespace {
                NamespaceSelection::ByName { name } => {
                    check_namespace_name(name, &format!("{path}.namespace.name"), errors);
                }
                NamespaceSelection::ByLabels { labels } => {
                    check_labels(labels, &format!("{path}.namespace.labels"), errors);
                }
            }
            check_labels(pod_labels, &format!("{path}.podLabels"), errors);
        }
        Peer::IpBlock { cidr, except } => check_ip_block(cidr, except, path, errors),
    }
}

fn check_ip_block(cidr: &str, except: &[String], path: &str, errors: &mut Errors) {
    let block = match cidr.parse::<Cidr>() {
        Ok(block) => Some(block),
        Err(error) => {
            errors.push(format!("{path}.cidr"), error.to_string());
            None
        }
    };
    if except.len() > MAX_EXCEPT {
        errors.push(
            format!("{path}.except"),
            format!("at most {MAX_EXCEPT} except entries are allowed"),
        );
        return;
    }
    for (index, entry) in except.iter().enumerate() {
        let entry_path = format!("{path}.except[{index}]");
        match entry.parse::<Cidr>() {
            Err(error) => errors.push(entry_path, error.to_string()),
            Ok(excluded) => {
                // Without a valid cidr there is nothing to compare with; its error is reported.
                if block.is_some_and(|block| !block.strictly_contains(&excluded)) {
                    errors.push(
                        entry_path,
                        "except entry must be a smaller network inside cidr (same IP family, longer prefix)",
                    );
                }
            }
        }
    }
}

fn check_port(port: &PortSpec, path: &str, errors: &mut Errors) {
    match &port.port {
        Port::Number(number) => {
            if *number == 0 {
                errors.push(format!("{path}.port"), "port must be between 1 and 65535");
            }
            if let Some(end) = port.end_port {
                // end_port is a u16, so only the lower bound can fail on its own.
                if end == 0 {
                    errors.push(
                        format!("{path}.endPort"),
                        "endPort must be between 1 and 65535",
                    );
                } else if end < *number {
                    errors.push(
                        format!("{path}.endPort"),
                        "endPort must be greater than or equal to port",
                    );
                }
            }
        }
        Port::Named(name) => {
            if let Some(rule) = names::port_name_error(name) {
                errors.push(format!("{path}.port"), rule);
            }
            if port.end_port.is_some() {
                errors.push(
                    format!("{path}.endPort"),
                    "endPort is only allowed with a numeric port, not a named one",
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::{PolicyTypes, Protocol};
    use super::*;
    use proptest::prelude::*;

    /// A valid spec to break one field at a time.
    fn base_spec() -> PolicySpec {
        PolicySpec {
            name: "web".into(),
            namespace: "demo".into(),
            target: Target::Labels {
                labels: vec![Label::new("app", "web")],
            },
            policy_types: PolicyTypes::BOTH,
            ingress: vec![Rule::new(
                vec![Peer::PodsInNamespace { labels: vec![] }],
                vec![PortSpec::tcp(8080)],
            )],
            egress: vec![],
            allow_dns: true,
        }
    }

    fn errors_of(edit: impl FnOnce(&mut PolicySpec)) -> Vec<FieldError> {
        let mut spec = base_spec();
        edit(&mut spec);
        spec.errors()
    }

    fn assert_single_error(edit: impl FnOnce(&mut PolicySpec), path: &str, message_part: &str) {
        let errors = errors_of(edit);
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert_eq!(errors[0].path, path, "{errors:#?}");
        assert!(
            errors[0].message.contains(message_part),
            "{:?} should mention {message_part:?}",
            errors[0].message
        );
    }

    fn assert_valid(edit: impl FnOnce(&mut PolicySpec)) {
        let errors = errors_of(edit);
        assert!(errors.is_empty(), "{errors:#?}");
    }

    fn peer(peer: Peer) -> impl FnOnce(&mut PolicySpec) {
        move |spec| spec.ingress[0].peers = vec![peer]
    }

    fn port(port: PortSpec) -> impl FnOnce(&mut PolicySpec) {
        move |spec| spec.ingress[0].ports = vec![port]
    }

    #[test]
    fn base_spec_is_valid() {
        assert!(base_spec().validate().is_ok());
    }

    #[test]
    fn policy_name_is_a_dns_subdomain() {
        assert_valid(|s| s.name = "allow.web-8080".into());
        assert_valid(|s| s.name = "a".repeat(253));
        for bad in ["", "Web", "web_1", "-web", "web.", &"a".repeat(254)] {
            assert_single_error(|s| s.name = bad.into(), "name", "RFC 1123 subdomain");
        }
    }

    #[test]
    fn namespace_is_a_dns_label() {
        assert_valid(|s| s.namespace = "team-a".into());
        for bad in ["", "Team", "team.a", "team_a", &"a".repeat(64)] {
            assert_single_error(|s| s.namespace = bad.into(), "namespace", "RFC 1123 label");
        }
    }

    #[test]
    fn target_labels_and_kubectl_run_name() {
        assert_valid(|s| s.target = Target::AllPods {});
        assert_valid(|s| {
            s.target = Target::KubectlRun {
                name: "blah".into(),
            }
        });
        assert_single_error(
            |s| s.target = Target::Labels { labels: vec![] },
            "target.labels",
            "at least one label",
        );
        assert_single_error(
            |s| {
                s.target = Target::KubectlRun {
                    name: "Blah".into(),
                }
            },
            "target.name",
            "RFC 1123 label",
        );
        assert_single_error(
            |s| {
                s.target = Target::Labels {
                    labels: vec![Label::new("app", "a"), Label::new("app", "b")],
                }
            },
            "target.labels[1].key",
            "appears twice",
        );
    }

    #[test]
    fn label_keys_and_values() {
        let with = |key: &str, value: &str| {
            let label = Label::new(key, value);
            move |s: &mut PolicySpec| {
                s.target = Target::Labels {
                    labels: vec![label],
                }
            }
        };
        assert_valid(with("app.kubernetes.io/name", "web"));
        assert_valid(with("tier", ""));
        assert_valid(with("enabled", "true"));
        assert_single_error(
            with("app name", "x"),
            "target.labels[0].key",
            "label key name",
        );
        assert_single_error(
            with("Example.com/app", "x"),
            "target.labels[0].key",
            "prefix",
        );
        assert_single_error(
            with("a/b/c", "x"),
            "target.labels[0].key",
            "at most one '/'",
        );
        assert_single_error(
            with("app", "-web"),
            "target.labels[0].value",
            "label value must be at most 63 characters, start and end with a letter or digit, and contain only letters, digits, '-', '_' and '.'",
        );
        assert_single_error(with("app", &"v".repeat(64)), "target.labels[0].value", "63");
    }

    #[test]
    fn at_least_one_policy_type() {
        assert_valid(|s| s.policy_types = PolicyTypes::INGRESS);
        assert_valid(|s| s.policy_types = PolicyTypes::EGRESS);
        assert_single_error(
            |s| s.policy_types = PolicyTypes::default(),
            "policyTypes",
            "at least one policy type",
        );
    }

    #[test]
    fn rules_need_peers_and_anywhere_stands_alone() {
        assert_valid(peer(Peer::Anywhere {}));
        assert_single_error(
            |s| s.ingress[0].peers.clear(),
            "ingress[0].peers",
            "anywhere",
        );
        assert_single_error(
            |s| s.ingress[0].peers.push(Peer::Anywhere {}),
            "ingress[0].peers",
            "only peer",
        );
    }

    #[test]
    fn peers_are_checked_where_they_are() {
        assert_valid(peer(Peer::NamespaceByName {
            name: "ingress-nginx".into(),
        }));
        assert_valid(peer(Peer::NamespacesByLabels { labels: vec![] }));
        assert_valid(peer(Peer::PodsInNamespaces {
            namespace: NamespaceSelection::ByLabels {
                labels: vec![Label::new("env", "prod")],
            },
            pod_labels: vec![],
        }));
        assert_single_error(
            peer(Peer::NamespaceByName {
                name: "Kube_System".into(),
            }),
            "ingress[0].peers[0].name",
            "RFC 1123 label",
        );
        assert_single_error(
            peer(Peer::PodsInNamespaces {
                namespace: NamespaceSelection::ByName { name: "".into() },
                pod_labels: vec![],
            }),
            "ingress[0].peers[0].namespace.name",
            "RFC 1123 label",
        );
        assert_single_error(
            peer(Peer::PodsInNamespaces {
                namespace: NamespaceSelection::ByLabels {
                    labels: vec![Label::new("env", "pr od")],
                },
                pod_labels: vec![],
            }),
            "ingress[0].peers[0].namespace.labels[0].value",
            "label value",
        );
        assert_single_error(
            peer(Peer::PodsInNamespaces {
                namespace: NamespaceSelection::ByName { name: "a".into() },
                pod_labels: vec![Label::new("", "x")],
            }),
            "ingress[0].peers[0].podLabels[0].key",
            "label key",
        );
        assert_single_error(
            peer(Peer::PodsInNamespace {
                labels: vec![Label::new("app", "a b")],
            }),
            "ingress[0].peers[0].labels[0].value",
            "label value",
        );
    }

    fn ip_block(cidr: &str, except: &[&str]) -> impl FnOnce(&mut PolicySpec) {
        peer(Peer::IpBlock {
            cidr: cidr.into(),
            except: except.iter().map(|e| (*e).to_owned()).collect(),
        })
    }

    #[test]
    fn ip_blocks() {
        assert_valid(ip_block("203.0.113.10/32", &[]));
        assert_valid(ip_block("0.0.0.0/0", &["10.0.0.0/8", "192.168.0.0/16"]));
        assert_valid(ip_block("2001:db8::/32", &["2001:db8:1::/48"]));
        assert_single_error(
            ip_block("203.0.113.10", &[]),
            "ingress[0].peers[0].cidr",
            "CIDR",
        );
        assert_single_error(
            ip_block("10.0.0.0/33", &[]),
            "ingress[0].peers[0].cidr",
            "at most 32",
        );
        assert_single_error(
            ip_block("10.0.0.1/8", &[]),
            "ingress[0].peers[0].cidr",
            "did you mean 10.0.0.0/8?",
        );
        assert_single_error(
            ip_block("10.0.0.0/8", &["192.168.0.0/16"]),
            "ingress[0].peers[0].except[0]",
            "inside cidr",
        );
        assert_single_error(
            ip_block("10.0.0.0/8", &["10.0.0.0/8"]),
            "ingress[0].peers[0].except[0]",
            "smaller",
        );
        assert_single_error(
            ip_block("0.0.0.0/0", &["::/64"]),
            "ingress[0].peers[0].except[0]",
            "same IP family",
        );
        assert_single_error(
            ip_block("10.0.0.0/8", &["10.1.0.0/8"]),
            "ingress[0].peers[0].except[0]",
            "did you mean",
        );
        // A broken cidr does not hide a broken except entry.
        let errors = errors_of(ip_block("nope", &["also-nope"]));
        assert_eq!(errors.len(), 2, "{errors:#?}");
    }

    #[test]
    fn ports() {
        assert_valid(port(PortSpec::tcp(1)));
        assert_valid(port(PortSpec::udp(65535)));
        assert_valid(port(PortSpec {
            protocol: Protocol::Sctp,
            port: Port::Number(30000),
            end_port: Some(30000),
        }));
        assert_valid(port(PortSpec {
            protocol: Protocol::Tcp,
            port: Port::Named("http-alt".into()),
            end_port: None,
        }));
        assert_single_error(
            port(PortSpec::tcp(0)),
            "ingress[0].ports[0].port",
            "between 1 and 65535",
        );
        assert_single_error(
            port(PortSpec {
                protocol: Protocol::Tcp,
                port: Port::Number(8080),
                end_port: Some(8000),
            }),
            "ingress[0].ports[0].endPort",
            "greater than or equal to port",
        );
        assert_single_error(
            port(PortSpec {
                protocol: Protocol::Tcp,
                port: Port::Named("http".into()),
                end_port: Some(90),
            }),
            "ingress[0].ports[0].endPort",
            "numeric port",
        );
        assert_single_error(
            port(PortSpec {
                protocol: Protocol::Tcp,
                port: Port::Named("HTTP".into()),
                end_port: None,
            }),
            "ingress[0].ports[0].port",
            "IANA service name",
        );
    }

    #[test]
    fn size_caps_refuse_without_descending() {
        let huge_label = vec![Label::new("bad key", "bad value"); MAX_LABELS + 1];
        assert_single_error(
            |s| s.target = Target::Labels { labels: huge_label },
            "target.labels",
            "at most 100 labels",
        );
        let many_rules = vec![Rule::new(vec![], vec![]); MAX_RULES + 1];
        assert_single_error(
            |s| s.egress = many_rules,
            "egress",
            "at most 100 egress rules",
        );
        assert_single_error(
            |s| s.ingress[0].peers = vec![Peer::Anywhere {}; MAX_PEERS_PER_RULE + 1],
            "ingress[0].peers",
            "at most 100 peers",
        );
        assert_single_error(
            |s| s.ingress[0].ports = vec![PortSpec::tcp(0); MAX_PORTS_PER_RULE + 1],
            "ingress[0].ports",
            "at most 100 ports",
        );
        assert_single_error(
            ip_block("10.0.0.0/8", &["x"; MAX_EXCEPT + 1]),
            "ingress[0].peers[0].except",
            "at most 100 except",
        );
    }

    #[test]
    fn error_list_is_capped() {
        let errors = errors_of(|s| {
            s.ingress = vec![Rule::new(vec![], vec![PortSpec::tcp(0); 100]); 100];
        });
        assert_eq!(errors.len(), MAX_REPORTED_ERRORS + 1);
        let last = errors.last().expect("summary");
        assert_eq!(last.path, "");
        assert!(
            last.message.starts_with("10000 more errors"),
            "{}",
            last.message
        );
    }

    #[test]
    fn all_errors_are_reported_together() {
        let errors = errors_of(|s| {
            s.name = "Bad".into();
            s.namespace = "Bad".into();
            s.policy_types = PolicyTypes::default();
            s.ingress[0].ports = vec![PortSpec::tcp(0)];
        });
        let paths: Vec<_> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "name",
                "namespace",
                "policyTypes",
                "ingress[0].ports[0].port"
            ]
        );
    }

    fn arbitrary_label() -> impl Strategy<Value = Label> {
        (any::<String>(), any::<String>()).prop_map(|(k, v)| Label::new(k, v))
    }

    fn arbitrary_peer() -> impl Strategy<Value = Peer> {
        let labels = || prop::collection::vec(arbitrary_label(), 0..4);
        prop_oneof![
            Just(Peer::Anywhere {}),
            labels().prop_map(|labels| Peer::PodsInNamespace { labels }),
            any::<String>().prop_map(|name| Peer::NamespaceByName { name }),
            labels().prop_map(|labels| Peer::NamespacesByLabels { labels }),
            (any::<String>(), labels()).prop_map(|(name, pod_labels)| Peer::PodsInNamespaces {
                namespace: NamespaceSelection::ByName { name },
                pod_labels
            }),
            (labels(), labels()).prop_map(|(labels, pod_labels)| Peer::PodsInNamespaces {
                namespace: NamespaceSelection::ByLabels { labels },
                pod_labels
            }),
            (
                any::<String>(),
                prop::collection::vec(any::<String>(), 0..3)
            )
                .prop_map(|(cidr, except)| Peer::IpBlock { cidr, except }),
            (
                "[0-9a-f:./]{0,20}",
                prop::collection::vec("[0-9a-f:./]{0,20}", 0..3)
            )
                .prop_map(|(cidr, except)| Peer::IpBlock { cidr, except }),
        ]
    }

    fn arbitrary_port() -> impl Strategy<Value = PortSpec> {
        (
            prop_oneof![
                Just(Protocol::Tcp),
                Just(Protocol::Udp),
                Just(Protocol::Sctp)
            ],
            prop_oneof![
                any::<u16>().prop_map(Port::Number),
                any::<String>().prop_map(Port::Named)
            ],
            any::<Option<u16>>(),
        )
            .prop_map(|(protocol, port, end_port)| PortSpec {
                protocol,
                port,
                end_port,
            })
    }

    fn arbitrary_rule() -> impl Strategy<Value = Rule> {
        (
            prop::collection::vec(arbitrary_peer(), 0..4),
            prop::collection::vec(arbitrary_port(), 0..4),
        )
            .prop_map(|(peers, ports)| Rule { peers, ports })
    }

    fn arbitrary_spec() -> impl Strategy<Value = PolicySpec> {
        (
            any::<String>(),
            any::<String>(),
            prop_oneof![
                Just(Target::AllPods {}),
                prop::collection::vec(arbitrary_label(), 0..3)
                    .prop_map(|labels| Target::Labels { labels }),
                any::<String>().prop_map(|name| Target::KubectlRun { name }),
            ],
            any::<(bool, bool, bool)>(),
            prop::collection::vec(arbitrary_rule(), 0..3),
            prop::collection::vec(arbitrary_rule(), 0..3),
        )
            .prop_map(
                |(
                    name,
                    namespace,
                    target,
                    (ingress, egress, allow_dns),
                    ingress_rules,
                    egress_rules,
                )| {
                    PolicySpec {
                        name,
                        namespace,
                        target,
                        policy_types: PolicyTypes { ingress, egress },
                        ingress: ingress_rules,
                        egress: egress_rules,
                        allow_dns,
                    }
                },
            )
    }

    proptest! {
        /// Validation never panics, and whatever it accepts can be generated.
        #[test]
        fn validation_never_panics(spec in arbitrary_spec()) {
            let config = super::super::lint::LintConfig::default();
            match super::super::generate(&spec, &config) {
                Ok(generated) => prop_assert!(!generated.yaml.is_empty()),
                Err(errors) => {
                    prop_assert!(!errors.is_empty());
                    prop_assert!(errors.len() <= MAX_REPORTED_ERRORS + 1);
                }
            }
        }

        /// Nor does deserializing arbitrary JSON text first.
        #[test]
        fn arbitrary_json_text_never_panics(text in any::<String>()) {
            if let Ok(spec) = serde_json::from_str::<PolicySpec>(&text) {
                let _ = spec.validate();
            }
        }
    }
}
