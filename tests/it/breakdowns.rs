//! Breakdowns end to end: an owner enables some, the worker fetches them (a backfill queued
//! by the change), the metrics API answers per value exactly as the sandbox's truth, reach
//! stays each value's own, days older than Facebook's 13 months of reach by breakdown are
//! fetched without it, and the dashboard shows a panel per breakdown.

use adsync_sandbox::{DatasetName, Level, SandboxConfig};
use adsync_storage::sync_runs::{self, RunKind, RunStatus};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::connect::{Fixture, auto_approve, connected};
use crate::helpers::Backend;

/// Runs every queued run of the team to its end.
async fn run_queued(f: &Fixture, state: &adsync_worker::WorkerState) {
    let runs = sync_runs::list(&f.app.db, f.team, 20).await.expect("runs");
    for r in runs.iter().filter(|r| r.status == RunStatus::Queued) {
        let done = f.run_to_end(state, r.id).await;
        assert_eq!(done.status, RunStatus::Succeeded, "{:?}", done.error);
    }
}

async fn patch_settings(f: &Fixture, c: &reqwest::Client, body: Value) -> (u16, Value) {
    let res = c
        .patch(f.app.url(&format!("/api/v1/teams/{}/settings", f.team)))
        .json(&body)
        .send()
        .await
        .expect("patch");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("a decimal, got {v}"))
        .parse()
        .expect("decimal")
}

async fn breakdowns_are_synced_and_answered_per_value(backend: Backend) {
    let f = connected(backend, auto_approve()).await;
    let state = f.app.worker().await;
    run_queued(&f, &state).await;

    let (status, body) = patch_settings(&f, &f.c, json!({"breakdowns": ["age", "platform_position", "region"]})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["breakdowns"], json!(["age", "region", "platform_position"]));
    let queued = sync_runs::list(&f.app.db, f.team, 20).await.expect("runs");
    assert!(
        queued
            .iter()
            .any(|r| r.status == RunStatus::Queued && r.kind == RunKind::Backfill),
        "enabling a breakdown queues its history"
    );
    run_queued(&f, &state).await;

    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    let account = ds.accounts()[0].id.clone();
    let (since, until) = (ds.today() - chrono::Duration::days(29), ds.today());
    let metrics = |q: String| {
        let (f, c) = (&f, f.c.clone());
        async move {
            let (status, body) = f
                .app
                .get_json(
                    &c,
                    &format!("/api/v1/teams/{}/metrics?since={since}&until={until}&{q}", f.team),
                )
                .await;
            assert_eq!(status, 200, "{q}: {body}");
            body
        }
    };
    for (breakdown, api) in [
        ("age", &["age"][..]),
        ("region", &["region"][..]),
        ("platform_position", &["platform_position", "publisher_platform"][..]),
    ] {
        let truth = ds.split_totals(Level::Account, &account, since, until, api);
        let body = metrics(format!(
            "level=account&granularity=total&breakdown={breakdown}&metrics=impressions,clicks,spend,purchases,purchase_value"
        ))
        .await;
        let rows = body["rows"].as_array().expect("rows");
        assert_eq!(rows.len(), truth.len(), "{breakdown}: one row per value");
        for (labels, t, _) in &truth {
            let row = rows
                .iter()
                .find(|r| labels.iter().all(|(k, v)| r["breakdown"][*k] == *v))
                .unwrap_or_else(|| panic!("{breakdown} {labels:?} in {rows:?}"));
            assert_eq!(row["breakdown"].as_object().map(|o| o.len()), Some(labels.len()));
            assert_eq!(row["impressions"], serde_json::json!(t.impressions), "{labels:?}");
            assert_eq!(row["clicks"], serde_json::json!(t.clicks), "{labels:?}");
            assert_eq!(dec(&row["spend"]), t.spend, "{labels:?}");
            assert_eq!(row["purchases"], serde_json::json!(t.purchases.value), "{labels:?}");
            assert_eq!(dec(&row["purchase_value"]), t.purchase_value.value, "{labels:?}");
        }
        // The values partition the whole: their sums are the unbroken totals.
        let whole = ds.totals(Level::Account, &account, since, until);
        let impressions: u64 = truth.iter().map(|(_, t, _)| t.impressions).sum();
        assert_eq!(impressions, whole.impressions);
    }

    // Reach per value and day: each value's own, never a sum.
    let day = until - chrono::Duration::days(3);
    let body = f
        .app
        .get_json(
            &f.c,
            &format!(
                "/api/v1/teams/{}/metrics?since={day}&until={day}&level=campaign&breakdown=age&metrics=reach,impressions",
                f.team
            ),
        )
        .await
        .1;
    let rows = body["rows"].as_array().expect("rows");
    let mut checked = 0;
    for c in ds.campaigns(&account) {
        for (labels, t, reach) in ds.split_totals(Level::Campaign, &c.id, day, day, &["age"]) {
            let row = rows
                .iter()
                .find(|r| r["id"] == c.id.as_str() && r["breakdown"]["age"] == labels[0].1)
                .expect("row");
            assert_eq!(row["reach"], serde_json::json!(reach), "{} {labels:?}", c.id);
            assert_eq!(row["impressions"], serde_json::json!(t.impressions));
            checked += 1;
        }
    }
    assert!(checked >= 6, "campaign-ages compared: {checked}");
    assert!(
        body["notes"]
            .as_array()
            .is_some_and(|n| n.iter().any(|t| t.as_str().is_some_and(|t| t.contains("13 months")))),
        "{body}"
    );

    // What is not allowed says why.
    for (q, says) in [
        ("breakdown=age&level=ad", "level"),
        ("breakdown=zodiac", "unknown breakdown"),
        ("breakdown=gender", "not enabled"),
    ] {
        let (status, body) = f
            .app
            .get_json(&f.c, &format!("/api/v1/teams/{}/metrics?{q}", f.team))
            .await;
        assert_eq!(status, 400, "{q}");
        assert!(body["detail"].as_str().is_some_and(|d| d.contains(says)), "{q}: {body}");
    }
    let (status, _) = patch_settings(&f, &f.c, json!({"breakdowns": ["zodiac"]})).await;
    assert_eq!(status, 400);

    // The dashboard has a panel per breakdown.
    let html = f
        .app
        .page_text(
            &f.c,
            &format!("/teams/{}/dashboard?range=custom&since={since}&until={until}", f.team),
        )
        .await;
    for b in ["age", "region", "platform_position"] {
        assert!(html.contains(&format!(r#"data-breakdown="{b}""#)), "{b} panel");
    }
    assert!(html.contains("25-34"), "age groups");
    assert!(html.contains("Provence-Alpes-Côte d'Azur"), "a region's name, decoded");
    assert!(
        html.contains("instagram · reels") || html.contains("reels · instagram"),
        "placements with their platform"
    );

    // Unbroken figures are untouched by the breakdown rows beside them.
    crate::truth::assert_matches_truth(&f.app, f.team, since, until).await;
}

/// Reach by breakdown exists for 13 months only: a run reaching further back fetches those
/// days without reach, and Facebook refuses none of its calls.
async fn breakdowns_older_than_13_months_come_without_reach(backend: Backend) {
    let sandbox = SandboxConfig {
        dataset: DatasetName::Small,
        ..auto_approve()
    };
    let f = connected(backend, sandbox).await;
    adsync_storage::teams::set_breakdowns(&f.app.db, f.team, &[adsync_common::breakdowns::Breakdown::Gender])
        .await
        .expect("setting");
    let state = f.app.worker().await;
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    let run = f.manual_run(ds.today() - chrono::Duration::days(430), ds.today()).await;
    let done = f.run_to_end(&state, run).await;
    assert_eq!(done.status, RunStatus::Succeeded, "{:?}", done.error);
    let stats = f.app.sandbox.as_ref().expect("sandbox").stats();
    assert_eq!(
        stats.errors_by_code.get("100"),
        None,
        "no request refused for reach: {stats:?}"
    );
}

crate::on_both_backends!(
    breakdowns_are_synced_and_answered_per_value,
    breakdowns_older_than_13_months_come_without_reach,
);
