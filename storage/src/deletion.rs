//! Facebook data-deletion requests: removing a team's synced ad data, and the receipts
//! (`deletion_requests`) whose confirmation codes Facebook shows the person.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{BeginWrite, Db, StorageResult, now, on_pool};
use adsync_common::ids::TeamId;

/// Every table holding ad data synced for a team, children first (actions are part of
/// `insights_daily` rows).
const SYNCED_TABLES: &[&str] = &["insights_daily", "ads", "adsets", "campaigns", "ad_accounts"];

/// A stored deletion request, shown on the public status page.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DeletionRequest {
    pub confirmation_code: String,
    pub platform: String,
    pub external_user_id: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// Deletes every synced row of `team` (campaigns, ad sets, ads, daily insights, actions and
/// the ad accounts themselves) in one transaction. Returns how many rows went.
pub async fn delete_synced_data(db: &Db, team: TeamId) -> StorageResult<u64> {
    let mut total = 0;
    on_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        for table in SYNCED_TABLES {
            let sql = format!("DELETE FROM {table} WHERE team_id = $1");
            total += sqlx::query(sqlx::AssertSqlSafe(sql)).bind(team).execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
    });
    Ok(total)
}

/// Records a completed deletion request under a fresh confirmation code and returns it.
/// `Conflict` when a request with this digest is already recorded.
pub async fn record_request(db: &Db, platform: &str, external_user_id: &str, digest: &str) -> StorageResult<String> {
    const SQL: &str = "INSERT INTO deletion_requests (confirmation_code, platform, external_user_id, status, created_at, request_digest) \
                       VALUES ($1, $2, $3, 'completed', $4, $5)";
    let code = uuid::Uuid::new_v4().simple().to_string();
    on_pool!(db, p => sqlx::query(SQL).bind(&code).bind(platform).bind(external_user_id).bind(now()).bind(digest)
        .execute(p).await.map(|_| ())?);
    Ok(code)
}

/// The confirmation code already given to the request with this digest, if any.
pub async fn code_for_request(db: &Db, digest: &str) -> StorageResult<Option<String>> {
    const SQL: &str = "SELECT confirmation_code FROM deletion_requests WHERE request_digest = $1";
    Ok(on_pool!(db, p => sqlx::query_scalar(SQL).bind(digest).fetch_optional(p).await?))
}

pub async fn get_request(db: &Db, confirmation_code: &str) -> StorageResult<Option<DeletionRequest>> {
    const SQL: &str = "SELECT confirmation_code, platform, external_user_id, status, created_at \
                       FROM deletion_requests WHERE confirmation_code = $1";
    Ok(on_pool!(db, p => sqlx::query_as(SQL).bind(confirmation_code).fetch_optional(p).await?))
}
