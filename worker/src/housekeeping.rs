//! Deletes what has outlived its use: expired browser sessions, ended sign-in failure
//! windows, and invitations and password-reset links a month past their end. Every worker replica runs it; the deletes are idempotent, so replicas may overlap.

use std::time::Duration;

use adsync_storage::{Db, StorageResult, invites, password_resets, sessions, sign_in_failures};

/// How often housekeeping runs (the first pass runs at start-up).
const EVERY: Duration = Duration::from_secs(15 * 60);

pub async fn run(db: Db, shutdown: tokio_util::sync::CancellationToken) {
    loop {
        match purge(&db).await {
            Ok(Purged {
                sessions: 0,
                failures: 0,
                links: 0,
            }) => {}
            Ok(Purged {
                sessions,
                failures,
                links,
            }) => {
                tracing::info!(
                    sessions,
                    failures,
                    links,
                    "purged expired sessions, sign-in windows and links"
                )
            }
            Err(e) => tracing::warn!(error = %e, "housekeeping failed; will retry"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(EVERY) => {}
        }
    }
}

/// What one pass deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub sessions: u64,
    pub failures: u64,
    /// Invitations and password-reset links.
    pub links: u64,
}

/// One pass.
pub async fn purge(db: &Db) -> StorageResult<Purged> {
    Ok(Purged {
        sessions: sessions::purge_expired(db).await?,
        failures: sign_in_failures::purge_ended(db).await?,
        links: invites::purge_ended(db).await? + password_resets::purge_ended(db).await?,
    })
}
