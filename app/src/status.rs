//! Lets a page choose the HTTP status of its server-rendered response (404 for "not found"),
//! and gives every server function's error its status.
//!
//! A server function answers with its error type encoded as JSON. Without more, leptos sends
//! every error with 500 and the request log writes it at `error`, even when the caller made the
//! mistake: an argument missing or of the wrong type, a body too large, an FAQ entry that does
//! not exist. So each error type says its status ([`HttpStatus`]), its `FromServerFnError::ser`
//! (called exactly once, when the server encodes the error for the answer) sets it with
//! [`encode_with_status`] and sends the message in words beside the error, and the machinery's
//! own failures become a [`CallError`] with a status of its own: 400 for arguments that cannot
//! be read, 413 for a body over the limit.
//! In the browser, after hydration, there is no response to change, so setting does nothing
//! there.

use leptos::server_fn::Bytes;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
mod imp {
    use leptos::prelude::use_context;

    pub fn set_status(code: u16) {
        if let (Some(response), Ok(status)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            http::StatusCode::from_u16(code),
        ) {
            response.set_status(status);
        }
    }

    /// On the server, the machinery fails only while reading the call: its body (too large,
    /// not UTF-8) or its arguments.
    pub fn reading_failed(error: &super::ServerFnErrorErr) -> bool {
        use super::ServerFnErrorErr as E;
        matches!(error, E::Args(_) | E::MissingArg(_) | E::Deserialization(_))
    }
}

#[cfg(not(feature = "ssr"))]
mod imp {
    pub fn set_status(_code: u16) {}

    /// In the browser, the machinery's failures are the network's or the answer's, never the
    /// arguments' (the browser encoded them itself).
    pub fn reading_failed(_error: &super::ServerFnErrorErr) -> bool {
        false
    }
}

/// Sets the status code of the page being rendered on the server.
pub fn set_status(code: u16) {
    imp::set_status(code);
}

/// The HTTP status a server function's error answers with.
pub trait HttpStatus {
    /// 4xx for the caller's mistakes, 5xx for the portal's.
    fn http_status(&self) -> u16;
}

/// The largest server-function body the server reads (the router sets it as axum's body limit,
/// which leptos applies). The largest argument, a pasted search, is far smaller.
pub const MAX_CALL_BODY_BYTES: usize = 256 * 1024;

/// A server-function call that failed in the machinery around the function, not in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum CallError {
    /// An argument is missing, malformed or of the wrong type (400).
    #[error("the call's arguments could not be read: {0}")]
    BadArguments(String),
    /// The body is larger than the portal reads (413).
    #[error("the call's body is larger than {MAX_CALL_BODY_BYTES} bytes")]
    TooLarge,
    /// Anything else: the network, or an answer that could not be made or read (500).
    #[error("the request failed: {0}")]
    Failed(String),
}

impl CallError {
    /// The machinery's error as a [`CallError`], with a message that names the problem.
    pub fn from_machinery(error: ServerFnErrorErr) -> Self {
        if !imp::reading_failed(&error) {
            return Self::Failed(error.to_string());
        }
        match error {
            ServerFnErrorErr::Deserialization(message) if message.contains("length limit") => {
                Self::TooLarge
            }
            ServerFnErrorErr::Deserialization(message) => {
                Self::BadArguments(format!("the body is not form-encoded text ({message})"))
            }
            ServerFnErrorErr::MissingArg(name) => {
                Self::BadArguments(format!("the argument {name} is missing"))
            }
            ServerFnErrorErr::Args(message) => Self::BadArguments(message),
            other => Self::Failed(other.to_string()),
        }
    }
}

impl HttpStatus for CallError {
    fn http_status(&self) -> u16 {
        match self {
            Self::BadArguments(_) => 400,
            Self::TooLarge => 413,
            Self::Failed(_) => 500,
        }
    }
}

/// How a server function's error travels: `message` in words, for a person or a script calling
/// the function with plain HTTP, and `error`, the error itself, which the browser reads back.
#[derive(Serialize, Deserialize)]
struct Wire<E> {
    message: String,
    error: E,
}

/// `FromServerFnError` for one of the portal's error enums, the same way for all of them: a
/// failure in the machinery becomes its `Call(CallError)` variant, and the error travels with
/// its status ([`encode_with_status`]) and comes back with [`decode`].
#[macro_export]
macro_rules! server_fn_error {
    ($error:ty) => {
        impl leptos::server_fn::error::FromServerFnError for $error {
            type Encoder = leptos::server_fn::codec::JsonEncoding;

            fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
                Self::Call($crate::status::CallError::from_machinery(value))
            }

            fn ser(&self) -> leptos::server_fn::Bytes {
                $crate::status::encode_with_status(self)
            }

            fn de(data: leptos::server_fn::Bytes) -> Self {
                $crate::status::decode(&data)
            }
        }
    };
}

/// What `FromServerFnError::ser` does for each of the portal's errors: sets the answer's status
/// to the error's, then encodes the error with its message.
pub fn encode_with_status<E>(error: &E) -> Bytes
where
    E: HttpStatus + Serialize + std::fmt::Display,
{
    set_status(error.http_status());
    let wire = Wire {
        message: error.to_string(),
        error,
    };
    // Our errors are plain enums of strings and numbers: they always serialize.
    serde_json::to_vec(&wire)
        .map(Bytes::from)
        .unwrap_or_default()
}

/// What `FromServerFnError::de` does: reads back what [`encode_with_status`] wrote.
pub fn decode<E>(data: &[u8]) -> E
where
    E: FromServerFnError + serde::de::DeserializeOwned,
{
    serde_json::from_slice::<Wire<E>>(data)
        .map(|wire| wire.error)
        .unwrap_or_else(|error| {
            E::from_server_fn_error(ServerFnErrorErr::Deserialization(error.to_string()))
        })
}

/// The error of server functions that fail only in the machinery (or when the server forgot
/// to provide what they read, which is the portal's fault: 500).
impl FromServerFnError for CallError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::from_machinery(value)
    }

    fn ser(&self) -> Bytes {
        encode_with_status(self)
    }

    fn de(data: Bytes) -> Self {
        decode(&data)
    }
}
