//! Requesting a sync: write the run, then queue it. The row comes first, so a queue outage
//! leaves a `queued` run that the worker's refill picks up, never a lost request.

use crate::queue::{Job, Queue, QueueError};
use crate::storage::sync_runs::{self, NewRun, SyncRun};
use crate::storage::{Db, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// Creates the run, or joins an identical one that is still waiting in the queue.
pub async fn request(db: &Db, queue: &Queue, run: &NewRun) -> Result<SyncRun, RequestError> {
    if let Some(waiting) = sync_runs::find_queued(db, run).await? {
        return Ok(waiting);
    }
    let created = sync_runs::create(db, run).await?;
    queue.push(Job::SyncRunV1 { run_id: created.id }).await?;
    Ok(created)
}
