//! Keeps connected teams fresh: on each of a team's slots (its own interval, or
//! `ADSYNC_SYNC_INTERVAL`; spread over the interval by `common::schedule`), a team with no
//! run open gets an incremental run, which re-pulls the lookback window so restated
//! conversions land. The same tick refreshes the sync-lag gauges.

use std::time::Duration;

use adsync_common::schedule;
use adsync_connect::PROVIDERS;
use adsync_storage::connections::{self, ConnectionStatus};
use adsync_storage::sync_runs::{self, NewRun};
use adsync_storage::teams;

use crate::WorkerState;

/// How often the schedule is checked (runs are due per team, at the configured interval).
const TICK: Duration = Duration::from_secs(30);

pub async fn run(state: WorkerState) {
    loop {
        match enqueue_due(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(count = n, "scheduled incremental syncs"),
            Err(e) => tracing::warn!(error = %e, "scheduling syncs failed; will retry"),
        }
        if let Err(e) = crate::freshness::record(&state.db, state.config.metrics_id_labels).await {
            tracing::warn!(error = %e, "could not compute the sync lag; will retry");
        }
        tokio::select! {
            _ = state.shutdown.cancelled() => return,
            _ = tokio::time::sleep(TICK) => {}
        }
    }
}

/// Queues an incremental run for every connected team that is due; returns how many.
pub async fn enqueue_due(state: &WorkerState) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    let now = adsync_storage::now();
    let own = teams::sync_intervals(&state.db).await?;
    let mut queued = 0;
    let mut connected = Vec::new();
    for provider in PROVIDERS {
        connected.extend(connections::all(&state.db, provider.platform).await?);
    }
    for conn in connected {
        if conn.status != ConnectionStatus::Connected {
            continue;
        }
        let interval = own.get(&conn.team_id).copied().unwrap_or(state.config.sync_interval);
        let (latest, open) = sync_runs::latest_activity(&state.db, conn.team_id).await?;
        if open || !schedule::is_due(conn.team_id, interval, now, latest) {
            continue;
        }
        let run = NewRun::incremental(conn.team_id);
        adsync_storage::syncs::request(&state.db, &state.queue, &run).await?;
        queued += 1;
    }
    Ok(queued)
}
