//! A kubeconfig for the cluster, set up for the platform's OIDC login through the kubectl plugin
//! `oidc-login` (kubelogin): no personal credential inside, `kubectl` opens the browser to log in.
//!
//! The exec arguments are the ones Welkin's own user kubeconfig passes (`oidc-login get-token`,
//! the issuer, the client id `kubelogin`, its client secret, the extra scopes `email` and
//! `groups`), so a kubeconfig from the portal and one from the platform's operators behave alike.
//! The client secret is Dex's shared secret for the kubelogin client, the same in every user's
//! file: it identifies the kubectl client to Dex, not the person.

use serde::{Deserialize, Serialize};
use serde_json::json;

/// The cluster's side of the kubeconfig, from the operator's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterAccess {
    /// The context and cluster name in the file (e.g. `welkin-prod`).
    pub name: String,
    /// The API server URL, `https://api.example.com:6443`.
    pub server: String,
    /// The API server's CA, PEM, base64-encoded (`certificate-authority-data`); empty to rely on
    /// the system's trust store.
    pub certificate_authority_data: String,
    /// The identity provider's issuer.
    pub issuer: String,
    /// kubectl's client id at the provider (not the portal's own): Dex's `kubelogin`.
    pub client_id: String,
    /// The shared secret of that client at the provider (Dex's kubelogin client is
    /// confidential); `None` for a public client.
    pub client_secret: Option<String>,
    /// Extra scopes kubelogin asks for (`email`, `groups`).
    pub scopes: Vec<String>,
    /// Local callback ports the provider accepts, in order of preference (8000, then 18000).
    pub callback_ports: Vec<u16>,
}

/// The ports kubelogin listens on when given none: 8000, then 18000. With these, the file passes
/// no `--listen-address`, exactly as Welkin's own kubeconfig.
pub const KUBELOGIN_DEFAULT_PORTS: [u16; 2] = [8000, 18000];

/// The exec arguments kubectl runs (`kubectl oidc-login get-token …`).
pub fn exec_args(access: &ClusterAccess) -> Vec<String> {
    let mut args = vec![
        "oidc-login".to_owned(),
        "get-token".to_owned(),
        format!("--oidc-issuer-url={}", access.issuer),
        format!("--oidc-client-id={}", access.client_id),
    ];
    if let Some(secret) = access.client_secret.as_deref().filter(|s| !s.is_empty()) {
        args.push(format!("--oidc-client-secret={secret}"));
    }
    args.extend(
        access
            .scopes
            .iter()
            .map(|scope| format!("--oidc-extra-scope={scope}")),
    );
    if access.callback_ports != KUBELOGIN_DEFAULT_PORTS {
        args.extend(
            access
                .callback_ports
                .iter()
                .map(|port| format!("--listen-address=localhost:{port}")),
        );
    }
    args
}

/// The kubeconfig as YAML, for `username` (used as the user entry's name only).
pub fn render(access: &ClusterAccess, username: &str) -> String {
    let args = exec_args(access);
    let user = format!("oidc-{}", super::provisioning::label_value(username));
    let mut cluster = json!({ "server": access.server });
    if !access.certificate_authority_data.is_empty() {
        cluster["certificate-authority-data"] = json!(access.certificate_authority_data);
    }
    let config = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [ { "name": access.name, "cluster": cluster } ],
        "users": [ { "name": user, "user": { "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": "kubectl",
            "args": args,
            "interactiveMode": "IfAvailable",
            "provideClusterInfo": false,
        } } } ],
        "contexts": [ { "name": access.name, "context": { "cluster": access.name, "user": user } } ],
        "current-context": access.name,
    });
    super::networkpolicy::yaml::to_yaml(&config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access() -> ClusterAccess {
        ClusterAccess {
            name: "welkin-prod".into(),
            server: "https://api.example.com:6443".into(),
            certificate_authority_data: "LS0tLS1CRUdJTg==".into(),
            issuer: "https://dex.example.com".into(),
            client_id: "kubelogin".into(),
            client_secret: Some("shared-secret".into()),
            scopes: vec!["email".into(), "groups".into()],
            callback_ports: vec![8000, 18000],
        }
    }

    #[test]
    fn the_exec_arguments_are_exactly_welkins_own() {
        // As Welkin's user kubeconfig sets them (`kubectl config set-credentials … --exec-arg`).
        assert_eq!(
            exec_args(&access()),
            [
                "oidc-login",
                "get-token",
                "--oidc-issuer-url=https://dex.example.com",
                "--oidc-client-id=kubelogin",
                "--oidc-client-secret=shared-secret",
                "--oidc-extra-scope=email",
                "--oidc-extra-scope=groups",
            ]
        );
    }

    #[test]
    fn a_public_client_has_no_secret_and_other_ports_are_passed() {
        let args = exec_args(&ClusterAccess {
            client_secret: None,
            callback_ports: vec![9000, 19000],
            ..access()
        });
        assert!(
            !args
                .iter()
                .any(|arg| arg.starts_with("--oidc-client-secret"))
        );
        let ports: Vec<_> = args
            .iter()
            .filter(|arg| arg.starts_with("--listen-address="))
            .collect();
        assert_eq!(
            ports,
            [
                "--listen-address=localhost:9000",
                "--listen-address=localhost:19000"
            ],
            "in order: the first is tried first"
        );
    }

    #[test]
    fn the_file_names_the_cluster_context_and_user() {
        let yaml = render(&access(), "alice@example.com");
        for expected in [
            "--oidc-client-id=kubelogin",
            "server: \"https://api.example.com:6443\"",
            "current-context: welkin-prod",
            "name: oidc-alice-example.com",
        ] {
            assert!(yaml.contains(expected), "{expected} missing from\n{yaml}");
        }
    }

    #[test]
    fn no_ca_means_no_ca_field() {
        let yaml = render(
            &ClusterAccess {
                certificate_authority_data: String::new(),
                ..access()
            },
            "bob",
        );
        assert!(!yaml.contains("certificate-authority-data"));
    }
}
