//! The cluster's Gatekeeper rules, kept current by watching: every `ConstraintTemplate`, and the
//! constraints of each template's kind, so a preflight check reads a compiled snapshot and never
//! waits on the API server.
//!
//! Constraint kinds are not known in advance: each template makes one (Gatekeeper creates its
//! CRD under `constraints.gatekeeper.sh`). The templates' watcher wakes a task that starts a
//! watcher for each new kind and stops those of kinds that went away, then compiles the rules
//! again. A cluster without Gatekeeper answers 404 for the templates; the answer then says it
//! has no such rules. When the API server stops answering, the last rules stay in use and the
//! answer says since when.
//!
//! The kinds Gatekeeper syncs into its inventory (its `Config` and `SyncSet`s say which) are
//! followed the same way: each newly synced kind is looked up in the API server's discovery and
//! watched, so a rule that reads the inventory sees what Gatekeeper sees.

use super::gatekeeper::mutation::{self, Mutator};
use super::gatekeeper::{
    Constraint, ConstraintReport, ConstraintTemplate, EnforcementAction, NO_INVENTORY, Outcome,
    Review, Rules,
};
use super::inventory::{Held, Inventory, SyncedKind};
use app::domain::preflight::rules::{
    AppliedMutation, AuditViolation, ClusterRules, Mutated, NamespaceAudit, RuleAction,
    RuleFinding, RuleOutcome, RulesStatus, Target,
};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use kube::{
    Api,
    api::{ApiResource, DynamicObject, GroupVersionKind},
    runtime::{
        WatchStreamExt,
        reflector::{self, Store},
        watcher::{self, Event},
    },
};
use serde_json::Value;
use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, PoisonError, RwLock},
    time::Duration,
};
use tokio::{sync::Notify, task::JoinHandle};

/// How long a rebuild waits after a change for more, so a burst compiles once.
const DEBOUNCE: Duration = Duration::from_millis(100);

/// Gatekeeper's templates.
fn template_resource() -> ApiResource {
    ApiResource {
        group: "templates.gatekeeper.sh".into(),
        version: "v1".into(),
        api_version: "templates.gatekeeper.sh/v1".into(),
        kind: "ConstraintTemplate".into(),
        plural: "constrainttemplates".into(),
    }
}

/// A resource of `group/version` named `plural`.
fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource {
        group: group.into(),
        version: version.into(),
        api_version: if group.is_empty() {
            version.into()
        } else {
            format!("{group}/{version}")
        },
        kind: kind.into(),
        plural: plural.into(),
    }
}

/// A watched kind besides the templates and constraints: its store, and whether its first list
/// is done (or the cluster does not serve the kind at all, which means there are none).
#[derive(Debug, Clone)]
struct Followed {
    store: Store<DynamicObject>,
    ready: Arc<std::sync::atomic::AtomicBool>,
    /// Why the objects cannot be read now (the portal may not read them), for the answer.
    problem: Arc<Mutex<Option<String>>>,
}

impl Followed {
    fn start(
        client: &kube::Client,
        resource: ApiResource,
        shared: &Arc<Shared>,
        tasks: &mut Vec<JoinHandle<()>>,
    ) -> Self {
        let what = resource.plural.clone();
        let (store, stream) = watch_all(client, resource, Keep::Annotations);
        let followed = Self {
            store,
            ready: Arc::default(),
            problem: Arc::default(),
        };
        tasks.push(tokio::spawn(drive_followed(
            stream,
            what,
            followed.clone(),
            shared.clone(),
        )));
        followed
    }

    /// Follows a kind Gatekeeper syncs: its resource is looked up in discovery first (a kind
    /// the cluster does not serve has no objects, in Gatekeeper's inventory too), and its
    /// objects are kept whole, as Gatekeeper keeps them.
    fn start_synced(
        client: &kube::Client,
        kind: &SyncedKind,
        shared: &Arc<Shared>,
    ) -> (Self, JoinHandle<()>) {
        let gvk = GroupVersionKind::gvk(&kind.group, &kind.version, &kind.kind);
        let writer = reflector::store::Writer::<DynamicObject>::new(ApiResource::from_gvk(&gvk));
        let followed = Self {
            store: writer.as_reader(),
            ready: Arc::default(),
            problem: Arc::default(),
        };
        let (client, shared, what) = (client.clone(), shared.clone(), kind.to_string());
        let task = {
            let followed = followed.clone();
            tokio::spawn(async move {
                let resource = loop {
                    match kube::discovery::pinned_kind(&client, &gvk).await {
                        Ok((resource, _)) => break resource,
                        Err(kube::Error::Api(status)) if status.code == 404 => {
                            followed.set_ready_and_empty(&shared);
                            return;
                        }
                        Err(kube::Error::Discovery(_)) => {
                            followed.set_ready_and_empty(&shared);
                            return;
                        }
                        Err(error) => {
                            tracing::debug!(%what, error = %error, "discovery not answering now");
                            tokio::time::sleep(Duration::from_secs(2)).await;
                        }
                    }
                };
                let stream = watch_with(&client, &resource, Keep::Everything).reflect(writer);
                drive_followed(stream, what, followed, shared).await;
            })
        };
        (followed, task)
    }

    fn set_ready_and_empty(&self, shared: &Shared) {
        if !self.ready.swap(true, std::sync::atomic::Ordering::AcqRel) {
            shared.changed.notify_one();
        }
    }

    /// What the inventory holds of this kind now.
    fn held(&self) -> Held {
        if let Some(problem) = self
            .problem
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
        {
            return Held::Unknown(problem);
        }
        self.objects()
            .map_or_else(|| Held::Unknown("not read yet".into()), Held::Objects)
    }

    /// The objects, once the first list is done.
    fn objects(&self) -> Option<Vec<Value>> {
        if !self.ready.load(std::sync::atomic::Ordering::Acquire) {
            return None;
        }
        let mut objects: Vec<Value> = self
            .store
            .state()
            .iter()
            .filter_map(|object| serde_json::to_value(object.as_ref()).ok())
            .collect();
        objects.sort_by(|a, b| {
            let key = |v: &Value| {
                (
                    v["metadata"]["namespace"].to_string(),
                    v["metadata"]["name"].to_string(),
                )
            };
            key(a).cmp(&key(b))
        });
        Some(objects)
    }
}

/// What the checks need besides templates and constraints: the NetworkPolicies and what
/// Gatekeeper syncs (its inventory).
#[derive(Debug, Clone)]
struct Others {
    networkpolicies: Followed,
    configs: Followed,
    syncsets: Followed,
    /// `Assign`, `AssignMetadata`, `ModifySet` and `AssignImage` (which is not applied here).
    mutators: Vec<(&'static str, Followed)>,
}

impl Others {
    fn start(client: &kube::Client, shared: &Arc<Shared>, tasks: &mut Vec<JoinHandle<()>>) -> Self {
        Self {
            networkpolicies: Followed::start(
                client,
                resource(
                    "networking.k8s.io",
                    "v1",
                    "NetworkPolicy",
                    "networkpolicies",
                ),
                shared,
                tasks,
            ),
            configs: Followed::start(
                client,
                resource("config.gatekeeper.sh", "v1alpha1", "Config", "configs"),
                shared,
                tasks,
            ),
            syncsets: Followed::start(
                client,
                resource("syncset.gatekeeper.sh", "v1alpha1", "SyncSet", "syncsets"),
                shared,
                tasks,
            ),
            mutators: [
                ("Assign", "assign"),
                ("AssignMetadata", "assignmetadata"),
                ("ModifySet", "modifyset"),
                ("AssignImage", "assignimage"),
            ]
            .into_iter()
            .map(|(kind, plural)| {
                let resource = resource("mutations.gatekeeper.sh", "v1", kind, plural);
                (kind, Followed::start(client, resource, shared, tasks))
            })
            .collect(),
        }
    }

    /// The mutators as read now, with those that cannot be read added to `unreadable`; `Err`
    /// until every kind has been listed once.
    fn mutators(&self, unreadable: &mut Vec<String>) -> Result<Vec<Mutator>, String> {
        let mut mutators = Vec::new();
        for (kind, followed) in &self.mutators {
            let objects = followed.objects().ok_or_else(|| {
                "The cluster's Gatekeeper mutators are still being read: what they change is not part of this answer yet.".to_owned()
            })?;
            for mut object in objects {
                // Items of a list carry no kind; the watcher's resource says it.
                object["kind"] = Value::String((*kind).to_owned());
                object["apiVersion"] = Value::String("mutations.gatekeeper.sh/v1".into());
                match Mutator::from_value(&object) {
                    Ok(mutator) => mutators.push(mutator),
                    Err(problem) => unreadable.push(problem.to_string()),
                }
            }
        }
        Ok(mutators)
    }

    /// The kinds Gatekeeper syncs now; `None` until its Config and SyncSets are read.
    fn synced(&self) -> Option<std::collections::BTreeSet<SyncedKind>> {
        Some(super::inventory::synced_kinds(
            &self.configs.objects()?,
            &self.syncsets.objects()?,
        ))
    }

    /// `data.inventory` as Gatekeeper holds it now (`synced` watching the kinds it syncs
    /// besides NetworkPolicies), or why it is not known.
    fn inventory(&self, synced: &SyncedWatches) -> Result<Inventory, String> {
        let kinds = self.synced().ok_or_else(|| {
            "its rule reads the objects Gatekeeper syncs (data.inventory), which the portal has not read yet".to_owned()
        })?;
        super::inventory::inventory(&kinds, |kind| {
            if *kind == SyncedKind::networkpolicy() {
                self.networkpolicies.held()
            } else {
                synced
                    .get(kind)
                    .map_or_else(|| Held::Unknown("not read yet".into()), |(f, _)| f.held())
            }
        })
    }
}

/// The watches of the kinds Gatekeeper syncs besides NetworkPolicies (always followed).
type SyncedWatches = BTreeMap<SyncedKind, (Followed, Task)>;

/// A spawned task that stops when dropped, so a map of watches stops them all with it.
#[derive(Debug)]
struct Task(JoinHandle<()>);

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts a watch for each kind Gatekeeper now syncs and stops those it no longer does.
fn follow_synced(
    others: &Others,
    watches: &mut SyncedWatches,
    client: &kube::Client,
    shared: &Arc<Shared>,
) {
    let Some(mut kinds) = others.synced() else {
        return;
    };
    kinds.remove(&SyncedKind::networkpolicy());
    watches.retain(|kind, _| kinds.contains(kind));
    for kind in kinds {
        if let std::collections::btree_map::Entry::Vacant(entry) = watches.entry(kind) {
            let (followed, task) = Followed::start_synced(client, entry.key(), shared);
            entry.insert((followed, Task(task)));
        }
    }
}

/// The constraints of one kind: Gatekeeper names the resource by the kind in lower case.
fn constraint_resource(kind: &str) -> ApiResource {
    ApiResource {
        group: "constraints.gatekeeper.sh".into(),
        version: "v1beta1".into(),
        api_version: "constraints.gatekeeper.sh/v1beta1".into(),
        kind: kind.into(),
        plural: kind.to_ascii_lowercase(),
    }
}

/// The compiled rules and how current they are: what a check reads.
#[derive(Debug, Clone)]
pub struct RulesSnapshot {
    rules: Arc<Rules>,
    /// Gatekeeper's mutators (`Assign`, `AssignMetadata`, `ModifySet`), or why they are not
    /// known yet.
    mutators: Arc<Result<Vec<Mutator>, String>>,
    status: RulesStatus,
    /// Templates or constraints that could not be read, as `what: problem`.
    unreadable: Arc<Vec<String>>,
    /// Gatekeeper's audit, from the constraints' status: violations by namespace.
    audit: Arc<Audit>,
    /// Gatekeeper's inventory as the rules read it, or why it is not known.
    inventory: Arc<Result<Inventory, String>>,
    /// Every NetworkPolicy of the cluster as watched, for the portal's advice; `None` until
    /// they are read.
    networkpolicies: Arc<Option<Vec<Value>>>,
}

/// The constraints' audit results, by namespace.
#[derive(Debug, Default)]
struct Audit {
    by_namespace: BTreeMap<String, Vec<AuditViolation>>,
    /// Constraints whose status lists fewer violations than `totalViolations`.
    incomplete: Vec<String>,
}

impl Audit {
    /// Reads `status.violations` and `status.totalViolations` of one constraint.
    fn add(&mut self, kind: &str, constraint: &Value) {
        let name = constraint["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let status = &constraint["status"];
        let listed = status["violations"].as_array().cloned().unwrap_or_default();
        if status["totalViolations"]
            .as_u64()
            .is_some_and(|total| total > listed.len() as u64)
        {
            self.incomplete.push(name.clone());
        }
        for violation in listed {
            let text = |key: &str| violation[key].as_str().unwrap_or_default().to_owned();
            let namespace = text("namespace");
            if namespace.is_empty() {
                continue;
            }
            self.by_namespace
                .entry(namespace)
                .or_default()
                .push(AuditViolation {
                    kind: kind.to_owned(),
                    constraint: name.clone(),
                    action: text("enforcementAction"),
                    object_kind: text("kind"),
                    object_name: text("name"),
                    message: text("message"),
                });
        }
    }
}

impl RulesSnapshot {
    /// No rules, for the reason `status` gives.
    pub fn empty(status: RulesStatus) -> Self {
        Self {
            rules: Arc::new(Rules::new(&[], Vec::new())),
            mutators: Arc::new(Ok(Vec::new())),
            status,
            unreadable: Arc::default(),
            audit: Arc::default(),
            inventory: Arc::new(Err(NO_INVENTORY.to_owned())),
            networkpolicies: Arc::new(None),
        }
    }

    /// `rules` as read now (tests, and the cache below).
    pub fn current(
        templates: &[ConstraintTemplate],
        constraints: Vec<Constraint>,
        status: RulesStatus,
    ) -> Self {
        Self {
            rules: Arc::new(Rules::new(templates, constraints)),
            mutators: Arc::new(Ok(Vec::new())),
            status,
            unreadable: Arc::default(),
            audit: Arc::default(),
            inventory: Arc::new(Err(NO_INVENTORY.to_owned())),
            networkpolicies: Arc::new(None),
        }
    }

    /// What Gatekeeper's audit found in `namespace`.
    pub fn audit(&self, namespace: &str) -> NamespaceAudit {
        let mut violations = self
            .audit
            .by_namespace
            .get(namespace)
            .cloned()
            .unwrap_or_default();
        violations.sort_by(|a, b| {
            (&a.constraint, &a.object_kind, &a.object_name, &a.message).cmp(&(
                &b.constraint,
                &b.object_kind,
                &b.object_name,
                &b.message,
            ))
        });
        NamespaceAudit {
            status: self.status.clone(),
            violations,
            incomplete: self.audit.incomplete.clone(),
        }
    }

    /// The templates and constraints that could not be read.
    pub fn unreadable(&self) -> &[String] {
        &self.unreadable
    }
}

impl RulesSnapshot {
    /// The same rules with these mutators (tests; the cache sets them as it reads them).
    pub fn with_mutators(mut self, mutators: Vec<Mutator>) -> Self {
        self.mutators = Arc::new(Ok(mutators));
        self
    }

    /// The same rules with these NetworkPolicies in the cluster, for the advice (tests; the
    /// cache keeps what it watches).
    pub fn with_networkpolicies(mut self, policies: Vec<Value>) -> Self {
        self.networkpolicies = Arc::new(Some(policies));
        self
    }

    /// The same rules with Gatekeeper's inventory (tests; the cache builds it from what it
    /// watches).
    pub fn with_inventory(mut self, inventory: Inventory) -> Self {
        self.set_inventory(Ok(inventory));
        self
    }

    fn set_inventory(&mut self, inventory: Result<Inventory, String>) {
        let value = inventory
            .as_ref()
            .map(|held| held.value.clone())
            .map_err(Clone::clone);
        self.rules = Arc::new(Rules::clone(&self.rules).with_inventory(value));
        self.inventory = Arc::new(inventory);
    }
}

/// What the mutators do to `review`, in the domain's words.
fn mutated(mutators: &[Mutator], review: &Review) -> Mutated {
    match mutation::mutate(mutators, review) {
        Ok(mutation) => {
            let applied: Vec<AppliedMutation> = mutation
                .applied
                .iter()
                .filter_map(|id| mutators.iter().rev().find(|mutator| mutator.id() == *id))
                .map(|mutator| AppliedMutation {
                    id: format!("gatekeeper/{}", mutator.id()),
                    kind: mutator.kind().as_str().to_owned(),
                    name: mutator.name().to_owned(),
                    location: mutator.location().to_owned(),
                })
                .collect();
            let not_checked = mutation
                .not_checked
                .iter()
                .map(|(id, reason)| {
                    format!(
                        "The mutator {id} could not be worked out here ({reason}): what it would change is not part of this answer."
                    )
                })
                .chain(mutation.conflicting.iter().map(|id| {
                    format!(
                        "The mutator {id} conflicts with another mutator's idea of the object's shape, so Gatekeeper applies neither."
                    )
                }))
                .collect();
            Mutated {
                object: (!applied.is_empty()).then_some(mutation.object),
                applied,
                not_checked,
            }
        }
        Err(error) => Mutated {
            object: None,
            applied: Vec::new(),
            not_checked: vec![format!(
                "Gatekeeper's mutating webhook would fail on this object ({error}); the API server then admits it unchanged or refuses it, as the webhook's failure policy says."
            )],
        },
    }
}

impl ClusterRules for RulesSnapshot {
    fn mutate(&self, object: &Value, target: Target<'_>) -> Mutated {
        let mutators = match self.mutators.as_ref() {
            Ok(mutators) if mutators.is_empty() => return Mutated::default(),
            Ok(mutators) => mutators,
            Err(reason) => {
                return Mutated {
                    not_checked: vec![reason.clone()],
                    ..Mutated::default()
                };
            }
        };
        let target = target.for_object(object);
        let mut review = Review::create(object.clone(), target.namespace);
        if let Some(labels) = target.labels {
            review = review.with_namespace_labels(labels.clone());
        }
        mutated(mutators, &review)
    }

    fn check(&self, object: &Value, target: Target<'_>) -> Vec<RuleFinding> {
        let target = target.for_object(object);
        let mut review = Review::create(object.clone(), target.namespace);
        if let Some(labels) = target.labels {
            review = review.with_namespace_labels(labels.clone());
        }
        self.rules
            .evaluate(&review)
            .into_iter()
            .map(finding)
            .collect()
    }

    fn status(&self) -> RulesStatus {
        self.status.clone()
    }

    fn unreadable(&self) -> Vec<String> {
        self.unreadable.to_vec()
    }

    fn networkpolicies(
        &self,
        namespace: &str,
    ) -> Option<Vec<k8s_openapi::api::networking::v1::NetworkPolicy>> {
        let objects = self.networkpolicies.as_ref().as_ref()?;
        Some(app::domain::preflight::advice::policies_of(
            objects, namespace,
        ))
    }

    fn with_objects(&self, objects: &[Value]) -> Option<Box<dyn ClusterRules>> {
        let Ok(held) = self.inventory.as_ref() else {
            return None;
        };
        let mut more = held.clone();
        for object in objects {
            more = more.with_networkpolicy(object)?;
        }
        let mut rules = self.clone();
        rules.set_inventory(Ok(more));
        Some(Box::new(rules))
    }
}

/// A constraint's report in the domain's words.
pub fn finding(report: ConstraintReport) -> RuleFinding {
    let action = report
        .enforcement_action
        .at_admission()
        .into_iter()
        .map(|action| match action {
            EnforcementAction::Deny => RuleAction::Deny,
            EnforcementAction::Warn => RuleAction::Warn,
            _ => RuleAction::Dryrun,
        })
        .max()
        .unwrap_or(RuleAction::Dryrun);
    let outcome = match report.outcome {
        Outcome::Checked(found) if found.is_empty() => RuleOutcome::Passes,
        Outcome::Checked(found) => RuleOutcome::Violated {
            messages: found
                .into_iter()
                .map(|violation| format!("[{}] {}", report.name, violation.msg))
                .collect(),
        },
        Outcome::NotChecked(reason) => RuleOutcome::NotChecked { reason },
    };
    RuleFinding {
        id: format!("gatekeeper/{}/{}", report.kind, report.name),
        kind: report.kind,
        name: report.name,
        action,
        outcome,
    }
}

/// Where the templates' watch stands.
#[derive(Debug, Clone, Default)]
enum Watch {
    #[default]
    Starting,
    /// The cluster serves no templates (404): no Gatekeeper.
    NotInstalled,
    Synced,
    /// Failing since then, after having synced (or not) before.
    Failing {
        since: DateTime<Utc>,
        synced: bool,
    },
}

#[derive(Debug)]
struct Shared {
    snapshot: RwLock<RulesSnapshot>,
    watch: Mutex<Watch>,
    changed: Notify,
}

impl Shared {
    fn watch(&self) -> std::sync::MutexGuard<'_, Watch> {
        self.watch.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The running watchers and the snapshot they keep current. Dropping it stops them.
#[derive(Debug)]
pub struct GatekeeperCache {
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

/// The rules a check reads: a handle on the cache's snapshot, or fixed rules.
#[derive(Debug, Clone)]
pub struct LiveRules(Source);

#[derive(Debug, Clone)]
enum Source {
    Cache(Arc<Shared>),
    Fixed(RulesSnapshot),
}

impl LiveRules {
    /// Always `snapshot` (no cluster, or tests).
    pub fn fixed(snapshot: RulesSnapshot) -> Self {
        Self(Source::Fixed(snapshot))
    }

    /// The rules as they are now.
    pub fn snapshot(&self) -> RulesSnapshot {
        match &self.0 {
            Source::Cache(shared) => shared
                .snapshot
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
            Source::Fixed(snapshot) => snapshot.clone(),
        }
    }
}

impl GatekeeperCache {
    /// Starts watching with `client`; must be called inside a Tokio runtime.
    pub fn spawn(client: kube::Client) -> Self {
        let shared = Arc::new(Shared {
            snapshot: RwLock::new(RulesSnapshot::empty(RulesStatus::Starting)),
            watch: Mutex::new(Watch::Starting),
            changed: Notify::new(),
        });
        // A template's status is Gatekeeper's bookkeeping; nothing here reads it.
        let (templates, stream) = watch_all(&client, template_resource(), Keep::Neither);
        let mut tasks = vec![tokio::spawn(drive_templates(stream, shared.clone()))];
        let others = Others::start(&client, &shared, &mut tasks);

        // A watch that resumes after an outage says nothing until something changes: while the
        // templates' watch is failing, ask for the version every two seconds to learn it is back.
        let probe_shared = shared.clone();
        let probe_client = client.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(2)).await;
                let failing = matches!(*probe_shared.watch(), Watch::Failing { .. });
                if failing && probe_client.apiserver_version().await.is_ok() {
                    let mut watch = probe_shared.watch();
                    if let Watch::Failing { synced: true, .. } = *watch {
                        *watch = Watch::Synced;
                        drop(watch);
                        probe_shared.changed.notify_one();
                    }
                }
            }
        }));

        let rebuild_shared = shared.clone();
        tasks.push(tokio::spawn(async move {
            let mut kinds: HashMap<String, (Store<DynamicObject>, JoinHandle<()>)> = HashMap::new();
            let mut synced = SyncedWatches::new();
            let mut compiled: Option<(Vec<ConstraintTemplate>, Arc<Rules>)> = None;
            loop {
                rebuild_shared.changed.notified().await;
                tokio::time::sleep(DEBOUNCE).await;
                follow_synced(&others, &mut synced, &client, &rebuild_shared);
                let snapshot = rebuild(
                    &templates,
                    &others,
                    &synced,
                    &mut kinds,
                    &mut compiled,
                    &client,
                    &rebuild_shared,
                );
                *rebuild_shared
                    .snapshot
                    .write()
                    .unwrap_or_else(PoisonError::into_inner) = snapshot;
            }
        }));
        Self { shared, tasks }
    }

    /// The handle checks read.
    pub fn rules(&self) -> LiveRules {
        LiveRules(Source::Cache(self.shared.clone()))
    }

    /// Stops the watchers; the last snapshot stays readable.
    pub fn stop(&mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }
}

impl Drop for GatekeeperCache {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What a watch keeps of each object besides its spec and the rest of its metadata (managed
/// fields are always dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// Neither annotations nor `status`.
    Neither,
    /// Annotations, not `status`.
    Annotations,
    /// `status`, not annotations.
    Status,
    /// Annotations and `status`: the object as Gatekeeper syncs it.
    Everything,
}

/// A watcher on every object of `resource`, kept in the returned store.
fn watch_all(
    client: &kube::Client,
    resource: ApiResource,
    keep: Keep,
) -> (
    Store<DynamicObject>,
    impl Stream<Item = watcher::Result<Event<DynamicObject>>> + Send + use<>,
) {
    let writer = reflector::store::Writer::<DynamicObject>::new(resource.clone());
    let reader = writer.as_reader();
    let stream = watch_with(client, &resource, keep).reflect(writer);
    (reader, stream)
}

/// The watch events of every object of `resource`, trimmed as `keep` says.
fn watch_with(
    client: &kube::Client,
    resource: &ApiResource,
    keep: Keep,
) -> impl Stream<Item = watcher::Result<Event<DynamicObject>>> + Send + use<> {
    watcher::watcher(
        Api::<DynamicObject>::all_with(client.clone(), resource),
        watcher::Config::default(),
    )
    .modify(move |object| {
        object.metadata.managed_fields = None;
        if matches!(keep, Keep::Neither | Keep::Status) {
            object.metadata.annotations = None;
        }
        if matches!(keep, Keep::Neither | Keep::Annotations)
            && let Some(map) = object.data.as_object_mut()
        {
            map.remove("status");
        }
    })
    .default_backoff()
}

fn is_not_found(error: &watcher::Error) -> bool {
    status_code(error) == Some(404)
}

async fn drive_templates(
    stream: impl Stream<Item = watcher::Result<Event<DynamicObject>>> + Send,
    shared: Arc<Shared>,
) {
    let mut stream = std::pin::pin!(stream);
    while let Some(item) = stream.next().await {
        let mut watch = shared.watch();
        match item {
            Ok(event) => {
                if matches!(event, Event::InitDone) {
                    *watch = Watch::Synced;
                } else if let Watch::Failing { synced: true, .. } = *watch {
                    *watch = Watch::Synced;
                }
                drop(watch);
                if matches!(event, Event::InitDone | Event::Apply(_) | Event::Delete(_)) {
                    shared.changed.notify_one();
                }
            }
            Err(error) if is_not_found(&error) => {
                if !matches!(*watch, Watch::NotInstalled) {
                    tracing::info!(
                        "the cluster serves no Gatekeeper ConstraintTemplates: preflight checks Pod Security only"
                    );
                    *watch = Watch::NotInstalled;
                    drop(watch);
                    shared.changed.notify_one();
                }
            }
            Err(error) => {
                let synced = matches!(*watch, Watch::Synced);
                if !matches!(*watch, Watch::Failing { .. }) {
                    tracing::warn!(error = %error, "the cluster stopped answering; preflight uses the Gatekeeper rules as last read");
                    *watch = Watch::Failing {
                        since: Utc::now(),
                        synced,
                    };
                    drop(watch);
                    shared.changed.notify_one();
                }
            }
        }
    }
}

/// Follows the watcher of a [`Followed`] kind, waking the rebuild on every change. A kind the
/// cluster does not serve (404) has no objects: ready, and empty. One the portal may not read
/// (403) says so until it may.
async fn drive_followed(
    stream: impl Stream<Item = watcher::Result<Event<DynamicObject>>> + Send,
    what: String,
    followed: Followed,
    shared: Arc<Shared>,
) {
    let set_problem = |problem: Option<String>| {
        let mut held = followed
            .problem
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let changed = *held != problem;
        *held = problem;
        changed
    };
    let mut stream = std::pin::pin!(stream);
    while let Some(item) = stream.next().await {
        match item {
            Ok(Event::InitDone) => {
                set_problem(None);
                followed
                    .ready
                    .store(true, std::sync::atomic::Ordering::Release);
                shared.changed.notify_one();
            }
            Ok(Event::Apply(_) | Event::Delete(_)) => shared.changed.notify_one(),
            Ok(_) => {}
            Err(error) if is_not_found(&error) => followed.set_ready_and_empty(&shared),
            Err(error) if status_code(&error) == Some(403) => {
                let problem = "the portal may not read them (its ClusterRole needs get, list and watch on them)";
                if set_problem(Some(problem.to_owned())) {
                    tracing::warn!(%what, "{problem}");
                    shared.changed.notify_one();
                }
            }
            Err(error) => tracing::debug!(%what, error = %error, "not readable now"),
        }
    }
}

/// The API server's status code in a watch error, if it answered with one.
fn status_code(error: &watcher::Error) -> Option<u16> {
    match error {
        watcher::Error::InitialListFailed(kube::Error::Api(status))
        | watcher::Error::WatchStartFailed(kube::Error::Api(status))
        | watcher::Error::WatchFailed(kube::Error::Api(status)) => Some(status.code),
        _ => None,
    }
}

/// Follows one constraint kind's watcher, waking the rebuild on every change. A kind whose CRD
/// Gatekeeper has not made yet answers 404 until it has; the backoff retries.
async fn drive_constraints(
    stream: impl Stream<Item = watcher::Result<Event<DynamicObject>>> + Send,
    kind: String,
    shared: Arc<Shared>,
) {
    let mut stream = std::pin::pin!(stream);
    while let Some(item) = stream.next().await {
        match item {
            Ok(Event::InitDone | Event::Apply(_) | Event::Delete(_)) => shared.changed.notify_one(),
            Ok(_) => {}
            Err(error) => tracing::debug!(%kind, error = %error, "constraints not readable yet"),
        }
    }
}

/// Brings the constraint watchers in line with the templates, then compiles the rules.
fn rebuild(
    templates: &Store<DynamicObject>,
    others: &Others,
    synced: &SyncedWatches,
    kinds: &mut HashMap<String, (Store<DynamicObject>, JoinHandle<()>)>,
    compiled: &mut Option<(Vec<ConstraintTemplate>, Arc<Rules>)>,
    client: &kube::Client,
    shared: &Arc<Shared>,
) -> RulesSnapshot {
    let watch = shared.watch().clone();
    let status_with = |templates: usize, constraints: usize| match &watch {
        Watch::Starting => RulesStatus::Starting,
        Watch::NotInstalled => RulesStatus::NoGatekeeper,
        Watch::Synced => RulesStatus::Current {
            templates,
            constraints,
        },
        Watch::Failing { since, synced } => {
            if *synced {
                RulesStatus::Stale {
                    since: since.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                    templates,
                    constraints,
                }
            } else {
                RulesStatus::Starting
            }
        }
    };
    if matches!(watch, Watch::NotInstalled) {
        for (_, (_, task)) in kinds.drain() {
            task.abort();
        }
        return RulesSnapshot::empty(RulesStatus::NoGatekeeper);
    }

    let mut unreadable = Vec::new();
    let mut parsed = Vec::new();
    for template in templates.state() {
        match serde_json::to_value(template.as_ref())
            .map_err(|error| error.to_string())
            .and_then(|value| ConstraintTemplate::from_value(&value).map_err(|e| e.to_string()))
        {
            Ok(template) => parsed.push(template),
            Err(problem) => unreadable.push(problem),
        }
    }
    parsed.sort_by(|a, b| a.name.cmp(&b.name));

    kinds.retain(|kind, (_, task)| {
        let keep = parsed.iter().any(|template| &template.kind == kind);
        if !keep {
            task.abort();
        }
        keep
    });
    for template in &parsed {
        if kinds.contains_key(&template.kind) {
            continue;
        }
        // A constraint's status holds the audit's violations, for the namespace pages.
        let (reader, stream) = watch_all(client, constraint_resource(&template.kind), Keep::Status);
        let task = tokio::spawn(drive_constraints(
            stream,
            template.kind.clone(),
            shared.clone(),
        ));
        kinds.insert(template.kind.clone(), (reader, task));
    }

    let mut constraints = Vec::new();
    let mut audit = Audit::default();
    let mut names: Vec<&String> = kinds.keys().collect();
    names.sort();
    for kind in names {
        let (store, _) = &kinds[kind];
        let mut objects = store.state();
        objects.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        for object in objects {
            let parsed = serde_json::to_value(object.as_ref())
                .map_err(|error| error.to_string())
                .and_then(|mut value| {
                    // Items of a list carry no kind; the watcher's resource says it.
                    value["kind"] = Value::String(kind.clone());
                    audit.add(kind, &value);
                    Constraint::from_value(&value).map_err(|e| e.to_string())
                });
            match parsed {
                Ok(constraint) => constraints.push(constraint),
                Err(problem) => unreadable.push(problem),
            }
        }
    }
    let mutators = others.mutators(&mut unreadable);
    for problem in &unreadable {
        tracing::warn!(%problem, "a Gatekeeper object the preflight check cannot read");
    }
    let status = status_with(parsed.len(), constraints.len());
    // Constraints change far more often than templates (every audit updates their status):
    // compile only when the templates changed.
    let rules = match compiled {
        Some((templates, rules)) if *templates == parsed => rules.with_constraints(constraints),
        _ => Rules::new(&parsed, constraints),
    };
    let inventory = others.inventory(synced);
    let rules = rules.with_inventory(
        inventory
            .as_ref()
            .map(|held| held.value.clone())
            .map_err(Clone::clone),
    );
    let rules = Arc::new(rules);
    *compiled = Some((parsed, rules.clone()));
    RulesSnapshot {
        rules,
        mutators: Arc::new(mutators),
        status,
        unreadable: Arc::new(unreadable),
        audit: Arc::new(audit),
        inventory: Arc::new(inventory),
        networkpolicies: Arc::new(others.networkpolicies.objects()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_audit_is_read_by_namespace_and_says_when_gatekeeper_kept_fewer() {
        let mut audit = Audit::default();
        audit.add(
            "K8sMinimumReplicas",
            &json!({
                "metadata": { "name": "minimum-replicas" },
                "status": { "totalViolations": 5, "violations": [
                    { "enforcementAction": "warn", "kind": "Deployment", "name": "web",
                      "namespace": "shop", "message": "1 replica" },
                    { "enforcementAction": "warn", "kind": "Deployment", "name": "api",
                      "namespace": "other", "message": "1 replica" },
                    { "enforcementAction": "warn", "kind": "Namespace", "name": "x",
                      "message": "cluster-scoped, no namespace" }
                ] }
            }),
        );
        audit.add(
            "K8sDisallowedTags",
            &json!({ "metadata": { "name": "image-tags" }, "status": { "totalViolations": 0 } }),
        );
        let snapshot = RulesSnapshot {
            audit: Arc::new(audit),
            ..RulesSnapshot::empty(RulesStatus::Current {
                templates: 2,
                constraints: 2,
            })
        };
        let shop = snapshot.audit("shop");
        assert_eq!(shop.violations.len(), 1);
        assert_eq!(shop.violations[0].constraint, "minimum-replicas");
        assert_eq!(shop.violations[0].object_name, "web");
        assert_eq!(shop.violations[0].action, "warn");
        assert_eq!(shop.incomplete, ["minimum-replicas"]);
        assert!(snapshot.audit("empty").violations.is_empty());
    }
}
