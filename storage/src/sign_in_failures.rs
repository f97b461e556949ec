//! Failed sign-ins, counted per key (an account, a client address) over a fixed window.
//! Kept in the database every API replica shares, so a limit holds across replicas and on
//! the embedded default alike.

use chrono::{DateTime, Duration, Utc};

use super::{Db, StorageResult, now, on_pool};

/// When `key` may try again, if it has used up `limit` failures in its current window.
pub async fn blocked_until(db: &Db, key: &str, limit: u32) -> StorageResult<Option<DateTime<Utc>>> {
    const SQL: &str = "SELECT failures, window_ends_at FROM sign_in_failures WHERE key = $1";
    let row: Option<(i32, DateTime<Utc>)> = on_pool!(db, p => sqlx::query_as(SQL).bind(key).fetch_optional(p).await?);
    let at = now();
    Ok(row
        .filter(|(failures, ends)| i64::from(*failures) >= i64::from(limit) && *ends > at)
        .map(|(_, ends)| ends))
}

/// Counts one failure for `key`: the first of a fresh window of `window`, or one more in the
/// current one.
pub async fn record(db: &Db, key: &str, window: Duration) -> StorageResult<()> {
    const SQL: &str = "INSERT INTO sign_in_failures (key, failures, window_ends_at) VALUES ($1, 1, $2) \
                       ON CONFLICT (key) DO UPDATE SET \
                       failures = CASE WHEN sign_in_failures.window_ends_at <= $3 THEN 1 ELSE sign_in_failures.failures + 1 END, \
                       window_ends_at = CASE WHEN sign_in_failures.window_ends_at <= $3 THEN $2 ELSE sign_in_failures.window_ends_at END";
    let at = now();
    on_pool!(db, p => sqlx::query(SQL).bind(key).bind(at + window).bind(at).execute(p).await.map(|_| ())?);
    Ok(())
}

/// Forgets `key`'s failures (after a successful sign-in).
pub async fn clear(db: &Db, key: &str) -> StorageResult<()> {
    const SQL: &str = "DELETE FROM sign_in_failures WHERE key = $1";
    on_pool!(db, p => sqlx::query(SQL).bind(key).execute(p).await.map(|_| ())?);
    Ok(())
}

/// Removes windows that have ended; returns how many.
pub async fn purge_ended(db: &Db) -> StorageResult<u64> {
    const SQL: &str = "DELETE FROM sign_in_failures WHERE window_ends_at <= $1";
    Ok(on_pool!(db, p => sqlx::query(SQL).bind(now()).execute(p).await?.rows_affected()))
}
