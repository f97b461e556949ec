//! The worker: consumes jobs from the queue and executes sync runs. The database holds
//! each run's truth (status, lease, progress); the queue only says "look at run N".

pub mod alerts;
pub mod expiry;
mod freshness;
pub mod housekeeping;
mod refill;
mod runs;
pub mod schedule;
pub mod sync;

/// Claims and executes one run without the queue (tests and `adsync admin` call it).
pub use runs::execute as execute_run;

use std::sync::Arc;
use std::time::Duration;

use adsync_common::Config;
use adsync_common::telemetry::WorkerReadiness;
use adsync_connect::Connector;
use adsync_storage::Db;
use adsync_storage::queue::{Job, Queue};
use apalis::prelude::*;
use tokio_util::sync::CancellationToken;

use crate::sync::{ChunkPolicy, RetryPolicy};
use adsync_connect::gate::RateGate;

/// How often an idle worker looks for jobs pushed by other processes. apalis otherwise
/// parks until its 30 s heartbeat.
const POLL_INTERVAL: Duration = Duration::from_millis(200);
/// Pause before starting a failed job consumer again, doubling up to the maximum.
const RESTART_BACKOFF_MIN: Duration = Duration::from_millis(500);
const RESTART_BACKOFF_MAX: Duration = Duration::from_secs(30);

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
    /// `None` when no Facebook app is configured (runs then fail with that reason).
    pub connector: Option<Connector>,
    /// Paces Graph API calls; shared with other replicas through Redis when configured.
    pub gate: Arc<RateGate>,
    pub retry: RetryPolicy,
    /// How chunks after each level's head are sized, and which go through async reports.
    pub chunk_policy: ChunkPolicy,
    /// The queue's Redis (scaled-out mode): the refill watches it for lost contents.
    pub redis: Option<redis::aio::ConnectionManager>,
    /// Set while the worker takes jobs; `/readyz` of a worker process reports it.
    pub readiness: WorkerReadiness,
}

impl WorkerState {
    /// How long a claim lasts without a progress report (`ADSYNC_RUN_LEASE`). A worker that
    /// dies mid-run loses the run to another worker after this long.
    pub fn run_lease(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.config.run_lease).unwrap_or(chrono::Duration::seconds(60))
    }

    pub async fn new(
        db: Db,
        queue: Queue,
        config: Arc<Config>,
        connector: Option<Connector>,
        shutdown: CancellationToken,
    ) -> Self {
        let host = std::env::var("HOSTNAME")
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "local".into());
        let instance = format!("{host}-{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
        let shared = adsync_connect::gate::shared_redis(&config).await;
        let redis = shared.as_ref().map(|(conn, _)| conn.clone());
        let gate = Arc::new(RateGate::for_config(&config, shared));
        let chunk_policy = ChunkPolicy::new(config.sync_chunk_rows);
        Self {
            db,
            queue,
            config,
            instance: instance.into(),
            shutdown,
            connector,
            gate,
            retry: RetryPolicy::default(),
            chunk_policy,
            readiness: WorkerReadiness::default(),
            redis,
        }
    }
}

/// Runs a job in a task of its own. If the consumer drops this future (its backend went
/// away mid-run), the run is told to stop instead of being cut off: dropping it would cut a
/// database query in half and hand a broken connection back to the pool. Stopped, it
/// commits the page in hand and is handed back for any worker to resume at once.
async fn handle_job(job: Job, state: Data<WorkerState>) -> Result<(), BoxDynError> {
    match job {
        Job::SyncRunV1 { run_id } => {
            let mut own = (*state).clone();
            own.shutdown = state.shutdown.child_token();
            let _stop_if_dropped = own.shutdown.clone().drop_guard();
            tokio::spawn(async move { runs::execute(&own, run_id).await })
                .await?
                .map_err(Into::into)
        }
    }
}

/// Runs the worker until `shutdown` is cancelled, then lets running jobs finish and exits.
/// If the job consumer dies underneath (Redis restarted empty and forgot this worker, say),
/// it is started again with a backoff rather than taking the process down: the runs it held
/// resume from their checkpoints once their lease lapses.
pub async fn run(state: WorkerState) -> Result<(), BoxDynError> {
    let concurrency = state.config.worker_concurrency;
    tracing::info!(instance = %state.instance, concurrency, "worker started");
    let refill = tokio::spawn(refill::run(state.clone()));
    let schedule = tokio::spawn(schedule::run(state.clone()));
    let alerts = tokio::spawn(alerts::run(state.clone()));
    let housekeeping = tokio::spawn(housekeeping::run(state.db.clone(), state.shutdown.clone()));
    let expiry = state
        .connector
        .clone()
        .map(|c| tokio::spawn(expiry::run(state.clone(), c)));
    let mut backoff = RESTART_BACKOFF_MIN;
    let mut generation = 0u32;
    let result = loop {
        generation += 1;
        let started = tokio::time::Instant::now();
        state.readiness.set_taking_jobs(true);
        let outcome = consume(
            &state,
            &format!("adsync-worker-{}-{generation}", state.instance),
            concurrency,
        )
        .await;
        state.readiness.set_taking_jobs(false);
        match outcome {
            Err(e) if !state.shutdown.is_cancelled() => {
                metrics::counter!("adsync_worker_restarts_total").increment(1);
                if started.elapsed() > RESTART_BACKOFF_MAX {
                    backoff = RESTART_BACKOFF_MIN;
                }
                tracing::error!(error = %e, retry_in_ms = backoff.as_millis() as u64, "job consumer stopped; starting it again");
                tokio::select! {
                    _ = state.shutdown.cancelled() => break Ok(()),
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(RESTART_BACKOFF_MAX);
            }
            other => break other,
        }
    };
    refill.abort();
    schedule.abort();
    alerts.abort();
    housekeeping.abort();
    if let Some(e) = expiry {
        e.abort();
    }
    tracing::info!(instance = %state.instance, "worker stopped");
    result.map_err(Into::into)
}

/// One apalis worker on the configured queue, until shutdown or until it fails.
async fn consume(state: &WorkerState, name: &str, concurrency: usize) -> Result<(), WorkerError> {
    let stop = state.shutdown.clone();
    let readiness = state.readiness.clone();
    let until = async move {
        stop.cancelled().await;
        readiness.set_taking_jobs(false);
        Ok::<(), WorkerError>(())
    };
    adsync_storage::on_queue!(state.queue.clone(), storage => {
        WorkerBuilder::new(name)
            .backend(storage.poll_with_interval(POLL_INTERVAL))
            .concurrency(concurrency)
            .data(state.clone())
            .build(handle_job)
            .run_until(until)
            .await
    })
}
