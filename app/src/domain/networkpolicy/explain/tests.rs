//! Unit tests of `explain`.

use super::super::model::{PolicySpec, PolicyTypes, Protocol};
use super::super::presets;
use super::*;

fn explain_spec(spec: PolicySpec) -> Explanation {
    explain(&spec.validate().expect("valid"))
}

fn section<'a>(explanation: &'a Explanation, heading_start: &str) -> &'a [String] {
    &explanation
        .sections
        .iter()
        .find(|s| s.heading.starts_with(heading_start))
        .expect("section")
        .sentences
}

#[test]
fn faq_allow_all_example() {
    let explanation = explain_spec(presets::faq_kubectl_run_blah("demo"));
    assert_eq!(
        section(&explanation, "Which Pods"),
        [
            "This policy applies to Pods labelled run=blah in namespace demo: `kubectl run blah` gives its Pod exactly this label.",
            "Other Pods are not affected by it."
        ]
    );
    assert_eq!(
        section(&explanation, "Incoming"),
        [
            "Allowed from anywhere (any Pod in the cluster and any address outside it), on any port and protocol.",
            "Because one rule allows anywhere on any port, no incoming traffic is actually blocked. This is rarely a good idea: allow only what the application needs.",
        ]
    );
    assert_eq!(
        section(&explanation, "Outgoing"),
        [
            "Allowed to anywhere (any Pod in the cluster and any address outside it), on any port and protocol.",
            "Because one rule allows anywhere on any port, no outgoing traffic is actually blocked. This is rarely a good idea: allow only what the application needs.",
        ]
    );
    assert!(
        section(&explanation, "Good to know")[0].starts_with("Policies add up"),
        "{explanation:#?}"
    );
}

#[test]
fn kubectl_run_restricted_example() {
    let explanation = explain_spec(presets::kubectl_run_dns_only("demo", "blah"));
    assert_eq!(
        section(&explanation, "Incoming"),
        ["All incoming traffic to these Pods is blocked."]
    );
    assert_eq!(
        section(&explanation, "Outgoing"),
        [
            "Allowed to the cluster DNS (Pods labelled k8s-app=kube-dns in namespace kube-system), on UDP port 53 or TCP port 53, so that name lookups work.",
            "All other outgoing traffic from these Pods is blocked.",
        ]
    );
}

#[test]
fn default_deny_says_dns_breaks() {
    let explanation = explain_spec(presets::default_deny_all("demo"));
    assert_eq!(
        section(&explanation, "Which Pods"),
        ["This policy applies to every Pod in namespace demo, including Pods created later."]
    );
    assert_eq!(
        section(&explanation, "Outgoing"),
        [
            "All outgoing traffic from these Pods is blocked. That includes DNS lookups, so these Pods cannot resolve any name."
        ]
    );
}

#[test]
fn unrestricted_direction_and_ignored_rules() {
    let mut spec = presets::allow_within_namespace("demo");
    spec.egress = spec.ingress.clone();
    let explanation = explain_spec(spec);
    assert_eq!(
        section(&explanation, "Incoming"),
        [
            "Allowed from every Pod in this namespace (demo), on any port and protocol.",
            "All other incoming traffic to these Pods is blocked.",
        ]
    );
    assert_eq!(
        section(&explanation, "Outgoing"),
        [
            "Outgoing traffic is not restricted by this policy.",
            "The outgoing rules in this spec are ignored because Egress is not among the policy types.",
        ]
    );
}

#[test]
fn peers_and_ports_in_words() {
    let spec = PolicySpec {
        name: "web".into(),
        namespace: "shop".into(),
        target: Target::Labels {
            labels: vec![Label::new("app", "web"), Label::new("tier", "")],
        },
        policy_types: PolicyTypes::INGRESS,
        ingress: vec![Rule::new(
            vec![
                Peer::PodsInNamespace {
                    labels: vec![Label::new("app", "api")],
                },
                Peer::PodsInNamespaces {
                    namespace: NamespaceSelection::ByName {
                        name: "monitoring".into(),
                    },
                    pod_labels: vec![Label::new("app", "prometheus")],
                },
                Peer::PodsInNamespaces {
                    namespace: NamespaceSelection::ByLabels { labels: vec![] },
                    pod_labels: vec![Label::new("role", "probe")],
                },
                Peer::NamespacesByLabels {
                    labels: vec![Label::new("env", "prod")],
                },
                Peer::IpBlock {
                    cidr: "203.0.113.0/24".into(),
                    except: vec!["203.0.113.5/32".into(), "203.0.113.6/32".into()],
                },
            ],
            vec![
                PortSpec::tcp(80),
                PortSpec {
                    protocol: Protocol::Udp,
                    port: Port::Number(30000),
                    end_port: Some(30100),
                },
                PortSpec {
                    protocol: Protocol::Tcp,
                    port: Port::Named("metrics".into()),
                    end_port: None,
                },
            ],
        )],
        egress: vec![],
        allow_dns: true,
    };
    let explanation = explain_spec(spec);
    assert_eq!(
        section(&explanation, "Which Pods")[0],
        "This policy applies to Pods labelled app=web and tier= in namespace shop."
    );
    assert_eq!(
        section(&explanation, "Incoming")[0],
        "Allowed from Pods labelled app=api in this namespace (shop), Pods labelled app=prometheus in namespace monitoring, Pods labelled role=probe in every namespace, every Pod in namespaces labelled env=prod or IP addresses in 203.0.113.0/24 except 203.0.113.5/32 and 203.0.113.6/32, on TCP port 80, UDP ports 30000 to 30100 or the TCP port named metrics."
    );
    assert_eq!(
        section(&explanation, "Outgoing"),
        ["Outgoing traffic is not restricted by this policy."]
    );
    assert!(
        explanation
            .sentences()
            .any(|s| s.starts_with("A named port is looked up")),
        "{explanation:#?}"
    );
}

#[test]
fn text_rendering() {
    let text = explain_spec(presets::default_deny_all("demo")).to_text();
    assert!(
            text.starts_with("Which Pods this policy applies to\n- This policy applies to every Pod in namespace demo, including Pods created later.\n\nIncoming traffic (ingress)\n- All incoming traffic to these Pods is blocked.\n"),
            "{text}"
        );
}
