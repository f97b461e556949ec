//! `adsync admin rotate-key` and `adsync admin list-connections`. Neither ever prints a
//! token or a ciphertext: only ids, statuses, dates and key ids.

use adsync_common::crypto::Keyring;
use adsync_common::ids::TeamId;
use adsync_storage::Db;
use adsync_storage::connections::{self, Connection};
use adsync_storage::webhooks;

/// The platforms adsync stores connections for.
const PLATFORMS: &[&str] = &["facebook"];

/// What `rotate-key` did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RotationReport {
    /// Re-encrypted with the current key.
    pub rotated: usize,
    /// Already encrypted with the current key.
    pub current: usize,
    /// Connections without a stored token (revoked at Facebook, data deleted).
    pub without_token: usize,
    /// Replaced by a concurrent reconnect or refresh while rotating (written with the
    /// current key by that writer).
    pub changed_concurrently: usize,
    /// Connections whose token no configured key decrypts.
    pub failed: Vec<Undecryptable>,
    /// Webhook signing secrets re-encrypted with the current key.
    pub webhook_secrets_rotated: usize,
    /// Webhooks whose secret no configured key decrypts (their deliveries fail until the
    /// owner registers them again).
    pub webhook_secrets_failed: Vec<i64>,
}

/// A connection whose stored token no configured key decrypts. Names the connection, never
/// the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undecryptable {
    pub connection: i64,
    pub team: TeamId,
    pub platform: String,
    /// Why decryption failed (an unknown key id, a damaged ciphertext, no key configured).
    pub reason: String,
}

impl Undecryptable {
    fn of(conn: &Connection, reason: String) -> Self {
        Self {
            connection: conn.id,
            team: conn.team_id,
            platform: conn.platform.clone(),
            reason,
        }
    }
}

impl std::fmt::Display for Undecryptable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "connection {} (team {}, {})",
            self.connection, self.team, self.platform
        )
    }
}

/// Every connection with a stored token that `keyring` cannot decrypt; with no keyring (no
/// key configured), every connection with a stored token.
pub async fn undecryptable_tokens(db: &Db, keyring: Option<&Keyring>) -> anyhow::Result<Vec<Undecryptable>> {
    let mut failing = Vec::new();
    for conn in every_connection(db).await? {
        let Some(stored) = conn.token_ciphertext.as_deref() else {
            continue;
        };
        let reason = match keyring {
            None => "no encryption key is configured".to_string(),
            Some(k) => match k.decrypt(stored) {
                Ok(_) => continue,
                Err(e) => e.to_string(),
            },
        };
        failing.push(Undecryptable::of(&conn, reason));
    }
    Ok(failing)
}

impl std::fmt::Display for RotationReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rotated {}, already current {}, without token {}, changed concurrently {}, failed {}; webhook secrets rotated {}, failed {}",
            self.rotated,
            self.current,
            self.without_token,
            self.changed_concurrently,
            self.failed.len(),
            self.webhook_secrets_rotated,
            self.webhook_secrets_failed.len()
        )
    }
}

async fn every_connection(db: &Db) -> anyhow::Result<Vec<Connection>> {
    let mut all = Vec::new();
    for platform in PLATFORMS {
        all.extend(connections::all(db, platform).await?);
    }
    Ok(all)
}

/// Re-encrypts every stored token that was written with an old key. Each write only
/// lands if the ciphertext is still the one read, so a concurrent reconnect wins.
pub async fn rotate_key(db: &Db, keyring: &Keyring) -> anyhow::Result<RotationReport> {
    let mut report = RotationReport::default();
    for conn in every_connection(db).await? {
        let Some(stored) = conn.token_ciphertext.as_deref() else {
            report.without_token += 1;
            continue;
        };
        // Decrypt even tokens already under the current key: a damaged one is reported.
        let token = match keyring.decrypt(stored) {
            Ok(t) => t,
            Err(e) => {
                report.failed.push(Undecryptable::of(&conn, e.to_string()));
                continue;
            }
        };
        if !keyring.needs_rotation(stored) {
            report.current += 1;
            continue;
        }
        let fresh = keyring.encrypt(&token);
        if connections::replace_token(db, conn.id, stored, &fresh, conn.token_expires_at).await? {
            report.rotated += 1;
        } else {
            report.changed_concurrently += 1;
        }
    }
    for (id, stored) in webhooks::all_secrets(db).await? {
        match keyring.decrypt(&stored) {
            Err(_) => report.webhook_secrets_failed.push(id),
            Ok(secret) if keyring.needs_rotation(&stored) => {
                if webhooks::replace_secret(db, id, &stored, &keyring.encrypt(&secret)).await? {
                    report.webhook_secrets_rotated += 1;
                }
            }
            Ok(_) => {}
        }
    }
    Ok(report)
}

/// The key id part of a stored ciphertext (`v1.<key id>.<data>`), never the data.
fn key_id(stored: &str) -> &str {
    stored.split('.').nth(1).unwrap_or("?")
}

/// One tab-separated line per connection: id, team, platform, status, Facebook user,
/// connected, token expiry, key id (or `no token`), status detail.
pub async fn list_connections(db: &Db) -> anyhow::Result<Vec<String>> {
    let lines = every_connection(db)
        .await?
        .iter()
        .map(|c| {
            let user = match &c.external_user_name {
                Some(name) => format!("{} ({name})", c.external_user_id),
                None => c.external_user_id.clone(),
            };
            let expires = c
                .token_expires_at
                .map(|d| format!("expires {}", d.to_rfc3339()))
                .unwrap_or_else(|| "no expiry".into());
            let key = c
                .token_ciphertext
                .as_deref()
                .map(|s| format!("key {}", key_id(s)))
                .unwrap_or_else(|| "no token".into());
            format!(
                "{}\tteam {}\t{}\t{}\t{}\tconnected {}\t{}\t{}\t{}",
                c.id,
                c.team_id,
                c.platform,
                c.status.as_str(),
                user,
                c.connected_at.to_rfc3339(),
                expires,
                key,
                c.status_detail.as_deref().unwrap_or("")
            )
        })
        .collect();
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::key_id;

    #[test]
    fn key_id_shows_only_the_id() {
        assert_eq!(key_id("v1.abcd1234.SECRETDATA"), "abcd1234");
        assert_eq!(key_id("garbage"), "?");
    }
}
