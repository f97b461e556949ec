//! Where an account's data starts, before a backfill plans its units.

use adsync_common::graph::{GraphError, InsightsRequest, Level, TimeIncrement};
use adsync_storage::connections::AdAccount;

use super::{RunCtx, SyncError, call, plan, shrink};

/// The backfill probe: one account-level, monthly call over 37 months finds where data
/// starts, so a backfill never pages through years of empty days. Refused as too much data,
/// it asks for smaller pages, then for halves of the range (oldest first: the oldest half
/// with data ends the search only if nothing older is left); if even a day is too much,
/// the backfill covers all 37 months rather than fail.
pub(super) async fn first_day_with_data(
    ctx: &RunCtx,
    account: &AdAccount,
) -> Result<Option<chrono::NaiveDate>, SyncError> {
    let today = account.today();
    let since = adsync_common::dates::oldest_day(today, plan::BACKFILL_MONTHS);
    let whole = adsync_common::dates::DateRange::new(since, today)
        .map_err(|e| SyncError::Graph(GraphError::Decode(e.to_string())))?;
    let mut earliest = None;
    // Oldest piece on top: the first day with data is found in the oldest piece that has one.
    let mut pending = vec![whole];
    let mut limit = adsync_common::graph::MAX_PAGE_SIZE;
    while let Some(range) = pending.pop() {
        let mut req = InsightsRequest::daily(&account.id, Level::Account, range.since(), range.until());
        req.time_increment = TimeIncrement::Monthly;
        req.fields = vec![
            "impressions".into(),
            "spend".into(),
            "date_start".into(),
            "date_stop".into(),
        ];
        req.action_attribution_windows.clear();
        let mut after: Option<String> = None;
        loop {
            req.limit = limit;
            let page = call::call(ctx, &account.id, || {
                ctx.graph.insights_page(&ctx.token, &req, after.as_deref())
            })
            .await;
            let page = match page {
                Ok(page) => page,
                Err(SyncError::Graph(GraphError::ReduceData { .. })) => {
                    if limit > shrink::MIN_PAGE_SIZE {
                        limit = (limit / 2).max(shrink::MIN_PAGE_SIZE);
                        continue;
                    }
                    match shrink::split(range) {
                        Some((older, newer)) => {
                            pending.extend([newer, older]);
                            break;
                        }
                        None => {
                            tracing::info!(
                                ad_account = account.id,
                                "Facebook refused even a day of the backfill probe; backfilling all 37 months"
                            );
                            return Ok(Some(since));
                        }
                    }
                }
                Err(e) => return Err(e),
            };
            for row in &page.rows {
                if row.impressions > 0 || !row.spend.is_zero() {
                    earliest = Some(earliest.map_or(row.date_start, |e: chrono::NaiveDate| e.min(row.date_start)));
                }
            }
            match page.after {
                Some(a) => after = Some(a),
                None => break,
            }
        }
        if earliest.is_some() {
            // Every piece still pending is newer than this one.
            return Ok(earliest);
        }
    }
    Ok(earliest)
}
