//! A minimal OpenID Provider that signs whatever ID token a test asks for: another audience,
//! another issuer, an expired one, `alg: none`, one signed by a key it does not publish. A real
//! provider never issues these, so the attack tests need this fake; everything a real provider
//! does issue is tested against the real one ([`super::TestIdp`]).

use axum::{
    Json, Router,
    extract::{Query, State},
    response::{IntoResponse, Redirect},
    routing::{get, post},
};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// What the token endpoint hands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FakeToken {
    /// A correct token: proves the fake works, so the refusals below mean something.
    Valid,
    WrongAudience,
    WrongIssuer,
    Expired,
    /// Unsigned (`alg: none`).
    Unsigned,
    /// Signed with a key the provider does not publish.
    BadSignature,
    WrongNonce,
}

#[derive(Debug)]
struct Shared {
    issuer: String,
    kind: FakeToken,
    nonce: Mutex<Option<String>>,
}

/// A running fake provider on a loopback port (stops with the test's runtime).
#[derive(Debug)]
pub struct FakeOp {
    pub issuer: String,
}

impl FakeOp {
    pub async fn start(kind: FakeToken) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let issuer = format!("http://{}", listener.local_addr().expect("address"));
        let shared = Arc::new(Shared {
            issuer: issuer.clone(),
            kind,
            nonce: Mutex::new(None),
        });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .with_state(shared);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { issuer }
    }
}

async fn discovery(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let issuer = &shared.issuer;
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

async fn jwks() -> Json<Value> {
    let text = std::fs::read_to_string(super::repo_root().join("tests/fixtures/fake-op-jwks.json"))
        .expect("the fixture JWKS");
    Json(serde_json::from_str(&text).expect("JSON"))
}

/// Signs the user in at once and sends the browser back with a code.
async fn authorize(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    *shared.nonce.lock().expect("lock") = params.get("nonce").cloned();
    let redirect = params.get("redirect_uri").cloned().unwrap_or_default();
    let state = params.get("state").cloned().unwrap_or_default();
    Redirect::to(&format!("{redirect}?code=fake-code&state={state}"))
}

async fn token(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let now = chrono::Utc::now().timestamp();
    let nonce = shared
        .nonce
        .lock()
        .expect("lock")
        .clone()
        .unwrap_or_default();
    let mut claims = json!({
        "iss": shared.issuer,
        "sub": "mallory",
        "aud": "welkin-portal",
        "iat": now,
        "exp": now + 600,
        "nonce": nonce,
        "preferred_username": "mallory",
        "groups": ["platform-admins"],
    });
    match shared.kind {
        FakeToken::WrongAudience => claims["aud"] = json!("some-other-client"),
        FakeToken::WrongIssuer => claims["iss"] = json!("https://evil.example"),
        FakeToken::Expired => {
            claims["iat"] = json!(now - 7200);
            claims["exp"] = json!(now - 3600);
        }
        FakeToken::WrongNonce => claims["nonce"] = json!("not-the-nonce"),
        FakeToken::Valid | FakeToken::Unsigned | FakeToken::BadSignature => {}
    }
    let id_token = match shared.kind {
        FakeToken::Unsigned => {
            let encode = |value: &Value| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
            };
            format!(
                "{}.{}.",
                encode(&json!({ "alg": "none", "typ": "JWT" })),
                encode(&claims)
            )
        }
        kind => {
            let file = if kind == FakeToken::BadSignature {
                "fake-op-other-key.pem"
            } else {
                "fake-op-key.pem"
            };
            let pem =
                std::fs::read(super::repo_root().join("tests/fixtures").join(file)).expect("key");
            let key = EncodingKey::from_rsa_pem(&pem).expect("an RSA key");
            let mut header = Header::new(Algorithm::RS256);
            header.kid = Some("fake-op".into());
            jsonwebtoken::encode(&header, &claims, &key).expect("signed")
        }
    };
    Json(json!({
        "access_token": "fake-access-token",
        "token_type": "Bearer",
        "expires_in": 600,
        "id_token": id_token,
    }))
}
