//! The sync worker against the sandbox: a backfill equals the ground truth to the cent, a
//! resync changes nothing, faults still end in exact data, an expired token stops cleanly.
//! Runs are executed with the one-step executor, so each test controls when work happens.

use adsync_common::ids::RunId;
use adsync_sandbox::{BudgetConfig, FaultConfig, Level, SandboxConfig};
use adsync_storage::Db;
use adsync_storage::sync_runs::{self, NewRun, RunStatus};
use adsync_worker::WorkerState;
use adsync_worker::sync::ChunkPolicy;

use crate::connect::{Fixture, auto_approve};
use crate::helpers::Backend;
use crate::resilience::SMALL_CHUNK_ROWS;
use crate::truth::{assert_matches_truth, micros, stored};

async fn worker(f: &Fixture) -> WorkerState {
    let mut state = f.app.worker().await;
    state.retry.base = std::time::Duration::from_millis(5);
    state
}

async fn connected(backend: Backend, sandbox: SandboxConfig) -> (Fixture, WorkerState, RunId) {
    let f = crate::connect::connected(backend, sandbox).await;
    let backfill = f.queued_backfill().await;
    let state = worker(&f).await;
    (f, state, backfill)
}

async fn row_count(db: &Db) -> (i64, i64) {
    crate::on_pool!(db, p => {
        let a: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM insights_daily")
            .fetch_one(p)
            .await
            .expect("count");
        let b: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM insight_actions")
            .fetch_one(p)
            .await
            .expect("count");
        (a, b)
    })
}

async fn backfill_equals_the_ground_truth_and_resync_adds_nothing(backend: Backend) {
    let (f, state, run) = connected(backend, auto_approve()).await;
    let done = f.run_to_end(&state, run).await;
    assert_eq!(done.status, RunStatus::Succeeded, "{:?}", done.error);
    assert_eq!(done.progress.done, done.progress.total);
    assert!(done.rows_written > 0);
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    let (today, first) = (ds.today(), ds.today() - chrono::Duration::days(89));
    assert_matches_truth(&f.app, f.team, first, today).await;

    let before = row_count(&f.app.db).await;
    let again = f.run_to_end(&state, f.manual_run(first, today).await).await;
    assert_eq!(again.status, RunStatus::Succeeded, "{:?}", again.error);
    // Progress counts days of data: the days asked for, in each account's own calendar.
    let accounts = adsync_storage::connections::synced_ad_accounts(&f.app.db, f.team)
        .await
        .expect("accounts");
    let planned: i64 = accounts
        .iter()
        .map(|a| (a.today().min(today) - first).num_days() + 1)
        .sum();
    assert_eq!(again.progress.total, planned, "{accounts:?}");
    assert_eq!(
        row_count(&f.app.db).await,
        before,
        "re-running a sync never duplicates a row"
    );
    assert_matches_truth(&f.app, f.team, first, today).await;
}

async fn faults_still_end_in_exact_data(backend: Backend) {
    // Every failure kind but throttles: an injected throttle carries a real reset time (up to
    // minutes) that the gate rightly waits out; `a_tight_budget_is_never_exceeded` covers pacing.
    // Faults are decided per request identity (deterministic), at rates high enough that the
    // run's ~50 calls (in small chunks) meet every kind.
    let faults = FaultConfig {
        unknown_error: 0.1,
        transient: 0.1,
        reduce_data: 0.1,
        drop_connection: 0.1,
        slow: 0.03,
        slow_delay: std::time::Duration::from_millis(50),
        ..FaultConfig::none()
    };
    let sandbox = SandboxConfig {
        faults,
        ..auto_approve()
    };
    let (f, mut state, run) = connected(backend, sandbox).await;
    state.chunk_policy = ChunkPolicy::new(SMALL_CHUNK_ROWS);
    let done = f.run_to_end(&state, run).await;
    assert_eq!(done.status, RunStatus::Succeeded, "{:?}", done.error);
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    assert_matches_truth(&f.app, f.team, ds.today() - chrono::Duration::days(89), ds.today()).await;
    let stats = f.app.sandbox.as_ref().expect("sandbox").stats();
    assert_eq!(stats.calls_while_blocked, 0, "{stats:?}");
    for kind in ["unknown_error", "transient", "reduce_data", "drop_connection"] {
        assert!(stats.injected(kind) > 0, "the run met a {kind} fault: {stats:?}");
    }
}

async fn an_expired_token_stops_the_run_and_asks_for_reconnect(backend: Backend) {
    let (f, state, run) = connected(backend, auto_approve()).await;
    let (_, token) = f.stored_token().await;
    f.control().expire_token(token.expose());
    let done = f.run_to_end(&state, run).await;
    assert_eq!(done.status, RunStatus::Failed);
    let error = done.error.unwrap_or_default();
    assert!(error.contains("reconnect"), "{error}");
    assert!(!error.contains(token.expose().as_str()), "no token in errors");
    let conn = f.connection().await.expect("conn");
    assert_eq!(conn.status.as_str(), "needs_reconnect");
    let stats = f.app.sandbox.as_ref().expect("sandbox").stats();
    assert!(
        stats.errors_by_code.get("190").copied().unwrap_or(0) <= 2,
        "no retry storm: {stats:?}"
    );
}

async fn a_tight_budget_is_never_exceeded(backend: Backend) {
    // 40 calls per 2 s per account: a 90-day backfill (50+ calls in small chunks, 4 in
    // flight) must pace itself on the usage headers rather than run into Meta's block.
    let budget = BudgetConfig::with_millis(40, 10_000, 2_000, 60_000);
    let (f, mut state, run) = connected(
        backend,
        SandboxConfig {
            budget,
            ..auto_approve()
        },
    )
    .await;
    state.chunk_policy = ChunkPolicy::new(SMALL_CHUNK_ROWS);
    let done = f.run_to_end(&state, run).await;
    assert_eq!(done.status, RunStatus::Succeeded, "{:?}", done.error);
    let stats = f.app.sandbox.as_ref().expect("sandbox").stats();
    assert!(
        stats.requests > 40,
        "the run needed more than one window's budget: {stats:?}"
    );
    assert_eq!((stats.calls_while_blocked, stats.throttled_calls), (0, 0), "{stats:?}");
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    assert_matches_truth(&f.app, f.team, ds.today() - chrono::Duration::days(89), ds.today()).await;
}

/// Conversions restated by Facebook within the attribution window land on the next
/// incremental run; days before the lookback window are not touched.
#[tokio::test]
async fn restated_conversions_land_only_inside_the_lookback() {
    let (f, mut state, backfill) = connected(Backend::Sqlite, auto_approve()).await;
    assert_eq!(f.run_to_end(&state, backfill).await.status, RunStatus::Succeeded);
    let sandbox = f.app.sandbox.as_ref().expect("sandbox");
    let ds = sandbox.dataset();
    let account = ds.accounts()[0].id.clone();
    let (recent, older) = (
        ds.today() - chrono::Duration::days(3),
        ds.today() - chrono::Duration::days(20),
    );
    let before_older = stored(&f.app.db, f.team.0, "account", &account, older).await;
    let before_recent = stored(&f.app.db, f.team.0, "account", &account, recent).await;
    f.control().set_restatement(1);
    let restated_recent = ds.row(Level::Account, &account, recent).expect("row");
    let restated_older = ds.row(Level::Account, &account, older).expect("row");
    assert_ne!(
        (restated_recent.purchases.click_7d, restated_older.purchases.click_7d),
        (0, 0),
        "the sandbox restated something"
    );
    // The sandbox's "today" is fixed; extend the lookback by the distance to the wall clock,
    // then re-pull only the last 10 of its days.
    let gap = (chrono::Utc::now().date_naive() - ds.today()).num_days().max(0) as u32;
    let mut config = (*state.config).clone();
    config.lookback_days = gap + 10;
    state.config = std::sync::Arc::new(config);
    let run = sync_runs::create(&f.app.db, &NewRun::incremental(f.team))
        .await
        .expect("run");
    assert_eq!(f.run_to_end(&state, run.id).await.status, RunStatus::Succeeded);
    let got_recent = stored(&f.app.db, f.team.0, "account", &account, recent)
        .await
        .expect("recent row");
    assert_eq!(
        got_recent.4, restated_recent.purchases.click_7d as i64,
        "restated purchases landed"
    );
    assert_eq!(got_recent.5, micros(restated_recent.purchase_value.click_7d));
    assert_ne!(Some(got_recent), before_recent, "the recent day really changed");
    assert_eq!(
        stored(&f.app.db, f.team.0, "account", &account, older).await,
        before_older,
        "outside the lookback: untouched"
    );
}

/// Chunks of accounts dense enough go through async report runs; some of those fail and
/// fall back to paged calls. The policy here makes the medium dataset (≈ 90 ad rows a day)
/// dense, in report chunks of about a page, so the range holds many reports and several fail.
#[tokio::test]
async fn big_accounts_use_async_reports_and_stay_exact() {
    let faults = FaultConfig {
        async_failure: 0.5,
        ..FaultConfig::none()
    };
    let sandbox = SandboxConfig {
        dataset: adsync_sandbox::DatasetName::Medium,
        faults,
        ..auto_approve()
    };
    let (f, mut state, _) = connected(Backend::Sqlite, sandbox).await;
    state.chunk_policy = ChunkPolicy {
        report_from_rows_per_day: 1.0,
        report_rows: 500,
        ..ChunkPolicy::default()
    };
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    let (since, until) = (ds.today() - chrono::Duration::days(55), ds.today());
    let done = f.run_to_end(&state, f.manual_run(since, until).await).await;
    assert_eq!(done.status, RunStatus::Succeeded, "{:?}", done.error);
    let stats = f.app.sandbox.as_ref().expect("sandbox").stats();
    assert!(stats.async_runs_created > 0, "{stats:?}");
    assert!(
        stats.injected("async_failure") > 0,
        "a failed report fell back: {stats:?}"
    );
    assert_matches_truth(&f.app, f.team, since, until).await;
}

/// Facebook counts its 37 months (and 13 months of reach by breakdown) from its own date,
/// which can be ahead of the account's. Here the sandbox's date is that of the first time
/// zone to reach a day (UTC+14) while the account is in Berlin: the backfill's probe and its
/// breakdown lanes still start inside both limits, and nothing is refused.
#[tokio::test]
async fn a_backfill_stays_inside_the_history_facebook_counts_from_its_own_date() {
    let earliest_zone_today = (chrono::Utc::now() + chrono::Duration::hours(14)).date_naive();
    let sandbox = SandboxConfig {
        today: Some(earliest_zone_today),
        ..auto_approve()
    };
    let (f, state, run) = connected(Backend::Sqlite, sandbox).await;
    adsync_storage::teams::set_breakdowns(&f.app.db, f.team, &[adsync_common::breakdowns::Breakdown::Age])
        .await
        .expect("setting");
    let done = f.run_to_end(&state, run).await;
    assert_eq!(done.status, RunStatus::Succeeded, "{:?}", done.error);
    assert!(done.rows_written > 0);
    let stats = f.app.sandbox.as_ref().expect("sandbox").stats();
    assert_eq!(stats.errors_by_code.get("100"), None, "no request refused: {stats:?}");
}

crate::on_both_backends!(
    a_tight_budget_is_never_exceeded,
    backfill_equals_the_ground_truth_and_resync_adds_nothing,
    faults_still_end_in_exact_data,
    an_expired_token_stops_the_run_and_asks_for_reconnect,
);
