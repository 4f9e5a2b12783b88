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
        errors.push(
            "name",
            format!("A policy name {}.", names::DNS_SUBDOMAIN_RULE),
        );
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
        errors.push(path, format!("A namespace name {}.", names::DNS_LABEL_RULE));
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
                    format!(
                        "The Pod name given to kubectl run {}.",
                        names::DNS_LABEL_RULE
                    ),
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
        for rule in names::label_key_errors(&label.key) {
            errors.push(format!("{path}[{index}].key"), rule);
        }
        if !seen.insert(label.key.as_str()) {
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
mod tests;
