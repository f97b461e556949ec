//! Deadlines for one statement, enforced by the database rather than by giving up on the
//! answer: PostgreSQL's `statement_timeout`, SQLite's progress handler. Either way the
//! database stops working on a query nobody waits for any more.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sqlx::{PgConnection, SqliteConnection};

use super::StorageResult;

/// PostgreSQL's SQLSTATE for a statement stopped by `statement_timeout`.
const QUERY_CANCELED: &str = "57014";
/// SQLite's result code for a statement interrupted (here: by the progress handler).
const SQLITE_INTERRUPT: &str = "9";
/// SQLite virtual-machine steps between looks at the clock: a few microseconds of work.
const STEPS_BETWEEN_CHECKS: i32 = 1_000;

/// Whether `e` is a statement stopped by its deadline.
pub(super) fn timed_out(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if matches!(d.code().as_deref(), Some(QUERY_CANCELED | SQLITE_INTERRUPT)))
}

/// Bounds the statements of the transaction on `tx` to `within` each.
pub(super) async fn postgres_statement_timeout(tx: &mut PgConnection, within: Duration) -> StorageResult<()> {
    // SET takes no bind parameters; the figure is ours, in milliseconds.
    let set = format!("SET LOCAL statement_timeout = {}", within.as_millis().max(1));
    sqlx::query(sqlx::AssertSqlSafe(set)).execute(tx).await?;
    Ok(())
}

/// Interrupts what a SQLite connection runs once `within` has passed, until dropped. The
/// handler stays installed on the pooled connection (the next deadline replaces it), but a
/// dropped guard disarms it, so later statements there are never stopped by an old deadline.
pub(super) struct SqliteDeadline(Arc<AtomicBool>);

impl SqliteDeadline {
    pub(super) async fn arm(conn: &mut SqliteConnection, within: Duration) -> StorageResult<Self> {
        let armed = Arc::new(AtomicBool::new(true));
        let deadline = Instant::now() + within;
        let still_armed = armed.clone();
        conn.lock_handle()
            .await?
            .set_progress_handler(STEPS_BETWEEN_CHECKS, move || {
                !still_armed.load(Ordering::Relaxed) || Instant::now() < deadline
            });
        Ok(SqliteDeadline(armed))
    }
}

impl Drop for SqliteDeadline {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Relaxed);
    }
}
