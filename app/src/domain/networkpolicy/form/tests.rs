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

fn at(path: &str) -> Located {
    Located::new(FormField::Row(Direction::Ingress, 0, RowField::Ports), path)
}

/// A form read from these query parameters.
fn submitted(params: &[(&str, &str)]) -> PolicyForm {
    PolicyForm::from_params(|key| {
        params
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| (*v).to_owned())
    })
    .expect("submitted")
}

#[test]
fn ports_notation() {
    let mut errors = Vec::new();
    let ports = parse_ports(
        "443, UDP 53, tcp/8000-8100, http, sctp 9",
        &at("p"),
        &mut errors,
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(format_ports(&ports), "443, UDP 53, 8000-8100, http, SCTP 9");
}

#[test]
fn bad_ports_are_reported_with_the_path() {
    let mut errors = Vec::new();
    parse_ports(
        "ICMP 1, 70000, 5-99999",
        &at("ingressRows[0].ports"),
        &mut errors,
    );
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors.iter().all(|e| e.path == "ingressRows[0].ports"
        && e.field == Some(FormField::Row(Direction::Ingress, 0, RowField::Ports))));
    assert_eq!(
        errors[1].message,
        "'70000' is not a port number: ports are numbers from 1 to 65535."
    );
}

#[test]
fn labels_notation() {
    let mut errors = Vec::new();
    let labels = parse_labels("app=web, tier = front, flag", &at("t"), &mut errors);
    assert!(errors.is_empty());
    assert_eq!(format_labels(&labels), "app=web, tier=front, flag=");
    parse_labels("app: web", &at("t"), &mut errors);
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
    assert_eq!(
        form.ingress_rows,
        [RuleRow::default()],
        "one empty row to start"
    );
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
    let form = submitted(&params);
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

#[test]
fn a_new_form_has_one_empty_row_per_direction() {
    let form = PolicyForm::default();
    for direction in Direction::BOTH {
        assert_eq!(form.rows(direction), [RuleRow::default()]);
    }
    assert!(form.to_spec().is_ok());
}

#[test]
fn every_submitted_row_comes_back_blank_ones_too_in_order() {
    let form = submitted(&[
        ("name", "web"),
        ("i0k", "pods"),
        ("i0v", "app=web"),
        ("i1k", ""),
        ("i1v", ""),
        ("i2k", "anywhere"),
        ("i2p", "443"),
        ("e0k", ""),
    ]);
    assert_eq!(
        form.ingress_rows,
        [
            RuleRow {
                kind: "pods".into(),
                value: "app=web".into(),
                ..RuleRow::default()
            },
            RuleRow::default(),
            RuleRow {
                kind: "anywhere".into(),
                ports: "443".into(),
                ..RuleRow::default()
            },
        ]
    );
    assert_eq!(form.egress_rows, [RuleRow::default()]);
    // Rows past the most the form offers are not read.
    let far = format!("i{MAX_ROWS}k");
    let form = submitted(&[("name", "web"), (&far, "anywhere")]);
    assert_eq!(form.ingress_rows, [RuleRow::default()]);
}

#[test]
fn add_and_remove_keep_what_was_typed() {
    let mut form = submitted(&[("name", "web"), ("i0k", "pods"), ("i0v", "app=web")]);
    let typed = form.ingress_rows[0].clone();
    assert_eq!(
        form.edit(RowEdit::Add(Direction::Ingress)),
        FormField::Row(Direction::Ingress, 1, RowField::Kind)
    );
    assert_eq!(form.ingress_rows, [typed.clone(), RuleRow::default()]);
    assert_eq!(
        form.egress_rows,
        [RuleRow::default()],
        "the other side is untouched"
    );
    form.ingress_rows[1].kind = "anywhere".into();
    assert_eq!(
        form.edit(RowEdit::Remove(Direction::Ingress, 0)),
        FormField::Row(Direction::Ingress, 0, RowField::Kind)
    );
    assert_eq!(form.ingress_rows[0].kind, "anywhere");
    // The last row cannot go: it is emptied instead.
    form.edit(RowEdit::Remove(Direction::Ingress, 0));
    assert_eq!(form.ingress_rows, [RuleRow::default()]);
    // A row that is not there changes nothing.
    form.edit(RowEdit::Remove(Direction::Egress, 7));
    assert_eq!(form.egress_rows, [RuleRow::default()]);
    for _ in 0..MAX_ROWS + 3 {
        form.edit(RowEdit::Add(Direction::Egress));
    }
    assert_eq!(form.egress_rows.len(), MAX_ROWS);
}

#[test]
fn row_edits_as_the_buttons_submit_them() {
    let get = |params: &'static [(&'static str, &'static str)]| {
        RowEdit::from_params(|key| {
            params
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (*v).to_owned())
        })
    };
    assert_eq!(get(&[("add", "i")]), Some(RowEdit::Add(Direction::Ingress)));
    assert_eq!(get(&[("add", "e")]), Some(RowEdit::Add(Direction::Egress)));
    assert_eq!(
        get(&[("remove", "e12")]),
        Some(RowEdit::Remove(Direction::Egress, 12))
    );
    for junk in [
        &[("add", "x")][..],
        &[("add", "ii")],
        &[("remove", "i")],
        &[("remove", "i-1")],
        &[("remove", "")],
        &[("remove", "é1")],
        &[],
    ] {
        assert_eq!(get(junk), None, "{junk:?}");
    }
    for edit in [
        RowEdit::Add(Direction::Egress),
        RowEdit::Remove(Direction::Ingress, 3),
    ] {
        let value = edit.value();
        let key = if matches!(edit, RowEdit::Add(_)) {
            "add"
        } else {
            "remove"
        };
        let back = RowEdit::from_params(|k| (k == key).then(|| value.clone()));
        assert_eq!(back, Some(edit));
    }
}

#[test]
fn a_preset_keeps_what_it_does_not_set() {
    let typed = submitted(&[
        ("name", "mine"),
        ("ns", "team-a-shop"),
        ("target", "labels"),
        ("tv", "app=web"),
        ("in", "on"),
        ("i0k", "pods"),
        ("i0v", "app=front"),
        ("i1k", "anywhere"),
        ("i1p", "8080"),
        ("e0k", "namespace"),
        ("e0v", "other"),
    ]);
    let options = PresetOptions::default();
    // Egress only, every Pod: the typed ingress rules and the target's labels stay; name,
    // target, directions, egress rules and DNS are the preset's.
    let preset = Preset::AllowDns.build("team-a-shop", &options);
    let loaded = typed.with_preset(&preset);
    assert_eq!(loaded.name, preset.name);
    assert_eq!(loaded.namespace, "team-a-shop");
    assert_eq!(loaded.target, "all");
    assert_eq!(loaded.target_value, "app=web");
    assert_eq!(loaded.ingress_rows, typed.ingress_rows);
    assert_ne!(loaded.egress_rows, typed.egress_rows);
    assert_eq!((loaded.ingress, loaded.egress), (false, true));
    // What it generates is the preset's policy: the kept rows are in a direction it leaves open.
    let lint = LintConfig::default();
    assert_eq!(
        loaded.generate(&lint).expect("valid").yaml,
        super::super::generate(&preset, &lint).expect("valid").yaml
    );
    // Both directions: only the namespace and the target's words stay.
    let preset = Preset::DefaultDenyAllExceptDns.build("team-a-shop", &options);
    let loaded = typed.with_preset(&preset);
    assert_eq!(
        loaded,
        PolicyForm {
            target_value: "app=web".into(),
            ..PolicyForm::from_spec(&preset)
        }
    );
    // A target of its own replaces the typed one.
    let preset = Preset::KubectlRunDnsOnly.build("team-a-shop", &options);
    assert_eq!(typed.with_preset(&preset).target_value, "blah");
}

fn problems_of(params: &[(&str, &str)]) -> Vec<FormProblem> {
    submitted(params)
        .generate(&LintConfig::default())
        .expect_err("invalid")
}

#[test]
fn a_bad_namespace_is_reported_at_its_field_in_words() {
    let problems = problems_of(&[("name", "web"), ("ns", "Team_A"), ("in", "on")]);
    assert_eq!(
        problems,
        [FormProblem {
            field: Some(FormField::Namespace),
            path: "namespace".into(),
            message: "A namespace name uses only lowercase letters, digits and '-', starts and ends with a letter or digit, and is at most 63 characters.".into(),
        }]
    );
}

#[test]
fn rule_problems_land_on_the_row_they_were_typed_in() {
    // Row 0 chooses nothing, so row 1 is the spec's rule 0 and row 2 its rule 1.
    let problems = problems_of(&[
        ("name", "web"),
        ("ns", "demo"),
        ("in", "on"),
        ("i0k", ""),
        ("i1k", "ipBlock"),
        ("i1v", "10.0.0.1/8"),
        ("i1x", "192.168.0.0/16"),
        ("i2k", "podsInNamespace"),
        ("i2v", "Other"),
        ("i2x", "app=web, tier=-x"),
        ("i2p", "0"),
        ("eg", "on"),
        ("e0k", "pods"),
        ("e0v", "app: web"),
    ]);
    let at: Vec<_> = problems
        .iter()
        .map(|p| (p.field, p.path.as_str()))
        .collect();
    let row = |direction, index, field| Some(FormField::Row(direction, index, field));
    use Direction::{Egress, Ingress};
    // Notation first: nothing is validated until it reads.
    assert_eq!(
        at,
        [(row(Egress, 0, RowField::Value), "egressRows[0].value")],
        "{problems:#?}"
    );
    let problems = problems_of(&[
        ("name", "web"),
        ("ns", "demo"),
        ("in", "on"),
        ("i0k", ""),
        ("i1k", "ipBlock"),
        ("i1v", "10.0.0.1/8"),
        ("i1x", "192.168.0.0/16"),
        ("i2k", "podsInNamespace"),
        ("i2v", "Other"),
        ("i2x", "app=web, tier=-x"),
        ("i2p", "0"),
    ]);
    let at: Vec<_> = problems
        .iter()
        .map(|p| (p.field, p.path.as_str()))
        .collect();
    assert_eq!(
        at,
        [
            (row(Ingress, 1, RowField::Value), "ingress[0].peers[0].cidr"),
            (
                row(Ingress, 2, RowField::Value),
                "ingress[1].peers[0].namespace.name"
            ),
            (
                row(Ingress, 2, RowField::Extra),
                "ingress[1].peers[0].podLabels[1].value"
            ),
            (row(Ingress, 2, RowField::Ports), "ingress[1].ports[0].port"),
        ],
        "{problems:#?}"
    );
    // Which label of the list, in words.
    assert!(
        problems[2].message.starts_with("Label 2: A label value"),
        "{problems:#?}"
    );
    assert!(
        problems.iter().all(|p| !p.message.contains("RFC")),
        "{problems:#?}"
    );
}

#[test]
fn problems_of_the_whole_policy_have_no_field() {
    let problems = problems_of(&[("name", "web"), ("ns", "demo")]);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].path, "policyTypes");
    assert_eq!(
        problems[0].field,
        Some(FormField::Restrict(Direction::Ingress))
    );
    let located = fields::locate(
        FieldError::new("", "too many"),
        &fields::RowsOfRules::default(),
    );
    assert_eq!(located.field, None);
    // A rule the form does not have (the API's paths reach further) stays unplaced.
    let located = fields::locate(
        FieldError::new("egress[4].ports[0].port", "bad"),
        &fields::RowsOfRules::default(),
    );
    assert_eq!(located.field, None);
}

#[test]
fn field_names_are_the_query_keys() {
    assert_eq!(FormField::Namespace.name(), "ns");
    assert_eq!(FormField::Restrict(Direction::Egress).name(), "eg");
    assert_eq!(
        FormField::Row(Direction::Egress, 12, RowField::Extra).name(),
        "e12x"
    );
}

#[test]
fn a_form_survives_its_own_query_for_every_preset() {
    for preset in Preset::ALL {
        let form = PolicyForm::from_spec(&preset.build("demo", &PresetOptions::default()));
        let params = form.to_params();
        let back = PolicyForm::from_params(|key| {
            params
                .iter()
                .find(|(name, _)| name == key)
                .map(|(_, value)| value.clone())
        });
        assert_eq!(back.as_ref(), Some(&form), "{}: {params:?}", preset.id());
    }
    // Unchecked boxes are left out, as a browser leaves them out.
    let form = PolicyForm {
        allow_dns: false,
        ..PolicyForm::default()
    };
    assert!(!form.to_params().iter().any(|(name, _)| name == "dns"));
}
