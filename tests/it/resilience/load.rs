//! The API under load: 200 concurrent clients for 30 s against an `adsync serve` process on
//! PostgreSQL, half asking for metrics (a bearer token, synced data), half hitting the OAuth
//! callback with states that do not exist. Every answer must be the expected one: no 5xx, no
//! timeouts, no refused connections. The latency figures are printed (docs/benchmarks.md
//! records them); they are not asserted, since timing belongs to benchmarks.

use std::time::{Duration, Instant};

use adsync_storage::api_tokens;
use adsync_storage::sync_runs::{self, RunKind, RunStatus};

use super::{spawn_process_with, spawn_worker};
use crate::connect::{auto_approve, fixture};
use crate::helpers::Backend;

const CLIENTS: usize = 200;

fn load_duration() -> Duration {
    std::env::var("ADSYNC_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(30))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_clients_for_thirty_seconds_get_no_errors() {
    let f = fixture(Backend::Postgres, auto_approve()).await;
    assert_eq!(f.connect().await, f.connected_location());
    let worker = spawn_worker(&f);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let runs = sync_runs::list(&f.app.db, f.team, 10).await.expect("runs");
        let b = runs.iter().find(|r| r.kind == RunKind::Backfill).expect("backfill");
        if b.status == RunStatus::Succeeded {
            break;
        }
        assert!(b.status != RunStatus::Failed, "{:?}", b.error);
        assert!(tokio::time::Instant::now() < deadline, "backfill did not finish: {b:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(worker);
    let (_, token) = api_tokens::create(&f.app.db, f.owner, "load").await.expect("token");
    // One team's 100 metrics clients at once: its share of concurrent metrics queries is
    // raised, so this measures the API rather than the per-team bound (429).
    let api = spawn_process_with(
        &f,
        "serve",
        f.app.config.database_url.expose(),
        &[("ADSYNC_METRICS_QUERIES_PER_TEAM", "200")],
    );
    api.until_answering("/readyz").await;

    let today = f.app.sandbox.as_ref().expect("sandbox").dataset().today();
    let metrics_url = format!(
        "{}/api/v1/teams/{}/metrics?since={}&until={today}&level=campaign&granularity=day\
         &metrics=impressions,clicks,spend,reach,purchases,roas",
        api.ops,
        f.team,
        today - chrono::Duration::days(89),
    );
    let callback_url = format!("{}/oauth/facebook/callback", api.ops);
    let duration = load_duration();
    let started = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for n in 0..CLIENTS {
        let (metrics_url, callback_url, token) = (metrics_url.clone(), callback_url.clone(), token.expose().clone());
        clients.spawn(async move {
            let http = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client");
            let (mut metrics, mut callbacks, mut failures) = (Vec::new(), Vec::new(), Vec::new());
            let mut i = 0u64;
            while started.elapsed() < duration {
                i += 1;
                let t = Instant::now();
                if n % 2 == 0 {
                    match http.get(&metrics_url).bearer_auth(&token).send().await {
                        Ok(r) if r.status() == 200 => match r.bytes().await {
                            Ok(_) => metrics.push(t.elapsed()),
                            Err(e) => failures.push(format!("metrics body: {e}")),
                        },
                        Ok(r) => failures.push(format!("metrics: {}", r.status())),
                        Err(e) => failures.push(format!("metrics: {e}")),
                    }
                } else {
                    let url = format!("{callback_url}?code=AQ{n}x{i}&state=unknown{n}x{i}");
                    match http.get(&url).send().await {
                        Ok(r) if r.status() == 303 => callbacks.push(t.elapsed()),
                        Ok(r) => failures.push(format!("callback: {}", r.status())),
                        Err(e) => failures.push(format!("callback: {e}")),
                    }
                }
            }
            (metrics, callbacks, failures)
        });
    }
    let (mut metrics, mut callbacks, mut failures) = (Vec::new(), Vec::new(), Vec::new());
    while let Some(joined) = clients.join_next().await {
        let (m, c, e) = joined.expect("client task");
        metrics.extend(m);
        callbacks.extend(c);
        failures.extend(e);
    }
    let elapsed = started.elapsed();
    failures.sort();
    failures.dedup();
    assert!(failures.is_empty(), "errors under load: {failures:?}");
    for (name, samples) in [("metrics", &mut metrics), ("oauth callback", &mut callbacks)] {
        samples.sort();
        eprintln!(
            "load: {name}: {} requests in {:.1} s ({:.0}/s), p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            samples.len(),
            elapsed.as_secs_f64(),
            samples.len() as f64 / elapsed.as_secs_f64(),
            percentile(samples, 50.0).as_secs_f64() * 1e3,
            percentile(samples, 95.0).as_secs_f64() * 1e3,
            percentile(samples, 99.0).as_secs_f64() * 1e3,
            samples.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        );
        assert!(!samples.is_empty(), "{name} was exercised");
    }
}
