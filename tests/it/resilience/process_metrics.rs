//! An `adsync` process's own `/metrics`: the process figures, its build, the run queue's
//! depth as the database counts it, and the durations of the runs it ended. A process of
//! its own, because the test binary's recorder is shared by every test in it.

use adsync_storage::sync_runs::{self, NewRun, RunStatus};

use super::{run_state, sample, spawn_process, spawn_worker};
use crate::connect::{auto_approve, fixture};
use crate::helpers::Backend;

async fn a_process_reports_itself_its_queue_and_its_runs(backend: Backend) {
    let f = fixture(backend, auto_approve()).await;
    for day in [1, 2] {
        let run = NewRun::manual(
            f.team,
            None,
            chrono::NaiveDate::from_ymd_opt(2026, 1, day),
            chrono::NaiveDate::from_ymd_opt(2026, 1, 31),
            None,
        );
        sync_runs::create(&f.app.db, &run).await.expect("run");
    }
    let api = spawn_process(&f, "serve", f.app.config.database_url.expose());
    api.until_answering("/readyz").await;
    let text = api.metrics().await;
    assert_eq!(
        sample(&text, "adsync_sync_runs", r#"status="queued""#),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "adsync_sync_runs", r#"status="running""#),
        Some(0.0),
        "{text}"
    );
    let version = format!(r#"version="{}""#, env!("CARGO_PKG_VERSION"));
    assert_eq!(sample(&text, "adsync_build_info", &version), Some(1.0), "{text}");
    for figure in ["process_resident_memory_bytes", "process_open_fds", "process_threads"] {
        assert!(
            sample(&text, figure, "").is_some_and(|v| v > 0.0),
            "{figure} in:\n{text}"
        );
    }
    assert!(sample(&text, "process_cpu_seconds_total", "").is_some(), "{text}");
    drop(api);

    // A worker process ends the backfill and records how long it took.
    assert_eq!(f.connect().await, f.connected_location());
    let backfill = f.queued_backfill().await;
    let worker = spawn_worker(&f);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(90);
    while run_state(&f, backfill).await.status != RunStatus::Succeeded {
        assert!(tokio::time::Instant::now() < deadline, "the backfill ended");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    worker.until_answering("/readyz").await;
    let labels = r#"kind="backfill",status="succeeded""#;
    let text = worker.metrics().await;
    assert_eq!(
        sample(&text, "adsync_run_duration_seconds_count", labels),
        Some(1.0),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("adsync_run_duration_seconds_bucket") && l.contains(r#"le="21600""#)),
        "run durations have buckets up to hours:\n{text}"
    );
}

crate::on_both_backends!(a_process_reports_itself_its_queue_and_its_runs);
