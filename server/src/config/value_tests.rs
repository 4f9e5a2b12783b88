//! The checks and the derived settings: each bad value is refused naming its key.

use super::Config;
use super::tests::{env, toml_file};
use std::path::PathBuf;

#[test]
fn a_zero_count_or_duration_is_refused_naming_the_key() {
    for (variable, key) in [
        (
            "PORTAL_DATABASE_MAX_CONNECTIONS",
            "database_max_connections",
        ),
        ("PORTAL_REQUEST_TIMEOUT_SECONDS", "request_timeout_seconds"),
        ("PORTAL_MAX_OPEN_REQUESTS", "max_open_requests"),
        (
            "PORTAL_RECONCILE_INTERVAL_SECONDS",
            "reconcile_interval_seconds",
        ),
        (
            "PORTAL_HEADER_READ_TIMEOUT_SECONDS",
            "header_read_timeout_seconds",
        ),
        ("PORTAL_SHUTDOWN_GRACE_SECONDS", "shutdown_grace_seconds"),
    ] {
        let error = Config::load_from(None, env(&[(variable, "0")]))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(&format!("{key} must be at least 1")),
            "{error}"
        );
        Config::load_from(None, env(&[(variable, "1")])).expect("1 is enough");
    }
}

#[test]
fn a_bad_public_url_is_refused() {
    let error = Config::load_from(None, env(&[("PORTAL_PUBLIC_URL", "portal.example.com")]))
        .unwrap_err()
        .to_string();
    assert!(error.contains("public_url"), "{error}");
}

/// A URL with no host, a space in it or a port past 65535 starts with `https://` but names no
/// origin a browser could send.
#[test]
fn a_public_url_or_issuer_that_does_not_parse_is_refused() {
    for bad in [
        "https://",
        "https://portal example.com",
        "http://portal:99999",
    ] {
        for (variable, key) in [
            ("PORTAL_PUBLIC_URL", "public_url"),
            ("PORTAL_OIDC_ISSUER", "oidc_issuer"),
        ] {
            let error = Config::load_from(None, env(&[(variable, bad)]))
                .unwrap_err()
                .to_string();
            assert!(error.contains(key), "{bad:?}: {error}");
        }
    }
    for good in ["https://portal.example.com/", "http://127.0.0.1:3000"] {
        Config::load_from(
            None,
            env(&[("PORTAL_PUBLIC_URL", good), ("PORTAL_OIDC_ISSUER", good)]),
        )
        .expect("a URL");
    }
}

#[test]
fn a_bad_cluster_cidr_names_the_key_and_value() {
    let error = Config::load_from(
        None,
        env(&[("PORTAL_CLUSTER_POD_CIDRS", "10.244.0.0/16, 10.0.0.0/33")]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("cluster_pod_cidrs") && error.contains("10.0.0.0/33"),
        "{error}"
    );
}

#[test]
fn a_bad_ingress_controller_namespace_is_refused() {
    let error = Config::load_from(
        None,
        env(&[("PORTAL_INGRESS_CONTROLLER_NAMESPACE", "Ingress NGINX")]),
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("ingress_controller_namespace"), "{error}");
}

#[test]
fn the_access_settings_come_from_the_environment_and_bad_binding_names_are_refused() {
    let config = Config::load_from(
        None,
        env(&[
            (
                "PORTAL_ACCESS_ROLEBINDING_NAMES",
                "workload-admin,team-admins",
            ),
            ("PORTAL_KUBE_OIDC_GROUPS_PREFIX", "oidc:"),
            ("PORTAL_KUBECONFIG", "/etc/portal/kubeconfig"),
        ]),
    )
    .expect("loads");
    let settings = config.access_settings().expect("valid");
    assert_eq!(settings.binding_names, ["workload-admin", "team-admins"]);
    assert_eq!(settings.prefixes.groups, "oidc:");
    assert_eq!(settings.prefixes.username, "");
    assert_eq!(
        Config::default()
            .access_settings()
            .expect("valid")
            .binding_names,
        ["workload-admin", "extra-workload-admins"]
    );
    for bad in ["Workload_Admin", ""] {
        let error = Config::load_from(None, env(&[("PORTAL_ACCESS_ROLEBINDING_NAMES", bad)]))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("access_rolebinding_names"),
            "{bad:?}: {error}"
        );
    }
}

#[test]
fn the_platform_version_is_a_semantic_version() {
    for (value, expected) in [
        ("", None),
        ("0.34.0", Some("0.34.0")),
        ("v0.34.1", Some("0.34.1")),
        ("0.34", Some("0.34.0")),
    ] {
        let config =
            Config::load_from(None, env(&[("PORTAL_PLATFORM_VERSION", value)])).expect("loads");
        assert_eq!(
            config
                .platform_version()
                .expect("valid")
                .map(|v| v.to_string())
                .as_deref(),
            expected,
            "{value:?}"
        );
    }
    for bad in ["latest", "0", "1.2.3.4", ">=0.30"] {
        let error = Config::load_from(None, env(&[("PORTAL_PLATFORM_VERSION", bad)]))
            .unwrap_err()
            .to_string();
        assert!(error.contains("platform_version"), "{bad:?}: {error}");
    }
}

#[test]
fn the_faq_settings_come_from_the_environment() {
    let config =
        Config::load_from(None, env(&[("PORTAL_FAQ_DIR", "/etc/portal/faq")])).expect("loads");
    assert_eq!(config.faq_dir, Some(PathBuf::from("/etc/portal/faq")));
    let defaults = Config::load_from(None, env(&[])).expect("loads");
    assert_eq!(defaults.faq_dir, None);
}

#[test]
fn the_retired_faq_admin_public_key_is_refused_by_name() {
    // `/admin/faq` is for administrators now; an operator who still sets the old switch
    // learns that it no longer does anything.
    let error = Config::load_from(None, env(&[("PORTAL_FAQ_ADMIN_PUBLIC", "true")]))
        .unwrap_err()
        .to_string();
    assert!(error.contains("PORTAL_FAQ_ADMIN_PUBLIC"), "{error}");
}

#[test]
fn identity_defaults_match_welkins_dex() {
    let config = Config::load_from(None, env(&[])).expect("loads");
    assert_eq!(config.oidc_username_claim, "email");
    assert_eq!(config.kubectl_client_id, "kubelogin");
    assert_eq!(config.kubectl_scopes, ["email", "groups"]);
    assert!(config.approval_four_eyes);
    assert_eq!(config.session_groups_max_age_minutes, 10);
    let provisioning = config.provisioning_config();
    assert_eq!(provisioning.pod_security_enforce, "restricted");
    assert!(!provisioning.hnc_subnamespaces);
}

#[test]
fn the_kubectl_client_secret_comes_from_a_file_or_a_value_and_never_prints() {
    let file = toml_file("s3cr3t-from-file\n");
    let config = Config::load_from(
        None,
        env(&[
            ("PORTAL_OIDC_ISSUER", "https://dex.example.com"),
            ("PORTAL_CLUSTER_SERVER", "https://api.example.com:6443"),
            (
                "PORTAL_KUBECTL_CLIENT_SECRET_FILE",
                &file.path().display().to_string(),
            ),
        ]),
    )
    .expect("loads");
    let access = config
        .cluster_access()
        .expect("readable")
        .expect("configured");
    assert_eq!(access.client_secret.as_deref(), Some("s3cr3t-from-file"));
    let config = Config::load_from(
        None,
        env(&[("PORTAL_KUBECTL_CLIENT_SECRET", "inline-secret")]),
    )
    .expect("loads");
    assert!(!format!("{config:?}").contains("inline-secret"));
    let missing = Config::load_from(
        None,
        env(&[
            ("PORTAL_OIDC_ISSUER", "https://dex.example.com"),
            ("PORTAL_CLUSTER_SERVER", "https://api.example.com:6443"),
            ("PORTAL_KUBECTL_CLIENT_SECRET_FILE", "/nonexistent/secret"),
        ]),
    )
    .expect("loads")
    .cluster_access()
    .unwrap_err()
    .to_string();
    assert!(missing.contains("kubectl_client_secret_file"), "{missing}");
}

#[test]
fn the_default_reserved_namespaces_are_welkins_whole_list() {
    let config = Config::load_from(None, env(&[])).expect("loads");
    for name in [
        "alertmanager",
        "calico-apiserver",
        "calico-system",
        "cert-manager",
        "crossplane-system",
        "falco",
        "fluentd",
        "fluentd-system",
        "gatekeeper-system",
        "gpu-operator",
        "hnc-system",
        "ingress-nginx",
        "kured",
        "kyverno",
        "metallb-system",
        "monitoring",
        "openstack-system",
        "rook-ceph",
        "tigera-operator",
        "velero",
    ] {
        assert!(
            config.reserved_namespaces.iter().any(|n| n == name),
            "{name} is one of the platform's namespaces"
        );
    }
}

#[test]
fn an_allowed_label_key_the_platform_owns_stops_start_up_naming_the_key() {
    for key in [
        "owner",
        "hnc.x-k8s.io/depth",
        "admission.gatekeeper.sh/ignore",
        "pod-security.kubernetes.io/enforce",
        "topology.k8s.io/zone",
    ] {
        let error = Config::load_from(None, env(&[("PORTAL_NAMESPACE_LABEL_KEYS", key)]))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("namespace_label_keys") && error.contains(key),
            "{key}: {error}"
        );
    }
    Config::load_from(None, env(&[("PORTAL_NAMESPACE_LABEL_KEYS", "cost-center")]))
        .expect("an ordinary key is fine");
}

#[test]
fn a_zero_groups_age_is_refused() {
    let error = Config::load_from(None, env(&[("PORTAL_SESSION_GROUPS_MAX_AGE_MINUTES", "0")]))
        .unwrap_err()
        .to_string();
    assert!(error.contains("session_groups_max_age_minutes"), "{error}");
}
