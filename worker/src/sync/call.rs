//! One Graph call of a run, and what every unit of the run shares ([`RunCtx`]): the call
//! waits for the shared rate gate and a slot among the run's calls in flight, is counted in
//! the metrics, retried with backoff when transient, waited out when throttled, and stops
//! the whole run on an invalid token or a missing permission.

use std::sync::Arc;

use adsync_common::Secret;
use adsync_common::graph::{GraphClient, GraphError, Level};
use adsync_storage::Db;
use adsync_storage::sync_runs;
use tokio_util::sync::CancellationToken;

use super::SyncError;
use super::retry::RetryPolicy;
use super::shrink::{Piece, Sizing, Via};
use adsync_connect::gate::{PauseReason, RateGate};

/// Consecutive throttles tolerated on one call before the run gives up.
const MAX_THROTTLES: u32 = 100;

/// Graph calls of one run in flight at once. Units in flight outnumber them, so reading and
/// writing pages overlaps the calls, but the calls stay few: every call in flight when the
/// budget crosses the slow-down line lands beyond it, so with replicas sharing an ad account,
/// calls in flight × replicas must fit in the budget's last quarter.
pub const CALLS_IN_FLIGHT: usize = 4;

/// What every unit of a run shares.
pub struct RunCtx {
    pub db: Db,
    pub graph: GraphClient,
    pub token: Secret<String>,
    pub gate: Arc<RateGate>,
    /// [`CALLS_IN_FLIGHT`] permits.
    pub calls: tokio::sync::Semaphore,
    pub retry: RetryPolicy,
    pub run: adsync_common::ids::RunId,
    pub team: adsync_common::ids::TeamId,
    pub owner: Arc<str>,
    pub lease: chrono::Duration,
    pub progress: super::progress::DaysProgress,
    /// Names (campaigns, ad sets, ads) this run already wrote, so later pages skip them.
    pub names_written: std::sync::Mutex<std::collections::HashSet<String>>,
    /// What each ad account's level needed so far (see [`shrink::Sizing`]).
    pub sizings: std::sync::Mutex<std::collections::HashMap<(String, Level), Sizing>>,
    /// The end of the last wait written on the run (see [`RunCtx::note_pause`]).
    pub pause_noted: std::sync::Mutex<Option<chrono::DateTime<chrono::Utc>>>,
    /// Each ad account's campaign ids, listed once when a level is split by campaign.
    pub campaign_ids: tokio::sync::Mutex<std::collections::HashMap<String, Arc<Vec<String>>>>,
    /// Cancelled on a fatal error (expired token: no more calls) or shutdown.
    pub stop: CancellationToken,
}

impl RunCtx {
    /// Writes on the run that it waits `wait` for `why`, when that is a second or more; true
    /// when the run says it waits (this wait, or a longer one already written).
    pub(super) async fn note_pause(&self, wait: std::time::Duration, why: &PauseReason) -> Result<bool, SyncError> {
        if wait < std::time::Duration::from_secs(1) {
            return Ok(false);
        }
        let until = adsync_storage::now() + chrono::Duration::from_std(wait).unwrap_or_default();
        {
            let mut noted = self.pause_noted.lock().unwrap_or_else(|e| e.into_inner());
            if noted.is_some_and(|n| n + chrono::Duration::seconds(1) >= until) {
                return Ok(true);
            }
            *noted = Some(until);
        }
        let reason = why.to_string();
        self.write_pause(Some((until, &reason))).await?;
        Ok(true)
    }

    /// Clears the run's wait once the one written is over (another unit may have written a
    /// longer one, which stays).
    pub(super) async fn clear_pause(&self) -> Result<(), SyncError> {
        {
            let mut noted = self.pause_noted.lock().unwrap_or_else(|e| e.into_inner());
            let over = noted.is_some_and(|n| n <= adsync_storage::now() + chrono::Duration::milliseconds(500));
            if !over {
                return Ok(());
            }
            *noted = None;
        }
        self.write_pause(None).await
    }

    pub(super) async fn write_pause(
        &self,
        pause: Option<(chrono::DateTime<chrono::Utc>, &str)>,
    ) -> Result<(), SyncError> {
        sync_runs::set_pause(&self.db, self.run, &self.owner, pause)
            .await
            .map_err(SyncError::from)
    }

    /// Runs `f` on the account level's sizing, under its lock.
    pub(super) fn with_sizing<R>(&self, account: &str, level: Level, f: impl FnOnce(&mut Sizing) -> R) -> R {
        let mut sizings = self.sizings.lock().unwrap_or_else(|e| e.into_inner());
        f(sizings.entry((account.to_string(), level)).or_default())
    }

    pub(super) fn sizing(&self, account: &str, level: Level) -> Sizing {
        self.with_sizing(account, level, |s| *s)
    }

    /// The sizing a new unit of the level starts with, and whether it is a trial.
    pub(super) fn sizing_for_unit(&self, account: &str, level: Level) -> (Sizing, bool) {
        self.with_sizing(account, level, Sizing::for_unit)
    }

    pub(super) fn learn(&self, account: &str, level: Level, worked: &Piece, was_split: bool, on_trial: bool) {
        let sizing = self.with_sizing(account, level, |s| {
            s.learn(worked, was_split, on_trial);
            *s
        });
        tracing::info!(
            ad_account = account,
            level = level.as_str(),
            limit = sizing.limit,
            max_days = sizing.max_days,
            report = sizing.via == Via::Report,
            by_campaign = sizing.by_campaign,
            "Facebook wanted less data; later chunks start at what worked"
        );
    }

    /// Waits before asking the same again (`attempt` from 1), unless the run stops.
    pub async fn back_off(&self, attempt: u32) -> Result<(), SyncError> {
        self.pause(self.retry.delay(attempt)).await
    }

    /// Sleeps `wait`, or ends early with `Stopped` when the run stops.
    pub(super) async fn pause(&self, wait: std::time::Duration) -> Result<(), SyncError> {
        tokio::select! {
            _ = self.stop.cancelled() => Err(SyncError::Stopped),
            _ = tokio::time::sleep(wait) => Ok(()),
        }
    }

    pub(super) fn page_worked(&self, account: &str, level: Level, piece: &Piece) {
        self.with_sizing(account, level, |s| s.page_worked(piece));
    }

    /// A unit of the account's level went through without a refusal, at `used` (see
    /// [`Sizing::relax`]; a trial's sizing is confirmed).
    pub(super) fn unit_clean(&self, account: &str, level: Level, used: &Sizing, on_trial: bool) {
        self.with_sizing(account, level, |s| if on_trial { s.confirm(used) } else { s.relax() });
    }
}

/// Calls the Graph API through the gate with retries. A 190 stops the whole run at once.
pub async fn call<T, F, Fut>(ctx: &RunCtx, account: &str, mut f: F) -> Result<T, SyncError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(T, adsync_common::graph::Usage), GraphError>>,
{
    let (mut attempt, mut throttles) = (0u32, 0u32);
    loop {
        if ctx.stop.is_cancelled() {
            return Err(SyncError::Stopped);
        }
        // Held for the call only, not while backing off. The semaphore is never closed.
        let permit = ctx.calls.acquire().await.map_err(|_| SyncError::Stopped)?;
        let noted = match ctx.gate.pending_pause(account).await {
            Some((wait, why)) => ctx.note_pause(wait, &why).await?,
            None => false,
        };
        // A block can last minutes: a shutdown must not wait for it.
        let waited = tokio::select! {
            _ = ctx.stop.cancelled() => return Err(SyncError::Stopped),
            waited = ctx.gate.acquire(account) => waited,
        };
        if noted {
            ctx.clear_pause().await?;
        }
        metrics::histogram!("adsync_rate_wait_seconds").record(waited.as_secs_f64());
        if ctx.stop.is_cancelled() {
            return Err(SyncError::Stopped);
        }
        let sent = std::time::Instant::now();
        let result = f().await;
        drop(permit);
        let outcome = match &result {
            Ok(_) => "ok".to_string(),
            // A page that could not be read (or a row that could not be normalized) came back
            // all the same: not a transport failure.
            Err(GraphError::Decode(_)) => "decode".to_string(),
            Err(e) => e.code().map(|c| c.to_string()).unwrap_or_else(|| "transport".into()),
        };
        metrics::counter!("adsync_graph_calls_total", "endpoint" => "insights", "outcome" => outcome).increment(1);
        match result {
            Ok((value, usage)) => {
                ctx.gate.observe(account, &usage, None, sent).await;
                return Ok(value);
            }
            Err(e @ GraphError::Throttled { .. }) => {
                throttles += 1;
                metrics::counter!("adsync_graph_retries_total", "reason" => "throttle").increment(1);
                let backoff = ctx.gate.observe(account, &Default::default(), Some(&e), sent).await;
                if throttles > MAX_THROTTLES {
                    return Err(SyncError::Graph(e));
                }
                if let Some(wait) = backoff {
                    ctx.pause(wait).await?;
                }
            }
            Err(GraphError::TokenInvalid { message, .. }) => {
                ctx.stop.cancel();
                return Err(SyncError::TokenInvalid(message));
            }
            Err(GraphError::PermissionMissing { message, .. }) => {
                ctx.stop.cancel();
                return Err(SyncError::Permission(message));
            }
            Err(e @ GraphError::ReduceData { .. }) => return Err(SyncError::Graph(e)),
            Err(e) if e.is_retryable() => {
                attempt += 1;
                if attempt >= ctx.retry.max_attempts {
                    return Err(SyncError::Graph(e));
                }
                metrics::counter!("adsync_graph_retries_total", "reason" => "transient").increment(1);
                let delay = e.retry_after().unwrap_or_else(|| ctx.retry.delay(attempt));
                tracing::debug!(attempt, delay_ms = delay.as_millis() as u64, error = %e, "transient Graph error; retrying");
                ctx.pause(delay).await?;
            }
            Err(e) => return Err(SyncError::Graph(e)),
        }
    }
}
