//! What the check page shows, and its error in words safe to show.

use crate::domain::traffic::PodInfo;
use crate::domain::traffic::PolicyRef;
use crate::domain::traffic::question::{CheckForm, Checked, FieldProblem};
use serde::{Deserialize, Serialize};

/// Everything the page renders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrafficPage {
    /// The namespaces the user may check in.
    pub namespaces: Vec<String>,
    /// The form as submitted, its namespace chosen.
    pub form: CheckForm,
    /// The Pods of the chosen namespace, to pick from.
    pub pods: Vec<PodInfo>,
    pub outcome: Outcome,
}

/// What the submitted form led to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    /// Nothing asked yet (a plain visit, or another namespace chosen).
    NotAsked,
    /// The form has problems, each at its field.
    Problems(Vec<FieldProblem>),
    /// The answer over the live policies, and with the what-if's, if one was given.
    Checked {
        now: Box<Checked>,
        what_if: Option<WhatIf>,
    },
}

/// The verdict with the pasted policies applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhatIf {
    /// The policies the what-if adds or replaces.
    pub policies: Vec<PolicyRef>,
    /// The answer with them, or why the pasted text cannot be used.
    pub result: Result<Box<Checked>, String>,
}

/// The policy map page as its server function sends it.
///
/// The map itself comes drawn: the server renders it to HTML once, and the browser only ever
/// places that HTML. It holds no control, so nothing in it needs hydrating, and the map's data,
/// the drawing code and the tables stay out of the WebAssembly and out of the page's hydration
/// data (a busy namespace's map is thousands of flows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapPage {
    /// The namespaces the user may see the map of.
    pub namespaces: Vec<String>,
    /// The one shown.
    pub namespace: String,
    /// Changes when, and only when, the map does: what the hydrated page polls for.
    pub version: u64,
    /// The map, drawn and tabled, as HTML made by the server from escaped text.
    pub html: String,
}

/// The policy map page as the page keeps it: the same, except that its HTML is not written
/// again into the page's hydration data. The server already wrote it as the page itself, and
/// hydrating leaves it in place (an element's `inner_html` is not set when it comes from the
/// server); a map fetched later in the browser carries its HTML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShownMap {
    pub namespaces: Vec<String>,
    pub namespace: String,
    pub version: u64,
    #[serde(skip)]
    pub html: String,
}

impl From<MapPage> for ShownMap {
    fn from(page: MapPage) -> Self {
        let MapPage {
            namespaces,
            namespace,
            version,
            html,
        } = page;
        Self {
            namespaces,
            namespace,
            version,
            html,
        }
    }
}

/// Why the page has no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum TrafficPageError {
    /// Nobody is logged in (401).
    #[error("log in to see the connections of your namespaces' Pods")]
    NotLoggedIn,
    /// The user may use no namespace yet (404).
    #[error("you have no namespaces yet: request one, and see its connections once it is created")]
    NoNamespaces,
    /// The namespace is not the user's, or the cluster cannot be read now (the port's words).
    #[error("{message}")]
    Traffic { status: u16, message: String },
    /// The server did not provide the capability (503; a bug in the server's wiring).
    #[error("the check is not available right now; try again later")]
    Unavailable,
    /// The call itself failed.
    #[error("{0}")]
    Call(crate::status::CallError),
}

impl crate::status::HttpStatus for TrafficPageError {
    fn http_status(&self) -> u16 {
        match self {
            Self::NotLoggedIn => 401,
            Self::NoNamespaces => 404,
            Self::Traffic { status, .. } => *status,
            Self::Unavailable => 503,
            Self::Call(call) => crate::status::HttpStatus::http_status(call),
        }
    }
}

crate::server_fn_error!(TrafficPageError);
