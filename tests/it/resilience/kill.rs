//! A worker killed with SIGKILL in the middle of a backfill is replaced by another, which
//! resumes the run from its checkpoints; the data ends exact.

use std::time::Duration;

use adsync_common::storage::sync_runs::{self, RunKind, RunStatus};
use adsync_sandbox::SandboxConfig;

use super::{run_state, spawn_worker};
use crate::connect::{auto_approve, fixture};
use crate::helpers::Backend;
use crate::truth::assert_matches_truth;

#[tokio::test]
async fn a_worker_killed_mid_backfill_is_resumed_by_another_with_exact_data() {
    // Slow answers keep the backfill running long enough to kill it in the middle.
    let sandbox = SandboxConfig {
        latency: Duration::from_millis(60),
        ..auto_approve()
    };
    let f = fixture(Backend::Postgres, sandbox).await;
    assert_eq!(f.connect().await, f.connected_location());
    let runs = sync_runs::list(&f.app.db, f.team, 10).await.expect("runs");
    let run = runs
        .iter()
        .find(|r| r.kind == RunKind::Backfill)
        .expect("backfill queued")
        .id;

    let mut first = spawn_worker(&f);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let r = run_state(&f, run).await;
        if r.status == RunStatus::Running && r.progress.done >= 8 {
            break;
        }
        assert!(
            r.status != RunStatus::Succeeded,
            "the run finished before the kill; slow the sandbox down"
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "the first worker never got going: {r:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.child.kill().expect("SIGKILL");
    let _ = first.child.wait();
    let killed_at = run_state(&f, run).await;
    assert_eq!(
        killed_at.status,
        RunStatus::Running,
        "the dead worker still holds its lease"
    );
    assert!(killed_at.progress.done < killed_at.progress.total);

    let mut second = spawn_worker(&f);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    let done = loop {
        let r = run_state(&f, run).await;
        if matches!(r.status, RunStatus::Succeeded | RunStatus::Failed) {
            break r;
        }
        assert!(tokio::time::Instant::now() < deadline, "the run was not resumed: {r:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let _ = second.child.kill();
    let _ = second.child.wait();
    assert_eq!(done.status, RunStatus::Succeeded, "{:?}", done.error);
    assert_eq!(done.progress.done, done.progress.total);
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    assert_matches_truth(&f.app, f.team, ds.today() - chrono::Duration::days(89), ds.today()).await;
}
