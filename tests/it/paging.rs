//! Paged answers: following `next_cursor` to the end gives exactly the rows SQL counts for
//! the team, each once: metrics rows (in any sort), sync runs and connection events.

use std::collections::HashSet;

use adsync_common::ids::{Role, TeamId};
use adsync_storage::events::{self, EventKind};
use adsync_storage::sync_runs::{self, NewRun};
use adsync_storage::{Db, teams};
use serde_json::Value;

use crate::helpers::{Backend, TestApp, assert_problem, spawn_app_with_sandbox_and};

/// Every page of `path` (which takes `&cursor=`), following `next_cursor` to the end.
async fn every_page(app: &TestApp, c: &reqwest::Client, path: &str) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let url = match &next {
            None => path.to_string(),
            Some(cursor) => format!("{path}&cursor={cursor}"),
        };
        let (status, body) = app.get_json(c, &url).await;
        assert_eq!(status, 200, "{url}: {body}");
        next = body["next_cursor"].as_str().map(String::from);
        pages.push(body);
        if next.is_none() {
            return pages;
        }
        assert!(pages.len() < 100, "the cursor moves on");
    }
}

async fn count(db: &Db, sql: &str, team: TeamId) -> i64 {
    crate::on_pool!(db, p => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(team)
        .fetch_one(p)
        .await)
    .expect("count")
}

async fn metrics_pages_hold_every_row_once_in_any_order(backend: Backend) {
    // The API alone: no worker in the process takes the test's run.
    let app = spawn_app_with_sandbox_and(backend, adsync_sandbox::SandboxConfig::default(), &[]).await;
    let (team, since, until) = crate::metrics::export::team_with_long_history(&app).await;
    let member = app.signed_in("member@example.com").await;
    let rows = count(
        &app.db,
        "SELECT COUNT(*) FROM insights_daily WHERE team_id = $1 AND level = 'ad' AND breakdown = ''",
        team,
    )
    .await;
    let base = format!("/api/v1/teams/{team}/metrics?level=ad&since={since}&until={until}&metrics=spend,clicks");
    for (sort, limit) in [("date", 10_000), ("-spend", 3_000), ("clicks", 4_999), ("name", 2_500)] {
        let pages = every_page(&app, &member, &format!("{base}&sort={sort}&limit={limit}")).await;
        let all: Vec<&Value> = pages.iter().flat_map(|p| p["rows"].as_array().expect("rows")).collect();
        let keys: HashSet<(&str, &str)> = all
            .iter()
            .map(|r| (r["date"].as_str().expect("date"), r["id"].as_str().expect("id")))
            .collect();
        assert_eq!((all.len() as i64, keys.len() as i64), (rows, rows), "sort={sort}");
        assert!(
            pages.iter().rev().skip(1).all(|p| p["truncated"] == true),
            "sort={sort}"
        );
        assert_eq!(pages.last().expect("a page")["truncated"], false);
    }
    // A cursor keeps its sort, and only this API's cursors are taken.
    let first = every_page(&app, &member, &format!("{base}&sort=-spend&limit=10000")).await;
    let cursor = first[0]["next_cursor"].as_str().expect("a cursor").to_string();
    let res = app.get(&member, &format!("{base}&sort=clicks&cursor={cursor}")).await;
    assert!(assert_problem(res, 400).await.contains("sorted by"));
    let res = app.get(&member, &format!("{base}&cursor=bm90LWEtY3Vyc29y")).await;
    assert!(assert_problem(res, 400).await.contains("cursor"));
    app.stop().await;
}

async fn run_and_event_lists_page_to_the_end(backend: Backend) {
    // The API alone: no worker in the process takes the test's run.
    let app = spawn_app_with_sandbox_and(backend, adsync_sandbox::SandboxConfig::default(), &[]).await;
    let owner = app.user("owner@example.com").await;
    let team = app.team("Paged", &[(owner, Role::Owner)]).await;
    let other = teams::create(&app.db, "Other").await.expect("team");
    for (t, n) in [(team, 7), (other, 3)] {
        for day in 1..=n {
            let run = NewRun::manual(
                t,
                None,
                Some(chrono::NaiveDate::from_ymd_opt(2026, 1, day).expect("day")),
                Some(chrono::NaiveDate::from_ymd_opt(2026, 2, 1).expect("day")),
                None,
            );
            sync_runs::create(&app.db, &run).await.expect("run");
            events::record(
                &app.db,
                t,
                "facebook",
                EventKind::TokenRefreshed,
                None,
                &format!("event {day}"),
            )
            .await
            .expect("event");
        }
    }
    let c = app.signed_in("owner@example.com").await;
    for (path, key, table) in [
        (format!("/api/v1/teams/{team}/syncs?limit=3"), "syncs", "sync_runs"),
        (
            format!("/api/v1/teams/{team}/connectors/events?limit=2"),
            "events",
            "connection_events",
        ),
    ] {
        let pages = every_page(&app, &c, &path).await;
        let ids: Vec<i64> = pages
            .iter()
            .flat_map(|p| p[key].as_array().expect("items"))
            .map(|item| item["id"].as_i64().expect("id"))
            .collect();
        let want = count(
            &app.db,
            &format!("SELECT COUNT(*) FROM {table} WHERE team_id = $1"),
            team,
        )
        .await;
        assert_eq!(ids.len() as i64, want, "{path}");
        assert!(
            ids.windows(2).all(|w| w[0] > w[1]),
            "{path}: newest first, each once: {ids:?}"
        );
        assert!(pages.iter().all(|p| p[key].as_array().is_some_and(|a| a.len() <= 3)));
    }
    for bad in ["limit=0", "limit=501", "cursor=%25%25", "page=2"] {
        let res = app.get(&c, &format!("/api/v1/teams/{team}/syncs?{bad}")).await;
        assert_problem(res, 400).await;
    }
    app.stop().await;
}

crate::on_both_backends!(
    metrics_pages_hold_every_row_once_in_any_order,
    run_and_event_lists_page_to_the_end,
);
