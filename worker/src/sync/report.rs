//! Async report runs for big queries: Facebook prepares the result set server-side, so a
//! chunk of a dense account costs one start, a few status polls and its pages, instead of
//! synchronous calls over so many rows that they risk timeouts (the plan decides which). A run that fails or is skipped falls back to the
//! synchronous path (which halves pages or splits days as needed).

use std::time::Duration;

use adsync_common::graph::{GraphError, InsightsRequest};

use super::SyncError;
use super::call::{RunCtx, call};

const FIRST_POLL: Duration = Duration::from_millis(100);
const MAX_POLL_INTERVAL: Duration = Duration::from_secs(5);
/// About half an hour of polling before giving up on a run.
const MAX_POLLS: u32 = 400;

/// How a report run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// Its results can be paged.
    Ready(String),
    /// Facebook failed it as too big ("reduce the amount of data").
    TooBig,
    /// Failed or skipped for another reason, or never completed.
    Failed,
}

/// Starts a report run and waits (sleeping between polls, never spinning) until it ends.
pub async fn run_report(ctx: &RunCtx, account: &str, req: &InsightsRequest) -> Result<Report, SyncError> {
    let id = match call(ctx, account, || ctx.graph.start_report(&ctx.token, req)).await {
        Ok(id) => id,
        Err(SyncError::Graph(GraphError::ReduceData { .. })) => return Ok(Report::TooBig),
        Err(e) => return Err(e),
    };
    let mut wait = FIRST_POLL;
    for _ in 0..MAX_POLLS {
        ctx.pause(wait).await?;
        let status = match call(ctx, account, || ctx.graph.report_status(&ctx.token, &id)).await {
            Ok(status) => status,
            // A status read carries no data to reduce: refused, it is Facebook's load; poll on.
            Err(SyncError::Graph(GraphError::ReduceData { .. })) => continue,
            Err(e) => return Err(e),
        };
        if status.is_ready() {
            return Ok(Report::Ready(id));
        }
        if status.has_failed() {
            metrics::counter!("adsync_async_reports_failed_total").increment(1);
            if status.error.as_ref().is_some_and(|e| e.asks_for_less()) {
                tracing::info!(ad_account = account, "async report too big; asking for less");
                return Ok(Report::TooBig);
            }
            let reason = status.error.map(|e| e.message).unwrap_or_default();
            tracing::info!(ad_account = account, %reason, "async report failed");
            return Ok(Report::Failed);
        }
        wait = (wait.mul_f32(1.5)).min(MAX_POLL_INTERVAL);
    }
    tracing::warn!(ad_account = account, "async report did not complete in time");
    Ok(Report::Failed)
}
