//! The provisioning loop: at start-up, every few seconds, and at once when a request is approved
//! or retried, it claims the requests that need provisioning, one at a time, and applies their
//! plans. Claims live in the database, so a crash loses nothing (another pass, here or on
//! another replica, resumes once the claim runs out) and replicas never provision one request
//! twice at the same time.

use super::{plan_for, provisioner::Provisioner};
use crate::store::{NamespaceRequestStore, RequestStoreError};
use app::domain::provisioning::ProvisioningConfig;
use std::{sync::Arc, time::Duration};
use tokio::sync::{Notify, watch};

/// How long a claim holds. Longer than the worst case of one provisioning (every API call at
/// its read timeout), so a live worker never loses its claim mid-way.
pub const LEASE: Duration = Duration::from_secs(180);

#[derive(Debug, Clone)]
pub struct Worker {
    pub store: Arc<dyn NamespaceRequestStore>,
    pub provisioner: Provisioner,
    pub config: ProvisioningConfig,
    /// Identifies this process in claims and in the audit trail.
    pub id: String,
    pub interval: Duration,
    pub wake: Arc<Notify>,
}

impl Worker {
    /// Runs passes until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(worker = %self.id, "provisioning loop started");
        loop {
            self.pass().await;
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                _ = self.wake.notified() => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                break;
            }
        }
        tracing::info!(worker = %self.id, "provisioning loop stopped");
    }

    /// Provisions every request that needs it now. Returns how many it finished.
    pub async fn pass(&self) -> usize {
        let mut finished = 0;
        loop {
            let now_ms = chrono::Utc::now().timestamp_millis();
            let lease_ms = i64::try_from(LEASE.as_millis()).unwrap_or(i64::MAX);
            let request = match self
                .store
                .claim_namespace_request(&self.id, now_ms, lease_ms)
                .await
            {
                Ok(Some(request)) => request,
                Ok(None) => {
                    crate::metrics::reconcile_pass();
                    return finished;
                }
                Err(error) => {
                    tracing::warn!(%error, "could not claim namespace requests; trying again later");
                    return finished;
                }
            };
            let started = std::time::Instant::now();
            let outcome = match plan_for(&request, &self.config) {
                Ok(plan) => self.provisioner.apply(request.id, &plan).await,
                Err(reason) => Err(reason),
            };
            crate::metrics::provisioning(outcome.is_ok(), started.elapsed());
            match &outcome {
                Ok(()) => {
                    tracing::info!(id = request.id, name = %request.name, "namespace provisioned")
                }
                Err(reason) => {
                    tracing::warn!(id = request.id, name = %request.name, %reason, "provisioning failed")
                }
            }
            match self
                .store
                .finish_namespace_request(
                    request.id,
                    &self.id,
                    outcome.map_err(|error| error.to_string()),
                )
                .await
            {
                Ok(_) => finished += 1,
                Err(RequestStoreError::ClaimLost) => {
                    tracing::warn!(id = request.id, "another process took over this request");
                }
                Err(error) => {
                    // The claim runs out and the next pass resumes: applying again is harmless.
                    tracing::warn!(id = request.id, %error, "could not record the outcome");
                    return finished;
                }
            }
        }
    }
}

/// A name for this process in claims: host, process id and a random part (two replicas may
/// share a host name and a pid inside their containers).
pub fn worker_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "portal".to_owned());
    app::domain::namespace_request::worker_actor(&host, std::process::id(), rand::random())
}
