//! The metrics API's latency over a year of campaign-level daily rows: after `bench sync`,
//! or alone on a database a `bench sync --keep-database` left (`adsync bench metrics`), so
//! the API can be measured again without another backfill.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use adsync_api::AppState;
use adsync_common::Config;
use adsync_common::ids::{Role, TeamId, UserId};
use adsync_storage::connections::{self, AdAccount};
use adsync_storage::{api_tokens, teams};
use anyhow::{Context, bail};
use clap::Args;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::app::Services;

#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// A database a `bench sync --keep-database` filled (its URL is printed at the end).
    #[arg(long)]
    pub database_url: String,
    /// Calls to time.
    #[arg(long, default_value_t = 200)]
    pub calls: usize,
}

/// Times the metrics API on a kept benchmark database: its first team with an ad account,
/// as that team's owner.
pub async fn run(args: MetricsArgs) -> anyhow::Result<()> {
    let mut vars: HashMap<&str, String> = HashMap::from([
        ("DATABASE_URL", args.database_url.clone()),
        ("ADSYNC_ENCRYPTION_KEY", adsync_common::crypto::Keyring::generate_key()),
    ]);
    if args.database_url.starts_with("postgres") {
        let redis = std::env::var("ADSYNC_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        vars.insert("REDIS_URL", redis);
        vars.insert(
            "ADSYNC_QUEUE_NAMESPACE",
            format!("adsync-bench-metrics-{}", std::process::id()),
        );
    }
    let services = Services::connect(Config::from_lookup(|k| vars.get(k).cloned())?).await?;
    let db = services.db.clone();
    let mut found = None;
    for team in teams::list(&db).await? {
        let accounts = connections::all_ad_accounts(&db, team.id).await?;
        let owner = teams::members(&db, team.id)
            .await?
            .into_iter()
            .find(|m| m.role == Role::Owner);
        if let (Some(account), Some(owner)) = (accounts.into_iter().next(), owner) {
            found = Some((team.id, owner.user_id, account));
            break;
        }
    }
    let (team, user, account) = found.context("no team with an ad account and an owner in this database")?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let latency = measure(&services, listener, team, user, &account, args.calls).await?;
    println!("adsync bench metrics");
    latency.print();
    db.close().await;
    Ok(())
}

/// Serves the API on `listener` and times `calls` requests for a year of `account`'s
/// campaign-level daily rows, with a fresh API token of `user`.
pub async fn measure(
    services: &Services,
    listener: TcpListener,
    team: TeamId,
    user: UserId,
    account: &AdAccount,
    calls: usize,
) -> anyhow::Result<Latency> {
    let base = format!("http://{}", listener.local_addr()?);
    let (_, token) = api_tokens::create(&services.db, user, "bench").await?;
    let state = AppState::new(
        services.db.clone(),
        services.queue.clone(),
        services.config.clone(),
        services.connector.clone(),
        None,
        std::sync::Arc::new(adsync_connect::gate::RateGate::for_config(&services.config, None)),
    )?;
    let stop = CancellationToken::new();
    let stopped = stop.clone();
    let limits = state.config.http;
    let server = tokio::spawn(adsync_api::serve(
        adsync_api::router(state),
        listener,
        limits,
        async move { stopped.cancelled().await },
    ));
    let until = account.today();
    let since = until - chrono::Duration::days(364);
    let url = format!(
        "{base}/api/v1/teams/{team}/metrics?since={since}&until={until}&level=campaign&granularity=day\
         &metrics=impressions,clicks,spend,reach,purchases,purchase_value&ad_account_id={}&limit=10000",
        account.id
    );
    adsync_common::graph::install_crypto_provider();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
    let latency = time_calls(&http, &url, token.expose(), calls).await;
    stop.cancel();
    let _ = server.await;
    latency
}

pub struct Latency {
    calls: usize,
    rows: usize,
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
}

/// Times `calls` sequential GETs (after 5 untimed warm-up calls), in milliseconds.
async fn time_calls(http: &reqwest::Client, url: &str, token: &str, calls: usize) -> anyhow::Result<Latency> {
    let mut times = Vec::with_capacity(calls);
    let mut rows = 0;
    for i in 0..calls + 5 {
        let started = Instant::now();
        let res = http.get(url).bearer_auth(token).send().await?;
        let status = res.status();
        let body = res.bytes().await?;
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        if !status.is_success() {
            bail!("metrics API answered {status}: {}", String::from_utf8_lossy(&body));
        }
        if i >= 5 {
            times.push(elapsed);
        } else {
            let json: serde_json::Value = serde_json::from_slice(&body)?;
            rows = json["rows"].as_array().map_or(0, Vec::len);
        }
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| {
        times
            .get(((times.len() as f64 * q).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(0.0)
    };
    Ok(Latency {
        calls,
        rows,
        p50: at(0.50),
        p95: at(0.95),
        p99: at(0.99),
        max: times.last().copied().unwrap_or(0.0),
    })
}

impl Latency {
    pub fn print(&self) {
        println!(
            "  metrics API      {} calls, {} rows each: p50 {:.1} ms · p95 {:.1} ms · p99 {:.1} ms · max {:.1} ms",
            self.calls, self.rows, self.p50, self.p95, self.p99, self.max
        );
    }
}
