//! The cluster's own admission rules (its Gatekeeper constraints) as the preflight answer sees
//! them: for one object, every rule that applies and what it says.
//!
//! Evaluating a rule needs the cluster's templates and a Rego interpreter, which only the server
//! has; the server implements [`ClusterRules`] and the answer ([`super::report`]) asks it about
//! each object, about the Pods a workload will create, and about the fixed manifest, so that a
//! fix is only offered as one when the rules agree.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Where the objects are to be created: a namespace and its labels, as far as they are known.
/// The default is "no namespace named": the rules see each object in its own
/// `metadata.namespace`, if it has one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Target<'a> {
    /// The namespace the objects are created in, unless an object names its own.
    pub namespace: Option<&'a str>,
    /// That namespace's labels (what a rule's `namespaceSelector` matches), when known.
    pub labels: Option<&'a BTreeMap<String, String>>,
}

impl<'a> Target<'a> {
    /// The target for one object: its own `metadata.namespace` wins, and the labels count only
    /// for the namespace they were read from.
    pub fn for_object(self, object: &'a Value) -> Target<'a> {
        match object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .filter(|namespace| !namespace.is_empty())
        {
            Some(own) if Some(own) != self.namespace => Target {
                namespace: Some(own),
                labels: None,
            },
            _ => self,
        }
    }
}

/// What a rule does to a violating object at admission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleAction {
    /// Records it in the audit only: admission says nothing.
    Dryrun,
    /// Admits it with a `Warning:` line.
    Warn,
    /// Refuses it.
    Deny,
}

impl RuleAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deny => "deny",
            Self::Warn => "warn",
            Self::Dryrun => "dryrun",
        }
    }
}

/// What one rule says about one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum RuleOutcome {
    /// It passes this rule.
    Passes,
    /// It breaks the rule: the rule's own messages, as admission prints them
    /// (`[constraint] message`).
    Violated { messages: Vec<String> },
    /// The rule could not be evaluated here; this says nothing about whether it passes.
    NotChecked { reason: String },
}

/// One rule of the cluster that applies to an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleFinding {
    /// Stable across answers: `gatekeeper/<constraint kind>/<constraint name>`.
    pub id: String,
    /// The constraint's kind, such as `K8sRequiredRequests`.
    pub kind: String,
    /// The constraint's name.
    pub name: String,
    /// The strongest action it takes at admission.
    pub action: RuleAction,
    #[serde(flatten)]
    pub outcome: RuleOutcome,
}

impl RuleFinding {
    /// Whether admission refuses the object for this rule.
    pub fn refuses(&self) -> bool {
        self.action == RuleAction::Deny && matches!(self.outcome, RuleOutcome::Violated { .. })
    }

    /// Whether admission warns about the object for this rule.
    pub fn warns(&self) -> bool {
        self.action == RuleAction::Warn && matches!(self.outcome, RuleOutcome::Violated { .. })
    }

    pub fn violated(&self) -> bool {
        matches!(self.outcome, RuleOutcome::Violated { .. })
    }

    /// Whether the rule could not be evaluated here (its answer is unknown, not passed).
    pub fn not_checked(&self) -> bool {
        matches!(self.outcome, RuleOutcome::NotChecked { .. })
    }

    /// The FAQ entry that explains this kind of rule.
    pub fn faq_slug(&self) -> &'static str {
        faq_slug(&self.kind)
    }

    /// One sentence on why the rule exists, for the kinds the platform ships.
    pub fn reason(&self) -> Option<&'static str> {
        reason(&self.kind)
    }
}

/// The FAQ entry that explains a constraint kind, guessed from the names Gatekeeper's library
/// and Welkin give them; the entry on the cluster's rules otherwise.
pub fn faq_slug(kind: &str) -> &'static str {
    let kind = kind.to_ascii_lowercase();
    if kind.contains("repo") || kind.contains("registr") {
        "push-image-to-harbor"
    } else if kind.contains("networkpolic") {
        "deny-all-silent-timeouts"
    } else {
        "cluster-rules"
    }
}

/// One sentence on why a constraint kind exists, for the kinds the platform ships; `None` for
/// others.
pub fn reason(kind: &str) -> Option<&'static str> {
    let kind = kind.to_ascii_lowercase();
    let reason = if kind.contains("repo") || kind.contains("registr") {
        "Images must come from the platform's registry, which scans them for known vulnerabilities."
    } else if kind.contains("tag") {
        "A fixed tag makes every rollout and rollback run the same code; :latest and a missing tag do not."
    } else if kind.contains("request") || kind.contains("resource") {
        "The scheduler places Pods by their requests; without them one Pod can starve its neighbours."
    } else if kind.contains("replica") {
        "One replica means downtime on every node drain, and nodes are drained for every security patch."
    } else if kind.contains("networkpolic") {
        "Someone should have decided what the Pod may talk to."
    } else if kind.contains("disruption") || kind.contains("pdb") {
        "A budget that allows no disruption blocks node drains."
    } else {
        return None;
    };
    Some(reason)
}

/// One violation Gatekeeper's audit found among a namespace's existing objects, as a
/// constraint's `status.violations` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditViolation {
    /// The constraint's kind and name.
    pub kind: String,
    pub constraint: String,
    /// Its `enforcementAction` as the audit recorded it (`deny`, `warn`, `dryrun`).
    pub action: String,
    /// The object that breaks it.
    pub object_kind: String,
    pub object_name: String,
    /// The rule's message, word for word.
    pub message: String,
}

/// What Gatekeeper's audit says about one namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceAudit {
    /// How far the rules could be read.
    pub status: RulesStatus,
    /// The violations in the namespace, by constraint, then object.
    pub violations: Vec<AuditViolation>,
    /// Constraints whose status lists fewer violations than it counts (Gatekeeper keeps 20 per
    /// constraint): this namespace may have more than shown.
    pub incomplete: Vec<String>,
}

/// How far the answer could read the cluster's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum RulesStatus {
    /// The portal has no cluster: only Pod Security and the portal's own knowledge answer.
    NoCluster,
    /// The cluster serves no Gatekeeper templates: it has no such rules.
    NoGatekeeper,
    /// The rules are being read for the first time.
    Starting,
    /// Read and current: how many templates and constraints.
    Current {
        templates: usize,
        constraints: usize,
    },
    /// The cluster stopped answering; the rules as last read, since when.
    Stale {
        since: String,
        templates: usize,
        constraints: usize,
    },
}

impl RulesStatus {
    /// Whether the answer includes the cluster's Gatekeeper rules at all.
    pub fn has_rules(&self) -> bool {
        matches!(self, Self::Current { .. } | Self::Stale { .. })
    }

    /// What the answer does and does not cover, in words, for the page.
    pub fn words(&self) -> String {
        match self {
            Self::NoCluster => "The portal is not connected to a cluster, so the cluster's Gatekeeper constraints are not part of this answer.".into(),
            Self::NoGatekeeper => "This cluster runs no Gatekeeper (it serves no ConstraintTemplates), so Pod Security is its only admission rule checked here.".into(),
            Self::Starting => "The cluster's Gatekeeper constraints are still being read; check again in a moment to include them.".into(),
            Self::Current { templates, constraints } => format!(
                "Checked against this cluster's {constraints} Gatekeeper constraint{} of {templates} template{}, as they are now.",
                plural(*constraints),
                plural(*templates)
            ),
            Self::Stale { since, templates, constraints } => format!(
                "The cluster has not answered since {since}: checked against its {constraints} Gatekeeper constraint{} of {templates} template{} as they were then.",
                plural(*constraints),
                plural(*templates)
            ),
        }
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// One of the cluster's mutators that changed an object on its way in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedMutation {
    /// `gatekeeper/<Kind>/<name>`, such as `gatekeeper/Assign/run-as-non-root`.
    pub id: String,
    /// `Assign`, `AssignMetadata` or `ModifySet`.
    pub kind: String,
    pub name: String,
    /// What it sets: its `spec.location`.
    pub location: String,
}

/// What the cluster's mutators do to an object before Pod Security and the constraints see it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mutated {
    /// The object as mutated; `None` when no mutator changed it.
    pub object: Option<Value>,
    /// The mutators that changed it, in the order they ran.
    pub applied: Vec<AppliedMutation>,
    /// Mutators whose effect could not be worked out here, as sentences for the answer.
    pub not_checked: Vec<String>,
}

/// The cluster's rules, asked about one object at a time.
pub trait ClusterRules {
    /// What the cluster's mutators (Gatekeeper's mutating webhook, which runs before Pod
    /// Security) do to creating `object` in `target`. None, by default.
    fn mutate(&self, _object: &Value, _target: Target<'_>) -> Mutated {
        Mutated::default()
    }

    /// Every rule that applies to creating `object` in `target` (see [`Target::for_object`]),
    /// with what it says.
    fn check(&self, object: &Value, target: Target<'_>) -> Vec<RuleFinding>;

    /// How far the rules could be read.
    fn status(&self) -> RulesStatus;

    /// Rules of the cluster that could not be read at all, as `what: problem`: never passed.
    fn unreadable(&self) -> Vec<String> {
        Vec::new()
    }

    /// The same rules as they would read the cluster once `objects` (NetworkPolicies a fix
    /// offers) exist in it too, for rules that read other objects of the cluster (Gatekeeper's
    /// inventory). `None` when the rules would not see them (nothing syncs them), so a fix never
    /// claims what they would change.
    fn with_objects(&self, _objects: &[Value]) -> Option<Box<dyn ClusterRules>> {
        None
    }

    /// The NetworkPolicies the cluster has in `namespace` now, for the portal's advice on
    /// whether they select a workload's Pods and let anything through; `None` when not known.
    fn networkpolicies(
        &self,
        _namespace: &str,
    ) -> Option<Vec<k8s_openapi::api::networking::v1::NetworkPolicy>> {
        None
    }
}

/// No rules: the answer without a cluster.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRules;

impl ClusterRules for NoRules {
    fn check(&self, _object: &Value, _target: Target<'_>) -> Vec<RuleFinding> {
        Vec::new()
    }

    fn status(&self) -> RulesStatus {
        RulesStatus::NoCluster
    }
}
