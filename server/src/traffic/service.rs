//! The traffic port: a connection between Pods of namespaces the caller may use, decided over
//! those namespaces' live NetworkPolicies and Pods.
//!
//! Only the namespaces of the connection's own Pods go into the engine: a policy decides for
//! the Pods it selects, and a peer's namespace is one of the connection's ends, so nothing of
//! any other namespace can change the answer, and nothing of one the caller may not use is ever
//! in it.

use super::cache::LiveObjects;
use app::domain::access::Viewer;
use app::domain::traffic::question::NamespaceObjects;
use app::domain::traffic::{
    Answer, Connection, Destination, NamespaceInfo, PodInfo, Source, TrafficModel,
};
use app::features::access::model::ClusterStatus;
use app::ports::{AccessView, Traffic, TrafficError};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct TrafficService {
    /// `None` without a cluster.
    objects: Option<LiveObjects>,
    /// Who may use which namespace, and the namespaces' labels.
    access: Arc<dyn AccessView>,
}

impl TrafficService {
    pub fn new(objects: Option<LiveObjects>, access: Arc<dyn AccessView>) -> Self {
        Self { objects, access }
    }
}

/// The namespaces of the connection's Pods, each once, source first.
fn namespaces_of(connection: &Connection) -> Vec<&str> {
    let mut namespaces = Vec::new();
    if let Source::Pod(pod) = &connection.source {
        namespaces.push(pod.namespace.as_str());
    }
    if let Destination::Pod(pod) = &connection.destination
        && !namespaces.contains(&pod.namespace.as_str())
    {
        namespaces.push(pod.namespace.as_str());
    }
    namespaces
}

impl TrafficService {
    /// The live objects once everything is read, or why not.
    fn ready_objects(&self) -> Result<&LiveObjects, TrafficError> {
        let objects = self.objects.as_ref().ok_or(TrafficError::NoCluster)?;
        let refused = objects.refused();
        if !refused.is_empty() {
            return Err(TrafficError::Refused(refused.join(" and ")));
        }
        // Until the first reads are done, nobody's namespaces are known: "not yours" would be
        // wrong.
        if !objects.ready() || self.access.cluster_status() == ClusterStatus::Starting {
            return Err(TrafficError::Starting);
        }
        Ok(objects)
    }
}

impl Traffic for TrafficService {
    fn objects(
        &self,
        namespace: &str,
        viewer: Option<&Viewer>,
    ) -> Result<NamespaceObjects, TrafficError> {
        let objects = self.ready_objects()?;
        let labels = viewer
            .and_then(|viewer| self.access.snapshot().usable_namespace(viewer, namespace))
            .ok_or_else(|| TrafficError::Namespace(namespace.to_owned()))?;
        let mut pods: Vec<PodInfo> = objects
            .pods_in(&[namespace])
            .iter()
            .filter_map(|pod| PodInfo::from_pod(pod))
            .collect();
        pods.sort_by(|a, b| a.name.cmp(&b.name));
        let mut policies: Vec<_> = objects
            .policies_in(&[namespace])
            .iter()
            .map(|policy| (**policy).clone())
            .collect();
        policies.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        Ok(NamespaceObjects {
            namespace: NamespaceInfo {
                name: namespace.to_owned(),
                labels,
            },
            pods,
            policies,
        })
    }

    fn read_manifests(&self, text: &str) -> Result<Vec<serde_json::Value>, String> {
        crate::preflight::manifests::read(text)
            .map(|documents| {
                documents
                    .into_iter()
                    .map(|document| document.value)
                    .collect()
            })
            .map_err(|error| error.to_string())
    }

    fn check(
        &self,
        namespace: &str,
        connection: &Connection,
        viewer: Option<&Viewer>,
    ) -> Result<Answer, TrafficError> {
        let objects = self.ready_objects()?;
        let snapshot = self.access.snapshot();
        let usable = |name: &str| {
            viewer
                .and_then(|viewer| snapshot.usable_namespace(viewer, name))
                .ok_or_else(|| TrafficError::Namespace(name.to_owned()))
        };
        // The namespace asked in first, so a question about another team's namespace is
        // refused in the same words whether or not its Pods exist.
        usable(namespace)?;
        let ends = namespaces_of(connection);
        let mut namespaces = Vec::with_capacity(ends.len());
        for name in &ends {
            namespaces.push(NamespaceInfo {
                name: (*name).to_owned(),
                labels: usable(name)?,
            });
        }
        let pods: Vec<PodInfo> = objects
            .pods_in(&ends)
            .iter()
            .filter_map(|pod| PodInfo::from_pod(pod))
            .collect();
        let policies = objects.policies_in(&ends);
        TrafficModel::new(policies, namespaces, pods)
            .check(connection)
            .map_err(TrafficError::Connection)
    }
}
