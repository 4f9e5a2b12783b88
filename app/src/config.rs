//! The portal's settings that the UI needs. The server builds them from its configuration; the
//! browser receives them with the first page (see [`crate::page_context`]), so they must never
//! hold anything secret.

use crate::domain::NamingPolicy;
use crate::domain::networkpolicy::{LintConfig, PresetOptions, RunRecipeConfig};
use serde::{Deserialize, Serialize};

/// Settings the UI needs, sent to the browser too: nothing secret belongs here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppConfig {
    /// Rules for namespace names, so the browser checks exactly what the server enforces.
    pub naming: NamingPolicy,
    /// What the NetworkPolicy lints know about the cluster (its Pod and Service networks).
    pub lint: LintConfig,
    /// Which image registries a `kubectl run` recipe may use.
    pub run_recipe: RunRecipeConfig,
    /// Settings of the NetworkPolicy presets (the ingress controller's namespace).
    pub presets: PresetOptions,
}
