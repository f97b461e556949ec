//! `adsync`: one binary for the API, the worker, the demo and operator commands.

use std::path::PathBuf;
use std::process::ExitCode;

use adsync::app::{self, Role, Services};
use adsync::{admin, demo};
use adsync_common::Config;
use adsync_common::config::ConfigError;
use adsync_common::storage::Db;
use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(
    name = "adsync",
    version,
    about = "Connect a team's Facebook Ads once; keep normalized ad metrics flowing into SQL tables."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run everything in one process on SQLite (no other service), with demo logins.
    Demo {
        /// Folder for the database and the generated encryption key.
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
    },
    /// Run the HTTP API only.
    Serve,
    /// Run a worker only (executes sync jobs).
    Work,
    /// Run the API and a worker in one process.
    All,
    /// Apply database migrations and exit.
    Migrate,
    /// Operator commands: users, teams, memberships, API tokens, resyncs.
    Admin {
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
}

/// Exit codes: 0 ok, 2 usage or configuration error, 1 runtime failure.
enum Failure {
    Config(ConfigError),
    Runtime(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        match e.downcast::<ConfigError>() {
            Ok(c) => Failure::Config(c),
            Err(e) => Failure::Runtime(e),
        }
    }
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure::Config(e)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(execute(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Config(e)) => {
            eprintln!("configuration error: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

async fn execute(command: Command) -> Result<(), Failure> {
    let config = match &command {
        Command::Demo { data_dir } => demo::config(data_dir)?,
        _ => Config::from_env()?,
    };
    adsync_common::telemetry::init(&config.log_filter, config.log_format);
    match command {
        Command::Migrate => {
            let db = Db::connect_and_migrate(config.database_url.expose())
                .await
                .map_err(anyhow::Error::from)?;
            println!("migrations applied ({})", db.dialect());
            Ok(())
        }
        Command::Admin { command } => {
            let services = Services::connect(config).await?;
            Ok(admin::run(command, &services.db, Some(&services.queue)).await?)
        }
        Command::Serve => serve(config, Role::Api, None).await,
        Command::Work => serve(config, Role::Worker, None).await,
        Command::All => serve(config, Role::All, None).await,
        Command::Demo { .. } => {
            let services = Services::connect(config.clone()).await?;
            demo::seed(&services.db).await?;
            serve_services(services, Role::All, Some(demo::banner)).await
        }
    }
}

async fn serve(
    config: Config,
    role: Role,
    banner: Option<fn(&str) -> String>,
) -> Result<(), Failure> {
    if role != Role::Worker {
        config.keyring()?;
    }
    let services = Services::connect(config).await?;
    serve_services(services, role, banner).await
}

async fn serve_services(
    services: Services,
    role: Role,
    banner: Option<fn(&str) -> String>,
) -> Result<(), Failure> {
    let listener = if role == Role::Worker {
        None
    } else {
        let addr = services.config.listen;
        Some(tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            anyhow::anyhow!("cannot listen on {addr} ({e}); set ADSYNC_LISTEN to a free address")
        })?)
    };
    if let (Some(banner), Some(l)) = (banner, &listener) {
        let addr = l.local_addr().map_err(anyhow::Error::from)?;
        println!("{}", banner(&format!("http://{addr}")));
    }
    let shutdown = CancellationToken::new();
    app::cancel_on_signals(shutdown.clone());
    Ok(app::run(services, role, listener, shutdown).await?)
}
