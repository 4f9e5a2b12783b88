//! The policy map of one namespace: its Pods grouped by what its NetworkPolicies can tell
//! apart, and which flows the policies allow between the groups, from the ingress controller
//! and the internet, and to the cluster DNS and the internet, with the ports of each.
//!
//! # Groups
//!
//! Two Pods are in one group when they agree on every label key a selector of the namespace's
//! policies looks at (the policies' `podSelector`s and the peers' that can pick Pods of this
//! namespace) and declare the same numbers for the port names those policies use. Every policy
//! then treats them alike, so one Pod of a group stands for all of them: a flow between two
//! groups is what the engine decides for any Pod of one and any other Pod of the other.
//!
//! # Flows
//!
//! A flow's ports are the ports both sides allow: at the destination, the union of the ports of
//! the ingress rules whose peers match the source (every port when no policy isolates it); at
//! the source, the same for egress. The platform's ends (ingress controller, DNS) are Pods with
//! their well-known labels, as on the check page, and their own side is not checked; the
//! internet has no policies. Pods of other namespaces are not on the map: what they may do
//! depends on their labels, which the map cannot know; the check page asks about one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::compile::{CompiledPeer, CompiledPort, CompiledRule, NamespaceScope, PortMatch};
use super::evaluate::{Endpoint, TrafficModel, peers_match};
use super::model::{
    ContainerPort, Direction, NAMESPACE_NAME_LABEL, NamespaceInfo, PodInfo, PodRef, PolicyRef,
    Problem, Protocol, RuleRef,
};
use super::portset::PortSet;
use super::question::{End, NamespaceObjects, Platform, end_pod};

/// The map of one namespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyMap {
    pub namespace: String,
    /// Sorted by their labels, then by their first Pod.
    pub groups: Vec<PodGroup>,
    /// Every allowed flow with at least one group at an end, in the order of
    /// [`PolicyMap::sources`] then [`PolicyMap::destinations`].
    pub flows: Vec<Flow>,
    /// The namespace's policies and their rules, for counts and quotes.
    pub policies: Vec<PolicyRef>,
    /// What was wrong in the namespace's policies; each says what the map made of it.
    pub problems: Vec<Problem>,
}

/// Pods the namespace's policies treat alike.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodGroup {
    /// The Pods' labels that some selector of the namespace's policies looks at.
    pub labels: BTreeMap<String, String>,
    /// The Pods, by name, sorted.
    pub pods: Vec<String>,
    /// The ports the Pods declare under a name the policies use.
    pub named_ports: Vec<ContainerPort>,
    /// The policies that select these Pods for ingress; empty: everything may come in.
    pub ingress_isolated_by: Vec<PolicyRef>,
    /// The policies that select these Pods for egress; empty: they may go anywhere.
    pub egress_isolated_by: Vec<PolicyRef>,
}

impl PodGroup {
    /// `app=web, tier=front`, or a phrase when no label of theirs is looked at.
    pub fn title(&self) -> String {
        if self.labels.is_empty() {
            return "Pods no policy tells apart".to_owned();
        }
        self.labels
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One end of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum MapEnd {
    /// [`PolicyMap::groups`]`[index]`.
    Group {
        index: usize,
    },
    IngressController,
    Dns,
    Internet,
}

/// What one side of a flow says.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum FlowSide {
    /// No policy isolates the group in this direction.
    NotIsolated,
    /// These rules, of the policies that isolate the group, allow it (with the flow's ports).
    Rules { rules: Vec<RuleRef> },
    /// A platform Pod's own side, which its policies (the platform's) decide.
    Platform,
    /// The internet, which has no policies.
    Outside,
}

/// An allowed flow.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Flow {
    pub from: MapEnd,
    pub to: MapEnd,
    /// The ports both sides allow; never empty.
    pub ports: PortSet,
    /// Egress at the source.
    pub egress: FlowSide,
    /// Ingress at the destination.
    pub ingress: FlowSide,
}

impl PolicyMap {
    /// A number that changes when the map does, and is the same for the same map in every
    /// process of one build: what a page compares to learn whether to redraw.
    pub fn version(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.hash(&mut hasher);
        hasher.finish()
    }

    /// The ends flows may come from: the groups, the ingress controller, the internet.
    pub fn sources(&self) -> Vec<MapEnd> {
        let mut ends = self.group_ends();
        ends.extend([MapEnd::IngressController, MapEnd::Internet]);
        ends
    }

    /// The ends flows may go to: the groups, the cluster DNS, the internet.
    pub fn destinations(&self) -> Vec<MapEnd> {
        let mut ends = self.group_ends();
        ends.extend([MapEnd::Dns, MapEnd::Internet]);
        ends
    }

    fn group_ends(&self) -> Vec<MapEnd> {
        (0..self.groups.len())
            .map(|index| MapEnd::Group { index })
            .collect()
    }

    /// The flow from `from` to `to`, if one is allowed.
    pub fn flow(&self, from: MapEnd, to: MapEnd) -> Option<&Flow> {
        self.flows.iter().find(|f| f.from == from && f.to == to)
    }

    /// An end in words: a group's title, "the ingress controller", ….
    pub fn end_title(&self, end: MapEnd) -> String {
        match end {
            MapEnd::Group { index } => self
                .groups
                .get(index)
                .map(PodGroup::title)
                .unwrap_or_default(),
            MapEnd::IngressController => "the ingress controller".to_owned(),
            MapEnd::Dns => "the cluster DNS".to_owned(),
            MapEnd::Internet => "the internet".to_owned(),
        }
    }
}

/// One ingress or egress rule of the namespace's policies, where it is.
struct RuleAt<'a> {
    policy: usize,
    reference: RuleRef,
    rule: &'a CompiledRule,
}

/// Draws the map of `objects`' namespace.
pub fn map(objects: &NamespaceObjects, platform: &Platform) -> PolicyMap {
    let namespace = objects.namespace.name.as_str();
    let mut own_labels = objects.namespace.labels.clone();
    own_labels.insert(NAMESPACE_NAME_LABEL.to_owned(), namespace.to_owned());

    let platform_pods: Vec<PodInfo> = [End::IngressController, End::Dns]
        .iter()
        .filter_map(|end| end_pod(end, namespace, platform, false))
        .collect();
    let mut namespaces = vec![objects.namespace.clone()];
    for pod in &platform_pods {
        if !namespaces.iter().any(|n| n.name == pod.namespace) {
            namespaces.push(NamespaceInfo::new(&pod.namespace, []));
        }
    }
    let model = TrafficModel::new(
        &objects.policies,
        namespaces,
        objects
            .pods
            .iter()
            .filter(|pod| pod.namespace == namespace)
            .cloned()
            .chain(platform_pods.iter().cloned()),
    );
    let policies = model.policies_in(namespace);

    // What the policies look at: label keys, and port names.
    let mut keys: Vec<&str> = Vec::new();
    let mut port_names: Vec<&str> = Vec::new();
    for policy in policies {
        keys.extend(policy.pod_selector.keys());
        for rule in policy.ingress.iter().chain(&policy.egress).flatten() {
            for peer in rule.peers.iter().flatten() {
                if let CompiledPeer::Pods {
                    namespaces,
                    pods: Some(selector),
                } = peer
                {
                    let here = match namespaces {
                        NamespaceScope::Own => true,
                        NamespaceScope::Matching(selector) => selector.matches(&own_labels),
                    };
                    if here {
                        keys.extend(selector.keys());
                    }
                }
            }
            for port in rule.ports.iter().flatten() {
                if let CompiledPort::Match {
                    port: PortMatch::Name(name),
                    ..
                } = port
                {
                    port_names.push(name);
                }
            }
        }
    }
    keys.sort_unstable();
    keys.dedup();
    port_names.sort_unstable();
    port_names.dedup();

    // The groups, each with the Pod that stands for it.
    type Signature = (BTreeMap<String, String>, Vec<(String, u8, u16)>);
    let mut by_signature: BTreeMap<Signature, Vec<&PodInfo>> = BTreeMap::new();
    for pod in objects.pods.iter().filter(|pod| pod.namespace == namespace) {
        let Some(pod) = model.pod(&pod.reference()) else {
            continue;
        };
        let labels: BTreeMap<String, String> = keys
            .iter()
            .filter_map(|key| pod.labels.get_key_value(*key))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut named: Vec<(String, u8, u16)> = pod
            .ports
            .iter()
            .filter_map(|port| {
                let name = port.name.as_deref()?;
                port_names
                    .binary_search(&name)
                    .ok()
                    .map(|_| (name.to_owned(), protocol_rank(port.protocol), port.number))
            })
            .collect();
        named.sort_unstable();
        named.dedup();
        by_signature.entry((labels, named)).or_default().push(pod);
    }
    // The same Pod may not be listed twice; the model kept the first.
    let mut representatives: Vec<&PodInfo> = Vec::new();
    let mut groups: Vec<PodGroup> = Vec::new();
    for ((labels, _), mut pods) in by_signature {
        pods.sort_by(|a, b| a.name.cmp(&b.name));
        pods.dedup_by(|a, b| a.name == b.name);
        let Some(first) = pods.first().copied() else {
            continue;
        };
        let isolation = model.isolation(first);
        groups.push(PodGroup {
            labels,
            pods: pods.iter().map(|pod| pod.name.clone()).collect(),
            named_ports: first
                .ports
                .iter()
                .filter(|port| {
                    port.name
                        .as_deref()
                        .is_some_and(|name| port_names.binary_search(&name).is_ok())
                })
                .cloned()
                .collect(),
            ingress_isolated_by: isolation.ingress.into_iter().map(|(p, _)| p).collect(),
            egress_isolated_by: isolation.egress.into_iter().map(|(p, _)| p).collect(),
        });
        representatives.push(first);
    }

    // The ends: groups first, as in `sources()` and `destinations()`.
    let find_platform = |name: &str| {
        platform_pods
            .iter()
            .find(|pod| pod.name == name)
            .and_then(|pod| model.pod(&PodRef::new(&pod.namespace, &pod.name)))
    };
    let ingress_controller = find_platform(super::question::INGRESS_CONTROLLER_POD);
    let dns = find_platform(super::question::DNS_POD);
    let end_pod = |end: MapEnd| -> Option<&PodInfo> {
        match end {
            MapEnd::Group { index } => representatives.get(index).copied(),
            MapEnd::IngressController => ingress_controller,
            MapEnd::Dns => dns,
            MapEnd::Internet => None,
        }
    };
    let endpoint = |end: MapEnd| -> Endpoint<'_> {
        match end_pod(end) {
            Some(pod) => model.endpoint(pod),
            None => Endpoint::Outside,
        }
    };

    let mut ingress_rules: Vec<RuleAt<'_>> = Vec::new();
    let mut egress_rules: Vec<RuleAt<'_>> = Vec::new();
    for (index, policy) in policies.iter().enumerate() {
        for (direction, rules, out) in [
            (Direction::Ingress, &policy.ingress, &mut ingress_rules),
            (Direction::Egress, &policy.egress, &mut egress_rules),
        ] {
            for (rule_index, rule) in rules.iter().flatten().enumerate() {
                out.push(RuleAt {
                    policy: index,
                    reference: RuleRef {
                        policy: policy.policy.clone(),
                        direction,
                        index: rule_index,
                    },
                    rule,
                });
            }
        }
    }
    let group_count = groups.len();
    let selects: Vec<Vec<bool>> = policies
        .iter()
        .map(|policy| {
            representatives
                .iter()
                .map(|pod| policy.pod_selector.matches(&pod.labels))
                .collect()
        })
        .collect();
    let map_sources: Vec<MapEnd> = (0..group_count)
        .map(|index| MapEnd::Group { index })
        .chain([MapEnd::IngressController, MapEnd::Internet])
        .collect();
    let map_destinations: Vec<MapEnd> = (0..group_count)
        .map(|index| MapEnd::Group { index })
        .chain([MapEnd::Dns, MapEnd::Internet])
        .collect();
    // Which rules' peers match which end, and the ports of each rule on each destination.
    let ingress_peers: Vec<Vec<bool>> = ingress_rules
        .iter()
        .map(|at| {
            map_sources
                .iter()
                .map(|end| peers_match(at.rule, &at.reference.policy.namespace, endpoint(*end)))
                .collect()
        })
        .collect();
    // A rule's ports are read only where its policy selects the group (ingress) or its peers
    // match the destination (egress); elsewhere they stay empty.
    let ingress_ports: Vec<Vec<PortSet>> = ingress_rules
        .iter()
        .map(|at| {
            let needed = |group: usize| {
                selects
                    .get(at.policy)
                    .and_then(|row| row.get(group))
                    .copied()
                    .unwrap_or(false)
            };
            ports_on(
                at.rule,
                representatives
                    .iter()
                    .enumerate()
                    .map(|(group, pod)| needed(group).then_some(Some(*pod))),
            )
        })
        .collect();
    let egress_peers: Vec<Vec<bool>> = egress_rules
        .iter()
        .map(|at| {
            map_destinations
                .iter()
                .map(|end| peers_match(at.rule, &at.reference.policy.namespace, endpoint(*end)))
                .collect()
        })
        .collect();
    let egress_ports: Vec<Vec<PortSet>> = egress_rules
        .iter()
        .zip(&egress_peers)
        .map(|(at, peers)| {
            ports_on(
                at.rule,
                map_destinations.iter().enumerate().map(|(index, end)| {
                    peers
                        .get(index)
                        .copied()
                        .unwrap_or(false)
                        .then(|| end_pod(*end))
                }),
            )
        })
        .collect();

    // One side: (its ports, what it says), from the rules of the policies that isolate
    // `group` in that direction whose peers match the other end.
    // For each group, the rules (by index) of the policies that select it, per direction.
    let rules_selecting = |rules: &[RuleAt<'_>]| -> Vec<Vec<usize>> {
        (0..group_count)
            .map(|group| {
                (0..rules.len())
                    .filter(|index| {
                        rules.get(*index).is_some_and(|at| {
                            selects
                                .get(at.policy)
                                .and_then(|row| row.get(group))
                                .copied()
                                .unwrap_or(false)
                        })
                    })
                    .collect()
            })
            .collect()
    };
    let ingress_selecting = rules_selecting(&ingress_rules);
    let egress_selecting = rules_selecting(&egress_rules);

    // One side: (its ports, what it says), from `candidates` (the rules of the policies that
    // select the group in that direction) whose peers match the other end.
    let side = |rules: &[RuleAt<'_>],
                candidates: Option<&Vec<usize>>,
                peers: &[Vec<bool>],
                ports: &[Vec<PortSet>],
                other: usize,
                ports_at: usize,
                isolated: bool|
     -> (PortSet, FlowSide) {
        if !isolated {
            return (PortSet::every(), FlowSide::NotIsolated);
        }
        let mut allowed = PortSet::default();
        let mut by = Vec::new();
        for &index in candidates.into_iter().flatten() {
            let matches = peers
                .get(index)
                .and_then(|row| row.get(other))
                .copied()
                .unwrap_or(false);
            if !matches {
                continue;
            }
            if let (Some(at), Some(set)) = (
                rules.get(index),
                ports.get(index).and_then(|row| row.get(ports_at)),
            ) && !set.is_empty()
            {
                allowed.add_all(set);
                by.push(at.reference.clone());
            }
        }
        (allowed, FlowSide::Rules { rules: by })
    };

    let mut flows = Vec::new();
    for (source_index, &from) in map_sources.iter().enumerate() {
        for (destination_index, &to) in map_destinations.iter().enumerate() {
            let (egress_ports_set, egress) = match from {
                MapEnd::Group { index } => side(
                    &egress_rules,
                    egress_selecting.get(index),
                    &egress_peers,
                    &egress_ports,
                    destination_index,
                    destination_index,
                    groups
                        .get(index)
                        .is_some_and(|g| !g.egress_isolated_by.is_empty()),
                ),
                MapEnd::Internet => (PortSet::every(), FlowSide::Outside),
                _ => (PortSet::every(), FlowSide::Platform),
            };
            let (ingress_ports_set, ingress) = match to {
                MapEnd::Group { index } => side(
                    &ingress_rules,
                    ingress_selecting.get(index),
                    &ingress_peers,
                    &ingress_ports,
                    source_index,
                    index,
                    groups
                        .get(index)
                        .is_some_and(|g| !g.ingress_isolated_by.is_empty()),
                ),
                MapEnd::Internet => (PortSet::every(), FlowSide::Outside),
                _ => (PortSet::every(), FlowSide::Platform),
            };
            if !matches!(from, MapEnd::Group { .. }) && !matches!(to, MapEnd::Group { .. }) {
                continue;
            }
            let ports = egress_ports_set.intersection(&ingress_ports_set);
            if ports.is_empty() {
                continue;
            }
            flows.push(Flow {
                from,
                to,
                ports,
                egress,
                ingress,
            });
        }
    }

    PolicyMap {
        namespace: namespace.to_owned(),
        groups,
        flows,
        policies: policies.iter().map(|p| p.policy.clone()).collect(),
        problems: model
            .problems()
            .into_iter()
            .filter(|problem| {
                problem
                    .policy
                    .as_ref()
                    .is_none_or(|policy| policy.namespace == namespace)
            })
            .cloned()
            .collect(),
    }
}

/// The ports a rule allows on `destination` (named ports resolved on it; an address declares
/// none).
/// `rule`'s ports on each of `destinations` (`None`: not needed, left empty); worked out once
/// for a rule that names no port, since only named ports depend on the destination.
fn ports_on<'a>(
    rule: &CompiledRule,
    destinations: impl Iterator<Item = Option<Option<&'a PodInfo>>>,
) -> Vec<PortSet> {
    let names_ports = rule.ports.iter().flatten().any(|entry| {
        matches!(
            entry,
            CompiledPort::Match {
                port: PortMatch::Name(_),
                ..
            }
        )
    });
    let mut shared: Option<PortSet> = None;
    destinations
        .map(|destination| match destination {
            None => PortSet::default(),
            Some(pod) if names_ports => rule_ports(rule, pod),
            Some(_) => shared.get_or_insert_with(|| rule_ports(rule, None)).clone(),
        })
        .collect()
}

fn rule_ports(rule: &CompiledRule, destination: Option<&PodInfo>) -> PortSet {
    let Some(entries) = &rule.ports else {
        return PortSet::every();
    };
    let mut set = PortSet::default();
    for entry in entries {
        let CompiledPort::Match { protocol, port } = entry else {
            continue;
        };
        match port {
            PortMatch::Any => set.add(*protocol, 1, u16::MAX),
            PortMatch::Range(start, end) => set.add(*protocol, *start, *end),
            PortMatch::Name(name) => {
                for declared in destination.iter().flat_map(|pod| &pod.ports) {
                    if declared.name.as_deref() == Some(name.as_str())
                        && declared.protocol == *protocol
                    {
                        set.add(*protocol, declared.number, declared.number);
                    }
                }
            }
        }
    }
    set
}

fn protocol_rank(protocol: Protocol) -> u8 {
    match protocol {
        Protocol::Tcp => 0,
        Protocol::Udp => 1,
        Protocol::Sctp => 2,
    }
}
