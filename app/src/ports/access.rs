//! What the access pages need: who has access, from memory, and which groups users carry.

use async_trait::async_trait;
use std::{collections::HashSet, fmt, sync::Arc};

/// The portal's in-memory copy of who has access, kept current by watching the cluster, so a
/// page never waits for the API server.
pub trait AccessView: Send + Sync + fmt::Debug {
    /// The latest state read (empty before the first read, or without a cluster).
    fn snapshot(&self) -> Arc<crate::domain::access::AccessSnapshot>;
    /// How current that state is.
    fn cluster_status(&self) -> crate::features::access::model::ClusterStatus;
    /// The RoleBinding every user namespace should have (`workload-admin`).
    fn primary_binding(&self) -> String;
}

/// What the access pages' server functions reach.
#[derive(Clone, Debug)]
pub struct AccessContext {
    pub view: Arc<dyn AccessView>,
    pub groups_seen: Arc<dyn GroupsSeen>,
}

/// The IdP groups users carried when they logged in, for the administrators' "groups nobody
/// carries".
#[async_trait]
pub trait GroupsSeen: Send + Sync + fmt::Debug {
    /// Every group seen at a login so far; `Err` with a message for the log when they could not
    /// be read.
    async fn names(&self) -> Result<HashSet<String>, String>;
}
