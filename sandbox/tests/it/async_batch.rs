//! Async report runs (status, paging of results, failed jobs) and the batch endpoint.

use adsync_sandbox::{FaultConfig, Level, SandboxConfig};
use serde_json::{Value, json};

use crate::insights::{FIELDS, check_against_truth, range, time_range};
use crate::{TestApp, all_pages, auto, spawn};

async fn run_report(app: &TestApp, t: &str, level: Level, tr: &str) -> (String, Vec<Value>) {
    let acc = app.sb.dataset().accounts()[0].id.clone();
    let post = app
        .post(
            &format!("{acc}/insights"),
            &[
                ("access_token", t),
                ("level", level.as_str()),
                ("fields", FIELDS),
                ("time_range", tr),
                ("time_increment", "1"),
                ("limit", "200"),
                ("action_attribution_windows", "7d_click,1d_view,28d_click"),
            ],
        )
        .await;
    assert_eq!(post.status, 200, "{}", post.body);
    let run = post.body["report_run_id"].as_str().expect("run id").to_string();
    let mut seen = Vec::new();
    loop {
        let s = app.get(&run, &[("access_token", t)]).await;
        assert_eq!(s.status, 200, "{}", s.body);
        let status = s.body["async_status"].as_str().expect("status").to_string();
        seen.push((
            status.clone(),
            s.body["async_percent_completion"].as_u64().expect("pct"),
        ));
        if status == "Job Completed" || status == "Job Failed" {
            break;
        }
        assert!(seen.len() < 20);
    }
    (run, seen.into_iter().map(|(s, p)| json!([s, p])).collect())
}

#[tokio::test]
async fn async_reports_page_every_level_to_the_truth() {
    // The default progression: every state of the notes once, with its percentage.
    let app = spawn(auto()).await;
    let t = app.login().await;
    let (since, until) = range(&app, 90);
    let tr = time_range(since, until);
    for level in [Level::Account, Level::Campaign, Level::Adset, Level::Ad] {
        let (run, seen) = run_report(&app, &t, level, &tr).await;
        assert_eq!(
            seen,
            [
                json!(["Job Not Started", 0]),
                json!(["Job Started", 25]),
                json!(["Job Running", 50]),
                json!(["Job Completed", 100])
            ]
        );
        let first = app.get(&format!("{run}/insights"), &[("access_token", &t)]).await;
        if level == Level::Ad {
            let next = first.body["paging"]["next"].as_str().expect("next");
            assert!(
                next.contains(&format!("/{run}/insights?")) && next.contains("limit=200"),
                "{next}"
            );
        }
        let (rows, _) = all_pages(&app, first).await;
        check_against_truth(&app, &rows, level, since, until);
    }
}

#[tokio::test]
async fn results_before_completion_and_failed_jobs() {
    let app = spawn(SandboxConfig {
        async_steps: 3,
        ..auto()
    })
    .await;
    let t = app.login().await;
    let acc = app.sb.dataset().accounts()[0].id.clone();
    let post = app
        .post(&format!("{acc}/insights"), &[("access_token", &t), ("level", "ad")])
        .await;
    let run = post.body["report_run_id"].as_str().expect("id").to_string();
    let early = app.get(&format!("{run}/insights"), &[("access_token", &t)]).await;
    assert_eq!(early.status, 400);

    app.sb.control().set_faults(FaultConfig {
        async_failure: 1.0,
        ..FaultConfig::default()
    });
    let (since, until) = range(&app, 30);
    let (run, seen) = run_report(&app, &t, Level::Campaign, &time_range(since, until)).await;
    assert_eq!(seen.last().and_then(|s| s[0].as_str()), Some("Job Failed"));
    let status = app.get(&run, &[("access_token", &t)]).await;
    assert!(status.body["error_code"].is_number() && status.body["error_message"].is_string());
    assert!(
        app.get(&format!("{run}/insights"), &[("access_token", &t)])
            .await
            .status
            >= 400
    );
    // The same report asked again (failures_per_request = 1) succeeds.
    let (_, seen) = run_report(&app, &t, Level::Campaign, &time_range(since, until)).await;
    assert_eq!(seen.last().and_then(|s| s[0].as_str()), Some("Job Completed"));
    assert_eq!(app.sb.stats().injected("async_failure"), 1);
}

#[tokio::test]
async fn batch_endpoint() {
    let app = spawn(auto()).await;
    let t = app.login().await;
    let acc = app.sb.dataset().accounts()[0].id.clone();
    let batch = json!([
        {"method": "GET", "relative_url": "me"},
        {"method": "GET", "relative_url": format!("v25.0/{acc}/insights?fields=impressions,spend&level=campaign")},
        {"method": "GET", "relative_url": "act_1/insights"},
    ]);
    let a = app
        .post(
            "",
            &[("access_token", t.as_str()), ("batch", batch.to_string().as_str())],
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let items = a.body.as_array().expect("array");
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["code"], 200);
    let body: Value = serde_json::from_str(items[1]["body"].as_str().expect("string body")).expect("json");
    assert_eq!(body["data"].as_array().map(Vec::len), Some(3));
    assert!(
        items[1]["headers"]
            .as_array()
            .expect("h")
            .iter()
            .any(|h| h["name"] == "x-business-use-case-usage")
    );
    assert_eq!(items[2]["code"], 400);
    let too_many: Vec<Value> = (0..51)
        .map(|_| json!({"method": "GET", "relative_url": "me"}))
        .collect();
    let a = app
        .post(
            "",
            &[
                ("access_token", t.as_str()),
                ("batch", json!(too_many).to_string().as_str()),
            ],
        )
        .await;
    assert_eq!(a.error_code(), Some(100));
    // A dropped sub-request is null.
    app.sb.control().set_faults(FaultConfig {
        drop_connection: 1.0,
        ..FaultConfig::default()
    });
    let batch = json!([{"method": "GET", "relative_url": acc}, {"method": "GET", "relative_url": "me"}]);
    let a = app
        .post(
            "",
            &[("access_token", t.as_str()), ("batch", batch.to_string().as_str())],
        )
        .await;
    assert_eq!(a.body[0], Value::Null);
    assert_eq!(a.body[1]["code"], 200);
}
