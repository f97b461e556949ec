//! A sync run: for each of the team's ad accounts, lock it, plan its units and fetch them a
//! few at a time. Every page is committed with the run's checkpoint, so a crash or a
//! shutdown loses at most the page in hand, and a resumed run skips committed units.

mod call;
mod fetch;
mod objects;
mod piece;
mod plan;
mod probe;
mod progress;
mod report;
mod retry;
mod shrink;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use adsync_common::graph::GraphError;
use adsync_connect::ConnectError;
use adsync_storage::StorageError;
use adsync_storage::connections::{self, AdAccount};
use adsync_storage::page_writes::{ChunkKey, done_chunks, lock_account, unlock_account};
use adsync_storage::sync_runs::{RunKind, SyncRun};

pub use call::{CALLS_IN_FLIGHT, RunCtx};
pub use plan::ChunkPolicy;
pub use retry::RetryPolicy;

use crate::WorkerState;

/// Units of one run in flight at once: enough to keep both cores busy reading and writing
/// pages while calls are out. Their Graph calls are bounded apart ([`call::CALLS_IN_FLIGHT`]).
/// On PostgreSQL a page's transaction waits on the network, the run's row and the commit's
/// flush; with 8 units a quarter of the machine sat idle in a backfill, with 16 about 5 %
/// (docs/benchmarks.md). SQLite writes one page at a time, so more units there
/// only hold more pages in memory.
pub fn units_in_flight(db: &adsync_storage::Db) -> usize {
    match db {
        adsync_storage::Db::Postgres(_) => 16,
        adsync_storage::Db::Sqlite(_) => 4,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("Facebook is not configured on this server")]
    NotConfigured,
    #[error("{0}")]
    Connect(#[from] ConnectError),
    #[error("ad account {0} is not connected to this team, or not chosen for syncing")]
    UnknownAccount(String),
    #[error("Facebook access expired or was revoked ({0}); the team owner must reconnect")]
    TokenInvalid(String),
    #[error("a Facebook permission is missing ({0}); the team owner must reconnect and grant ads_read")]
    Permission(String),
    #[error("Facebook API error: {0}")]
    Graph(GraphError),
    #[error(
        "Facebook kept asking for less data for the {level} rows of {account} on {range}{} and nothing smaller is left to ask for (tried {tried})",
        campaign.as_deref().map(|c| format!(" (campaign {c})")).unwrap_or_default()
    )]
    TooMuchData {
        account: String,
        level: &'static str,
        range: adsync_common::dates::DateRange,
        campaign: Option<String>,
        tried: String,
    },
    #[error("the run was taken over by another worker")]
    LeaseLost,
    #[error("stopped before finishing; the run resumes where it left off")]
    Stopped,
    /// A unit's task ended without an answer (a bug: it panicked).
    #[error("a sync task failed: {0}")]
    Task(String),
    #[error(transparent)]
    Storage(StorageError),
}

impl From<StorageError> for SyncError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::LeaseLost => SyncError::LeaseLost,
            other => SyncError::Storage(other),
        }
    }
}

/// Executes a claimed run; returns the rows written. An invalid token, wherever it shows
/// up, moves the connection to `needs_reconnect` at once.
pub async fn execute(state: &WorkerState, run: &SyncRun) -> Result<u64, SyncError> {
    let connector = state.connector.as_ref().ok_or(SyncError::NotConfigured)?;
    let (conn, token) = connector.team_token(run.team_id).await?;
    let result = sync_accounts(state, run, connector, token).await;
    if let Err(SyncError::TokenInvalid(reason)) = &result {
        let reason = format!("Facebook access expired or was revoked ({reason}). Reconnect to resume syncing.");
        connector.mark_needs_reconnect(&conn, &reason).await?;
    }
    result
}

async fn sync_accounts(
    state: &WorkerState,
    run: &SyncRun,
    connector: &adsync_connect::Connector,
    token: adsync_common::Secret<String>,
) -> Result<u64, SyncError> {
    let graph = connector.provider().graph().clone();
    let accounts: Vec<AdAccount> = connections::narrow(
        connections::synced_ad_accounts(&state.db, run.team_id).await?,
        run.ad_account_id.as_deref(),
    )
    .map_err(SyncError::UnknownAccount)?;
    let ctx = Arc::new(RunCtx {
        db: state.db.clone(),
        graph,
        token,
        gate: state.gate.clone(),
        calls: tokio::sync::Semaphore::new(call::CALLS_IN_FLIGHT),
        retry: state.retry,
        run: run.id,
        team: run.team_id,
        owner: state.instance.clone(),
        lease: state.run_lease(),
        progress: Default::default(),
        names_written: Default::default(),
        sizings: Default::default(),
        pause_noted: Default::default(),
        campaign_ids: Default::default(),
        stop: state.shutdown.child_token(),
    });

    // Plan every account first so progress has a total from the start.
    let breakdowns = adsync_storage::teams::breakdowns(&state.db, run.team_id).await?;
    let mut lanes = Vec::new();
    for account in &accounts {
        let today = account.today();
        let earliest = if run.kind == RunKind::Backfill && run.since.is_none() {
            probe::first_day_with_data(&ctx, account).await?
        } else {
            None
        };
        if let Some(range) = plan::range_for(run, today, state.config.lookback_days, earliest) {
            let account_lanes = plan::lanes(account, range, &breakdowns);
            ctx.progress.plan(&account.id, range.days(), &account_lanes);
            lanes.extend(account_lanes);
        }
    }
    let done = done_chunks(&state.db, run.id).await?;

    for account in &accounts {
        wait_for_lock(&ctx, &account.id).await?;
    }
    let account_ids: Vec<String> = accounts.iter().map(|a| a.id.clone()).collect();
    // The heartbeat ends with the run: told to stop between renewals when the run ends, and
    // aborted if this future is dropped, so it never keeps the lease alive for a run that no
    // longer progresses (the lease then lapses and the run resumes elsewhere).
    let run_over = tokio_util::sync::CancellationToken::new();
    let heartbeat =
        tokio_util::task::AbortOnDropHandle::new(tokio::spawn(heartbeat(ctx.clone(), account_ids, run_over.clone())));
    let result = async {
        for account in &accounts {
            objects::sync_objects(&ctx, &account.id).await?;
        }
        fetch_lanes(&ctx, &lanes, &done, &state.chunk_policy).await
    }
    .await;
    run_over.cancel();
    let _ = heartbeat.await;
    if result.is_err() {
        ctx.stop.cancel();
    }
    for account in &accounts {
        let _ = unlock_account(&state.db, run.team_id, &account.id, run.id).await;
    }
    // An account unchosen while this run synced it keeps no data, not even this run's pages.
    if let Err(e) = connections::purge_unsynced(&state.db, run.team_id).await {
        tracing::warn!(error = %e, "could not delete the data of unchosen ad accounts; the next run will");
    }
    result
}

/// Fetches every lane: its head, then the rest sized by what the head held. A lane's rest
/// starts as soon as its own head is in: waiting for every head left half the machine idle
/// at the start of a backfill, as the ad level's head takes longest (docs/benchmarks.md).
/// Units a resumed run committed before are skipped (the rest's chunks come out
/// the same, as they are sized from the head's stored row count).
async fn fetch_lanes(
    ctx: &Arc<RunCtx>,
    lanes: &[plan::Lane],
    done: &HashMap<ChunkKey, i64>,
    policy: &plan::ChunkPolicy,
) -> Result<u64, SyncError> {
    let rest_of = |lane: &plan::Lane, head_rows: i64| -> Vec<plan::Unit> {
        let Some(range) = lane.rest else { return Vec::new() };
        let head = &lane.head;
        let mut rest: Vec<plan::Unit> = policy
            .chunks(head.level, range, head.range.days(), head_rows)
            .into_iter()
            .map(|(range, report)| plan::Unit {
                range,
                report,
                ..head.clone()
            })
            .collect();
        // A resumed run counts what an earlier try committed.
        rest.retain(|u| {
            let committed = done.contains_key(&u.key());
            if committed {
                ctx.progress.fetched(u);
            }
            !committed
        });
        rest
    };
    let mut first = Vec::new();
    for lane in lanes {
        match done.get(&lane.head.key()) {
            Some(&rows) => {
                ctx.progress.fetched(&lane.head);
                first.extend(rest_of(lane, rows))
            }
            None => first.push(lane.head.clone()),
        }
    }
    fetch_units(ctx, first, |unit, rows| {
        let key = unit.key();
        lanes
            .iter()
            .find(|l| l.head.key() == key)
            .map(|lane| rest_of(lane, rows))
            .unwrap_or_default()
    })
    .await
}

/// Fetches units a few at a time, newest first, each a task of its own so that reading the
/// pages of several units (JSON, decimals) runs on every core; the rows written. `then`
/// gives the units a finished one makes known (a lane's rest, once its head is in).
///
/// On the first error the run stops: the other units finish the page they are writing (the
/// stop token ends them at their next Graph call) and are awaited, so no write is cut off.
async fn fetch_units(
    ctx: &Arc<RunCtx>,
    mut pending: Vec<plan::Unit>,
    mut then: impl FnMut(&plan::Unit, i64) -> Vec<plan::Unit>,
) -> Result<u64, SyncError> {
    plan::newest_first(&mut pending);
    let mut running = tokio::task::JoinSet::new();
    let mut written = 0u64;
    let mut failure: Option<SyncError> = None;
    loop {
        while failure.is_none() && running.len() < units_in_flight(&ctx.db) && !pending.is_empty() {
            let unit = pending.remove(0);
            let ctx = ctx.clone();
            running.spawn(async move {
                let rows = fetch::fetch_unit(&ctx, &unit).await?;
                Ok::<_, SyncError>((unit, rows))
            });
        }
        let Some(joined) = running.join_next().await else { break };
        let outcome = joined.unwrap_or_else(|e| Err(SyncError::Task(e.to_string())));
        match outcome {
            Ok((unit, rows)) => {
                written += rows;
                let next = then(&unit, rows as i64);
                if !next.is_empty() {
                    pending.extend(next);
                    plan::newest_first(&mut pending);
                }
            }
            Err(e) => {
                ctx.stop.cancel();
                // The first error is the cause; the others are its echo (`Stopped`).
                if failure.is_none() || matches!(failure, Some(SyncError::Stopped)) {
                    failure = Some(e);
                }
            }
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(written),
    }
}

/// Waits while another run of this team syncs the account (one active sync per account).
/// A lock lasts as long as a lease and is renewed with it, so the lock of a run whose
/// worker died (or whose job was dropped in an outage) lapses with its lease: a waiting run
/// never waits longer for a dead one than the dead one's own resumption would.
///
/// The run's pages say why it waits. The time they show is when the other run's lock would
/// lapse were it to stop renewing it; it moves on while that run works. The wait is written
/// and cleared directly: it comes before any fetch of the account, so no rate-limit wait
/// of this account's fetches is pending then.
async fn wait_for_lock(ctx: &RunCtx, account: &str) -> Result<(), SyncError> {
    let mut said: Option<chrono::DateTime<chrono::Utc>> = None;
    loop {
        if lock_account(&ctx.db, ctx.team, account, ctx.run, ctx.lease).await? {
            if said.is_some() {
                ctx.write_pause(None).await?;
            }
            return Ok(());
        }
        tracing::info!(
            ad_account = account,
            "another run is syncing this account; waiting for it"
        );
        let now = adsync_storage::now();
        if said.is_none_or(|until| until - ctx.lease / 2 <= now) {
            let until = now + ctx.lease;
            let why = format!("another sync of this team is fetching ad account {account}; this one goes on after it");
            ctx.write_pause(Some((until, &why))).await?;
            said = Some(until);
        }
        renew(ctx).await?;
        ctx.pause(Duration::from_millis(500)).await?;
    }
}

async fn renew(ctx: &RunCtx) -> Result<(), SyncError> {
    let progress = ctx.progress.now();
    adsync_storage::sync_runs::report_progress(&ctx.db, ctx.run, &ctx.owner, &progress, 0, ctx.lease)
        .await
        .map_err(SyncError::from)
}

/// Keeps the run's lease and account locks alive while it waits on slow calls or throttles.
/// Stops only between renewals (`run_over`), never in the middle of a query.
async fn heartbeat(ctx: Arc<RunCtx>, accounts: Vec<String>, run_over: tokio_util::sync::CancellationToken) {
    loop {
        // Renew well inside the lease, so one slow renewal does not lose the run.
        let every = (ctx.lease / 4).to_std().unwrap_or(Duration::from_secs(15));
        tokio::select! {
            _ = run_over.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        for account in &accounts {
            let _ = lock_account(&ctx.db, ctx.team, account, ctx.run, ctx.lease).await;
        }
        if let Err(e) = renew(&ctx).await {
            tracing::warn!(error = %e, "lost the run's lease; stopping");
            ctx.stop.cancel();
            return;
        }
    }
}
