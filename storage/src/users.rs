//! Users: an e-mail and an argon2id password hash.

use chrono::{DateTime, Utc};

use super::{BeginWrite, Db, StorageResult, now, on_pool};
use adsync_common::ids::{Email, UserId};
use adsync_common::password::NO_PASSWORD;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub created_at: DateTime<Utc>,
}

/// `Err(StorageError::Conflict)` when the e-mail is taken.
pub async fn create(db: &Db, email: &Email, password_hash: &str) -> StorageResult<UserId> {
    const SQL: &str = "INSERT INTO users (email, password_hash, created_at) VALUES ($1, $2, $3) RETURNING id";
    let id = on_pool!(db, p => sqlx::query_scalar(SQL).bind(email.as_str()).bind(password_hash).bind(now()).fetch_one(p).await?);
    Ok(UserId(id))
}

/// The user and their password hash, for a login attempt.
pub async fn credentials(db: &Db, email: &Email) -> StorageResult<Option<(UserId, String)>> {
    const SQL: &str = "SELECT id, password_hash FROM users WHERE email = $1";
    let row: Option<(i64, String)> =
        on_pool!(db, p => sqlx::query_as(SQL).bind(email.as_str()).fetch_optional(p).await?);
    Ok(row.map(|(id, hash)| (UserId(id), hash)))
}

pub async fn get(db: &Db, id: UserId) -> StorageResult<Option<User>> {
    const SQL: &str = "SELECT id, email, created_at FROM users WHERE id = $1";
    Ok(on_pool!(db, p => sqlx::query_as(SQL).bind(id).fetch_optional(p).await?))
}

pub async fn find_by_email(db: &Db, email: &Email) -> StorageResult<Option<User>> {
    const SQL: &str = "SELECT id, email, created_at FROM users WHERE email = $1";
    Ok(on_pool!(db, p => sqlx::query_as(SQL).bind(email.as_str()).fetch_optional(p).await?))
}

/// Replaces the user's password and ends every session they have, in one transaction: whoever
/// knew the old password is signed out with it, and reset links issued before stop working.
pub async fn set_password(db: &Db, id: UserId, password_hash: &str) -> StorageResult<()> {
    if replace_password(db, id, password_hash, false).await? {
        Ok(())
    } else {
        Err(super::StorageError::NotFound)
    }
}

/// Sets the first password of a user who has none (created by a provider sign-in), as
/// [`set_password`] does; `false` when the user has one by now (set meanwhile elsewhere).
pub async fn set_first_password(db: &Db, id: UserId, password_hash: &str) -> StorageResult<bool> {
    replace_password(db, id, password_hash, true).await
}

async fn replace_password(db: &Db, id: UserId, password_hash: &str, only_if_none: bool) -> StorageResult<bool> {
    const SQL: &str = "UPDATE users SET password_hash = $1 WHERE id = $2 AND (NOT $3 OR password_hash = $4)";
    const END_SESSIONS: &str = "DELETE FROM sessions WHERE user_id = $1";
    const END_RESETS: &str = "DELETE FROM password_resets WHERE user_id = $1 AND used_at IS NULL";
    let done = on_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let done = sqlx::query(SQL).bind(password_hash).bind(id).bind(only_if_none).bind(NO_PASSWORD)
            .execute(&mut *tx).await?.rows_affected();
        if done > 0 {
            sqlx::query(END_SESSIONS).bind(id).execute(&mut *tx).await?;
            sqlx::query(END_RESETS).bind(id).execute(&mut *tx).await?;
            tx.commit().await?;
        }
        done
    });
    Ok(done > 0)
}

pub async fn list(db: &Db) -> StorageResult<Vec<User>> {
    const SQL: &str = "SELECT id, email, created_at FROM users ORDER BY id";
    Ok(on_pool!(db, p => sqlx::query_as(SQL).fetch_all(p).await?))
}
