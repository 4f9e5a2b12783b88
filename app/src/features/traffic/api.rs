//! The check page's and the map page's server functions: the guard, the namespace's live
//! objects from the port, then the domain's question or map.

use super::model::{MapPage, TrafficPage, TrafficPageError};
use crate::domain::traffic::question::CheckForm;
use leptos::prelude::*;

/// The page for `form` (`None`: a plain visit; the first of the user's namespaces is chosen).
#[server(endpoint = "traffic/check")]
pub async fn check_page(form: Option<CheckForm>) -> Result<TrafficPage, TrafficPageError> {
    #[cfg(feature = "ssr")]
    {
        let result = server::page(form);
        if let Err(error) = &result {
            crate::status::set_status(crate::status::HttpStatus::http_status(error));
        }
        result
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = form;
        Err(TrafficPageError::Unavailable)
    }
}

/// The policy map of `namespace` (`None` or empty: the first of the user's namespaces), drawn;
/// with `pod`, only the flows from and to that Pod's group.
#[server(endpoint = "traffic/map")]
pub async fn load_policy_map(
    namespace: Option<String>,
    pod: Option<String>,
) -> Result<MapPage, TrafficPageError> {
    #[cfg(feature = "ssr")]
    {
        let result = server::map_page(namespace, pod);
        if let Err(error) = &result {
            crate::status::set_status(crate::status::HttpStatus::http_status(error));
        }
        result
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = (namespace, pod);
        Err(TrafficPageError::Unavailable)
    }
}

/// The version of `namespace`'s policy map (see [`MapPage::version`]): what the hydrated page
/// asks for every few seconds, a few bytes, to fetch the drawn map only when it changed.
#[server(endpoint = "traffic/map-version")]
pub async fn policy_map_version(namespace: String) -> Result<u64, TrafficPageError> {
    #[cfg(feature = "ssr")]
    {
        let result = server::map_of(Some(namespace)).map(|(_, map)| map.version());
        if let Err(error) = &result {
            crate::status::set_status(crate::status::HttpStatus::http_status(error));
        }
        result
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = namespace;
        Err(TrafficPageError::Unavailable)
    }
}

#[cfg(feature = "ssr")]
mod server {
    use super::super::model::{MapPage, Outcome, TrafficPage, TrafficPageError, WhatIf};
    use crate::domain::traffic::PolicyRef;
    use crate::domain::traffic::map::{PolicyMap, map};
    use crate::domain::traffic::question::{
        CheckField, CheckForm, FieldProblem, Platform, ask, what_if_policies,
    };
    use crate::ports::TrafficError;

    /// Who is asking, the namespaces they may use, and what both pages read.
    struct Asking {
        viewer: crate::domain::access::Viewer,
        namespaces: Vec<String>,
        traffic: std::sync::Arc<dyn crate::ports::Traffic>,
        config: std::sync::Arc<crate::AppConfig>,
    }

    fn asking() -> Result<Asking, TrafficPageError> {
        let user = crate::auth::current_user().ok_or(TrafficPageError::NotLoggedIn)?;
        let viewer = user.viewer();
        let access = crate::ports::use_access().ok_or(TrafficPageError::Unavailable)?;
        let traffic = crate::ports::use_traffic().ok_or(TrafficPageError::Unavailable)?;
        // Provided to every page and server function (the page context exists only while a
        // page renders, not when the browser calls this function itself).
        let config = leptos::prelude::use_context::<std::sync::Arc<crate::AppConfig>>()
            .ok_or(TrafficPageError::Unavailable)?;
        let namespaces = access.view.snapshot().usable_namespaces(&viewer);
        Ok(Asking {
            viewer,
            namespaces,
            traffic,
            config,
        })
    }

    fn traffic_error(error: &TrafficError) -> TrafficPageError {
        TrafficPageError::Traffic {
            status: crate::status::HttpStatus::http_status(error),
            message: error.to_string(),
        }
    }

    pub(super) fn page(form: Option<CheckForm>) -> Result<TrafficPage, TrafficPageError> {
        let Asking {
            viewer,
            namespaces,
            traffic,
            config,
        } = asking()?;
        let submitted = form.is_some();
        let mut form = form.unwrap_or_default();
        form.namespace = form.namespace.trim().to_owned();
        if form.namespace.is_empty() {
            form.namespace = namespaces
                .first()
                .cloned()
                .ok_or(TrafficPageError::NoNamespaces)?;
        }
        let objects = traffic
            .objects(&form.namespace, Some(&viewer))
            .map_err(|error| traffic_error(&error))?;
        let outcome = if !submitted {
            Outcome::NotAsked
        } else {
            match form.question(&form.namespace, &objects.pods) {
                Err(problems) => Outcome::Problems(problems),
                Ok(question) => {
                    let platform = Platform {
                        ingress_namespace: config.presets.ingress_controller_namespace.clone(),
                    };
                    let checked = |what_if: &[_]| {
                        ask(&objects, what_if, &question, &platform, &config.lint)
                            .map(Box::new)
                            .map_err(|error| error.to_string())
                    };
                    match checked(&[]) {
                        Err(message) => Outcome::Problems(vec![FieldProblem {
                            field: CheckField::Port,
                            message,
                        }]),
                        Ok(now) => {
                            let what_if = (!form.what_if.trim().is_empty()).then(|| match traffic
                                .read_manifests(&form.what_if)
                                .and_then(|documents| what_if_policies(&documents, &form.namespace))
                            {
                                Err(message) => WhatIf {
                                    policies: Vec::new(),
                                    result: Err(message),
                                },
                                Ok(policies) => WhatIf {
                                    policies: policies
                                        .iter()
                                        .map(|policy| PolicyRef {
                                            namespace: form.namespace.clone(),
                                            name: policy.metadata.name.clone().unwrap_or_default(),
                                        })
                                        .collect(),
                                    result: checked(&policies),
                                },
                            });
                            Outcome::Checked { now, what_if }
                        }
                    }
                }
            }
        };
        Ok(TrafficPage {
            namespaces,
            form,
            pods: objects.pods,
            outcome,
        })
    }

    /// The user's namespaces and the map of the one asked for (or of the first).
    pub(super) fn map_of(
        namespace: Option<String>,
    ) -> Result<(Vec<String>, PolicyMap), TrafficPageError> {
        let Asking {
            viewer,
            namespaces,
            traffic,
            config,
        } = asking()?;
        let namespace = match namespace.as_deref().map(str::trim) {
            Some(name) if !name.is_empty() => name.to_owned(),
            _ => namespaces
                .first()
                .cloned()
                .ok_or(TrafficPageError::NoNamespaces)?,
        };
        let objects = traffic
            .objects(&namespace, Some(&viewer))
            .map_err(|error| traffic_error(&error))?;
        let platform = Platform {
            ingress_namespace: config.presets.ingress_controller_namespace.clone(),
        };
        Ok((namespaces, map(&objects, &platform)))
    }

    pub(super) fn map_page(
        namespace: Option<String>,
        pod: Option<String>,
    ) -> Result<MapPage, TrafficPageError> {
        let (namespaces, map) = map_of(namespace)?;
        let pod = pod.as_deref().map(str::trim).filter(|pod| !pod.is_empty());
        Ok(MapPage {
            namespaces,
            namespace: map.namespace.clone(),
            version: map.version(),
            html: super::super::map_drawn::map_html(&map, pod),
        })
    }
}
