//! Typed configuration.
//!
//! Values come from, in increasing precedence: built-in defaults ([`Config::default`], the one
//! place they are written), an optional TOML file (`--config FILE` or `PORTAL_CONFIG`), and
//! environment variables `PORTAL_<KEY>` where `<KEY>` is the field name in upper case
//! (`listen_addr` ← `PORTAL_LISTEN_ADDR`). figment merges the three; an unknown key in the file or
//! an unknown `PORTAL_*` variable is an error that names it, so a typo never goes unnoticed.
//! Secrets are [`SecretString`]s: they print as `[REDACTED]` in logs, debug output and
//! `portal config`.
//!
//! The rest lives beside this file: `sources` (the `PORTAL_*` variables as a figment provider,
//! and error messages naming each value's source), `checks` (what a type cannot say), `derived`
//! (the settings other modules take, made from the keys) and `serde_helpers`.

mod checks;
mod derived;
mod serde_helpers;
mod sources;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod value_tests;

pub use derived::SessionLimits;

use anyhow::bail;
use app::domain::NamingPolicy;
use figment::{
    Figment,
    providers::{Format, Toml},
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_helpers::{address_or_off, list_or_csv, redacted};
use std::collections::BTreeMap;
use std::{net::SocketAddr, path::PathBuf};

/// The portal's configuration. Every field has a default that works on a developer's machine.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address and port to listen on. In a container, use `0.0.0.0:3000`.
    pub listen_addr: SocketAddr,
    /// The URL users reach the portal at (scheme, host and port, no path). Used for login
    /// redirects and to decide whether cookies are `Secure`.
    pub public_url: String,
    /// `sqlite://PATH` (the default, a file under `./data/`) or `postgres://USER:PASSWORD@HOST/DB`.
    /// PostgreSQL is required for more than one replica.
    #[serde(serialize_with = "redacted")]
    pub database_url: SecretString,
    /// Most connections the portal holds open to the database.
    pub database_max_connections: u32,
    /// Seconds the portal spends on one request before it answers 503 and logs which request
    /// it was: a stuck database or API server then costs a user a clear message, not a
    /// connection held open for ever.
    pub request_timeout_seconds: u64,
    /// Where Prometheus scrapes `/metrics`: a listener of its own, so the metrics never share
    /// the public port (and its Ingress). `off` serves no metrics.
    #[serde(deserialize_with = "address_or_off")]
    pub metrics_addr: Option<SocketAddr>,
    /// After SIGTERM, seconds the portal keeps serving while `/readyz` already answers 503, so
    /// load balancers stop sending it requests before it stops taking them.
    pub shutdown_drain_seconds: u64,
    /// Then, seconds in-flight requests get to finish before the process exits regardless.
    pub shutdown_grace_seconds: u64,
    /// Seconds a client has to send a request's headers; a half-sent request (slowloris) then
    /// holds neither a connection nor the shutdown.
    pub header_read_timeout_seconds: u64,
    /// Folder with the browser bundle (`pkg/portal.js`, `pkg/portal_bg.wasm`, `pkg/portal.css`).
    pub site_root: PathBuf,
    /// Write logs as JSON lines.
    pub log_json: bool,
    /// Which logs to write, in `tracing` filter syntax. `RUST_LOG` overrides it.
    pub log_filter: String,
    /// Namespaces nobody may request: the platform's own. A list, or one comma-separated string.
    #[serde(deserialize_with = "list_or_csv")]
    pub reserved_namespaces: Vec<String>,
    /// When not empty, every requested namespace name must start with one of these prefixes.
    #[serde(deserialize_with = "list_or_csv")]
    pub namespace_prefixes: Vec<String>,
    /// The cluster's Pod networks (CIDRs), so the NetworkPolicy lints can warn when an ipBlock
    /// covers Pods (ipBlock is meant for addresses outside the cluster).
    #[serde(deserialize_with = "list_or_csv")]
    pub cluster_pod_cidrs: Vec<String>,
    /// The cluster's Service networks (CIDRs), for the same lint.
    #[serde(deserialize_with = "list_or_csv")]
    pub cluster_service_cidrs: Vec<String>,
    /// Image prefixes a Pod may use, for example `harbor.example.com/`: the platform admits only
    /// images from its own Harbor. Empty means no `kubectl run` recipe can pass.
    #[serde(deserialize_with = "list_or_csv")]
    pub allowed_registries: Vec<String>,
    /// The namespace of the platform's ingress controller, for the "allow from the ingress
    /// controller" NetworkPolicy preset.
    pub ingress_controller_namespace: String,

    /// A kubeconfig file for the cluster where approved namespaces are created. Unset: the
    /// in-cluster ServiceAccount when running in Kubernetes, otherwise no cluster (approved
    /// requests then wait until one is configured).
    pub kubeconfig: Option<PathBuf>,
    /// How many open (not yet decided or provisioned) namespace requests one user may have.
    pub max_open_requests: u32,
    /// Label keys a requester may set on their namespace (for example `cost-center`); others
    /// are refused.
    #[serde(deserialize_with = "list_or_csv")]
    pub namespace_label_keys: Vec<String>,
    /// Pod Security Admission level of new namespaces (`restricted`, `baseline`, `privileged`,
    /// or empty for no labels), set for all three modes: `enforce`, `audit` and `warn`.
    pub pod_security_enforce: String,
    /// Baseline NetworkPolicies of new namespaces: deny all ingress and egress …
    pub baseline_deny_all: bool,
    /// … allow DNS to kube-dns (UDP and TCP 53) …
    pub baseline_allow_dns: bool,
    /// … and allow ingress from `ingress_controller_namespace`.
    pub baseline_allow_ingress_controller: bool,
    /// Also give the team a RoleBinding to manage HNC sub-namespace anchors in each new
    /// namespace, as Welkin does where HNC is on. Needs the ClusterRole
    /// `welkin-portal-subnamespace-anchors` that the portal's RBAC ships.
    pub provision_hnc_subnamespaces: bool,
    /// Provision only while the API server has the ValidatingAdmissionPolicy
    /// `welkin-portal-bounds` and its binding (the chart's `templates/admission-policy.yaml`), which keep the
    /// portal's ServiceAccount inside the namespaces it manages. Without them a request fails
    /// with the reason, and an administrator retries once the policy is in place.
    pub require_admission_policy: bool,
    /// Four eyes: an administrator may not approve their own request. On by default.
    pub approval_four_eyes: bool,
    /// Seconds between passes of the provisioning loop (approval also wakes it at once).
    pub reconcile_interval_seconds: u64,

    /// The OpenID Provider's issuer URL (Dex: `https://dex.example.com`). Without it, login is
    /// off and only the public pages work.
    pub oidc_issuer: Option<String>,
    /// The portal's client id at the provider.
    pub oidc_client_id: String,
    /// The portal's client secret. Prefer `oidc_client_secret_file` in production.
    #[serde(serialize_with = "redacted")]
    pub oidc_client_secret: Option<SecretString>,
    /// CA certificates (a PEM file) to trust for the identity provider besides the system's:
    /// for a provider whose certificate an internal CA signed.
    pub oidc_ca_file: Option<PathBuf>,
    /// A file holding the client secret (a mounted Kubernetes Secret).
    pub oidc_client_secret_file: Option<PathBuf>,
    /// Scopes to ask for, space- or comma-separated. `offline_access` makes Dex issue a refresh
    /// token, with which the portal re-reads the user's groups (`session_groups_max_age_minutes`).
    pub oidc_scopes: String,
    /// The ID token claim that names the user: the same claim as kube-apiserver's
    /// `--oidc-username-claim` (Welkin: `email`), so the portal and the cluster agree on who the
    /// user is. Pages show the `name` (or `preferred_username`) claim where a person reads it.
    pub oidc_username_claim: String,
    /// The ID token claim that lists the user's groups (Dex: `groups`).
    pub oidc_groups_claim: String,
    /// Members of any of these IdP groups are platform administrators in the portal.
    #[serde(deserialize_with = "list_or_csv")]
    pub admin_groups: Vec<String>,
    /// A session ends after this many minutes without a request.
    pub session_idle_minutes: u32,
    /// A session ends this many hours after login, however active.
    pub session_max_hours: u32,
    /// At most this many minutes after login or the last check, the portal asks the provider
    /// again for the user's groups (with the refresh token), so a user removed from an
    /// administrators' group loses the role within this time. A session without a refresh token
    /// ends instead; a failed refresh logs the user out.
    pub session_groups_max_age_minutes: u32,
    /// Session limits finer than the whole minutes and hours of the two keys above, for tests
    /// that cannot wait an hour. Not a configuration key: no file or variable can set it.
    #[serde(skip)]
    pub session_limits_override: Option<SessionLimits>,
    /// Require login for every page, the FAQ and the NetworkPolicy generator included (by default
    /// those are public). Health probes and the static bundle stay open.
    pub login_everywhere: bool,

    /// The cluster's name in downloaded kubeconfigs.
    pub cluster_name: String,
    /// The cluster's API server URL for downloaded kubeconfigs; without it there is no download.
    pub cluster_server: Option<String>,
    /// The API server's CA certificate (PEM file) for downloaded kubeconfigs.
    pub cluster_ca_file: Option<PathBuf>,
    /// kubectl's own client id at the identity provider (not the portal's): Welkin's Dex
    /// registers `kubelogin`.
    pub kubectl_client_id: String,
    /// The secret of that client (Dex's `kubeloginClientSecret`), written into every downloaded
    /// kubeconfig as `--oidc-client-secret`. It is one shared client secret, not a personal
    /// credential. Prefer `kubectl_client_secret_file`.
    #[serde(serialize_with = "redacted")]
    pub kubectl_client_secret: Option<SecretString>,
    /// A file holding the kubectl client's secret (a mounted Kubernetes Secret).
    pub kubectl_client_secret_file: Option<PathBuf>,
    /// Scopes kubelogin asks for besides `openid`.
    #[serde(deserialize_with = "list_or_csv")]
    pub kubectl_scopes: Vec<String>,
    /// Local ports kubelogin listens on for the login callback, in order; the provider must have
    /// `http://localhost:PORT` registered for each (releases since April 2022 register both).
    #[serde(deserialize_with = "list_or_csv")]
    pub kubelogin_ports: Vec<u16>,
    /// A folder of FAQ entries (`*.md` with front matter, like `content/faq/`) read at start-up:
    /// they add to the shipped entries and replace a shipped entry with the same slug.
    pub faq_dir: Option<PathBuf>,
    /// The platform (Welkin) version this cluster runs, such as `0.34.0`. FAQ entries limited to
    /// other versions are hidden from browsing and search. Empty: every entry is shown, and
    /// version-limited ones say which versions they are about.
    pub platform_version: String,
    /// The RoleBindings that give developers a namespace, read in every namespace. The first is
    /// the one every user namespace should have: the administrators' page lists namespaces
    /// without it.
    #[serde(deserialize_with = "list_or_csv")]
    pub access_rolebinding_names: Vec<String>,
    /// kube-apiserver's `--oidc-username-prefix` (for example `oidc:`): how RoleBindings spell
    /// a portal user's name.
    pub kube_oidc_username_prefix: String,
    /// kube-apiserver's `--oidc-groups-prefix`: how RoleBindings spell an IdP group.
    pub kube_oidc_groups_prefix: String,
    /// Where each key's value came from, for `portal config`. Not a configuration key.
    #[serde(skip)]
    pub origins: BTreeMap<String, String>,
    /// `PORTAL_*` variables that were not read because Kubernetes made them up (service links).
    #[serde(skip)]
    pub ignored_variables: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            public_url: "http://127.0.0.1:3000".to_owned(),
            database_url: SecretString::from("sqlite://data/portal.db"),
            database_max_connections: 10,
            request_timeout_seconds: 30,
            metrics_addr: Some(SocketAddr::from(([127, 0, 0, 1], 9090))),
            shutdown_drain_seconds: 5,
            shutdown_grace_seconds: 20,
            header_read_timeout_seconds: 10,
            site_root: PathBuf::from("target/site"),
            log_json: false,
            log_filter: "info,sqlx=warn,tower_http=info".to_owned(),
            reserved_namespaces: NamingPolicy::welkin_defaults().reserved,
            namespace_prefixes: Vec::new(),
            cluster_pod_cidrs: Vec::new(),
            cluster_service_cidrs: Vec::new(),
            allowed_registries: Vec::new(),
            ingress_controller_namespace: "ingress-nginx".to_owned(),
            oidc_issuer: None,
            oidc_client_id: "welkin-portal".to_owned(),
            oidc_client_secret: None,
            oidc_client_secret_file: None,
            oidc_ca_file: None,
            oidc_scopes: "openid email profile groups offline_access".to_owned(),
            oidc_username_claim: "email".to_owned(),
            oidc_groups_claim: "groups".to_owned(),
            admin_groups: Vec::new(),
            session_idle_minutes: 60,
            session_max_hours: 12,
            session_groups_max_age_minutes: 10,
            session_limits_override: None,
            login_everywhere: false,
            cluster_name: "welkin".to_owned(),
            cluster_server: None,
            cluster_ca_file: None,
            kubectl_client_id: "kubelogin".to_owned(),
            kubectl_client_secret: None,
            kubectl_client_secret_file: None,
            kubectl_scopes: vec!["email".to_owned(), "groups".to_owned()],
            kubelogin_ports: vec![8000, 18000],
            kubeconfig: None,
            max_open_requests: 3,
            namespace_label_keys: Vec::new(),
            pod_security_enforce: "restricted".to_owned(),
            baseline_deny_all: true,
            baseline_allow_dns: true,
            baseline_allow_ingress_controller: true,
            provision_hnc_subnamespaces: false,
            approval_four_eyes: true,
            require_admission_policy: true,
            reconcile_interval_seconds: 5,
            faq_dir: None,
            platform_version: String::new(),
            access_rolebinding_names: vec![
                "workload-admin".to_owned(),
                "extra-workload-admins".to_owned(),
            ],
            kube_oidc_username_prefix: String::new(),
            kube_oidc_groups_prefix: String::new(),
            origins: BTreeMap::new(),
            ignored_variables: Vec::new(),
        }
    }
}

impl Config {
    /// Loads the configuration from `file` (when given) and the process environment.
    pub fn load(file: Option<&std::path::Path>) -> anyhow::Result<Self> {
        Self::load_from(file, std::env::vars())
    }

    /// Like [`Config::load`], with the environment passed in, so tests need not touch the
    /// process's own.
    pub fn load_from(
        file: Option<&std::path::Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
        // Defaults need no provider: `#[serde(default)]` takes every key no source sets from
        // `Config::default()`. (figment's `Serialized::defaults` would go through `Serialize`,
        // which redacts the secrets for `portal config`.)
        let mut figment = Figment::new();
        if let Some(path) = file {
            if !path.is_file() {
                bail!("configuration file {} does not exist", path.display());
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        let env = sources::PortalEnv::new(env);
        let ignored_variables = env.ignored.clone();
        let figment = figment.merge(env);
        // `extract_lossy`: every variable is a string, read as `true` or `30` where a key wants
        // a flag or a number, while a secret like `12345678` stays the string it is.
        let mut config: Config = figment.extract_lossy().map_err(|error| {
            anyhow::anyhow!("invalid configuration: {}", sources::describe(&error))
        })?;
        config.origins = sources::origins(&figment);
        config.ignored_variables = ignored_variables;
        config.check()?;
        Ok(config)
    }

    /// The effective configuration as TOML-like lines, one per key, each with where its value
    /// came from (a file, a `PORTAL_*` variable, or the default). Secrets are redacted.
    pub fn explain(&self) -> anyhow::Result<String> {
        let serde_json::Value::Object(keys) = serde_json::to_value(self)? else {
            bail!("the configuration is not a table");
        };
        let mut lines = Vec::new();
        for variable in &self.ignored_variables {
            lines.push(format!(
                "# {variable} ignored: Kubernetes sets it for a Service named portal"
            ));
        }
        for (key, value) in keys {
            let origin = self.origins.get(&key).map_or("default", String::as_str);
            lines.push(match value {
                serde_json::Value::Null => format!("# {key} is not set ({origin})"),
                value => format!("{key} = {value}  # {origin}"),
            });
        }
        Ok(lines.join("\n") + "\n")
    }
}
