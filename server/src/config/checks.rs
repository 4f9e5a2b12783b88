//! Checks that need more than one field, or more than a type: each failure names the key.

use super::Config;
use anyhow::bail;
use app::domain::networkpolicy::names;

impl Config {
    /// Checks that need more than one field, or more than a type.
    pub(super) fn check(&self) -> anyhow::Result<()> {
        let url = self.public_url.trim_end_matches('/');
        if !is_http_url(url) || url.contains('?') {
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
            && !is_http_url(issuer)
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
}

/// `http://…` or `https://…` (in lower case: `is_https` and the cookies go by the prefix) with a
/// host and a port a URL may have, so that the origin compared with `Origin` headers is one.
fn is_http_url(text: &str) -> bool {
    (text.starts_with("http://") || text.starts_with("https://")) && url::Url::parse(text).is_ok()
}
