//! The `portal` command.

use anyhow::Context;
use clap::{Parser, Subcommand};
use server::{config::Config, startup::Application, store::Database, telemetry};
use std::{path::PathBuf, process::ExitCode};

/// Rendering a page allocates and frees a lot of small strings; mimalloc serves that with far
/// less CPU than glibc's malloc, and returns memory after a burst (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Print the effective configuration (secrets redacted) and where each value came from;
    /// exit non-zero if it is invalid.
    Config,
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
    // Asked for JSON on the command line or in the environment, every line is JSON: also the
    // one that says the configuration could not be read.
    let json =
        cli.log_json || std::env::var("PORTAL_LOG_JSON").is_ok_and(|value| value.trim() == "true");
    let result = runtime.block_on(run(cli));
    if let Err(error) = result {
        // One line, with the whole cause chain, and never a backtrace: this is what an operator
        // sees when the database is down or the port is taken.
        let error = format!("{error:#}");
        if json || telemetry::writes_json() {
            let _ = telemetry::init(true, "error");
            tracing::error!(error, "portal stopped");
        } else {
            eprintln!("error: {error}");
        }
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    let command = cli.command.unwrap_or(Command::Serve);
    if !matches!(command, Command::Config) {
        telemetry::init(cli.log_json || config.log_json, &config.log_filter)?;
        for variable in &config.ignored_variables {
            tracing::debug!(
                variable,
                "ignored: Kubernetes sets it for a Service named portal"
            );
        }
    }
    match command {
        Command::Config => {
            print!("{}", config.explain()?);
            Ok(())
        }
        Command::Serve => {
            // Listen for the signals before the port opens: a SIGTERM that arrives between
            // the two (a Pod deleted as it starts) must stop the portal cleanly, not kill it.
            let stop = shutdown_signal()?;
            let application = Application::build(config).await?;
            application.run_until_stopped(stop).await
        }
        Command::Migrate => {
            let database = Database::connect(&config).await?;
            database.migrate().await?;
            tracing::info!("migrations applied");
            Ok(())
        }
    }
}

/// A future that resolves on SIGINT (Ctrl-C) or SIGTERM (what Kubernetes sends before killing a
/// Pod). The handlers are installed here, when it is made, not when it is first polled.
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("listen for SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("listen for SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("SIGINT received, shutting down"),
            _ = terminate.recv() => tracing::info!("SIGTERM received, shutting down"),
        }
    })
}
