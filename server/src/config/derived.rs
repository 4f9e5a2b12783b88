//! The settings other modules take, made from the keys: [`SessionLimits`], the provisioning,
//! access, lint and app settings, the secrets (from a file or a value) and the cluster a
//! downloaded kubeconfig points at.

use super::Config;
use anyhow::bail;
use app::AppConfig;
use app::domain::NamingPolicy;
use app::domain::kubeconfig::ClusterAccess;
use app::domain::networkpolicy::{Cidr, LintConfig, PresetOptions, RunRecipeConfig, names};
use app::domain::provisioning::ProvisioningConfig;
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

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
    pub fn access_settings(&self) -> anyhow::Result<app::domain::access::AccessSettings> {
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
        Ok(app::domain::access::AccessSettings {
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
