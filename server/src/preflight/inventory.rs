//! Gatekeeper's inventory (`data.inventory`) as the portal can rebuild it.
//!
//! Gatekeeper copies the kinds its `Config` (`spec.sync.syncOnly`) and its `SyncSet`s
//! (`spec.gvks`) name into `data.inventory`, where a template such as "every Pod is selected
//! by a NetworkPolicy" reads them. The portal watches every kind Gatekeeper syncs, so its
//! inventory is Gatekeeper's and such rules are checked; while a kind is not read yet, or the
//! portal may not read it, they are reported as not checked, never guessed.

use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

/// A kind Gatekeeper syncs, as `group`, `version`, `kind` (the core group is empty).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SyncedKind {
    pub group: String,
    pub version: String,
    pub kind: String,
}

impl SyncedKind {
    /// NetworkPolicies, which the portal watches in any case (for its own advice too).
    pub fn networkpolicy() -> Self {
        Self {
            group: "networking.k8s.io".into(),
            version: "v1".into(),
            kind: "NetworkPolicy".into(),
        }
    }

    /// `group/version`, or `version` for the core group: the key of the inventory's tree.
    pub fn group_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    fn of(entry: &Value) -> Option<Self> {
        let text = |key: &str| entry.get(key).and_then(Value::as_str).map(str::to_owned);
        Some(Self {
            group: text("group").unwrap_or_default(),
            version: text("version")?,
            kind: text("kind")?,
        })
    }
}

impl std::fmt::Display for SyncedKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.group.is_empty() {
            write!(f, "{} ({})", self.kind, self.version)
        } else {
            write!(f, "{} ({}/{})", self.kind, self.group, self.version)
        }
    }
}

/// What Gatekeeper syncs: the `syncOnly` list of its Config (the one named `config`, in the
/// namespace Gatekeeper runs in) and the `gvks` of every SyncSet.
pub fn synced_kinds(configs: &[Value], syncsets: &[Value]) -> BTreeSet<SyncedKind> {
    let config = configs
        .iter()
        .filter(|config| config.pointer("/metadata/name") == Some(&json!("config")))
        .filter_map(|config| config.pointer("/spec/sync/syncOnly")?.as_array())
        .flatten();
    let sets = syncsets
        .iter()
        .filter_map(|set| set.pointer("/spec/gvks")?.as_array())
        .flatten();
    config.chain(sets).filter_map(SyncedKind::of).collect()
}

/// Gatekeeper's inventory as the portal rebuilt it.
#[derive(Debug, Clone, PartialEq)]
pub struct Inventory {
    /// `data.inventory`: `namespace.<ns>.<group/version>.<kind>.<name>` (and an empty
    /// `cluster`).
    pub value: Value,
    /// Whether Gatekeeper syncs NetworkPolicies, so that one more would be in it.
    pub networkpolicies: bool,
}

impl Inventory {
    /// The inventory once `policy` (a NetworkPolicy with a namespace and a name) exists too;
    /// `None` when Gatekeeper does not sync NetworkPolicies or the policy has no place in it.
    pub fn with_networkpolicy(&self, policy: &Value) -> Option<Inventory> {
        if !self.networkpolicies || policy.get("kind") != Some(&json!("NetworkPolicy")) {
            return None;
        }
        policy.pointer("/metadata/namespace")?.as_str()?;
        let mut tree = Tree::from_value(&self.value)?;
        tree.insert(&SyncedKind::networkpolicy(), policy)
            .then(|| Inventory {
                value: tree.into_value(),
                networkpolicies: true,
            })
    }
}

/// What the portal holds of one synced kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Held {
    /// Every object of the kind, as watched.
    Objects(Vec<Value>),
    /// Not known, with the reason in words (not read yet, or the portal may not read it).
    Unknown(String),
}

/// `data.inventory` as Gatekeeper holds it for `synced`, from what the portal `held` of each
/// kind: namespaced objects at `namespace.<ns>.<group/version>.<kind>.<name>`, cluster-scoped
/// ones at `cluster.<group/version>.<kind>.<name>`. `Err` with the reason when a synced kind
/// is not known.
pub fn inventory(
    synced: &BTreeSet<SyncedKind>,
    held: impl Fn(&SyncedKind) -> Held,
) -> Result<Inventory, String> {
    let mut tree = Tree::default();
    let mut unknown = Vec::new();
    for kind in synced {
        match held(kind) {
            Held::Objects(objects) => {
                for object in &objects {
                    tree.insert(kind, object);
                }
            }
            Held::Unknown(reason) => unknown.push(format!("{kind}: {reason}")),
        }
    }
    if !unknown.is_empty() {
        return Err(format!(
            "its rule reads the objects Gatekeeper syncs (data.inventory), and the portal does not know them all ({})",
            unknown.join("; ")
        ));
    }
    Ok(Inventory {
        value: tree.into_value(),
        networkpolicies: synced.contains(&SyncedKind::networkpolicy()),
    })
}

/// `data.inventory`'s two trees, as they are filled.
#[derive(Default)]
struct Tree {
    cluster: Map<String, Value>,
    namespace: Map<String, Value>,
}

impl Tree {
    /// Puts `object` (of `kind`) where Gatekeeper keeps it; `false` without a name.
    fn insert(&mut self, kind: &SyncedKind, object: &Value) -> bool {
        let Some(name) = object.pointer("/metadata/name").and_then(Value::as_str) else {
            return false;
        };
        let group_version = kind.group_version();
        let mut copy = object.clone();
        // Items of a list carry no kind; Gatekeeper's copies do.
        copy["apiVersion"] = json!(group_version);
        copy["kind"] = json!(kind.kind);
        let root = match object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
        {
            Some(namespace) if !namespace.is_empty() => self
                .namespace
                .entry(namespace.to_owned())
                .or_insert_with(|| json!({})),
            _ => return Self::place(&mut self.cluster, &group_version, &kind.kind, name, copy),
        };
        let Some(root) = root.as_object_mut() else {
            return false;
        };
        Self::place(root, &group_version, &kind.kind, name, copy)
    }

    fn place(
        root: &mut Map<String, Value>,
        group_version: &str,
        kind: &str,
        name: &str,
        object: Value,
    ) -> bool {
        let kinds = root
            .entry(group_version.to_owned())
            .or_insert_with(|| json!({}));
        let Some(names) = kinds
            .as_object_mut()
            .map(|kinds| kinds.entry(kind.to_owned()).or_insert_with(|| json!({})))
            .and_then(Value::as_object_mut)
        else {
            return false;
        };
        names.insert(name.to_owned(), object);
        true
    }

    fn into_value(self) -> Value {
        json!({ "cluster": self.cluster, "namespace": self.namespace })
    }

    fn from_value(value: &Value) -> Option<Self> {
        Some(Self {
            cluster: value.get("cluster")?.as_object()?.clone(),
            namespace: value.get("namespace")?.as_object()?.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(sync_only: Value) -> Value {
        json!({ "metadata": { "name": "config", "namespace": "gatekeeper-system" },
                "spec": { "sync": { "syncOnly": sync_only } } })
    }

    fn policy(namespace: &str, name: &str) -> Value {
        json!({ "metadata": { "name": name, "namespace": namespace },
                "spec": { "podSelector": {} } })
    }

    #[test]
    fn the_synced_kinds_come_from_the_config_and_every_syncset() {
        let other = json!({ "metadata": { "name": "other" },
            "spec": { "sync": { "syncOnly": [{ "version": "v1", "kind": "Service" }] } } });
        let set = json!({ "metadata": { "name": "np" }, "spec": { "gvks": [
            { "group": "networking.k8s.io", "version": "v1", "kind": "NetworkPolicy" },
            { "version": "v1", "kind": "Namespace" } ] } });
        let synced = synced_kinds(
            &[
                config(json!([{ "group": "", "version": "v1", "kind": "Namespace" }])),
                other,
            ],
            &[set],
        );
        let names: Vec<String> = synced.iter().map(ToString::to_string).collect();
        assert_eq!(
            names,
            ["Namespace (v1)", "NetworkPolicy (networking.k8s.io/v1)"],
            "a Config not named config is not Gatekeeper's"
        );
    }

    fn service() -> SyncedKind {
        SyncedKind {
            group: String::new(),
            version: "v1".into(),
            kind: "Service".into(),
        }
    }

    fn namespace_kind() -> SyncedKind {
        SyncedKind {
            group: String::new(),
            version: "v1".into(),
            kind: "Namespace".into(),
        }
    }

    /// What a watch holds: NetworkPolicies and Namespaces, nothing of any other kind.
    fn watched(kind: &SyncedKind) -> Held {
        if *kind == SyncedKind::networkpolicy() {
            Held::Objects(vec![policy("shop", "deny-all"), policy("blog", "dns")])
        } else if *kind == namespace_kind() {
            Held::Objects(vec![
                json!({ "metadata": { "name": "shop", "labels": { "owner": "team-a" } } }),
            ])
        } else {
            Held::Unknown("not read yet".into())
        }
    }

    #[test]
    fn every_synced_kind_is_held_where_gatekeeper_keeps_it() {
        let synced: BTreeSet<SyncedKind> = [SyncedKind::networkpolicy(), namespace_kind()].into();
        let held = inventory(&synced, watched).expect("both kinds are held");
        assert!(held.networkpolicies);
        let held = held.value;
        assert_eq!(
            held["namespace"]["shop"]["networking.k8s.io/v1"]["NetworkPolicy"]["deny-all"]["kind"],
            "NetworkPolicy"
        );
        assert!(
            held["namespace"]["blog"]["networking.k8s.io/v1"]["NetworkPolicy"]["dns"].is_object()
        );
        // A cluster-scoped kind is under `cluster`, keyed by its core group's version.
        let shop = &held["cluster"]["v1"]["Namespace"]["shop"];
        assert_eq!(shop["metadata"]["labels"]["owner"], "team-a");
        assert_eq!(
            (&shop["apiVersion"], &shop["kind"]),
            (&json!("v1"), &json!("Namespace"))
        );
    }

    #[test]
    fn only_what_gatekeeper_syncs_is_in_it_and_a_kind_not_held_makes_it_unknown() {
        // Nothing synced: Gatekeeper's inventory is empty, and so is the portal's.
        let empty = inventory(&BTreeSet::new(), watched).expect("known");
        assert_eq!(empty.value, json!({ "cluster": {}, "namespace": {} }));
        // And a policy a fix offers would not be in it either.
        let mut offered = policy("shop", "web-traffic");
        offered["kind"] = json!("NetworkPolicy");
        assert_eq!(empty.with_networkpolicy(&offered), None);
        let namespaces_only: BTreeSet<SyncedKind> = [namespace_kind()].into();
        let held = inventory(&namespaces_only, watched).expect("known");
        assert!(!held.networkpolicies);
        assert_eq!(held.value["namespace"], json!({}));

        let synced: BTreeSet<SyncedKind> = [SyncedKind::networkpolicy(), service()].into();
        let error = inventory(&synced, watched).expect_err("Services are not held");
        assert!(error.contains("Service (v1): not read yet"), "{error}");
    }

    #[test]
    fn a_policy_a_fix_offers_joins_the_inventory_where_gatekeeper_would_hold_it() {
        let np: BTreeSet<SyncedKind> = [SyncedKind::networkpolicy()].into();
        let held = inventory(&np, watched).expect("held");
        let mut offered = policy("shop", "web-traffic");
        offered["kind"] = json!("NetworkPolicy");
        let more = held.with_networkpolicy(&offered).expect("synced");
        let tree = &more.value["namespace"]["shop"]["networking.k8s.io/v1"]["NetworkPolicy"];
        assert!(tree["deny-all"].is_object() && tree["web-traffic"].is_object());
        // The original is unchanged; a policy without a namespace, or not a policy, has no place.
        assert!(
            held.value["namespace"]["shop"]["networking.k8s.io/v1"]["NetworkPolicy"]["web-traffic"]
                .is_null()
        );
        let mut nowhere = offered.clone();
        nowhere["metadata"]
            .as_object_mut()
            .expect("metadata")
            .remove("namespace");
        assert_eq!(held.with_networkpolicy(&nowhere), None);
        let mut service = offered;
        service["kind"] = json!("Service");
        assert_eq!(held.with_networkpolicy(&service), None);
    }
}
