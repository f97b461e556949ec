//! Throttles follow what Facebook says: a throttle while the usage headers show budget left
//! backs off for about a second (not the five minutes the headers' reset time would say); a
//! real block is waited out with no call, by every replica, and the run says why it waits
//! and until when; a shutdown does not wait for the block to end.

use std::time::Duration;

use adsync_sandbox::{BudgetConfig, FaultConfig, SandboxConfig};
use adsync_storage::sync_runs::{self, RunStatus};
use adsync_worker::sync::ChunkPolicy;
use serde_json::Value;

use crate::connect::{auto_approve, connected};
use crate::helpers::Backend;
use crate::resilience::SMALL_CHUNK_ROWS;
use crate::truth::assert_matches_truth;

/// Calls 17 and 613 at random, with the usage headers showing plenty of budget: each costs a
/// backoff of about a second, the backfill stays exact, and nothing is paused for the headers'
/// reset time (minutes: the run would not end before the test's guard).
async fn throttles_with_budget_left_back_off_briefly(backend: Backend) {
    let faults = FaultConfig {
        throttle_17: 0.05,
        throttle_613: 0.05,
        ..FaultConfig::none()
    };
    let f = connected(
        backend,
        SandboxConfig {
            faults,
            ..auto_approve()
        },
    )
    .await;
    let mut state = f.app.worker().await;
    state.chunk_policy = ChunkPolicy::new(SMALL_CHUNK_ROWS);
    let backfill = f.queued_backfill().await;
    // A guard against a wait of minutes, not a speed check (the run takes seconds).
    let done = tokio::time::timeout(Duration::from_secs(120), f.run_to_end(&state, backfill))
        .await
        .expect("no five-minute pauses for a throttle with budget left");
    assert_eq!(done.status, RunStatus::Succeeded, "{:?}", done.error);
    assert_eq!(
        (done.paused_until, done.pause_reason),
        (None, None),
        "an ended run waits for nothing"
    );
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    assert_matches_truth(&f.app, f.team, ds.first_day(), ds.today()).await;
    let stats = f.app.sandbox.as_ref().expect("sandbox").stats();
    assert!(
        stats.injected("throttle_17") + stats.injected("throttle_613") >= 2,
        "the run met throttles: {stats:?}"
    );
    assert_eq!(stats.calls_while_blocked, 0);
}

/// Someone else spent the account's budget: the run's first calls meet the block, and from
/// then on no call is made; the run says why it waits and until when, a second replica
/// (sharing Redis) waits too, and stopping the worker hands the run back at once.
async fn a_real_block_is_waited_out_with_no_calls_and_shown_on_the_run(backend: Backend) {
    let budget = BudgetConfig {
        account_calls: 5,
        window: Duration::from_secs(60),
        block: Duration::from_secs(90),
        ..BudgetConfig::default()
    };
    let f = connected(
        backend,
        SandboxConfig {
            budget,
            ..auto_approve()
        },
    )
    .await;
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    let account = ds.accounts()[0].id.clone();
    // Spend the insights budget with the team's own token, as another tool would.
    let (_, token) = f.stored_token().await;
    let http = reqwest::Client::new();
    for _ in 0..6 {
        let _ = http
            .get(format!("{}/v25.0/{account}/insights", f.sandbox_url()))
            .query(&[("access_token", token.expose().as_str()), ("fields", "impressions")])
            .send()
            .await
            .expect("a call");
    }
    let spent = f.app.sandbox.as_ref().expect("sandbox").stats();
    assert_eq!(spent.throttled_calls, 1, "the budget is exhausted: {spent:?}");

    let state = f.app.worker().await;
    let run = f.manual_run(ds.today() - chrono::Duration::days(13), ds.today()).await;
    let task = {
        let state = state.clone();
        tokio::spawn(async move { adsync_worker::execute_run(&state, run).await })
    };
    // The run says it waits, and for what (the run row is the signal).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let shown: Value = loop {
        let (_, body) = f
            .app
            .get_json(&f.c, &format!("/api/v1/teams/{}/syncs/{run}", f.team))
            .await;
        if body["paused_until"].is_string() {
            break body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the run never said it waits: {body}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert_eq!(shown["status"], "running");
    assert!(
        shown["pause_reason"].as_str().is_some_and(|r| r.contains("rate limit")),
        "{shown}"
    );
    let until: chrono::DateTime<chrono::Utc> = shown["paused_until"].as_str().expect("time").parse().expect("rfc 3339");
    let ahead = until - chrono::Utc::now();
    assert!(
        ahead > chrono::Duration::seconds(60),
        "waits for the regain time Facebook gave: {ahead}"
    );
    let page = f.app.page_text(&f.c, &format!("/teams/{}/connectors", f.team)).await;
    assert!(page.contains("paused until"), "the connectors page says it waits");

    let blocked = f.app.sandbox.as_ref().expect("sandbox").stats().calls_while_blocked;
    // The run's first calls (the object lists, another bucket) already carry the insights
    // bucket's block in their headers; at most the calls in flight before any answer came
    // can meet the block.
    assert!(
        blocked <= adsync_worker::sync::CALLS_IN_FLIGHT as u64,
        "only calls in flight before the first answer met the block: {blocked}"
    );
    // Nothing more will be sent until the regain time: this worker holds every call...
    let (wait, why) = state.gate.pending_pause(&account).await.expect("held");
    assert!(wait > Duration::from_secs(60), "{wait:?}");
    assert_eq!(why, adsync_connect::gate::PauseReason::Blocked);
    // ...and, through Redis, so does every other replica.
    if backend == Backend::Postgres {
        let replica = f.app.worker().await;
        let (wait, why) = replica.gate.pending_pause(&account).await.expect("shared");
        assert!(wait > Duration::from_secs(60), "{wait:?}");
        assert_eq!(why, adsync_connect::gate::PauseReason::Blocked);
    }

    // A shutdown does not wait for the block to end: the run is handed back.
    state.shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("stops during the block")
        .expect("no panic")
        .expect("execute");
    let after = sync_runs::get(&f.app.db, f.team, run).await.expect("db").expect("run");
    assert_eq!(after.status, RunStatus::Queued, "handed back to resume later");
    assert_eq!(
        f.app.sandbox.as_ref().expect("sandbox").stats().calls_while_blocked,
        blocked,
        "no call while blocked after the first answer"
    );
}

crate::on_both_backends!(
    throttles_with_budget_left_back_off_briefly,
    a_real_block_is_waited_out_with_no_calls_and_shown_on_the_run,
);
