//! Deleting a team takes its synced facts with it, on both dialects.

use adsync_storage::StorageError;
use adsync_storage::sync_runs;
use chrono::Duration;

use super::{daily_row, fresh, team_with_backfill};
use crate::helpers::Backend;

/// A team's facts go with it, and a page of a run whose team is gone writes nothing. On
/// PostgreSQL `insights_daily` has no foreign key to `teams` (migration 0007): a trigger and
/// the page's update of its run row keep these; on SQLite the foreign key does.
async fn facts_go_with_their_team(backend: Backend) {
    use adsync_common::normalize::DailyRow;
    use adsync_storage::page_writes::{WriteMode, write_page};

    let (_guard, db) = fresh(backend).await;
    let (team, run) = team_with_backfill(&db).await;
    let (other, other_run) = team_with_backfill(&db).await;
    let row = DailyRow {
        impressions: 1,
        reach: Some(1),
        spend_micros: 10,
        ..daily_row("ad1", "2026-11-01".parse().expect("date"))
    };
    for run in [&run, &other_run] {
        sync_runs::claim(&db, run.id, "w1", Duration::seconds(60))
            .await
            .expect("claim")
            .expect("claimed");
    }
    let page = |team, run| {
        let (db, row) = (db.clone(), row.clone());
        async move {
            let (target, checkpoint) = super::page_for(team, run, "ad");
            write_page(&db, &target, &[row], &checkpoint, &mut WriteMode::Insert).await
        }
    };
    let facts = |team: adsync_common::ids::TeamId| {
        let db = db.clone();
        async move {
            const SQL: &str = "SELECT COUNT(*) FROM insights_daily WHERE team_id = $1";
            let n: i64 =
                crate::on_pool!(&db, p => sqlx::query_scalar(SQL).bind(team).fetch_one(p).await).expect("count");
            n
        }
    };
    page(team, run.id).await.expect("page");
    page(other, other_run.id).await.expect("other team's page");
    assert_eq!((facts(team).await, facts(other).await), (1, 1));

    const DELETE: &str = "DELETE FROM teams WHERE id = $1";
    crate::on_pool!(&db, p => sqlx::query(DELETE)
        .bind(team)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))
    .expect("delete team");
    assert_eq!(
        (facts(team).await, facts(other).await),
        (0, 1),
        "only the deleted team's facts went"
    );

    // SQLite's foreign key stops the insert; on PostgreSQL the run row is not there to update.
    let late = page(team, run.id).await;
    assert!(
        matches!(late, Err(StorageError::LeaseLost | StorageError::MissingReference)),
        "the run went with its team: {late:?}"
    );
    assert_eq!(facts(team).await, 0, "the page rolled back");
}

crate::on_both_backends!(facts_go_with_their_team);
