//! OAuth connections: one per team and platform, with the token encrypted at rest. The
//! ciphertext never leaves this module except to be decrypted by the caller holding the key.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{BeginWrite, Db, StorageError, StorageResult, now, on_pool};
use adsync_common::ids::{TeamId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    Connected,
    NeedsReconnect,
    Revoked,
}

impl ConnectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connected => "connected",
            Self::NeedsReconnect => "needs_reconnect",
            Self::Revoked => "revoked",
        }
    }

    fn parse(raw: &str) -> StorageResult<Self> {
        match raw {
            "connected" => Ok(Self::Connected),
            "needs_reconnect" => Ok(Self::NeedsReconnect),
            "revoked" => Ok(Self::Revoked),
            other => Err(StorageError::Database(sqlx::Error::Decode(
                format!("unexpected status {other:?}").into(),
            ))),
        }
    }
}

/// A connection as stored. `Debug` omits the token ciphertext.
#[derive(Clone, Serialize)]
pub struct Connection {
    pub id: i64,
    pub team_id: TeamId,
    pub platform: String,
    pub status: ConnectionStatus,
    pub external_user_id: String,
    pub external_user_name: Option<String>,
    #[serde(skip)]
    pub token_ciphertext: Option<String>,
    pub scopes: Vec<String>,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub status_detail: Option<String>,
    pub connected_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_checked_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("id", &self.id)
            .field("team_id", &self.team_id)
            .field("platform", &self.platform)
            .field("status", &self.status)
            .field("external_user_id", &self.external_user_id)
            .field("token_expires_at", &self.token_expires_at)
            .finish_non_exhaustive()
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    team_id: i64,
    platform: String,
    status: String,
    external_user_id: String,
    external_user_name: Option<String>,
    token_ciphertext: Option<String>,
    scopes: String,
    token_expires_at: Option<DateTime<Utc>>,
    status_detail: Option<String>,
    connected_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    last_checked_at: Option<DateTime<Utc>>,
}

impl TryFrom<Row> for Connection {
    type Error = StorageError;
    fn try_from(r: Row) -> StorageResult<Self> {
        Ok(Connection {
            id: r.id,
            team_id: TeamId(r.team_id),
            platform: r.platform,
            status: ConnectionStatus::parse(&r.status)?,
            external_user_id: r.external_user_id,
            external_user_name: r.external_user_name,
            token_ciphertext: r.token_ciphertext,
            scopes: r
                .scopes
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            token_expires_at: r.token_expires_at,
            status_detail: r.status_detail,
            connected_at: r.connected_at,
            updated_at: r.updated_at,
            last_checked_at: r.last_checked_at,
        })
    }
}

macro_rules! columns {
    () => {
        "id, team_id, platform, status, external_user_id, external_user_name, token_ciphertext, scopes, \
         token_expires_at, status_detail, connected_at, updated_at, last_checked_at"
    };
}

/// An ad account reachable through a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AdAccount {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub currency: String,
    pub timezone_name: String,
    /// Whether the owner chose to sync it (every account until an owner says otherwise).
    pub synced: bool,
}

impl AdAccount {
    /// Whether `id` names this account, as `act_<n>` or as `<n>`.
    pub fn is(&self, id: &str) -> bool {
        self.id == id || self.account_id == id
    }

    /// Today in the account's time zone: its insights are reported in local days.
    pub fn today(&self) -> chrono::NaiveDate {
        match self.timezone_name.parse::<chrono_tz::Tz>() {
            Ok(tz) => Utc::now().with_timezone(&tz).date_naive(),
            Err(_) => Utc::now().date_naive(),
        }
    }
}

/// `accounts` narrowed to the one `id` names (`act_<n>` or `<n>`), or all of them without an
/// id; `Err(id)` when it names none of them.
pub fn narrow(accounts: Vec<AdAccount>, id: Option<&str>) -> Result<Vec<AdAccount>, String> {
    let Some(id) = id else { return Ok(accounts) };
    let named: Vec<AdAccount> = accounts.into_iter().filter(|a| a.is(id)).collect();
    if named.is_empty() {
        Err(id.to_string())
    } else {
        Ok(named)
    }
}

/// Everything a successful OAuth callback learned.
#[derive(Debug, Clone)]
pub struct NewConnection {
    pub team_id: TeamId,
    pub platform: String,
    pub external_user_id: String,
    pub external_user_name: Option<String>,
    pub token_ciphertext: String,
    pub scopes: Vec<String>,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub connected_by: UserId,
}

/// What `save` replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    Created,
    /// A connection existed; it now holds the new token and is `connected` again.
    Replaced {
        was: ConnectionStatus,
    },
}

/// Stores the connection and reconciles its ad accounts in one transaction: the new token
/// replaces any old one atomically; accounts no longer reachable are marked inactive (their
/// synced data stays).
pub async fn save(db: &Db, c: &NewConnection, accounts: &[AdAccount]) -> StorageResult<Saved> {
    const PREVIOUS: &str = "SELECT status FROM connections WHERE team_id = $1 AND platform = $2";
    const UPSERT: &str = "INSERT INTO connections (team_id, platform, status, external_user_id, external_user_name, token_ciphertext, \
         scopes, token_expires_at, status_detail, connected_by, connected_at, updated_at) \
         VALUES ($1, $2, 'connected', $3, $4, $5, $6, $7, NULL, $8, $9, $9) \
         ON CONFLICT (team_id, platform) DO UPDATE SET status = 'connected', external_user_id = excluded.external_user_id, \
         external_user_name = excluded.external_user_name, token_ciphertext = excluded.token_ciphertext, scopes = excluded.scopes, \
         token_expires_at = excluded.token_expires_at, status_detail = NULL, connected_by = excluded.connected_by, \
         connected_at = excluded.connected_at, updated_at = excluded.updated_at";
    const DEACTIVATE: &str = "UPDATE ad_accounts SET active = FALSE, updated_at = $2 WHERE team_id = $1";
    const ACCOUNT: &str = "INSERT INTO ad_accounts (team_id, id, account_id, name, currency, timezone_name, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $7) ON CONFLICT (team_id, id) DO UPDATE SET account_id = excluded.account_id, \
         name = excluded.name, currency = excluded.currency, timezone_name = excluded.timezone_name, active = TRUE, updated_at = excluded.updated_at";
    let at = now();
    let previous: Option<String> = on_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let previous: Option<String> = sqlx::query_scalar(PREVIOUS).bind(c.team_id).bind(&c.platform).fetch_optional(&mut *tx).await?;
        sqlx::query(UPSERT)
            .bind(c.team_id).bind(&c.platform).bind(&c.external_user_id).bind(&c.external_user_name)
            .bind(&c.token_ciphertext).bind(c.scopes.join(",")).bind(c.token_expires_at).bind(c.connected_by).bind(at)
            .execute(&mut *tx).await?;
        sqlx::query(DEACTIVATE).bind(c.team_id).bind(at).execute(&mut *tx).await?;
        for a in accounts {
            sqlx::query(ACCOUNT)
                .bind(c.team_id).bind(&a.id).bind(&a.account_id).bind(&a.name).bind(&a.currency).bind(&a.timezone_name).bind(at)
                .execute(&mut *tx).await?;
        }
        tx.commit().await?;
        previous
    });
    match previous {
        None => Ok(Saved::Created),
        Some(s) => Ok(Saved::Replaced {
            was: ConnectionStatus::parse(&s)?,
        }),
    }
}

pub async fn get(db: &Db, team: TeamId, platform: &str) -> StorageResult<Option<Connection>> {
    const SQL: &str = concat!(
        "SELECT ",
        columns!(),
        " FROM connections WHERE team_id = $1 AND platform = $2"
    );
    let row: Option<Row> = on_pool!(db, p => sqlx::query_as(SQL).bind(team).bind(platform).fetch_optional(p).await?);
    row.map(TryInto::try_into).transpose()
}

/// Every connection of a platform (for the expiry watch, the scheduler and key rotation).
pub async fn all(db: &Db, platform: &str) -> StorageResult<Vec<Connection>> {
    const SQL: &str = concat!(
        "SELECT ",
        columns!(),
        " FROM connections WHERE platform = $1 ORDER BY id"
    );
    let rows: Vec<Row> = on_pool!(db, p => sqlx::query_as(SQL).bind(platform).fetch_all(p).await?);
    rows.into_iter().map(TryInto::try_into).collect()
}

/// Connections made through one external (e.g. Facebook) user, across teams.
pub async fn of_external_user(db: &Db, platform: &str, external_user_id: &str) -> StorageResult<Vec<Connection>> {
    const SQL: &str = concat!(
        "SELECT ",
        columns!(),
        " FROM connections WHERE platform = $1 AND external_user_id = $2 ORDER BY id"
    );
    let rows: Vec<Row> =
        on_pool!(db, p => sqlx::query_as(SQL).bind(platform).bind(external_user_id).fetch_all(p).await?);
    rows.into_iter().map(TryInto::try_into).collect()
}

/// Changes the status (with a reason shown to the owner). Returns whether it changed, so
/// callers record an event only on a real transition.
/// Moves the connection to `status` unless it is there already. `revoked` is final until a
/// reconnect: a sync still in flight when Facebook deauthorized the user gets a 190 too,
/// and that must not turn `revoked` into `needs_reconnect`.
pub async fn set_status(db: &Db, id: i64, status: ConnectionStatus, detail: Option<&str>) -> StorageResult<bool> {
    const SQL: &str = "UPDATE connections SET status = $1, status_detail = $2, updated_at = $3 \
                       WHERE id = $4 AND status <> $1 AND status <> 'revoked'";
    let n = on_pool!(db, p => sqlx::query(SQL).bind(status.as_str()).bind(detail).bind(now()).bind(id).execute(p).await?.rows_affected());
    Ok(n > 0)
}

/// Sets or clears the warning a working connection shows on its card (a token about to
/// expire). Returns whether it changed, so a warning repeated daily is recorded once.
pub async fn set_warning(db: &Db, id: i64, warning: Option<&str>) -> StorageResult<bool> {
    const SQL: &str = "UPDATE connections SET status_detail = $1, updated_at = $2 \
                       WHERE id = $3 AND status = 'connected' \
                       AND (status_detail IS NULL OR $1 IS NULL OR status_detail <> $1) \
                       AND NOT (status_detail IS NULL AND $1 IS NULL)";
    let n = on_pool!(db, p => sqlx::query(SQL).bind(warning).bind(now()).bind(id).execute(p).await?.rows_affected());
    Ok(n > 0)
}

/// Replaces the stored token (re-exchange before expiry, key rotation). `expected` guards
/// against overwriting a token a concurrent reconnect has just written.
pub async fn replace_token(
    db: &Db,
    id: i64,
    expected: &str,
    ciphertext: &str,
    expires_at: Option<DateTime<Utc>>,
) -> StorageResult<bool> {
    const SQL: &str = "UPDATE connections SET token_ciphertext = $1, token_expires_at = $2, updated_at = $3 \
                       WHERE id = $4 AND token_ciphertext = $5";
    let n = on_pool!(db, p => sqlx::query(SQL).bind(ciphertext).bind(expires_at).bind(now()).bind(id).bind(expected).execute(p).await?.rows_affected());
    Ok(n > 0)
}

/// Drops the token (Facebook revoked it, or data deletion) but keeps the row, so the page
/// can say what happened.
pub async fn forget_token(db: &Db, id: i64) -> StorageResult<()> {
    const SQL: &str = "UPDATE connections SET token_ciphertext = NULL, updated_at = $1 WHERE id = $2";
    on_pool!(db, p => sqlx::query(SQL).bind(now()).bind(id).execute(p).await.map(|_| ())?);
    Ok(())
}

pub async fn mark_checked(db: &Db, id: i64) -> StorageResult<()> {
    const SQL: &str = "UPDATE connections SET last_checked_at = $1 WHERE id = $2";
    on_pool!(db, p => sqlx::query(SQL).bind(now()).bind(id).execute(p).await.map(|_| ())?);
    Ok(())
}

/// Removes the connection (disconnect). Synced data and ad accounts stay.
pub async fn delete(db: &Db, team: TeamId, platform: &str) -> StorageResult<()> {
    const SQL: &str = "DELETE FROM connections WHERE team_id = $1 AND platform = $2";
    let n = on_pool!(db, p => sqlx::query(SQL).bind(team).bind(platform).execute(p).await?.rows_affected());
    if n == 0 { Err(StorageError::NotFound) } else { Ok(()) }
}

/// The team's ad accounts that the current connection reaches, chosen or not.
pub async fn active_ad_accounts(db: &Db, team: TeamId) -> StorageResult<Vec<AdAccount>> {
    const SQL: &str = "SELECT id, account_id, name, currency, timezone_name, sync_enabled AS synced FROM ad_accounts \
                       WHERE team_id = $1 AND active ORDER BY name, id";
    Ok(on_pool!(db, p => sqlx::query_as(SQL).bind(team).fetch_all(p).await?))
}

/// The accounts a sync fetches: reachable and chosen.
pub async fn synced_ad_accounts(db: &Db, team: TeamId) -> StorageResult<Vec<AdAccount>> {
    Ok(active_ad_accounts(db, team)
        .await?
        .into_iter()
        .filter(|a| a.synced)
        .collect())
}

/// Every chosen ad account the team ever had (for the dashboard's history; an unchosen one
/// keeps no data).
pub async fn all_ad_accounts(db: &Db, team: TeamId) -> StorageResult<Vec<AdAccount>> {
    const SQL: &str = "SELECT id, account_id, name, currency, timezone_name, sync_enabled AS synced FROM ad_accounts \
                       WHERE team_id = $1 AND sync_enabled ORDER BY name, id";
    Ok(on_pool!(db, p => sqlx::query_as(SQL).bind(team).fetch_all(p).await?))
}

/// Deletes, in the transaction `$tx`, what the team's unchosen accounts stored.
macro_rules! purge_unsynced_in {
    ($tx:expr, $team:expr) => {
        for table in ["insights_daily", "ads", "adsets", "campaigns"] {
            let sql = format!(
                "DELETE FROM {table} WHERE team_id = $1 AND ad_account_id IN \
                 (SELECT id FROM ad_accounts WHERE team_id = $1 AND NOT sync_enabled)"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind($team)
                .execute(&mut *$tx)
                .await?;
        }
    };
}

/// Makes `chosen` (ids `act_<n>` or `<n>`) the team's synced accounts, and deletes what the
/// others had stored (their daily rows and objects), in one transaction. `Err(NotFound)`
/// names no account: an id that is not the team's.
pub async fn choose_synced_accounts(db: &Db, team: TeamId, chosen: &[String]) -> StorageResult<Vec<AdAccount>> {
    let accounts = active_ad_accounts(db, team).await?;
    let mut ids = Vec::new();
    for c in chosen {
        let found = accounts.iter().find(|a| a.is(c));
        ids.push(found.ok_or(StorageError::NotFound)?.id.clone());
    }
    const SET: &str = "UPDATE ad_accounts SET sync_enabled = $1, updated_at = $2 WHERE team_id = $3 AND id = $4";
    let at = now();
    on_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        for a in &accounts {
            sqlx::query(SET).bind(ids.contains(&a.id)).bind(at).bind(team).bind(&a.id).execute(&mut *tx).await?;
        }
        purge_unsynced_in!(tx, team);
        tx.commit().await?;
    });
    active_ad_accounts(db, team).await
}

/// Deletes the data of the team's unchosen accounts. The API does it when an owner unchooses
/// an account, and every run does once more when it ends: a run already syncing the account
/// then may have written a page after the first delete.
pub async fn purge_unsynced(db: &Db, team: TeamId) -> StorageResult<()> {
    const ANY: &str = "SELECT COUNT(*) FROM ad_accounts WHERE team_id = $1 AND NOT sync_enabled";
    let unsynced: i64 = on_pool!(db, p => sqlx::query_scalar(ANY).bind(team).fetch_one(p).await?);
    if unsynced == 0 {
        return Ok(());
    }
    on_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        purge_unsynced_in!(tx, team);
        tx.commit().await?;
    });
    Ok(())
}
