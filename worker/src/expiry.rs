//! The expiry watch: once a day, ask the provider about every connected token
//! (`debug_token`). Invalid (expired, revoked) → `needs reconnect` at once, which stops its
//! syncs; expiring within the provider's refresh window → re-exchanged where the provider
//! allows it, otherwise the owner is warned (an event on the connectors page).

use std::time::Duration;

use adsync_connect::{ConnectError, Connector, TokenCheck};
use adsync_storage::StorageError;
use adsync_storage::connections::{self, Connection, ConnectionStatus};
use adsync_storage::events::{self, EventKind};
use chrono::{DateTime, Utc};

use crate::WorkerState;

/// How often the watch runs.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(24 * 3600);

/// What one pass did, for logs and tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ExpiryReport {
    /// Connected connections whose token was checked.
    pub checked: usize,
    /// Valid and not expiring soon.
    pub valid: usize,
    /// Re-exchanged for a fresh token.
    pub refreshed: usize,
    /// Expiring soon and could not be renewed: the owner was warned.
    pub expiring_soon: usize,
    /// Moved to `needs reconnect`.
    pub needs_reconnect: usize,
    /// Could not be checked this time (provider unreachable, undecryptable token).
    pub errors: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ExpiryError {
    #[error("cannot read connections: {0}")]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Connect(#[from] ConnectError),
}

enum Outcome {
    Valid,
    Refreshed,
    ExpiringSoon,
    NeedsReconnect,
}

/// Checks every connected token of the connector's provider once.
pub async fn check_all(connector: &Connector) -> Result<ExpiryReport, ExpiryError> {
    let platform = connector.provider().spec().platform;
    let mut report = ExpiryReport::default();
    for conn in connections::all(connector.db(), platform).await? {
        if conn.status != ConnectionStatus::Connected {
            continue;
        }
        report.checked += 1;
        match check_one(connector, &conn).await {
            Ok(Outcome::Valid) => report.valid += 1,
            Ok(Outcome::Refreshed) => report.refreshed += 1,
            Ok(Outcome::ExpiringSoon) => report.expiring_soon += 1,
            Ok(Outcome::NeedsReconnect) => report.needs_reconnect += 1,
            Err(e) => {
                report.errors += 1;
                tracing::warn!(team_id = %conn.team_id, connection_id = conn.id, kind = e.kind(), error = %e, "token check failed; will retry next time");
            }
        }
    }
    Ok(report)
}

async fn check_one(connector: &Connector, conn: &Connection) -> Result<Outcome, ConnectError> {
    let spec = connector.provider().spec();
    let Some(token) = connector.token_of(conn)? else {
        connector
            .mark_needs_reconnect(conn, &format!("No {} token is stored; reconnect.", spec.display_name))
            .await?;
        return Ok(Outcome::NeedsReconnect);
    };
    let expires_at = match connector.check_token(&token).await? {
        TokenCheck::Invalid { reason } => {
            let detail = format!(
                "{} no longer accepts adsync's access ({reason}). Reconnect to resume syncing.",
                spec.display_name
            );
            connector.mark_needs_reconnect(conn, &detail).await?;
            return Ok(Outcome::NeedsReconnect);
        }
        TokenCheck::Valid { expires_at } => expires_at,
    };
    connections::mark_checked(connector.db(), conn.id).await?;
    let window = chrono::Duration::from_std(spec.tokens.refresh_window).unwrap_or(chrono::Duration::days(7));
    let Some(expires_at) = expires_at.filter(|at| *at <= Utc::now() + window) else {
        // A warning from an earlier check no longer applies (Facebook extended the token).
        connections::set_warning(connector.db(), conn.id, None).await?;
        return Ok(Outcome::Valid);
    };
    if !spec.tokens.renewable_while_valid {
        warn_owner(connector, conn, expires_at, "it cannot be renewed").await?;
        return Ok(Outcome::ExpiringSoon);
    }
    match connector.refresh_token(&token).await {
        Ok((fresh, new_expiry)) if new_expiry.is_none_or(|n| n > expires_at) => {
            let stored = conn.token_ciphertext.as_deref().unwrap_or_default();
            let ciphertext = connector.keyring().encrypt(&fresh);
            if connections::replace_token(connector.db(), conn.id, stored, &ciphertext, new_expiry).await? {
                let until = new_expiry.map(day).unwrap_or_else(|| "no expiry".into());
                let detail = format!("Access renewed with {} (now valid until {until}).", spec.display_name);
                record(connector, conn, EventKind::TokenRefreshed, &detail).await?;
                connections::set_warning(connector.db(), conn.id, None).await?;
            }
            // Otherwise a reconnect replaced the token meanwhile: it is fresh already.
            Ok(Outcome::Refreshed)
        }
        Ok(_) => {
            warn_owner(connector, conn, expires_at, "it would not extend it").await?;
            Ok(Outcome::ExpiringSoon)
        }
        Err(e) => {
            tracing::info!(team_id = %conn.team_id, kind = e.kind(), "token renewal failed; warning the owner");
            warn_owner(connector, conn, expires_at, "renewing it failed").await?;
            Ok(Outcome::ExpiringSoon)
        }
    }
}

fn day(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

async fn warn_owner(
    connector: &Connector,
    conn: &Connection,
    expires_at: DateTime<Utc>,
    why: &str,
) -> Result<(), ConnectError> {
    let name = connector.provider().spec().display_name;
    let detail = format!(
        "{name} access expires on {}; {why}. Reconnect before then to keep syncing.",
        day(expires_at)
    );
    // On the card until it is renewed or reconnected; in the history once, not daily.
    if connections::set_warning(connector.db(), conn.id, Some(&detail)).await? {
        record(connector, conn, EventKind::TokenExpiringSoon, &detail).await?;
    }
    Ok(())
}

async fn record(connector: &Connector, conn: &Connection, kind: EventKind, detail: &str) -> Result<(), ConnectError> {
    let platform = connector.provider().spec().platform;
    events::record(connector.db(), conn.team_id, platform, kind, None, detail).await?;
    Ok(())
}

/// Runs [`check_all`] now and then every [`CHECK_INTERVAL`] until `state.shutdown`.
pub async fn run(state: WorkerState, connector: Connector) {
    run_every(state, connector, CHECK_INTERVAL).await
}

/// [`run`] with a chosen interval (tests).
pub async fn run_every(state: WorkerState, connector: Connector, interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => break,
            _ = tick.tick() => {
                match check_all(&connector).await {
                    Ok(r) => tracing::info!(
                        checked = r.checked, refreshed = r.refreshed, expiring_soon = r.expiring_soon,
                        needs_reconnect = r.needs_reconnect, errors = r.errors, "token expiry watch done"
                    ),
                    Err(e) => tracing::warn!(error = %e, "token expiry watch failed; retrying next interval"),
                }
            }
        }
    }
}
