//! Campaigns, ad sets and ads as their lists show them: names, parents, delivery status and
//! (campaigns) objective. Insights rows carry only names; these fill the rest.

use sqlx::QueryBuilder;

use super::{Db, StorageResult, now, on_pool};
use adsync_common::graph::{AdObject, Level};
use adsync_common::ids::TeamId;

/// Rows per statement (× 9 parameters at most, far below either database's limit).
const BATCH: usize = 500;

/// Upserts the account's objects of `level` (campaign, ad set or ad). Objects a list gave
/// without what the table needs (a name; an ad set's campaign; an ad's ad set) are skipped:
/// the insights rows name them.
pub async fn upsert_objects(
    db: &Db,
    team: TeamId,
    ad_account_id: &str,
    level: Level,
    objects: &[AdObject],
) -> StorageResult<()> {
    let mut usable: Vec<&AdObject> = objects
        .iter()
        .filter(|o| {
            o.name.is_some()
                && match level {
                    Level::Adset => o.campaign_id.is_some(),
                    Level::Ad => o.campaign_id.is_some() && o.adset_id.is_some(),
                    _ => true,
                }
        })
        .collect();
    // In id order: writers lock rows in the same order, so PostgreSQL sees no deadlock.
    usable.sort_by(|a, b| a.id.cmp(&b.id));
    usable.dedup_by(|a, b| a.id == b.id);
    let at = now();
    let (head, tail) = match level {
        Level::Campaign => (
            "INSERT INTO campaigns (team_id, ad_account_id, id, name, status, effective_status, objective, updated_at) ",
            ", objective = excluded.objective",
        ),
        Level::Adset => (
            "INSERT INTO adsets (team_id, ad_account_id, id, name, status, effective_status, campaign_id, updated_at) ",
            ", campaign_id = excluded.campaign_id",
        ),
        Level::Ad => (
            "INSERT INTO ads (team_id, ad_account_id, id, name, status, effective_status, campaign_id, adset_id, updated_at) ",
            ", campaign_id = excluded.campaign_id, adset_id = excluded.adset_id",
        ),
        Level::Account => return Ok(()),
    };
    on_pool!(db, p => {
        for batch in usable.chunks(BATCH) {
            let mut q = QueryBuilder::new(head);
            q.push_values(batch, |mut b, o| {
                b.push_bind(team)
                    .push_bind(ad_account_id)
                    .push_bind(&o.id)
                    .push_bind(&o.name)
                    .push_bind(&o.status)
                    .push_bind(&o.effective_status);
                match level {
                    Level::Campaign => {
                        b.push_bind(&o.objective);
                    }
                    Level::Adset => {
                        b.push_bind(&o.campaign_id);
                    }
                    _ => {
                        b.push_bind(&o.campaign_id).push_bind(&o.adset_id);
                    }
                }
                b.push_bind(at);
            });
            q.push(
                " ON CONFLICT (team_id, id) DO UPDATE SET ad_account_id = excluded.ad_account_id, name = excluded.name, \
                 status = excluded.status, effective_status = excluded.effective_status, updated_at = excluded.updated_at",
            );
            q.push(tail);
            q.build().persistent(false).execute(p).await?;
        }
    });
    Ok(())
}
