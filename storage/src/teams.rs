//! Teams and memberships. Every read a user makes goes through `role_of`, so team
//! scoping is decided in one place.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{BeginWrite, Db, StorageError, StorageResult, now, on_pool};
use adsync_common::ids::{Role, TeamId, UserId};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// A team as one user sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TeamWithRole {
    pub id: TeamId,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub user_id: UserId,
    pub email: String,
    pub role: Role,
}

pub(crate) fn parse_role(raw: &str) -> StorageResult<Role> {
    raw.parse()
        .map_err(|e: String| StorageError::Database(sqlx::Error::Decode(e.into())))
}

pub async fn create(db: &Db, name: &str) -> StorageResult<TeamId> {
    const SQL: &str = "INSERT INTO teams (name, created_at) VALUES ($1, $2) RETURNING id";
    let id = on_pool!(db, p => sqlx::query_scalar(SQL).bind(name).bind(now()).fetch_one(p).await?);
    Ok(TeamId(id))
}

pub async fn get(db: &Db, id: TeamId) -> StorageResult<Option<Team>> {
    const SQL: &str = "SELECT id, name, created_at FROM teams WHERE id = $1";
    Ok(on_pool!(db, p => sqlx::query_as(SQL).bind(id).fetch_optional(p).await?))
}

pub async fn find_by_name(db: &Db, name: &str) -> StorageResult<Option<Team>> {
    const SQL: &str = "SELECT id, name, created_at FROM teams WHERE name = $1 ORDER BY id LIMIT 1";
    Ok(on_pool!(db, p => sqlx::query_as(SQL).bind(name).fetch_optional(p).await?))
}

pub async fn list(db: &Db) -> StorageResult<Vec<Team>> {
    const SQL: &str = "SELECT id, name, created_at FROM teams ORDER BY id";
    Ok(on_pool!(db, p => sqlx::query_as(SQL).fetch_all(p).await?))
}

/// Locks the team's row until the transaction ends, so two owners changing roles at once
/// take turns (SQLite's write transactions take turns anyway).
const LOCK_TEAM: &str = "UPDATE teams SET name = name WHERE id = $1";
const ROLE: &str = "SELECT role FROM memberships WHERE team_id = $1 AND user_id = $2";
const OWNERS: &str = "SELECT COUNT(*) FROM memberships WHERE team_id = $1 AND role = 'owner'";
const SET_ROLE: &str = "UPDATE memberships SET role = $1 WHERE team_id = $2 AND user_id = $3";

/// Adds the user to the team, or changes their role if they are in it already.
/// `Err(LastOwner)` when that would make the team's only owner a member.
pub async fn set_member(db: &Db, team: TeamId, user: UserId, role: Role) -> StorageResult<()> {
    const SQL: &str = "INSERT INTO memberships (team_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
                       ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role";
    on_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        sqlx::query(LOCK_TEAM).bind(team).execute(&mut *tx).await?;
        if role == Role::Member {
            let current: Option<String> = sqlx::query_scalar(ROLE).bind(team).bind(user).fetch_optional(&mut *tx).await?;
            let owners: i64 = sqlx::query_scalar(OWNERS).bind(team).fetch_one(&mut *tx).await?;
            if current.as_deref() == Some(Role::Owner.as_str()) && owners <= 1 {
                return Err(StorageError::LastOwner);
            }
        }
        sqlx::query(SQL).bind(team).bind(user).bind(role.as_str()).bind(now()).execute(&mut *tx).await?;
        tx.commit().await?;
    });
    Ok(())
}

/// Removes the user from the team; `by`, when given, must be an owner of it as the removal
/// commits (checked under the team's lock: an owner removed a moment ago removes no one).
/// `Err(LastOwner)` when `user` is its only owner; `NotFound` when `user` is not in the team
/// or `by` no longer owns it.
pub async fn remove_member(db: &Db, team: TeamId, user: UserId, by: Option<UserId>) -> StorageResult<()> {
    const SQL: &str = "DELETE FROM memberships WHERE team_id = $1 AND user_id = $2";
    on_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        sqlx::query(LOCK_TEAM).bind(team).execute(&mut *tx).await?;
        if let Some(by) = by {
            let role: Option<String> = sqlx::query_scalar(ROLE).bind(team).bind(by).fetch_optional(&mut *tx).await?;
            if role.as_deref() != Some(Role::Owner.as_str()) {
                return Err(StorageError::NotFound);
            }
        }
        let role: Option<String> = sqlx::query_scalar(ROLE).bind(team).bind(user).fetch_optional(&mut *tx).await?;
        let role = parse_role(&role.ok_or(StorageError::NotFound)?)?;
        let owners: i64 = sqlx::query_scalar(OWNERS).bind(team).fetch_one(&mut *tx).await?;
        if role == Role::Owner && owners <= 1 {
            return Err(StorageError::LastOwner);
        }
        sqlx::query(SQL).bind(team).bind(user).execute(&mut *tx).await?;
        tx.commit().await?;
    });
    Ok(())
}

/// Makes the member `to` an owner and the owner `from` a member, in one transaction.
/// `NotFound` when `to` is not a member of the team.
pub async fn transfer_ownership(db: &Db, team: TeamId, from: UserId, to: UserId) -> StorageResult<()> {
    on_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        sqlx::query(LOCK_TEAM).bind(team).execute(&mut *tx).await?;
        let giver: Option<String> = sqlx::query_scalar(ROLE).bind(team).bind(from).fetch_optional(&mut *tx).await?;
        if giver.as_deref() != Some(Role::Owner.as_str()) {
            return Err(StorageError::NotFound);
        }
        let taker: Option<String> = sqlx::query_scalar(ROLE).bind(team).bind(to).fetch_optional(&mut *tx).await?;
        if taker.is_none() || from == to {
            return Err(StorageError::NotFound);
        }
        sqlx::query(SET_ROLE).bind(Role::Owner.as_str()).bind(team).bind(to).execute(&mut *tx).await?;
        sqlx::query(SET_ROLE).bind(Role::Member.as_str()).bind(team).bind(from).execute(&mut *tx).await?;
        tx.commit().await?;
    });
    Ok(())
}

/// The breakdowns the team's owner enabled. A stored name this version does not know is
/// left out (with a warning).
pub async fn breakdowns(db: &Db, team: TeamId) -> StorageResult<Vec<adsync_common::breakdowns::Breakdown>> {
    const SQL: &str = "SELECT breakdowns FROM teams WHERE id = $1";
    let raw: Option<String> = on_pool!(db, p => sqlx::query_scalar(SQL).bind(team).fetch_optional(p).await?);
    let raw = raw.ok_or(StorageError::NotFound)?;
    Ok(raw
        .split(',')
        .filter(|k| !k.is_empty())
        .filter_map(|k| match adsync_common::breakdowns::Breakdown::parse(k) {
            Ok(b) => Some(b),
            Err(e) => {
                tracing::warn!(team = team.0, error = %e, "unreadable breakdown setting; left out");
                None
            }
        })
        .collect())
}

pub async fn set_breakdowns(db: &Db, team: TeamId, list: &[adsync_common::breakdowns::Breakdown]) -> StorageResult<()> {
    const SQL: &str = "UPDATE teams SET breakdowns = $1 WHERE id = $2";
    let setting = adsync_common::breakdowns::Breakdown::list_setting(list);
    let n = on_pool!(db, p => sqlx::query(SQL).bind(setting).bind(team).execute(p).await?.rows_affected());
    if n == 0 { Err(StorageError::NotFound) } else { Ok(()) }
}

/// The team's own interval between scheduled syncs (`None`: the server's default).
pub async fn sync_interval(db: &Db, team: TeamId) -> StorageResult<Option<std::time::Duration>> {
    const SQL: &str = "SELECT sync_interval_seconds FROM teams WHERE id = $1";
    let row: Option<Option<i64>> = on_pool!(db, p => sqlx::query_scalar(SQL).bind(team).fetch_optional(p).await?);
    let secs = row.ok_or(StorageError::NotFound)?;
    Ok(secs
        .and_then(|s| u64::try_from(s).ok())
        .map(std::time::Duration::from_secs))
}

pub async fn set_sync_interval(db: &Db, team: TeamId, interval: Option<std::time::Duration>) -> StorageResult<()> {
    const SQL: &str = "UPDATE teams SET sync_interval_seconds = $1 WHERE id = $2";
    let secs = interval.map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let n = on_pool!(db, p => sqlx::query(SQL).bind(secs).bind(team).execute(p).await?.rows_affected());
    if n == 0 { Err(StorageError::NotFound) } else { Ok(()) }
}

/// Every team's own sync interval, for the teams that set one.
pub async fn sync_intervals(db: &Db) -> StorageResult<std::collections::HashMap<TeamId, std::time::Duration>> {
    const SQL: &str = "SELECT id, sync_interval_seconds FROM teams WHERE sync_interval_seconds IS NOT NULL";
    let rows: Vec<(TeamId, i64)> = on_pool!(db, p => sqlx::query_as(SQL).fetch_all(p).await?);
    Ok(rows
        .into_iter()
        .filter_map(|(team, secs)| Some((team, std::time::Duration::from_secs(u64::try_from(secs).ok()?))))
        .collect())
}

/// The user's role in the team, or `None` when they are not a member (callers answer 404).
pub async fn role_of(db: &Db, team: TeamId, user: UserId) -> StorageResult<Option<Role>> {
    const SQL: &str = "SELECT role FROM memberships WHERE team_id = $1 AND user_id = $2";
    let role: Option<String> =
        on_pool!(db, p => sqlx::query_scalar(SQL).bind(team).bind(user).fetch_optional(p).await?);
    role.as_deref().map(parse_role).transpose()
}

pub async fn of_user(db: &Db, user: UserId) -> StorageResult<Vec<TeamWithRole>> {
    const SQL: &str = "SELECT t.id, t.name, m.role FROM teams t JOIN memberships m ON m.team_id = t.id \
                       WHERE m.user_id = $1 ORDER BY t.name, t.id";
    let rows: Vec<(i64, String, String)> = on_pool!(db, p => sqlx::query_as(SQL).bind(user).fetch_all(p).await?);
    rows.into_iter()
        .map(|(id, name, role)| {
            Ok(TeamWithRole {
                id: TeamId(id),
                name,
                role: parse_role(&role)?,
            })
        })
        .collect()
}

pub async fn members(db: &Db, team: TeamId) -> StorageResult<Vec<Member>> {
    const SQL: &str = "SELECT u.id, u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id \
                       WHERE m.team_id = $1 ORDER BY u.email";
    let rows: Vec<(i64, String, String)> = on_pool!(db, p => sqlx::query_as(SQL).bind(team).fetch_all(p).await?);
    rows.into_iter()
        .map(|(id, email, role)| {
            Ok(Member {
                user_id: UserId(id),
                email,
                role: parse_role(&role)?,
            })
        })
        .collect()
}
