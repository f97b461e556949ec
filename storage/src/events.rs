//! The connection event log shown to owners: what happened, when, by whom. Never secrets.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Db, StorageResult, now, on_pool};
use adsync_common::ids::{TeamId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    ConnectionCreated,
    ConnectionRecovered,
    ConnectionReplaced,
    ConnectionFailed,
    ConnectionRemoved,
    ConnectionNeedsReconnect,
    ConnectionRevoked,
    TokenRefreshed,
    TokenExpiringSoon,
    DataDeleted,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConnectionCreated => "connection_created",
            Self::ConnectionRecovered => "connection_recovered",
            Self::ConnectionReplaced => "connection_replaced",
            Self::ConnectionFailed => "connection_failed",
            Self::ConnectionRemoved => "connection_removed",
            Self::ConnectionNeedsReconnect => "connection_needs_reconnect",
            Self::ConnectionRevoked => "connection_revoked",
            Self::TokenRefreshed => "token_refreshed",
            Self::TokenExpiringSoon => "token_expiring_soon",
            Self::DataDeleted => "data_deleted",
        }
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Event {
    pub id: i64,
    pub platform: String,
    pub kind: String,
    pub actor: Option<UserId>,
    pub detail: String,
    pub created_at: DateTime<Utc>,
}

pub async fn record(
    db: &Db,
    team: TeamId,
    platform: &str,
    kind: EventKind,
    actor: Option<UserId>,
    detail: &str,
) -> StorageResult<()> {
    const SQL: &str = "INSERT INTO connection_events (team_id, platform, kind, actor, detail, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
    on_pool!(db, p => sqlx::query(SQL).bind(team).bind(platform).bind(kind.as_str()).bind(actor).bind(detail).bind(now()).execute(p).await.map(|_| ())?);
    // The events an owner must act on are also sent to the team's webhooks.
    let alert = match kind {
        EventKind::ConnectionNeedsReconnect => Some(adsync_common::alerts::CONNECTION_NEEDS_RECONNECT),
        EventKind::ConnectionRevoked => Some(adsync_common::alerts::CONNECTION_REVOKED),
        EventKind::TokenExpiringSoon => Some(adsync_common::alerts::TOKEN_EXPIRING),
        _ => None,
    };
    if let Some(event_type) = alert {
        let data = serde_json::json!({ "platform": platform, "detail": detail });
        super::webhooks::alert(db, team, event_type, data).await?;
    }
    Ok(())
}

pub async fn list(db: &Db, team: TeamId, limit: i64) -> StorageResult<Vec<Event>> {
    list_before(db, team, None, limit).await
}

/// The team's events older than event `before` (all: `None`), newest first: one page.
pub async fn list_before(db: &Db, team: TeamId, before: Option<i64>, limit: i64) -> StorageResult<Vec<Event>> {
    const SQL: &str = "SELECT id, platform, kind, actor, detail, created_at FROM connection_events \
                       WHERE team_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3";
    let before = before.unwrap_or(i64::MAX);
    Ok(on_pool!(db, p => sqlx::query_as(SQL).bind(team).bind(before).bind(limit).fetch_all(p).await?))
}
