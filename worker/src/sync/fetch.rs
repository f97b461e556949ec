//! Fetching one unit (account × level × chunk): page through insights, normalise, write each
//! page with the run's checkpoint. Transient errors are retried with backoff, throttles wait
//! for the budget, "reduce the amount of data" makes the request smaller ([`shrink`]).

use adsync_common::graph::{Filter, GraphError, InsightsPage, InsightsRequest};
use adsync_common::normalize::{DailyRow, normalize};
use adsync_common::storage::page_writes::{
    Checkpoint, ChunkDone, Dimensions, PageTarget, WriteMode, range_is_empty, upsert_names, write_page,
};

use super::SyncError;
use super::call::{RunCtx, call};
use super::plan::Unit;
use super::report::{self, Report};
use super::shrink::{self, Piece, Refused, Regrowth, Shrink, Tried, Via};

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
                .map_err(SyncError::from)?;
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
