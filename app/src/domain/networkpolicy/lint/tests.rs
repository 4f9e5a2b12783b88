//! Unit tests of `lint`.

use super::super::model::{Label, PolicySpec, PolicyTypes};
use super::super::presets;
use super::*;

fn codes(spec: PolicySpec, config: &LintConfig) -> Vec<LintCode> {
    lint(&spec.validate().expect("valid"), config)
        .into_iter()
        .map(|l| l.code)
        .collect()
}

fn lints_of(spec: PolicySpec) -> Vec<Lint> {
    lint(&spec.validate().expect("valid"), &LintConfig::default())
}

/// A spec that triggers no lint at all.
fn quiet() -> PolicySpec {
    PolicySpec {
        name: "web".into(),
        namespace: "demo".into(),
        target: Target::Labels {
            labels: vec![Label::new("app", "web")],
        },
        policy_types: PolicyTypes::BOTH,
        ingress: vec![Rule::new(
            vec![Peer::PodsInNamespace {
                labels: vec![Label::new("app", "api")],
            }],
            vec![PortSpec::tcp(8080)],
        )],
        egress: vec![],
        allow_dns: true,
    }
}

fn config() -> LintConfig {
    LintConfig {
        pod_cidrs: vec!["10.244.0.0/16".parse().expect("cidr")],
        service_cidrs: vec!["10.96.0.0/12".parse().expect("cidr")],
    }
}

#[test]
fn quiet_spec_has_no_lints() {
    assert_eq!(codes(quiet(), &config()), []);
}

#[test]
fn egress_without_dns() {
    let mut spec = quiet();
    spec.allow_dns = false;
    let lints = lints_of(spec.clone());
    assert_eq!(lints.len(), 1);
    assert_eq!(lints[0].code, LintCode::EgressWithoutDns);
    assert_eq!(lints[0].severity, Severity::Warning);
    assert_eq!(lints[0].path.as_deref(), Some("allowDns"));
    assert!(lints[0].message.contains("DNS lookups"));

    // A rule that reaches UDP 53 (by number, range or CoreDNS' port name) is enough.
    for port in [
        PortSpec::udp(53),
        PortSpec {
            protocol: Protocol::Udp,
            port: Port::Number(1),
            end_port: Some(1024),
        },
        PortSpec {
            protocol: Protocol::Udp,
            port: Port::Named("dns".into()),
            end_port: None,
        },
    ] {
        let mut with_dns = spec.clone();
        with_dns.egress = vec![Rule::new(
            vec![Peer::NamespaceByName {
                name: "kube-system".into(),
            }],
            vec![port],
        )];
        assert_eq!(codes(with_dns, &config()), []);
    }
    // TCP 53 alone is not.
    let mut tcp_only = spec.clone();
    tcp_only.egress = vec![Rule::new(
        vec![Peer::NamespaceByName {
            name: "kube-system".into(),
        }],
        vec![PortSpec::tcp(53)],
    )];
    assert_eq!(codes(tcp_only, &config()), [LintCode::EgressWithoutDns]);
    // Nor is an unrestricted egress a problem.
    spec.policy_types = PolicyTypes::INGRESS;
    assert_eq!(codes(spec, &config()), []);
}

#[test]
fn rules_for_a_missing_policy_type() {
    let mut spec = quiet();
    spec.policy_types = PolicyTypes::INGRESS;
    spec.egress = vec![Rule::new(
        vec![Peer::NamespaceByName { name: "a".into() }],
        vec![],
    )];
    let lints = lints_of(spec.clone());
    assert_eq!(lints.len(), 1, "{lints:#?}");
    assert_eq!(lints[0].code, LintCode::EgressRulesIgnored);
    assert_eq!(lints[0].path.as_deref(), Some("egress"));
    assert!(lints[0].message.contains("Kubernetes would ignore them"));

    spec.policy_types = PolicyTypes::EGRESS;
    assert_eq!(
        codes(spec.clone(), &config()),
        [LintCode::IngressRulesIgnored]
    );
    spec.ingress.clear();
    assert_eq!(codes(spec, &config()), []);
}

#[test]
fn separate_namespace_and_pod_peers() {
    let mut spec = quiet();
    spec.ingress[0].peers.insert(
        0,
        Peer::NamespaceByName {
            name: "monitoring".into(),
        },
    );
    let lints = lints_of(spec.clone());
    assert_eq!(lints.len(), 1, "{lints:#?}");
    assert_eq!(lints[0].code, LintCode::SeparateNamespaceAndPodPeers);
    assert_eq!(lints[0].path.as_deref(), Some("ingress[0].peers"));
    assert!(lints[0].message.contains("ORed"));
    assert!(lints[0].message.contains("AND"));

    // The same with a label-selected namespace.
    spec.ingress[0].peers[0] = Peer::NamespacesByLabels {
        labels: vec![Label::new("team", "ops")],
    };
    assert_eq!(
        codes(spec.clone(), &config()),
        [LintCode::SeparateNamespaceAndPodPeers]
    );

    // One combined peer is the AND and is fine; so are the two in separate rules.
    let mut combined = quiet();
    combined.ingress[0].peers = vec![Peer::PodsInNamespaces {
        namespace: NamespaceSelection::ByName {
            name: "monitoring".into(),
        },
        pod_labels: vec![Label::new("app", "prometheus")],
    }];
    assert_eq!(codes(combined, &config()), []);
    let mut split_rules = quiet();
    split_rules.ingress.push(Rule::new(
        vec![Peer::NamespaceByName {
            name: "monitoring".into(),
        }],
        vec![],
    ));
    assert_eq!(codes(split_rules, &config()), []);
    // "Every Pod in this namespace" next to a namespace is a plain union, not a likely AND.
    let mut whole_namespace = quiet();
    whole_namespace.ingress[0].peers = vec![
        Peer::PodsInNamespace { labels: vec![] },
        Peer::NamespaceByName {
            name: "monitoring".into(),
        },
    ];
    assert_eq!(codes(whole_namespace, &config()), []);
}

#[test]
fn pods_in_namespaces_without_pod_labels() {
    let mut spec = quiet();
    spec.ingress[0].peers = vec![Peer::PodsInNamespaces {
        namespace: NamespaceSelection::ByName {
            name: "monitoring".into(),
        },
        pod_labels: vec![],
    }];
    let lints = lints_of(spec);
    assert_eq!(lints.len(), 1, "{lints:#?}");
    assert_eq!(lints[0].code, LintCode::AllPodsOfNamespaces);
    assert_eq!(lints[0].severity, Severity::Info);
    assert_eq!(
        lints[0].path.as_deref(),
        Some("ingress[0].peers[0].podLabels")
    );
    assert!(
        lints[0]
            .message
            .contains("every Pod of namespace monitoring")
    );
}

#[test]
fn whole_namespace_target() {
    let mut spec = quiet();
    spec.target = Target::AllPods {};
    let lints = lints_of(spec);
    assert_eq!(lints.len(), 1, "{lints:#?}");
    assert_eq!(lints[0].code, LintCode::WholeNamespaceTarget);
    assert_eq!(lints[0].severity, Severity::Info);
    let mut run = quiet();
    run.target = Target::KubectlRun { name: "x".into() };
    assert_eq!(codes(run, &config()), []);
}

fn egress_to(cidr: &str, except: &[&str]) -> PolicySpec {
    let mut spec = quiet();
    spec.egress = vec![Rule::new(
        vec![Peer::IpBlock {
            cidr: cidr.into(),
            except: except.iter().map(|e| (*e).to_owned()).collect(),
        }],
        vec![PortSpec::tcp(443)],
    )];
    spec
}

#[test]
fn ip_block_covering_cluster_networks() {
    let lints = lint(
        &egress_to("10.244.1.0/24", &[]).validate().expect("valid"),
        &config(),
    );
    assert_eq!(lints.len(), 1, "{lints:#?}");
    assert_eq!(lints[0].code, LintCode::IpBlockCoversClusterNetwork);
    assert_eq!(lints[0].path.as_deref(), Some("egress[0].peers[0].cidr"));
    assert!(lints[0].message.contains("Pod network 10.244.0.0/16"));

    let everything = lint(
        &egress_to("0.0.0.0/0", &[]).validate().expect("valid"),
        &config(),
    );
    assert!(
        everything[0]
            .message
            .contains("Pod network 10.244.0.0/16 and the cluster's Service network 10.96.0.0/12")
    );
    assert!(
        everything[0]
            .message
            .contains("add the cluster networks to except")
    );

    // Excepting the cluster networks, or staying outside them, is fine.
    assert_eq!(
        codes(egress_to("0.0.0.0/0", &["10.0.0.0/8"]), &config()),
        []
    );
    assert_eq!(codes(egress_to("203.0.113.10/32", &[]), &config()), []);
    // Without cluster facts there is nothing to compare with.
    assert_eq!(
        codes(egress_to("10.244.1.0/24", &[]), &LintConfig::default()),
        []
    );
    // Other families never overlap.
    assert_eq!(codes(egress_to("::/0", &[]), &config()), []);
}

#[test]
fn allow_all_rules() {
    let spec = presets::faq_kubectl_run_blah("demo");
    let lints = lints_of(spec);
    let allow_all: Vec<_> = lints
        .iter()
        .filter(|l| l.code == LintCode::AllowAll)
        .collect();
    assert_eq!(allow_all.len(), 2, "{lints:#?}");
    assert_eq!(allow_all[0].path.as_deref(), Some("ingress[0]"));
    assert_eq!(allow_all[1].path.as_deref(), Some("egress[0]"));
    assert!(allow_all[0].message.contains("Not a good idea"));

    // Anywhere on a named set of ports is a deliberate, narrower choice.
    let mut https_from_anywhere = quiet();
    https_from_anywhere.ingress[0] = Rule::new(vec![Peer::Anywhere {}], vec![PortSpec::tcp(443)]);
    assert_eq!(codes(https_from_anywhere, &config()), []);
}

#[test]
fn lint_config_reads_cidr_strings() {
    let config: LintConfig = serde_json::from_str(
        r#"{ "podCidrs": ["10.244.0.0/16"], "serviceCidrs": ["10.96.0.0/12", "fd00:96::/108"] }"#,
    )
    .expect("config");
    assert_eq!(config.service_cidrs.len(), 2);
    assert!(serde_json::from_str::<LintConfig>(r#"{ "podCidrs": ["10.244.0.1/16"] }"#).is_err());
}
