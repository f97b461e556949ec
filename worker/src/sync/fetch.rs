//! Fetching one unit (account × level × chunk): page through insights, normalise, write each
//! page with the run's checkpoint. Transient errors are retried with backoff, throttles wait
//! for the budget, "reduce the amount of data" halves the page size and then splits the days.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use adsync_common::Secret;
use adsync_common::dates::DateRange;
use adsync_common::graph::{GraphClient, GraphError, InsightsPage, InsightsRequest, MAX_PAGE_SIZE};
use adsync_common::insights::{DailyRow, normalize};
use adsync_common::storage::insights::{
    Checkpoint, ChunkDone, Dimensions, PageTarget, WriteMode, range_is_empty, upsert_names, write_page,
};
use adsync_common::storage::sync_runs::Progress;
use adsync_common::storage::{Db, StorageError};
use tokio_util::sync::CancellationToken;

use super::SyncError;
use super::gate::RateGate;
use super::plan::Unit;
use super::report;
use super::retry::RetryPolicy;

/// The smallest page size tried before splitting the days instead.
const MIN_PAGE_SIZE: u32 = 25;
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
        let waited = ctx.gate.acquire(account).await;
        metrics::histogram!("adsync_rate_wait_seconds").record(waited.as_secs_f64());
        if ctx.stop.is_cancelled() {
            return Err(SyncError::Stopped);
        }
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
                ctx.gate.observe(account, &usage, None).await;
                return Ok(value);
            }
            Err(e @ GraphError::Throttled { .. }) => {
                throttles += 1;
                metrics::counter!("adsync_graph_retries_total", "reason" => "throttle").increment(1);
                ctx.gate.observe(account, &Default::default(), Some(&e)).await;
                if throttles > MAX_THROTTLES {
                    return Err(SyncError::Graph(e));
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
                tokio::select! {
                    _ = ctx.stop.cancelled() => return Err(SyncError::Stopped),
                    _ = tokio::time::sleep(delay) => {}
                }
            }
            Err(e) => return Err(SyncError::Graph(e)),
        }
    }
}

/// Fetches and writes one unit; records it done with its last page.
pub async fn fetch_unit(ctx: &RunCtx, unit: &Unit) -> Result<u64, SyncError> {
    let account = unit.account.id.as_str();
    let target = PageTarget {
        team: ctx.team,
        ad_account_id: account,
        level: unit.level.as_str(),
    };
    // Decided once per attempt at the unit: pages of an earlier attempt (a resumed run, a
    // split range) make it upserts.
    let mut mode = match range_is_empty(&ctx.db, &target, unit.range.since(), unit.range.until()).await {
        Ok(true) => WriteMode::Insert,
        Ok(false) => WriteMode::Upsert,
        Err(e) => return Err(SyncError::Storage(e)),
    };
    let mut pending = vec![unit.range];
    let mut limit = MAX_PAGE_SIZE;
    let mut written = 0u64;
    while let Some(range) = pending.pop() {
        let mut after: Option<String> = None;
        let mut req = InsightsRequest::daily(account, unit.level, range.since(), range.until());
        let mut report = if unit.report {
            report::run_report(ctx, account, &req).await?
        } else {
            None
        };
        loop {
            req.limit = limit;
            // Each row is normalized as it is read (see `GraphClient::insights_page_with`).
            let level = unit.level;
            let page: Result<InsightsPage<DailyRow>, SyncError> = match &report {
                Some(id) => {
                    call(ctx, account, || {
                        ctx.graph
                            .report_page_with(&ctx.token, id, limit, after.as_deref(), |r| normalize(level, r))
                    })
                    .await
                }
                None => {
                    call(ctx, account, || {
                        ctx.graph
                            .insights_page_with(&ctx.token, &req, after.as_deref(), |r| normalize(level, r))
                    })
                    .await
                }
            };
            let page = match page {
                Ok(p) => p,
                Err(SyncError::Graph(GraphError::ReduceData { .. })) if report.is_some() => {
                    // Too much for the report's pages: continue on the paged path from here.
                    report = None;
                    after = None;
                    continue;
                }
                Err(SyncError::Graph(GraphError::ReduceData { .. })) if limit > MIN_PAGE_SIZE => {
                    limit = (limit / 2).max(MIN_PAGE_SIZE);
                    continue;
                }
                Err(SyncError::Graph(GraphError::ReduceData { message })) => match split(range) {
                    Some((older, newer)) => {
                        pending.push(older);
                        pending.push(newer);
                        break;
                    }
                    None => return Err(SyncError::Graph(GraphError::ReduceData { message })),
                },
                Err(e) => return Err(e),
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
            match next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
    }
    Ok(written)
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

/// Splits a range of two or more days into its older and newer halves.
fn split(range: DateRange) -> Option<(DateRange, DateRange)> {
    if range.days() < 2 {
        return None;
    }
    let mid = range.since() + chrono::Duration::days(range.days() / 2 - 1);
    let older = DateRange::new(range.since(), mid).ok()?;
    let newer = DateRange::new(mid.succ_opt()?, range.until()).ok()?;
    Some((older, newer))
}
