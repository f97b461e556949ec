//! Fetching one unit (account × level × chunk): page through insights, normalise, write each
//! page with the run's checkpoint. Transient errors are retried with backoff, throttles wait
//! for the budget, "reduce the amount of data" makes the request smaller ([`shrink`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use adsync_common::Secret;
use adsync_common::graph::{Filter, GraphClient, GraphError, InsightsPage, InsightsRequest, Level};
use adsync_common::normalize::{DailyRow, normalize};
use adsync_common::storage::page_writes::{
    Checkpoint, ChunkDone, Dimensions, PageTarget, WriteMode, range_is_empty, upsert_names, write_page,
};
use adsync_common::storage::sync_runs::{self, Progress};
use adsync_common::storage::{Db, StorageError};
use tokio_util::sync::CancellationToken;

use super::SyncError;
use super::gate::{PauseReason, RateGate};
use super::plan::Unit;
use super::report::{self, Report};
use super::retry::RetryPolicy;
use super::shrink::{self, Piece, Refused, Regrowth, Shrink, Sizing, Tried, Via};

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
    pub done: AtomicI64,
    pub total: AtomicI64,
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
    fn complete_unit(&self) -> Progress {
        let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        Progress {
            done,
            total: self.total.load(Ordering::SeqCst),
        }
    }

    /// Writes on the run that it waits `wait` for `why`, when that is a second or more; true
    /// when the run says it waits (this wait, or a longer one already written).
    async fn note_pause(&self, wait: std::time::Duration, why: &PauseReason) -> Result<bool, SyncError> {
        if wait < std::time::Duration::from_secs(1) {
            return Ok(false);
        }
        let until = adsync_common::storage::now() + chrono::Duration::from_std(wait).unwrap_or_default();
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
    async fn clear_pause(&self) -> Result<(), SyncError> {
        {
            let mut noted = self.pause_noted.lock().unwrap_or_else(|e| e.into_inner());
            let over = noted.is_some_and(|n| n <= adsync_common::storage::now() + chrono::Duration::milliseconds(500));
            if !over {
                return Ok(());
            }
            *noted = None;
        }
        self.write_pause(None).await
    }

    async fn write_pause(&self, pause: Option<(chrono::DateTime<chrono::Utc>, &str)>) -> Result<(), SyncError> {
        sync_runs::set_pause(&self.db, self.run, &self.owner, pause)
            .await
            .map_err(|e| match e {
                StorageError::NotFound => SyncError::LeaseLost,
                other => SyncError::Storage(other),
            })
    }

    /// Runs `f` on the account level's sizing, under its lock.
    fn with_sizing<R>(&self, account: &str, level: Level, f: impl FnOnce(&mut Sizing) -> R) -> R {
        let mut sizings = self.sizings.lock().unwrap_or_else(|e| e.into_inner());
        f(sizings.entry((account.to_string(), level)).or_default())
    }

    fn sizing(&self, account: &str, level: Level) -> Sizing {
        self.with_sizing(account, level, |s| *s)
    }

    /// The sizing a new unit of the level starts with, and whether it is a trial.
    fn sizing_for_unit(&self, account: &str, level: Level) -> (Sizing, bool) {
        self.with_sizing(account, level, Sizing::for_unit)
    }

    fn learn(&self, account: &str, level: Level, worked: &Piece, was_split: bool, on_trial: bool) {
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

    fn page_worked(&self, account: &str, level: Level, piece: &Piece) {
        self.with_sizing(account, level, |s| s.page_worked(piece));
    }

    /// A unit of the account's level went through without a refusal, at `used` (see
    /// [`Sizing::relax`]; a trial's sizing is confirmed).
    fn unit_clean(&self, account: &str, level: Level, used: &Sizing, on_trial: bool) {
        self.with_sizing(account, level, |s| if on_trial { s.confirm(used) } else { s.relax() });
    }

    /// The account's campaign ids (listed through the gate, pages shrinking if refused).
    async fn campaigns(&self, account: &str) -> Result<Arc<Vec<String>>, SyncError> {
        let mut cache = self.campaign_ids.lock().await;
        if let Some(ids) = cache.get(account) {
            return Ok(ids.clone());
        }
        let listed = super::objects::list_objects(self, account, Level::Campaign).await?;
        let ids = Arc::new(listed.into_iter().map(|o| o.id).collect::<Vec<_>>());
        cache.insert(account.to_string(), ids.clone());
        Ok(ids)
    }

    fn progress(&self, extra: i64) -> Progress {
        Progress {
            done: self.done.load(Ordering::SeqCst) + extra,
            total: self.total.load(Ordering::SeqCst),
        }
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

/// Fetches and writes one unit; records it done with its last page. The unit goes as
/// pieces (see [`shrink`]): one, unless what the account's level needed before says to
/// start smaller or Facebook asks for less on the way.
pub async fn fetch_unit(ctx: &RunCtx, unit: &Unit) -> Result<u64, SyncError> {
    let account = unit.account.id.as_str();
    let level = unit.level;
    let target = PageTarget {
        team: ctx.team,
        ad_account_id: account,
        level: level.as_str(),
        breakdown: unit.breakdown_key(),
    };
    // Decided once per attempt at the unit: pages of an earlier attempt (a resumed run, a
    // split range) make it upserts.
    let mut mode = match range_is_empty(&ctx.db, &target, unit.range.since(), unit.range.until()).await {
        Ok(true) => WriteMode::Insert,
        Ok(false) => WriteMode::Upsert,
        Err(e) => return Err(SyncError::Storage(e)),
    };
    let (sizing, on_trial) = ctx.sizing_for_unit(account, level);
    let via = if unit.report { Via::Report } else { Via::Paged };
    // A stack: the newest piece on top.
    let mut pending: Vec<Piece> = sizing
        .ranges(unit.range)
        .into_iter()
        .rev()
        .map(|r| Piece::new(r, via, &sizing))
        .collect();
    if sizing.by_campaign {
        let campaigns = ctx.campaigns(account).await?;
        pending = pending
            .iter()
            .flat_map(|p| shrink::by_campaign(p, &campaigns))
            .collect();
    }
    let mut tried = Tried::default();
    let mut written = 0u64;
    while let Some(mut piece) = pending.pop() {
        let mut req = InsightsRequest::daily(account, level, piece.range.since(), piece.range.until());
        if let Some(b) = unit.breakdown {
            req.breakdowns = b.api_keys().iter().map(|k| k.to_string()).collect();
        }
        if !unit.reach {
            // Facebook gives unique counts by breakdown for the last 13 months only.
            req.fields
                .retain(|f| !matches!(f.as_str(), "reach" | "frequency" | "unique_clicks"));
        }
        if let Some(c) = &piece.campaign {
            req.filtering = vec![Filter::any_of("campaign.id", [c.as_str()])];
        }
        let mut after: Option<String> = None;
        let mut report: Option<String> = None;
        let mut growth = Regrowth::default();
        // Whether the piece is smaller than the account's level asked for: its first page
        // that works is then learnt from.
        let mut to_learn = piece.limit < sizing.limit || piece.range != unit.range || piece.via != via;
        let mut asked_again = 0;
        loop {
            req.limit = piece.limit;
            // The page, or the next move; and whether Facebook refused the request as too big.
            let (page, refused) = if piece.via == Via::Report && report.is_none() {
                // A report run first; its outcome decides how the piece goes on.
                let (next, refused) = match report::run_report(ctx, account, &req).await? {
                    Report::Ready(id) => {
                        report = Some(id);
                        continue;
                    }
                    Report::TooBig => (shrink::shrink(&piece, level, Refused::Request), true),
                    Report::Failed => (shrink::report_failed(&piece, level), false),
                };
                tried.note(&piece);
                (Err(next), refused)
            } else {
                let page = fetch_page(ctx, account, unit, &req, report.as_deref(), after.as_deref())
                    .await?
                    .map_err(|refused| {
                        tried.note(&piece);
                        shrink::shrink(&piece, level, refused)
                    });
                (page, true)
            };
            // Facebook also refuses under load, by chance: a request of a size that worked
            // is asked again before a step down, the smallest before giving up.
            if let Err(next) = &page
                && refused
                && asked_again < shrink::asks_before(next, ctx.sizing(account, level).proven(&piece))
            {
                asked_again += 1;
                ctx.back_off(asked_again).await?;
                continue;
            }
            let page = match page {
                Ok(page) => page,
                Err(Shrink::Limit(limit)) => {
                    asked_again = 0;
                    growth.refused();
                    // Straight to what another piece of the level already found works.
                    piece.limit = limit.min(ctx.sizing(account, level).limit);
                    to_learn = true;
                    continue;
                }
                Err(Shrink::Split(older, newer)) => {
                    pending.extend([older, newer]);
                    break;
                }
                Err(Shrink::Instead(other)) => {
                    pending.push(other);
                    break;
                }
                Err(Shrink::ByCampaign) => {
                    let campaigns = ctx.campaigns(account).await?;
                    pending.extend(shrink::by_campaign(&piece, &campaigns).into_iter().rev());
                    break;
                }
                Err(Shrink::GiveUp) => {
                    return Err(SyncError::TooMuchData {
                        account: account.to_string(),
                        level: level.as_str(),
                        range: piece.range,
                        campaign: piece.campaign.clone(),
                        tried: tried.to_string(),
                    });
                }
            };
            let InsightsPage { rows, after: next } = page;
            let last = next.is_none();
            let unit_done = last && pending.is_empty();
            // Count the unit before its last write, so reported progress only ever grows.
            let progress = if unit_done {
                ctx.complete_unit()
            } else {
                ctx.progress(0)
            };
            let checkpoint = Checkpoint {
                run: ctx.run,
                owner: &ctx.owner,
                lease: ctx.lease,
                progress,
                chunk_done: unit_done.then(|| ChunkDone {
                    since: unit.range.since(),
                    until: unit.range.until(),
                    rows: (written + rows.len() as u64) as i64,
                }),
            };
            write_names(ctx, &target, &rows).await?;
            write_page(&ctx.db, &target, &rows, &checkpoint, &mut mode)
                .await
                .map_err(|e| match e {
                    StorageError::NotFound => SyncError::LeaseLost,
                    other => SyncError::Storage(other),
                })?;
            written += rows.len() as u64;
            metrics::counter!("adsync_rows_written_total").increment(rows.len() as u64);
            ctx.page_worked(account, level, &piece);
            if to_learn {
                ctx.learn(account, level, &piece, piece.range.days() < unit.range.days(), on_trial);
                to_learn = false;
            }
            asked_again = 0;
            match next {
                Some(next) => {
                    after = Some(next);
                    piece.limit = growth.worked(piece.limit, ctx.sizing(account, level).limit);
                }
                None => break,
            }
        }
    }
    if tried == Tried::default() {
        ctx.unit_clean(account, level, &sizing, on_trial);
    }
    Ok(written)
}

/// One page of a piece: from its report run when it has one, else a synchronous call.
/// `Ok(Err(_))` when Facebook refused it as too much data (and where).
async fn fetch_page(
    ctx: &RunCtx,
    account: &str,
    unit: &Unit,
    req: &InsightsRequest,
    report: Option<&str>,
    after: Option<&str>,
) -> Result<Result<InsightsPage<DailyRow>, Refused>, SyncError> {
    // Each row is normalized as it is read (see `GraphClient::insights_page_with`). Without
    // reach asked for, a row has none (NULL), not 0.
    let (level, reach) = (unit.level, unit.reach);
    let normalize = |r: &mut adsync_common::graph::InsightRow| {
        normalize(level, r).map(|mut d| {
            if !reach {
                d.reach = None;
            }
            d
        })
    };
    let page = match report {
        Some(id) => {
            call(ctx, account, || {
                ctx.graph.report_page_with(&ctx.token, id, req.limit, after, normalize)
            })
            .await
        }
        None => {
            call(ctx, account, || {
                ctx.graph.insights_page_with(&ctx.token, req, after, normalize)
            })
            .await
        }
    };
    match page {
        Ok(p) => Ok(Ok(p)),
        Err(SyncError::Graph(GraphError::ReduceData { .. })) if report.is_some() => Ok(Err(Refused::ReportPages)),
        Err(SyncError::Graph(GraphError::ReduceData { .. })) => Ok(Err(Refused::Request)),
        Err(e) => Err(e),
    }
}

/// Upserts the names on `rows` that this run has not written yet.
async fn write_names(ctx: &RunCtx, target: &PageTarget<'_>, rows: &[DailyRow]) -> Result<(), SyncError> {
    let (names, keys) = {
        let seen = ctx.names_written.lock().unwrap_or_else(|e| e.into_inner());
        Dimensions::unseen(rows, &seen)
    };
    if names.is_empty() {
        return Ok(());
    }
    upsert_names(&ctx.db, target, &names)
        .await
        .map_err(SyncError::Storage)?;
    ctx.names_written.lock().unwrap_or_else(|e| e.into_inner()).extend(keys);
    Ok(())
}
