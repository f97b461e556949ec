//! The whole path API → queue → worker → runs table, on SQLite's queue and on Redis.

use serde_json::json;

use crate::helpers::{Backend, spawn_app};

async fn a_resync_travels_through_the_queue_to_a_worker(backend: Backend) {
    let app = spawn_app(backend).await;
    let (ann, team, c) = app.owner("ann@example.com", "A").await;
    crate::helpers::store_connection(&app.db, team, ann, "not-a-token".into()).await;
    let (status, run) = app
        .post_json(
            &c,
            &format!("/api/v1/teams/{team}/syncs"),
            json!({"since": "2026-10-01", "until": "2026-10-31"}),
        )
        .await;
    assert_eq!(status, 202, "{run}");
    assert_eq!(run["status"], "queued");
    assert_eq!(run["since"], "2026-10-01");
    let id = run["id"].as_i64().expect("id");
    let done = app.wait_for_run(&c, team, id).await;
    // Facebook is not configured here: the worker claimed the run and ended it with a
    // clear reason.
    assert_eq!(done["status"], "failed", "{done}");
    assert!(
        done["error"].as_str().unwrap_or_default().contains("not configured"),
        "{done}"
    );
    assert!(done["started_at"].is_string() && done["finished_at"].is_string());
    app.stop().await;
}

async fn shutdown_is_clean(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, _) = app.get_json(&app.http, "/readyz").await;
    assert_eq!(status, 200);
    app.stop().await;
}

crate::on_both_backends!(a_resync_travels_through_the_queue_to_a_worker, shutdown_is_clean);
