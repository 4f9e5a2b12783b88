//! What "would this traffic be allowed?" needs to answer over a cluster's live objects: the
//! connection and who asks in, the engine's answer out.

use crate::domain::access::Viewer;
use crate::domain::traffic::question::NamespaceObjects;
use crate::domain::traffic::{Answer, Connection, ConnectionError};
use std::fmt;

/// Why there is no answer, in words safe to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrafficError {
    /// The connection names a Pod that the namespace does not hold, or a port that is none
    /// (422).
    #[error("{0}")]
    Connection(ConnectionError),
    /// A namespace the question names is not one the viewer may use, or does not exist, or
    /// nobody is logged in; the same words for each, so the answer tells nothing about other
    /// teams' namespaces (404).
    #[error(
        "{0:?} is not one of your namespaces: log in, and check connections of Pods in namespaces you may use"
    )]
    Namespace(String),
    /// The portal is not connected to a cluster (503): send the objects instead.
    #[error(
        "the portal is not connected to a cluster, so it holds no live objects: send the NetworkPolicies, namespaces and Pods to check over"
    )]
    NoCluster,
    /// The cluster's Pods and NetworkPolicies are still being read (503).
    #[error(
        "the portal is still reading the cluster's Pods and NetworkPolicies; try again in a moment"
    )]
    Starting,
    /// The API server refuses to let the portal read these kinds (503): its RBAC lacks them.
    #[error(
        "the portal may not read the cluster's {0}: its ServiceAccount needs get, list and watch on them, which the chart's RBAC grants; ask a platform administrator to apply it"
    )]
    Refused(String),
}

impl crate::status::HttpStatus for TrafficError {
    fn http_status(&self) -> u16 {
        match self {
            Self::Connection(_) => 422,
            Self::Namespace(_) => 404,
            Self::NoCluster | Self::Starting | Self::Refused(_) => 503,
        }
    }
}

/// The traffic check over the cluster's objects as last read.
pub trait Traffic: Send + Sync + fmt::Debug {
    /// `connection` decided over the live NetworkPolicies and Pods of the namespaces its Pods
    /// are in, each of which `viewer` (`None`: nobody logged in) must be allowed to use (an
    /// administrator: any), as must `namespace`, where the question is asked.
    fn check(
        &self,
        namespace: &str,
        connection: &Connection,
        viewer: Option<&Viewer>,
    ) -> Result<Answer, TrafficError>;

    /// What the check page reads of `namespace` (which `viewer` must be allowed to use): its
    /// labels, its Pods and its NetworkPolicies, as last read.
    fn objects(
        &self,
        namespace: &str,
        viewer: Option<&Viewer>,
    ) -> Result<NamespaceObjects, TrafficError>;

    /// `text` read as `kubectl apply -f` reads manifests (YAML or JSON, several documents), for
    /// a what-if; the error says which document and line.
    fn read_manifests(&self, text: &str) -> Result<Vec<serde_json::Value>, String>;
}
