//! "Please reduce the amount of data you're asking for": Facebook's threshold is undocumented
//! and varies with the fields, the range and the account's size. Against sandboxes that
//! refuse at several thresholds (rows per page, days × fields, rows a request spans), a
//! backfill asks for less only where it must, remembers what worked, and stores exactly the
//! sandbox's truth at every level; when nothing smaller exists it fails saying what it tried.

use std::sync::Arc;

use adsync_connect::gate::RateGate;
use adsync_sandbox::{Level, SandboxConfig, Stats};
use adsync_storage::sync_runs::{RunStatus, SyncRun};
use adsync_worker::WorkerState;

use crate::connect::{Fixture, auto_approve};
use crate::helpers::Backend;
use crate::truth::{assert_matches_truth, micros};

/// A connected team and a worker whose gate does not pace (the sandbox counts the calls).
async fn connected(backend: Backend, sandbox: SandboxConfig) -> (Fixture, WorkerState) {
    let f = crate::connect::connected(backend, sandbox).await;
    let mut state = f.app.worker().await;
    state.gate = Arc::new(RateGate::new(10_000, None));
    state.retry.base = std::time::Duration::from_millis(5);
    (f, state)
}

async fn run(f: &Fixture, state: &WorkerState, id: adsync_common::ids::RunId) -> SyncRun {
    // A guard against a loop, not a speed check: these runs take seconds.
    tokio::time::timeout(std::time::Duration::from_secs(180), f.run_to_end(state, id))
        .await
        .unwrap_or_else(|_| panic!("run {id} still going after 3 minutes: {:?}", stats(f)))
}

/// The backfill the connection queued, run to its end.
async fn backfill(f: &Fixture, state: &WorkerState) -> SyncRun {
    run(f, state, f.queued_backfill().await).await
}

/// A manual run of the last `days` days, run to its end.
async fn recent(f: &Fixture, state: &WorkerState, days: i64) -> (SyncRun, chrono::NaiveDate, chrono::NaiveDate) {
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    let until = ds.today();
    let since = until - chrono::Duration::days(days - 1);
    (run(f, state, f.manual_run(since, until).await).await, since, until)
}

/// A team connected to a sandbox of `sandbox`'s kind, whose backfill ran and succeeded.
async fn backfilled(backend: Backend, sandbox: SandboxConfig, what: &str) -> (Fixture, SyncRun) {
    let (f, state) = connected(backend, sandbox).await;
    let done = backfill(&f, &state).await;
    assert_eq!(done.status, RunStatus::Succeeded, "{what}: {:?}", done.error);
    (f, done)
}

fn stats(f: &Fixture) -> Stats {
    f.app.sandbox.as_ref().expect("sandbox").stats()
}

/// Refusals of either form ("reduce the amount of data": code 1; too large: code 100).
fn refusals(s: &Stats) -> u64 {
    s.errors_by_code.get("1").copied().unwrap_or(0) + s.errors_by_code.get("100").copied().unwrap_or(0)
}

/// Every ad's rows over the range: how many, and their impressions, spend and purchases
/// summed, against the truth's; a split by campaign that lost or doubled an ad shows here.
async fn assert_ads_match_truth(f: &Fixture, since: chrono::NaiveDate, until: chrono::NaiveDate) {
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    let account = &ds.accounts()[0];
    let mut want = (0i64, 0i64, 0i64, 0i64);
    for ad in ds.ads(&account.id) {
        let mut day = since;
        while day <= until {
            if let Some(t) = ds.row(Level::Ad, &ad.id, day) {
                want.0 += 1;
                want.1 += t.impressions as i64;
                want.2 += micros(t.spend);
                want.3 += t.purchases.click_7d as i64;
            }
            day = day.succ_opt().expect("day");
        }
    }
    const SQL: &str = "SELECT COUNT(*), CAST(SUM(impressions) AS BIGINT), CAST(SUM(spend_micros) AS BIGINT), \
                       CAST(SUM(purchases_7d_click) AS BIGINT) FROM insights_daily \
                       WHERE team_id = $1 AND level = 'ad' AND date >= $2 AND date <= $3";
    let got: (i64, Option<i64>, Option<i64>, Option<i64>) = crate::on_pool!(&f.app.db, p => sqlx::query_as(SQL)
        .bind(f.team)
        .bind(since)
        .bind(until)
        .fetch_one(p)
        .await)
    .expect("ad rows");
    assert!(want.0 > 0);
    assert_eq!(
        (got.0, got.1.unwrap_or(0), got.2.unwrap_or(0), got.3.unwrap_or(0)),
        want,
        "ad rows (count, impressions, spend, purchases)"
    );
}

async fn assert_exact(f: &Fixture, since: chrono::NaiveDate, until: chrono::NaiveDate) {
    assert_matches_truth(&f.app, f.team, since, until).await;
    assert_ads_match_truth(f, since, until).await;
}

/// The whole history, as a backfill stores it.
fn history(f: &Fixture) -> (chrono::NaiveDate, chrono::NaiveDate) {
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    (ds.first_day(), ds.today())
}

/// Pages of at most 100 rows, and of 25: the backfill (its probe of 37 months included)
/// asks for smaller pages and, having learnt the size per level, is refused a few times per
/// level (learning, then now and then trying a bigger size again) rather than on every chunk.
async fn small_pages_are_asked_for_once_learnt(backend: Backend) {
    for max_page_size in [100, 25] {
        let (f, done) = backfilled(
            backend,
            SandboxConfig {
                max_page_size,
                ..auto_approve()
            },
            &format!("pages of {max_page_size}"),
        )
        .await;
        let (first, today) = history(&f);
        assert_exact(&f, first, today).await;
        let s = stats(&f);
        // Halving from 500 takes 3 refusals to reach 62 and 5 to reach 25.
        let steps = if max_page_size == 100 { 3 } else { 5 };
        let chunks = chunks_done(&f, done.id).await;
        assert!(refusals(&s) > 0, "the sandbox refused big pages: {s:?}");
        assert!(
            refusals(&s) * 3 <= steps * chunks,
            "pages of {max_page_size}: sizes are remembered, not found again per chunk \
             ({} refusals over {chunks} chunks): {s:?}",
            refusals(&s)
        );
    }
}

/// The chunks a run recorded as done.
async fn chunks_done(f: &Fixture, run: adsync_common::ids::RunId) -> u64 {
    const SQL: &str = "SELECT COUNT(*) FROM sync_chunks WHERE run_id = $1";
    let n: i64 = crate::on_pool!(&f.app.db, p => sqlx::query_scalar(SQL).bind(run).fetch_one(p).await).expect("chunks");
    n as u64
}

/// Facebook weighs days × fields: synchronous calls over fewer days, the levels with fewer
/// fields (the account's) over longer ranges than the ad level.
async fn days_times_fields_splits_the_range(backend: Backend) {
    let ad_fields = adsync_common::graph::fields_for(adsync_common::graph::Level::Ad).count() as u64;
    let (f, state) = connected(
        backend,
        SandboxConfig {
            // Five days of ad rows per call.
            max_days_x_fields: Some(ad_fields * 5),
            ..auto_approve()
        },
    )
    .await;
    let done = backfill(&f, &state).await;
    assert_eq!(done.status, RunStatus::Succeeded, "{:?}", done.error);
    let (first, today) = history(&f);
    assert_exact(&f, first, today).await;
    assert!(
        stats(&f).errors_by_code.get("100").copied().unwrap_or(0) > 0,
        "refused as too large"
    );
}

/// A request may span few rows (objects × days): one day of ads is too much even in an async
/// report, so ads come one campaign at a time; upper levels get by with fewer days. (Three
/// weeks: every day of ads then takes three calls.)
async fn too_many_rows_splits_by_campaign(backend: Backend) {
    let (f, state) = connected(
        backend,
        SandboxConfig {
            // The small account has 12 ads, 6 ad sets and 3 campaigns, 4 ads in each campaign.
            max_request_rows: Some(10),
            ..auto_approve()
        },
    )
    .await;
    let (done, since, until) = recent(&f, &state, 21).await;
    assert_eq!(done.status, RunStatus::Succeeded, "{:?}", done.error);
    assert_exact(&f, since, until).await;
    let s = stats(&f);
    assert!(s.async_runs_created > 0, "a report was tried before splitting: {s:?}");
    assert!(
        s.requests_by_endpoint.get("GET /{act}/campaigns").copied().unwrap_or(0) > 0,
        "the campaigns were listed to split by them: {s:?}"
    );
}

/// When even one campaign's day is too much, the run fails and says what it tried; it does
/// not loop, and the smaller levels it could fetch are stored.
async fn nothing_smaller_fails_naming_what_was_tried(backend: Backend) {
    let (f, state) = connected(
        backend,
        SandboxConfig {
            // One campaign's ads on one day are 4 rows.
            max_request_rows: Some(3),
            ..auto_approve()
        },
    )
    .await;
    // An endpoint registered for the team's alerts (never sent to here: the outbox is read).
    use adsync_storage::webhooks;
    let hook = webhooks::create(&f.app.db, f.team, "https://hooks.example.com/adsync", "unused")
        .await
        .expect("webhook");
    let (done, _, _) = recent(&f, &state, 7).await;
    assert_eq!(done.status, RunStatus::Failed);
    let alerts = webhooks::deliveries(&f.app.db, f.team, hook.id, 10)
        .await
        .expect("deliveries");
    let failed: Vec<_> = alerts.iter().filter(|d| d.event_type == "sync.failed").collect();
    assert_eq!(failed.len(), 1, "one alert for the failed run: {alerts:?}");
    let error = done.error.unwrap_or_default();
    for said in [
        "the ad rows of",
        "pages down to 25 rows",
        "ranges down to 1 day",
        "an async report run",
        "one campaign at a time",
    ] {
        assert!(error.contains(said), "{said:?} in {error:?}");
    }
    assert!(
        refusals(&stats(&f)) < 200,
        "it gave up rather than looped: {:?}",
        stats(&f)
    );
}

/// Facebook refusing calls as "too much data" at random, whatever their size, once per
/// request (asked again, it answers) or twice (the request shrinks, then grows back): the
/// backfill still ends with exact data.
async fn random_refusals_still_give_exact_data(backend: Backend) {
    for failures_per_request in [1, 2] {
        let (f, _) = backfilled(
            backend,
            SandboxConfig {
                faults: adsync_sandbox::FaultConfig {
                    reduce_data: 0.2,
                    failures_per_request,
                    ..Default::default()
                },
                ..auto_approve()
            },
            &format!("refused {failures_per_request} times"),
        )
        .await;
        let today = f.app.sandbox.as_ref().expect("sandbox").dataset().today();
        assert_exact(&f, today - chrono::Duration::days(89), today).await;
        assert!(
            refusals(&stats(&f)) > 0,
            "the sandbox refused some calls: {:?}",
            stats(&f)
        );
    }
}

crate::on_both_backends!(
    random_refusals_still_give_exact_data,
    small_pages_are_asked_for_once_learnt,
    days_times_fields_splits_the_range,
    too_many_rows_splits_by_campaign,
    nothing_smaller_fails_naming_what_was_tried,
);
