//! Personal API tokens for scripts: shown once at creation, stored as a digest.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Db, StorageError, StorageResult, now, on_pool};
use adsync_common::Secret;
use adsync_common::ids::{ApiTokenId, UserId};
use adsync_common::password::{bearer_digest, new_bearer_secret};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub user_id: UserId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Creates a token; the returned secret is the only copy there will ever be.
pub async fn create(db: &Db, user: UserId, name: &str) -> StorageResult<(ApiTokenId, Secret<String>)> {
    const SQL: &str =
        "INSERT INTO api_tokens (user_id, name, token_digest, created_at) VALUES ($1, $2, $3, $4) RETURNING id";
    let secret = new_bearer_secret("ads_");
    let id = on_pool!(db, p => sqlx::query_scalar(SQL).bind(user).bind(name).bind(bearer_digest(secret.expose())).bind(now()).fetch_one(p).await?);
    Ok((ApiTokenId(id), secret))
}

/// How stale `last_used_at` may get before a use rewrites it. Recording every use made
/// each API call a committed write (a WAL flush) before any work; to the minute is plenty
/// for "last used".
const TOUCH_AFTER: chrono::Duration = chrono::Duration::seconds(60);

/// The token's user (and records the use, to the minute), or `None` for an unknown token.
pub async fn user_for(db: &Db, secret: &str) -> StorageResult<Option<UserId>> {
    const FIND: &str = "SELECT id, user_id, last_used_at FROM api_tokens WHERE token_digest = $1";
    const TOUCH: &str = "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2";
    let row: Option<(i64, i64, Option<DateTime<Utc>>)> =
        on_pool!(db, p => sqlx::query_as(FIND).bind(bearer_digest(secret)).fetch_optional(p).await?);
    let Some((id, user, last_used)) = row else {
        return Ok(None);
    };
    let at = now();
    if last_used.is_none_or(|last| at - last >= TOUCH_AFTER) {
        on_pool!(db, p => sqlx::query(TOUCH).bind(at).bind(id).execute(p).await.map(|_| ())?);
    }
    Ok(Some(UserId(user)))
}

pub async fn list(db: &Db, user: Option<UserId>) -> StorageResult<Vec<ApiToken>> {
    const SQL: &str = "SELECT id, user_id, name, created_at, last_used_at FROM api_tokens \
                       WHERE ($1 IS NULL OR user_id = $1) ORDER BY id";
    Ok(on_pool!(db, p => sqlx::query_as(SQL).bind(user).fetch_all(p).await?))
}

pub async fn revoke(db: &Db, id: ApiTokenId) -> StorageResult<()> {
    const SQL: &str = "DELETE FROM api_tokens WHERE id = $1";
    let n = on_pool!(db, p => sqlx::query(SQL).bind(id).execute(p).await?.rows_affected());
    if n == 0 { Err(StorageError::NotFound) } else { Ok(()) }
}
