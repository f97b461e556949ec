//! Webhook endpoints of a team and the deliveries of its alerts: an outbox. An alert is
//! written as one pending delivery per endpoint where it happens (so it is not lost when
//! the process stops before sending); workers claim due deliveries, send them, and record
//! the outcome, retrying with backoff until [`MAX_ATTEMPTS`].

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Db, StorageError, StorageResult, now, on_pool};
use adsync_common::ids::TeamId;

/// Attempts before a delivery is left `failed` (an owner can still replay it).
pub const MAX_ATTEMPTS: i64 = 8;

/// A registered endpoint, as owners see it (never its secret).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    pub created_at: DateTime<Utc>,
}

/// A delivery as owners see it: what was sent, and how it went.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event_id: String,
    pub event_type: String,
    /// `pending`, `delivered` or `failed` (after every attempt).
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    /// The endpoint's HTTP status of the last attempt, if it answered.
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A delivery claimed for sending, with what sending needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    pub id: i64,
    pub attempts: i64,
    pub payload: String,
    pub event_id: String,
    pub event_type: String,
    pub url: String,
    pub secret_ciphertext: String,
}

pub async fn create(db: &Db, team: TeamId, url: &str, secret_ciphertext: &str) -> StorageResult<Webhook> {
    const SQL: &str = "INSERT INTO webhooks (team_id, url, secret_ciphertext, created_at) VALUES ($1, $2, $3, $4) \
                       RETURNING id, url, created_at";
    Ok(
        on_pool!(db, p => sqlx::query_as(SQL).bind(team).bind(url).bind(secret_ciphertext).bind(now()).fetch_one(p).await?),
    )
}

pub async fn list(db: &Db, team: TeamId) -> StorageResult<Vec<Webhook>> {
    const SQL: &str = "SELECT id, url, created_at FROM webhooks WHERE team_id = $1 ORDER BY id";
    Ok(on_pool!(db, p => sqlx::query_as(SQL).bind(team).fetch_all(p).await?))
}

/// Removes the team's endpoint and its deliveries; `NotFound` when the team has no such one.
pub async fn delete(db: &Db, team: TeamId, id: i64) -> StorageResult<()> {
    const SQL: &str = "DELETE FROM webhooks WHERE team_id = $1 AND id = $2";
    let n = on_pool!(db, p => sqlx::query(SQL).bind(team).bind(id).execute(p).await?.rows_affected());
    if n == 0 { Err(StorageError::NotFound) } else { Ok(()) }
}

/// Records an alert for the team's endpoints (see `adsync_common::alerts`): the event
/// `{id, type, created_at, team_id, data}` as one pending delivery per endpoint. A team
/// without endpoints records nothing.
pub async fn alert(db: &Db, team: TeamId, event_type: &str, data: serde_json::Value) -> StorageResult<u64> {
    let id = format!("evt_{}", uuid::Uuid::new_v4().simple());
    let event = serde_json::json!({
        "id": id,
        "type": event_type,
        "created_at": now(),
        "team_id": team,
        "data": data,
    });
    enqueue(db, team, &id, event_type, &event.to_string()).await
}

/// Every endpoint's `(id, secret ciphertext)`, for key rotation.
pub async fn all_secrets(db: &Db) -> StorageResult<Vec<(i64, String)>> {
    const SQL: &str = "SELECT id, secret_ciphertext FROM webhooks ORDER BY id";
    Ok(on_pool!(db, p => sqlx::query_as(SQL).fetch_all(p).await?))
}

/// Replaces an endpoint's secret ciphertext if it is still `old`; whether it was.
pub async fn replace_secret(db: &Db, id: i64, old: &str, new: &str) -> StorageResult<bool> {
    const SQL: &str = "UPDATE webhooks SET secret_ciphertext = $1 WHERE id = $2 AND secret_ciphertext = $3";
    Ok(on_pool!(db, p => sqlx::query(SQL).bind(new).bind(id).bind(old).execute(p).await?.rows_affected()) == 1)
}

/// One pending delivery of the alert per endpoint of the team; returns how many.
pub async fn enqueue(db: &Db, team: TeamId, event_id: &str, event_type: &str, payload: &str) -> StorageResult<u64> {
    const SQL: &str = "INSERT INTO webhook_deliveries \
                       (webhook_id, team_id, event_id, event_type, payload, status, attempts, next_attempt_at, created_at) \
                       SELECT id, team_id, $1, $2, $3, 'pending', 0, $4, $4 FROM webhooks WHERE team_id = $5";
    let at = now();
    Ok(
        on_pool!(db, p => sqlx::query(SQL).bind(event_id).bind(event_type).bind(payload).bind(at).bind(team)
        .execute(p).await?.rows_affected()),
    )
}

/// The deliveries of one of the team's endpoints, newest first.
pub async fn deliveries(db: &Db, team: TeamId, webhook: i64, limit: i64) -> StorageResult<Vec<Delivery>> {
    const SQL: &str = "SELECT id, webhook_id, event_id, event_type, status, CAST(attempts AS BIGINT) AS attempts, \
                       next_attempt_at, CAST(last_status AS BIGINT) AS last_status, last_error, created_at, delivered_at \
                       FROM webhook_deliveries WHERE team_id = $1 AND webhook_id = $2 ORDER BY id DESC LIMIT $3";
    Ok(on_pool!(db, p => sqlx::query_as(SQL).bind(team).bind(webhook).bind(limit).fetch_all(p).await?))
}

/// Claims up to `limit` due deliveries for `lease` (another worker skips them meanwhile; a
/// worker that dies leaves them due again when it lapses).
pub async fn claim_due(db: &Db, lease: chrono::Duration, limit: i64) -> StorageResult<Vec<Due>> {
    const PICK: &str = "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 \
                        ORDER BY next_attempt_at LIMIT $2";
    const TAKE: &str = "UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE id = $2 AND status = 'pending' \
                        AND next_attempt_at <= $3";
    const READ: &str = "SELECT d.id, CAST(d.attempts AS BIGINT) AS attempts, d.payload, d.event_id, d.event_type, w.url, \
                        w.secret_ciphertext FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = $1";
    let at = now();
    let ids: Vec<i64> = on_pool!(db, p => sqlx::query_scalar(PICK).bind(at).bind(limit).fetch_all(p).await?);
    let mut claimed = Vec::new();
    for id in ids {
        let taken =
            on_pool!(db, p => sqlx::query(TAKE).bind(at + lease).bind(id).bind(at).execute(p).await?.rows_affected());
        if taken == 1
            && let Some(due) = on_pool!(db, p => sqlx::query_as::<_, Due>(READ).bind(id).fetch_optional(p).await?)
        {
            claimed.push(due);
        }
    }
    Ok(claimed)
}

/// How an attempt went.
pub enum Outcome<'a> {
    Delivered {
        status: u16,
    },
    /// Not delivered: the endpoint's status (if it answered) and why; retried at `retry_at`,
    /// or left failed when `None`.
    Failed {
        status: Option<u16>,
        error: &'a str,
        retry_at: Option<DateTime<Utc>>,
    },
}

pub async fn record(db: &Db, id: i64, outcome: Outcome<'_>) -> StorageResult<()> {
    const DELIVERED: &str = "UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, \
                             last_status = $1, last_error = NULL, delivered_at = $2 WHERE id = $3";
    const FAILED: &str = "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, last_status = $2, \
                          last_error = $3, next_attempt_at = $4 WHERE id = $5";
    let at = now();
    match outcome {
        Outcome::Delivered { status } => {
            on_pool!(db, p => sqlx::query(DELIVERED).bind(i64::from(status)).bind(at).bind(id).execute(p).await.map(|_| ())?);
        }
        Outcome::Failed {
            status,
            error,
            retry_at,
        } => {
            let state = if retry_at.is_some() { "pending" } else { "failed" };
            on_pool!(db, p => sqlx::query(FAILED).bind(state).bind(status.map(i64::from)).bind(error)
                .bind(retry_at.unwrap_or(at)).bind(id).execute(p).await.map(|_| ())?);
        }
    }
    Ok(())
}

/// Sends one of the team's deliveries again now, whatever its outcome was; `NotFound` when
/// the team has no such delivery.
pub async fn replay(db: &Db, team: TeamId, webhook: i64, delivery: i64) -> StorageResult<()> {
    const SQL: &str = "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1 \
                       WHERE team_id = $2 AND webhook_id = $3 AND id = $4";
    let n = on_pool!(db, p => sqlx::query(SQL).bind(now()).bind(team).bind(webhook).bind(delivery).execute(p).await?.rows_affected());
    if n == 0 { Err(StorageError::NotFound) } else { Ok(()) }
}
