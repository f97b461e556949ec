//! Deletes what has outlived its use: expired browser sessions and ended sign-in failure
//! windows. Every worker replica runs it; the deletes are idempotent, so replicas may overlap.

use std::time::Duration;

use adsync_storage::{Db, StorageResult, sessions, sign_in_failures};

/// How often housekeeping runs (the first pass runs at start-up).
const EVERY: Duration = Duration::from_secs(15 * 60);

pub async fn run(db: Db, shutdown: tokio_util::sync::CancellationToken) {
    loop {
        match purge(&db).await {
            Ok((0, 0)) => {}
            Ok((sessions, failures)) => {
                tracing::info!(sessions, failures, "purged expired sessions and sign-in windows")
            }
            Err(e) => tracing::warn!(error = %e, "housekeeping failed; will retry"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(EVERY) => {}
        }
    }
}

/// One pass: (expired sessions, ended sign-in windows) deleted.
pub async fn purge(db: &Db) -> StorageResult<(u64, u64)> {
    Ok((
        sessions::purge_expired(db).await?,
        sign_in_failures::purge_ended(db).await?,
    ))
}
