//! Executing one sync run: claim it, do the work, record the outcome.

use adsync_common::ids::RunId;
use adsync_common::storage::sync_runs::{self, RunStatus, SyncRun};
use adsync_common::storage::StorageError;

use crate::WorkerState;

/// How long a claim lasts without a progress report. A worker that dies mid-run loses the
/// run to another worker after this long.
pub const LEASE: chrono::Duration = chrono::Duration::seconds(60);

/// Why a run could not complete.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("this team has no Facebook Ads connection; the team owner must connect it first")]
    NotConnected,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Claims and executes the run. A run already held by a live worker, or already ended,
/// makes this a no-op: duplicate jobs are expected (refill, redelivery) and harmless.
#[tracing::instrument(skip_all, fields(run_id = %run_id))]
pub async fn execute(state: &WorkerState, run_id: RunId) -> Result<(), StorageError> {
    let Some(run) = sync_runs::claim(&state.db, run_id, &state.instance, LEASE).await? else {
        tracing::debug!("run not claimable (held elsewhere or finished)");
        return Ok(());
    };
    tracing::info!(team_id = %run.team_id, kind = run.kind.as_str(), "run started");
    let (status, error) = match sync(state, &run).await {
        Ok(()) => (RunStatus::Succeeded, None),
        Err(RunError::Storage(e)) => return Err(e),
        Err(e) => (RunStatus::Failed, Some(e.to_string())),
    };
    sync_runs::finish(&state.db, run.id, &state.instance, status, error.as_deref()).await?;
    tracing::info!(status = status.as_str(), error = error.as_deref().unwrap_or(""), "run ended");
    Ok(())
}

/// The sync itself. Until a team connects Facebook there is nothing to pull from.
async fn sync(_state: &WorkerState, _run: &SyncRun) -> Result<(), RunError> {
    Err(RunError::NotConnected)
}
