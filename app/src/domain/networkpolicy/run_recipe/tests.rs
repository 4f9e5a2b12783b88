//! Unit tests of `run_recipe`.

use super::*;
use proptest::prelude::*;

fn config() -> RunRecipeConfig {
    RunRecipeConfig {
        allowed_registry_prefixes: vec!["harbor.example.com".into()],
    }
}

fn spec() -> RunRecipeSpec {
    serde_json::from_value(json!({
        "podName": "blah",
        "image": "harbor.example.com/team/debug-tools:1.4.2",
        "namespace": "demo",
    }))
    .expect("defaults fill the rest")
}

fn errors_for(edit: impl FnOnce(&mut RunRecipeSpec)) -> Vec<FieldError> {
    let mut spec = spec();
    edit(&mut spec);
    run_recipe_errors(&spec, &config())
}

fn assert_refused(edit: impl FnOnce(&mut RunRecipeSpec), path: &str, message_part: &str) {
    let errors = errors_for(edit);
    assert!(
        errors
            .iter()
            .any(|e| e.path == path && e.message.contains(message_part)),
        "expected {path}: …{message_part}… in {errors:#?}"
    );
}

fn assert_accepted(edit: impl FnOnce(&mut RunRecipeSpec)) {
    let errors = errors_for(edit);
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn defaults() {
    let spec = spec();
    assert_eq!((spec.run_as_user, spec.run_as_group), (1000, 1000));
    assert_eq!(
        (spec.cpu_request.as_str(), spec.memory_request.as_str()),
        ("100m", "128Mi")
    );
    assert_accepted(|_| {});
}

#[test]
fn the_recipe() {
    let recipe = build_run_recipe(&spec(), &config(), &LintConfig::default()).expect("valid");
    let expected_overrides = json!({
        "apiVersion": "v1",
        "spec": {
            "securityContext": { "runAsNonRoot": true, "runAsUser": 1000, "runAsGroup": 1000 },
            "containers": [{
                "name": "blah",
                "image": "harbor.example.com/team/debug-tools:1.4.2",
                "stdin": true,
                "stdinOnce": true,
                "tty": true,
                "resources": { "requests": { "cpu": "100m", "memory": "128Mi" } },
                "securityContext": {
                    "allowPrivilegeEscalation": false,
                    "capabilities": { "drop": ["ALL"] },
                    "seccompProfile": { "type": "RuntimeDefault" },
                },
            }],
        },
    });
    assert_eq!(recipe.overrides, expected_overrides);

    let prefix =
        "kubectl run blah --rm -ti --image=harbor.example.com/team/debug-tools:1.4.2 --overrides='";
    let suffix = "' -n demo";
    assert!(
        recipe.run_command.starts_with(prefix),
        "{}",
        recipe.run_command
    );
    assert!(
        recipe.run_command.ends_with(suffix),
        "{}",
        recipe.run_command
    );
    let quoted = &recipe.run_command[prefix.len()..recipe.run_command.len() - suffix.len()];
    assert!(!quoted.contains('\''));
    let parsed: serde_json::Value =
        serde_json::from_str(quoted).expect("the override is valid JSON");
    assert_eq!(parsed, expected_overrides);
    // Numbers and booleans are JSON numbers and booleans, not strings.
    assert!(parsed["spec"]["securityContext"]["runAsUser"].is_u64());
    assert!(parsed["spec"]["securityContext"]["runAsNonRoot"].is_boolean());

    assert_eq!(
        recipe.cleanup_command,
        "kubectl delete networkpolicy run-blah -n demo"
    );
    assert!(recipe.policy.yaml.contains("name: run-blah\n"));
    assert!(recipe.policy.yaml.contains("      run: blah\n"));
    assert!(recipe.policy.yaml.contains("k8s-app: kube-dns"));
    assert!(
        !recipe.policy.yaml.contains("ingress:"),
        "no ingress rule: nothing may connect in"
    );
    assert!(
        recipe.policy.warnings.is_empty(),
        "{:#?}",
        recipe.policy.warnings
    );
    assert!(
        recipe
            .policy
            .explanation
            .sentences()
            .any(|s| s == "All incoming traffic to these Pods is blocked.")
    );
}

#[test]
fn pod_name_is_an_rfc1123_label() {
    assert_accepted(|s| s.pod_name = "debug-1".into());
    assert_refused(
        |s| s.pod_name = "Debug".into(),
        "podName",
        "uses only lowercase letters, digits and '-'",
    );
    assert_refused(
        |s| s.pod_name = "a".repeat(64),
        "podName",
        "uses only lowercase letters, digits and '-'",
    );
    assert_refused(
        |s| s.pod_name = "a.b".into(),
        "podName",
        "uses only lowercase letters, digits and '-'",
    );
    assert_refused(|s| s.pod_name = "".into(), "podName", "shell");
    assert_refused(|s| s.pod_name = "x;rm -rf".into(), "podName", "shell");
}

#[test]
fn namespace_is_an_rfc1123_label() {
    assert_refused(
        |s| s.namespace = "Demo".into(),
        "namespace",
        "uses only lowercase letters, digits and '-'",
    );
    assert_refused(|s| s.namespace = "demo$(id)".into(), "namespace", "shell");
}

#[test]
fn image_references() {
    for ok in [
        "harbor.example.com/team/tool:1.2.3",
        "harbor.example.com/tool:v1",
        "harbor.example.com/a/b/c-d__e.f:1_0-rc.1",
        &format!("harbor.example.com/team/tool@sha256:{}", "a".repeat(64)),
        &format!("harbor.example.com/team/tool:1.0@sha256:{}", "0".repeat(64)),
    ] {
        assert_accepted(|s| s.image = ok.into());
    }
    let refused: &[(&str, &str)] = &[
        ("", "required"),
        ("harbor.example.com/team/tool", "tag"),
        ("harbor.example.com/team/tool:latest", "latest"),
        ("harbor.example.com/team/tool:LATEST", "latest"),
        (
            "docker.io/library/ubuntu:24.04",
            "must start with harbor.example.com/",
        ),
        ("ubuntu:24.04", "registry"),
        ("team/tool:1.0", "registry host"),
        (
            "harbor.example.com.evil.io/x:1.0",
            "must start with harbor.example.com/",
        ),
        (
            "harbor.example.comx/x:1.0",
            "must start with harbor.example.com/",
        ),
        ("harbor.example.com/Team/tool:1.0", "lowercase"),
        ("harbor.example.com/team//tool:1.0", "lowercase"),
        ("harbor.example.com/team/tool-:1.0", "lowercase"),
        ("harbor.example.com/team/tool:.1", "image tag"),
        ("harbor.example.com/team/tool:", "image tag"),
        ("harbor.example.com/team/tool@sha256:abc", "digest"),
        ("harbor.example.com/team/tool@sha256:", "digest"),
        ("harbor.example.com/team/tool:1 ; rm -rf ~", "shell"),
        ("harbor.example.com/team/tool:$(id)", "shell"),
        ("harbor.example.com/team/tool:`id`", "shell"),
        ("harbor.example.com/team/tool:1'", "shell"),
        ("harbor.example.com/team/tool:1\"", "shell"),
        ("harbor.example.com/team/tool:1|x", "shell"),
        ("harbor.example.com/team/tool:1&", "shell"),
        ("harbor.example.com/team/tool:1\nx", "shell"),
    ];
    for (image, part) in refused {
        assert_refused(|s| s.image = (*image).into(), "image", part);
    }
    assert_refused(|s| s.image = "x".repeat(600), "image", "at most 512");
}

#[test]
fn registry_prefixes_are_normalised() {
    let config = RunRecipeConfig {
        allowed_registry_prefixes: vec![
            " harbor.example.com ".into(),
            "registry.example.org/team/".into(),
            "".into(),
            "/".into(),
        ],
    };
    assert_eq!(
        config.normalized_prefixes(),
        ["harbor.example.com/", "registry.example.org/team/"]
    );
    let mut spec = spec();
    spec.image = "registry.example.org/other/tool:1.0".into();
    assert_eq!(run_recipe_errors(&spec, &config).len(), 1);
    spec.image = "registry.example.org/team/tool:1.0".into();
    assert_eq!(run_recipe_errors(&spec, &config), []);

    let nothing = RunRecipeConfig::default();
    let errors = run_recipe_errors(&spec, &nothing);
    assert!(
        errors[0]
            .message
            .contains("no image registry is configured")
    );
}

#[test]
fn ids_must_not_be_root() {
    assert_refused(|s| s.run_as_user = 0, "runAsUser", "must not be 0");
    assert_refused(|s| s.run_as_group = 0, "runAsGroup", "must not be 0");
    assert_refused(
        |s| s.run_as_user = u32::MAX,
        "runAsUser",
        "at most 2147483647",
    );
    assert_accepted(|s| s.run_as_user = 2_147_483_647);
    assert_accepted(|s| s.run_as_group = 1);
}

#[test]
fn resource_quantities() {
    for ok in [
        "100m", "1", "0.5", ".5", "1.", "128Mi", "1Gi", "2G", "1e3", "1E-2", "+1", "250k",
    ] {
        assert_accepted(|s| s.cpu_request = ok.into());
    }
    for bad in [
        "", "0", "0m", "-1", "1.2.3", "1mi", "1MB", "Mi", "1 Mi", "1e", "100mm", "1Ki2", ".",
    ] {
        let errors = errors_for(|s| s.memory_request = bad.into());
        // The quantity rule, and the shell rule exactly when the value is unsafe in a shell.
        let mut expected = Vec::new();
        if !is_shell_safe(bad) {
            expected.push(format!("resource request {SHELL_SAFE_RULE}"));
        }
        expected.push(quantity_error(bad).expect("refused").to_owned());
        let messages: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
        assert_eq!(messages, expected, "{bad:?}");
        assert!(errors.iter().all(|e| e.path == "memoryRequest"));
    }
    assert_refused(
        |s| s.memory_request = "1Gi;x".into(),
        "memoryRequest",
        "shell",
    );
    assert_refused(
        |s| s.memory_request = "1Gi;x".into(),
        "memoryRequest",
        "positive Kubernetes quantity",
    );
}

/// A field's check never stops at its first problem: every rule the value breaks is told.
#[test]
fn every_problem_of_one_field_at_once() {
    let messages = |edit: fn(&mut RunRecipeSpec), path: &str| -> Vec<String> {
        errors_for(edit)
            .into_iter()
            .filter(|e| e.path == path)
            .map(|e| e.message)
            .collect()
    };
    // No registry, so not the platform's, and the latest tag.
    let image = messages(|s| s.image = "nginx:latest".into(), "image");
    assert_eq!(image.len(), 3, "{image:#?}");
    assert!(image[0].contains("must include its registry"), "{image:#?}");
    assert!(
        image[1].contains("must start with harbor.example.com/"),
        "{image:#?}"
    );
    assert!(image[2].contains("the tag latest is refused"), "{image:#?}");

    // Shell characters, a bad repository path and no tag.
    let image = messages(
        |s| s.image = "harbor.example.com/Team/$(id)".into(),
        "image",
    );
    assert_eq!(image.len(), 3, "{image:#?}");
    assert!(image[0].contains("shell"), "{image:#?}");
    assert!(image[1].contains("repository path"), "{image:#?}");
    assert!(image[2].contains("must name a tag"), "{image:#?}");

    // A bad digest and a bad tag, from a registry that is not the platform's.
    let image = messages(|s| s.image = "docker.io/x:.1@sha256:abc".into(), "image");
    assert_eq!(image.len(), 3, "{image:#?}");
    assert!(image[0].contains("digest"), "{image:#?}");
    assert!(image[1].contains("image tag"), "{image:#?}");
    assert!(image[2].contains("platform's registry"), "{image:#?}");

    // Too long is not the only thing wrong with a long image.
    let image = messages(
        |s| s.image = format!("x{}:latest", "y".repeat(600)),
        "image",
    );
    assert!(
        image.iter().any(|m| m.contains("at most 512")),
        "{image:#?}"
    );
    assert!(
        image.iter().any(|m| m.contains("latest is refused")),
        "{image:#?}"
    );

    let pod_name = messages(|s| s.pod_name = "Bad Name".into(), "podName");
    assert_eq!(pod_name.len(), 2, "{pod_name:#?}");
    assert!(pod_name[0].contains("shell"));
    assert!(pod_name[1].contains("lowercase letters, digits and '-'"));

    let namespace = messages(|s| s.namespace = "Demo;".into(), "namespace");
    assert_eq!(namespace.len(), 2, "{namespace:#?}");
    assert!(namespace[0].contains("shell"));
    assert!(namespace[1].contains("lowercase letters, digits and '-'"));
}

#[test]
fn all_errors_at_once() {
    let errors = errors_for(|s| {
        s.pod_name = "Bad".into();
        s.image = "docker.io/x:latest".into();
        s.run_as_user = 0;
        s.cpu_request = "lots".into();
    });
    let paths: Vec<_> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        ["podName", "image", "image", "runAsUser", "cpuRequest"]
    );
}

#[test]
fn single_quotes_are_escaped_for_the_shell() {
    assert_eq!(shell_single_quote("a'b"), r#"'a'"'"'b'"#);
}

proptest! {
    #[test]
    fn never_panics_and_never_lets_shell_characters_through(
        pod_name in any::<String>(),
        image in prop_oneof![any::<String>(), "harbor\\.example\\.com/[a-z0-9/._:@-]{0,30}"],
        namespace in any::<String>(),
        run_as_user in any::<u32>(),
        cpu_request in any::<String>(),
        memory_request in "[0-9.eEkMGTPmi+-]{0,6}",
    ) {
        let spec = RunRecipeSpec {
            pod_name, image, namespace, run_as_user, run_as_group: 1000, cpu_request, memory_request,
        };
        if let Ok(recipe) = build_run_recipe(&spec, &config(), &LintConfig::default()) {
            for value in [&spec.pod_name, &spec.image, &spec.namespace, &spec.cpu_request, &spec.memory_request] {
                prop_assert!(is_shell_safe(value));
            }
            prop_assert!(!recipe.run_command.contains('\n'));
        }
    }
}
