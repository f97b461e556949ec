//! The worker: consumes jobs from the queue and executes sync runs. The database holds
//! each run's truth (status, lease, progress); the queue only says "look at run N".

mod refill;
mod runs;

use std::sync::Arc;
use std::time::Duration;

use adsync_common::Config;
use adsync_common::queue::{Job, Queue};
use adsync_common::storage::Db;
use apalis::prelude::*;
use tokio_util::sync::CancellationToken;

/// How often an idle worker looks for jobs pushed by other processes. apalis otherwise
/// parks until its 30 s heartbeat.
const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// What a job handler needs.
#[derive(Clone)]
pub struct WorkerState {
    pub db: Db,
    pub queue: Queue,
    pub config: Arc<Config>,
    /// Unique per process; the lease owner written on claimed runs.
    pub instance: Arc<str>,
    /// Cancelled on shutdown: running syncs stop after the page in hand is committed.
    pub shutdown: CancellationToken,
}

impl WorkerState {
    pub fn new(db: Db, queue: Queue, config: Arc<Config>, shutdown: CancellationToken) -> Self {
        let host = std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "local".into());
        let instance = format!("{host}-{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
        Self { db, queue, config, instance: instance.into(), shutdown }
    }
}

async fn handle_job(job: Job, state: Data<WorkerState>) -> Result<(), BoxDynError> {
    match job {
        Job::SyncRunV1 { run_id } => runs::execute(&state, run_id).await.map_err(Into::into),
    }
}

/// Runs the worker until `shutdown` is cancelled, then lets running jobs finish and exits.
pub async fn run(state: WorkerState) -> Result<(), BoxDynError> {
    let concurrency = state.config.worker_concurrency;
    let name = format!("adsync-worker-{}", state.instance);
    tracing::info!(worker = %name, concurrency, "worker started");
    let refill = tokio::spawn(refill::run(state.clone()));
    let stop = state.shutdown.clone();
    let until = async move {
        stop.cancelled().await;
        Ok::<(), WorkerError>(())
    };
    let result = match state.queue.clone() {
        Queue::Sqlite(storage) => {
            WorkerBuilder::new(name.as_str())
                .backend(storage.poll_with_interval(POLL_INTERVAL))
                .concurrency(concurrency)
                .data(state.clone())
                .build(handle_job)
                .run_until(until)
                .await
        }
        Queue::Redis(storage) => {
            WorkerBuilder::new(name.as_str())
                .backend(storage.poll_with_interval(POLL_INTERVAL))
                .concurrency(concurrency)
                .data(state.clone())
                .build(handle_job)
                .run_until(until)
                .await
        }
    };
    refill.abort();
    tracing::info!(worker = %name, "worker stopped");
    result.map_err(Into::into)
}
