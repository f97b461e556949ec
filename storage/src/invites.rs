//! Invitations to join a team: a single-use link an owner sends to an e-mail address. Only
//! the link's digest is stored; a new invitation to the same address replaces the pending
//! one, so only the latest link works.

use chrono::{DateTime, Duration, Utc};

use super::teams::parse_role;
use super::{BeginWrite, Db, StorageError, StorageResult, now, on_pool};
use adsync_common::Secret;
use adsync_common::ids::{Email, Role, TeamId, UserId};
use adsync_common::password::{bearer_digest, new_bearer_secret};

/// An invitation not yet accepted, as the team's members page lists it.
#[derive(Debug, Clone)]
pub struct PendingInvite {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
}

/// An invitation as its link shows it.
#[derive(Debug, Clone)]
pub struct Invite {
    pub team: TeamId,
    pub team_name: String,
    pub email: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
    pub accepted: bool,
}

impl Invite {
    /// Whether the link still works.
    pub fn usable(&self) -> bool {
        !self.accepted && self.expires_at > Utc::now()
    }
}

/// Invites `email` to `team` as `role` for `ttl`; the link's secret (shown or sent once).
pub async fn create(
    db: &Db,
    team: TeamId,
    email: &Email,
    role: Role,
    by: UserId,
    ttl: Duration,
) -> StorageResult<Secret<String>> {
    const REPLACE: &str = "DELETE FROM team_invites WHERE team_id = $1 AND email = $2 AND accepted_at IS NULL";
    const SQL: &str = "INSERT INTO team_invites (team_id, email, role, token_digest, invited_by, created_at, expires_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7)";
    let secret = new_bearer_secret("inv_");
    let at = now();
    on_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        sqlx::query(REPLACE).bind(team).bind(email.as_str()).execute(&mut *tx).await?;
        sqlx::query(SQL).bind(team).bind(email.as_str()).bind(role.as_str()).bind(bearer_digest(secret.expose()))
            .bind(by).bind(at).bind(at + ttl).execute(&mut *tx).await?;
        tx.commit().await?;
    });
    Ok(secret)
}

/// The team's invitations still waiting for an answer, oldest first.
pub async fn pending(db: &Db, team: TeamId) -> StorageResult<Vec<PendingInvite>> {
    const SQL: &str = "SELECT id, email, role, expires_at FROM team_invites \
                       WHERE team_id = $1 AND accepted_at IS NULL AND expires_at > $2 ORDER BY id";
    let rows: Vec<(i64, String, String, DateTime<Utc>)> =
        on_pool!(db, p => sqlx::query_as(SQL).bind(team).bind(now()).fetch_all(p).await?);
    rows.into_iter()
        .map(|(id, email, r, expires_at)| {
            Ok(PendingInvite {
                id,
                email,
                role: parse_role(&r)?,
                expires_at,
            })
        })
        .collect()
}

/// Withdraws a pending invitation of the team (its link stops working).
pub async fn revoke(db: &Db, team: TeamId, id: i64) -> StorageResult<()> {
    const SQL: &str = "DELETE FROM team_invites WHERE id = $1 AND team_id = $2 AND accepted_at IS NULL";
    let n = on_pool!(db, p => sqlx::query(SQL).bind(id).bind(team).execute(p).await?.rows_affected());
    if n == 0 { Err(StorageError::NotFound) } else { Ok(()) }
}

/// The invitation a link's secret names, used or not.
pub async fn find(db: &Db, secret: &str) -> StorageResult<Option<Invite>> {
    const SQL: &str = "SELECT i.team_id, t.name, i.email, i.role, i.expires_at, i.accepted_at IS NOT NULL \
                       FROM team_invites i JOIN teams t ON t.id = i.team_id WHERE i.token_digest = $1";
    let row: Option<(TeamId, String, String, String, DateTime<Utc>, bool)> =
        on_pool!(db, p => sqlx::query_as(SQL).bind(bearer_digest(secret)).fetch_optional(p).await?);
    row.map(|(team, team_name, email, r, expires_at, accepted)| {
        Ok(Invite {
            team,
            team_name,
            email,
            role: parse_role(&r)?,
            expires_at,
            accepted,
        })
    })
    .transpose()
}

/// Who takes up an invitation.
pub enum Joiner<'a> {
    /// A signed-in user (whose address is the invitation's).
    User(UserId),
    /// Someone without an account: the user is created with this password hash.
    NewUser { password_hash: &'a str },
}

/// Takes up the invitation for `email`: the link is used, the user (created if new) joins
/// the team, in one transaction. `Ok(None)` when the link is unknown, used, expired or for
/// another address; `Err(Conflict)` when a new user's address has an account by now (they
/// sign in and accept instead). An owner stays an owner when a member's invitation reaches
/// them.
pub async fn accept(
    db: &Db,
    secret: &str,
    email: &Email,
    joiner: Joiner<'_>,
) -> StorageResult<Option<(UserId, TeamId)>> {
    const TAKE: &str = "UPDATE team_invites SET accepted_at = $1 \
                        WHERE token_digest = $2 AND email = $3 AND accepted_at IS NULL AND expires_at > $1 \
                        RETURNING id, team_id, role";
    const USER: &str = "INSERT INTO users (email, password_hash, created_at) VALUES ($1, $2, $3) RETURNING id";
    const RECORD: &str = "UPDATE team_invites SET accepted_by = $1 WHERE id = $2";
    const JOIN: &str = "INSERT INTO memberships (team_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
                        ON CONFLICT (team_id, user_id) DO UPDATE SET role = \
                        CASE WHEN memberships.role = 'owner' THEN 'owner' ELSE excluded.role END";
    let at = now();
    let joined = on_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let taken: Option<(i64, TeamId, String)> = sqlx::query_as(TAKE).bind(at).bind(bearer_digest(secret))
            .bind(email.as_str()).fetch_optional(&mut *tx).await?;
        match taken {
            None => None,
            Some((id, team, r)) => {
                let user = match joiner {
                    Joiner::User(user) => user,
                    Joiner::NewUser { password_hash } => UserId(
                        sqlx::query_scalar(USER).bind(email.as_str()).bind(password_hash).bind(at).fetch_one(&mut *tx).await?,
                    ),
                };
                sqlx::query(RECORD).bind(user).bind(id).execute(&mut *tx).await?;
                sqlx::query(JOIN).bind(team).bind(user).bind(parse_role(&r)?.as_str()).bind(at).execute(&mut *tx).await?;
                tx.commit().await?;
                Some((user, team))
            }
        }
    });
    Ok(joined)
}

/// Deletes invitations a month past their end (used or not); how many.
pub async fn purge_ended(db: &Db) -> StorageResult<u64> {
    const SQL: &str = "DELETE FROM team_invites WHERE expires_at < $1";
    let before = now() - Duration::days(30);
    Ok(on_pool!(db, p => sqlx::query(SQL).bind(before).execute(p).await?.rows_affected()))
}
