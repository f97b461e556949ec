//! A worker stopped with SIGTERM in the middle of a backfill exits 0 and hands its run back
//! at once (queued, not left running until its lease lapses); another worker resumes it
//! from its checkpoints and the data ends exact.

use std::time::Duration;

use adsync_common::storage::sync_runs::{self, RunKind, RunStatus};
use adsync_sandbox::SandboxConfig;

use super::{process_command, run_state, sample, spawn_worker};
use crate::connect::{auto_approve, fixture};
use crate::helpers::{Backend, terminate};
use crate::truth::assert_matches_truth;

#[tokio::test]
async fn a_worker_stopped_with_sigterm_hands_its_run_back_and_another_resumes_it() {
    // Slow answers keep the backfill running long enough to stop it in the middle.
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

    let (cmd, _) = process_command(&f, "work", f.app.config.database_url.expose());
    let cwd = tempfile::tempdir().expect("dir");
    let mut first = tokio::process::Command::from(cmd)
        .current_dir(cwd.path())
        .kill_on_drop(true)
        .spawn()
        .expect("start adsync work");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let r = run_state(&f, run).await;
        if r.status == RunStatus::Running && r.progress.done >= 8 {
            break;
        }
        assert!(
            r.status != RunStatus::Succeeded,
            "the run finished before SIGTERM; slow the sandbox down"
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "the first worker never got going: {r:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(terminate(&mut first).await.code(), Some(0), "SIGTERM exits 0");
    let released = run_state(&f, run).await;
    assert_eq!(
        released.status,
        RunStatus::Queued,
        "handed back on shutdown, not held until the lease lapses: {released:?}"
    );
    assert!(released.progress.done >= 8 && released.progress.done < released.progress.total);

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
    // The second worker counts it as a resumed run (started before its claim).
    let metrics = crate::helpers::client()
        .get(format!("{}/metrics", second.ops))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let _ = second.child.kill();
    let _ = second.child.wait();
    assert_eq!(done.status, RunStatus::Succeeded, "{:?}", done.error);
    assert_eq!(done.progress.done, done.progress.total);
    assert_eq!(
        sample(&metrics, "adsync_jobs_retried_total", r#"kind="backfill""#),
        Some(1.0),
        "{metrics}"
    );
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    assert_matches_truth(&f.app, f.team, ds.today() - chrono::Duration::days(89), ds.today()).await;
}
