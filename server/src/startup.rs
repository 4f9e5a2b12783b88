//! Building the application: database, state, router, listener.

use crate::{
    access::{self, AccessCache, NoCluster},
    api,
    audit::AuditService,
    auth::{self, oidc::Oidc, session::SessionBackend},
    config::Config,
    faq::{FaqLibrary, FaqService},
    health,
    namespaces::{self, NamespaceService, RequestRules, cluster, provisioner::Provisioner, worker},
    security, serve,
    state::{AppState, AppStateParts},
    store::Database,
};
use anyhow::Context;
use app::{
    App,
    ports::{AccessContext, FaqContext, ServerContext, provide_server_context},
    shell,
};
use axum::{
    Router,
    extract::DefaultBodyLimit,
    middleware,
    routing::{get, post},
};
use leptos::prelude::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::{future::Future, net::SocketAddr, sync::Arc};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite, cookie::time};

/// The portal, bound to its port and ready to run.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: Router,
    database: Database,
    address: SocketAddr,
    /// The provisioning loop; `None` without a cluster.
    worker: Option<worker::Worker>,
    /// The access view's watchers, when a cluster is connected; stopped at shutdown.
    access: Option<AccessCache>,
    /// The watchers of the cluster's Gatekeeper rules, for preflight; stopped at shutdown.
    gatekeeper: Option<crate::preflight::cluster::GatekeeperCache>,
    /// The watches of the cluster's Pods and NetworkPolicies, for the traffic check.
    traffic: Option<crate::traffic::cache::TrafficCache>,
    shutdown: serve::Shutdown,
    header_read_timeout: std::time::Duration,
    /// `/metrics`, on its own listener; `None` with `metrics_addr = "off"`.
    metrics: Option<(SocketAddr, Router, TcpListener)>,
}

impl Application {
    /// Connects to and migrates the database, builds the router and binds the listener.
    /// Port 0 picks a free port (tests); [`Application::address`] tells which.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        // The FAQ first: a bad entry file is a configuration mistake to report before anything
        // else is opened.
        let faq_library = FaqLibrary::load(&config)?;
        let database = Database::connect(&config).await?;
        database.migrate().await?;
        let listener = TcpListener::bind(config.listen_addr)
            .await
            .with_context(|| format!("could not listen on {}", config.listen_addr))?;
        let address = listener
            .local_addr()
            .context("could not read the bound address")?;
        let metrics = match config.metrics_addr {
            Some(metrics_addr) => {
                Some(crate::metrics::listen(metrics_addr, Arc::new(database.clone())).await?)
            }
            None => None,
        };

        let leptos_options = LeptosOptions::builder()
            .output_name(crate::assets::bundle_name(&config.site_root))
            .site_root(config.site_root.to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .site_addr(address)
            .build();
        let connection = cluster::connection(&config).await?;
        if connection.is_none() {
            tracing::warn!(
                "no cluster configured (kubeconfig unset, not running in Kubernetes): namespace \
                 requests can be made and approved, and wait for a cluster"
            );
        }
        let provisioner = connection
            .as_ref()
            .map(cluster::provisioning_client)
            .transpose()?
            .map(|client| {
                Provisioner::new(client).requiring_admission_policy(config.require_admission_policy)
            });
        let wake = Arc::new(tokio::sync::Notify::new());
        let stores = database.stores();
        let audit = AuditService {
            store: stores.audit.clone(),
            requests: stores.namespace_requests.clone(),
        };
        let namespace_service = NamespaceService {
            store: stores.namespace_requests.clone(),
            audit: stores.audit.clone(),
            rules: RequestRules {
                naming: config.naming_policy(),
                provisioning: config.provisioning_config(),
                label_keys: config.namespace_label_keys.clone(),
                max_open: config.max_open_requests,
                four_eyes: config.approval_four_eyes,
            },
            provisioner: provisioner.clone(),
            wake: wake.clone(),
        };
        let worker = provisioner.map(|provisioner| worker::Worker {
            store: stores.namespace_requests.clone(),
            provisioner,
            config: config.provisioning_config(),
            id: worker::worker_id(),
            interval: std::time::Duration::from_secs(config.reconcile_interval_seconds),
            wake,
        });
        let oidc = Oidc::from_config(&config)?.map(Arc::new);
        let form_action_origins: Vec<String> = oidc
            .iter()
            .map(|oidc| security::origin_of(oidc.issuer()))
            .collect();
        let access_settings = config.access_settings()?;
        let access_cache = connection
            .as_ref()
            .map(cluster::watch_client)
            .transpose()?
            .map(|client| AccessCache::spawn(client, &access_settings));
        let gatekeeper = connection
            .as_ref()
            .map(cluster::watch_client)
            .transpose()?
            .map(crate::preflight::cluster::GatekeeperCache::spawn);
        let traffic = connection
            .as_ref()
            .map(cluster::watch_client)
            .transpose()?
            .map(crate::traffic::cache::TrafficCache::spawn);
        let preflight_rules = match &gatekeeper {
            Some(cache) => cache.rules(),
            None => crate::preflight::cluster::LiveRules::fixed(
                crate::preflight::cluster::RulesSnapshot::empty(
                    app::domain::preflight::rules::RulesStatus::NoCluster,
                ),
            ),
        };
        let access_view = match &access_cache {
            Some(cache) => cache.view(),
            None => Arc::new(NoCluster {
                primary_binding: access_settings
                    .binding_names
                    .first()
                    .cloned()
                    .unwrap_or_default(),
            }),
        };
        let server_context = ServerContext {
            config: Arc::new(config.app_config()?),
            audit: Arc::new(audit.clone()),
            form_action_origins: form_action_origins.clone(),
            faq: FaqContext {
                faq: Arc::new(FaqService::new(faq_library, stores.faq.clone())),
                secure_cookies: config.public_url.starts_with("https://"),
            },
            namespaces: Arc::new(namespace_service),
            access: AccessContext {
                view: access_view.clone(),
                groups_seen: Arc::new(access::GroupsSeenAtLogin(stores.seen_groups.clone())),
            },
            preflight: Arc::new(crate::preflight::service::PreflightService::new(
                app::domain::provisioning::pod_security_labels(&config.provisioning_config()),
                app::domain::preflight::advice::Platform {
                    allowed_registries: config.allowed_registries.clone(),
                },
                preflight_rules,
                access_view.clone(),
            )),
            traffic: Arc::new(crate::traffic::service::TrafficService::new(
                traffic
                    .as_ref()
                    .map(crate::traffic::cache::TrafficCache::objects),
                access_view,
            )),
        };
        let sessions = SessionBackend::for_database(&database)
            .await
            .context("could not prepare the session table")?;
        sessions.spawn_expired_deletion(std::time::Duration::from_secs(60));
        let session_limits = config.session_limits();
        let session_layer = SessionManagerLayer::new(sessions)
            .with_name(if config.is_https() {
                "__Host-portal_session"
            } else {
                "portal_session"
            })
            .with_secure(config.is_https())
            .with_http_only(true)
            .with_same_site(SameSite::Lax)
            .with_path("/")
            .with_expiry(Expiry::OnInactivity(
                time::Duration::try_from(session_limits.idle)
                    .context("session_idle_minutes is too large")?,
            ));
        let shutdown = serve::Shutdown {
            draining: Arc::default(),
            drain: std::time::Duration::from_secs(config.shutdown_drain_seconds),
            grace: std::time::Duration::from_secs(config.shutdown_grace_seconds),
        };
        let state = AppState::new(AppStateParts {
            draining: shutdown.draining.clone(),
            pending_logins: auth::pending::PendingLogins::new(
                config.oidc_client_secret()?.as_ref(),
                config.is_https(),
            ),
            leptos_options,
            server_context,
            database: database.clone(),
            stores,
            audit,
            oidc,
            public_origin: security::origin_of(&config.public_url),
            public_url: config.public_url.clone(),
            session_limits,
            login_everywhere: config.login_everywhere,
            cluster_access: config.cluster_access()?.map(Arc::new),
            request_timeout: std::time::Duration::from_secs(config.request_timeout_seconds),
        });
        Ok(Self {
            listener,
            router: router(state, session_layer),
            database,
            address,
            worker,
            access: access_cache,
            gatekeeper,
            traffic,
            shutdown,
            header_read_timeout: std::time::Duration::from_secs(config.header_read_timeout_seconds),
            metrics,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// Where `/metrics` is served, if anywhere.
    pub fn metrics_address(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(address, _, _)| *address)
    }

    /// Serves until `stop` resolves; then drains (`/readyz` answers 503 while requests are
    /// still served), gives in-flight requests their grace, and closes the database.
    pub async fn run_until_stopped(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(address = %self.address, "portal listening");
        let (stop_metrics, metrics_stopped) = tokio::sync::oneshot::channel::<()>();
        let metrics = self.metrics.map(|(address, router, listener)| {
            tracing::info!(%address, "metrics at /metrics");
            tokio::spawn(async move {
                let served = axum::serve(listener, router)
                    .with_graceful_shutdown(async {
                        let _ = metrics_stopped.await;
                    })
                    .await;
                if let Err(error) = served {
                    tracing::warn!(%error, "the metrics listener failed");
                }
            })
        });
        let (stop_worker, worker_stopped) = tokio::sync::watch::channel(false);
        let worker = self
            .worker
            .map(|worker| tokio::spawn(worker.run(worker_stopped)));
        serve::serve(
            self.listener,
            self.router,
            self.header_read_timeout,
            stop,
            self.shutdown,
        )
        .await;
        // A provisioning in flight finishes (its API calls have timeouts); a pass that is cut
        // short is resumed by the next start, or by another replica, once its claim runs out.
        let _ = stop_worker.send(true);
        if let Some(worker) = worker
            && tokio::time::timeout(std::time::Duration::from_secs(30), worker)
                .await
                .is_err()
        {
            tracing::warn!("the provisioning loop did not stop in 30 s; leaving it");
        }
        if let Some(mut access) = self.access {
            access.stop();
        }
        if let Some(mut gatekeeper) = self.gatekeeper {
            gatekeeper.stop();
        }
        if let Some(mut traffic) = self.traffic {
            traffic.stop();
        }
        // Prometheus may scrape until here; a scrape in flight does not hold the exit.
        let _ = stop_metrics.send(());
        if let Some(metrics) = metrics {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(2), metrics).await;
        }
        self.database.close().await;
        tracing::info!("portal stopped");
        Ok(())
    }
}

/// The page routes of [`App`], worked out once per process.
///
/// Leptos works them out by rendering the app with resource loading switched off, and that
/// switch is one flag for the whole process (leptos-rs/leptos#4773): a resource that first
/// polls while another thread is generating the list waits forever. One portal per process
/// generates it before serving, so that never bites in production; a process that starts
/// several portals (the test suite) would hang an unlucky page now and then. Generating the
/// list only once, before any portal serves, closes that window everywhere.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Every route of the portal. One context function serves both the page renderer and the
/// server-function handler (`leptos_routes_with_context` registers both), so they cannot drift.
pub fn router(state: AppState, sessions: SessionManagerLayer<SessionBackend>) -> Router {
    let routes = route_list();
    // Axum clones every handler, and Leptos the context closure, per request: behind an `Arc`,
    // that is a reference count, not a copy of the configuration.
    let context = Arc::new(state.server_context.clone());
    let fallback_context = context.clone();
    let options = Arc::new(state.leptos_options.clone());
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(api::router())
        .merge(crate::assets::router(std::path::Path::new(
            state.leptos_options.site_root.as_ref(),
        )))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_server_context(&context),
            move || shell((*options).clone()),
        )
        // Server functions read at most this much; past it they answer 413. (The API keeps its
        // own limit: the inner layer wins.)
        .layer(DefaultBodyLimit::max(app::status::MAX_CALL_BODY_BYTES))
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            move || provide_server_context(&fallback_context), shell
        ))
        .route("/auth/login", get(auth::login::login))
        .route("/auth/callback", get(auth::login::callback))
        .route("/auth/logout", post(auth::login::logout))
        .route("/kubeconfig/download", get(crate::kubeconfig::download))
        .route("/namespaces/new", post(namespaces::http::submit))
        .route("/preflight", post(crate::preflight::http::submit))
        .route("/namespaces/{id}/cancel", post(namespaces::http::cancel))
        .route(
            "/admin/requests/{id}/{action}",
            post(namespaces::http::decide),
        )
        .route("/admin/audit.csv", get(namespaces::http::export_csv))
        .route("/admin/audit.json", get(namespaces::http::export_json))
        .route("/admin/access.csv", get(access::csv::download))
        // One layer for the whole stack, not one per concern: `Router::layer` boxes each layer
        // it is given around every route, and each box is cloned, allocated and dropped again on
        // every request (about a third of `/healthz`'s instructions went there). Outside-in: log
        // and count, compress, security headers, error pages, finish what a client that hung up
        // started, the time limit, refuse cross-site writes, refuse oversized cookies, load the
        // session, find who is asking, then hand the form page its refused form.
        .layer(
            ServiceBuilder::new()
                .layer(middleware::from_fn(crate::telemetry::request_log))
                .layer(CompressionLayer::new())
                .layer(security::response_headers(
                    &state.public_url,
                    &state.server_context.form_action_origins,
                ))
                .layer(middleware::from_fn_with_state(
                    crate::page_error::Stylesheet(
                        crate::assets::stylesheet(&state.leptos_options.output_name).into(),
                    ),
                    crate::page_error::render,
                ))
                .layer(middleware::from_fn(security::finish_when_client_leaves))
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    security::time_limit,
                ))
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    security::refuse_cross_site,
                ))
                .layer(middleware::from_fn(security::limit_cookies))
                .layer(sessions)
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    auth::load_user,
                ))
                .layer(middleware::from_fn(namespaces::http::refused_form_flash)),
        )
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Streaming out of order leaves a page's content in `<template>`s that only a script moves
    /// into place, so without JavaScript it showed "Loading…" whenever the server was busy. Every
    /// page renders whole; this fails on a new route that forgets to say so.
    #[test]
    fn every_page_renders_whole_before_it_is_sent() {
        let routes = route_list();
        assert!(routes.len() >= 16, "only {} routes", routes.len());
        for route in &routes {
            assert!(
                matches!(route.mode(), leptos_router::SsrMode::Async),
                "{} streams ({:?}): give it ssr=SsrMode::Async in app/src/shell.rs",
                route.path(),
                route.mode()
            );
        }
    }
}
