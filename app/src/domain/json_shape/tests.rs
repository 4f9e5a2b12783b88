//! Unit tests of `json_shape`: every kind of problem, its path and its words.

use super::*;
use serde_json::json;

fn example() -> Shape {
    Object::strict([
        Field::required("name", Shape::String),
        Field::optional("enabled", Shape::Bool),
        Field::optional("port", Shape::U16),
        Field::optional("protocol", Shape::OneOf(&["TCP", "UDP"])),
        Field::optional("labels", Shape::map(Shape::String)),
        Field::optional("note", Shape::String.nullable()),
        Field::optional(
            "items",
            Shape::list(
                Tagged {
                    tag: "kind",
                    variants: vec![
                        ("all", Object::strict([])),
                        (
                            "one",
                            Object::strict([Field::required("name", Shape::String)]),
                        ),
                    ],
                }
                .into(),
            ),
        ),
        Field::optional(
            "loose",
            Object::lenient([Field::required("id", Shape::I64)]).into(),
        ),
    ])
    .into()
}

fn paths_and_messages(value: &Value) -> Vec<(String, String)> {
    example()
        .problems(value)
        .into_iter()
        .map(|problem| (problem.path, problem.message))
        .collect()
}

#[test]
fn a_body_that_fits_has_no_problems() {
    let body = json!({
        "name": "a", "enabled": true, "port": 65535, "protocol": "UDP",
        "labels": { "app": "web" }, "note": null,
        "items": [ { "kind": "all" }, { "kind": "one", "name": "x" } ],
        "loose": { "id": -5, "anything": [1, 2] }
    });
    assert_eq!(paths_and_messages(&body), []);
}

#[test]
fn every_problem_is_reported_with_its_path() {
    let body = json!({
        "enabled": "yes", "port": 70000, "protocol": "ICMP",
        "labels": { "app.kubernetes.io/name": 1 }, "note": 5,
        "items": [ { "kind": "one" }, { "kind": "some" }, {}, "all", { "kind": "all", "name": "x" } ],
        "loose": { "id": 1.5 },
        "extra": 1
    });
    assert_eq!(
        paths_and_messages(&body),
        [
            ("name", "is required"),
            ("enabled", "must be true or false (found a string)"),
            ("port", "must be a whole number from 0 to 65535 (found 70000)"),
            ("protocol", "must be one of TCP or UDP (found another string)"),
            (
                "labels[\"app.kubernetes.io/name\"]",
                "must be a string (found 1)"
            ),
            ("note", "must be a string (found 5)"),
            ("items[0].name", "is required"),
            (
                "items[1].kind",
                "must be one of all or one (found another string)"
            ),
            ("items[2].kind", "is required: one of all or one"),
            (
                "items[3]",
                "must be an object with a `kind` field, one of all or one (found a string)"
            ),
            (
                "items[4].name",
                "unknown field `name`; only `kind` belongs here"
            ),
            (
                "loose.id",
                "must be a whole number from -9223372036854775808 to 9223372036854775807 (found 1.5)"
            ),
            (
                "extra",
                "unknown field `extra`; the fields here are name, enabled, port, protocol, labels, note, items or loose"
            ),
        ]
        .map(|(path, message)| (path.to_owned(), message.to_owned()))
    );
}

#[test]
fn the_body_itself_has_the_empty_path() {
    assert_eq!(
        paths_and_messages(&json!([1])),
        [("".to_owned(), "must be an object (found a list)".to_owned())]
    );
}

#[test]
fn an_untagged_choice_says_its_rule() {
    let shape = Shape::Either {
        rule: "must be a port number or a port name",
        options: vec![Shape::U16, Shape::String],
    };
    assert_eq!(shape.problems(&json!(8080)), []);
    assert_eq!(shape.problems(&json!("http")), []);
    assert_eq!(
        shape.problems(&json!(-1)),
        [FieldError::new(
            "",
            "must be a port number or a port name (found -1)"
        )]
    );
}

#[test]
fn huge_keys_are_cut_in_paths_and_messages() {
    let key = "k".repeat(10_000);
    let mut body = json!({ "name": "a" });
    body[&key] = json!(1);
    let problems = example().problems(&body);
    assert_eq!(problems.len(), 1);
    assert!(problems[0].path.len() < 100, "{}", problems[0].path);
    assert!(problems[0].message.len() < 300, "{}", problems[0].message);
}

#[test]
fn the_number_of_problems_is_capped() {
    let items: Vec<Value> = (0..500).map(|_| json!("x")).collect();
    let problems = example().problems(&json!({ "name": "a", "items": items }));
    assert_eq!(problems.len(), MAX_REPORTED_PROBLEMS + 1);
    assert_eq!(problems[MAX_REPORTED_PROBLEMS].path, "");
    assert!(
        problems[MAX_REPORTED_PROBLEMS]
            .message
            .starts_with("400 more problems"),
        "{:?}",
        problems[MAX_REPORTED_PROBLEMS]
    );
}
