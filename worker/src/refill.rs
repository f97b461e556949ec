//! Refills the queue from the runs table. The queue may lose jobs (Redis restarted without
//! persistence, a push that failed after the run row was written); the table does not.
//!
//! A marker key in Redis tells a restart apart from a slow queue: it is set once and never
//! expires, so when it is missing Redis lost its contents, and every queued run is pushed
//! again at once instead of after the grace period.

use std::time::Duration;

use adsync_storage::queue::Job;
use adsync_storage::sync_runs;

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
    let emptied = queue_was_emptied(state).await?;
    let grace = if emptied {
        tracing::warn!(
            "the queue's Redis has no marker (first start, or restarted empty); re-queueing every waiting run"
        );
        chrono::Duration::zero()
    } else {
        GRACE
    };
    let ids = sync_runs::orphaned(&state.db, adsync_storage::now() - grace).await?;
    for run_id in &ids {
        state.queue.push(Job::SyncRunV1 { run_id: *run_id }).await?;
    }
    if emptied {
        mark_queue_complete(state).await?;
    }
    if !ids.is_empty() {
        tracing::info!(count = ids.len(), "re-queued runs missing from the queue");
    }
    Ok(ids.len())
}

/// The marker's key, when the queue lives in Redis.
fn marker(state: &WorkerState) -> Option<(redis::aio::ConnectionManager, String)> {
    let conn = state.redis.clone()?;
    Some((conn, format!("{}:queue:marker", state.config.queue_namespace)))
}

/// True when the marker is missing: first start against this Redis, or Redis restarted
/// empty. Pushing every waiting run then is harmless: a run already in the queue is claimed
/// by one job and the other finds it taken.
async fn queue_was_emptied(state: &WorkerState) -> Result<bool, redis::RedisError> {
    let Some((mut conn, key)) = marker(state) else {
        return Ok(false);
    };
    let exists: bool = redis::cmd("EXISTS").arg(&key).query_async(&mut conn).await?;
    Ok(!exists)
}

/// Sets the marker once the queue holds every waiting run again (not before: a refill that
/// failed half-way must be retried in full).
async fn mark_queue_complete(state: &WorkerState) -> Result<(), redis::RedisError> {
    let Some((mut conn, key)) = marker(state) else {
        return Ok(());
    };
    redis::cmd("SET").arg(&key).arg("1").query_async::<()>(&mut conn).await
}
