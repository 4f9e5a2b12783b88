//! The check page's questions over a namespace as the portal creates it (the real provisioning
//! plan's baseline): what decides, the quoted rule, the suggested policy and the what-if.

use super::question::*;
use super::scenario_tests::provisioned;
use super::*;
use crate::domain::networkpolicy::LintConfig;
use crate::domain::networkpolicy::yaml::yaml11;
use serde_json::json;

const SHOP: &str = "team-a-shop";

fn objects() -> NamespaceObjects {
    let (namespace, policies) = provisioned();
    NamespaceObjects {
        namespace,
        pods: vec![
            PodInfo::new(
                SHOP,
                "frontend-5c8",
                [("app", "frontend"), ("pod-template-hash", "5c8")],
            )
            .with_port(ContainerPort::tcp("http", 8080)),
            PodInfo::new(
                SHOP,
                "api-7d4",
                [("app", "api"), ("pod-template-hash", "7d4")],
            )
            .with_port(ContainerPort::tcp("http", 8080)),
            PodInfo::new(SHOP, "bare", []),
        ],
        policies,
    }
}

fn platform() -> Platform {
    Platform {
        ingress_namespace: "ingress-nginx".into(),
    }
}

fn form(from: &str, to: &str, port: &str) -> CheckForm {
    CheckForm {
        namespace: SHOP.into(),
        from: from.into(),
        to: to.into(),
        port: port.into(),
        ..CheckForm::default()
    }
}

fn asking(form: &CheckForm, what_if: &[NetworkPolicy]) -> Checked {
    let objects = objects();
    let question = form
        .question(SHOP, &objects.pods)
        .unwrap_or_else(|problems| panic!("{problems:?}"));
    ask(
        &objects,
        what_if,
        &question,
        &platform(),
        &LintConfig::default(),
    )
    .expect("an answer")
}

/// Every suggestion's YAML, read back as a what-if.
fn applied(checked: &Checked) -> Vec<NetworkPolicy> {
    let documents: Vec<_> = checked
        .suggestions
        .iter()
        .map(|s| yaml11::parse(&s.yaml).expect("the suggestion is YAML"))
        .collect();
    what_if_policies(&documents, SHOP).expect("the suggestion is a NetworkPolicy")
}

#[test]
fn frontend_to_api_is_denied_by_the_baseline_and_the_suggestion_allows_it() {
    let question = form("pod:frontend-5c8", "pod:api-7d4", "8080");
    let denied = asking(&question, &[]);
    assert!(!denied.answer.allowed);
    let isolating: Vec<String> = isolating(&denied.answer)
        .iter()
        .map(|p| p.name.clone())
        .collect();
    assert!(
        isolating.contains(&"default-deny-all".to_owned()),
        "{isolating:?}"
    );
    assert!(
        denied.quotes.is_empty(),
        "nothing allows, so nothing is quoted"
    );
    assert!(denied.explanation.verdict.starts_with("Denied"));

    // One policy per side: egress out of the frontend, ingress into the API.
    let directions: Vec<Direction> = denied.suggestions.iter().map(|s| s.direction).collect();
    assert_eq!(directions, [Direction::Egress, Direction::Ingress]);
    let ingress = &denied.suggestions[1];
    assert_eq!(ingress.policy.name, "allow-frontend-to-api-8080");
    assert!(ingress.yaml.contains("app: api"), "{}", ingress.yaml);
    assert!(ingress.yaml.contains("app: frontend"), "{}", ingress.yaml);
    assert!(
        !ingress.yaml.contains("pod-template-hash"),
        "per-Pod labels select one rollout"
    );
    assert!(ingress.yaml.contains("port: 8080"), "{}", ingress.yaml);
    assert!(ingress.apply_command.starts_with("kubectl apply -f -"));
    assert!(ingress.notes.is_empty(), "{:?}", ingress.notes);
    assert!(
        denied.suggestions.iter().all(|s| s.warnings.is_empty()),
        "the Pods already have their DNS rule: {:?}",
        denied.suggestions
    );

    let allowed = asking(&question, &applied(&denied));
    assert!(allowed.answer.allowed, "{:?}", allowed.explanation);
    assert!(allowed.suggestions.is_empty());
    let quoted: Vec<String> = allowed.quotes.iter().map(|q| q.rule.to_string()).collect();
    assert_eq!(
        quoted,
        [
            "team-a-shop/allow-frontend-out-to-api-8080 spec.egress[0]",
            "team-a-shop/allow-frontend-to-api-8080 spec.ingress[0]"
        ]
    );
    assert!(
        allowed.quotes[1].yaml.starts_with("ingress:\n  - from:"),
        "{}",
        allowed.quotes[1].yaml
    );
}

#[test]
fn the_ingress_controller_reaches_pods_and_its_own_side_is_the_platforms() {
    let checked = asking(&form("ingress-controller", "pod:api-7d4", "http"), &[]);
    assert!(checked.answer.allowed, "{:?}", checked.explanation);
    assert!(checked.answer.egress.is_none());
    let quote = &checked.quotes[0];
    assert_eq!(quote.rule.policy.name, "allow-from-ingress-controller");
    assert!(quote.yaml.contains("namespaceSelector"), "{}", quote.yaml);
    assert!(quote.yaml.contains("ingress-nginx"), "{}", quote.yaml);
    let sentences: Vec<&str> = checked.explanation.sentences().collect();
    assert!(
        sentences
            .iter()
            .any(|s| s.starts_with("Egress is not checked at the ingress controller")),
        "{sentences:?}"
    );
}

#[test]
fn dns_is_allowed_and_the_internet_is_not() {
    let dns = asking(
        &CheckForm {
            protocol: "udp".into(),
            ..form("pod:api-7d4", "dns", "53")
        },
        &[],
    );
    assert!(dns.answer.allowed, "{:?}", dns.explanation);
    assert_eq!(dns.quotes[0].rule.policy.name, "allow-dns");
    assert!(
        dns.answer.ingress.is_none(),
        "the DNS side is the platform's"
    );

    let internet = asking(&form("pod:api-7d4", "internet", "443"), &[]);
    assert!(!internet.answer.allowed);
    let [suggestion] = &internet.suggestions[..] else {
        panic!("{:?}", internet.suggestions)
    };
    assert!(suggestion.yaml.contains("0.0.0.0/0"), "{}", suggestion.yaml);
    assert_eq!(
        suggestion.notes.len(),
        1,
        "the address is not known: {:?}",
        suggestion.notes
    );
    assert!(
        asking(&form("pod:api-7d4", "internet", "443"), &applied(&internet))
            .answer
            .allowed
    );

    let one_address = CheckForm {
        to_ip: "203.0.113.10".into(),
        ..form("pod:api-7d4", "ip", "443")
    };
    let denied = asking(&one_address, &[]);
    assert!(denied.suggestions[0].yaml.contains("203.0.113.10/32"));
    assert!(asking(&one_address, &applied(&denied)).answer.allowed);
}

#[test]
fn a_pod_given_by_labels_and_one_without_labels() {
    let labelled = CheckForm {
        from_labels: "app=frontend, tier=web".into(),
        to_labels: "app=frontend, tier=web".into(),
        ..form("labels", "labels", "8080")
    };
    let checked = asking(&labelled, &[]);
    assert!(
        !checked.answer.to_itself,
        "two Pods with the same labels are two Pods"
    );
    assert!(!checked.answer.allowed);
    assert!(
        checked
            .explanation
            .verdict
            .contains("another Pod labelled app=frontend,tier=web")
    );

    let bare = asking(&form("pod:frontend-5c8", "pod:bare", "8080"), &[]);
    let ingress = bare
        .suggestions
        .iter()
        .find(|s| s.direction == Direction::Ingress)
        .expect("an ingress suggestion");
    assert!(
        ingress.notes[0].contains("no labels"),
        "{:?}",
        ingress.notes
    );
    assert!(
        asking(
            &form("pod:frontend-5c8", "pod:bare", "8080"),
            &applied(&bare)
        )
        .answer
        .allowed
    );
}

#[test]
fn a_what_if_replaces_a_policy_of_the_same_name() {
    // The baseline's deny-all replaced by one that also lets every Pod out on 443.
    let what_if = what_if_policies(
        &[json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny-all"},
            "spec": {
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
                "egress": [{"ports": [{"port": 443}]}],
            },
        })],
        SHOP,
    )
    .expect("a policy");
    assert_eq!(what_if[0].metadata.namespace.as_deref(), Some(SHOP));
    let question = form("pod:api-7d4", "internet", "443");
    assert!(!asking(&question, &[]).answer.allowed);
    assert!(asking(&question, &what_if).answer.allowed);
}

#[test]
fn what_if_documents_that_are_not_policies_for_this_namespace_are_refused() {
    let policy = |metadata: serde_json::Value| {
        json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": metadata,
            "spec": {"podSelector": {}},
        })
    };
    let refused =
        |documents: &[serde_json::Value]| what_if_policies(documents, SHOP).expect_err("refused");
    assert_eq!(
        refused(&[json!({"apiVersion": "apps/v1", "kind": "Deployment"})]),
        "document 1 is a Deployment (apps/v1), not a NetworkPolicy (apiVersion networking.k8s.io/v1)"
    );
    assert!(refused(&[json!("text")]).contains("not a Kubernetes object"));
    assert_eq!(
        refused(&[policy(json!({"name": "x", "namespace": "team-b"}))]),
        "document 1: x is for namespace team-b, and this check is in team-a-shop"
    );
    assert_eq!(
        refused(&[policy(json!({}))]),
        "document 1: the policy has no metadata.name"
    );
    assert_eq!(
        refused(&[policy(json!({"name": "x"})), policy(json!({"name": "x"}))]),
        "document 2: a policy named x is given twice"
    );
    let bad_field = json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "x"},
        "spec": {"podSelector": {}, "ingress": [{"ports": [{"port": []}]}]},
    });
    let message = refused(&[bad_field]);
    assert!(
        message.starts_with("document 1: spec.ingress[0].ports[0].port"),
        "{message}"
    );
    let many: Vec<_> = (0..=MAX_WHAT_IF_POLICIES)
        .map(|i| policy(json!({"name": format!("p{i}")})))
        .collect();
    assert!(refused(&many).starts_with("more than 20 documents"));
}

fn problems(form: &CheckForm) -> Vec<(CheckField, String)> {
    form.question(SHOP, &objects().pods)
        .expect_err("problems")
        .into_iter()
        .map(|p| (p.field, p.message))
        .collect()
}

#[test]
fn every_kind_of_bad_input_is_named_at_its_field() {
    let at =
        |form: CheckForm| -> Vec<CheckField> { problems(&form).into_iter().map(|p| p.0).collect() };
    assert_eq!(
        at(form("", "", "")),
        [CheckField::From, CheckField::To, CheckField::Port]
    );
    assert_eq!(
        at(form("pod:gone", "pod:api-7d4", "80")),
        [CheckField::From]
    );
    assert_eq!(at(form("dns", "pod:api-7d4", "80")), [CheckField::From]);
    assert_eq!(
        at(form("pod:api-7d4", "ingress-controller", "80")),
        [CheckField::To]
    );
    assert_eq!(at(form("pod:api-7d4", "nowhere", "80")), [CheckField::To]);
    assert_eq!(at(form("internet", "ip", "80")), [CheckField::ToIp]);
    assert_eq!(
        at(CheckForm {
            to_ip: "10.0.0.0/8".into(),
            ..form("pod:api-7d4", "ip", "80")
        }),
        [CheckField::ToIp]
    );
    assert_eq!(
        at(CheckForm {
            to_ip: "8.8.8.8".into(),
            ..form("internet", "ip", "80")
        }),
        [CheckField::To],
        "one end must be a Pod of the namespace"
    );
    assert_eq!(
        at(CheckForm {
            from_labels: "app: web".into(),
            ..form("labels", "pod:api-7d4", "80")
        }),
        [CheckField::FromLabels]
    );
    assert_eq!(
        at(CheckForm {
            from_labels: " , ".into(),
            ..form("labels", "pod:api-7d4", "80")
        }),
        [CheckField::FromLabels]
    );
    assert_eq!(
        at(CheckForm {
            from_labels: "app=we b".into(),
            ..form("labels", "pod:api-7d4", "80")
        }),
        [CheckField::FromLabels]
    );
    for port in [
        "0",
        "65536",
        "99999999999",
        "HTTP!",
        "-x",
        "a-very-long-port-name",
    ] {
        assert_eq!(
            at(form("pod:api-7d4", "pod:frontend-5c8", port)),
            [CheckField::Port],
            "{port}"
        );
    }
    assert_eq!(
        at(CheckForm {
            protocol: "ICMP".into(),
            ..form("pod:api-7d4", "pod:frontend-5c8", "80")
        }),
        [CheckField::Protocol]
    );
    let messages = problems(&CheckForm {
        to_ip: "10.0.0.0/8".into(),
        ..form("pod:api-7d4", "ip", "80")
    });
    assert!(
        messages[0].1.contains("without a prefix length"),
        "{messages:?}"
    );
}

#[test]
fn a_named_port_resolves_on_the_destination() {
    let checked = asking(&form("pod:frontend-5c8", "pod:api-7d4", "http"), &[]);
    assert_eq!(checked.answer.port.number, Some(8080));
    assert!(
        checked
            .suggestions
            .iter()
            .all(|s| s.yaml.contains("port: 8080"))
    );
}

#[test]
fn the_form_round_trips_through_its_query_parameters() {
    let form = CheckForm {
        what_if: "kind: NetworkPolicy".into(),
        protocol: "UDP".into(),
        ..form("pod:a", "dns", "53")
    };
    let params = form.to_params();
    let get = |key: &str| {
        params
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(CheckForm::from_params(get), Some(form));
    assert_eq!(CheckForm::from_params(|_| None), None, "not submitted");
}
