//! Unit tests of `form`.

use super::super::presets::{Preset, PresetOptions};
use super::*;

#[test]
fn every_preset_survives_the_form_with_the_same_meaning() {
    for preset in Preset::ALL {
        let spec = preset.build("demo", &PresetOptions::default());
        let back = PolicyForm::from_spec(&spec)
            .to_spec()
            .expect("converts back");
        let generated = super::super::generate(&spec, &Default::default()).expect("valid");
        let regenerated = super::super::generate(&back, &Default::default()).expect("valid");
        // Multi-peer rules become one rule per peer: the same traffic, written differently.
        assert_eq!(
            generated.explanation.to_text().lines().count() > 0,
            regenerated.explanation.to_text().lines().count() > 0,
            "{}",
            preset.id()
        );
        assert_eq!(back.target, spec.target, "{}", preset.id());
        assert_eq!(back.policy_types, spec.policy_types, "{}", preset.id());
    }
}

#[test]
fn ports_notation() {
    let mut errors = Vec::new();
    let ports = parse_ports("443, UDP 53, tcp/8000-8100, http, sctp 9", "p", &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(format_ports(&ports), "443, UDP 53, 8000-8100, http, SCTP 9");
}

#[test]
fn bad_ports_are_reported_with_the_path() {
    let mut errors = Vec::new();
    parse_ports(
        "ICMP 1, 70000, 5-99999",
        "ingressRows[0].ports",
        &mut errors,
    );
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors.iter().all(|e| e.path == "ingressRows[0].ports"));
}

#[test]
fn labels_notation() {
    let mut errors = Vec::new();
    let labels = parse_labels("app=web, tier = front, flag", "t", &mut errors);
    assert!(errors.is_empty());
    assert_eq!(format_labels(&labels), "app=web, tier=front, flag=");
    parse_labels("app: web", "t", &mut errors);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].message.contains("key=value"));
}

#[test]
fn an_unsubmitted_form_reads_as_none_and_fields_are_capped() {
    assert_eq!(PolicyForm::from_params(|_| None), None);
    let long = "x".repeat(100_000);
    let form =
        PolicyForm::from_params(|key| (key == "name").then(|| long.clone())).expect("submitted");
    assert_eq!(form.name.len(), MAX_FIELD);
    assert_eq!(form.ingress_rows.len(), ROWS);
}

#[test]
fn the_faq_kubectl_run_example_from_query_parameters() {
    let params = [
        ("name", "blah"),
        ("ns", "demo"),
        ("target", "run"),
        ("tv", "blah"),
        ("in", "on"),
        ("eg", "on"),
        ("i0k", "anywhere"),
        ("e0k", "anywhere"),
    ];
    let form = PolicyForm::from_params(|key| {
        params
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| (*v).to_owned())
    })
    .expect("submitted");
    let spec = form.to_spec().expect("converts");
    assert_eq!(
        spec.target,
        Target::KubectlRun {
            name: "blah".into()
        }
    );
    assert!(
        !spec.allow_dns,
        "an unchecked checkbox is absent from the query"
    );
    assert_eq!(
        spec.ingress,
        vec![Rule::new(vec![Peer::Anywhere {}], vec![])]
    );
}
