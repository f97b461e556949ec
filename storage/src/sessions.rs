//! Browser sessions. The cookie holds a random secret; the database only its digest.

use chrono::{DateTime, Duration, Utc};

use super::{Db, StorageResult, now, on_pool};
use adsync_common::Secret;
use adsync_common::ids::UserId;
use adsync_common::password::{bearer_digest, new_bearer_secret};

pub async fn create(db: &Db, user: UserId, ttl: Duration) -> StorageResult<Secret<String>> {
    const SQL: &str = "INSERT INTO sessions (token_digest, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)";
    let secret = new_bearer_secret("s_");
    let created = now();
    on_pool!(db, p => sqlx::query(SQL).bind(bearer_digest(secret.expose())).bind(user).bind(created).bind(created + ttl).execute(p).await.map(|_| ())?);
    Ok(secret)
}

/// The session's user, if the session exists and has not expired.
pub async fn user_for(db: &Db, secret: &str) -> StorageResult<Option<UserId>> {
    const SQL: &str = "SELECT user_id, expires_at FROM sessions WHERE token_digest = $1";
    let row: Option<(i64, DateTime<Utc>)> =
        on_pool!(db, p => sqlx::query_as(SQL).bind(bearer_digest(secret)).fetch_optional(p).await?);
    Ok(row
        .filter(|(_, expires)| *expires > Utc::now())
        .map(|(id, _)| UserId(id)))
}

/// Ends every session of `user` (sign-out, a password change); returns how many.
pub async fn delete_all_of(db: &Db, user: UserId) -> StorageResult<u64> {
    const SQL: &str = "DELETE FROM sessions WHERE user_id = $1";
    Ok(on_pool!(db, p => sqlx::query(SQL).bind(user).execute(p).await?.rows_affected()))
}

/// Removes expired sessions; returns how many.
pub async fn purge_expired(db: &Db) -> StorageResult<u64> {
    const SQL: &str = "DELETE FROM sessions WHERE expires_at < $1";
    Ok(on_pool!(db, p => sqlx::query(SQL).bind(now()).execute(p).await?.rows_affected()))
}
