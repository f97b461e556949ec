//! A resync that cannot work is refused when it is asked for, with the reason (409 for the
//! team's state, 400 for what was asked), on the JSON API and on the page form alike; one that
//! can work is accepted.

use adsync_storage::connections::{self, ConnectionStatus};
use serde_json::json;

use crate::connect::{auto_approve, connected};
use crate::helpers::{Backend, assert_problem, spawn_app};

async fn a_team_without_facebook_is_told_to_connect_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, team, c) = app.owner("ann@example.com", "A").await;
    let res = app.post(&c, &format!("/api/v1/teams/{team}/syncs"), json!({})).await;
    let detail = assert_problem(res, 409).await;
    assert!(detail.contains("not connected"), "{detail}");
    let (_, runs) = app.get_json(&c, &format!("/api/v1/teams/{team}/syncs")).await;
    assert_eq!(runs["syncs"].as_array().map(Vec::len), Some(0), "nothing was queued");
    app.stop().await;
}

async fn a_resync_that_cannot_work_is_refused_with_its_reason(backend: Backend) {
    let f = connected(backend, auto_approve()).await;
    let path = format!("/api/v1/teams/{}/syncs", f.team);
    let (_, before) = f.app.get_json(&f.c, &path).await;
    let queued = before["syncs"].as_array().map(Vec::len);
    let far = (chrono::Utc::now() + chrono::Duration::days(3))
        .date_naive()
        .to_string();
    for (body, status, needle) in [
        (
            json!({"ad_account_id": "act_999999"}),
            400,
            "not an ad account this team syncs",
        ),
        (json!({"until": far}), 400, "after today"),
        (json!({"since": far}), 400, "after today"),
        (json!({"until": "2020-01-01"}), 400, "older than Facebook keeps"),
    ] {
        let res = f.app.post(&f.c, &path, body.clone()).await;
        let detail = assert_problem(res, status).await;
        assert!(detail.contains(needle), "{body} → {detail}");
    }
    // The page form says the same, as a page.
    let res =
        f.c.post(f.app.url(&format!("/teams/{}/syncs", f.team)))
            .header("accept", "text/html")
            .form(&[("since", ""), ("until", far.as_str()), ("ad_account_id", "")])
            .send()
            .await
            .expect("post");
    assert_eq!(res.status(), 400);
    assert!(res.text().await.expect("body").contains("after today"));
    let (_, after) = f.app.get_json(&f.c, &path).await;
    assert_eq!(after["syncs"].as_array().map(Vec::len), queued, "nothing was queued");

    // One that can work is accepted, for one account by either of its ids.
    let account = connections::synced_ad_accounts(&f.app.db, f.team)
        .await
        .expect("accounts")[0]
        .clone();
    for id in [account.id.as_str(), account.account_id.as_str()] {
        let (status, run) = f.app.post_json(&f.c, &path, json!({"ad_account_id": id})).await;
        assert_eq!(status, 202, "{id}: {run}");
    }

    // A connection Facebook stopped honouring: connect again first.
    let conn = f.connection().await.expect("connection");
    connections::set_status(&f.app.db, conn.id, ConnectionStatus::NeedsReconnect, None)
        .await
        .expect("status");
    let res = f.app.post(&f.c, &path, json!({})).await;
    let detail = assert_problem(res, 409).await;
    assert!(detail.contains("connect it again"), "{detail}");
}

crate::on_both_backends!(
    a_team_without_facebook_is_told_to_connect_it,
    a_resync_that_cannot_work_is_refused_with_its_reason,
);
