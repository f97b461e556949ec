//! Migrations: the two dialects' sets stay in step, and migrations that move data leave what
//! was stored under an older schema reading the same after them.

use std::collections::BTreeMap;

use adsync_storage::{Db, teams};

use crate::helpers::{Backend, TestDatabase};
use crate::storage::fresh;

/// A fresh database with the migrations before `version` applied, as an older adsync left it.
async fn migrated_before(backend: Backend, version: i64) -> (TestDatabase, Db) {
    use sqlx::migrate::Migrator;

    let database = TestDatabase::new(backend).await;
    let db = Db::connect(&database.url).await.expect("connect");
    // What adsync ships, on its own table, with the checksums as shipped.
    let all = adsync_storage::migrations::migrator(db.dialect());
    let before = Migrator {
        migrations: all
            .migrations
            .iter()
            .filter(|m| m.version < version)
            .cloned()
            .collect::<Vec<_>>()
            .into(),
        ..all
    };
    crate::on_pool!(&db, p => before.run(p).await).expect("the older migrations");
    (database, db)
}

/// Migration 0005 moves actions onto their daily rows, and 0008 regroups them per action
/// type: what was synced before 0005 reads the same through the `insight_actions` view after
/// both, and rows without actions keep `[]`.
async fn actions_synced_before_0005_survive_it(backend: Backend) {
    let (_database, db) = migrated_before(backend, 5).await;
    let team = teams::create(&db, "Acme").await.expect("team");

    const FACT: &str = "INSERT INTO insights_daily (team_id, ad_account_id, level, object_id, date, breakdown, \
                        impressions, reach, clicks, inline_link_clicks, spend_micros, synced_at) \
                        VALUES ($1, 'act_1', 'ad', $2, $3, '', 10, 5, 1, 1, 1000, $4)";
    const ACTION: &str = "INSERT INTO insight_actions (team_id, ad_account_id, level, object_id, date, breakdown, \
                          action_type, attribution_window, count, value_micros, synced_at) \
                          VALUES ($1, 'act_1', 'ad', $2, $3, '', $4, $5, $6, $7, $8)";
    let at = adsync_storage::now();
    let day: chrono::NaiveDate = "2026-11-01".parse().expect("day");
    let old_actions = [
        ("ad1", "purchase", "default", 2, Some(45_670_000)),
        ("ad1", "purchase", "7d_click", 3, Some(50_000_000)),
        ("ad1", "link_click", "default", 9, None),
        ("ad2", "purchase", "default", 1, Some(1)),
    ];
    crate::on_pool!(&db, p => {
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
        crate::on_pool!(&db, p => sqlx::query_as(VIEW).bind(team).bind(day).fetch_all(p).await).expect("view");
    let mut expected: Vec<(String, String, String, i64, Option<i64>)> = old_actions
        .iter()
        .map(|(o, k, w, c, v)| (o.to_string(), k.to_string(), w.to_string(), *c, *v))
        .collect();
    expected.sort();
    assert_eq!(seen, expected);
    let empty: String = crate::on_pool!(&db, p => sqlx::query_scalar(
        "SELECT actions FROM insights_daily WHERE object_id = 'ad3'").fetch_one(p).await)
    .expect("ad3");
    assert_eq!(empty, "[]", "a row without actions");
}

/// Migration 0011 recounts the purchase rollup with the precedence of
/// `conversions::PURCHASES`: rows synced before it counted only the type `purchase`, so a
/// pixel-only or `omni_purchase`-only row showed none. The view it adds agrees with it.
async fn purchases_synced_before_0011_are_recounted(backend: Backend) {
    let (_database, db) = migrated_before(backend, 11).await;
    let team = teams::create(&db, "Acme").await.expect("team");
    const FACT: &str = "INSERT INTO insights_daily (team_id, ad_account_id, level, object_id, date, breakdown, \
                        impressions, reach, clicks, inline_link_clicks, spend_micros, purchases_default, \
                        purchase_value_default_micros, actions, synced_at) \
                        VALUES ($1, 'act_1', 'ad', $2, $3, '', 10, 5, 1, 1, 1000, $4, $5, $6, $7)";
    let at = adsync_storage::now();
    let day: chrono::NaiveDate = "2026-11-01".parse().expect("day");
    // (object, the old rollup's count and value, actions)
    let rows = [
        (
            "pixel",
            0,
            0,
            r#"[["offsite_conversion.fb_pixel_purchase",[4,null,3],[40000000,null,30000000]]]"#,
        ),
        (
            "omni",
            0,
            0,
            r#"[["link_click",[9]],["omni_purchase",[2,null,null,1],[5000000]]]"#,
        ),
        (
            "both",
            7,
            70_000_000,
            r#"[["purchase",[7],[70000000]],["omni_purchase",[8],[80000000]],["offsite_conversion.fb_pixel_purchase",[6],[60000000]]]"#,
        ),
        ("none", 0, 0, r#"[["link_click",[3]]]"#),
    ];
    crate::on_pool!(&db, p => {
        for (object, count, value, actions) in rows {
            sqlx::query(FACT).bind(team).bind(object).bind(day).bind(count).bind(value).bind(actions).bind(at)
                .execute(p).await.expect("fact");
        }
    });
    db.migrate().await.expect("0011 and later");
    const ROLLUP: &str = "SELECT object_id, purchases_default, purchases_7d_click, purchases_28d_click, \
                          purchase_value_default_micros, purchase_value_7d_click_micros FROM insights_daily \
                          WHERE team_id = $1 ORDER BY object_id";
    let got: Vec<(String, i64, i64, i64, i64, i64)> =
        crate::on_pool!(&db, p => sqlx::query_as(ROLLUP).bind(team).fetch_all(p).await).expect("rollup");
    assert_eq!(
        got,
        [
            ("both".to_string(), 8, 0, 0, 80_000_000, 0),
            ("none".to_string(), 0, 0, 0, 0, 0),
            ("omni".to_string(), 2, 0, 1, 5_000_000, 0),
            ("pixel".to_string(), 4, 3, 0, 40_000_000, 30_000_000),
        ],
        "the first purchase type present counts, never a sum"
    );
    const VIEW: &str = "SELECT object_id, action_type, attribution_window, count FROM insight_conversions \
                        WHERE team_id = $1 AND conversion = 'purchases' ORDER BY 1, 3";
    let seen: Vec<(String, String, String, i64)> =
        crate::on_pool!(&db, p => sqlx::query_as(VIEW).bind(team).fetch_all(p).await).expect("view");
    let seen: Vec<(&str, &str, &str, i64)> = seen
        .iter()
        .map(|(o, t, w, c)| (o.as_str(), t.as_str(), w.as_str(), *c))
        .collect();
    assert_eq!(
        seen,
        [
            ("both", "omni_purchase", "default", 8),
            ("omni", "omni_purchase", "28d_click", 1),
            ("omni", "omni_purchase", "default", 2),
            ("pixel", "offsite_conversion.fb_pixel_purchase", "7d_click", 3),
            ("pixel", "offsite_conversion.fb_pixel_purchase", "default", 4),
        ]
    );
    let goal = adsync_storage::conversions::goal(&db, team).await.expect("goal");
    assert_eq!(goal.as_setting(), "purchases", "every team starts counting purchases");
}

crate::on_both_backends!(
    actions_synced_before_0005_survive_it,
    purchases_synced_before_0011_are_recounted
);

/// Column names, nullability and a coarse type per table, and primary keys (columns in
/// order), must match across dialects.
#[tokio::test]
async fn schemas_match_across_dialects() {
    let (_s, sqlite) = fresh(Backend::Sqlite).await;
    let (_p, pg) = fresh(Backend::Postgres).await;
    let Db::Sqlite(sp) = &sqlite else { panic!("sqlite") };
    let Db::Postgres(pp) = &pg else { panic!("postgres") };

    type Schema = BTreeMap<(String, String), (bool, &'static str)>;
    fn coarse(t: &str) -> &'static str {
        let t = t.to_ascii_lowercase();
        if t.contains("int") {
            "integer"
        } else if t.contains("time") {
            "timestamp"
        } else if t == "date" {
            "date"
        } else if t.contains("bool") {
            "boolean"
        } else if t.contains("numeric") {
            "numeric"
        } else {
            "text"
        }
    }
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '\\_%' ESCAPE '\\' AND name <> 'adsync_migrations'",
    )
    .fetch_all(sp)
    .await
    .expect("tables");
    let mut lite = Schema::new();
    let mut lite_keys: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    for table in &tables {
        let cols: Vec<(String, String, bool, i64)> =
            sqlx::query_as("SELECT name, type, \"notnull\", pk FROM pragma_table_info($1)")
                .bind(table)
                .fetch_all(sp)
                .await
                .expect("columns");
        for (name, ty, notnull, pk) in cols {
            // SQLite stores dates and timestamps as TEXT; its declared names carry the intent.
            let kind = match (ty.as_str(), name.as_str()) {
                ("TEXT", n) if n.ends_with("_at") => "timestamp",
                ("TEXT", "since" | "until" | "date" | "date_start" | "day") => "date",
                (t, _) => coarse(t),
            };
            // An INTEGER PRIMARY KEY is the rowid: never NULL, though not declared so.
            let not_null = notnull || (pk > 0 && ty == "INTEGER");
            if pk > 0 {
                lite_keys.entry(table.clone()).or_default().push((pk, name.clone()));
            }
            lite.insert((table.clone(), name), (not_null, kind));
        }
    }
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> 'adsync_migrations' AND table_name NOT LIKE '\\_%' \
         AND table_name IN (SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE')",
    )
    .fetch_all(pp)
    .await
    .expect("columns");
    let postgres: Schema = rows
        .into_iter()
        .map(|(t, c, ty, n)| ((t, c), (n == "NO", coarse(&ty))))
        .collect();
    assert!(!lite.is_empty());
    assert_eq!(lite, postgres);

    let lite_keys: BTreeMap<String, Vec<String>> = lite_keys
        .into_iter()
        .map(|(t, mut cols)| {
            cols.sort();
            (t, cols.into_iter().map(|(_, c)| c).collect())
        })
        .collect();
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.table_name::text, k.column_name::text FROM information_schema.table_constraints c \
         JOIN information_schema.key_column_usage k \
           ON k.constraint_name = c.constraint_name AND k.table_schema = c.table_schema \
         WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = 'public' \
           AND c.table_name <> 'adsync_migrations' AND c.table_name NOT LIKE '\\_%' \
         ORDER BY c.table_name, k.ordinal_position",
    )
    .fetch_all(pp)
    .await
    .expect("keys");
    let mut postgres_keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (t, c) in rows {
        postgres_keys.entry(t).or_default().push(c);
    }
    assert_eq!(
        lite_keys["insights_daily"],
        ["team_id", "level", "date", "ad_account_id", "object_id", "breakdown"]
    );
    assert_eq!(lite_keys, postgres_keys);
}
