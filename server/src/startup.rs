//! Building the application: database, state, router, listener.

use crate::{
    api,
    config::Config,
    db::Database,
    faq::{FaqLibrary, FaqService},
    health,
};
use anyhow::Context;
use app::{
    App,
    ports::{FaqContext, ServerContext, provide_server_context},
    shell,
};
use axum::{Router, extract::FromRef, routing::get};
use leptos::prelude::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::{future::Future, net::SocketAddr, sync::Arc};
use tokio::net::TcpListener;
use tower_http::{compression::CompressionLayer, trace::TraceLayer};

/// What every request handler can reach. Cheap to clone: everything inside is shared.
#[derive(Debug, Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub server_context: ServerContext,
    pub database: Database,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The portal, bound to its port and ready to run.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: Router,
    database: Database,
    address: SocketAddr,
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

        let leptos_options = LeptosOptions::builder()
            .output_name("portal")
            .site_root(config.site_root.to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .site_addr(address)
            .build();
        if !config
            .site_root
            .join("pkg")
            .join("portal_bg.wasm")
            .is_file()
        {
            tracing::warn!(
                site_root = %config.site_root.display(),
                "the browser bundle is missing: pages render, but will not become interactive \
                 (build it with .ci/build.sh)"
            );
        }
        let server_context = ServerContext {
            config: config.app_config()?,
            store: database.store(),
            faq: FaqContext {
                faq: Arc::new(FaqService::new(faq_library, database.faq_store())),
                admin_public: config.faq_admin_public,
                secure_cookies: config.public_url.starts_with("https://"),
            },
        };
        let state = AppState {
            leptos_options,
            server_context,
            database: database.clone(),
        };
        Ok(Self {
            listener,
            router: router(state),
            database,
            address,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests and closes the database.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(address = %self.address, "portal listening");
        let served = axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
            .context("the HTTP server failed");
        self.database.close().await;
        tracing::info!("portal stopped");
        served
    }
}

/// Every route of the portal. One context function serves both the page renderer and the
/// server-function handler (`leptos_routes_with_context` registers both), so they cannot drift.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let context = state.server_context.clone();
    let fallback_context = context.clone();
    let options = state.leptos_options.clone();
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(api::router())
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_server_context(&context),
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            move || provide_server_context(&fallback_context), shell
        ))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
