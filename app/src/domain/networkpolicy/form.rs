//! The policy as a flat HTML form: what the `/networkpolicies` page submits as a GET query
//! without JavaScript and edits as signals when hydrated.
//!
//! A form row is one rule with one peer; several peers with the same ports become several rows,
//! which means the same (rules add up). Text fields use forgiving notations: labels as
//! `key=value, key2=value2`, ports as `443, UDP 53, 8000-8100, http`. Converting to a
//! [`PolicySpec`] reports notation errors with the row's field path; everything else is checked
//! by [`PolicySpec::validate`] as usual.

use super::model::{
    Label, NamespaceSelection, Peer, PolicySpec, PolicyTypes, Port, PortSpec, Protocol, Rule,
    Target,
};
use super::validate::FieldError;
use serde::{Deserialize, Serialize};

/// Rows per direction the form offers.
pub const ROWS: usize = 4;

/// Longest text a form field accepts before conversion (the model's own limits are smaller).
const MAX_FIELD: usize = 4096;

/// One rule row: a peer and the ports it may use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRow {
    /// "" (row unused), `anywhere`, `pods`, `namespace`, `namespaceLabels`, `podsInNamespace`,
    /// `ipBlock`.
    pub kind: String,
    /// Labels (`pods`, `namespaceLabels`), a namespace name (`namespace`, `podsInNamespace`) or a
    /// CIDR (`ipBlock`).
    pub value: String,
    /// Pod labels (`podsInNamespace`) or excepted CIDRs (`ipBlock`).
    pub extra: String,
    /// Ports; empty means every port.
    pub ports: String,
}

/// The whole form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyForm {
    pub name: String,
    pub namespace: String,
    /// `all`, `labels` or `run`.
    pub target: String,
    /// Labels (`labels`) or the `kubectl run` pod name (`run`).
    pub target_value: String,
    pub ingress: bool,
    pub egress: bool,
    pub allow_dns: bool,
    pub ingress_rows: Vec<RuleRow>,
    pub egress_rows: Vec<RuleRow>,
}

impl Default for PolicyForm {
    fn default() -> Self {
        Self {
            name: "my-policy".into(),
            namespace: "my-namespace".into(),
            target: "all".into(),
            target_value: String::new(),
            ingress: true,
            egress: false,
            allow_dns: true,
            ingress_rows: vec![RuleRow::default(); ROWS],
            egress_rows: vec![RuleRow::default(); ROWS],
        }
    }
}

impl PolicyForm {
    /// Reads the form from query parameters (`name`, `ns`, `target`, `tv`, `in`, `eg`, `dns`,
    /// `i0k`, `i0v`, `i0x`, `i0p`, … `e3p`). A form that was never submitted has no `name`.
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> Option<Self> {
        let name = get("name")?;
        let text = |key: &str| get(key).map(|v| truncate(&v)).unwrap_or_default();
        let checked = |key: &str| get(key).is_some_and(|v| v == "on" || v == "true");
        let rows = |prefix: char| {
            (0..ROWS)
                .map(|i| RuleRow {
                    kind: text(&format!("{prefix}{i}k")),
                    value: text(&format!("{prefix}{i}v")),
                    extra: text(&format!("{prefix}{i}x")),
                    ports: text(&format!("{prefix}{i}p")),
                })
                .collect()
        };
        Some(Self {
            name: truncate(&name),
            namespace: text("ns"),
            target: text("target"),
            target_value: text("tv"),
            ingress: checked("in"),
            egress: checked("eg"),
            allow_dns: checked("dns"),
            ingress_rows: rows('i'),
            egress_rows: rows('e'),
        })
    }

    /// The form for a spec (to show a preset). Rules with several peers become several rows.
    pub fn from_spec(spec: &PolicySpec) -> Self {
        let (target, target_value) = match &spec.target {
            Target::AllPods {} => ("all", String::new()),
            Target::Labels { labels } => ("labels", format_labels(labels)),
            Target::KubectlRun { name } => ("run", name.clone()),
        };
        Self {
            name: spec.name.clone(),
            namespace: spec.namespace.clone(),
            target: target.into(),
            target_value,
            ingress: spec.policy_types.ingress,
            egress: spec.policy_types.egress,
            allow_dns: spec.allow_dns,
            ingress_rows: rows_of(&spec.ingress),
            egress_rows: rows_of(&spec.egress),
        }
    }

    /// The spec this form describes, or the notation errors (with field paths).
    pub fn to_spec(&self) -> Result<PolicySpec, Vec<FieldError>> {
        let mut errors = Vec::new();
        let target = match self.target.as_str() {
            "labels" => Target::Labels {
                labels: parse_labels(&self.target_value, "target.labels", &mut errors),
            },
            "run" => Target::KubectlRun {
                name: self.target_value.trim().to_owned(),
            },
            _ => Target::AllPods {},
        };
        let ingress = rules_of(&self.ingress_rows, "ingress", &mut errors);
        let egress = rules_of(&self.egress_rows, "egress", &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(PolicySpec {
            name: self.name.trim().to_owned(),
            namespace: self.namespace.trim().to_owned(),
            target,
            policy_types: PolicyTypes {
                ingress: self.ingress,
                egress: self.egress,
            },
            ingress,
            egress,
            allow_dns: self.allow_dns,
        })
    }
}

fn truncate(value: &str) -> String {
    value.chars().take(MAX_FIELD).collect()
}

fn rows_of(rules: &[Rule]) -> Vec<RuleRow> {
    let mut rows: Vec<RuleRow> = rules
        .iter()
        .flat_map(|rule| {
            let ports = format_ports(&rule.ports);
            rule.peers
                .iter()
                .map(move |peer| row_of(peer, ports.clone()))
        })
        .collect();
    if rows.len() < ROWS {
        rows.resize(ROWS, RuleRow::default());
    }
    rows
}

fn row_of(peer: &Peer, ports: String) -> RuleRow {
    let (kind, value, extra) = match peer {
        Peer::Anywhere {} => ("anywhere", String::new(), String::new()),
        Peer::PodsInNamespace { labels } => ("pods", format_labels(labels), String::new()),
        Peer::NamespaceByName { name } => ("namespace", name.clone(), String::new()),
        Peer::NamespacesByLabels { labels } => {
            ("namespaceLabels", format_labels(labels), String::new())
        }
        Peer::PodsInNamespaces {
            namespace: NamespaceSelection::ByName { name },
            pod_labels,
        } => ("podsInNamespace", name.clone(), format_labels(pod_labels)),
        Peer::PodsInNamespaces {
            namespace: NamespaceSelection::ByLabels { labels },
            pod_labels,
        } => (
            "podsInNamespaceLabels",
            format_labels(labels),
            format_labels(pod_labels),
        ),
        Peer::IpBlock { cidr, except } => ("ipBlock", cidr.clone(), except.join(", ")),
    };
    RuleRow {
        kind: kind.into(),
        value,
        extra,
        ports,
    }
}

fn rules_of(rows: &[RuleRow], direction: &str, errors: &mut Vec<FieldError>) -> Vec<Rule> {
    rows.iter()
        .enumerate()
        .filter(|(_, row)| !row.kind.is_empty())
        .map(|(i, row)| {
            let at = |field: &str| format!("{direction}Rows[{i}].{field}");
            let peer = match row.kind.as_str() {
                "anywhere" => Peer::Anywhere {},
                "pods" => Peer::PodsInNamespace {
                    labels: parse_labels(&row.value, &at("value"), errors),
                },
                "namespace" => Peer::NamespaceByName {
                    name: row.value.trim().to_owned(),
                },
                "namespaceLabels" => Peer::NamespacesByLabels {
                    labels: parse_labels(&row.value, &at("value"), errors),
                },
                "podsInNamespace" => Peer::PodsInNamespaces {
                    namespace: NamespaceSelection::ByName {
                        name: row.value.trim().to_owned(),
                    },
                    pod_labels: parse_labels(&row.extra, &at("extra"), errors),
                },
                "podsInNamespaceLabels" => Peer::PodsInNamespaces {
                    namespace: NamespaceSelection::ByLabels {
                        labels: parse_labels(&row.value, &at("value"), errors),
                    },
                    pod_labels: parse_labels(&row.extra, &at("extra"), errors),
                },
                "ipBlock" => Peer::IpBlock {
                    cidr: row.value.trim().to_owned(),
                    except: split_list(&row.extra),
                },
                other => {
                    errors.push(FieldError {
                        path: at("kind"),
                        message: format!("unknown kind of peer {other:?}"),
                    });
                    Peer::Anywhere {}
                }
            };
            Rule::new(vec![peer], parse_ports(&row.ports, &at("ports"), errors))
        })
        .collect()
}

fn split_list(text: &str) -> Vec<String> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `key=value, key2=value2` (a bare `key` means an empty value).
pub fn parse_labels(text: &str, path: &str, errors: &mut Vec<FieldError>) -> Vec<Label> {
    split_list(text)
        .into_iter()
        .filter_map(|item| match item.split_once('=') {
            Some((key, value)) => Some(Label::new(key.trim(), value.trim())),
            None if item.contains(':') => {
                errors.push(FieldError {
                    path: path.to_owned(),
                    message: format!("write labels as key=value, not key: value (in {item:?})"),
                });
                None
            }
            None => Some(Label::new(item, "")),
        })
        .collect()
}

pub fn format_labels(labels: &[Label]) -> String {
    labels
        .iter()
        .map(|l| format!("{}={}", l.key, l.value))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `443, UDP 53, TCP/8000-8100, http` → ports (TCP unless a protocol is named).
pub fn parse_ports(text: &str, path: &str, errors: &mut Vec<FieldError>) -> Vec<PortSpec> {
    split_list(text)
        .into_iter()
        .filter_map(|item| {
            let (protocol, rest) = match item.split_once([' ', '/']) {
                Some((proto, rest)) => match proto.to_ascii_uppercase().as_str() {
                    "TCP" => (Protocol::Tcp, rest.trim()),
                    "UDP" => (Protocol::Udp, rest.trim()),
                    "SCTP" => (Protocol::Sctp, rest.trim()),
                    _ => {
                        errors.push(FieldError {
                            path: path.to_owned(),
                            message: format!("{proto:?} is not a protocol: use TCP, UDP or SCTP"),
                        });
                        return None;
                    }
                },
                None => (Protocol::Tcp, item.as_str()),
            };
            let mut number = |text: &str| -> Option<u16> {
                match text.trim().parse::<u16>() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        errors.push(FieldError {
                            path: path.to_owned(),
                            message: format!("{text:?} is not a port number from 1 to 65535"),
                        });
                        None
                    }
                }
            };
            if let Some((from, to)) = rest
                .split_once('-')
                .filter(|(from, _)| from.trim().bytes().all(|b| b.is_ascii_digit()))
            {
                let (from, to) = (number(from)?, number(to)?);
                return Some(PortSpec {
                    protocol,
                    port: Port::Number(from),
                    end_port: Some(to),
                });
            }
            if rest.bytes().all(|b| b.is_ascii_digit()) {
                return Some(PortSpec {
                    protocol,
                    port: Port::Number(number(rest)?),
                    end_port: None,
                });
            }
            Some(PortSpec {
                protocol,
                port: Port::Named(rest.to_owned()),
                end_port: None,
            })
        })
        .collect()
}

pub fn format_ports(ports: &[PortSpec]) -> String {
    ports
        .iter()
        .map(|p| {
            let port = match &p.port {
                Port::Number(n) => n.to_string(),
                Port::Named(name) => name.clone(),
            };
            let range = p
                .end_port
                .map(|end| format!("{port}-{end}"))
                .unwrap_or(port);
            match p.protocol {
                Protocol::Tcp => range,
                other => format!("{} {range}", other.as_str()),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests;
