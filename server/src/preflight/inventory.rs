//! Gatekeeper's inventory (`data.inventory`) as the portal can rebuild it.
//!
//! Gatekeeper copies the kinds its `Config` (`spec.sync.syncOnly`) and its `SyncSet`s
//! (`spec.gvks`) name into `data.inventory`, where a template such as "every Pod is selected
//! by a NetworkPolicy" reads them. The portal watches NetworkPolicies only: when Gatekeeper
//! syncs nothing else, the portal's inventory is Gatekeeper's, and such rules are checked; when
//! it syncs a kind the portal does not hold, they are reported as not checked, never guessed.

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
    fn networkpolicy() -> Self {
        Self {
            group: "networking.k8s.io".into(),
            version: "v1".into(),
            kind: "NetworkPolicy".into(),
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
        let mut value = self.value.clone();
        let namespaces = value.get_mut("namespace")?.as_object_mut()?;
        insert(namespaces, policy).then_some(Inventory {
            value,
            networkpolicies: true,
        })
    }
}

/// `data.inventory` as Gatekeeper holds it for `synced`, built from `networkpolicies` (every
/// NetworkPolicy of the cluster, as watched): `namespace.<ns>.<group/version>.<kind>.<name>`.
/// `Err` with the reason when Gatekeeper syncs a kind the portal does not hold.
pub fn inventory(
    synced: &BTreeSet<SyncedKind>,
    networkpolicies: &[Value],
) -> Result<Inventory, String> {
    let networkpolicy = SyncedKind::networkpolicy();
    let others: Vec<String> = synced
        .iter()
        .filter(|kind| **kind != networkpolicy)
        .map(ToString::to_string)
        .collect();
    if !others.is_empty() {
        return Err(format!(
            "its rule reads the objects Gatekeeper syncs (data.inventory), and Gatekeeper syncs {}, which the portal does not hold",
            others.join(", ")
        ));
    }
    let mut namespaces = Map::new();
    let synced_policies = synced.contains(&networkpolicy);
    if synced_policies {
        for policy in networkpolicies {
            insert(&mut namespaces, policy);
        }
    }
    Ok(Inventory {
        value: json!({ "cluster": {}, "namespace": namespaces }),
        networkpolicies: synced_policies,
    })
}

/// Puts one NetworkPolicy where Gatekeeper keeps it; `false` without a namespace and a name.
fn insert(namespaces: &mut Map<String, Value>, policy: &Value) -> bool {
    let (Some(namespace), Some(name)) = (
        policy
            .pointer("/metadata/namespace")
            .and_then(Value::as_str),
        policy.pointer("/metadata/name").and_then(Value::as_str),
    ) else {
        return false;
    };
    let mut object = policy.clone();
    // Items of a list carry no kind; Gatekeeper's copies do.
    object["apiVersion"] = json!("networking.k8s.io/v1");
    object["kind"] = json!("NetworkPolicy");
    let tree = namespaces
        .entry(namespace.to_owned())
        .or_insert_with(|| json!({ "networking.k8s.io/v1": { "NetworkPolicy": {} } }));
    tree["networking.k8s.io/v1"]["NetworkPolicy"][name] = object;
    true
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

    #[test]
    fn networkpolicies_are_held_and_anything_else_makes_the_inventory_unknown() {
        let np: BTreeSet<SyncedKind> = [SyncedKind::networkpolicy()].into();
        let held = inventory(&np, &[policy("shop", "deny-all"), policy("blog", "dns")])
            .expect("the portal holds NetworkPolicies");
        assert!(held.networkpolicies);
        let held = held.value;
        assert_eq!(
            held["namespace"]["shop"]["networking.k8s.io/v1"]["NetworkPolicy"]["deny-all"]["kind"],
            "NetworkPolicy"
        );
        assert!(
            held["namespace"]["blog"]["networking.k8s.io/v1"]["NetworkPolicy"]["dns"].is_object()
        );
        // Nothing synced: Gatekeeper's inventory is empty, and so is the portal's.
        let empty = inventory(&BTreeSet::new(), &[policy("shop", "deny-all")]).expect("known");
        assert_eq!(empty.value, json!({ "cluster": {}, "namespace": {} }));
        // And a policy a fix offers would not be in it either.
        let mut offered = policy("shop", "web-traffic");
        offered["kind"] = json!("NetworkPolicy");
        assert_eq!(empty.with_networkpolicy(&offered), None);
        let mut more = np.clone();
        more.insert(SyncedKind {
            group: String::new(),
            version: "v1".into(),
            kind: "Service".into(),
        });
        let error = inventory(&more, &[]).expect_err("Services are not held");
        assert!(error.contains("Gatekeeper syncs Service (v1)"), "{error}");
    }

    #[test]
    fn a_policy_a_fix_offers_joins_the_inventory_where_gatekeeper_would_hold_it() {
        let np: BTreeSet<SyncedKind> = [SyncedKind::networkpolicy()].into();
        let held = inventory(&np, &[policy("shop", "deny-all")]).expect("held");
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
