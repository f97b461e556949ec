//! Accounts at sign-in providers (Google, Facebook Login) linked to users. A provider account
//! links to one user at most, a user links one account per provider, and a user always keeps
//! a way to sign in: a password or a linked account.

use chrono::{DateTime, Utc};

use super::{BeginWrite, Db, StorageError, StorageResult, now, on_pool};
use adsync_common::ids::{Email, UserId};
use adsync_common::password::NO_PASSWORD;

/// A provider account as the user's account page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Identity {
    pub provider: String,
    pub subject: String,
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// What linking found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linked {
    Done,
    /// The provider account is already linked to this user (nothing changed).
    Already,
    /// The provider account is linked to another user.
    OtherUser,
    /// The user has another account of this provider linked.
    OtherAccount,
}

/// The user a provider account signs in, noting the sign-in.
pub async fn user_for(db: &Db, provider: &str, subject: &str) -> StorageResult<Option<UserId>> {
    const SQL: &str =
        "UPDATE user_identities SET last_used_at = $3 WHERE provider = $1 AND subject = $2 RETURNING user_id";
    Ok(on_pool!(db, p => sqlx::query_scalar(SQL).bind(provider).bind(subject).bind(now()).fetch_optional(p).await?))
}

/// Links a provider account to `user`.
pub async fn link(db: &Db, user: UserId, provider: &str, subject: &str, email: Option<&str>) -> StorageResult<Linked> {
    const INSERT: &str = "INSERT INTO user_identities (user_id, provider, subject, email, created_at, last_used_at) \
                          VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT DO NOTHING";
    const OWNER: &str = "SELECT user_id FROM user_identities WHERE provider = $1 AND subject = $2";
    // One transaction: what blocked the insert is still there when it is looked up.
    let (inserted, owner): (u64, Option<UserId>) = on_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let inserted = sqlx::query(INSERT).bind(user).bind(provider).bind(subject).bind(email).bind(now())
            .execute(&mut *tx).await?.rows_affected();
        let owner = if inserted == 1 {
            None
        } else {
            sqlx::query_scalar(OWNER).bind(provider).bind(subject).fetch_optional(&mut *tx).await?
        };
        tx.commit().await?;
        (inserted, owner)
    });
    Ok(match (inserted, owner) {
        (1, _) => Linked::Done,
        (_, Some(u)) if u == user => Linked::Already,
        (_, Some(_)) => Linked::OtherUser,
        (_, None) => Linked::OtherAccount,
    })
}

/// Creates a user without a password, signed in by this provider account. `Conflict` when
/// the e-mail or the provider account is taken meanwhile.
pub async fn create_user(db: &Db, email: &Email, provider: &str, subject: &str) -> StorageResult<UserId> {
    const USER: &str = "INSERT INTO users (email, password_hash, created_at) VALUES ($1, $2, $3) RETURNING id";
    const IDENTITY: &str = "INSERT INTO user_identities (user_id, provider, subject, email, created_at, last_used_at) \
                            VALUES ($1, $2, $3, $4, $5, $5)";
    let at = now();
    let id = on_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let id: UserId = sqlx::query_scalar(USER).bind(email.as_str()).bind(NO_PASSWORD).bind(at).fetch_one(&mut *tx).await?;
        sqlx::query(IDENTITY).bind(id).bind(provider).bind(subject).bind(email.as_str()).bind(at).execute(&mut *tx).await?;
        tx.commit().await?;
        id
    });
    Ok(id)
}

/// The provider accounts linked to `user`, by provider.
pub async fn of_user(db: &Db, user: UserId) -> StorageResult<Vec<Identity>> {
    const SQL: &str = "SELECT provider, subject, email, created_at, last_used_at FROM user_identities \
                       WHERE user_id = $1 ORDER BY provider";
    Ok(on_pool!(db, p => sqlx::query_as(SQL).bind(user).fetch_all(p).await?))
}

/// Whether `user` has a password (users created by a provider sign-in have none until they
/// set one).
pub async fn has_password(db: &Db, user: UserId) -> StorageResult<bool> {
    const SQL: &str = "SELECT password_hash <> $2 FROM users WHERE id = $1";
    let has: Option<bool> =
        on_pool!(db, p => sqlx::query_scalar(SQL).bind(user).bind(NO_PASSWORD).fetch_optional(p).await?);
    has.ok_or(StorageError::NotFound)
}

/// What unlinking did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unlinked {
    Done,
    NotLinked,
    /// Refused: it is the user's only way to sign in (no password, no other account).
    LastWay,
}

/// Unlinks the user's account of `provider`, unless nothing else would sign them in. The
/// check and the delete run under a lock on the user's row, so two unlinks at once cannot
/// both pass it.
pub async fn unlink(db: &Db, user: UserId, provider: &str) -> StorageResult<Unlinked> {
    const LOCK: &str = "UPDATE users SET email = email WHERE id = $1 RETURNING password_hash <> $2";
    const OTHERS: &str = "SELECT COUNT(*) FROM user_identities WHERE user_id = $1 AND provider <> $2";
    const DELETE: &str = "DELETE FROM user_identities WHERE user_id = $1 AND provider = $2";
    let outcome = on_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let has_password: Option<bool> =
            sqlx::query_scalar(LOCK).bind(user).bind(NO_PASSWORD).fetch_optional(&mut *tx).await?;
        let has_password = has_password.ok_or(StorageError::NotFound)?;
        let others: i64 = sqlx::query_scalar(OTHERS).bind(user).bind(provider).fetch_one(&mut *tx).await?;
        if !has_password && others == 0 {
            Unlinked::LastWay
        } else if sqlx::query(DELETE).bind(user).bind(provider).execute(&mut *tx).await?.rows_affected() == 0 {
            Unlinked::NotLinked
        } else {
            tx.commit().await?;
            Unlinked::Done
        }
    });
    Ok(outcome)
}
