//! Pending OAuth `state` values: random, bound to a user, a team and a return page,
//! single-use and short-lived. Stored server-side so any API replica can finish the flow.

use chrono::{DateTime, Duration, Utc};

use super::{Db, StorageResult, now, on_pool};
use adsync_common::Secret;
use adsync_common::ids::{TeamId, UserId};
use adsync_common::password::{bearer_digest, new_bearer_secret};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingState {
    pub team_id: TeamId,
    pub user_id: UserId,
    pub platform: String,
    pub return_to: String,
    pub expires_at: DateTime<Utc>,
}

pub async fn create(
    db: &Db,
    team: TeamId,
    user: UserId,
    platform: &str,
    return_to: &str,
    ttl: Duration,
) -> StorageResult<Secret<String>> {
    const SQL: &str = "INSERT INTO oauth_states (state_digest, team_id, user_id, platform, return_to, created_at, expires_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7)";
    const PURGE: &str = "DELETE FROM oauth_states WHERE expires_at < $1";
    let state = new_bearer_secret("");
    let at = now();
    on_pool!(db, p => {
        sqlx::query(PURGE).bind(at).execute(p).await?;
        sqlx::query(SQL).bind(bearer_digest(state.expose())).bind(team).bind(user).bind(platform).bind(return_to).bind(at).bind(at + ttl)
            .execute(p).await.map(|_| ())?
    });
    Ok(state)
}

/// What presenting a state found.
#[derive(Debug, Clone)]
pub enum Taken {
    /// First use by the session it was issued to: the state is now marked used.
    Fresh(PendingState),
    /// Used before (a replayed callback); its team is known, so the failure can be shown there.
    Reused(PendingState),
    /// Presented by another session (or none): left unused, so the user it was issued to
    /// can still finish. A state copied out of someone's dialog burns nothing.
    OtherSession(PendingState),
    /// Never created here, or expired and purged.
    Unknown,
}

/// Consumes the state if `session_user` is the user it was issued to: it is then marked used
/// whether or not it has expired, so it works once at most. The marked row stays until it
/// expires, so a second use is recognised as one.
pub async fn take(db: &Db, state: &str, session_user: Option<UserId>) -> StorageResult<Taken> {
    const MARK: &str = "UPDATE oauth_states SET used_at = $2 WHERE state_digest = $1 AND user_id = $3 AND used_at IS NULL \
                        RETURNING team_id, user_id, platform, return_to, expires_at";
    const SEEN: &str = "SELECT team_id, user_id, platform, return_to, expires_at, used_at IS NOT NULL AS used FROM oauth_states WHERE state_digest = $1";
    let digest = bearer_digest(state);
    if let Some(user) = session_user {
        let fresh: Option<PendingState> =
            on_pool!(db, p => sqlx::query_as(MARK).bind(&digest).bind(now()).bind(user).fetch_optional(p).await?);
        if let Some(p) = fresh {
            return Ok(Taken::Fresh(p));
        }
    }
    let seen: Option<Seen> = on_pool!(db, p => sqlx::query_as(SEEN).bind(&digest).fetch_optional(p).await?);
    Ok(match seen {
        None => Taken::Unknown,
        Some(s) if s.used => Taken::Reused(s.pending),
        Some(s) => Taken::OtherSession(s.pending),
    })
}

#[derive(sqlx::FromRow)]
struct Seen {
    #[sqlx(flatten)]
    pending: PendingState,
    used: bool,
}
