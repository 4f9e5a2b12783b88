//! The HTTP server loop: hyper's HTTP/1 connections with a header read timeout, and a shutdown
//! that drains before it stops and never waits longer than its grace.
//!
//! `axum::serve` cannot set hyper's header read timeout, so a client that sends half a request
//! and then nothing (slowloris) held its connection, and with it the graceful shutdown, for as
//! long as it liked. This is the loop axum's own "serve with hyper" example writes, with the
//! timeout and a bounded shutdown added.

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};
use tokio::net::TcpListener;

/// How the server stops; see [`serve`].
#[derive(Debug, Clone)]
pub struct Shutdown {
    /// Set when the stop signal arrives; `/readyz` answers 503 from then on.
    pub draining: Arc<AtomicBool>,
    /// How long requests are still accepted after the signal, so load balancers notice the
    /// failing readiness before the portal stops taking requests.
    pub drain: Duration,
    /// How long in-flight requests then get before the server returns regardless.
    pub grace: Duration,
}

/// Serves `router` on `listener` until `stop` resolves, then drains and shuts down as
/// [`Shutdown`] says. Clients have `header_read_timeout` to send a request's headers.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    header_read_timeout: Duration,
    stop: impl Future<Output = ()> + Send + 'static,
    shutdown: Shutdown,
) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let connections = GracefulShutdown::new();
    let draining = shutdown.draining.clone();
    let drained = async move {
        stop.await;
        draining.store(true, Ordering::SeqCst);
        tracing::info!(
            drain_seconds = shutdown.drain.as_secs_f64(),
            "draining: /readyz answers 503, requests are still served"
        );
        tokio::time::sleep(shutdown.drain).await;
    };
    tokio::pin!(drained);
    loop {
        let (tcp, _peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // log, pause briefly so a persistent error does not spin, and go on.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut drained => break,
        };
        // Pages go out in several writes; without TCP_NODELAY, Nagle's algorithm and the
        // client's delayed ACK hold the last one back for ~40 ms (measured with wrk).
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
        let service = TowerToHyperService::new(router.clone());
        let connection = connections.watch(http.serve_connection(TokioIo::new(tcp), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                // A client that went away or sent garbage, or the header timeout: nothing to
                // do but note it.
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tracing::info!(
        grace_seconds = shutdown.grace.as_secs_f64(),
        "no longer accepting connections; finishing requests in flight"
    );
    if tokio::time::timeout(shutdown.grace, connections.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace_seconds = shutdown.grace.as_secs_f64(),
            "connections still open after the grace period; stopping anyway"
        );
    }
}
