//! The embedded default's connection settings.

use adsync_common::ids::{Email, Role};
use adsync_common::storage::{Db, StorageError, teams, users};

use super::fresh;
use crate::helpers::Backend;

/// The embedded default: WAL (readers never wait for the writer) and foreign keys enforced,
/// on every pooled connection, not just the first.
#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys_on() {
    let (_guard, db) = fresh(Backend::Sqlite).await;
    let Db::Sqlite(pool) = &db else {
        panic!("a SQLite database")
    };
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut conn = pool.acquire().await.expect("connection");
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut *conn)
            .await
            .expect("journal_mode");
        assert_eq!(mode, "wal");
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&mut *conn)
            .await
            .expect("foreign_keys");
        assert_eq!(fk, 1);
        // Held, so the next round gets another connection.
        held.push(conn);
    }
    drop(held);
    let ghost = adsync_common::ids::TeamId(424242);
    let email = Email::parse("ann@example.com").expect("email");
    let ann = users::create(&db, &email, "hash").await.expect("user");
    assert!(matches!(
        teams::set_member(&db, ghost, ann, Role::Owner).await,
        Err(StorageError::MissingReference)
    ));
    db.close().await;
}
