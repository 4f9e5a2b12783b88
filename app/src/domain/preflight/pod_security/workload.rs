//! The pod spec inside each kind of object that Pod Security checks, read from a parsed manifest
//! (`serde_json::Value`, as YAML or JSON from a developer parses to).
//!
//! The kinds are those of Kubernetes' `DefaultPodSpecExtractor`: Pod, PodTemplate,
//! ReplicationController (`v1`), ReplicaSet, Deployment, StatefulSet, DaemonSet (`apps/v1`), Job
//! and CronJob (`batch/v1`). Any other object carries no pod spec that Pod Security reads.

use k8s_openapi::api::core::v1::PodSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt;

/// A kind of object whose pod spec Pod Security checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkloadKind {
    /// `v1` Pod: the only kind that `enforce` can refuse.
    Pod,
    /// `v1` PodTemplate.
    PodTemplate,
    /// `v1` ReplicationController.
    ReplicationController,
    /// `apps/v1` ReplicaSet.
    ReplicaSet,
    /// `apps/v1` Deployment.
    Deployment,
    /// `apps/v1` StatefulSet.
    StatefulSet,
    /// `apps/v1` DaemonSet.
    DaemonSet,
    /// `batch/v1` Job.
    Job,
    /// `batch/v1` CronJob.
    CronJob,
}

impl WorkloadKind {
    /// The kind for an object's `apiVersion` and `kind`, if Pod Security checks it.
    pub fn from_type(api_version: &str, kind: &str) -> Option<Self> {
        let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
        Some(match (group, kind) {
            ("", "Pod") => WorkloadKind::Pod,
            ("", "PodTemplate") => WorkloadKind::PodTemplate,
            ("", "ReplicationController") => WorkloadKind::ReplicationController,
            ("apps", "ReplicaSet") => WorkloadKind::ReplicaSet,
            ("apps", "Deployment") => WorkloadKind::Deployment,
            ("apps", "StatefulSet") => WorkloadKind::StatefulSet,
            ("apps", "DaemonSet") => WorkloadKind::DaemonSet,
            ("batch", "Job") => WorkloadKind::Job,
            ("batch", "CronJob") => WorkloadKind::CronJob,
            _ => return None,
        })
    }

    /// Where the pod template is, as a field path (`""` for a Pod, which is its own template).
    pub fn template_path(self) -> &'static [&'static str] {
        match self {
            WorkloadKind::Pod => &[],
            WorkloadKind::PodTemplate => &["template"],
            WorkloadKind::CronJob => &["spec", "jobTemplate", "spec", "template"],
            _ => &["spec", "template"],
        }
    }

    /// The pod template of `object`, a manifest of this kind, as JSON (a Pod is its own).
    pub fn template_in(self, object: &Value) -> Option<&Value> {
        self.template_path()
            .iter()
            .try_fold(object, |value, key| value.get(*key))
    }

    /// The pod template of `object`, to change.
    pub fn template_in_mut(self, object: &mut Value) -> Option<&mut Value> {
        self.template_path()
            .iter()
            .try_fold(object, |value, key| value.get_mut(*key))
    }

    /// The pod spec of `object`'s template, as JSON.
    pub fn pod_spec_in(self, object: &Value) -> Option<&Value> {
        self.template_in(object)?.get("spec")
    }

    /// The pod spec of `object`'s template, to change.
    pub fn pod_spec_in_mut(self, object: &mut Value) -> Option<&mut Value> {
        self.template_in_mut(object)?.get_mut("spec")
    }

    /// The resource's plural name, as API errors name it (`pods`, `deployments.apps`).
    pub fn resource(self) -> &'static str {
        match self {
            WorkloadKind::Pod => "pods",
            WorkloadKind::PodTemplate => "podtemplates",
            WorkloadKind::ReplicationController => "replicationcontrollers",
            WorkloadKind::ReplicaSet => "replicasets.apps",
            WorkloadKind::Deployment => "deployments.apps",
            WorkloadKind::StatefulSet => "statefulsets.apps",
            WorkloadKind::DaemonSet => "daemonsets.apps",
            WorkloadKind::Job => "jobs.batch",
            WorkloadKind::CronJob => "cronjobs.batch",
        }
    }
}

/// What Pod Security reads of a Pod: its metadata (annotations) and its spec.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PodSource {
    /// The Pod's metadata, or the template's.
    pub metadata: ObjectMeta,
    /// The Pod's spec, or the template's.
    pub spec: PodSpec,
}

/// An object that carries a pod spec, read for Pod Security.
#[derive(Debug, Clone, PartialEq)]
pub struct PodObject {
    /// Its kind.
    pub kind: WorkloadKind,
    /// `metadata.name` (empty when the object only has `generateName`).
    pub name: String,
    /// `metadata.generateName`: the prefix of the name the API server makes up.
    pub generate_name: Option<String>,
    /// The Pod, or the pod template.
    pub pod: PodSource,
}

/// Why a manifest's pod spec could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkloadError {
    /// The document is not a JSON object.
    #[error("the manifest is not an object")]
    NotAnObject,
    /// `apiVersion` or `kind` is missing or not a string.
    #[error("the manifest has no {0} (a string)")]
    MissingType(&'static str),
    /// A field that must be there is missing.
    #[error("{path}: required for a {kind}")]
    Missing {
        /// The field path, such as `spec.template.spec`.
        path: String,
        /// The object's kind.
        kind: String,
    },
    /// A field does not have the type Kubernetes expects.
    #[error("{path}: {message}")]
    Invalid {
        /// The field path of the first bad field, such as
        /// `spec.template.spec.containers[0].securityContext.privileged`.
        path: String,
        /// What is wrong with it.
        message: String,
    },
}

/// The pod spec of `object` with its metadata, or `None` for a kind that Pod Security does not
/// check (a Service, a ConfigMap).
pub fn pod_object(object: &Value) -> Result<Option<PodObject>, WorkloadError> {
    let map = object.as_object().ok_or(WorkloadError::NotAnObject)?;
    let text = |key: &'static str| {
        map.get(key)
            .and_then(Value::as_str)
            .ok_or(WorkloadError::MissingType(key))
    };
    let (api_version, kind_name) = (text("apiVersion")?, text("kind")?);
    let Some(kind) = WorkloadKind::from_type(api_version, kind_name) else {
        return Ok(None);
    };
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let generate_name = object
        .pointer("/metadata/generateName")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let path = kind.template_path();
    let mut template = object;
    for (depth, key) in path.iter().enumerate() {
        template = match template.get(key) {
            Some(value) if !value.is_null() => value,
            _ => {
                return Err(WorkloadError::Missing {
                    path: path[..=depth].join("."),
                    kind: kind_name.to_owned(),
                });
            }
        };
    }
    let prefix = |field: &str| {
        if path.is_empty() {
            field.to_owned()
        } else {
            format!("{}.{field}", path.join("."))
        }
    };
    let spec_value = match template.get("spec") {
        Some(spec) if !spec.is_null() => spec,
        _ => {
            return Err(WorkloadError::Missing {
                path: prefix("spec"),
                kind: kind_name.to_owned(),
            });
        }
    };
    let metadata = match template.get("metadata") {
        Some(meta) if !meta.is_null() => parse(meta, &prefix("metadata"))?,
        _ => ObjectMeta::default(),
    };
    let spec = parse(spec_value, &prefix("spec"))?;
    Ok(Some(PodObject {
        kind,
        name,
        generate_name,
        pod: PodSource { metadata, spec },
    }))
}

/// Deserialises `value` (found at `path`), naming the first field that does not fit.
fn parse<T: DeserializeOwned>(value: &Value, path: &str) -> Result<T, WorkloadError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let inner = error.path().to_string();
        let path = if inner.is_empty() || inner == "." {
            path.to_owned()
        } else {
            format!("{path}.{inner}")
        };
        WorkloadError::Invalid {
            path,
            message: error.into_inner().to_string(),
        }
    })
}

impl fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}
