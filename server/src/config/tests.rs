//! Loading: the sources and their order, unknown keys, values as Kubernetes delivers them,
//! and `portal config`.

use super::*;
use secrecy::ExposeSecret;
use std::io::Write;

pub(super) fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

pub(super) fn toml_file(contents: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(contents.as_bytes()).expect("write");
    file
}

#[test]
fn defaults_work_on_a_developer_machine() {
    let config = Config::load_from(None, env(&[])).expect("defaults load");
    assert_eq!(config.listen_addr.to_string(), "127.0.0.1:3000");
    assert_eq!(config.database_url(), "sqlite://data/portal.db");
    assert!(
        config
            .reserved_namespaces
            .contains(&"monitoring".to_owned())
    );
}

#[test]
fn environment_overrides_file_which_overrides_defaults() {
    let file = toml_file("listen_addr = \"0.0.0.0:8080\"\nlog_filter = \"debug\"\n");
    let config = Config::load_from(
        Some(file.path()),
        env(&[
            ("PORTAL_LOG_FILTER", "warn"),
            ("PORTAL_LOG_JSON", "true"),
            ("HOME", "/root"),
        ]),
    )
    .expect("loads");
    assert_eq!(config.listen_addr.to_string(), "0.0.0.0:8080");
    assert_eq!(config.log_filter, "warn");
    assert!(config.log_json);
}

#[test]
fn lists_come_from_toml_arrays_or_comma_separated_variables() {
    let file = toml_file("namespace_prefixes = [\"team-a-\", \"team-b-\"]\n");
    let from_file = Config::load_from(Some(file.path()), env(&[])).expect("loads");
    assert_eq!(from_file.namespace_prefixes, ["team-a-", "team-b-"]);
    let from_env = Config::load_from(
        None,
        env(&[("PORTAL_RESERVED_NAMESPACES", "monitoring, velero,")]),
    )
    .expect("loads");
    assert_eq!(from_env.reserved_namespaces, ["monitoring", "velero"]);
}

#[test]
fn an_unknown_key_in_the_file_is_named() {
    let file = toml_file("listen_adress = \"0.0.0.0:8080\"\n");
    let error = Config::load_from(Some(file.path()), env(&[]))
        .unwrap_err()
        .to_string();
    assert!(error.contains("unknown key `listen_adress`"), "{error}");
}

#[test]
fn an_unknown_environment_variable_is_named() {
    let error = Config::load_from(None, env(&[("PORTAL_DATABASE_ULR", "x")]))
        .unwrap_err()
        .to_string();
    assert!(error.contains("PORTAL_DATABASE_ULR"), "{error}");
}

/// Kubernetes accepts variable names a shell cannot set: each is one key, refused by its name.
#[test]
fn a_variable_with_a_dot_or_nothing_after_the_prefix_is_named() {
    for (variable, key) in [
        ("PORTAL_CLUSTER_NAME.X", "cluster_name.x"),
        ("PORTAL_A.B", "a.b"),
        ("PORTAL_", ""),
    ] {
        let error = Config::load_from(None, env(&[(variable, "x")]))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(&format!(
                "unknown key `{key}` (from the environment variable {variable})"
            )),
            "{variable}: {error}"
        );
    }
}

#[test]
fn test_harness_variables_and_the_config_path_are_not_keys() {
    let config = Config::load_from(
        None,
        env(&[
            ("PORTAL_TEST_POSTGRES_URL", "postgres://x"),
            ("PORTAL_CONFIG", "/nope"),
        ]),
    );
    assert!(config.is_ok(), "{config:?}");
}

#[test]
fn a_value_of_the_wrong_type_names_the_key() {
    let error = Config::load_from(None, env(&[("PORTAL_LISTEN_ADDR", "localhost")]))
        .unwrap_err()
        .to_string();
    assert!(error.contains("listen_addr"), "{error}");
}

#[test]
fn a_missing_config_file_is_an_error() {
    let error = Config::load_from(
        Some(std::path::Path::new("/nonexistent/portal.toml")),
        env(&[]),
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("does not exist"), "{error}");
}

#[test]
fn secrets_never_print() {
    let config = Config::load_from(
        None,
        env(&[("PORTAL_DATABASE_URL", "postgres://portal:hunter2@db/portal")]),
    )
    .expect("loads");
    assert!(!format!("{config:?}").contains("hunter2"));
}

/// A Service named `portal` in the namespace makes Kubernetes inject `PORTAL_PORT=tcp://…`
/// and friends into every Pod; they are not the administrator's and must not stop start-up.
#[test]
fn service_link_variables_are_ignored_not_refused() {
    let config = Config::load_from(
        None,
        env(&[
            ("PORTAL_PORT", "tcp://10.96.0.12:80"),
            ("PORTAL_PORT_80_TCP", "tcp://10.96.0.12:80"),
            ("PORTAL_PORT_80_TCP_ADDR", "10.96.0.12"),
            ("PORTAL_SERVICE_HOST", "10.96.0.12"),
            ("PORTAL_SERVICE_PORT", "80"),
            ("PORTAL_SERVICE_PORT_HTTP", "80"),
            ("PORTAL_CLUSTER_NAME", "prod"),
        ]),
    )
    .expect("service links do not stop start-up");
    assert_eq!(config.cluster_name, "prod");
    assert_eq!(config.ignored_variables.len(), 6);
    assert!(
        config
            .explain()
            .expect("explains")
            .contains("# PORTAL_PORT ignored")
    );
}

/// A Secret's value that happens to look like a number or a flag is still a string.
#[test]
fn a_secret_or_name_that_looks_like_a_number_stays_a_string() {
    let config = Config::load_from(
        None,
        env(&[
            ("PORTAL_OIDC_CLIENT_SECRET", "12345678"),
            ("PORTAL_KUBECTL_CLIENT_SECRET", "true"),
            ("PORTAL_CLUSTER_NAME", "2024"),
            ("PORTAL_ADMIN_GROUPS", "1234"),
        ]),
    )
    .expect("loads");
    let secret = config.oidc_client_secret.as_ref().expect("set");
    assert_eq!(secret.expose_secret(), "12345678");
    let secret = config.kubectl_client_secret.as_ref().expect("set");
    assert_eq!(secret.expose_secret(), "true");
    assert_eq!(config.cluster_name, "2024");
    assert_eq!(config.admin_groups, ["1234"]);
}

#[test]
fn every_list_takes_commas_numbers_included_and_a_bad_item_is_named() {
    let config =
        Config::load_from(None, env(&[("PORTAL_KUBELOGIN_PORTS", "8000, 18000")])).expect("loads");
    assert_eq!(config.kubelogin_ports, [8000, 18000]);
    let config =
        Config::load_from(None, env(&[("PORTAL_KUBELOGIN_PORTS", "9000")])).expect("loads");
    assert_eq!(config.kubelogin_ports, [9000]);
    let mut file = toml_file("kubelogin_ports = [8000, 18000]\n");
    file.flush().expect("flush");
    let config = Config::load_from(Some(file.path()), env(&[])).expect("loads");
    assert_eq!(config.kubelogin_ports, [8000, 18000]);
    let error = Config::load_from(None, env(&[("PORTAL_KUBELOGIN_PORTS", "8000,80000")]))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("kubelogin_ports") && error.contains("\"80000\""),
        "{error}"
    );
}

#[test]
fn the_metrics_listener_is_an_address_or_off() {
    let config = Config::load_from(None, env(&[])).expect("loads");
    assert_eq!(
        config.metrics_addr,
        Some(SocketAddr::from(([127, 0, 0, 1], 9090)))
    );
    let config = Config::load_from(None, env(&[("PORTAL_METRICS_ADDR", "off")])).expect("loads");
    assert_eq!(config.metrics_addr, None);
    let config =
        Config::load_from(None, env(&[("PORTAL_METRICS_ADDR", "0.0.0.0:9100")])).expect("loads");
    assert_eq!(
        config.metrics_addr,
        Some(SocketAddr::from(([0, 0, 0, 0], 9100)))
    );
    let error = Config::load_from(None, env(&[("PORTAL_METRICS_ADDR", "9090")]))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("metrics_addr") && error.contains("or off"),
        "{error}"
    );
}

/// `portal config` shows every key, where its value came from, and no secret.
#[test]
fn the_explained_configuration_names_each_source_and_redacts_secrets() {
    let mut file = toml_file("cluster_name = \"prod\"\nadmin_groups = [\"platform-admins\"]\n");
    file.flush().expect("flush");
    let config = Config::load_from(
        Some(file.path()),
        env(&[
            ("PORTAL_DATABASE_URL", "postgres://portal:hunter2@db/portal"),
            ("PORTAL_OIDC_CLIENT_SECRET", "s3cret"),
            ("PORTAL_ADMIN_GROUPS", "ops"),
        ]),
    )
    .expect("loads");
    let text = config.explain().expect("explains");
    assert!(
        !text.contains("hunter2") && !text.contains("s3cret"),
        "{text}"
    );
    let line = |key: &str| {
        text.lines()
            .find(|line| {
                line.starts_with(&format!("{key} = ")) || line.starts_with(&format!("# {key} "))
            })
            .unwrap_or_else(|| panic!("no line for {key}:\n{text}"))
            .to_owned()
    };
    assert_eq!(
        line("database_url"),
        "database_url = \"[REDACTED]\"  # PORTAL_DATABASE_URL"
    );
    assert_eq!(
        line("oidc_client_secret"),
        "oidc_client_secret = \"[REDACTED]\"  # PORTAL_OIDC_CLIENT_SECRET"
    );
    assert_eq!(
        line("cluster_name"),
        format!("cluster_name = \"prod\"  # {}", file.path().display())
    );
    assert_eq!(
        line("admin_groups"),
        "admin_groups = [\"ops\"]  # PORTAL_ADMIN_GROUPS"
    );
    assert_eq!(
        line("listen_addr"),
        "listen_addr = \"127.0.0.1:3000\"  # default"
    );
    assert_eq!(
        line("kubectl_client_secret"),
        "# kubectl_client_secret is not set (default)"
    );
}
