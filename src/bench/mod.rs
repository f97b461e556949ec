//! `adsync bench sync`: a full backfill of a sandbox dataset into a fresh database, timed,
//! with the Graph requests it made against the minimum, CPU seconds and peak memory; then
//! the metrics API's latency over a year of campaign-level daily rows.
//!
//! The sandbox runs as a process of its own (`adsync sandbox`), like the remote API it stands
//! in for, so adsync's CPU time and peak memory are measured apart from it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use adsync_common::Config;
use adsync_common::ids::{Role, TeamId};
use adsync_connect::CallbackParams;
use adsync_sandbox::{DatasetName, SandboxConfig};
use adsync_storage::sync_runs::{self, NewRun, RunStatus};
use adsync_storage::{Db, connections, teams};
use adsync_worker::WorkerState;
use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use tokio_util::sync::CancellationToken;

use crate::app::Services;

/// The largest page the Graph API (and the sandbox) accepts.
const PAGE_SIZE: i64 = 500;
/// Linux reports process CPU time in clock ticks of 1/100 s (USER_HZ).
const TICKS_PER_SECOND: f64 = 100.0;

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub command: BenchCommand,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Full backfill of a sandbox dataset into a fresh database, then metrics API latency.
    Sync(SyncArgs),
    /// Metrics API latency on a database a `bench sync --keep-database` filled.
    Metrics(metrics::MetricsArgs),
    /// Throughput with 1, 2, 4 … worker processes over many small accounts (PostgreSQL + Redis).
    Scale(scale::ScaleArgs),
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Sandbox dataset: small, medium, large (≈700k ad-days) or many (many small accounts).
    #[arg(long, default_value = "large")]
    pub dataset: DatasetName,
    /// Latency the sandbox adds to every Graph API response.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// sqlite: a temporary file. postgres: a fresh database on ADSYNC_TEST_POSTGRES_URL
    /// (default postgres://postgres@127.0.0.1:5432/postgres), with Redis from
    /// ADSYNC_TEST_REDIS_URL (default redis://127.0.0.1:6379); dropped afterwards.
    #[arg(long, value_enum, default_value_t = BenchDatabase::Sqlite)]
    pub database: BenchDatabase,
    /// The sandbox's call budget: `default` (1,000 calls per account per 5 min, as Meta's
    /// tiers roughly are, or what `--account-calls` and `--budget-window` say) or `unlimited`.
    #[arg(long, value_enum, default_value_t = Budget::Default)]
    pub budget: Budget,
    /// Calls per window of each ad account's budget (`--budget default`).
    #[arg(long, default_value_t = 1_000)]
    pub account_calls: u32,
    /// The budget's rolling window (`--budget default`): 90s, 5m, 1h.
    #[arg(long, default_value = "5m")]
    pub budget_window: String,
    /// A fault the sandbox injects at a rate (0–1), as `adsync sandbox --fault`; repeatable,
    /// e.g. `--fault throttle_17=0.05 --fault throttle_613=0.05`.
    #[arg(long = "fault", value_name = "KIND=RATE")]
    pub faults: Vec<String>,
    /// Metrics API calls to time (a year of campaign-level daily rows each).
    #[arg(long, default_value_t = 200)]
    pub metrics_calls: usize,
    /// Stop the backfill after this many seconds (as on SIGTERM) and report the partial run.
    #[arg(long)]
    pub max_seconds: Option<u64>,
    /// adsync's own pace, calls per second per ad account (ADSYNC_GRAPH_CALLS_PER_SECOND;
    /// default: the product's default). With `--budget unlimited` the pace is then all that
    /// limits the calls.
    #[arg(long)]
    pub calls_per_second: Option<u32>,
    /// Keep the filled database (its URL is printed) for `adsync bench metrics`.
    #[arg(long)]
    pub keep_database: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchDatabase {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Budget {
    Default,
    Unlimited,
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.command {
        BenchCommand::Sync(a) => sync(a).await,
        BenchCommand::Metrics(a) => metrics::run(a).await,
        BenchCommand::Scale(a) => scale::run(a).await,
    }
}

async fn sync(args: SyncArgs) -> anyhow::Result<()> {
    let scratch = Scratch::create(args.database).await?;
    let result = sync_in(&args, &scratch).await;
    if args.keep_database && result.is_ok() {
        println!("  database kept: adsync bench metrics --database-url {}", scratch.url);
    } else {
        scratch.remove().await;
    }
    result
}

async fn sync_in(args: &SyncArgs, scratch: &Scratch) -> anyhow::Result<()> {
    let mut extra: Vec<String> = match args.budget {
        Budget::Unlimited => vec!["--unlimited-budget".into()],
        Budget::Default => vec![
            "--account-calls".into(),
            args.account_calls.to_string(),
            "--budget-window".into(),
            args.budget_window.clone(),
        ],
    };
    for f in &args.faults {
        extra.extend(["--fault".to_string(), f.clone()]);
    }
    let sandbox = SandboxProcess::start(args.dataset, args.latency_ms, &extra).await?;
    let api_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", api_listener.local_addr()?);
    let services = Services::connect(config(scratch, &sandbox, &base, args.calls_per_second)?).await?;
    let connector = services.connector.clone().context("the sandbox is configured")?;
    let db = services.db.clone();

    // A team connected through the real OAuth flow: dialog (auto-approved), code exchange.
    let user = crate::admin::create_user(&db, "bench@adsync.test", "bench-password".to_string().into()).await?;
    let team = teams::create(&db, "Bench").await?;
    teams::set_member(&db, team, user, Role::Owner).await?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?;
    connect_team(&connector, &http, team, user).await?;
    let accounts = connections::active_ad_accounts(&db, team).await?;

    let run = sync_runs::create(&db, &NewRun::backfill(team, Some(user))).await?;
    let stop_sync = CancellationToken::new();
    let worker = WorkerState::new(
        db.clone(),
        services.queue.clone(),
        services.config.clone(),
        Some(connector),
        stop_sync.clone(),
    )
    .await;
    if let Some(secs) = args.max_seconds {
        let stop = stop_sync.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(secs)).await;
            stop.cancel();
        });
    }
    // Earlier runs' dirty pages (and the connect flow's) are flushed now rather than during
    // the timed backfill, so runs one after another measure the same work. Best effort:
    // CHECKPOINT needs a superuser or pg_checkpoint.
    if let Db::Postgres(p) = &db
        && let Err(e) = sqlx::query("CHECKPOINT").execute(p).await
    {
        eprintln!("  (no CHECKPOINT before the backfill: {e})");
    }
    let stats_before = sandbox.stats().await?;
    let baseline_rss = proc_status_kb("VmRSS");
    reset_peak_rss();
    let (cpu0, sandbox_cpu0) = (process_cpu_seconds(), sandbox.cpu_seconds());
    let backends0 = backend_cpu_seconds(&db).await;
    let started = Instant::now();
    adsync_worker::execute_run(&worker, run.id).await?;
    let wall = started.elapsed().as_secs_f64();
    let (cpu, sandbox_cpu) = (process_cpu_seconds() - cpu0, sandbox.cpu_seconds() - sandbox_cpu0);
    let database_cpu = backend_cpu_since(&backends0, &backend_cpu_seconds(&db).await);
    let peak_rss = proc_status_kb("VmHWM");
    let done = sync_runs::get(&db, team, run.id).await?.context("the run exists")?;
    let partial = done.status != RunStatus::Succeeded;
    if partial && !stop_sync.is_cancelled() {
        bail!("the backfill ended {:?}: {:?}", done.status, done.error);
    }
    let stats = sandbox.stats().await?.since(&stats_before);
    let counts = counts(&db, team, run.id).await?;

    let ad_rows = counts.rows_by_level.get("ad").copied().unwrap_or(0);
    println!("adsync bench sync");
    if partial {
        println!(
            "  STOPPED after {} s (--max-seconds): {}/{} units done; figures cover the partial run",
            args.max_seconds.unwrap_or(0),
            done.progress.done,
            done.progress.total
        );
    }
    let budget = match args.budget {
        Budget::Unlimited => "unlimited".to_string(),
        Budget::Default => format!("{} calls per {} per ad account", args.account_calls, args.budget_window),
    };
    let faults = if args.faults.is_empty() {
        "none".to_string()
    } else {
        args.faults.join(", ")
    };
    println!(
        "  dataset {} · latency {} ms · {} · sandbox budget {budget} · faults {faults} · adsync pace {} calls/s per ad account",
        args.dataset,
        args.latency_ms,
        db.dialect(),
        services.config.graph_calls_per_second
    );
    println!(
        "  accounts {} · chunks (account × level × the plan's days) {}",
        accounts.len(),
        counts.chunks
    );
    println!(
        "  rows written     {} ({} ad-level; sandbox served {})",
        done.rows_written, ad_rows, stats.rows_served
    );
    println!("  wall time        {wall:.2} s");
    println!(
        "  throughput       {:.0} rows/s ({:.0} ad-day rows/s)",
        done.rows_written as f64 / wall,
        ad_rows as f64 / wall
    );
    println!(
        "  graph requests   {} made; minimum at {PAGE_SIZE}/page {} (ratio {:.2}); minimum with the plan's chunks and the probe {} (ratio {:.2})",
        stats.requests,
        counts.minimum,
        stats.requests as f64 / counts.minimum.max(1) as f64,
        counts.chunked_minimum,
        stats.requests as f64 / counts.chunked_minimum.max(1) as f64
    );
    for (endpoint, n) in &stats.requests_by_endpoint {
        println!("                   {n:>7}  {endpoint}");
    }
    println!(
        "  throttled        {} calls; {} while blocked; {} error responses",
        stats.throttled_calls, stats.calls_while_blocked, stats.error_responses
    );
    // The sandbox is a process of its own: `cpu` is adsync's alone (API, worker, bench client).
    let database_cpu = database_cpu.map_or(String::new(), |s| format!(" + {s:.2} s PostgreSQL backends"));
    println!("  cpu              {cpu:.2} s adsync + {sandbox_cpu:.2} s sandbox{database_cpu}");
    println!(
        "  memory           peak RSS {:.1} MB during the sync (RSS {:.1} MB before it; adsync's process: API, worker, bench client); sandbox process peak {:.1} MB",
        peak_rss as f64 / 1024.0,
        baseline_rss as f64 / 1024.0,
        sandbox.peak_rss_kb() as f64 / 1024.0
    );

    // The metrics API: a year of campaign-level daily rows of the first account.
    let account = accounts.first().context("the team has an ad account")?;
    let latency = metrics::measure(&services, api_listener, team, user, account, args.metrics_calls).await?;
    latency.print();
    db.close().await;
    drop(sandbox);
    Ok(())
}

/// Connects `team` through the real OAuth flow: the sandbox's auto-approved dialog, the
/// code exchange, the ad-account discovery.
async fn connect_team(
    connector: &adsync_connect::Connector,
    http: &reqwest::Client,
    team: TeamId,
    user: adsync_common::ids::UserId,
) -> anyhow::Result<()> {
    let dialog = connector.start(team, user, "/teams").await?;
    let res = http.get(dialog.as_str()).send().await?;
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .context("the sandbox dialog redirects back")?;
    let back = reqwest::Url::parse(location)?;
    let query: HashMap<String, String> = back.query_pairs().into_owned().collect();
    let params = CallbackParams {
        code: query.get("code").cloned(),
        state: query.get("state").cloned(),
        ..CallbackParams::default()
    };
    connector.callback(params, Some(user)).await.result?;
    Ok(())
}

fn config(
    scratch: &Scratch,
    sandbox: &SandboxProcess,
    base: &str,
    calls_per_second: Option<u32>,
) -> anyhow::Result<Config> {
    // The sandbox's app credentials are its defaults; `adsync sandbox` has no flags for them.
    let app = SandboxConfig::default();
    let mut vars: HashMap<&str, String> = HashMap::from([
        ("DATABASE_URL", scratch.url.clone()),
        ("ADSYNC_ENCRYPTION_KEY", adsync_common::crypto::Keyring::generate_key()),
        ("ADSYNC_PUBLIC_URL", base.to_string()),
        ("FACEBOOK_APP_ID", app.app_id),
        ("FACEBOOK_APP_SECRET", app.app_secret),
        ("FACEBOOK_GRAPH_URL", sandbox.base_url().to_string()),
        ("FACEBOOK_DIALOG_URL", sandbox.base_url().to_string()),
    ]);
    if let Some(n) = calls_per_second {
        vars.insert("ADSYNC_GRAPH_CALLS_PER_SECOND", n.to_string());
    }
    if let Some((redis, namespace)) = &scratch.redis {
        vars.insert("REDIS_URL", redis.clone());
        vars.insert("ADSYNC_QUEUE_NAMESPACE", namespace.clone());
    }
    Ok(Config::from_lookup(|k| vars.get(k).cloned())?)
}

/// Rows the backfill stored and the requests it needed at least.
struct Counts {
    rows_by_level: HashMap<String, i64>,
    chunks: i64,
    /// Every row fetched once, `PAGE_SIZE` per page, per account and level.
    minimum: i64,
    /// The same within the plan's chunks (an empty chunk still costs one call), plus one
    /// probe call per account.
    chunked_minimum: i64,
}

async fn counts(db: &Db, team: TeamId, run: adsync_common::ids::RunId) -> anyhow::Result<Counts> {
    const BY_LEVEL: &str = "SELECT ad_account_id, level, COUNT(*) FROM insights_daily \
                            WHERE team_id = $1 AND breakdown = '' GROUP BY ad_account_id, level";
    const BY_CHUNK: &str = "SELECT c.ad_account_id, c.level, c.since, COUNT(i.object_id) FROM sync_chunks c \
                            LEFT JOIN insights_daily i ON i.team_id = $1 AND i.ad_account_id = c.ad_account_id \
                            AND i.level = c.level AND i.breakdown = '' AND i.date >= c.since AND i.date <= c.until \
                            WHERE c.run_id = $2 GROUP BY c.ad_account_id, c.level, c.since";
    type LevelRow = (String, String, i64);
    type ChunkRow = (String, String, chrono::NaiveDate, i64);
    let (by_level, by_chunk): (Vec<LevelRow>, Vec<ChunkRow>) = match db {
        Db::Sqlite(p) => (
            sqlx::query_as(BY_LEVEL).bind(team).fetch_all(p).await?,
            sqlx::query_as(BY_CHUNK).bind(team).bind(run).fetch_all(p).await?,
        ),
        Db::Postgres(p) => (
            sqlx::query_as(BY_LEVEL).bind(team).fetch_all(p).await?,
            sqlx::query_as(BY_CHUNK).bind(team).bind(run).fetch_all(p).await?,
        ),
    };
    let pages = |n: i64| (n + PAGE_SIZE - 1) / PAGE_SIZE;
    let mut rows_by_level = HashMap::new();
    let mut accounts = std::collections::HashSet::new();
    for (account, level, n) in &by_level {
        *rows_by_level.entry(level.clone()).or_insert(0) += n;
        accounts.insert(account.clone());
    }
    Ok(Counts {
        rows_by_level,
        chunks: by_chunk.len() as i64,
        minimum: by_level.iter().map(|(_, _, n)| pages(*n)).sum(),
        chunked_minimum: by_chunk.iter().map(|(_, _, _, n)| pages(*n).max(1)).sum::<i64>() + accounts.len() as i64,
    })
}

mod env;
mod metrics;
mod scale;
use env::*;
