//! The evaluator: given every NetworkPolicy, Pod and namespace, decides whether one connection
//! gets through, side by side (egress at the source Pod, ingress at the destination Pod), and
//! which policies and rules decide it.
//!
//! [`TrafficModel::new`] reads the inputs once (policies compiled, indexed by namespace; Pods and
//! namespaces by name), so that each [`TrafficModel::check`] only looks at the policies of the
//! two namespaces involved. See the module documentation of [`super`] for the semantics.
//!
//! Over 400 lines on purpose: egress and ingress are decided by the same steps in mirror image,
//! and keeping both directions in one file keeps them from drifting apart.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use k8s_openapi::api::networking::v1::NetworkPolicy;

use super::compile::{
    CompiledPeer, CompiledPolicy, CompiledPort, CompiledRule, NamespaceScope, PortMatch, compile,
};
use super::model::{
    Answer, Connection, ConnectionError, Decision, Destination, Direction, DirectionAnswer,
    Isolation, NAMESPACE_NAME_LABEL, NamespaceInfo, PodInfo, PodRef, Port, Problem, ProblemKind,
    Protocol, ResolvedPort, RuleRef, Source,
};

/// Every policy, Pod and namespace, read and indexed for checking connections.
#[derive(Debug, Clone)]
pub struct TrafficModel {
    /// Sorted by namespace, then name: the order in which rules are quoted.
    policies: Vec<CompiledPolicy>,
    /// Where each namespace's policies start and end in `policies`.
    policy_ranges: HashMap<String, (usize, usize)>,
    pods: Vec<PodInfo>,
    /// Namespace, then Pod name, to an index into `pods`.
    pod_index: HashMap<String, HashMap<String, usize>>,
    /// Every namespace's labels, with the name label the API server adds.
    namespace_labels: HashMap<String, BTreeMap<String, String>>,
    /// Problems by the namespace they concern (its policies, Pods, missing labels).
    namespace_problems: HashMap<String, Vec<Problem>>,
    /// Problems that concern no namespace (a policy without one).
    other_problems: Vec<Problem>,
}

/// One side of a connection as the other side's policies see it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Endpoint<'a> {
    Pod {
        pod: &'a PodInfo,
        namespace_labels: &'a BTreeMap<String, String>,
    },
    Ip(IpAddr),
    Outside,
}

/// The port of the connection, with the Pod whose named ports it is resolved on.
#[derive(Debug, Clone, Copy)]
struct PortContext<'a> {
    protocol: Protocol,
    number: Option<u16>,
    destination: Option<&'a PodInfo>,
}

impl TrafficModel {
    /// Reads the inputs. Malformed policies and duplicates are kept as problems (see
    /// [`TrafficModel::problems`]); nothing here fails.
    ///
    /// Policies may be given as a slice, or as the `Arc`s a kube-runtime store hands out, without
    /// copying them; Pods and namespaces are taken over.
    pub fn new<P: Borrow<NetworkPolicy>>(
        policies: impl IntoIterator<Item = P>,
        namespaces: impl IntoIterator<Item = NamespaceInfo>,
        pods: impl IntoIterator<Item = PodInfo>,
    ) -> Self {
        let mut namespace_problems: HashMap<String, Vec<Problem>> = HashMap::new();
        let mut other_problems = Vec::new();

        let mut compiled: Vec<CompiledPolicy> = Vec::new();
        for policy in policies {
            let policy = policy.borrow();
            let Some(policy_compiled) = compile(policy) else {
                let problem = Problem {
                    policy: None,
                    path: "metadata".into(),
                    kind: ProblemKind::MissingMetadata,
                };
                match policy.metadata.namespace.as_deref() {
                    Some(namespace) if !namespace.is_empty() => namespace_problems
                        .entry(namespace.to_owned())
                        .or_default()
                        .push(problem),
                    _ => other_problems.push(problem),
                }
                continue;
            };
            compiled.push(policy_compiled);
        }
        // A stable sort keeps the first of two policies with the same name first.
        compiled.sort_by(|a, b| a.policy.cmp(&b.policy));
        let mut unique: Vec<CompiledPolicy> = Vec::with_capacity(compiled.len());
        for policy in compiled {
            if unique
                .last()
                .is_some_and(|last| last.policy == policy.policy)
            {
                namespace_problems
                    .entry(policy.policy.namespace.clone())
                    .or_default()
                    .push(Problem {
                        policy: Some(policy.policy.clone()),
                        path: String::new(),
                        kind: ProblemKind::DuplicatePolicy {
                            namespace: policy.policy.namespace.clone(),
                            name: policy.policy.name.clone(),
                        },
                    });
            } else {
                unique.push(policy);
            }
        }
        let mut policy_ranges: HashMap<String, (usize, usize)> = HashMap::new();
        for (index, policy) in unique.iter().enumerate() {
            policy_ranges
                .entry(policy.policy.namespace.clone())
                .and_modify(|range| range.1 = index + 1)
                .or_insert((index, index + 1));
            if !policy.problems.is_empty() {
                namespace_problems
                    .entry(policy.policy.namespace.clone())
                    .or_default()
                    .extend(policy.problems.iter().cloned());
            }
        }

        let mut namespace_labels: HashMap<String, BTreeMap<String, String>> = HashMap::new();
        for namespace in namespaces {
            let mut labels = namespace.labels;
            labels.insert(NAMESPACE_NAME_LABEL.to_owned(), namespace.name.clone());
            namespace_labels.entry(namespace.name).or_insert(labels);
        }

        let mut kept: Vec<PodInfo> = Vec::new();
        let mut pod_index: HashMap<String, HashMap<String, usize>> = HashMap::new();
        for pod in pods {
            // Looked up before inserting, so a namespace's name is copied once, not per Pod.
            if !pod_index.contains_key(&pod.namespace) {
                pod_index.insert(pod.namespace.clone(), HashMap::new());
            }
            let Some(in_namespace) = pod_index.get_mut(&pod.namespace) else {
                continue;
            };
            if in_namespace.contains_key(&pod.name) {
                namespace_problems
                    .entry(pod.namespace.clone())
                    .or_default()
                    .push(Problem::of_inputs(ProblemKind::DuplicatePod {
                        pod: pod.reference(),
                    }));
                continue;
            }
            in_namespace.insert(pod.name.clone(), kept.len());
            if !namespace_labels.contains_key(&pod.namespace) {
                namespace_labels.insert(
                    pod.namespace.clone(),
                    BTreeMap::from([(NAMESPACE_NAME_LABEL.to_owned(), pod.namespace.clone())]),
                );
                namespace_problems
                    .entry(pod.namespace.clone())
                    .or_default()
                    .push(Problem::of_inputs(ProblemKind::UnknownNamespace {
                        name: pod.namespace.clone(),
                    }));
            }
            kept.push(pod);
        }

        Self {
            policies: unique,
            policy_ranges,
            pods: kept,
            pod_index,
            namespace_labels,
            namespace_problems,
            other_problems,
        }
    }

    /// Every problem found in the inputs: policies without a namespace first, then by namespace.
    pub fn problems(&self) -> Vec<&Problem> {
        let mut namespaces: Vec<&String> = self.namespace_problems.keys().collect();
        namespaces.sort();
        self.other_problems
            .iter()
            .chain(
                namespaces
                    .into_iter()
                    .filter_map(|namespace| self.namespace_problems.get(namespace))
                    .flatten(),
            )
            .collect()
    }

    /// The Pod `reference` names, if it was given.
    pub fn pod(&self, reference: &PodRef) -> Option<&PodInfo> {
        let index = *self
            .pod_index
            .get(&reference.namespace)?
            .get(&reference.name)?;
        self.pods.get(index)
    }

    /// Decides `connection`. Fails only when the connection itself cannot be asked (an unknown
    /// Pod, port 0, an empty port name); problems in the policies are part of the answer.
    pub fn check(&self, connection: &Connection) -> Result<Answer, ConnectionError> {
        match &connection.port {
            Port::Number(0) => return Err(ConnectionError::PortZero),
            Port::Named(name) if name.is_empty() => return Err(ConnectionError::EmptyPortName),
            _ => {}
        }
        let (source_pod, source) = match &connection.source {
            Source::Pod(reference) => {
                let pod = self.known_pod(reference)?;
                (Some(pod), self.endpoint(pod))
            }
            Source::Ip { address } => (None, Endpoint::Ip(*address)),
            Source::Outside => (None, Endpoint::Outside),
        };
        let (destination_pod, destination) = match &connection.destination {
            Destination::Pod(reference) => {
                let pod = self.known_pod(reference)?;
                (Some(pod), self.endpoint(pod))
            }
            Destination::Ip { address } => (None, Endpoint::Ip(*address)),
            Destination::Outside => (None, Endpoint::Outside),
        };

        let mut problems = Vec::new();
        let port = resolve_port(
            &connection.port,
            connection.protocol,
            destination_pod,
            &mut problems,
        );
        let context = PortContext {
            protocol: connection.protocol,
            number: port.number,
            destination: destination_pod,
        };
        let ingress =
            destination_pod.map(|pod| self.decide(Direction::Ingress, pod, source, context));
        let egress =
            source_pod.map(|pod| self.decide(Direction::Egress, pod, destination, context));
        let to_itself = match (source_pod, destination_pod) {
            (Some(a), Some(b)) => a.namespace == b.namespace && a.name == b.name,
            _ => false,
        };
        let allowed = to_itself
            || (ingress.as_ref().is_none_or(DirectionAnswer::allows)
                && egress.as_ref().is_none_or(DirectionAnswer::allows));

        let mut involved: Vec<&str> = Vec::new();
        for pod in [source_pod, destination_pod].into_iter().flatten() {
            if !involved.contains(&pod.namespace.as_str()) {
                involved.push(&pod.namespace);
            }
        }
        let mut all_problems: Vec<Problem> = involved
            .into_iter()
            .filter_map(|namespace| self.namespace_problems.get(namespace))
            .flatten()
            .cloned()
            .collect();
        all_problems.extend(problems);

        Ok(Answer {
            connection: connection.clone(),
            port,
            ingress,
            egress,
            to_itself,
            allowed,
            problems: all_problems,
        })
    }

    fn known_pod(&self, reference: &PodRef) -> Result<&PodInfo, ConnectionError> {
        self.pod(reference)
            .ok_or_else(|| ConnectionError::UnknownPod {
                pod: reference.clone(),
            })
    }

    pub(super) fn endpoint<'a>(&'a self, pod: &'a PodInfo) -> Endpoint<'a> {
        static NO_LABELS: BTreeMap<String, String> = BTreeMap::new();
        Endpoint::Pod {
            pod,
            // Every kept Pod's namespace has an entry (made up when it was not given).
            namespace_labels: self
                .namespace_labels
                .get(&pod.namespace)
                .unwrap_or(&NO_LABELS),
        }
    }

    /// Which policies isolate `pod` (one that need not exist yet: its namespace and labels are
    /// enough), per direction, each with how many rules it has for that direction: a Pod
    /// isolated only by policies without rules gets nothing through in that direction.
    pub fn isolation(&self, pod: &PodInfo) -> Isolation {
        let mut isolation = Isolation::default();
        for policy in self.policies_in(&pod.namespace) {
            if !policy.pod_selector.matches(&pod.labels) {
                continue;
            }
            if let Some(rules) = &policy.ingress {
                isolation.ingress.push((policy.policy.clone(), rules.len()));
            }
            if let Some(rules) = &policy.egress {
                isolation.egress.push((policy.policy.clone(), rules.len()));
            }
        }
        isolation
    }

    pub(super) fn policies_in(&self, namespace: &str) -> &[CompiledPolicy] {
        match self.policy_ranges.get(namespace) {
            Some(&(start, end)) => self.policies.get(start..end).unwrap_or_default(),
            None => &[],
        }
    }

    /// The decision of `pod`'s policies for `direction`, `peer` being the other side.
    fn decide(
        &self,
        direction: Direction,
        pod: &PodInfo,
        peer: Endpoint<'_>,
        port: PortContext<'_>,
    ) -> DirectionAnswer {
        let mut isolated_by = Vec::new();
        let mut matching_rules = Vec::new();
        let mut ip_block_caveats = Vec::new();
        for policy in self.policies_in(&pod.namespace) {
            let rules = match direction {
                Direction::Ingress => policy.ingress.as_deref(),
                Direction::Egress => policy.egress.as_deref(),
            };
            let Some(rules) = rules else { continue };
            if !policy.pod_selector.matches(&pod.labels) {
                continue;
            }
            isolated_by.push(policy.policy.clone());
            for (index, rule) in rules.iter().enumerate() {
                if !ports_match(rule, port) {
                    continue;
                }
                let reference = || RuleRef {
                    policy: policy.policy.clone(),
                    direction,
                    index,
                };
                if peers_match(rule, &policy.policy.namespace, peer) {
                    matching_rules.push(reference());
                } else if rule.has_ip_block && matches!(peer, Endpoint::Pod { .. }) {
                    ip_block_caveats.push(reference());
                }
            }
        }
        let decision = if isolated_by.is_empty() {
            Decision::NotIsolated
        } else {
            match matching_rules.first() {
                Some(rule) => Decision::Allowed { by: rule.clone() },
                None => Decision::Denied,
            }
        };
        DirectionAnswer {
            direction,
            pod: pod.reference(),
            isolated_by,
            matching_rules,
            decision,
            ip_block_caveats,
        }
    }
}

/// Resolves the connection's port on the destination Pod: a number gets the Pod's name for it,
/// a name gets its number (the first container port of that name and protocol).
fn resolve_port(
    port: &Port,
    protocol: Protocol,
    destination: Option<&PodInfo>,
    problems: &mut Vec<Problem>,
) -> ResolvedPort {
    match port {
        Port::Number(number) => ResolvedPort {
            number: Some(*number),
            name: destination.and_then(|pod| {
                pod.ports
                    .iter()
                    .find(|p| p.number == *number && p.protocol == protocol)
                    .and_then(|p| p.name.clone())
            }),
        },
        Port::Named(name) => {
            let number = match destination {
                Some(pod) => {
                    let found = pod
                        .ports
                        .iter()
                        .find(|p| p.name.as_deref() == Some(name) && p.protocol == protocol)
                        .map(|p| p.number);
                    if found.is_none() {
                        problems.push(Problem::of_inputs(ProblemKind::UnknownPortName {
                            pod: pod.reference(),
                            name: name.clone(),
                            protocol,
                        }));
                    }
                    found
                }
                None => {
                    problems.push(Problem::of_inputs(ProblemKind::PortNameWithoutPod {
                        name: name.clone(),
                    }));
                    None
                }
            };
            ResolvedPort {
                number,
                name: Some(name.clone()),
            }
        }
    }
}

/// A rule without ports matches every port of every protocol; otherwise some entry must.
fn ports_match(rule: &CompiledRule, context: PortContext<'_>) -> bool {
    let Some(ports) = &rule.ports else {
        return true;
    };
    ports.iter().any(|entry| match entry {
        CompiledPort::Never => false,
        CompiledPort::Match { protocol, port } => {
            *protocol == context.protocol
                && match port {
                    PortMatch::Any => true,
                    PortMatch::Range(start, end) => context
                        .number
                        .is_some_and(|number| (*start..=*end).contains(&number)),
                    // Resolved on the destination Pod, with the entry's protocol; an address
                    // that is not a Pod declares no ports.
                    PortMatch::Name(name) => context.number.is_some_and(|number| {
                        context.destination.is_some_and(|pod| {
                            pod.ports.iter().any(|p| {
                                p.name.as_deref() == Some(name.as_str())
                                    && p.protocol == *protocol
                                    && p.number == number
                            })
                        })
                    }),
                }
        }
    })
}

/// A rule without peers matches every peer; otherwise some peer must.
pub(super) fn peers_match(rule: &CompiledRule, policy_namespace: &str, peer: Endpoint<'_>) -> bool {
    let Some(peers) = &rule.peers else {
        return true;
    };
    peers.iter().any(|candidate| match (candidate, peer) {
        (CompiledPeer::Never, _) => false,
        (
            CompiledPeer::Pods { namespaces, pods },
            Endpoint::Pod {
                pod,
                namespace_labels,
            },
        ) => {
            let namespace_matches = match namespaces {
                NamespaceScope::Own => pod.namespace == policy_namespace,
                NamespaceScope::Matching(selector) => selector.matches(namespace_labels),
            };
            namespace_matches
                && pods
                    .as_ref()
                    .is_none_or(|selector| selector.matches(&pod.labels))
        }
        // Selectors pick Pods, never addresses outside them.
        (CompiledPeer::Pods { .. }, Endpoint::Ip(_) | Endpoint::Outside) => false,
        // ipBlock is for addresses outside the cluster; Pods are matched by selectors only.
        (CompiledPeer::IpBlock { .. }, Endpoint::Pod { .. }) => false,
        (CompiledPeer::IpBlock { cidr, except }, Endpoint::Ip(address)) => {
            cidr.contains_addr(address) && !except.iter().any(|e| e.contains_addr(address))
        }
        // An unknown address outside the cluster is in the block only if every address is.
        (CompiledPeer::IpBlock { cidr, except }, Endpoint::Outside) => {
            cidr.prefix_len() == 0 && except.is_empty()
        }
    })
}
