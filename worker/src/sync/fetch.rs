//! Fetching one unit (account × level × chunk): page through insights, normalise, write each
//! page with the run's checkpoint. The unit goes as pieces ([`shrink`]); each piece is a
//! small state machine ([`PieceFetch`]) that says what to ask next, and this module carries
//! its moves out: the calls (retried and gated in [`call`]), the writes, the waits.

use adsync_common::graph::{Filter, GraphError, InsightsPage, InsightsRequest};
use adsync_common::normalize::{DailyRow, normalize};
use adsync_storage::page_writes::{
    Checkpoint, ChunkDone, Dimensions, PageTarget, WriteMode, range_is_empty, upsert_names, write_page,
};

use super::SyncError;
use super::call::{RunCtx, call};
use super::piece::{Answer, Ask, Known, Move, PieceFetch};
use super::plan::Unit;
use super::report::{self, Report};
use super::shrink::{self, Piece, Refused, Tried, Via};

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
    while let Some(piece) = pending.pop() {
        let smaller = piece.limit < sizing.limit || piece.range != unit.range || piece.via != via;
        let mut req = request(unit, &piece);
        let mut fetch = PieceFetch::new(piece, level, smaller);
        loop {
            // The piece's page size, for its report run as for its pages.
            req.limit = fetch.piece().limit;
            let answer = match fetch.ask() {
                Ask::StartReport => match report::run_report(ctx, account, &req).await? {
                    Report::Ready(id) => Answer::ReportReady(id),
                    Report::TooBig => Answer::ReportTooBig,
                    Report::Failed => Answer::ReportFailed,
                },
                Ask::Page { report, after, .. } => match fetch_page(ctx, unit, &req, report, after).await? {
                    Err(refused) => Answer::Refused(refused),
                    Ok(InsightsPage { rows, after: next }) => {
                        let unit_done = next.is_none() && pending.is_empty();
                        write(ctx, unit, &target, &rows, unit_done, written, &mut mode).await?;
                        written += rows.len() as u64;
                        ctx.page_worked(account, level, fetch.piece());
                        if fetch.lesson() {
                            let piece = fetch.piece();
                            let was_split = piece.range.days() < unit.range.days();
                            ctx.learn(account, level, piece, was_split, on_trial);
                        }
                        Answer::PageWorked { next }
                    }
                },
            };
            if !matches!(answer, Answer::ReportReady(_) | Answer::PageWorked { .. }) {
                tried.note(fetch.piece());
            }
            let sizing_now = ctx.sizing(account, level);
            let known = Known {
                proven: sizing_now.proven(fetch.piece()),
                limit: sizing_now.limit,
            };
            match fetch.on(answer, known) {
                Move::Ask => {}
                Move::AskAgain(attempt) => ctx.back_off(attempt).await?,
                Move::Done => break,
                Move::Replace(pieces) => {
                    pending.extend(pieces);
                    break;
                }
                Move::ByCampaign => {
                    let campaigns = ctx.campaigns(account).await?;
                    pending.extend(shrink::by_campaign(fetch.piece(), &campaigns).into_iter().rev());
                    break;
                }
                Move::GiveUp => {
                    let piece = fetch.piece();
                    return Err(SyncError::TooMuchData {
                        account: account.to_string(),
                        level: level.as_str(),
                        range: piece.range,
                        campaign: piece.campaign.clone(),
                        tried: tried.to_string(),
                    });
                }
            }
        }
    }
    if tried == Tried::default() {
        ctx.unit_clean(account, level, &sizing, on_trial);
    }
    Ok(written)
}

/// The insights request for a piece of a unit (its page size is set per ask).
fn request(unit: &Unit, piece: &Piece) -> InsightsRequest {
    let mut req = InsightsRequest::daily(&unit.account.id, unit.level, piece.range.since(), piece.range.until());
    if let Some(b) = unit.breakdown {
        req.breakdowns = b.api_keys().iter().map(|k| k.to_string()).collect();
    }
    if !unit.reach {
        // Facebook gives unique counts (reach) by breakdown for the last 13 months only.
        req.fields.retain(|f| f != "reach");
    }
    if let Some(c) = &piece.campaign {
        req.filtering = vec![Filter::any_of("campaign.id", [c.as_str()])];
    }
    req
}

/// Writes a page with the run's checkpoint; the unit's last page records it done.
async fn write(
    ctx: &RunCtx,
    unit: &Unit,
    target: &PageTarget<'_>,
    rows: &[DailyRow],
    unit_done: bool,
    written_before: u64,
    mode: &mut WriteMode,
) -> Result<(), SyncError> {
    // Count the unit before its last write, so reported progress only ever grows.
    let progress = if unit_done {
        ctx.progress.fetched(unit)
    } else {
        ctx.progress.now()
    };
    let checkpoint = Checkpoint {
        run: ctx.run,
        owner: &ctx.owner,
        lease: ctx.lease,
        progress,
        chunk_done: unit_done.then(|| ChunkDone {
            since: unit.range.since(),
            until: unit.range.until(),
            rows: (written_before + rows.len() as u64) as i64,
        }),
    };
    write_names(ctx, target, rows).await?;
    write_page(&ctx.db, target, rows, &checkpoint, mode)
        .await
        .map_err(SyncError::from)?;
    metrics::counter!("adsync_rows_written_total").increment(rows.len() as u64);
    Ok(())
}

/// One page of a piece: from its report run when it has one, else a synchronous call.
/// `Ok(Err(_))` when Facebook refused it as too much data (and where).
async fn fetch_page(
    ctx: &RunCtx,
    unit: &Unit,
    req: &InsightsRequest,
    report: Option<&str>,
    after: Option<&str>,
) -> Result<Result<InsightsPage<DailyRow>, Refused>, SyncError> {
    // Each row is normalized as it is read (see `GraphClient::insights_page_with`). Without
    // reach asked for, a row has none (NULL), not 0.
    let (account, level, reach) = (unit.account.id.as_str(), unit.level, unit.reach);
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
