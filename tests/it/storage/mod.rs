//! The storage suite, run against both dialects (the check that keeps the two migration
//! sets in step is in `migrations`).

use adsync_common::ids::{Email, Role};
use adsync_common::normalize::{DailyRow, Names};
use adsync_storage::sync_runs::{self, NewRun, Progress, RunStatus};
use adsync_storage::{Db, StorageError, teams, users};
use chrono::{Duration, NaiveDate};

use crate::helpers::{Backend, TestDatabase};

mod embedded;
mod team_deletion;

/// A row of `object_id` on `date`, unbroken down, with no figures; set what a test needs with
/// `DailyRow { .., ..daily_row(id, date) }`.
pub(crate) fn daily_row(object_id: &str, date: NaiveDate) -> DailyRow {
    DailyRow {
        object_id: object_id.into(),
        date,
        breakdown: String::new(),
        campaign_id: None,
        adset_id: None,
        impressions: 0,
        reach: None,
        clicks: 0,
        inline_link_clicks: 0,
        spend_micros: 0,
        actions: Vec::new(),
        names: Names::default(),
    }
}

pub(crate) async fn fresh(backend: Backend) -> (TestDatabase, Db) {
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
    // A team keeps an owner: its only one is neither demoted nor removed.
    assert!(matches!(
        teams::set_member(&db, team, ann, Role::Member).await,
        Err(StorageError::LastOwner)
    ));
    assert!(matches!(
        teams::remove_member(&db, team, ann, None).await,
        Err(StorageError::LastOwner)
    ));
    let bob = users::create(&db, &Email::parse("bob@example.com").expect("email"), "hash")
        .await
        .expect("bob");
    teams::set_member(&db, team, bob, Role::Owner)
        .await
        .expect("second owner");
    teams::remove_member(&db, team, ann, None).await.expect("remove");
    assert!(teams::of_user(&db, ann).await.expect("teams").is_empty());
}

/// A team "Acme" with a queued backfill of `act_1`.
/// Where a test page goes (account `act_1`, no breakdown) and the checkpoint it carries for
/// `run`, claimed by worker `w1`.
pub(crate) fn page_for(
    team: adsync_common::ids::TeamId,
    run: adsync_common::ids::RunId,
    level: &'static str,
) -> (
    adsync_storage::page_writes::PageTarget<'static>,
    adsync_storage::page_writes::Checkpoint<'static>,
) {
    use adsync_storage::page_writes::{Checkpoint, PageTarget};
    (
        PageTarget {
            team,
            ad_account_id: "act_1",
            level,
            breakdown: "",
        },
        Checkpoint {
            run,
            owner: "w1",
            lease: Duration::seconds(60),
            progress: Progress { done: 0, total: 1 },
            chunk_done: None,
        },
    )
}

pub(crate) async fn team_with_backfill(db: &Db) -> (adsync_common::ids::TeamId, sync_runs::SyncRun) {
    let team = teams::create(db, "Acme").await.expect("team");
    let new = NewRun {
        ad_account_id: Some("act_1".into()),
        ..NewRun::backfill(team, None)
    };
    (team, sync_runs::create(db, &new).await.expect("run"))
}

async fn runs_are_claimed_by_one_worker_at_a_time(backend: Backend) {
    let (_guard, db) = fresh(backend).await;
    let (team, run) = team_with_backfill(&db).await;
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
        matches!(
            sync_runs::report_progress(
                &db,
                run.id,
                "w2",
                &Progress { done: 2, total: 4 },
                1,
                Duration::seconds(60)
            )
            .await,
            Err(StorageError::LeaseLost)
        ),
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
    let orphans = sync_runs::orphaned(&db, adsync_storage::now()).await.expect("orphans");
    assert_eq!(orphans, vec![run.id]);
    let taken = sync_runs::claim(&db, run.id, "w2", Duration::seconds(60))
        .await
        .expect("claim")
        .expect("reclaimed");
    assert_eq!((taken.progress.done, taken.rows_written), (1, 500));
    assert!(
        matches!(
            sync_runs::finish(&db, run.id, "w1", RunStatus::Succeeded, None).await,
            Err(StorageError::LeaseLost)
        ),
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

/// A page replaces the actions of the object-days it carries: an action the source stopped
/// reporting (a restatement to zero) goes, other days keep theirs, and a page that repeats
/// an object-day keeps its last report instead of failing. Pages of a range found empty go
/// in as plain inserts; one that meets rows already there is written again as upserts.
async fn pages_replace_the_actions_of_their_object_days(backend: Backend) {
    use adsync_common::normalize::ActionFigures;
    use adsync_storage::page_writes::{Checkpoint, PageTarget, WriteMode, range_is_empty, write_page};

    let (_guard, db) = fresh(backend).await;
    let (team, run) = team_with_backfill(&db).await;
    sync_runs::claim(&db, run.id, "w1", Duration::seconds(60))
        .await
        .expect("claim")
        .expect("claimed");
    let (target, checkpoint) = page_for(team, run.id, "ad");
    let row = |day: &str, impressions: i64, actions: &[(&str, &str, i64)]| DailyRow {
        campaign_id: Some("c1".into()),
        adset_id: Some("s1".into()),
        impressions,
        reach: Some(1),
        spend_micros: 10,
        actions: ActionFigures::group(
            actions
                .iter()
                .map(|(kind, window, count)| (*kind, *window, *count, None)),
        ),
        ..daily_row("ad1", day.parse().expect("date"))
    };
    let stored = |db: Db| async move {
        let rows: Vec<(String, String, String, i64)> =
            crate::on_pool!(&db, p => sqlx::query_as(ACTIONS).fetch_all(p).await).expect("actions");
        rows
    };
    const ACTIONS: &str = "SELECT CAST(date AS TEXT), action_type, attribution_window, count FROM insight_actions \
                           ORDER BY 1, 2, 3";
    let rollup = |db: Db| async move {
        const ROLLUP: &str = "SELECT CAST(date AS TEXT), purchases_default, purchases_7d_click, impressions \
                              FROM insights_daily ORDER BY 1";
        let rows: Vec<(String, i64, i64, i64)> =
            crate::on_pool!(&db, p => sqlx::query_as(ROLLUP).fetch_all(p).await).expect("rollup");
        rows
    };

    let first = [
        row(
            "2026-11-01",
            5,
            &[("purchase", "default", 2), ("purchase", "7d_click", 3)],
        ),
        row("2026-11-02", 6, &[("purchase", "default", 1)]),
    ];
    let (nov1, nov2) = ("2026-11-01".parse().expect("day"), "2026-11-02".parse().expect("day"));
    let empty = |t: PageTarget<'static>| {
        let db = db.clone();
        async move { range_is_empty(&db, &t, nov1, nov2).await.expect("range") }
    };
    assert!(empty(target.clone()).await);
    let mut mode = WriteMode::Insert;
    write_page(&db, &target, &first, &checkpoint, &mut mode)
        .await
        .expect("first page");
    assert_eq!(stored(db.clone()).await.len(), 3);
    assert_eq!(mode, WriteMode::Insert, "nothing was there");
    assert_eq!(
        rollup(db.clone()).await,
        [("2026-11-01".to_string(), 2, 3, 5), ("2026-11-02".to_string(), 1, 0, 6)]
    );
    assert!(!empty(target.clone()).await);
    // Other accounts and levels on those days are still empty.
    assert!(
        empty(PageTarget {
            ad_account_id: "act_2",
            ..target.clone()
        })
        .await
    );
    assert!(
        empty(PageTarget {
            level: "campaign",
            ..target.clone()
        })
        .await
    );

    // Day 1 restated: the 7-day-click purchases are gone and the default count changed; the
    // page also repeats day 1, whose last report wins. Day 2 is not on the page.
    let restated = [
        row("2026-11-01", 5, &[("purchase", "default", 9)]),
        row(
            "2026-11-01",
            7,
            &[("purchase", "default", 4), ("purchase", "default", 4)],
        ),
    ];
    write_page(&db, &target, &restated, &checkpoint, &mut mode)
        .await
        .expect("restated page");
    assert_eq!(
        mode,
        WriteMode::Upsert,
        "the insert met day 1 and the page was upserted"
    );
    let expected = [
        (
            "2026-11-01".to_string(),
            "purchase".to_string(),
            "default".to_string(),
            4,
        ),
        (
            "2026-11-02".to_string(),
            "purchase".to_string(),
            "default".to_string(),
            1,
        ),
    ];
    assert_eq!(stored(db.clone()).await, expected);
    // The purchase rollup on the daily rows agrees with the actions.
    assert_eq!(
        rollup(db.clone()).await,
        [("2026-11-01".to_string(), 4, 0, 7), ("2026-11-02".to_string(), 1, 0, 6)]
    );
    let run = sync_runs::get(&db, team, run.id).await.expect("get").expect("run");
    assert_eq!(run.rows_written, 3, "two rows, then one distinct object-day");
    // The failed insert left no connection behind in a broken state: every pooled
    // connection still runs prepared statements, transactions and inserts.
    for _ in 0..40 {
        write_page(&db, &target, &restated, &checkpoint, &mut WriteMode::Upsert)
            .await
            .expect("a page after the failed insert");
        sync_runs::get(&db, team, run.id)
            .await
            .expect("a query after the failed insert");
        let mut again = WriteMode::Insert;
        write_page(&db, &target, &first[1..], &checkpoint, &mut again)
            .await
            .expect("another insert that meets its rows");
    }
    // A page without rows (a day or a campaign with no data) moves the checkpoint only.
    let empty_page = Checkpoint {
        progress: Progress { done: 1, total: 1 },
        ..checkpoint.clone()
    };
    for mut mode in [WriteMode::Upsert, WriteMode::Insert] {
        write_page(&db, &target, &[], &empty_page, &mut mode)
            .await
            .unwrap_or_else(|e| panic!("an empty page as {mode:?}: {e}"));
    }
    let run = sync_runs::get(&db, team, run.id).await.expect("get").expect("run");
    assert_eq!(run.progress.done, 1);
    assert_eq!(stored(db.clone()).await, expected, "an empty page changes no rows");
}

crate::on_both_backends!(
    users_and_teams,
    runs_are_claimed_by_one_worker_at_a_time,
    pages_replace_the_actions_of_their_object_days,
);
