//! The sync history page: every run of the team, newest first and paged, with its times
//! (and their zone), rows, progress and, in plain words, how it ended or why it waits.
//! Members see it; other teams do not.

use adsync_common::ids::Role;
use adsync_storage::sync_runs::{self, NewRun, RunStatus};
use adsync_worker::sync::SyncError;

use crate::connect::{auto_approve, synced};
use crate::helpers::Backend;

async fn every_run_is_listed_with_its_outcome_in_plain_words(backend: Backend) {
    let (f, _) = synced(backend, auto_approve()).await;
    let backfill = f.backfill_of(f.team).await;
    let db = &f.app.db;

    // A resync that failed on a revoked token, and one that waits for Facebook's limit.
    // Runs this test holds as worker "w-test", so the app's own worker leaves them be.
    let claimed = |account: Option<&str>| {
        let run = NewRun::manual(f.team, account.map(String::from), None, None, None);
        async move {
            let run = sync_runs::create(db, &run).await.expect("run");
            sync_runs::claim(db, run.id, "w-test", chrono::Duration::seconds(60))
                .await
                .expect("claim")
                .expect("claimed")
        }
    };
    let failed = claimed(None).await;
    let revoked = SyncError::TokenInvalid("Error validating access token".into()).to_string();
    sync_runs::finish(db, failed.id, "w-test", RunStatus::Failed, Some(&revoked))
        .await
        .expect("finish");
    let waiting = claimed(Some("act_1")).await;
    let until = adsync_storage::now() + chrono::Duration::minutes(5);
    sync_runs::set_pause(
        db,
        waiting.id,
        "w-test",
        Some((until, "Facebook's rate limit for the ad account")),
    )
    .await
    .expect("pause");

    let page = f.app.page_text(&f.c, &format!("/teams/{}/syncs", f.team)).await;
    assert!(page.contains("First sync (all history)"), "{page}");
    assert!(page.contains("everything Facebook keeps, every ad account"), "{page}");
    let rows = backfill.rows_written;
    assert!(rows >= 1_000, "the backfill wrote {rows} rows");
    let grouped = format!("{},{:03}", rows / 1000, rows % 1000);
    assert!(page.contains(&grouped), "rows grouped by thousands ({grouped}): {page}");
    assert!(page.contains(" UTC"), "times carry their zone: {page}");
    assert!(
        page.contains("Failed: Facebook no longer accepts adsync's access (it expired or was revoked)"),
        "{page}"
    );
    assert!(
        page.contains(&revoked),
        "the worker's own words stay under the details: {page}"
    );
    assert!(
        page.contains(&format!(
            "Waiting, at the latest until {}: Facebook's rate limit for the ad account",
            until.format("%H:%M UTC")
        )),
        "{page}"
    );
    assert!(page.contains("Resync"), "{page}");

    // Newest first, a page at a time.
    let first = f.app.page_text(&f.c, &format!("/teams/{}/syncs?limit=1", f.team)).await;
    assert!(first.contains(&format!("data-run=\"{}\"", waiting.id)), "{first}");
    assert!(!first.contains(&format!("data-run=\"{}\"", failed.id)), "{first}");
    let cursor = first
        .split("?cursor=")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a link to older syncs");
    let older = f
        .app
        .page_text(&f.c, &format!("/teams/{}/syncs?limit=1&cursor={cursor}", f.team))
        .await;
    assert!(older.contains(&format!("data-run=\"{}\"", failed.id)), "{older}");

    // A member sees the history; another team's owner does not.
    let member = f.app.user("member@example.com").await;
    adsync_storage::teams::set_member(db, f.team, member, Role::Member)
        .await
        .expect("member");
    let member_c = f.app.signed_in("member@example.com").await;
    let seen = f.app.page_text(&member_c, &format!("/teams/{}/syncs", f.team)).await;
    assert!(seen.contains("First sync (all history)"), "{seen}");
    let stranger = f.app.user("stranger@example.com").await;
    f.app.team("Other", &[(stranger, Role::Owner)]).await;
    let stranger_c = f.app.signed_in("stranger@example.com").await;
    let res = stranger_c
        .get(f.app.url(&format!("/teams/{}/syncs", f.team)))
        .send()
        .await
        .expect("req");
    assert_eq!(res.status(), 404);
}

crate::on_both_backends!(every_run_is_listed_with_its_outcome_in_plain_words);
