//! The account's campaigns, ad sets and ads with their status and objective, listed at the
//! start of each run (a few calls of the `ads_management` budget, not the insights one).

use std::sync::Arc;

use adsync_common::graph::{AdObject, GraphError, Level};
use adsync_storage::objects::upsert_objects;

use super::SyncError;
use super::call::{RunCtx, call};
use super::shrink::{MIN_PAGE_SIZE, RETRIES_AT_SMALLEST};

/// Objects per list page.
const PAGE: u32 = 500;

/// Lists and stores the account's objects. Statuses are worth a warning, not a failed run:
/// a list Facebook refuses leaves the rows' names and the earlier statuses in place. What
/// stops the run anyway (an expired token, a shutdown) still does.
pub async fn sync_objects(ctx: &RunCtx, account: &str) -> Result<(), SyncError> {
    for level in [Level::Campaign, Level::Adset, Level::Ad] {
        let listed = match list_objects(ctx, account, level).await {
            Ok(objects) => upsert_objects(&ctx.db, ctx.team, account, level, &objects)
                .await
                .map_err(SyncError::Storage),
            Err(e) => Err(e),
        };
        match listed {
            Ok(()) => {}
            Err(
                e @ (SyncError::TokenInvalid(_) | SyncError::Permission(_) | SyncError::Stopped | SyncError::LeaseLost),
            ) => {
                return Err(e);
            }
            Err(e) => {
                tracing::warn!(ad_account = account, level = level.as_str(), error = %e, "could not list the objects; their statuses stay as they were");
            }
        }
    }
    Ok(())
}

/// Every object of `level` in the account, page by page through the gate (pages get smaller
/// when Facebook asks for less).
pub async fn list_objects(ctx: &RunCtx, account: &str, level: Level) -> Result<Vec<AdObject>, SyncError> {
    let mut out = Vec::new();
    let (mut after, mut limit): (Option<String>, u32) = (None, PAGE);
    let mut retries = 0;
    loop {
        let page = call(ctx, account, || {
            ctx.graph
                .objects_page(&ctx.token, account, level, limit, after.as_deref())
        })
        .await;
        let page = match page {
            Ok(p) => {
                retries = 0;
                p
            }
            Err(SyncError::Graph(GraphError::ReduceData { .. })) if limit > MIN_PAGE_SIZE => {
                limit = (limit / 2).max(MIN_PAGE_SIZE);
                continue;
            }
            // Refused at the smallest page: Facebook refuses under load too, so ask again.
            Err(SyncError::Graph(GraphError::ReduceData { .. })) if retries < RETRIES_AT_SMALLEST => {
                retries += 1;
                ctx.back_off(retries).await?;
                continue;
            }
            Err(e) => return Err(e),
        };
        out.extend(page.objects);
        match page.after {
            Some(a) => after = Some(a),
            None => return Ok(out),
        }
    }
}

impl RunCtx {
    /// The account's campaign ids (listed through the gate, pages shrinking if refused).
    pub(super) async fn campaigns(&self, account: &str) -> Result<Arc<Vec<String>>, SyncError> {
        let mut cache = self.campaign_ids.lock().await;
        if let Some(ids) = cache.get(account) {
            return Ok(ids.clone());
        }
        let listed = list_objects(self, account, Level::Campaign).await?;
        let ids = Arc::new(listed.into_iter().map(|o| o.id).collect::<Vec<_>>());
        cache.insert(account.to_string(), ids.clone());
        Ok(ids)
    }
}
