//! The traffic engine (`app::domain::traffic`) against a second, brute-force implementation
//! written here from the Kubernetes NetworkPolicy reference text, sharing no code with it.
//!
//! The reference does not match a connection against rules. For every policy and rule it lists
//! the whole set of (peer, protocol, port) it allows, over a small universe (every generated
//! Pod, a handful of addresses, "outside the cluster", three protocols, a few port numbers and
//! "a port name nobody declares"), and then asks whether the connection is in the union. The
//! engine's verdict, isolating policies, matching rules and allowing rule must all agree.
//!
//! Policies, Pods, namespaces and connections are generated over a small label alphabet so that
//! selectors often match: matchLabels, matchExpressions (with invalid operators and values now
//! and then), numbered and named ports, endPort, ipBlocks with except (IPv4 and IPv6, some
//! malformed, some with host bits), every policyTypes combination.
//!
//! `cargo test -p app --test traffic_reference` runs 2 000 cases (or `PROPTEST_CASES`). For
//! 100 000: `cargo test -p app --test traffic_reference -- --ignored`, or
//! `PROPTEST_CASES=100000 cargo test -p app --test traffic_reference`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use app::domain::traffic::map::{MapEnd, map};
use app::domain::traffic::question::{NamespaceObjects, Platform};
use app::domain::traffic::{
    Answer, Connection, ContainerPort, Decision, Destination, Direction, DirectionAnswer,
    NamespaceInfo, PodInfo, PodRef, Port, Protocol, Source, TrafficModel, explain,
};
use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ObjectMeta,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use proptest::prelude::*;
use proptest::sample::select;

// ---------------------------------------------------------------------------------------------
// The universe
// ---------------------------------------------------------------------------------------------

static NAMESPACES: [&str; 3] = ["ns-a", "ns-b", "ns-c"];
const NAME_LABEL: &str = "kubernetes.io/metadata.name";
static ADDRESSES: [&str; 7] = [
    "10.1.2.3",
    "10.200.0.1",
    "203.0.113.9",
    "198.51.100.1",
    "2001:db8:1::5",
    "2001:db8:2::1",
    "2001:db9::1",
];
static CIDRS: [&str; 11] = [
    "10.0.0.0/8",
    "10.1.0.0/16",
    "10.1.2.3/32",
    "0.0.0.0/0",
    "203.0.113.0/24",
    "198.51.100.0/25",
    "::/0",
    "2001:db8::/32",
    "2001:db8:1::/48",
    // Host bits set: read as 10.0.0.0/8 and 2001:db8::/32.
    "10.1.2.3/8",
    "2001:db8::1/32",
];
static MALFORMED_CIDRS: [&str; 3] = ["10.0.0/8", "10.0.0.0/33", "bogus"];
/// Port numbers a connection or a rule may use; every Pod port is among them.
static NUMBERS: [u16; 5] = [53, 80, 443, 8080, 9000];
/// The numbers Pods declare (a subset, so that some connections go to undeclared ports).
static POD_NUMBERS: [u16; 3] = [53, 80, 8080];
static PORT_NAMES: [&str; 2] = ["http", "dns"];

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Case {
    namespaces: Vec<NamespaceInfo>,
    pods: Vec<PodInfo>,
    policies: Vec<NetworkPolicy>,
    connection: Connection,
}

fn labels(
    keys: &'static [&'static str],
    values: &'static [&'static str],
) -> BoxedStrategy<BTreeMap<String, String>> {
    prop::collection::btree_map(
        select(keys).prop_map(str::to_owned),
        select(values).prop_map(str::to_owned),
        0..=keys.len(),
    )
    .boxed()
}

fn selector(
    keys: &'static [&'static str],
    values: &'static [&'static str],
) -> BoxedStrategy<LabelSelector> {
    let requirement =
        |key: &str, operator: &str, values: Option<Vec<&str>>| LabelSelectorRequirement {
            key: key.to_owned(),
            operator: operator.to_owned(),
            values: values.map(|v| v.into_iter().map(str::to_owned).collect()),
        };
    let expression = prop_oneof![
        6 => (select(keys), select(&["In", "NotIn"][..]), prop::collection::vec(select(values), 1..3))
            .prop_map(move |(key, operator, values)| requirement(key, operator, Some(values))),
        3 => (select(keys), select(&["Exists", "DoesNotExist"][..]))
            .prop_map(move |(key, operator)| requirement(key, operator, None)),
        // Malformed now and then: a wrong operator, or values where they do not belong.
        1 => (
            select(keys),
            select(&["In", "NotIn", "Exists", "DoesNotExist", "in", "Equals", ""][..]),
            prop::option::of(prop::collection::vec(select(values), 0..3)),
        )
            .prop_map(move |(key, operator, values)| requirement(key, operator, values)),
    ];
    (
        prop::option::of(prop::collection::btree_map(
            select(keys).prop_map(str::to_owned),
            select(values).prop_map(str::to_owned),
            0..2,
        )),
        prop::option::weighted(0.4, prop::collection::vec(expression, 0..3)),
    )
        .prop_map(|(match_labels, match_expressions)| LabelSelector {
            match_labels,
            match_expressions,
        })
        .boxed()
}

const POD_KEYS: &[&str] = &["app", "tier"];
const POD_VALUES: &[&str] = &["a", "b"];
const NS_KEYS: &[&str] = &["team", NAME_LABEL];
const NS_VALUES: &[&str] = &["a", "b", "ns-a", "ns-b", "ns-c"];

fn pod_selector() -> BoxedStrategy<LabelSelector> {
    selector(POD_KEYS, POD_VALUES)
}

fn namespace_selector() -> BoxedStrategy<LabelSelector> {
    selector(NS_KEYS, NS_VALUES)
}

/// A CIDR, whole address families often (so that "outside the cluster" can match).
fn cidr_text() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        6 => select(&CIDRS[..]),
        1 => select(&MALFORMED_CIDRS[..]),
        3 => select(&["0.0.0.0/0", "::/0"][..]),
    ]
}

fn ip_block() -> impl Strategy<Value = IPBlock> {
    (
        cidr_text(),
        // A malformed except more often than a malformed cidr: dropping it would allow more.
        prop::option::of(prop::collection::vec(
            prop_oneof![4 => cidr_text(), 1 => select(&MALFORMED_CIDRS[..])],
            0..3,
        )),
    )
        .prop_map(|(cidr, except)| IPBlock {
            cidr: cidr.to_owned(),
            except: except.map(|e| e.into_iter().map(str::to_owned).collect()),
        })
}

fn peer() -> impl Strategy<Value = NetworkPolicyPeer> {
    prop_oneof![
        3 => pod_selector().prop_map(|s| NetworkPolicyPeer { pod_selector: Some(s), ..Default::default() }),
        2 => namespace_selector().prop_map(|s| NetworkPolicyPeer { namespace_selector: Some(s), ..Default::default() }),
        3 => (namespace_selector(), pod_selector()).prop_map(|(n, p)| NetworkPolicyPeer {
            namespace_selector: Some(n), pod_selector: Some(p), ip_block: None,
        }),
        3 => ip_block().prop_map(|b| NetworkPolicyPeer { ip_block: Some(b), ..Default::default() }),
        // Malformed: empty, or an ipBlock with a selector.
        1 => Just(NetworkPolicyPeer::default()),
        1 => (ip_block(), pod_selector()).prop_map(|(b, p)| NetworkPolicyPeer {
            ip_block: Some(b), pod_selector: Some(p), namespace_selector: None,
        }),
    ]
}

fn port() -> impl Strategy<Value = NetworkPolicyPort> {
    let protocol = prop_oneof![
        5 => Just(None),
        6 => select(&["TCP", "UDP", "SCTP"][..]).prop_map(|p| Some(p.to_owned())),
        1 => select(&["tcp", "ICMP"][..]).prop_map(|p| Some(p.to_owned())),
    ];
    let number = prop_oneof![
        15 => select(&NUMBERS[..]).prop_map(i32::from),
        1 => select(&[0, -1, 70000][..]),
    ];
    let port = prop_oneof![
        2 => Just(None),
        5 => number.clone().prop_map(|n| Some(IntOrString::Int(n))),
        3 => select(&["http", "dns", "metrics"][..])
            .prop_map(|n| Some(IntOrString::String(n.to_owned()))),
        1 => Just(Some(IntOrString::String(String::new()))),
    ];
    let end_port = prop_oneof![4 => Just(None), 1 => number.prop_map(Some)];
    (protocol, port, end_port).prop_map(|(protocol, port, end_port)| NetworkPolicyPort {
        protocol,
        port,
        end_port,
    })
}

type RawRule = (
    Option<Vec<NetworkPolicyPeer>>,
    Option<Vec<NetworkPolicyPort>>,
);

fn rule() -> impl Strategy<Value = RawRule> {
    (
        prop::option::weighted(0.8, prop::collection::vec(peer(), 0..3)),
        prop::option::weighted(0.5, prop::collection::vec(port(), 0..3)),
    )
}

fn policy_types() -> impl Strategy<Value = Option<Vec<String>>> {
    prop_oneof![
        4 => Just(None),
        1 => Just(Some(vec![])),
        2 => Just(Some(vec!["Ingress".to_owned()])),
        2 => Just(Some(vec!["Egress".to_owned()])),
        2 => Just(Some(vec!["Ingress".to_owned(), "Egress".to_owned()])),
        1 => Just(Some(vec!["Egress".to_owned(), "Ingress".to_owned()])),
        1 => Just(Some(vec!["Ingres".to_owned(), "Egress".to_owned()])),
    ]
}

/// ns-a most often, so that policies and Pods meet.
fn namespace() -> impl Strategy<Value = &'static str> {
    prop_oneof![3 => Just(NAMESPACES[0]), 2 => Just(NAMESPACES[1]), 1 => Just(NAMESPACES[2])]
}

fn policy(index: usize) -> impl Strategy<Value = NetworkPolicy> {
    (
        namespace(),
        prop_oneof![
            1 => Just(None),
            3 => Just(Some(LabelSelector::default())),
            6 => pod_selector().prop_map(Some),
        ],
        policy_types(),
        prop::option::of(prop::collection::vec(rule(), 0..3)),
        prop::option::of(prop::collection::vec(rule(), 0..3)),
    )
        .prop_map(
            move |(namespace, pod_selector, policy_types, ingress, egress)| NetworkPolicy {
                metadata: ObjectMeta {
                    namespace: Some(namespace.to_owned()),
                    // Named so that name order differs from generation order.
                    name: Some(format!("pol-{}", (index * 7) % 10)),
                    ..Default::default()
                },
                spec: Some(NetworkPolicySpec {
                    pod_selector,
                    policy_types,
                    ingress: ingress.map(|rules| {
                        rules
                            .into_iter()
                            .map(|(from, ports)| NetworkPolicyIngressRule { from, ports })
                            .collect()
                    }),
                    egress: egress.map(|rules| {
                        rules
                            .into_iter()
                            .map(|(to, ports)| NetworkPolicyEgressRule { to, ports })
                            .collect()
                    }),
                }),
            },
        )
}

/// TCP most of the time, as in real clusters.
fn protocol() -> impl Strategy<Value = Protocol> {
    prop_oneof![3 => Just(Protocol::Tcp), 1 => Just(Protocol::Udp), 1 => Just(Protocol::Sctp)]
}

fn container_ports() -> impl Strategy<Value = Vec<ContainerPort>> {
    prop::collection::vec(
        (
            prop::option::weighted(0.8, select(&PORT_NAMES[..])),
            select(&POD_NUMBERS[..]),
            protocol(),
        ),
        0..4,
    )
    .prop_map(|ports| {
        // Kubernetes keeps port names unique within a Pod.
        let mut seen = BTreeSet::new();
        ports
            .into_iter()
            .filter(|(name, _, _)| name.is_none_or(|n| seen.insert(n)))
            .map(|(name, number, protocol)| ContainerPort {
                name: name.map(str::to_owned),
                number,
                protocol,
            })
            .collect()
    })
}

fn pods() -> impl Strategy<Value = Vec<PodInfo>> {
    prop::collection::vec(
        (namespace(), labels(POD_KEYS, POD_VALUES), container_ports()),
        1..6,
    )
    .prop_map(|pods| {
        pods.into_iter()
            .enumerate()
            .map(|(index, (namespace, labels, ports))| PodInfo {
                namespace: namespace.to_owned(),
                name: format!("pod-{index}"),
                labels,
                ports,
            })
            .collect()
    })
}

fn namespaces() -> impl Strategy<Value = Vec<NamespaceInfo>> {
    (
        prop::collection::vec(labels(&["team"], &["a", "b"]), 3),
        any::<bool>(),
    )
        .prop_map(|(labels, all_given)| {
            NAMESPACES
                .iter()
                .zip(labels)
                .take(if all_given { 3 } else { 2 })
                .map(|(name, labels)| NamespaceInfo {
                    name: (*name).to_owned(),
                    labels,
                })
                .collect()
        })
}

fn case() -> impl Strategy<Value = Case> {
    (
        namespaces(),
        pods(),
        (0..6usize).prop_flat_map(|count| (0..count).map(policy).collect::<Vec<_>>()),
    )
        .prop_flat_map(|(namespaces, pods, policies)| {
            let refs: Vec<PodRef> = pods
                .iter()
                .map(|p| PodRef::new(&p.namespace, &p.name))
                .collect();
            let address = select(&ADDRESSES[..]).prop_map(|a| a.parse::<IpAddr>().expect("an address"));
            let source = prop_oneof![
                5 => select(refs.clone()).prop_map(Source::Pod),
                2 => address.clone().prop_map(|address| Source::Ip { address }),
                2 => Just(Source::Outside),
            ];
            let destination = prop_oneof![
                6 => select(refs).prop_map(Destination::Pod),
                2 => address.prop_map(|address| Destination::Ip { address }),
                1 => Just(Destination::Outside),
            ];
            let (namespaces, pods, policies) = (namespaces.clone(), pods.clone(), policies.clone());
            (source, destination, protocol()).prop_flat_map(move |(source, destination, protocol)| {
                // Often a port the destination declares, by number or by name.
                let declared: Vec<ContainerPort> = match &destination {
                    Destination::Pod(r) => pods
                        .iter()
                        .find(|p| p.namespace == r.namespace && p.name == r.name)
                        .map(|p| p.ports.clone())
                        .unwrap_or_default(),
                    Destination::Ip { .. } | Destination::Outside => Vec::new(),
                };
                let any_port = prop_oneof![
                    3 => select(&NUMBERS[..]).prop_map(Port::Number),
                    1 => select(&["http", "dns", "metrics"][..]).prop_map(|n| Port::Named(n.to_owned())),
                ];
                let port = if declared.is_empty() {
                    any_port.boxed()
                } else {
                    prop_oneof![
                        1 => any_port,
                        1 => (select(declared), any::<bool>()).prop_map(|(p, by_name)| match p.name {
                            Some(name) if by_name => Port::Named(name),
                            _ => Port::Number(p.number),
                        }),
                    ]
                    .boxed()
                };
                let (namespaces, pods, policies) = (namespaces.clone(), pods.clone(), policies.clone());
                port.prop_map(move |port| Case {
                    namespaces: namespaces.clone(),
                    pods: pods.clone(),
                    policies: policies.clone(),
                    connection: Connection {
                        source: source.clone(),
                        destination: destination.clone(),
                        protocol,
                        port,
                    },
                })
            })
        })
}

// ---------------------------------------------------------------------------------------------
// The reference, from the API reference's wording
// ---------------------------------------------------------------------------------------------

/// A party to a connection: a Pod (by index), an address, or outside with no known address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Party {
    Pod(usize),
    Address(IpAddr),
    Outside,
}

/// A destination port: a number, or `None` for a name no one resolved.
type PortToken = Option<u16>;

/// One allowed tuple: (peer, protocol, port). Protocol as its Kubernetes spelling.
type Tuple = (Party, &'static str, PortToken);

/// What the reference expects of one side.
#[derive(Debug)]
struct Expected {
    /// The names of the policies that isolate the Pod for the direction, in name order.
    isolating: Vec<String>,
    /// (policy name, rule index) of every rule whose set holds the connection, in that order.
    matching: Vec<(String, usize)>,
}

/// A rule's peers and ports, whichever direction it is for.
type RuleView<'a> = (
    Option<&'a Vec<NetworkPolicyPeer>>,
    Option<&'a Vec<NetworkPolicyPort>>,
);

struct Reference<'a> {
    case: &'a Case,
}

fn spell(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Tcp => "TCP",
        Protocol::Udp => "UDP",
        Protocol::Sctp => "SCTP",
    }
}

/// "A label selector ... The requirements are ANDed. ... An empty label selector matches all
/// objects." Operators In, NotIn, Exists, DoesNotExist; "If the operator is In or NotIn, the
/// values array must be non-empty. If the operator is Exists or DoesNotExist, the values array
/// must be empty." An invalid selector here selects nothing.
fn selector_matches(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    let expressions = selector.match_expressions.clone().unwrap_or_default();
    let well_formed = expressions.iter().all(|e| {
        let count = e.values.as_ref().map_or(0, Vec::len);
        match e.operator.as_str() {
            "In" | "NotIn" => count > 0,
            "Exists" | "DoesNotExist" => count == 0,
            _ => false,
        }
    });
    if !well_formed {
        return false;
    }
    let labels_hold = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let expressions_hold = expressions.iter().all(|e| {
        let values = e.values.clone().unwrap_or_default();
        let value = labels.get(&e.key);
        match e.operator.as_str() {
            "In" => value.is_some_and(|v| values.contains(v)),
            // Kubernetes: NotIn and DoesNotExist also match objects without the key.
            "NotIn" => match value {
                None => true,
                Some(v) => !values.contains(v),
            },
            "Exists" => value.is_some(),
            _ => value.is_none(),
        }
    });
    labels_hold && expressions_hold
}

/// `(network bits, prefix, is_v4)` of a CIDR, host bits cleared as the API server's sloppy
/// parser does; `None` if it is not a CIDR.
fn cidr(text: &str) -> Option<(u128, u32, bool)> {
    let (address, prefix) = text.split_once('/')?;
    if prefix.is_empty() || !prefix.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let prefix: u32 = prefix.parse().ok()?;
    let address: IpAddr = address.parse().ok()?;
    let (bits, width, v4) = match address {
        IpAddr::V4(a) => (u128::from(u32::from(a)), 32, true),
        IpAddr::V6(a) => (u128::from(a), 128, false),
    };
    if prefix > width {
        return None;
    }
    let host = width - prefix;
    let network = if host == 128 {
        0
    } else {
        (bits >> host) << host
    };
    Some((network, prefix, v4))
}

fn in_cidr(address: IpAddr, (network, prefix, v4): (u128, u32, bool)) -> bool {
    let (bits, width) = match address {
        IpAddr::V4(a) if v4 => (u128::from(u32::from(a)), 32),
        IpAddr::V6(a) if !v4 => (u128::from(a), 128),
        _ => return false,
    };
    let host = width - prefix;
    let masked = if host == 128 {
        0
    } else {
        (bits >> host) << host
    };
    masked == network
}

impl Reference<'_> {
    fn pod(&self, index: usize) -> &PodInfo {
        &self.case.pods[index]
    }

    fn pod_index(&self, reference: &PodRef) -> usize {
        self.case
            .pods
            .iter()
            .position(|p| p.namespace == reference.namespace && p.name == reference.name)
            .expect("generated connections name generated Pods")
    }

    /// A namespace's labels: what was given, plus kubernetes.io/metadata.name, which the API
    /// server sets on every namespace.
    fn namespace_labels(&self, name: &str) -> BTreeMap<String, String> {
        let mut labels = self
            .case
            .namespaces
            .iter()
            .find(|n| n.name == name)
            .map(|n| n.labels.clone())
            .unwrap_or_default();
        labels.insert(NAME_LABEL.to_owned(), name.to_owned());
        labels
    }

    fn universe(&self) -> Vec<Party> {
        let mut parties: Vec<Party> = (0..self.case.pods.len()).map(Party::Pod).collect();
        parties.extend(
            ADDRESSES
                .iter()
                .map(|a| Party::Address(a.parse().expect("an address"))),
        );
        parties.push(Party::Outside);
        parties
    }

    fn ports_universe() -> Vec<PortToken> {
        NUMBERS.iter().copied().map(Some).chain([None]).collect()
    }

    /// "policyTypes ... If this field is not specified, it will default based on the existence
    /// of ingress or egress rules; policies that contain an egress section are assumed to affect
    /// egress, and all policies (whether or not they contain an ingress section) are assumed to
    /// affect ingress."
    fn affects(spec: &NetworkPolicySpec, direction: Direction) -> bool {
        match spec.policy_types.as_deref() {
            None | Some([]) => match direction {
                Direction::Ingress => true,
                Direction::Egress => spec.egress.as_ref().is_some_and(|e| !e.is_empty()),
            },
            Some(types) => types.iter().any(|t| {
                t == match direction {
                    Direction::Ingress => "Ingress",
                    Direction::Egress => "Egress",
                }
            }),
        }
    }

    /// "podSelector selects the pods to which this NetworkPolicy object applies ... An empty
    /// podSelector selects all pods in this namespace."
    fn selects(policy: &NetworkPolicy, pod: &PodInfo) -> bool {
        let spec = policy.spec.clone().unwrap_or_default();
        policy.metadata.namespace.as_deref() == Some(pod.namespace.as_str())
            && spec
                .pod_selector
                .as_ref()
                .is_none_or(|s| selector_matches(s, &pod.labels))
    }

    /// Whether one `from`/`to` entry names `party`.
    fn peer_names(&self, peer: &NetworkPolicyPeer, policy_namespace: &str, party: Party) -> bool {
        match (&peer.ip_block, &peer.namespace_selector, &peer.pod_selector) {
            // "If this field is set then neither of the other fields can be."
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => false,
            // "Exactly one of its fields must be set" ... or both selectors.
            (None, None, None) => false,
            (Some(block), None, None) => {
                let Some(range) = cidr(&block.cidr) else {
                    return false;
                };
                let mut excepts = Vec::new();
                for e in block.except.iter().flatten() {
                    match cidr(e) {
                        Some(e) => excepts.push(e),
                        None => return false,
                    }
                }
                match party {
                    Party::Address(a) => {
                        in_cidr(a, range) && !excepts.iter().any(|e| in_cidr(a, *e))
                    }
                    // Every address of a family, nothing carved out.
                    Party::Outside => range.1 == 0 && excepts.is_empty(),
                    // ipBlock is for cluster-external addresses (the engine's documented choice).
                    Party::Pod(_) => false,
                }
            }
            (None, namespaces, pods) => {
                let Party::Pod(index) = party else {
                    return false;
                };
                let pod = self.pod(index);
                // "If namespaceSelector is also set ... Otherwise it selects the pods matching
                // podSelector in the policy's own namespace."
                let namespace_ok = match namespaces {
                    None => pod.namespace == policy_namespace,
                    Some(s) => selector_matches(s, &self.namespace_labels(&pod.namespace)),
                };
                let pods_ok = pods
                    .as_ref()
                    .is_none_or(|s| selector_matches(s, &pod.labels));
                namespace_ok && pods_ok
            }
        }
    }

    /// Every (protocol, port) one `ports` entry allows, with named ports looked up on `target`
    /// (the Pod receiving the traffic), if any.
    fn port_entry_allows(
        entry: &NetworkPolicyPort,
        target: Option<&PodInfo>,
    ) -> BTreeSet<(&'static str, PortToken)> {
        let mut out = BTreeSet::new();
        let protocol: &'static str = match entry.protocol.as_deref() {
            None | Some("TCP") => "TCP",
            Some("UDP") => "UDP",
            Some("SCTP") => "SCTP",
            Some(_) => return out,
        };
        let valid = |n: i32| (1..=65535).contains(&n);
        match (&entry.port, entry.end_port) {
            (None, None) => {
                for token in Self::ports_universe() {
                    out.insert((protocol, token));
                }
            }
            (Some(IntOrString::Int(start)), None) if valid(*start) => {
                out.insert((protocol, u16::try_from(*start).ok()));
            }
            (Some(IntOrString::Int(start)), Some(end))
                if valid(*start) && valid(end) && end >= *start =>
            {
                for n in NUMBERS {
                    if (*start..=end).contains(&i32::from(n)) {
                        out.insert((protocol, Some(n)));
                    }
                }
            }
            (Some(IntOrString::String(name)), None) if !name.is_empty() => {
                for p in target.map(|t| t.ports.as_slice()).unwrap_or_default() {
                    if p.name.as_deref() == Some(name.as_str()) && spell(p.protocol) == protocol {
                        out.insert((protocol, Some(p.number)));
                    }
                }
            }
            _ => {}
        }
        out
    }

    /// The explicit set of tuples one rule allows for `subject` (the Pod the policy selects).
    fn rule_set(
        &self,
        peers: Option<&Vec<NetworkPolicyPeer>>,
        ports: Option<&Vec<NetworkPolicyPort>>,
        policy_namespace: &str,
        direction: Direction,
        subject: usize,
    ) -> BTreeSet<Tuple> {
        let mut set = BTreeSet::new();
        for party in self.universe() {
            // "If this field is empty or missing, this rule matches all sources/destinations."
            let peer_ok = match peers {
                None => true,
                Some(list) if list.is_empty() => true,
                Some(list) => list
                    .iter()
                    .any(|p| self.peer_names(p, policy_namespace, party)),
            };
            if !peer_ok {
                continue;
            }
            // Named ports are the receiving Pod's: the subject for ingress, the peer for egress.
            let target = match direction {
                Direction::Ingress => Some(self.pod(subject)),
                Direction::Egress => match party {
                    Party::Pod(i) => Some(self.pod(i)),
                    _ => None,
                },
            };
            let allowed: BTreeSet<(&'static str, PortToken)> = match ports {
                None => Self::all_ports(),
                Some(list) if list.is_empty() => Self::all_ports(),
                Some(list) => list
                    .iter()
                    .flat_map(|entry| Self::port_entry_allows(entry, target))
                    .collect(),
            };
            for (protocol, token) in allowed {
                set.insert((party, protocol, token));
            }
        }
        set
    }

    fn all_ports() -> BTreeSet<(&'static str, PortToken)> {
        let mut all = BTreeSet::new();
        for protocol in ["TCP", "UDP", "SCTP"] {
            for token in Self::ports_universe() {
                all.insert((protocol, token));
            }
        }
        all
    }

    /// What the reference expects of one side: the isolating policies by name, and the rules
    /// (policy name, index) whose sets hold the tuple, in name order.
    fn side(&self, direction: Direction, subject: usize, tuple: Tuple) -> Expected {
        let pod = self.pod(subject);
        let mut policies: Vec<&NetworkPolicy> = Vec::new();
        for p in &self.case.policies {
            let name = p.metadata.name.clone();
            // The first of two same-named policies counts, as the API server keeps one.
            if p.metadata.namespace.as_deref() == Some(pod.namespace.as_str())
                && !policies.iter().any(|q| q.metadata.name == name)
            {
                policies.push(p);
            }
        }
        policies.sort_by_key(|p| p.metadata.name.clone());
        let mut isolating = Vec::new();
        let mut matching = Vec::new();
        for policy in policies {
            let spec = policy.spec.clone().unwrap_or_default();
            if !Self::affects(&spec, direction) || !Self::selects(policy, pod) {
                continue;
            }
            let name = policy.metadata.name.clone().unwrap_or_default();
            isolating.push(name.clone());
            let rules: Vec<RuleView<'_>> = match direction {
                Direction::Ingress => spec
                    .ingress
                    .iter()
                    .flatten()
                    .map(|r| (r.from.as_ref(), r.ports.as_ref()))
                    .collect(),
                Direction::Egress => spec
                    .egress
                    .iter()
                    .flatten()
                    .map(|r| (r.to.as_ref(), r.ports.as_ref()))
                    .collect(),
            };
            for (index, (peers, ports)) in rules.into_iter().enumerate() {
                let namespace = policy.metadata.namespace.as_deref().unwrap_or_default();
                if self
                    .rule_set(peers, ports, namespace, direction, subject)
                    .contains(&tuple)
                {
                    matching.push((name.clone(), index));
                }
            }
        }
        Expected {
            isolating,
            matching,
        }
    }

    /// The destination port as a token: a number, or a name looked up on the destination Pod
    /// (first container port of that name and protocol).
    fn port_token(&self, destination: Party) -> PortToken {
        match &self.case.connection.port {
            Port::Number(n) => Some(*n),
            Port::Named(name) => match destination {
                Party::Pod(i) => self
                    .pod(i)
                    .ports
                    .iter()
                    .find(|p| {
                        p.name.as_deref() == Some(name.as_str())
                            && p.protocol == self.case.connection.protocol
                    })
                    .map(|p| p.number),
                _ => None,
            },
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The comparison
// ---------------------------------------------------------------------------------------------

fn compare_side(
    side: Option<&DirectionAnswer>,
    expected: Option<Expected>,
) -> Result<bool, TestCaseError> {
    match (side, expected) {
        (None, None) => Ok(true),
        (
            Some(side),
            Some(Expected {
                isolating,
                matching,
            }),
        ) => {
            let got_isolating: Vec<String> =
                side.isolated_by.iter().map(|p| p.name.clone()).collect();
            prop_assert_eq!(&got_isolating, &isolating, "isolating policies");
            let got_matching: Vec<(String, usize)> = side
                .matching_rules
                .iter()
                .map(|r| (r.policy.name.clone(), r.index))
                .collect();
            prop_assert_eq!(&got_matching, &matching, "matching rules");
            let allows = match &side.decision {
                Decision::NotIsolated => {
                    prop_assert!(isolating.is_empty());
                    true
                }
                Decision::Allowed { by } => {
                    prop_assert_eq!(Some(&(by.policy.name.clone(), by.index)), matching.first());
                    true
                }
                Decision::Denied => {
                    prop_assert!(!isolating.is_empty() && matching.is_empty());
                    false
                }
            };
            Ok(allows)
        }
        (side, expected) => {
            prop_assert!(false, "a side is missing: {:?} vs {:?}", side, expected);
            Ok(false)
        }
    }
}

fn agree(case: &Case) -> Result<Answer, TestCaseError> {
    let model = TrafficModel::new(&case.policies, case.namespaces.clone(), case.pods.clone());
    let answer: Answer = model
        .check(&case.connection)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let reference = Reference { case };
    let source = match &case.connection.source {
        Source::Pod(r) => Party::Pod(reference.pod_index(r)),
        Source::Ip { address } => Party::Address(*address),
        Source::Outside => Party::Outside,
    };
    let destination = match &case.connection.destination {
        Destination::Pod(r) => Party::Pod(reference.pod_index(r)),
        Destination::Ip { address } => Party::Address(*address),
        Destination::Outside => Party::Outside,
    };
    let protocol = spell(case.connection.protocol);
    let token = reference.port_token(destination);
    prop_assert_eq!(answer.port.number, token, "resolved port");

    let ingress = match destination {
        Party::Pod(d) => Some(reference.side(Direction::Ingress, d, (source, protocol, token))),
        _ => None,
    };
    let egress = match source {
        Party::Pod(s) => Some(reference.side(Direction::Egress, s, (destination, protocol, token))),
        _ => None,
    };
    let ingress_allows = compare_side(answer.ingress.as_ref(), ingress)?;
    let egress_allows = compare_side(answer.egress.as_ref(), egress)?;
    // "A Pod can always reach itself" (the engine's documented choice).
    let to_itself = matches!((source, destination), (Party::Pod(a), Party::Pod(b)) if a == b);
    prop_assert_eq!(answer.to_itself, to_itself);
    prop_assert_eq!(
        answer.allowed,
        to_itself || (ingress_allows && egress_allows)
    );

    let explanation = explain(&answer);
    for sentence in explanation.sentences() {
        prop_assert!(sentence.ends_with('.'), "{}", sentence);
    }
    let verdict_word = if answer.allowed {
        "Allowed: "
    } else {
        "Denied: "
    };
    prop_assert!(explanation.verdict.starts_with(verdict_word));
    Ok(answer)
}

/// How often each outcome came up, to show the generators reach every branch.
#[derive(Debug, Default)]
struct Outcomes {
    cases: u32,
    allowed: u32,
    ingress: [u32; 3],
    egress: [u32; 3],
    by_port_name: u32,
    port_unresolved: u32,
    from_outside_allowed_by_rule: u32,
    ip_block_caveat: u32,
    with_problems: u32,
}

impl Outcomes {
    fn add(&mut self, case: &Case, answer: &Answer) {
        let slot = |side: &Option<DirectionAnswer>| match side.as_ref().map(|s| &s.decision) {
            Some(Decision::NotIsolated) => Some(0),
            Some(Decision::Allowed { .. }) => Some(1),
            Some(Decision::Denied) => Some(2),
            None => None,
        };
        self.cases += 1;
        self.allowed += u32::from(answer.allowed);
        if let Some(i) = slot(&answer.ingress) {
            self.ingress[i] += 1;
        }
        if let Some(i) = slot(&answer.egress) {
            self.egress[i] += 1;
        }
        self.by_port_name += u32::from(
            matches!(case.connection.port, Port::Named(_)) && answer.port.number.is_some(),
        );
        self.port_unresolved += u32::from(answer.port.number.is_none());
        self.from_outside_allowed_by_rule += u32::from(
            case.connection.source == Source::Outside
                && matches!(
                    answer.ingress.as_ref().map(|i| &i.decision),
                    Some(Decision::Allowed { .. })
                ),
        );
        self.ip_block_caveat += u32::from(
            [&answer.ingress, &answer.egress]
                .into_iter()
                .flatten()
                .any(|side| !side.ip_block_caveats.is_empty()),
        );
        self.with_problems += u32::from(!answer.problems.is_empty());
    }
}

/// Runs `cases` generated cases through [`agree`] and prints how the outcomes spread.
fn run_against_the_reference(default_cases: u32) {
    let mut runner = proptest::test_runner::TestRunner::new(config(default_cases));
    let outcomes = std::cell::RefCell::new(Outcomes::default());
    let started = std::time::Instant::now();
    let result = runner.run(&case(), |case| {
        let answer = agree(&case)?;
        outcomes.borrow_mut().add(&case, &answer);
        Ok(())
    });
    let outcomes = outcomes.into_inner();
    eprintln!(
        "{} cases in {:.1?} (ingress not isolated/allowed/denied, egress the same): {outcomes:?}",
        outcomes.cases,
        started.elapsed()
    );
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

/// Cases to run: `PROPTEST_CASES` if set, else `default`.
fn config(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// The engine agrees with the brute-force reference on every generated case.
#[test]
fn engine_agrees_with_the_reference() {
    run_against_the_reference(2_000);
}

/// The same, 100 000 cases: `cargo test -p app --test traffic_reference -- --ignored`.
#[test]
#[ignore = "takes a while; run with --ignored"]
fn engine_agrees_with_the_reference_100k() {
    run_against_the_reference(100_000);
}

/// The policy map of each namespace against the reference: for every two Pods of the
/// namespace (the map draws their groups), every protocol and number of the universe, and the
/// internet both ways, a flow holds the port exactly when the reference allows it. This also
/// checks the grouping: the map computes a group's flows with one of its Pods, the reference
/// with each.
fn map_agrees(case: &Case) -> Result<u32, TestCaseError> {
    let reference = Reference { case };
    let mut namespaces: Vec<&str> = case.pods.iter().map(|p| p.namespace.as_str()).collect();
    namespaces.sort_unstable();
    namespaces.dedup();
    let mut allowed = 0;
    for namespace in namespaces {
        let info = case
            .namespaces
            .iter()
            .find(|n| n.name == namespace)
            .cloned()
            .unwrap_or_else(|| NamespaceInfo::new(namespace, []));
        let objects = NamespaceObjects {
            namespace: info,
            pods: case
                .pods
                .iter()
                .filter(|p| p.namespace == namespace)
                .cloned()
                .collect(),
            policies: case.policies.clone(),
        };
        let drawn = map(
            &objects,
            &Platform {
                ingress_namespace: "ingress-nginx".into(),
            },
        );
        let group = |pod: &PodInfo| -> Result<MapEnd, TestCaseError> {
            let found: Vec<usize> = (0..drawn.groups.len())
                .filter(|i| drawn.groups[*i].pods.contains(&pod.name))
                .collect();
            prop_assert_eq!(found.len(), 1, "{} is in one group", &pod.name);
            Ok(MapEnd::Group { index: found[0] })
        };
        let allows = |direction, subject: usize, tuple: Tuple| {
            let expected = reference.side(direction, subject, tuple);
            expected.isolating.is_empty() || !expected.matching.is_empty()
        };
        let in_namespace: Vec<usize> = (0..case.pods.len())
            .filter(|i| case.pods[*i].namespace == namespace)
            .collect();
        for protocol in [Protocol::Tcp, Protocol::Udp, Protocol::Sctp] {
            let spelled = spell(protocol);
            for number in NUMBERS {
                let holds = |from: MapEnd, to: MapEnd| {
                    drawn
                        .flow(from, to)
                        .is_some_and(|flow| flow.ports.contains(protocol, number))
                };
                for &s in &in_namespace {
                    let from = group(reference.pod(s))?;
                    for &d in &in_namespace {
                        if s == d {
                            continue;
                        }
                        let to = group(reference.pod(d))?;
                        let expected =
                            allows(Direction::Egress, s, (Party::Pod(d), spelled, Some(number)))
                                && allows(
                                    Direction::Ingress,
                                    d,
                                    (Party::Pod(s), spelled, Some(number)),
                                );
                        prop_assert_eq!(
                            holds(from, to),
                            expected,
                            "pod-{} to pod-{} {} {}",
                            s,
                            d,
                            spelled,
                            number
                        );
                        allowed += u32::from(expected);
                    }
                    let out = allows(
                        Direction::Egress,
                        s,
                        (Party::Outside, spelled, Some(number)),
                    );
                    prop_assert_eq!(
                        holds(from, MapEnd::Internet),
                        out,
                        "pod-{} to the internet {} {}",
                        s,
                        spelled,
                        number
                    );
                    let inside = allows(
                        Direction::Ingress,
                        s,
                        (Party::Outside, spelled, Some(number)),
                    );
                    prop_assert_eq!(
                        holds(MapEnd::Internet, from),
                        inside,
                        "the internet to pod-{} {} {}",
                        s,
                        spelled,
                        number
                    );
                }
            }
        }
    }
    Ok(allowed)
}

/// The policy map agrees with the reference on every generated case.
#[test]
fn policy_map_agrees_with_the_reference() {
    let mut runner = proptest::test_runner::TestRunner::new(config(1_000));
    let allowed = std::cell::Cell::new(0u32);
    let result = runner.run(&case(), |case| {
        allowed.set(allowed.get() + map_agrees(&case)?);
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    // Flows between Pods came up allowed, not only denied.
    assert!(allowed.get() > 1_000, "{} allowed pairs", allowed.get());
}

// ---------------------------------------------------------------------------------------------
// No panics on any input
// ---------------------------------------------------------------------------------------------

fn wild_selector() -> impl Strategy<Value = LabelSelector> {
    (
        prop::option::of(prop::collection::btree_map(".{0,8}", ".{0,8}", 0..3)),
        prop::option::of(prop::collection::vec(
            (
                ".{0,8}",
                ".{0,12}",
                prop::option::of(prop::collection::vec(".{0,8}", 0..3)),
            )
                .prop_map(|(key, operator, values)| LabelSelectorRequirement {
                    key,
                    operator,
                    values,
                }),
            0..3,
        )),
    )
        .prop_map(|(match_labels, match_expressions)| LabelSelector {
            match_labels,
            match_expressions,
        })
}

fn wild_peer() -> impl Strategy<Value = NetworkPolicyPeer> {
    (
        prop::option::of(
            (
                ".{0,20}",
                prop::option::of(prop::collection::vec(".{0,20}", 0..3)),
            )
                .prop_map(|(cidr, except)| IPBlock { cidr, except }),
        ),
        prop::option::of(wild_selector()),
        prop::option::of(wild_selector()),
    )
        .prop_map(
            |(ip_block, namespace_selector, pod_selector)| NetworkPolicyPeer {
                ip_block,
                namespace_selector,
                pod_selector,
            },
        )
}

fn wild_port() -> impl Strategy<Value = NetworkPolicyPort> {
    (
        prop::option::of(".{0,6}"),
        prop::option::of(prop_oneof![
            any::<i32>().prop_map(IntOrString::Int),
            ".{0,10}".prop_map(IntOrString::String)
        ]),
        prop::option::of(any::<i32>()),
    )
        .prop_map(|(protocol, port, end_port)| NetworkPolicyPort {
            protocol,
            port,
            end_port,
        })
}

fn wild_rule() -> impl Strategy<Value = RawRule> {
    (
        prop::option::of(prop::collection::vec(wild_peer(), 0..3)),
        prop::option::of(prop::collection::vec(wild_port(), 0..3)),
    )
}

fn wild_policy() -> impl Strategy<Value = NetworkPolicy> {
    (
        prop::option::of(select(&["ns-a", "ns-b", ""][..])),
        prop::option::of(".{0,5}"),
        prop::option::of(wild_selector()),
        prop::option::of(prop::collection::vec(".{0,8}", 0..3)),
        prop::option::of(prop::collection::vec(wild_rule(), 0..3)),
        prop::option::of(prop::collection::vec(wild_rule(), 0..3)),
    )
        .prop_map(
            |(namespace, name, pod_selector, policy_types, ingress, egress)| NetworkPolicy {
                metadata: ObjectMeta {
                    namespace: namespace.map(str::to_owned),
                    name,
                    ..Default::default()
                },
                spec: Some(NetworkPolicySpec {
                    pod_selector,
                    policy_types,
                    ingress: ingress.map(|r| {
                        r.into_iter()
                            .map(|(from, ports)| NetworkPolicyIngressRule { from, ports })
                            .collect()
                    }),
                    egress: egress.map(|r| {
                        r.into_iter()
                            .map(|(to, ports)| NetworkPolicyEgressRule { to, ports })
                            .collect()
                    }),
                }),
            },
        )
}

proptest! {
    #![proptest_config(config(500))]

    /// Arbitrary strings and numbers anywhere in a policy never make the engine panic, and a
    /// connection either gets an answer or a typed error.
    #[test]
    fn malformed_policies_never_panic(
        policies in prop::collection::vec(wild_policy(), 0..4),
        port in prop_oneof![any::<u16>().prop_map(Port::Number), ".{0,6}".prop_map(Port::Named)],
        address in any::<[u8; 16]>(),
    ) {
        let pods = vec![
            PodInfo::new("ns-a", "a", [("app", "a")]).with_port(ContainerPort::tcp("http", 80)),
            PodInfo::new("ns-b", "b", []),
        ];
        let model = TrafficModel::new(&policies, Vec::new(), pods);
        for (source, destination) in [
            (Source::Pod(PodRef::new("ns-a", "a")), Destination::Pod(PodRef::new("ns-b", "b"))),
            (Source::Outside, Destination::Pod(PodRef::new("ns-a", "a"))),
            (Source::Pod(PodRef::new("ns-b", "b")), Destination::Ip { address: IpAddr::from(address) }),
        ] {
            let connection = Connection { source, destination, protocol: Protocol::Tcp, port: port.clone() };
            if let Ok(answer) = model.check(&connection) {
                let _ = explain(&answer).to_text();
            }
        }
    }
}
