//! Sign-ins on their way through a provider, and provider sign-ins waiting for a password
//! confirmation. Both are single-use and short-lived; the database keeps only digests of
//! their secrets, so any API replica can finish them.

use chrono::{DateTime, Duration, Utc};

use super::{Db, StorageResult, now, on_pool};
use adsync_common::Secret;
use adsync_common::ids::UserId;
use adsync_common::password::{bearer_digest, new_bearer_secret};

/// A sign-in to start: which provider, whose account page links (if any), the nonce the ID
/// token must carry, the PKCE challenge of the verifier the browser keeps, and where to go.
#[derive(Debug, Clone)]
pub struct NewSignIn<'a> {
    pub provider: &'a str,
    pub link_user: Option<UserId>,
    pub nonce: &'a str,
    pub challenge: &'a str,
    pub next: &'a str,
    pub ttl: Duration,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingSignIn {
    pub provider: String,
    pub link_user_id: Option<UserId>,
    pub nonce: String,
    pub next: String,
    pub expires_at: DateTime<Utc>,
}

/// Stores a sign-in; returns its `state` (sent to the provider).
pub async fn create(db: &Db, s: NewSignIn<'_>) -> StorageResult<Secret<String>> {
    const PURGE: &str = "DELETE FROM sign_in_states WHERE expires_at < $1";
    const SQL: &str = "INSERT INTO sign_in_states (state_digest, provider, link_user_id, nonce, challenge, next, created_at, expires_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    let state = new_bearer_secret("");
    let at = now();
    on_pool!(db, p => {
        sqlx::query(PURGE).bind(at).execute(p).await?;
        sqlx::query(SQL).bind(bearer_digest(state.expose())).bind(s.provider).bind(s.link_user).bind(s.nonce)
            .bind(s.challenge).bind(s.next).bind(at).bind(at + s.ttl).execute(p).await?;
    });
    Ok(state)
}

/// What presenting a state found.
#[derive(Debug, Clone)]
pub enum Taken {
    /// First use, from the browser that started it: now marked used.
    Fresh(PendingSignIn),
    /// Used before.
    Reused,
    /// Presented without the PKCE verifier of the browser that started it: left unused.
    OtherBrowser,
    /// Expired (now marked used).
    Expired,
    /// Never created here, or purged.
    Unknown,
}

/// Consumes the state if `challenge` (of the verifier in the presenting browser's cookie)
/// matches: it then works once at most, expired or not.
pub async fn take(db: &Db, state: &str, challenge: &str) -> StorageResult<Taken> {
    const MARK: &str = "UPDATE sign_in_states SET used_at = $2 WHERE state_digest = $1 AND challenge = $3 AND used_at IS NULL \
                        RETURNING provider, link_user_id, nonce, next, expires_at";
    const SEEN: &str = "SELECT used_at IS NOT NULL FROM sign_in_states WHERE state_digest = $1";
    let digest = bearer_digest(state);
    let at = now();
    let fresh: Option<PendingSignIn> =
        on_pool!(db, p => sqlx::query_as(MARK).bind(&digest).bind(at).bind(challenge).fetch_optional(p).await?);
    if let Some(p) = fresh {
        return Ok(if p.expires_at < at {
            Taken::Expired
        } else {
            Taken::Fresh(p)
        });
    }
    let used: Option<bool> = on_pool!(db, p => sqlx::query_scalar(SEEN).bind(&digest).fetch_optional(p).await?);
    Ok(match used {
        None => Taken::Unknown,
        Some(true) => Taken::Reused,
        Some(false) => Taken::OtherBrowser,
    })
}

/// A provider account whose e-mail belongs to `user_id`, waiting for that user's password.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Confirmation {
    pub user_id: UserId,
    pub email: String,
    pub provider: String,
    pub subject: String,
    pub next: String,
}

/// Stores a confirmation to ask for; returns its secret (kept in the browser's cookie).
pub async fn create_confirmation(db: &Db, c: &Confirmation, ttl: Duration) -> StorageResult<Secret<String>> {
    const PURGE: &str = "DELETE FROM identity_confirmations WHERE expires_at < $1";
    const SQL: &str = "INSERT INTO identity_confirmations (token_digest, user_id, provider, subject, email, next, created_at, expires_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    let secret = new_bearer_secret("");
    let at = now();
    on_pool!(db, p => {
        sqlx::query(PURGE).bind(at).execute(p).await?;
        sqlx::query(SQL).bind(bearer_digest(secret.expose())).bind(c.user_id).bind(&c.provider).bind(&c.subject)
            .bind(&c.email).bind(&c.next).bind(at).bind(at + ttl).execute(p).await?;
    });
    Ok(secret)
}

/// The confirmation a secret still stands for (unused, unexpired), without using it.
pub async fn confirmation(db: &Db, secret: &str) -> StorageResult<Option<Confirmation>> {
    const SQL: &str = "SELECT user_id, email, provider, subject, next FROM identity_confirmations \
                       WHERE token_digest = $1 AND used_at IS NULL AND expires_at > $2";
    Ok(on_pool!(db, p => sqlx::query_as(SQL).bind(bearer_digest(secret)).bind(now()).fetch_optional(p).await?))
}

/// Uses a confirmation once the password was checked: `None` if it was used meanwhile.
pub async fn take_confirmation(db: &Db, secret: &str) -> StorageResult<Option<Confirmation>> {
    const SQL: &str = "UPDATE identity_confirmations SET used_at = $2 \
                       WHERE token_digest = $1 AND used_at IS NULL AND expires_at > $2 \
                       RETURNING user_id, email, provider, subject, next";
    Ok(on_pool!(db, p => sqlx::query_as(SQL).bind(bearer_digest(secret)).bind(now()).fetch_optional(p).await?))
}
