//! The cluster's Pods and NetworkPolicies, watched, so a traffic check reads memory and never
//! waits on the API server.
//!
//! A Pod is kept only as far as the engine reads it: its name, namespace, labels and the ports
//! its containers declare (status, volumes, environment and the rest are dropped as they
//! arrive), so a cluster's thousands of Pods take little room. The check reads the stores as
//! they are; there is nothing to rebuild. When the API server stops answering, the watchers
//! retry with backoff and the objects as last read stay in use.

use futures::{Stream, StreamExt};
use k8s_openapi::api::{
    core::v1::{Container, Pod, PodSpec},
    networking::v1::NetworkPolicy,
};
use kube::{
    Api,
    runtime::{
        WatchStreamExt,
        reflector::{self, Store},
        watcher::{self, Event},
    },
};
use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};
use tokio::task::JoinHandle;

/// The running watches and what they hold. Dropping it (or [`TrafficCache::stop`]) stops them.
#[derive(Debug)]
pub struct TrafficCache {
    objects: LiveObjects,
    tasks: Vec<JoinHandle<()>>,
}

/// A handle on the watched objects, for the checks.
#[derive(Debug, Clone)]
pub struct LiveObjects {
    pods: Store<Pod>,
    policies: Store<NetworkPolicy>,
    pods_listed: Arc<AtomicBool>,
    policies_listed: Arc<AtomicBool>,
    /// The API server refuses the portal's list or watch (403): set until a read succeeds.
    pods_refused: Arc<AtomicBool>,
    policies_refused: Arc<AtomicBool>,
}

impl LiveObjects {
    /// These objects and no watch (benchmarks, and tests without a cluster): listed, and
    /// trimmed as a watch trims them.
    pub fn fixed(pods: Vec<Pod>, policies: Vec<NetworkPolicy>) -> Self {
        let (pod_store, mut pod_writer) = reflector::store::<Pod>();
        for mut pod in pods {
            trimmed(&mut pod);
            pod_writer.apply_watcher_event(&Event::Apply(pod));
        }
        let (policy_store, mut policy_writer) = reflector::store::<NetworkPolicy>();
        for policy in policies {
            policy_writer.apply_watcher_event(&Event::Apply(policy));
        }
        Self {
            pods: pod_store,
            policies: policy_store,
            pods_listed: Arc::new(AtomicBool::new(true)),
            policies_listed: Arc::new(AtomicBool::new(true)),
            pods_refused: Arc::default(),
            policies_refused: Arc::default(),
        }
    }

    /// The kinds the API server refuses to let the portal read (`pods`, `networkpolicies`), as
    /// its last answer said; empty when both are read.
    pub fn refused(&self) -> Vec<&'static str> {
        [
            ("pods", &self.pods_refused),
            ("networkpolicies", &self.policies_refused),
        ]
        .into_iter()
        .filter(|(_, refused)| refused.load(Ordering::Acquire))
        .map(|(kind, _)| kind)
        .collect()
    }

    /// Whether both kinds have been listed once.
    pub fn ready(&self) -> bool {
        self.pods_listed.load(Ordering::Acquire) && self.policies_listed.load(Ordering::Acquire)
    }

    /// The Pods of `namespaces`, as the cluster holds them now (trimmed).
    pub fn pods_in(&self, namespaces: &[&str]) -> Vec<Arc<Pod>> {
        in_namespaces(&self.pods, namespaces)
    }

    /// The NetworkPolicies of `namespaces`.
    pub fn policies_in(&self, namespaces: &[&str]) -> Vec<Arc<NetworkPolicy>> {
        in_namespaces(&self.policies, namespaces)
    }
}

fn in_namespaces<K>(store: &Store<K>, namespaces: &[&str]) -> Vec<Arc<K>>
where
    K: kube::Resource<DynamicType = ()> + Clone + 'static,
{
    store
        .state()
        .into_iter()
        .filter(|object| {
            object
                .meta()
                .namespace
                .as_deref()
                .is_some_and(|namespace| namespaces.contains(&namespace))
        })
        .collect()
}

/// A Pod as the engine reads it: metadata without annotations, managed fields and owners, and
/// of the spec only each container's name and ports.
fn trimmed(pod: &mut Pod) {
    pod.metadata.managed_fields = None;
    pod.metadata.annotations = None;
    pod.metadata.owner_references = None;
    pod.status = None;
    if let Some(spec) = pod.spec.take() {
        pod.spec = Some(PodSpec {
            containers: spec
                .containers
                .into_iter()
                .map(|container| Container {
                    name: container.name,
                    ports: container.ports,
                    ..Container::default()
                })
                .collect(),
            ..PodSpec::default()
        });
    }
}

impl TrafficCache {
    /// Starts watching with `client`; must be called inside a Tokio runtime.
    pub fn spawn(client: kube::Client) -> Self {
        let (pods, pod_writer) = reflector::store::<Pod>();
        let (policies, policy_writer) = reflector::store::<NetworkPolicy>();
        let objects = LiveObjects {
            pods,
            policies,
            pods_listed: Arc::default(),
            policies_listed: Arc::default(),
            pods_refused: Arc::default(),
            policies_refused: Arc::default(),
        };
        let pod_stream =
            watcher::watcher(Api::<Pod>::all(client.clone()), watcher::Config::default())
                .modify(trimmed)
                .default_backoff()
                .reflect(pod_writer);
        let policy_stream = watcher::watcher(
            Api::<NetworkPolicy>::all(client),
            watcher::Config::default(),
        )
        .modify(|policy| {
            policy.metadata.managed_fields = None;
            policy.metadata.annotations = None;
        })
        .default_backoff()
        .reflect(policy_writer);
        let tasks = vec![
            tokio::spawn(drive(
                pod_stream,
                "pods",
                objects.pods_listed.clone(),
                objects.pods_refused.clone(),
            )),
            tokio::spawn(drive(
                policy_stream,
                "networkpolicies",
                objects.policies_listed.clone(),
                objects.policies_refused.clone(),
            )),
        ];
        Self { objects, tasks }
    }

    /// The objects the checks read.
    pub fn objects(&self) -> LiveObjects {
        self.objects.clone()
    }

    /// Stops the watchers; the objects as last read stay readable.
    pub fn stop(&mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }
}

impl Drop for TrafficCache {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Follows one watcher; `listed` once its first list is done, `refused` while the API server
/// answers 403 (the portal's RBAC lacks the kind), so the check can say so instead of waiting.
async fn drive<K>(
    stream: impl Stream<Item = watcher::Result<Event<K>>> + Send,
    what: &'static str,
    listed: Arc<AtomicBool>,
    refused: Arc<AtomicBool>,
) {
    let mut stream = std::pin::pin!(stream);
    while let Some(item) = stream.next().await {
        match item {
            Ok(event) => {
                refused.store(false, Ordering::Release);
                if matches!(event, Event::InitDone) {
                    listed.store(true, Ordering::Release);
                }
            }
            Err(error) => {
                if is_forbidden(&error) {
                    refused.store(true, Ordering::Release);
                }
                tracing::warn!(%what, error = %error, "the traffic check's watch is failing; it keeps the objects as last read")
            }
        }
    }
}

/// Whether the API server refused the read for lack of permission.
fn is_forbidden(error: &watcher::Error) -> bool {
    match error {
        watcher::Error::InitialListFailed(kube::Error::Api(status))
        | watcher::Error::WatchStartFailed(kube::Error::Api(status))
        | watcher::Error::WatchFailed(kube::Error::Api(status))
        | watcher::Error::WatchError(status) => status.code == 403,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pod_keeps_its_labels_and_ports_and_loses_the_rest() {
        let mut pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": { "name": "api", "namespace": "shop", "labels": { "app": "api" },
                          "annotations": { "big": "x" } },
            "spec": {
                "containers": [{ "name": "api", "image": "api:1", "env": [{ "name": "A", "value": "1" }],
                                 "ports": [{ "name": "http", "containerPort": 8080 }] }],
                "volumes": [{ "name": "data", "emptyDir": {} }]
            },
            "status": { "phase": "Running", "podIP": "10.0.0.7" }
        }))
        .expect("a Pod");
        trimmed(&mut pod);
        let kept = serde_json::to_value(&pod).expect("JSON");
        assert_eq!(
            kept,
            serde_json::json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": { "name": "api", "namespace": "shop", "labels": { "app": "api" } },
                "spec": { "containers": [{ "name": "api",
                                           "ports": [{ "name": "http", "containerPort": 8080 }] }] }
            })
        );
    }
}
