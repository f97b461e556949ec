//! A worker stopped with SIGTERM in the middle of a backfill exits 0 and hands its run back
//! at once (queued, not left running until its lease lapses); another worker resumes it
//! from its checkpoints and the data ends exact.

use adsync_storage::sync_runs::RunStatus;

use super::midrun::{assert_complete_and_exact, slow_backfill, wait_until_ended, wait_until_under_way};
use super::{process_command, run_state, sample, spawn_worker};
use crate::helpers::terminate;

#[tokio::test]
async fn a_worker_stopped_with_sigterm_hands_its_run_back_and_another_resumes_it() {
    let (f, run) = slow_backfill().await;
    let (cmd, _) = process_command(&f, "work", f.app.config.database_url.expose());
    let cwd = tempfile::tempdir().expect("dir");
    let mut first = tokio::process::Command::from(cmd)
        .current_dir(cwd.path())
        .kill_on_drop(true)
        .spawn()
        .expect("start adsync work");
    let under_way = wait_until_under_way(&f, run, "SIGTERM").await;
    assert_eq!(terminate(&mut first).await.code(), Some(0), "SIGTERM exits 0");
    let released = run_state(&f, run).await;
    assert_eq!(
        released.status,
        RunStatus::Queued,
        "handed back on shutdown, not held until the lease lapses: {released:?}"
    );
    assert!(released.progress.done >= under_way.done && released.progress.done < released.progress.total);

    let second = spawn_worker(&f);
    let done = wait_until_ended(&f, run).await;
    // The second worker counts it as a resumed run (started before its claim).
    let metrics = second.metrics().await;
    drop(second);
    assert_complete_and_exact(&f, &done, &under_way).await;
    assert_eq!(
        sample(&metrics, "adsync_jobs_retried_total", r#"kind="backfill""#),
        Some(1.0),
        "{metrics}"
    );
}
