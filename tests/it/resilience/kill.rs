//! A worker killed with SIGKILL in the middle of a backfill is replaced by another, which
//! resumes the run from its checkpoints; the data ends exact.

use adsync_storage::sync_runs::RunStatus;

use super::midrun::{assert_complete_and_exact, slow_backfill, wait_until_ended, wait_until_under_way};
use super::{run_state, spawn_worker};

#[tokio::test]
async fn a_worker_killed_mid_backfill_is_resumed_by_another_with_exact_data() {
    let (f, run) = slow_backfill().await;
    let mut first = spawn_worker(&f);
    let under_way = wait_until_under_way(&f, run, "the kill").await;
    first.child.kill().expect("SIGKILL");
    let _ = first.child.wait();
    let killed_at = run_state(&f, run).await;
    assert_eq!(
        killed_at.status,
        RunStatus::Running,
        "the dead worker still holds its lease"
    );
    assert!(killed_at.progress.done >= under_way.done && killed_at.progress.done < killed_at.progress.total);

    let mut second = spawn_worker(&f);
    let done = wait_until_ended(&f, run).await;
    let _ = second.child.kill();
    let _ = second.child.wait();
    assert_complete_and_exact(&f, &done, &under_way).await;
}
