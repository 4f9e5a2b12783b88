//! The OpenID Connect relying party: discovery, the authorization request (code flow with PKCE
//! S256, `state` and `nonce`) and the callback's code exchange with full ID token verification.
//!
//! Discovery happens on first use and is retried on every login until it succeeds, so a provider
//! that is down when the portal starts does not stop the portal: the public pages work, and login
//! says the provider is unreachable until it is back.

use crate::config::Config;
use anyhow::Context;
use app::auth::CurrentUser;
use base64::Engine;
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, ProviderMetadataWithLogout,
    RedirectUrl, RefreshToken, Scope, TokenResponse,
    core::{CoreClient, CoreResponseType},
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::{sync::Arc, time::Duration};
use tokio::sync::RwLock;

/// What the portal remembers between sending the browser to the provider and its return.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// Where to go after login: a same-origin path, already checked.
    pub next: String,
}

/// What a completed login or refresh yields.
#[derive(Debug)]
pub struct Tokens {
    pub user: CurrentUser,
    /// The raw ID token (sent back at logout as `id_token_hint`).
    pub id_token: String,
    /// The refresh token, when the provider issued one (Dex does for `offline_access`).
    pub refresh_token: Option<String>,
    /// How long the token request to the provider took.
    pub exchange_time: Duration,
}

/// Why a login did not complete. Each has a page that says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("the identity provider is unreachable")]
    ProviderUnreachable(#[source] anyhow::Error),
    #[error("the identity provider refused the login: {0}")]
    Denied(String),
    #[error("the login could not be verified")]
    Invalid(#[source] anyhow::Error),
}

/// The settings and the (lazily discovered) provider.
#[derive(Debug)]
pub struct Oidc {
    issuer: String,
    client_id: String,
    client_secret: Option<SecretString>,
    redirect_url: String,
    scopes: Vec<String>,
    username_claim: String,
    groups_claim: String,
    admin_groups: Vec<String>,
    http: openidconnect::reqwest::Client,
    metadata: RwLock<Option<Arc<ProviderMetadataWithLogout>>>,
}

impl Oidc {
    /// `None` when no issuer is configured (login off).
    pub fn from_config(config: &Config) -> anyhow::Result<Option<Self>> {
        let Some(issuer) = config.oidc_issuer.clone() else {
            return Ok(None);
        };
        let mut http = openidconnect::reqwest::ClientBuilder::new()
            // Following redirects from the token endpoint would be an SSRF vector.
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10));
        if let Some(path) = &config.oidc_ca_file {
            let pem = std::fs::read(path)
                .with_context(|| format!("could not read oidc_ca_file {}", path.display()))?;
            let certificates = openidconnect::reqwest::Certificate::from_pem_bundle(&pem)
                .ok()
                .filter(|certificates| !certificates.is_empty())
                .with_context(|| {
                    format!("oidc_ca_file {} holds no PEM certificate", path.display())
                })?;
            for certificate in certificates {
                http = http.add_root_certificate(certificate);
            }
        }
        let http = http
            .build()
            .context("could not build the HTTP client for the identity provider")?;
        Ok(Some(Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            client_id: config.oidc_client_id.clone(),
            client_secret: config.oidc_client_secret()?,
            redirect_url: format!("{}/auth/callback", config.public_url.trim_end_matches('/')),
            scopes: config
                .oidc_scopes
                .split([' ', ','])
                .filter(|scope| !scope.is_empty() && *scope != "openid")
                .map(str::to_owned)
                .collect(),
            username_claim: config.oidc_username_claim.clone(),
            groups_claim: config.oidc_groups_claim.clone(),
            admin_groups: config.admin_groups.clone(),
            http,
            metadata: RwLock::new(None),
        }))
    }

    /// The issuer's origin, for the Content-Security-Policy's `form-action` (logout posts there).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    async fn metadata(&self) -> Result<Arc<ProviderMetadataWithLogout>, LoginError> {
        if let Some(metadata) = self.metadata.read().await.clone() {
            return Ok(metadata);
        }
        let issuer = IssuerUrl::new(self.issuer.clone())
            .map_err(|error| LoginError::ProviderUnreachable(error.into()))?;
        let metadata = ProviderMetadataWithLogout::discover_async(issuer, &self.http)
            .await
            .map_err(|error| LoginError::ProviderUnreachable(anyhow::Error::new(error)))?;
        let metadata = Arc::new(metadata);
        *self.metadata.write().await = Some(metadata.clone());
        Ok(metadata)
    }

    fn client(
        &self,
        metadata: &ProviderMetadataWithLogout,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        LoginError,
    > {
        let redirect = RedirectUrl::new(self.redirect_url.clone())
            .map_err(|error| LoginError::Invalid(error.into()))?;
        Ok(CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(self.client_id.clone()),
            self.client_secret
                .as_ref()
                .map(|secret| ClientSecret::new(secret.expose_secret().to_owned())),
        )
        .set_redirect_uri(redirect))
    }

    /// The provider's authorization URL for a new login, and what to remember until the callback.
    pub async fn start(&self, next: String) -> Result<(String, PendingLogin), LoginError> {
        let metadata = self.metadata().await?;
        let client = self.client(&metadata)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in &self.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        let pending = PendingLogin {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            next,
        };
        Ok((url.to_string(), pending))
    }

    /// Exchanges `code` and verifies the ID token (signature against the provider's keys, issuer,
    /// audience, expiry, nonce). Returns the user, the raw ID token (for logout), the refresh
    /// token and how long the token request to the provider took (logged, so a slow provider
    /// shows apart from the portal's own work).
    pub async fn finish(&self, code: String, pending: PendingLogin) -> Result<Tokens, LoginError> {
        let metadata = self.metadata().await?;
        let client = self.client(&metadata)?;
        let exchange = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|error| LoginError::Invalid(error.into()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier));
        let exchange_started = std::time::Instant::now();
        let response = exchange.request_async(&self.http).await;
        let exchange_time = exchange_started.elapsed();
        let response = response.map_err(token_error)?;
        let id_token = response
            .id_token()
            .ok_or_else(|| LoginError::Invalid(anyhow::anyhow!("the provider sent no ID token")))?;
        let verifier = client.id_token_verifier();
        id_token
            .claims(&verifier, &Nonce::new(pending.nonce))
            .map_err(|error| LoginError::Invalid(anyhow::Error::new(error)))?;
        self.tokens(
            id_token.to_string(),
            response.refresh_token().map(|token| token.secret().clone()),
            exchange_time,
        )
    }

    /// Asks the provider again who the user is, with the refresh token: a new, verified ID token
    /// with the user's groups as they are now. A provider that rotates refresh tokens sends a
    /// new one; otherwise the old one stays valid.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Tokens, LoginError> {
        let metadata = self.metadata().await?;
        let client = self.client(&metadata)?;
        let token = RefreshToken::new(refresh_token.to_owned());
        let exchange = client
            .exchange_refresh_token(&token)
            .map_err(|error| LoginError::Invalid(error.into()))?;
        let started = std::time::Instant::now();
        let response = exchange.request_async(&self.http).await;
        let exchange_time = started.elapsed();
        let response = response.map_err(token_error)?;
        let id_token = response.id_token().ok_or_else(|| {
            LoginError::Invalid(anyhow::anyhow!("the provider's refresh sent no ID token"))
        })?;
        let verifier = client.id_token_verifier();
        // A refreshed ID token carries no new nonce (OpenID Connect Core 12.2).
        id_token
            .claims(&verifier, |_: Option<&Nonce>| Ok(()))
            .map_err(|error| LoginError::Invalid(anyhow::Error::new(error)))?;
        let refresh_token = response
            .refresh_token()
            .map_or_else(|| refresh_token.to_owned(), |new| new.secret().clone());
        self.tokens(id_token.to_string(), Some(refresh_token), exchange_time)
    }

    /// The tokens of a login or refresh whose ID token `raw` has been verified: the user is read
    /// from the configurable claims of that same token's payload.
    fn tokens(
        &self,
        raw: String,
        refresh_token: Option<String>,
        exchange_time: Duration,
    ) -> Result<Tokens, LoginError> {
        let claims = payload(&raw).map_err(LoginError::Invalid)?;
        Ok(Tokens {
            user: self.user_from_claims(&claims)?,
            id_token: raw,
            refresh_token,
            exchange_time,
        })
    }

    fn user_from_claims(&self, claims: &serde_json::Value) -> Result<CurrentUser, LoginError> {
        let text = |name: &str| claims.get(name).and_then(|v| v.as_str()).map(str::to_owned);
        let username = text(&self.username_claim)
            .or_else(|| text("sub"))
            .filter(|name| !name.is_empty())
            .ok_or_else(|| LoginError::Invalid(anyhow::anyhow!("the ID token names no user")))?;
        let groups: Vec<String> = match claims.get(&self.groups_claim) {
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect(),
            Some(serde_json::Value::String(group)) => vec![group.clone()],
            _ => Vec::new(),
        };
        let is_admin = groups.iter().any(|group| self.admin_groups.contains(group));
        Ok(CurrentUser {
            username,
            // What a person reads: the display name, else the login name the provider knows.
            name: text("name")
                .filter(|name| !name.trim().is_empty())
                .or_else(|| text("preferred_username")),
            email: text("email"),
            groups,
            is_admin,
        })
    }

    /// Where to send the browser to end the provider's session too, if it has an end-session
    /// endpoint.
    pub async fn logout_url(&self, id_token: &str, after: &str) -> Option<String> {
        let metadata = self.metadata().await.ok()?;
        let endpoint = metadata
            .additional_metadata()
            .end_session_endpoint
            .as_ref()?;
        let mut url = endpoint.url().clone();
        url.query_pairs_mut()
            .append_pair("id_token_hint", id_token)
            .append_pair("post_logout_redirect_uri", after)
            .append_pair("client_id", &self.client_id);
        Some(url.to_string())
    }
}

/// A failed token request: the provider could not be reached, or it said no.
fn token_error<E: openidconnect::ErrorResponse + 'static>(
    error: openidconnect::RequestTokenError<
        openidconnect::HttpClientError<openidconnect::reqwest::Error>,
        E,
    >,
) -> LoginError {
    use openidconnect::RequestTokenError;
    match error {
        RequestTokenError::Request(error) => {
            LoginError::ProviderUnreachable(anyhow::Error::new(error))
        }
        other => LoginError::Invalid(anyhow::anyhow!("{other}")),
    }
}

fn payload(jwt: &str) -> anyhow::Result<serde_json::Value> {
    let part = jwt.split('.').nth(1).context("the ID token is not a JWT")?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .context("the ID token's payload is not base64url")?;
    serde_json::from_slice(&bytes).context("the ID token's payload is not JSON")
}
