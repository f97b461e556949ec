//! Migrations that move data: what was stored under an older schema reads the same after it.

use adsync_common::storage::{Db, teams};

use crate::helpers::{Backend, TestDatabase};

/// Runs `$body` with `$pool` bound to the concrete pool of either dialect.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            Db::Sqlite($pool) => $body,
            Db::Postgres($pool) => $body,
        }
    };
}

/// Migration 0005 moves actions onto their daily rows: what was synced before it reads the
/// same through the `insight_actions` view afterwards, and rows without actions get `[]`.
async fn actions_synced_before_0005_survive_it(backend: Backend) {
    use sqlx::migrate::Migrator;

    let database = TestDatabase::new(backend).await;
    let db = Db::connect(&database.url).await.expect("connect");
    let dir = match backend {
        Backend::Sqlite => "migrations/sqlite",
        Backend::Postgres => "migrations/postgres",
    };
    let all = Migrator::new(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
        .await
        .expect("migrations");
    let mut before = Migrator {
        migrations: all
            .migrations
            .iter()
            .filter(|m| m.version < 5)
            .cloned()
            .collect::<Vec<_>>()
            .into(),
        ..Migrator::DEFAULT
    };
    // adsync's migrations table (`Db::migrate` must carry on from this history).
    before.dangerous_set_table_name("adsync_migrations");
    match &db {
        Db::Sqlite(p) => before.run(p).await,
        Db::Postgres(p) => before.run(p).await,
    }
    .expect("migrations up to 0004");
    let team = teams::create(&db, "Acme").await.expect("team");

    const FACT: &str = "INSERT INTO insights_daily (team_id, ad_account_id, level, object_id, date, breakdown, \
                        impressions, reach, clicks, inline_link_clicks, spend_micros, synced_at) \
                        VALUES ($1, 'act_1', 'ad', $2, $3, '', 10, 5, 1, 1, 1000, $4)";
    const ACTION: &str = "INSERT INTO insight_actions (team_id, ad_account_id, level, object_id, date, breakdown, \
                          action_type, attribution_window, count, value_micros, synced_at) \
                          VALUES ($1, 'act_1', 'ad', $2, $3, '', $4, $5, $6, $7, $8)";
    let at = adsync_common::storage::now();
    let day: chrono::NaiveDate = "2026-11-01".parse().expect("day");
    let old_actions = [
        ("ad1", "purchase", "default", 2, Some(45_670_000)),
        ("ad1", "purchase", "7d_click", 3, Some(50_000_000)),
        ("ad1", "link_click", "default", 9, None),
        ("ad2", "purchase", "default", 1, Some(1)),
    ];
    on_pool!(&db, p => {
        for object in ["ad1", "ad2", "ad3"] {
            sqlx::query(FACT).bind(team).bind(object).bind(day).bind(at).execute(p).await.expect("fact");
        }
        for (object, kind, window, count, value) in old_actions {
            sqlx::query(ACTION)
                .bind(team).bind(object).bind(day).bind(kind).bind(window).bind(count).bind(value).bind(at)
                .execute(p).await.expect("action");
        }
    });

    db.migrate().await.expect("0005 and later");
    const VIEW: &str = "SELECT object_id, action_type, attribution_window, count, value_micros FROM insight_actions \
                        WHERE team_id = $1 AND date = $2 ORDER BY 1, 2, 3";
    let seen: Vec<(String, String, String, i64, Option<i64>)> =
        on_pool!(&db, p => sqlx::query_as(VIEW).bind(team).bind(day).fetch_all(p).await).expect("view");
    let mut expected: Vec<(String, String, String, i64, Option<i64>)> = old_actions
        .iter()
        .map(|(o, k, w, c, v)| (o.to_string(), k.to_string(), w.to_string(), *c, *v))
        .collect();
    expected.sort();
    assert_eq!(seen, expected);
    let empty: String = on_pool!(&db, p => sqlx::query_scalar(
        "SELECT actions FROM insights_daily WHERE object_id = 'ad3'").fetch_one(p).await)
    .expect("ad3");
    assert_eq!(empty, "[]", "a row without actions");
}

crate::on_both_backends!(actions_synced_before_0005_survive_it);
