//! `adsync`: one binary for the API, the worker, the demo and operator commands.

use std::path::PathBuf;
use std::process::ExitCode;

use adsync::app::{self, Role, Services};
use adsync::{admin, bench, demo, sandbox_cli};
use adsync_common::Config;
use adsync_common::config::ConfigError;
use adsync_storage::Db;
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
    Migrate {
        /// Also check everything `serve` and `work` need (REDIS_URL with PostgreSQL, a valid
        /// ADSYNC_ENCRYPTION_KEY) and exit 2 naming what is missing: a deployment's one-shot
        /// migrate step then stops the stack instead of starting services that cannot run.
        #[arg(long)]
        check_config: bool,
    },
    /// The Graph API sandbox on its own (a local stand-in for Facebook), or its ground truth.
    Sandbox(sandbox_cli::SandboxArgs),
    /// Benchmarks: a full backfill against the sandbox, timed and measured.
    Bench(bench::BenchArgs),
    /// Operator commands: users, teams, memberships, API tokens, resyncs.
    Admin {
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
}

/// Exit codes: 0 ok, 2 usage or configuration error, 1 runtime failure.
enum Failure {
    Config(ConfigError),
    /// A bad argument value (clap reports missing or malformed flags itself, also with 2).
    Usage(String),
    Runtime(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        match e.downcast::<ConfigError>() {
            Ok(c) => Failure::Config(c),
            Err(e) if e.is::<admin::UsageError>() => Failure::Usage(e.to_string()),
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
    // Before any other thread exists: loading `.env` sets environment variables.
    if let Err(e) = adsync_common::config::load_dotenv() {
        eprintln!("configuration error: {e}");
        return ExitCode::from(2);
    }
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
        Err(Failure::Usage(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

async fn execute(command: Command) -> Result<(), Failure> {
    match command {
        Command::Demo { data_dir } => return run_demo(&data_dir).await,
        Command::Sandbox(args) => return sandbox_cli::run(args).await.map_err(Failure::from),
        Command::Bench(args) => {
            let filter = adsync_common::config::log_filter(std::env::var("RUST_LOG").ok(), "warn,sqlx=error")?;
            adsync_common::telemetry::init(&filter, adsync_common::config::LogFormat::Pretty);
            return bench::run(args).await.map_err(Failure::from);
        }
        _ => {}
    }
    // `.env` is already in the environment (loaded in `main`).
    let config = Config::from_lookup(|k| std::env::var(k).ok())?;
    if matches!(command, Command::Serve | Command::Work | Command::All) {
        config.require_queue()?;
    }
    adsync_common::telemetry::init(&config.log_filter, config.log_format);
    match command {
        Command::Migrate { check_config } => {
            if check_config {
                config.require_queue()?;
                config.keyring()?;
            }
            let db = Db::connect_and_migrate(config.database_url.expose())
                .await
                .map_err(anyhow::Error::from)?;
            println!("migrations applied ({})", db.dialect());
            Ok(())
        }
        Command::Admin { command } => run_admin(config, command).await,
        Command::Serve => serve(config, Role::Api).await,
        Command::Work => serve(config, Role::Worker).await,
        Command::All => serve(config, Role::All).await,
        Command::Demo { .. } | Command::Sandbox(_) | Command::Bench(_) => Ok(()),
    }
}

/// Admin commands open the database without the start-up token check (`rotate-key` must be
/// able to report every token it cannot read) and the queue only when they push a job.
async fn run_admin(config: Config, command: admin::AdminCommand) -> Result<(), Failure> {
    // Opening a SQLite URL creates the file: an admin command on a mistyped path would
    // otherwise work on a new, empty database and report nothing wrong.
    if let Some(file) = config.sqlite_file().filter(|f| !f.exists()) {
        return Err(Failure::Config(ConfigError {
            variable: "DATABASE_URL",
            message: format!(
                "no database at {}: run `adsync migrate` (or `adsync demo`) first, or point DATABASE_URL at an existing one",
                file.display()
            ),
        }));
    }
    let queue_needed = command.needs_queue();
    if queue_needed {
        config.require_queue()?;
    }
    let db = app::open_database(&config).await?;
    let queue = match queue_needed {
        true => Some(app::open_queue(&db, &config).await?),
        false => None,
    };
    let result = admin::run(command, &db, queue.as_ref(), &config).await;
    db.close().await;
    Ok(result?)
}

async fn bind(addr: std::net::SocketAddr) -> Result<tokio::net::TcpListener, Failure> {
    bind_as("ADSYNC_LISTEN", addr).await
}

async fn bind_as(variable: &str, addr: std::net::SocketAddr) -> Result<tokio::net::TcpListener, Failure> {
    tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        Failure::Runtime(anyhow::anyhow!(
            "cannot listen on {addr} ({e}); set {variable} to a free address"
        ))
    })
}

async fn serve(config: Config, role: Role) -> Result<(), Failure> {
    if role != Role::Worker {
        config.keyring()?;
    }
    let listener = match (role, config.worker_listen) {
        (Role::Worker, None) => None,
        (Role::Worker, Some(addr)) => Some(bind_as("ADSYNC_WORKER_LISTEN", addr).await?),
        _ => Some(bind(config.listen).await?),
    };
    let services = Services::connect(config).await?;
    run_until_signal(services, role, listener).await
}

async fn run_until_signal(
    services: Services,
    role: Role,
    listener: Option<tokio::net::TcpListener>,
) -> Result<(), Failure> {
    let shutdown = CancellationToken::new();
    app::cancel_on_signals(shutdown.clone());
    Ok(app::run(services, role, listener, shutdown).await?)
}

/// The demo: bind first (so the OAuth redirect URI names the real port), start the
/// sandbox, then everything else on SQLite in the data folder.
async fn run_demo(data_dir: &std::path::Path) -> Result<(), Failure> {
    let probe = Config::from_lookup(|k| std::env::var(k).ok())?;
    adsync_common::telemetry::init(&probe.log_filter, probe.log_format);
    let listener = bind(probe.listen).await?;
    let url = format!("http://{}", listener.local_addr().map_err(anyhow::Error::from)?);
    let (sandbox, mail) = demo::start_sandbox().await?;
    let config = demo::config(data_dir, &url, &sandbox, &mail)?;
    let services = Services::connect(config).await?;
    demo::seed(&services.db).await?;
    println!("{}", demo::banner(&url, &sandbox));
    let result = run_until_signal(services, Role::All, Some(listener)).await;
    sandbox.shutdown().await;
    drop(mail);
    result
}
