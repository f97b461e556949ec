//! The storage suite, run against both dialects, plus the check that keeps the two
//! migration sets in step.

use std::collections::BTreeMap;

use adsync_common::ids::{Email, Role};
use adsync_common::storage::sync_runs::{self, NewRun, Progress, RunKind, RunStatus};
use adsync_common::storage::{Db, StorageError, teams, users};
use chrono::Duration;

use crate::helpers::{Backend, TestDatabase};

async fn fresh(backend: Backend) -> (TestDatabase, Db) {
    let database = TestDatabase::new(backend).await;
    let db = Db::connect_and_migrate(&database.url).await.expect("migrate");
    db.migrate().await.expect("migrating twice is a no-op");
    (database, db)
}

async fn users_and_teams(backend: Backend) {
    let (_guard, db) = fresh(backend).await;
    let email = Email::parse("ann@example.com").expect("email");
    let ann = users::create(&db, &email, "hash").await.expect("create");
    assert!(matches!(
        users::create(&db, &email, "other").await,
        Err(StorageError::Conflict)
    ));
    assert_eq!(
        users::credentials(&db, &email).await.expect("creds"),
        Some((ann, "hash".to_string()))
    );

    let team = teams::create(&db, "Acme").await.expect("team");
    assert_eq!(teams::role_of(&db, team, ann).await.expect("role"), None);
    teams::set_member(&db, team, ann, Role::Member).await.expect("member");
    teams::set_member(&db, team, ann, Role::Owner)
        .await
        .expect("promote is an upsert");
    assert_eq!(teams::role_of(&db, team, ann).await.expect("role"), Some(Role::Owner));
    assert_eq!(teams::of_user(&db, ann).await.expect("teams").len(), 1);
    let ghost = adsync_common::ids::TeamId(424242);
    assert!(matches!(
        teams::set_member(&db, ghost, ann, Role::Owner).await,
        Err(StorageError::MissingReference)
    ));
    teams::remove_member(&db, team, ann).await.expect("remove");
    assert!(teams::of_user(&db, ann).await.expect("teams").is_empty());
}

async fn runs_are_claimed_by_one_worker_at_a_time(backend: Backend) {
    let (_guard, db) = fresh(backend).await;
    let team = teams::create(&db, "Acme").await.expect("team");
    let new = NewRun {
        team_id: team,
        kind: RunKind::Backfill,
        ad_account_id: Some("act_1".into()),
        since: None,
        until: None,
        requested_by: None,
    };
    let run = sync_runs::create(&db, &new).await.expect("run");
    assert_eq!(run.status, RunStatus::Queued);

    let claimed = sync_runs::claim(&db, run.id, "w1", Duration::seconds(60))
        .await
        .expect("claim")
        .expect("claimed");
    assert_eq!(claimed.status, RunStatus::Running);
    assert!(
        sync_runs::claim(&db, run.id, "w2", Duration::seconds(60))
            .await
            .expect("claim")
            .is_none(),
        "held by w1"
    );
    sync_runs::report_progress(
        &db,
        run.id,
        "w1",
        &Progress { done: 1, total: 4 },
        500,
        Duration::seconds(60),
    )
    .await
    .expect("progress");
    assert!(
        sync_runs::report_progress(
            &db,
            run.id,
            "w2",
            &Progress { done: 2, total: 4 },
            1,
            Duration::seconds(60)
        )
        .await
        .is_err(),
        "not the owner"
    );

    // w1 dies: once its lease lapses, w2 takes over and keeps the progress so far.
    sync_runs::report_progress(
        &db,
        run.id,
        "w1",
        &Progress { done: 1, total: 4 },
        0,
        Duration::seconds(-1),
    )
    .await
    .expect("expire");
    let orphans = sync_runs::orphaned(&db, adsync_common::storage::now())
        .await
        .expect("orphans");
    assert_eq!(orphans, vec![run.id]);
    let taken = sync_runs::claim(&db, run.id, "w2", Duration::seconds(60))
        .await
        .expect("claim")
        .expect("reclaimed");
    assert_eq!((taken.progress.done, taken.rows_written), (1, 500));
    assert!(
        sync_runs::finish(&db, run.id, "w1", RunStatus::Succeeded, None)
            .await
            .is_err(),
        "w1 lost the lease"
    );
    sync_runs::finish(&db, run.id, "w2", RunStatus::Succeeded, None)
        .await
        .expect("finish");
    let done = sync_runs::get(&db, team, run.id).await.expect("get").expect("exists");
    assert_eq!(done.status, RunStatus::Succeeded);
    assert!(done.finished_at.is_some());
    assert!(
        sync_runs::claim(&db, run.id, "w3", Duration::seconds(60))
            .await
            .expect("claim")
            .is_none(),
        "finished runs stay finished"
    );
    let other = teams::create(&db, "Other").await.expect("team");
    assert!(
        sync_runs::get(&db, other, run.id).await.expect("get").is_none(),
        "team-scoped"
    );
}

crate::on_both_backends!(users_and_teams, runs_are_claimed_by_one_worker_at_a_time);

/// Column names, nullability and a coarse type per table must match across dialects.
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
            lite.insert((table.clone(), name), (not_null, kind));
        }
    }
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> 'adsync_migrations' AND table_name NOT LIKE '\\_%'",
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
}
