//! A kubeconfig for the cluster, set up for the platform's OIDC login through the kubectl plugin
//! `oidc-login` (kubelogin): no secret inside, `kubectl` opens the browser to log in.

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
    /// kubectl's client id at the provider (not the portal's own).
    pub client_id: String,
    /// Extra scopes kubelogin asks for (`email`, `groups`).
    pub scopes: Vec<String>,
    /// Local callback ports the provider accepts, in order of preference (8000, then 18000).
    pub callback_ports: Vec<u16>,
}

/// The kubeconfig as YAML, for `username` (used as the user entry's name only).
pub fn render(access: &ClusterAccess, username: &str) -> String {
    let mut args = vec![
        "oidc-login".to_owned(),
        "get-token".to_owned(),
        format!("--oidc-issuer-url={}", access.issuer),
        format!("--oidc-client-id={}", access.client_id),
    ];
    args.extend(
        access
            .scopes
            .iter()
            .map(|scope| format!("--oidc-extra-scope={scope}")),
    );
    args.extend(
        access
            .callback_ports
            .iter()
            .map(|port| format!("--listen-address=localhost:{port}")),
    );
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
            client_id: "kubectl".into(),
            scopes: vec!["email".into(), "groups".into()],
            callback_ports: vec![8000, 18000],
        }
    }

    #[test]
    fn the_user_runs_kubelogin_with_the_issuer_client_scopes_and_ports() {
        let yaml = render(&access(), "alice@example.com");
        for expected in [
            "--oidc-issuer-url=https://dex.example.com",
            "--oidc-client-id=kubectl",
            "--oidc-extra-scope=groups",
            "--listen-address=localhost:8000",
            "--listen-address=localhost:18000",
            "server: \"https://api.example.com:6443\"",
            "current-context: welkin-prod",
            "name: oidc-alice-example.com",
        ] {
            assert!(yaml.contains(expected), "{expected} missing from\n{yaml}");
        }
        assert!(
            yaml.find("localhost:8000") < yaml.find("localhost:18000"),
            "8000 is tried first"
        );
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
