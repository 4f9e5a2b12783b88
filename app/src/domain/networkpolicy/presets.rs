//! Ready-made policies to start from, each a [`PolicySpec`] for a given namespace.
//!
//! [`Preset`] lists them for the UI and the API (stable kebab-case ids); the functions build them
//! directly. Two come from the original Application Developer FAQ and are flagged as such: its
//! allow-everything policy for `kubectl run blah` is a teaching example, "not a good idea", and
//! [`kubectl_run_dns_only`] is what to use instead.
//!
//! Just over 400 lines because its snapshot tests stay inline: insta keeps snapshots beside the
//! file that holds the test.

use serde::{Deserialize, Serialize};

use super::model::{
    Label, NamespaceSelection, Peer, PolicySpec, PolicyTypes, PortSpec, Rule, Target,
};

/// Namespace of the ingress controller on Welkin, unless configured otherwise.
pub const DEFAULT_INGRESS_CONTROLLER_NAMESPACE: &str = "ingress-nginx";

/// The preset policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// Block all traffic in and out of every Pod, DNS included.
    DefaultDenyAll,
    /// Block all traffic in and out of every Pod, except DNS lookups.
    DefaultDenyAllExceptDns,
    /// Allow DNS lookups; add to a default deny.
    AllowDns,
    /// Allow the ingress controller to reach every Pod.
    AllowFromIngressController,
    /// Allow Pods of the namespace to reach each other.
    AllowWithinNamespace,
    /// Allow every Pod to reach one external address on HTTPS.
    AllowToExternalService,
    /// The FAQ's example: everything in and out for `kubectl run blah`. Not a good idea.
    FaqAllowAll,
    /// `kubectl run blah` with no incoming traffic and DNS only outgoing.
    KubectlRunDnsOnly,
}

/// Settings some presets need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PresetOptions {
    /// Where the ingress controller runs.
    #[serde(default = "default_ingress_namespace")]
    pub ingress_controller_namespace: String,
}

fn default_ingress_namespace() -> String {
    DEFAULT_INGRESS_CONTROLLER_NAMESPACE.to_owned()
}

impl Default for PresetOptions {
    fn default() -> Self {
        Self {
            ingress_controller_namespace: default_ingress_namespace(),
        }
    }
}

impl Preset {
    /// Every preset, in the order the UI shows them.
    pub const ALL: [Preset; 8] = [
        Preset::DefaultDenyAllExceptDns,
        Preset::DefaultDenyAll,
        Preset::AllowDns,
        Preset::AllowFromIngressController,
        Preset::AllowWithinNamespace,
        Preset::AllowToExternalService,
        Preset::KubectlRunDnsOnly,
        Preset::FaqAllowAll,
    ];

    /// Stable identifier, as in JSON.
    pub fn id(self) -> &'static str {
        match self {
            Preset::DefaultDenyAll => "default-deny-all",
            Preset::DefaultDenyAllExceptDns => "default-deny-all-except-dns",
            Preset::AllowDns => "allow-dns",
            Preset::AllowFromIngressController => "allow-from-ingress-controller",
            Preset::AllowWithinNamespace => "allow-within-namespace",
            Preset::AllowToExternalService => "allow-to-external-service",
            Preset::FaqAllowAll => "faq-allow-all",
            Preset::KubectlRunDnsOnly => "kubectl-run-dns-only",
        }
    }

    /// A short title.
    pub fn title(self) -> &'static str {
        match self {
            Preset::DefaultDenyAll => "Default deny (DNS blocked too)",
            Preset::DefaultDenyAllExceptDns => "Default deny, DNS allowed",
            Preset::AllowDns => "Allow DNS lookups",
            Preset::AllowFromIngressController => "Allow from the ingress controller",
            Preset::AllowWithinNamespace => "Allow traffic within the namespace",
            Preset::AllowToExternalService => "Allow HTTPS to one external address",
            Preset::FaqAllowAll => {
                "FAQ example: allow everything for kubectl run blah (not a good idea)"
            }
            Preset::KubectlRunDnsOnly => "kubectl run blah: nothing in, DNS out",
        }
    }

    /// What it does and when to use it.
    pub fn description(self) -> &'static str {
        match self {
            Preset::DefaultDenyAll => {
                "Selects every Pod and allows nothing in or out. Even DNS lookups fail, so Pods cannot resolve names until another policy allows them; pair it with \"Allow DNS lookups\" or use \"Default deny, DNS allowed\"."
            }
            Preset::DefaultDenyAllExceptDns => {
                "Selects every Pod and allows nothing in or out except DNS lookups to the cluster DNS. A good first policy for a namespace: add one allow policy per real need on top."
            }
            Preset::AllowDns => {
                "Lets every Pod look up names in the cluster DNS (UDP and TCP 53 to kube-dns in kube-system). On its own it also restricts outgoing traffic to DNS; it is meant to sit next to a default deny."
            }
            Preset::AllowFromIngressController => {
                "Lets the ingress controller reach every Pod on any port, so Ingress objects work. Narrow the target and ports to the Services you expose."
            }
            Preset::AllowWithinNamespace => {
                "Lets Pods of this namespace connect to each other on any port. Traffic from other namespaces stays blocked by this policy."
            }
            Preset::AllowToExternalService => {
                "Lets every Pod connect to one address outside the cluster (203.0.113.10, a documentation address: replace it) on TCP 443, and look up names. ipBlock is for addresses outside the cluster only."
            }
            Preset::FaqAllowAll => {
                "The original FAQ's example for kubectl run blah: all traffic in and out, on every port and protocol (the FAQ says \"all TCP traffic\", but an empty rule allows every protocol). The FAQ itself calls it \"just an example, not a good idea\": use \"kubectl run blah: nothing in, DNS out\" instead."
            }
            Preset::KubectlRunDnsOnly => {
                "Makes the Pod of kubectl run blah admissible (every Pod must be selected by some NetworkPolicy) while allowing it nothing but DNS lookups. Add egress rules for what the Pod really needs to reach."
            }
        }
    }

    /// The preset's spec for `namespace`.
    pub fn build(self, namespace: &str, options: &PresetOptions) -> PolicySpec {
        match self {
            Preset::DefaultDenyAll => default_deny_all(namespace),
            Preset::DefaultDenyAllExceptDns => default_deny_all_except_dns(namespace),
            Preset::AllowDns => allow_dns(namespace),
            Preset::AllowFromIngressController => {
                allow_from_ingress_controller(namespace, &options.ingress_controller_namespace)
            }
            Preset::AllowWithinNamespace => allow_within_namespace(namespace),
            Preset::AllowToExternalService => allow_to_external_service(namespace),
            Preset::FaqAllowAll => faq_kubectl_run_blah(namespace),
            Preset::KubectlRunDnsOnly => kubectl_run_dns_only(namespace, "blah"),
        }
    }
}

fn spec(name: &str, namespace: &str, target: Target, policy_types: PolicyTypes) -> PolicySpec {
    PolicySpec {
        name: name.to_owned(),
        namespace: namespace.to_owned(),
        target,
        policy_types,
        ingress: Vec::new(),
        egress: Vec::new(),
        allow_dns: false,
    }
}

/// Every Pod, Ingress and Egress, no rules, no DNS. The lint rightly warns that DNS is broken.
pub fn default_deny_all(namespace: &str) -> PolicySpec {
    spec(
        "default-deny-all",
        namespace,
        Target::AllPods {},
        PolicyTypes::BOTH,
    )
}

/// [`default_deny_all`] with the DNS rule.
pub fn default_deny_all_except_dns(namespace: &str) -> PolicySpec {
    PolicySpec {
        allow_dns: true,
        ..spec(
            "default-deny-all-except-dns",
            namespace,
            Target::AllPods {},
            PolicyTypes::BOTH,
        )
    }
}

/// Every Pod, Egress only, the DNS rule only.
pub fn allow_dns(namespace: &str) -> PolicySpec {
    PolicySpec {
        allow_dns: true,
        ..spec(
            "allow-dns",
            namespace,
            Target::AllPods {},
            PolicyTypes::EGRESS,
        )
    }
}

/// Every Pod accepts connections from every Pod of the ingress controller's namespace.
pub fn allow_from_ingress_controller(namespace: &str, ingress_namespace: &str) -> PolicySpec {
    PolicySpec {
        ingress: vec![Rule::new(
            vec![Peer::NamespaceByName {
                name: ingress_namespace.to_owned(),
            }],
            vec![],
        )],
        ..spec(
            "allow-from-ingress-controller",
            namespace,
            Target::AllPods {},
            PolicyTypes::INGRESS,
        )
    }
}

/// Every Pod accepts connections from every Pod of the same namespace (`podSelector: {}`).
pub fn allow_within_namespace(namespace: &str) -> PolicySpec {
    PolicySpec {
        ingress: vec![Rule::new(
            vec![Peer::PodsInNamespace { labels: vec![] }],
            vec![],
        )],
        ..spec(
            "allow-within-namespace",
            namespace,
            Target::AllPods {},
            PolicyTypes::INGRESS,
        )
    }
}

/// Every Pod may connect to 203.0.113.10 (TEST-NET-3, to be replaced) on TCP 443, and to DNS.
pub fn allow_to_external_service(namespace: &str) -> PolicySpec {
    PolicySpec {
        egress: vec![Rule::new(
            vec![Peer::IpBlock {
                cidr: "203.0.113.10/32".to_owned(),
                except: vec![],
            }],
            vec![PortSpec::tcp(443)],
        )],
        allow_dns: true,
        ..spec(
            "allow-to-external-service",
            namespace,
            Target::AllPods {},
            PolicyTypes::EGRESS,
        )
    }
}

/// The FAQ's policy, as it was: named `blah`, selecting `run: blah`, Ingress and Egress, one
/// allow-everything rule each way (`- {}`). No DNS rule: the egress rule already allows it.
/// Not a good idea; the lint says so.
pub fn faq_kubectl_run_blah(namespace: &str) -> PolicySpec {
    let everything = || vec![Rule::new(vec![Peer::Anywhere {}], vec![])];
    PolicySpec {
        ingress: everything(),
        egress: everything(),
        ..spec(
            "blah",
            namespace,
            Target::KubectlRun {
                name: "blah".to_owned(),
            },
            PolicyTypes::BOTH,
        )
    }
}

/// What to use for `kubectl run POD_NAME` instead: the Pod is selected (so it is admitted), gets
/// no incoming traffic, and may only look up names. Named `run-POD_NAME`.
pub fn kubectl_run_dns_only(namespace: &str, pod_name: &str) -> PolicySpec {
    PolicySpec {
        allow_dns: true,
        ..spec(
            &format!("run-{pod_name}"),
            namespace,
            Target::KubectlRun {
                name: pod_name.to_owned(),
            },
            PolicyTypes::BOTH,
        )
    }
}

/// An example of one peer that ANDs a namespace and Pod labels (not in [`Preset::ALL`]):
/// Prometheus Pods in `monitoring` may scrape Pods labelled `app: APP` on TCP `port`.
pub fn allow_prometheus_scrape(namespace: &str, app: &str, port: u16) -> PolicySpec {
    PolicySpec {
        ingress: vec![Rule::new(
            vec![Peer::PodsInNamespaces {
                namespace: NamespaceSelection::ByName {
                    name: "monitoring".to_owned(),
                },
                pod_labels: vec![Label::new("app.kubernetes.io/name", "prometheus")],
            }],
            vec![PortSpec::tcp(port)],
        )],
        ..spec(
            &format!("allow-prometheus-scrape-{app}"),
            namespace,
            Target::Labels {
                labels: vec![Label::new("app", app)],
            },
            PolicyTypes::INGRESS,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::lint::{LintCode, LintConfig};
    use super::super::{Generated, generate};
    use super::*;

    fn generated(preset: Preset) -> Generated {
        generate(
            &preset.build("demo", &PresetOptions::default()),
            &LintConfig::default(),
        )
        .expect("presets are valid")
    }

    fn lint_codes(preset: Preset) -> Vec<LintCode> {
        generated(preset)
            .warnings
            .into_iter()
            .map(|l| l.code)
            .collect()
    }

    /// Snapshot names carry no module path, so the files stay valid when this folder is copied
    /// into another crate.
    fn assert_yaml_snapshot(name: &str, yaml: &str) {
        insta::with_settings!({ prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(name, yaml);
        });
    }

    #[test]
    fn every_preset_yaml() {
        for preset in Preset::ALL {
            let yaml = generated(preset).yaml;
            assert_yaml_snapshot(&format!("preset_{}", preset.id()), &yaml);
        }
    }

    #[test]
    fn prometheus_example_yaml() {
        let yaml = generate(
            &allow_prometheus_scrape("demo", "web", 9090),
            &LintConfig::default(),
        )
        .expect("valid")
        .yaml;
        assert_yaml_snapshot("preset_allow-prometheus-scrape", &yaml);
    }

    #[test]
    fn ids_round_trip_through_serde() {
        for preset in Preset::ALL {
            let json = serde_json::to_value(preset).expect("serializes");
            assert_eq!(json, serde_json::Value::String(preset.id().into()));
            assert_eq!(
                serde_json::from_value::<Preset>(json).expect("deserializes"),
                preset
            );
            assert!(!preset.title().is_empty() && preset.description().ends_with('.'));
        }
    }

    #[test]
    fn default_deny_all_breaks_dns_and_the_lint_says_so() {
        assert!(lint_codes(Preset::DefaultDenyAll).contains(&LintCode::EgressWithoutDns));
        assert!(!lint_codes(Preset::DefaultDenyAllExceptDns).contains(&LintCode::EgressWithoutDns));
    }

    #[test]
    fn faq_allow_all_is_flagged() {
        assert!(Preset::FaqAllowAll.title().contains("not a good idea"));
        let codes = lint_codes(Preset::FaqAllowAll);
        assert_eq!(codes, [LintCode::AllowAll, LintCode::AllowAll]);
    }

    #[test]
    fn kubectl_run_preset_selects_run_label_and_allows_only_dns() {
        let generated = generated(Preset::KubectlRunDnsOnly);
        assert!(generated.yaml.contains("matchLabels:\n      run: blah\n"));
        assert_eq!(lint_codes(Preset::KubectlRunDnsOnly), []);
    }

    #[test]
    fn ingress_controller_namespace_is_configurable() {
        let options = PresetOptions {
            ingress_controller_namespace: "traefik".into(),
        };
        let spec = Preset::AllowFromIngressController.build("demo", &options);
        assert_eq!(
            spec.ingress[0].peers,
            [Peer::NamespaceByName {
                name: "traefik".into()
            }]
        );
        let options: PresetOptions = serde_json::from_str("{}").expect("defaults");
        assert_eq!(options.ingress_controller_namespace, "ingress-nginx");
    }
}
