//! Typed configuration.
//!
//! Values come from, in increasing precedence: built-in defaults, an optional TOML file
//! (`--config FILE` or `PORTAL_CONFIG`), and environment variables `PORTAL_<KEY>` where `<KEY>` is
//! the field name in upper case (`listen_addr` ← `PORTAL_LISTEN_ADDR`). An unknown key in the file
//! or an unknown `PORTAL_*` variable is an error that names it, so a typo never goes unnoticed.
//! Secrets are [`SecretString`]s: they print as `[REDACTED]` in logs and debug output.

use anyhow::bail;
use app::AppConfig;
use app::domain::NamingPolicy;
use app::domain::kubeconfig::ClusterAccess;
use app::domain::networkpolicy::{Cidr, LintConfig, PresetOptions, RunRecipeConfig, names};
use app::domain::provisioning::ProvisioningConfig;
use base64::Engine;
use figment::{
    Figment,
    providers::{Format, Toml},
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::{net::SocketAddr, path::PathBuf, time::Duration};

/// `PORTAL_*` variables that are not configuration keys: the config file's path, and the test
/// harness's own settings.
const NOT_CONFIG_KEYS: &[&str] = &["CONFIG"];
const NOT_CONFIG_PREFIXES: &[&str] = &["TEST_"];

/// Whether `key` (a `PORTAL_*` variable without the prefix) is one Kubernetes makes up for a
/// Service named `portal` in the namespace (`PORTAL_PORT=tcp://…`, `PORTAL_SERVICE_HOST`, …), not
/// something an administrator set. No configuration key starts like that.
fn is_service_link(key: &str) -> bool {
    key == "PORT" || key.starts_with("PORT_") || key.starts_with("SERVICE_")
}

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

/// How long a session lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// Without a request for this long, the session ends.
    pub idle: Duration,
    /// This long after login, the session ends however active.
    pub max: Duration,
    /// This long after the groups were last read from the provider, they are read again.
    pub groups: Duration,
}

impl Config {
    /// The session limits: `session_idle_minutes` and `session_max_hours`, unless a test has set
    /// [`Config::session_limits_override`].
    pub fn session_limits(&self) -> SessionLimits {
        self.session_limits_override.unwrap_or(SessionLimits {
            idle: Duration::from_secs(u64::from(self.session_idle_minutes) * 60),
            max: Duration::from_secs(u64::from(self.session_max_hours) * 3600),
            groups: Duration::from_secs(u64::from(self.session_groups_max_age_minutes) * 60),
        })
    }

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
        let mut figment = Figment::new();
        let mut origins = BTreeMap::new();
        if let Some(path) = file {
            if !path.is_file() {
                bail!("configuration file {} does not exist", path.display());
            }
            let from_file = Figment::from(Toml::file_exact(path));
            if let Ok(figment::value::Value::Dict(_, keys)) = from_file.find_value("") {
                for key in keys.keys() {
                    origins.insert(key.clone(), path.display().to_string());
                }
            }
            figment = figment.merge(from_file);
        }
        let mut ignored_variables = Vec::new();
        for (variable, value) in env {
            let Some(key) = variable.strip_prefix("PORTAL_") else {
                continue;
            };
            if NOT_CONFIG_KEYS.contains(&key)
                || NOT_CONFIG_PREFIXES
                    .iter()
                    .any(|prefix| key.starts_with(prefix))
            {
                continue;
            }
            if is_service_link(key) {
                ignored_variables.push(variable.clone());
                continue;
            }
            let key = key.to_ascii_lowercase();
            // Every value stays a string; `extract_lossy` reads `true` or `30` for a key that
            // wants a flag or a number, and a secret like `12345678` stays the string it is.
            figment = figment.merge((key.as_str(), value));
            origins.insert(key, variable);
        }
        let mut config: Config = figment.extract_lossy().map_err(|error| {
            // figment's message names the key and where it came from; unknown fields read
            // "unknown field: found `x`", which we turn into the variable's or the key's name.
            anyhow::anyhow!("invalid configuration: {}", describe(&error))
        })?;
        ignored_variables.sort();
        config.origins = origins;
        config.ignored_variables = ignored_variables;
        config.check()?;
        Ok(config)
    }

    /// Checks that need more than one field, or more than a type.
    fn check(&self) -> anyhow::Result<()> {
        let url = self.public_url.trim_end_matches('/');
        if !(url.starts_with("http://") || url.starts_with("https://")) || url.contains('?') {
            bail!(
                "invalid configuration: public_url must be an http:// or https:// URL, got {url:?}"
            );
        }
        if self.request_timeout_seconds == 0 {
            bail!("invalid configuration: request_timeout_seconds must be at least 1");
        }
        if self.database_max_connections == 0 {
            bail!("invalid configuration: database_max_connections must be at least 1");
        }
        self.lint_config()?;
        if self.session_idle_minutes == 0 || self.session_max_hours == 0 {
            bail!(
                "invalid configuration: session_idle_minutes and session_max_hours must be at least 1"
            );
        }
        if self.session_groups_max_age_minutes == 0 {
            bail!("invalid configuration: session_groups_max_age_minutes must be at least 1");
        }
        if let Some(issuer) = &self.oidc_issuer
            && !(issuer.starts_with("https://") || issuer.starts_with("http://"))
        {
            bail!("invalid configuration: oidc_issuer must be an http(s) URL, got {issuer:?}");
        }
        if !names::is_dns1123_label(&self.ingress_controller_namespace) {
            bail!(
                "invalid configuration: ingress_controller_namespace {:?} is not a namespace name",
                self.ingress_controller_namespace
            );
        }
        self.platform_version()?;
        if !matches!(
            self.pod_security_enforce.as_str(),
            "" | "restricted" | "baseline" | "privileged"
        ) {
            bail!(
                "invalid configuration: pod_security_enforce must be restricted, baseline, \
                 privileged or empty, got {:?}",
                self.pod_security_enforce
            );
        }
        if self.max_open_requests == 0 {
            bail!("invalid configuration: max_open_requests must be at least 1");
        }
        if self.reconcile_interval_seconds == 0 {
            bail!("invalid configuration: reconcile_interval_seconds must be at least 1");
        }
        if self.header_read_timeout_seconds == 0 {
            bail!("invalid configuration: header_read_timeout_seconds must be at least 1");
        }
        if self.shutdown_grace_seconds == 0 {
            bail!("invalid configuration: shutdown_grace_seconds must be at least 1");
        }
        for key in &self.namespace_label_keys {
            if let Err(message) = app::domain::labels::check_key(key) {
                bail!("invalid configuration: namespace_label_keys: {key:?}: {message}");
            }
        }
        self.access_settings()?;
        Ok(())
    }

    /// What every provisioned namespace gets, from the operator's choices.
    pub fn provisioning_config(&self) -> ProvisioningConfig {
        ProvisioningConfig {
            pod_security_enforce: self.pod_security_enforce.clone(),
            deny_all: self.baseline_deny_all,
            allow_dns: self.baseline_allow_dns,
            allow_from_ingress_namespace: self
                .baseline_allow_ingress_controller
                .then(|| self.ingress_controller_namespace.clone()),
            subject_prefixes: app::domain::access::SubjectPrefixes {
                username: self.kube_oidc_username_prefix.clone(),
                groups: self.kube_oidc_groups_prefix.clone(),
            },
            hnc_subnamespaces: self.provision_hnc_subnamespaces,
        }
    }

    /// What the access view reads and how it matches users. Fails when no RoleBinding name is
    /// configured or a name is not one Kubernetes would accept.
    pub fn access_settings(&self) -> anyhow::Result<crate::access::AccessSettings> {
        if self.access_rolebinding_names.is_empty() {
            bail!(
                "invalid configuration: access_rolebinding_names must name at least one RoleBinding"
            );
        }
        for name in &self.access_rolebinding_names {
            if !names::is_dns1123_subdomain(name) {
                bail!(
                    "invalid configuration: access_rolebinding_names: {name:?} is not a RoleBinding name"
                );
            }
        }
        Ok(crate::access::AccessSettings {
            binding_names: self.access_rolebinding_names.clone(),
            prefixes: app::domain::access::SubjectPrefixes {
                username: self.kube_oidc_username_prefix.clone(),
                groups: self.kube_oidc_groups_prefix.clone(),
            },
        })
    }

    /// The platform version, when set. Accepts `0.34.0`, `v0.34.0` and `0.34` (read as 0.34.0);
    /// anything else is an error naming the key.
    pub fn platform_version(&self) -> anyhow::Result<Option<semver::Version>> {
        let text = self.platform_version.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let bare = text.strip_prefix('v').unwrap_or(text);
        let full = if bare.matches('.').count() == 1 {
            format!("{bare}.0")
        } else {
            bare.to_owned()
        };
        semver::Version::parse(&full).map(Some).map_err(|error| {
            anyhow::anyhow!(
                "invalid configuration: platform_version {text:?} is not a version such as \
                 0.34.0: {error}"
            )
        })
    }

    /// What the NetworkPolicy lints know about the cluster. Fails naming the key and the value
    /// when a CIDR does not parse.
    pub fn lint_config(&self) -> anyhow::Result<LintConfig> {
        let parse = |key: &str, values: &[String]| -> anyhow::Result<Vec<Cidr>> {
            values
                .iter()
                .map(|value| {
                    value.parse::<Cidr>().map_err(|error| {
                        anyhow::anyhow!(
                            "invalid configuration: {key}: {value:?} is not a CIDR: {error}"
                        )
                    })
                })
                .collect()
        };
        Ok(LintConfig {
            pod_cidrs: parse("cluster_pod_cidrs", &self.cluster_pod_cidrs)?,
            service_cidrs: parse("cluster_service_cidrs", &self.cluster_service_cidrs)?,
        })
    }

    /// The settings the UI and the API share, also sent to the browser (nothing secret).
    pub fn app_config(&self) -> anyhow::Result<AppConfig> {
        Ok(AppConfig {
            naming: self.naming_policy(),
            lint: self.lint_config()?,
            run_recipe: RunRecipeConfig {
                allowed_registry_prefixes: self.allowed_registries.clone(),
            },
            presets: PresetOptions {
                ingress_controller_namespace: self.ingress_controller_namespace.clone(),
            },
        })
    }

    /// The rules for namespace names that this deployment enforces.
    pub fn naming_policy(&self) -> NamingPolicy {
        NamingPolicy {
            reserved: self.reserved_namespaces.clone(),
            required_prefixes: self.namespace_prefixes.clone(),
        }
    }

    /// The client secret: from `oidc_client_secret_file` when set (trailing newline removed),
    /// else `oidc_client_secret`.
    pub fn oidc_client_secret(&self) -> anyhow::Result<Option<SecretString>> {
        secret_from(
            "oidc_client_secret_file",
            self.oidc_client_secret_file.as_deref(),
            &self.oidc_client_secret,
        )
    }

    /// The kubectl client's secret: from `kubectl_client_secret_file` when set, else
    /// `kubectl_client_secret`.
    pub fn kubectl_client_secret(&self) -> anyhow::Result<Option<SecretString>> {
        secret_from(
            "kubectl_client_secret_file",
            self.kubectl_client_secret_file.as_deref(),
            &self.kubectl_client_secret,
        )
    }

    /// What a downloaded kubeconfig needs, or `None` when the cluster or the issuer is not
    /// configured. Fails when the CA file cannot be read.
    pub fn cluster_access(&self) -> anyhow::Result<Option<ClusterAccess>> {
        let (Some(server), Some(issuer)) = (&self.cluster_server, &self.oidc_issuer) else {
            return Ok(None);
        };
        let certificate_authority_data = match &self.cluster_ca_file {
            Some(path) => {
                let pem = std::fs::read(path).map_err(|error| {
                    anyhow::anyhow!("could not read cluster_ca_file {}: {error}", path.display())
                })?;
                base64::engine::general_purpose::STANDARD.encode(pem)
            }
            None => String::new(),
        };
        Ok(Some(ClusterAccess {
            name: self.cluster_name.clone(),
            server: server.clone(),
            certificate_authority_data,
            issuer: issuer.trim_end_matches('/').to_owned(),
            client_id: self.kubectl_client_id.clone(),
            client_secret: self
                .kubectl_client_secret()?
                .map(|secret| secret.expose_secret().to_owned()),
            scopes: self.kubectl_scopes.clone(),
            callback_ports: self.kubelogin_ports.clone(),
        }))
    }

    /// Whether cookies must be `Secure` (and get the `__Host-` prefix).
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// The database URL, for the database module only.
    pub(crate) fn database_url(&self) -> &str {
        self.database_url.expose_secret()
    }
}

/// A secret from `file` (named `key` in errors; trailing newline removed) when set, else `value`.
fn secret_from(
    key: &str,
    file: Option<&std::path::Path>,
    value: &Option<SecretString>,
) -> anyhow::Result<Option<SecretString>> {
    if let Some(path) = file {
        let secret = std::fs::read_to_string(path)
            .map_err(|error| anyhow::anyhow!("could not read {key} {}: {error}", path.display()))?;
        return Ok(Some(SecretString::from(secret.trim_end().to_owned())));
    }
    Ok(value.clone())
}

fn describe(error: &figment::Error) -> String {
    error
        .clone()
        .into_iter()
        .map(|error| {
            let key = error.path.join(".");
            let source = match &error.metadata {
                Some(meta) if meta.name.contains("TOML") || meta.source.is_some() => meta
                    .source
                    .as_ref()
                    .map(|s| format!(" in {s}"))
                    .unwrap_or_default(),
                _ => format!(" (from PORTAL_{})", key.to_ascii_uppercase()),
            };
            match &error.kind {
                figment::error::Kind::UnknownField(field, _) => {
                    format!(
                        "unknown key `{field}`{}",
                        source_for_unknown(field, &error.metadata)
                    )
                }
                kind => format!("`{key}`: {kind}{source}"),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn source_for_unknown(field: &str, metadata: &Option<figment::Metadata>) -> String {
    match metadata.as_ref().and_then(|meta| meta.source.as_ref()) {
        Some(source) => format!(" in {source}"),
        None => format!(
            " (from the environment variable PORTAL_{})",
            field.to_ascii_uppercase()
        ),
    }
}

/// Accepts a list (`["a", "b"]`, `[8000, 18000]` in TOML) or one comma-separated string
/// (`"a, b"`, `8000,18000`: how an environment variable or a Helm value gives it).
fn list_or_csv<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + std::str::FromStr,
    T::Err: std::fmt::Display,
{
    struct ListOrCsv<T>(std::marker::PhantomData<T>);
    impl<'de, T> serde::de::Visitor<'de> for ListOrCsv<T>
    where
        T: Deserialize<'de> + std::str::FromStr,
        T::Err: std::fmt::Display,
    {
        type Value = Vec<T>;
        fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
            formatter.write_str("a list, or one comma-separated string")
        }
        fn visit_str<E: serde::de::Error>(self, csv: &str) -> Result<Vec<T>, E> {
            csv.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| {
                    item.parse()
                        .map_err(|error| E::custom(format!("{item:?} in the list: {error}")))
                })
                .collect()
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element()? {
                items.push(item);
            }
            Ok(items)
        }
    }
    deserializer.deserialize_any(ListOrCsv(std::marker::PhantomData))
}

/// An address, or `off` (or nothing) for no listener.
fn address_or_off<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<SocketAddr>, D::Error> {
    let text = String::deserialize(deserializer)?;
    match text.trim() {
        "" | "off" => Ok(None),
        address => address.parse().map(Some).map_err(|error| {
            serde::de::Error::custom(format!(
                "{address:?} is not an address like 0.0.0.0:9090 (or off): {error}"
            ))
        }),
    }
}

/// Secrets are never printed: `portal config` says only whether one is set.
fn redacted<S: Serializer, T>(secret: &T, serializer: S) -> Result<S::Ok, S::Error>
where
    T: Redact,
{
    match secret.is_set() {
        true => serializer.serialize_str("[REDACTED]"),
        false => serializer.serialize_none(),
    }
}

trait Redact {
    fn is_set(&self) -> bool;
}
impl Redact for SecretString {
    fn is_set(&self) -> bool {
        true
    }
}
impl Redact for Option<SecretString> {
    fn is_set(&self) -> bool {
        self.is_some()
    }
}

impl Config {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn toml_file(contents: &str) -> tempfile::NamedTempFile {
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
        let config = Config::load_from(None, env(&[("PORTAL_KUBELOGIN_PORTS", "8000, 18000")]))
            .expect("loads");
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
        let config =
            Config::load_from(None, env(&[("PORTAL_METRICS_ADDR", "off")])).expect("loads");
        assert_eq!(config.metrics_addr, None);
        let config = Config::load_from(None, env(&[("PORTAL_METRICS_ADDR", "0.0.0.0:9100")]))
            .expect("loads");
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
}
