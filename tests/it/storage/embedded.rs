//! The embedded default's connection settings.

use adsync_common::ids::{Email, Role};
use adsync_storage::{Db, StorageError, teams, users};

use super::{daily_row, fresh};
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

/// A metrics query past its deadline is stopped by SQLite itself (the progress handler),
/// not just given up on; the connection it ran on goes back to the pool disarmed, so the
/// queries after it answer in full.
#[tokio::test]
async fn a_metrics_query_past_its_deadline_is_stopped_by_sqlite() {
    use std::time::Duration;

    use adsync_common::normalize::DailyRow;
    use adsync_common::reporting::query::{Granularity, MetricsQuery};
    use adsync_storage::metrics::aggregate;
    use adsync_storage::page_writes::{WriteMode, write_page};
    use adsync_storage::sync_runs;

    let (_guard, db) = fresh(Backend::Sqlite).await;
    let (team, run) = super::team_with_backfill(&db).await;
    sync_runs::claim(&db, run.id, "w1", chrono::Duration::seconds(60))
        .await
        .expect("claim")
        .expect("claimed");
    let (target, checkpoint) = super::page_for(team, run.id, "ad");
    let first: chrono::NaiveDate = "2026-01-01".parse().expect("day");
    let (ads, days) = (20, 50);
    let rows: Vec<DailyRow> = (0..ads)
        .flat_map(|ad| {
            (0..days).map(move |d| DailyRow {
                campaign_id: Some("c1".into()),
                adset_id: Some("s1".into()),
                impressions: 3,
                reach: Some(1),
                clicks: 1,
                spend_micros: 10_000,
                ..daily_row(&format!("ad{ad}"), first + chrono::Duration::days(d))
            })
        })
        .collect();
    write_page(&db, &target, &rows, &checkpoint, &mut WriteMode::Insert)
        .await
        .expect("page");
    let q = MetricsQuery {
        team,
        level: "ad",
        granularity: Granularity::Day,
        since: first,
        until: first + chrono::Duration::days(days - 1),
        ad_account_id: None,
        window: adsync_common::graph::Window::Default,
        sources: Vec::new(),
        filter: Default::default(),
        breakdown: None,
    };
    // A deadline already passed: SQLite stops the scan at its first look at the clock.
    assert!(
        matches!(aggregate(&db, &q, Duration::ZERO).await, Err(StorageError::TimedOut)),
        "stopped at the deadline"
    );
    // More rounds than the pool has connections, so the interrupted one answers too.
    for _ in 0..10 {
        let answer = aggregate(&db, &q, Duration::from_secs(30)).await.expect("in time");
        assert_eq!(answer.len(), (ads * days) as usize);
        assert_eq!(answer.iter().map(|a| a.impressions).sum::<i64>(), 3 * ads * days);
        assert_eq!(answer.iter().map(|a| a.spend_micros).sum::<i64>(), 10_000 * ads * days);
    }
    db.close().await;
}
