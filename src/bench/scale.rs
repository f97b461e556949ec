//! `adsync bench scale`: the same work (a backfill of each of the 16 small accounts of the
//! sandbox's `many` dataset, one team per account) done by 1, 2, 4 … `adsync work`
//! processes on PostgreSQL + Redis, with Graph latency. Prints wall time, throughput and the
//! speed-up over the first worker count; near-linear is the goal until the rate budget binds.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use adsync_common::Config;
use adsync_common::ids::{Role, TeamId};
use adsync_sandbox::DatasetName;
use adsync_storage::sync_runs::{self, NewRun, RunStatus};
use adsync_storage::{connections, teams};
use anyhow::{Context, bail};
use clap::Args;

use super::env::{SandboxProcess, Scratch};
use super::{BenchDatabase, config, connect_team};
use crate::app::Services;

#[derive(Debug, Args)]
pub struct ScaleArgs {
    /// Worker process counts to compare, e.g. 1,2,4.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4")]
    pub workers: Vec<usize>,
    /// Latency the sandbox adds to every Graph API response.
    #[arg(long, default_value_t = 50)]
    pub latency_ms: u64,
    /// Jobs each worker process runs at once (ADSYNC_WORKER_CONCURRENCY).
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
}

struct Outcome {
    workers: usize,
    wall: f64,
    runs: usize,
    rows: i64,
    requests: u64,
    while_blocked: u64,
    spread: usize,
    /// Mean claim-to-finish time of one run.
    run_seconds: f64,
}

pub async fn run(args: ScaleArgs) -> anyhow::Result<()> {
    if args.workers.is_empty() || args.workers.contains(&0) {
        bail!("--workers: give one or more counts of at least 1, e.g. 1,2,4");
    }
    println!(
        "adsync bench scale · dataset many · latency {} ms · PostgreSQL + Redis · {} job(s) per worker process",
        args.latency_ms, args.concurrency
    );
    println!(
        "  workers   wall s   runs/s   rows/s   requests   calls while blocked   workers used   s per run   speed-up"
    );
    let mut first: Option<f64> = None;
    for &workers in &args.workers {
        let scratch = Scratch::create(BenchDatabase::Postgres).await?;
        let outcome = once(&args, workers, &scratch).await;
        scratch.remove().await;
        let o = outcome?;
        let speed_up = first.map(|w| w / o.wall).unwrap_or(1.0);
        first.get_or_insert(o.wall);
        println!(
            "  {:>7}   {:>6.1}   {:>6.2}   {:>6.0}   {:>8}   {:>19}   {:>12}   {:>9.2}   {:>7.2}×",
            o.workers,
            o.wall,
            o.runs as f64 / o.wall,
            o.rows as f64 / o.wall,
            o.requests,
            o.while_blocked,
            o.spread,
            o.run_seconds,
            speed_up
        );
    }
    Ok(())
}

async fn once(args: &ScaleArgs, workers: usize, scratch: &Scratch) -> anyhow::Result<Outcome> {
    let sandbox = SandboxProcess::start(DatasetName::Many, args.latency_ms, &[]).await?;
    let config = config(scratch, &sandbox, "http://127.0.0.1:9", None)?;
    let env = worker_env(&config, args.concurrency);
    let services = Services::connect(config).await?;
    let connector = services.connector.clone().context("the sandbox is configured")?;
    let db = services.db.clone();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?;

    // One team per ad account, each connected through the OAuth flow; each gets a backfill
    // of its own account, queued before any worker starts.
    let user = crate::admin::create_user(&db, "bench@adsync.test", "bench-password".to_string().into()).await?;
    let mut runs: Vec<(TeamId, adsync_common::ids::RunId)> = Vec::new();
    let mut accounts = Vec::new();
    let mut index = 0;
    loop {
        let team = teams::create(&db, &format!("Shop team {}", index + 1)).await?;
        teams::set_member(&db, team, user, Role::Owner).await?;
        connect_team(&connector, &http, team, user).await?;
        if accounts.is_empty() {
            // Every team reaches all the sandbox user's accounts; each syncs one of them.
            accounts = connections::active_ad_accounts(&db, team).await?;
        }
        let Some(account) = accounts.get(index) else {
            bail!("the sandbox has no ad accounts")
        };
        let new = NewRun {
            ad_account_id: Some(account.id.clone()),
            ..NewRun::backfill(team, Some(user))
        };
        let run = adsync_storage::syncs::request(&db, &services.queue, &new).await?;
        runs.push((team, run.id));
        index += 1;
        if index == accounts.len() {
            break;
        }
    }

    let stats_before = sandbox.stats().await?;
    let started = Instant::now();
    let mut children: Vec<Child> = (0..workers)
        .map(|_| spawn_worker(&env))
        .collect::<anyhow::Result<_>>()?;
    let mut rows = 0;
    let mut run_seconds = 0.0;
    let outcome = async {
        for (team, run) in &runs {
            loop {
                let r = sync_runs::get(&db, *team, *run).await?.context("the run exists")?;
                match r.status {
                    RunStatus::Succeeded => {
                        rows += r.rows_written;
                        if let (Some(a), Some(b)) = (r.started_at, r.finished_at) {
                            run_seconds += (b - a).as_seconds_f64() / runs.len() as f64;
                        }
                        break;
                    }
                    RunStatus::Failed => bail!("run {run} failed: {:?}", r.error),
                    _ => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            }
        }
        anyhow::Ok(started.elapsed().as_secs_f64())
    }
    .await;
    for c in &mut children {
        let _ = c.kill();
        let _ = c.wait();
    }
    let wall = outcome?;
    let spread = claimants(&db).await?;
    let stats = sandbox.stats().await?.since(&stats_before);
    db.close().await;
    drop(sandbox);
    Ok(Outcome {
        workers,
        wall,
        runs: runs.len(),
        rows,
        requests: stats.requests,
        while_blocked: stats.calls_while_blocked,
        spread,
        run_seconds,
    })
}

/// How many distinct worker processes claimed the runs.
async fn claimants(db: &adsync_storage::Db) -> anyhow::Result<usize> {
    let adsync_storage::Db::Postgres(pool) = db else {
        bail!("the scaling benchmark runs on PostgreSQL")
    };
    let n: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT claimed_by) FROM sync_runs")
        .fetch_one(pool)
        .await?;
    Ok(n as usize)
}

/// The environment of an `adsync work` process configured like this benchmark.
fn worker_env(config: &Config, concurrency: usize) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("DATABASE_URL", config.database_url.expose().clone()),
        ("ADSYNC_WORKER_CONCURRENCY", concurrency.to_string()),
        ("ADSYNC_QUEUE_NAMESPACE", config.queue_namespace.clone()),
        ("ADSYNC_PUBLIC_URL", config.public_url.to_string()),
        ("RUST_LOG", "error".into()),
    ];
    if let Some(k) = &config.encryption_key {
        env.push(("ADSYNC_ENCRYPTION_KEY", k.expose().clone()));
    }
    if let Some(r) = &config.redis_url {
        env.push(("REDIS_URL", r.expose().clone()));
    }
    if let Some(fb) = &config.facebook {
        env.push(("FACEBOOK_APP_ID", fb.app_id.clone()));
        env.push(("FACEBOOK_APP_SECRET", fb.app_secret.expose().clone()));
        env.push(("FACEBOOK_GRAPH_URL", fb.graph_url.to_string()));
        env.push(("FACEBOOK_DIALOG_URL", fb.dialog_url.to_string()));
    }
    env
}

fn spawn_worker(env: &[(&'static str, String)]) -> anyhow::Result<Child> {
    let exe = std::env::current_exe().context("cannot find the adsync binary")?;
    let mut cmd = Command::new(exe);
    cmd.arg("work")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    Ok(cmd.spawn()?)
}
