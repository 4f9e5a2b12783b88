//! The `portal` command.

use clap::{Parser, Subcommand};
use server::{config::Config, db::Database, startup::Application, telemetry};
use std::{path::PathBuf, process::ExitCode};

/// Self-service portal for application developers on Compliant Kubernetes (Welkin).
#[derive(Debug, Parser)]
#[command(name = "portal", version, about)]
struct Cli {
    /// A TOML configuration file; `PORTAL_*` environment variables override its values.
    #[arg(long, short, env = "PORTAL_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Write logs as JSON lines (for log collectors) instead of human-readable text.
    #[arg(long, global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply database migrations, then serve the portal (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line, with the whole cause chain, and never a backtrace: this is what an operator
            // sees when the database is down or the port is taken.
            tracing::error!(error = format!("{error:#}"), "portal stopped");
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    telemetry::init(cli.log_json || config.log_json, &config.log_filter)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let application = Application::build(config).await?;
            application.run_until_stopped(shutdown_signal()).await
        }
        Command::Migrate => {
            let database = Database::connect(&config).await?;
            database.migrate().await?;
            tracing::info!("migrations applied");
            Ok(())
        }
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (what Kubernetes sends before killing a Pod).
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "could not listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "could not listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}
