//! What `kubectl oidc-login get-token` (kubelogin) does with a downloaded kubeconfig, for tests:
//! kubelogin itself is not served by the Go module proxy here, so this reads the kubeconfig's
//! own exec arguments (issuer, client id and secret, extra scopes, listen address), checks them
//! against kubelogin's documented flags, runs the same grant (authorization code with PKCE,
//! redirect to `http://localhost:PORT`, the login finished at the provider's form as the user
//! would), and hands the ID token to kubectl through a small exec credential helper.

use super::login::sign_in_until;
use base64::Engine;
use reqwest::Client;
use sha2::{Digest, Sha256};
use std::path::Path;

/// The flags of `kubelogin get-token`, as its usage documentation lists them
/// (`docs/usage.md` of int128/kubelogin).
pub const DOCUMENTED_FLAGS: &[&str] = &[
    "--oidc-issuer-url",
    "--oidc-client-id",
    "--oidc-client-secret",
    "--oidc-redirect-url",
    "--oidc-extra-scope",
    "--oidc-use-access-token",
    "--oidc-request-header",
    "--force-refresh",
    "--token-cache-dir",
    "--token-cache-storage",
    "--certificate-authority",
    "--certificate-authority-data",
    "--insecure-skip-tls-verify",
    "--tls-renegotiation-once",
    "--tls-renegotiation-freely",
    "--oidc-pkce-method",
    "--grant-type",
    "--listen-address",
    "--authentication-timeout-sec",
    "--skip-open-browser",
    "--browser-command",
    "--local-server-cert",
    "--local-server-key",
    "--open-url-after-authentication",
    "--oidc-redirect-url-hostname",
    "--oidc-auth-request-extra-params",
    "--username",
    "--password",
];

/// kubelogin's defaults for the local callback server.
const DEFAULT_LISTEN: &str = "127.0.0.1:8000";

/// The arguments kubelogin would run with, read from a kubeconfig's exec user.
#[derive(Debug, Clone)]
pub struct KubeloginArgs {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub extra_scopes: Vec<String>,
    pub listen_addresses: Vec<String>,
}

impl KubeloginArgs {
    /// Reads the current context's user: it must run `kubectl oidc-login get-token` with
    /// documented `--flag=value` arguments only, issuer and client id among them.
    pub fn from_kubeconfig(yaml: &str) -> Self {
        let config = kube::config::Kubeconfig::from_yaml(yaml).expect("a kubeconfig");
        let context = config.current_context.clone().expect("a current context");
        let user = config
            .contexts
            .iter()
            .find(|named| named.name == context)
            .and_then(|named| named.context.as_ref())
            .map(|context| context.user.clone().unwrap_or_default())
            .expect("the context names a user");
        let exec = config
            .auth_infos
            .iter()
            .find(|named| named.name == user)
            .and_then(|named| named.auth_info.as_ref())
            .and_then(|info| info.exec.as_ref())
            .expect("the user runs an exec credential plugin");
        assert_eq!(exec.command.as_deref(), Some("kubectl"), "{exec:?}");
        let args = exec.args.clone().unwrap_or_default();
        assert_eq!(
            args.get(..2),
            Some(&["oidc-login".to_owned(), "get-token".to_owned()][..]),
            "{args:?}"
        );
        let mut parsed = Self {
            issuer: String::new(),
            client_id: String::new(),
            client_secret: None,
            extra_scopes: Vec::new(),
            listen_addresses: Vec::new(),
        };
        for arg in &args[2..] {
            let (flag, value) = arg
                .split_once('=')
                .unwrap_or_else(|| panic!("{arg}: kubelogin flags here are --flag=value"));
            assert!(
                DOCUMENTED_FLAGS.contains(&flag),
                "{flag} is not a kubelogin get-token flag"
            );
            match flag {
                "--oidc-issuer-url" => parsed.issuer = value.to_owned(),
                "--oidc-client-id" => parsed.client_id = value.to_owned(),
                "--oidc-client-secret" => parsed.client_secret = Some(value.to_owned()),
                "--oidc-extra-scope" => parsed.extra_scopes.push(value.to_owned()),
                "--listen-address" => parsed.listen_addresses.push(value.to_owned()),
                _ => {}
            }
        }
        assert!(
            !parsed.issuer.is_empty() && !parsed.client_id.is_empty(),
            "{args:?}"
        );
        parsed
    }

    /// The ID token kubelogin would get for `user` (password = username) at the provider,
    /// through `browser` (a client that trusts the provider's certificate).
    pub async fn get_token(&self, browser: &Client, user: &str) -> String {
        let discovery: serde_json::Value = browser
            .get(format!("{}/.well-known/openid-configuration", self.issuer))
            .send()
            .await
            .expect("discovery answers")
            .json()
            .await
            .expect("discovery is JSON");
        let authorize = discovery["authorization_endpoint"]
            .as_str()
            .expect("an endpoint");
        let token_endpoint = discovery["token_endpoint"].as_str().expect("an endpoint");
        // kubelogin's redirect URL: `http://localhost:PORT`, the port of its listen address.
        let listen = self
            .listen_addresses
            .first()
            .map_or(DEFAULT_LISTEN, String::as_str);
        let port = listen.rsplit(':').next().expect("a port");
        let redirect = format!("http://localhost:{port}");
        let verifier = random_token();
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(Sha256::digest(verifier.as_bytes()));
        let (state, nonce) = (random_token(), random_token());
        let scope = std::iter::once("openid".to_owned())
            .chain(self.extra_scopes.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        let mut url = url::Url::parse(authorize).expect("an endpoint URL");
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", &redirect)
            .append_pair("scope", &scope)
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        let back = sign_in_until(browser, &self.issuer, url.as_str(), user, &redirect).await;
        let back = url::Url::parse(&back).expect("the redirect");
        let query: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
        assert_eq!(query.get("state"), Some(&state), "{back}");
        let code = query
            .get("code")
            .unwrap_or_else(|| panic!("no code: {back}"));
        let mut request = browser.post(token_endpoint).form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect.as_str()),
            ("code_verifier", verifier.as_str()),
            ("client_id", self.client_id.as_str()),
        ]);
        if let Some(secret) = &self.client_secret {
            request = request.basic_auth(&self.client_id, Some(secret));
        }
        let response = request.send().await.expect("the token endpoint answers");
        let status = response.status();
        let tokens: serde_json::Value = response.json().await.expect("tokens are JSON");
        assert!(status.is_success(), "token request refused: {tokens}");
        let id_token = tokens["id_token"].as_str().expect("an ID token").to_owned();
        let claims = id_token.split('.').nth(1).expect("a JWT");
        let claims: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(claims)
                .expect("base64url"),
        )
        .expect("JSON claims");
        assert_eq!(claims["nonce"], nonce.as_str(), "{claims}");
        id_token
    }
}

/// `kubeconfig` with its exec user's command replaced by the harness's credential helper,
/// which hands kubectl `token` (what kubelogin prints to kubectl); the cluster, its CA, the
/// context and the exec API version stay as the portal wrote them.
pub fn with_token(kubeconfig: &str, token: &str, folder: &Path) -> std::path::PathBuf {
    let mut config = kube::config::Kubeconfig::from_yaml(kubeconfig).expect("a kubeconfig");
    let token_file = folder.join("id-token");
    std::fs::write(&token_file, token).expect("write the token");
    let helper = super::repo_root().join("tests/kube/exec-credential.sh");
    for named in &mut config.auth_infos {
        let exec = named
            .auth_info
            .as_mut()
            .and_then(|info| info.exec.as_mut())
            .expect("an exec user");
        let api_version = exec.api_version.clone().expect("an exec apiVersion");
        exec.command = Some(helper.display().to_string());
        exec.args = Some(vec![token_file.display().to_string(), api_version]);
    }
    let path = folder.join("kubeconfig");
    std::fs::write(&path, serde_json::to_string(&config).expect("serialises"))
        .expect("write the kubeconfig");
    path
}

/// 64 random characters (two UUIDs' worth of randomness), valid as a PKCE verifier.
fn random_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}
