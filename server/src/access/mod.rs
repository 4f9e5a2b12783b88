//! The access view's adapter: the cluster's access RoleBindings and its namespaces, kept in
//! memory by kube-runtime reflectors, so pages read a snapshot and never wait on the API server,
//! which is watched, not polled per page view.
//!
//! One watcher per configured RoleBinding name (a field selector on `metadata.name`, so the
//! portal never holds the cluster's other RoleBindings) and one metadata-only watcher on
//! Namespaces (names and labels). Every change wakes a task that rebuilds the [`AccessSnapshot`] the pages read.
//! When the API server stops answering, the watchers retry with backoff, the last snapshot stays
//! in place and [`ClusterStatus::Unreachable`] says since when; on reconnect the watchers list
//! everything again and the snapshot catches up.
//!
//! The caller hands in the [`kube::Client`], so the portal can share one client between the
//! access view and namespace provisioning.

/// `GET /admin/access.csv`.
pub mod csv;

use app::domain::access::{AccessSnapshot, Binding, Subject, SubjectKind, SubjectPrefixes};
use app::features::access::model::ClusterStatus;
use app::ports::AccessView;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use k8s_openapi::api::{core::v1::Namespace, rbac::v1::RoleBinding};
use kube::{
    Api,
    core::PartialObjectMeta,
    runtime::{
        WatchStreamExt,
        reflector::{self, Store},
        watcher::{self, Event},
    },
};
use std::{
    sync::{Arc, Mutex, PoisonError, RwLock},
    time::Duration,
};
use tokio::{sync::Notify, task::JoinHandle};

pub use app::domain::access::AccessSettings;

/// How long the rebuild waits after a change for more changes, so a burst (the initial list, a
/// re-list after an outage) rebuilds the snapshot once instead of once per object.
const DEBOUNCE: Duration = Duration::from_millis(50);

/// Which watchers have finished their first list, and which are failing since when.
#[derive(Debug, Default)]
struct Health {
    synced: Vec<bool>,
    failing_since: Vec<Option<DateTime<Utc>>>,
    /// Whether a snapshot was built after every watcher had listed once: until then the
    /// snapshot readers see may still be the empty first one, so the view is not connected yet.
    built_after_sync: bool,
}

impl Health {
    fn status(&self) -> ClusterStatus {
        if let Some(since) = self.failing_since.iter().flatten().min() {
            ClusterStatus::Unreachable {
                since: since.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            }
        } else if self.built_after_sync && self.synced.iter().all(|synced| *synced) {
            ClusterStatus::Connected
        } else {
            ClusterStatus::Starting
        }
    }
}

#[derive(Debug)]
struct Shared {
    snapshot: RwLock<Arc<AccessSnapshot>>,
    health: Mutex<Health>,
    changed: Notify,
    primary_binding: String,
}

impl Shared {
    fn answered(&self, source: usize, synced: bool) {
        let mut health = self.health.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(since) = health.failing_since[source].take() {
            tracing::info!(%since, "the cluster answers again; catching up");
        }
        if synced {
            health.synced[source] = true;
        }
        let connected = health.failing_since.iter().all(Option::is_none);
        crate::metrics::cluster_watch(connected, true);
    }

    /// Whether every watcher has listed once.
    fn all_synced(&self) -> bool {
        let health = self.health.lock().unwrap_or_else(PoisonError::into_inner);
        health.synced.iter().all(|synced| *synced)
    }

    /// A snapshot built from every watcher's first list is now what readers see.
    fn built_after_sync(&self) {
        self.health
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .built_after_sync = true;
    }

    fn any_failing(&self) -> bool {
        let health = self.health.lock().unwrap_or_else(PoisonError::into_inner);
        health.failing_since.iter().any(Option::is_some)
    }

    /// The API server answers again: every watcher's failure is over.
    fn recovered(&self) {
        let mut health = self.health.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(since) = health.failing_since.iter().flatten().min() {
            tracing::info!(%since, "the cluster answers again; catching up");
        }
        health
            .failing_since
            .iter_mut()
            .for_each(|since| *since = None);
        crate::metrics::cluster_watch(true, false);
    }

    fn failed(&self, source: usize, error: &watcher::Error) {
        let mut health = self.health.lock().unwrap_or_else(PoisonError::into_inner);
        if health.failing_since[source].is_none() {
            tracing::warn!(error = %error, "the cluster stopped answering; serving the last known access state");
            health.failing_since[source] = Some(Utc::now());
            crate::metrics::cluster_watch(false, false);
        } else {
            tracing::debug!(error = %error, "the cluster still does not answer");
        }
    }
}

/// The running access view: its watchers and the snapshot they keep current. Dropping it (or
/// [`AccessCache::stop`]) stops the watchers.
#[derive(Debug)]
pub struct AccessCache {
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

impl AccessCache {
    /// Starts watching the cluster with `client`; must be called inside a Tokio runtime.
    pub fn spawn(client: kube::Client, settings: &AccessSettings) -> Self {
        let sources = settings.binding_names.len() + 1;
        let shared = Arc::new(Shared {
            snapshot: RwLock::new(Arc::new(AccessSnapshot::default())),
            health: Mutex::new(Health {
                synced: vec![false; sources],
                failing_since: vec![None; sources],
                built_after_sync: false,
            }),
            changed: Notify::new(),
            primary_binding: settings.binding_names.first().cloned().unwrap_or_default(),
        });
        let mut tasks = Vec::with_capacity(sources + 1);

        let (namespaces, writer) = reflector::store::<PartialObjectMeta<Namespace>>();
        // `Api<PartialObjectMeta<_>>` makes metadata-only requests: names, not whole objects.
        let stream = watcher::watcher(
            Api::<PartialObjectMeta<Namespace>>::all(client.clone()),
            watcher::Config::default(),
        )
        .modify(|namespace| {
            // The name and the labels (Pod Security levels, Gatekeeper's namespace selectors,
            // for preflight) are needed; the rest would only take memory.
            namespace.metadata.managed_fields = None;
            namespace.metadata.annotations = None;
        })
        .default_backoff()
        .reflect(writer);
        tasks.push(tokio::spawn(drive(stream, 0, shared.clone())));

        let mut bindings = Vec::with_capacity(settings.binding_names.len());
        for (index, name) in settings.binding_names.iter().enumerate() {
            let (reader, writer) = reflector::store::<RoleBinding>();
            let stream = watcher::watcher(
                Api::<RoleBinding>::all(client.clone()),
                watcher::Config::default().fields(&format!("metadata.name={name}")),
            )
            .modify(|binding| {
                binding.metadata.managed_fields = None;
                binding.metadata.annotations = None;
                binding.metadata.labels = None;
            })
            .default_backoff()
            .reflect(writer);
            tasks.push(tokio::spawn(drive(stream, index + 1, shared.clone())));
            bindings.push(reader);
        }

        // A watch that resumes after an outage says nothing until something changes, so its
        // watcher cannot tell us it is back. While any watcher is failing, ask the API server
        // for its version every two seconds; when it answers, the failures are over (a watcher
        // that still cannot reach it reports a new failure on its next attempt).
        let probe_shared = shared.clone();
        let probe_client = client.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(2)).await;
                if !probe_shared.any_failing() {
                    continue;
                }
                if probe_client.apiserver_version().await.is_ok() {
                    probe_shared.recovered();
                }
            }
        }));

        let prefixes = settings.prefixes.clone();
        let rebuild_shared = shared.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                rebuild_shared.changed.notified().await;
                tokio::time::sleep(DEBOUNCE).await;
                let synced = rebuild_shared.all_synced();
                let snapshot = Arc::new(build_snapshot(
                    &namespaces,
                    &bindings,
                    &prefixes,
                    &rebuild_shared.primary_binding,
                ));
                *rebuild_shared
                    .snapshot
                    .write()
                    .unwrap_or_else(PoisonError::into_inner) = snapshot;
                if synced {
                    rebuild_shared.built_after_sync();
                }
            }
        }));
        Self { shared, tasks }
    }

    /// The port the pages read.
    pub fn view(&self) -> Arc<dyn AccessView> {
        Arc::new(CacheView(self.shared.clone()))
    }

    /// Stops the watchers; the last snapshot stays readable.
    pub fn stop(&mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }
}

impl Drop for AccessCache {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Follows one watcher, recording whether the API server answers and waking the rebuild.
async fn drive<K>(
    stream: impl Stream<Item = watcher::Result<Event<K>>> + Send,
    source: usize,
    shared: Arc<Shared>,
) {
    let mut stream = std::pin::pin!(stream);
    while let Some(item) = stream.next().await {
        match item {
            Ok(event) => {
                shared.answered(source, matches!(event, Event::InitDone));
                if matches!(event, Event::InitDone | Event::Apply(_) | Event::Delete(_)) {
                    shared.changed.notify_one();
                }
            }
            Err(error) => shared.failed(source, &error),
        }
    }
}

/// A snapshot of what the reflectors hold now.
pub fn build_snapshot(
    namespaces: &Store<PartialObjectMeta<Namespace>>,
    bindings: &[Store<RoleBinding>],
    prefixes: &SubjectPrefixes,
    primary_binding: &str,
) -> AccessSnapshot {
    let namespaces = namespaces.state();
    AccessSnapshot::new(
        namespaces
            .iter()
            .filter_map(|namespace| namespace.metadata.name.clone()),
        bindings
            .iter()
            .flat_map(Store::state)
            .filter_map(|binding| to_binding(&binding)),
        prefixes.clone(),
        primary_binding,
    )
    .with_labels(namespaces.iter().filter_map(|namespace| {
        Some((
            namespace.metadata.name.clone()?,
            namespace.metadata.labels.clone().unwrap_or_default(),
        ))
    }))
}

/// A RoleBinding in the domain's terms. A ServiceAccount subject without a namespace is in the
/// binding's own namespace, as Kubernetes reads it.
pub fn to_binding(binding: &RoleBinding) -> Option<Binding> {
    let namespace = binding.metadata.namespace.clone()?;
    let subjects = binding
        .subjects
        .iter()
        .flatten()
        .filter_map(|subject| {
            let kind = SubjectKind::parse(&subject.kind)?;
            Some(Subject {
                kind,
                name: subject.name.clone(),
                namespace: (kind == SubjectKind::ServiceAccount)
                    .then(|| subject.namespace.clone().unwrap_or(namespace.clone())),
            })
        })
        .collect();
    Some(Binding {
        name: binding.metadata.name.clone()?,
        namespace,
        role_kind: binding.role_ref.kind.clone(),
        role_name: binding.role_ref.name.clone(),
        subjects,
    })
}

#[derive(Debug)]
struct CacheView(Arc<Shared>);

impl AccessView for CacheView {
    fn snapshot(&self) -> Arc<AccessSnapshot> {
        self.0
            .snapshot
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn cluster_status(&self) -> ClusterStatus {
        self.0
            .health
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .status()
    }

    fn primary_binding(&self) -> String {
        self.0.primary_binding.clone()
    }
}

/// The access view without a cluster: nothing to show, and the pages say why.
#[derive(Debug)]
pub struct NoCluster {
    pub primary_binding: String,
}

impl AccessView for NoCluster {
    fn snapshot(&self) -> Arc<AccessSnapshot> {
        Arc::new(AccessSnapshot::default())
    }

    fn cluster_status(&self) -> ClusterStatus {
        ClusterStatus::NotConfigured
    }

    fn primary_binding(&self) -> String {
        self.primary_binding.clone()
    }
}

/// The groups users carried at login, read for the access pages from the store the login
/// handler writes to.
#[derive(Debug, Clone)]
pub struct GroupsSeenAtLogin(pub Arc<dyn crate::store::SeenGroupStore>);

#[async_trait]
impl app::ports::GroupsSeen for GroupsSeenAtLogin {
    async fn names(&self) -> Result<std::collections::HashSet<String>, String> {
        let groups = self
            .0
            .seen_groups()
            .await
            .map_err(|error| error.to_string())?;
        Ok(groups.into_iter().map(|group| group.name).collect())
    }
}

#[cfg(test)]
mod tests;
