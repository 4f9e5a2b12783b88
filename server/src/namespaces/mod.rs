//! Namespace requests on the server: the service behind the pages (who may do what, every input
//! checked), the provisioning loop, and the cluster connection.

pub mod cluster;
pub mod http;
pub mod provisioner;
pub mod worker;

use crate::store::{AuditQuery, AuditStore, NamespaceRequestStore, QueueQuery, RequestStoreError};
use app::auth::CurrentUser;
use app::domain::{
    NamingPolicy, RequestEvent,
    audit::request_subject,
    namespace_request::{self, CheckedRequest, FormRules, NamespaceRequest, Requester},
    provisioning::{ApprovedRequest, ProvisioningConfig, ProvisioningPlan},
};
use app::features::namespaces::model::{
    FormOptions, QueueFilter, QueuePage, RequestDetail, RequestError, RequestForm, TimelineEntry,
    format_cursor, parse_cursor,
};
use app::ports::Namespaces;
use async_trait::async_trait;
use provisioner::{Existing, Provisioner};
use std::sync::Arc;
use tokio::sync::Notify;

/// How long the request form waits for the API server to say whether a name is taken. The
/// check only spares the requester a refusal later (provisioning checks again), so a slow API
/// server must not hold up the form: past this, the request is taken without it.
const NAME_CHECK_TIME: std::time::Duration = std::time::Duration::from_secs(3);

/// The operator's rules for requests.
#[derive(Debug, Clone)]
pub struct RequestRules {
    pub naming: NamingPolicy,
    pub provisioning: ProvisioningConfig,
    pub label_keys: Vec<String>,
    pub max_open: u32,
    /// An administrator may not approve their own request.
    pub four_eyes: bool,
}

/// The [`Namespaces`] port.
#[derive(Debug, Clone)]
pub struct NamespaceService {
    pub store: Arc<dyn NamespaceRequestStore>,
    pub audit: Arc<dyn AuditStore>,
    pub rules: RequestRules,
    /// `None` without a cluster: requests are accepted and approved, and wait.
    pub provisioner: Option<Provisioner>,
    /// Wakes the provisioning loop after an approval or a retry.
    pub wake: Arc<Notify>,
}

/// The plan approval applies to `request`.
pub fn plan_for(
    request: &NamespaceRequest,
    config: &ProvisioningConfig,
) -> Result<ProvisioningPlan, provisioner::ProvisioningError> {
    let approved = ApprovedRequest {
        id: request.id,
        name: request.name.clone(),
        requester: request.requester.clone(),
        groups: request.groups.clone(),
        labels: request.labels.clone(),
    };
    ProvisioningPlan::for_request(&approved, config).map_err(|errors| {
        let problems: Vec<String> = errors.iter().map(ToString::to_string).collect();
        provisioner::ProvisioningError::Misconfigured(problems.join("; "))
    })
}

fn store_error(error: RequestStoreError) -> RequestError {
    match error {
        RequestStoreError::NameTaken(name) => RequestError::NameTaken(name),
        RequestStoreError::TooManyOpen(limit) => RequestError::TooManyOpen { limit },
        RequestStoreError::NotFound => RequestError::NotFound,
        RequestStoreError::Illegal(illegal) => RequestError::Conflict(format!(
            "Someone else acted first: {illegal}. Reload the page to see where it stands."
        )),
        RequestStoreError::ClaimLost => RequestError::Conflict(
            "The request changed while this was done. Reload the page to see where it stands."
                .into(),
        ),
        RequestStoreError::Store(error) => {
            tracing::error!(%error, "namespace request store failed");
            RequestError::Internal
        }
    }
}

fn internal(error: impl std::fmt::Display) -> RequestError {
    tracing::error!(%error, "namespace requests: internal error");
    RequestError::Internal
}

impl NamespaceService {
    /// Checks a form and turns it into a request to store.
    async fn check(
        &self,
        user: &CurrentUser,
        form: RequestForm,
    ) -> Result<CheckedRequest, RequestError> {
        let checked = namespace_request::check(
            &form,
            Requester {
                username: &user.username,
                groups: &user.groups,
                is_admin: user.is_admin,
            },
            FormRules {
                naming: &self.rules.naming,
                label_keys: &self.rules.label_keys,
            },
        )?;
        let name = &checked.name;
        if let Some(provisioner) = &self.provisioner {
            match tokio::time::timeout(NAME_CHECK_TIME, provisioner.existing(name.as_str())).await {
                Ok(Ok(Existing::None)) => {}
                Ok(Ok(_)) => return Err(RequestError::ExistsInCluster(name.to_string())),
                // The request is still worth keeping: provisioning checks again and never adopts
                // a namespace it did not create.
                Ok(Err(reason)) => {
                    tracing::warn!(%reason, "could not check whether the namespace exists");
                }
                Err(_) => tracing::warn!(
                    seconds = NAME_CHECK_TIME.as_secs(),
                    "the API server did not say in time whether the namespace exists"
                ),
            }
        }
        Ok(checked)
    }

    async fn visible(&self, user: &CurrentUser, id: i64) -> Result<NamespaceRequest, RequestError> {
        let request = self
            .store
            .namespace_request(id)
            .await
            .map_err(internal)?
            .ok_or(RequestError::NotFound)?;
        if user.is_admin || request.requester == user.username {
            Ok(request)
        } else {
            Err(RequestError::NotFound)
        }
    }

    fn admin_only(user: &CurrentUser) -> Result<(), RequestError> {
        if user.is_admin {
            Ok(())
        } else {
            Err(RequestError::AdminOnly)
        }
    }

    async fn act(
        &self,
        id: i64,
        event: RequestEvent,
        actor: &CurrentUser,
        detail: &str,
    ) -> Result<NamespaceRequest, RequestError> {
        self.store
            .transition_namespace_request(id, event, &actor.username, detail)
            .await
            .map_err(store_error)
    }
}

#[async_trait]
impl Namespaces for NamespaceService {
    async fn form_options(&self, user: &CurrentUser) -> Result<FormOptions, RequestError> {
        let mut groups = user.groups.clone();
        groups.sort();
        groups.dedup();
        Ok(FormOptions {
            groups,
            any_group: user.is_admin,
            label_keys: self.rules.label_keys.clone(),
            max_open: self.rules.max_open,
            open_now: self
                .store
                .open_namespace_requests(&user.username)
                .await
                .map_err(internal)?,
        })
    }

    async fn submit(
        &self,
        user: &CurrentUser,
        form: RequestForm,
    ) -> Result<NamespaceRequest, RequestError> {
        let new = self.check(user, form).await?;
        self.store
            .create_namespace_request(&new, self.rules.max_open)
            .await
            .map_err(store_error)
    }

    async fn validate(&self, user: &CurrentUser, form: RequestForm) -> Result<(), RequestError> {
        let new = self.check(user, form).await?;
        if self
            .store
            .open_request_for_name(new.name.as_str())
            .await
            .map_err(internal)?
            .is_some()
        {
            return Err(RequestError::NameTaken(new.name.to_string()));
        }
        let open = self
            .store
            .open_namespace_requests(&user.username)
            .await
            .map_err(internal)?;
        if open >= self.rules.max_open {
            return Err(RequestError::TooManyOpen {
                limit: self.rules.max_open,
            });
        }
        Ok(())
    }

    async fn mine(&self, user: &CurrentUser) -> Result<Vec<NamespaceRequest>, RequestError> {
        self.store
            .namespace_requests_of(&user.username, 200)
            .await
            .map_err(internal)
    }

    async fn detail(&self, user: &CurrentUser, id: i64) -> Result<RequestDetail, RequestError> {
        let request = self.visible(user, id).await?;
        let mut events = self
            .audit
            .audit_events(&AuditQuery {
                subject: Some(request_subject(id)),
                limit: 500,
                ..AuditQuery::default()
            })
            .await
            .map_err(internal)?;
        events.reverse();
        let manifests = plan_for(&request, &self.rules.provisioning)
            .map(|plan| plan.manifests())
            .unwrap_or_default();
        Ok(RequestDetail {
            viewer_is_requester: request.requester == user.username,
            viewer_is_admin: user.is_admin,
            viewer_may_approve: user.is_admin
                && !(self.rules.four_eyes && request.requester == user.username),
            cluster_connected: self.provisioner.is_some(),
            timeline: events.into_iter().map(TimelineEntry::from).collect(),
            manifests,
            request,
        })
    }

    async fn cancel(&self, user: &CurrentUser, id: i64) -> Result<NamespaceRequest, RequestError> {
        let request = self.visible(user, id).await?;
        if request.requester != user.username {
            return Err(RequestError::NotYours);
        }
        self.act(id, RequestEvent::Cancel, user, "").await
    }

    async fn approve(
        &self,
        admin: &CurrentUser,
        id: i64,
    ) -> Result<NamespaceRequest, RequestError> {
        Self::admin_only(admin)?;
        if self.rules.four_eyes {
            let request = self.visible(admin, id).await?;
            if request.requester == admin.username {
                crate::audit::record(
                    self.audit.as_ref(),
                    &admin.username,
                    "namespace_request.approval_refused",
                    &request_subject(id),
                    "four eyes: the requester may not approve their own request",
                )
                .await;
                return Err(RequestError::OwnRequest);
            }
        }
        let request = self.act(id, RequestEvent::Approve, admin, "").await?;
        self.wake.notify_one();
        Ok(request)
    }

    async fn reject(
        &self,
        admin: &CurrentUser,
        id: i64,
        comment: &str,
    ) -> Result<NamespaceRequest, RequestError> {
        Self::admin_only(admin)?;
        let comment = namespace_request::check_comment(comment)?;
        self.act(id, RequestEvent::Reject, admin, comment).await
    }

    async fn retry(&self, admin: &CurrentUser, id: i64) -> Result<NamespaceRequest, RequestError> {
        Self::admin_only(admin)?;
        let request = self.act(id, RequestEvent::Retry, admin, "").await?;
        self.wake.notify_one();
        Ok(request)
    }

    async fn queue(
        &self,
        admin: &CurrentUser,
        filter: QueueFilter,
    ) -> Result<QueuePage, RequestError> {
        Self::admin_only(admin)?;
        let after = match filter
            .after
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            None => None,
            Some(text) => Some(parse_cursor(text).ok_or(RequestError::BadCursor)?),
        };
        let text =
            |value: Option<String>| value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let (requests, next) = self
            .store
            .namespace_request_queue(&QueueQuery {
                status: filter.status,
                group: text(filter.group),
                name: text(filter.name),
                after,
                limit: 50,
            })
            .await
            .map_err(internal)?;
        Ok(QueuePage {
            requests,
            next: next.map(|(rank, id)| format_cursor(rank, id)),
        })
    }
}
