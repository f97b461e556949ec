//! Links to set a new password: e-mailed to a user who forgot theirs, or issued by an admin.
//! Only the link's digest is stored; a new link replaces the user's unused ones, and using
//! one ends every session of the user.

use chrono::{DateTime, Duration, Utc};

use super::{BeginWrite, Db, StorageResult, now, on_pool};
use adsync_common::Secret;
use adsync_common::ids::UserId;
use adsync_common::password::{bearer_digest, new_bearer_secret};

/// A reset link for `user`, valid for `ttl`; its secret (sent or shown once).
pub async fn create(db: &Db, user: UserId, ttl: Duration) -> StorageResult<Secret<String>> {
    const REPLACE: &str = "DELETE FROM password_resets WHERE user_id = $1 AND used_at IS NULL";
    const SQL: &str =
        "INSERT INTO password_resets (user_id, token_digest, created_at, expires_at) VALUES ($1, $2, $3, $4)";
    let secret = new_bearer_secret("pwr_");
    let at = now();
    on_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        sqlx::query(REPLACE).bind(user).execute(&mut *tx).await?;
        sqlx::query(SQL).bind(user).bind(bearer_digest(secret.expose())).bind(at).bind(at + ttl).execute(&mut *tx).await?;
        tx.commit().await?;
    });
    Ok(secret)
}

/// The user a link still works for, and their e-mail.
pub async fn user_for(db: &Db, secret: &str) -> StorageResult<Option<(UserId, String)>> {
    const SQL: &str = "SELECT u.id, u.email, r.expires_at FROM password_resets r JOIN users u ON u.id = r.user_id \
                       WHERE r.token_digest = $1 AND r.used_at IS NULL";
    let row: Option<(UserId, String, DateTime<Utc>)> =
        on_pool!(db, p => sqlx::query_as(SQL).bind(bearer_digest(secret)).fetch_optional(p).await?);
    Ok(row
        .filter(|(_, _, expires)| *expires > Utc::now())
        .map(|(id, email, _)| (id, email)))
}

/// What using a reset link did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reset {
    pub user: UserId,
    /// Provider accounts (Google, Facebook) that were linked, and are not any more.
    pub unlinked: u64,
}

/// Uses the link: sets the password, ends every session of the user and unlinks every
/// provider account, in one transaction. A reset proves control of the address now; whoever
/// linked a provider account before (say, someone who signed in with an account claiming the
/// address before its owner had an adsync account) must not keep a way in. `None` when the
/// link is unknown, used or expired.
pub async fn reset(db: &Db, secret: &str, password_hash: &str) -> StorageResult<Option<Reset>> {
    const TAKE: &str = "UPDATE password_resets SET used_at = $1 \
                        WHERE token_digest = $2 AND used_at IS NULL AND expires_at > $1 RETURNING user_id";
    const PASSWORD: &str = "UPDATE users SET password_hash = $1 WHERE id = $2";
    const SESSIONS: &str = "DELETE FROM sessions WHERE user_id = $1";
    const OTHERS: &str = "DELETE FROM password_resets WHERE user_id = $1 AND used_at IS NULL";
    const IDENTITIES: &str = "DELETE FROM user_identities WHERE user_id = $1";
    let at = now();
    let done = on_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let user: Option<UserId> = sqlx::query_scalar(TAKE).bind(at).bind(bearer_digest(secret)).fetch_optional(&mut *tx).await?;
        match user {
            Some(user) => {
                sqlx::query(PASSWORD).bind(password_hash).bind(user).execute(&mut *tx).await?;
                sqlx::query(SESSIONS).bind(user).execute(&mut *tx).await?;
                sqlx::query(OTHERS).bind(user).execute(&mut *tx).await?;
                let unlinked = sqlx::query(IDENTITIES).bind(user).execute(&mut *tx).await?.rows_affected();
                tx.commit().await?;
                Some(Reset { user, unlinked })
            }
            None => None,
        }
    });
    Ok(done)
}

/// Deletes links a month past their end (used or not); how many.
pub async fn purge_ended(db: &Db) -> StorageResult<u64> {
    const SQL: &str = "DELETE FROM password_resets WHERE expires_at < $1";
    let before = now() - Duration::days(30);
    Ok(on_pool!(db, p => sqlx::query(SQL).bind(before).execute(p).await?.rows_affected()))
}
