//! The steps the tests that stop a worker in the middle of a backfill share: a backfill slow
//! enough to catch running, waiting for it to be well under way, waiting for it to end, and
//! the check that its data is exact.

use std::time::Duration;

use adsync_common::ids::RunId;
use adsync_sandbox::SandboxConfig;
use adsync_storage::sync_runs::{Progress, RunStatus, SyncRun};

use super::run_state;
use crate::connect::{Fixture, auto_approve, connected};
use crate::helpers::Backend;
use crate::truth::assert_matches_truth;

/// A connected team on PostgreSQL whose backfill is queued; slow answers (60 ms) keep it
/// running long enough to stop a worker in the middle.
pub async fn slow_backfill() -> (Fixture, RunId) {
    let sandbox = SandboxConfig {
        latency: Duration::from_millis(60),
        ..auto_approve()
    };
    let f = connected(Backend::Postgres, sandbox).await;
    let run = f.queued_backfill().await;
    (f, run)
}

/// Waits until the run is running with a quarter of its days done, before `what` stops it;
/// its progress then.
pub async fn wait_until_under_way(f: &Fixture, run: RunId, what: &str) -> Progress {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let r = run_state(f, run).await;
        if r.status == RunStatus::Running && r.progress.total > 0 && r.progress.done * 4 >= r.progress.total {
            return r.progress;
        }
        assert!(
            r.status != RunStatus::Succeeded,
            "the run finished before {what}; slow the sandbox down"
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "the first worker never got going: {r:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits for the run to end (resumed by another worker), succeeded or failed.
pub async fn wait_until_ended(f: &Fixture, run: RunId) -> SyncRun {
    super::wait_for_end(
        f,
        f.team,
        run,
        tokio::time::Instant::now() + Duration::from_secs(90),
        None,
    )
    .await
}

/// The run succeeded in full, its total of days is the one it had `under_way` (the worker
/// that resumed it planned the same days) and the team's data equals the ground truth.
pub async fn assert_complete_and_exact(f: &Fixture, done: &SyncRun, under_way: &Progress) {
    assert_eq!(done.status, RunStatus::Succeeded, "{:?}", done.error);
    assert_eq!(done.progress.done, done.progress.total);
    assert_eq!(done.progress.total, under_way.total, "the total of days never moves");
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    assert_matches_truth(&f.app, f.team, ds.today() - chrono::Duration::days(89), ds.today()).await;
}
