//! Executing one sync run: claim it, sync, record the outcome.

use adsync_common::ids::RunId;
use adsync_storage::StorageError;
use adsync_storage::queue::Job;
use adsync_storage::sync_runs::{self, RunStatus};

use crate::WorkerState;
use crate::sync::{self, SyncError};
use adsync_common::alerts;
use adsync_storage::webhooks;

/// Claims and executes the run. A run already held by a live worker, or already ended,
/// makes this a no-op: duplicate jobs are expected (refill, redelivery) and harmless.
#[tracing::instrument(skip_all, fields(run_id = %run_id))]
pub async fn execute(state: &WorkerState, run_id: RunId) -> Result<(), StorageError> {
    let claimed_at = adsync_storage::now();
    let Some(run) = sync_runs::claim(&state.db, run_id, &state.instance, state.run_lease()).await? else {
        tracing::debug!("run not claimable (held elsewhere or finished)");
        return Ok(());
    };
    tracing::info!(team_id = %run.team_id, kind = run.kind.as_str(), "run started");
    metrics::counter!("adsync_jobs_started_total", "kind" => run.kind.as_str()).increment(1);
    if run.started_at.is_some_and(|t| t < claimed_at) {
        // Started before this claim: a worker died, shut down or lost its lease mid-run.
        metrics::counter!("adsync_jobs_retried_total", "kind" => run.kind.as_str()).increment(1);
    }
    let (status, error) = match sync::execute(state, &run).await {
        Ok(rows) => {
            tracing::info!(rows, "run succeeded");
            (RunStatus::Succeeded, None)
        }
        Err(SyncError::Stopped) if state.shutdown.is_cancelled() => {
            // Shutting down, or the job's consumer went away: hand the run back so a worker
            // resumes it right away.
            sync_runs::release(&state.db, run.id, &state.instance).await?;
            if let Err(e) = state.queue.push(Job::SyncRunV1 { run_id: run.id }).await {
                tracing::warn!(error = %e, "could not re-queue the run; the refill will");
            }
            tracing::info!("run handed back for another worker to resume");
            return Ok(());
        }
        Err(SyncError::LeaseLost) => {
            tracing::warn!("lease lost; another worker continues this run");
            return Ok(());
        }
        Err(SyncError::Storage(e)) => {
            // The database is away: the run cannot even be marked. Its lease lapses and the
            // refill hands it to a worker once the database is back.
            tracing::warn!(error = %e, "database error mid-run; the run resumes after its lease");
            return Err(e);
        }
        Err(e) => {
            // A token gone bad is alerted as the connection's own event (needs reconnect).
            if !matches!(e, SyncError::TokenInvalid(_)) {
                let data = serde_json::json!({ "run_id": run.id, "kind": run.kind.as_str(), "error": e.to_string() });
                webhooks::alert(&state.db, run.team_id, alerts::SYNC_FAILED, data).await?;
            }
            (RunStatus::Failed, Some(e.to_string()))
        }
    };
    metrics::counter!("adsync_jobs_finished_total", "kind" => run.kind.as_str(), "status" => status.as_str())
        .increment(1);
    let started = run.started_at.unwrap_or(claimed_at);
    let took = (adsync_storage::now() - started).to_std().unwrap_or_default();
    metrics::histogram!("adsync_run_duration_seconds", "kind" => run.kind.as_str(), "status" => status.as_str())
        .record(took.as_secs_f64());
    sync_runs::finish(&state.db, run.id, &state.instance, status, error.as_deref()).await?;
    tracing::info!(
        status = status.as_str(),
        error = error.as_deref().unwrap_or(""),
        "run ended"
    );
    Ok(())
}
