//! Refills the queue from the runs table. The queue may lose jobs (Redis restarted without
//! persistence, a push that failed after the run row was written); the table does not.

use std::time::Duration;

use adsync_common::queue::Job;
use adsync_common::storage::sync_runs;

use crate::WorkerState;

/// How often the runs table is checked: at most every 30 s, and at least once per lease so a
/// run whose worker died is resumed promptly.
fn every(state: &WorkerState) -> Duration {
    state.config.run_lease.min(Duration::from_secs(30))
}

/// A queued run older than this is assumed lost from the queue and pushed again; if it was
/// not lost, the second job finds the run claimed and does nothing.
const GRACE: chrono::Duration = chrono::Duration::seconds(60);

pub async fn run(state: WorkerState) {
    loop {
        if let Err(e) = refill_once(&state).await {
            tracing::warn!(error = %e, "queue refill failed; will retry");
        }
        tokio::select! {
            _ = state.shutdown.cancelled() => return,
            _ = tokio::time::sleep(every(&state)) => {}
        }
    }
}

pub async fn refill_once(state: &WorkerState) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    let ids = sync_runs::orphaned(&state.db, adsync_common::storage::now() - GRACE).await?;
    for run_id in &ids {
        state.queue.push(Job::SyncRunV1 { run_id: *run_id }).await?;
    }
    if !ids.is_empty() {
        tracing::info!(count = ids.len(), "re-queued runs missing from the queue");
    }
    Ok(ids.len())
}
