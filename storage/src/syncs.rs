//! Requesting a sync: write the run, then queue it. The row is the truth: once it is
//! written the run happens, because a run the queue never got is pushed again by the
//! workers' refill. So a request either creates the run and is accepted, even while the
//! queue is down, or fails to write it and creates nothing; never "failed" yet run later.

use std::time::Duration;

use crate::queue::{Job, Queue};
use crate::sync_runs::{self, NewRun, SyncRun};
use crate::{Db, StorageResult};

/// How long a request waits for the queue before leaving the push to the refill.
const PUSH_WITHIN: Duration = Duration::from_secs(2);

/// Creates the run, or joins an identical one that is still waiting in the queue.
pub async fn request(db: &Db, queue: &Queue, run: &NewRun) -> StorageResult<SyncRun> {
    if let Some(waiting) = sync_runs::find_queued(db, run).await? {
        return Ok(waiting);
    }
    let created = sync_runs::create(db, run).await?;
    let pushed = tokio::time::timeout(PUSH_WITHIN, queue.push(Job::SyncRunV1 { run_id: created.id })).await;
    match pushed {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::warn!(run_id = %created.id, error = %e, "queue unavailable; the workers' refill queues the run")
        }
        Err(_) => {
            tracing::warn!(run_id = %created.id, "queue slower than {PUSH_WITHIN:?}; the workers' refill queues the run")
        }
    }
    Ok(created)
}
