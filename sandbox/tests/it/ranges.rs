//! Date ranges at the dataset's edge and paging that ends exactly on a page boundary.

use chrono::Days;
use serde_json::Value;

use crate::insights::time_range;
use crate::{TestApp, all_pages, auto, spawn};

async fn campaign_days(app: &TestApp, t: &str, tr: &str, limit: usize) -> crate::Answer {
    let acc = app.sb.dataset().accounts()[0].id.clone();
    let limit = limit.to_string();
    let q = [
        ("access_token", t),
        ("level", "campaign"),
        ("time_range", tr),
        ("time_increment", "1"),
        ("limit", limit.as_str()),
    ];
    app.get(&format!("{acc}/insights"), &q).await
}

#[tokio::test]
async fn an_exact_multiple_of_limit_ends_without_an_empty_page() {
    let app = spawn(auto()).await;
    let t = app.login().await;
    let today = app.sb.dataset().today();
    let tr = time_range(today - Days::new(9), today);
    let (all, _) = all_pages(&app, campaign_days(&app, &t, &tr, 500).await).await;
    // 3 campaigns over 10 days.
    assert_eq!(all.len(), 30);
    for limit in [10, 15, 30] {
        let mut page = campaign_days(&app, &t, &tr, limit).await;
        let mut pages = 1;
        while let Some(next) = page.body["paging"]["next"].as_str() {
            assert_eq!(page.body["data"].as_array().map(Vec::len), Some(limit));
            page = app.get_url(next).await;
            pages += 1;
        }
        // The last page is full, has its cursors and no `next`.
        assert_eq!(page.body["data"].as_array().map(Vec::len), Some(limit), "limit {limit}");
        assert!(page.body["paging"]["cursors"]["after"].is_string());
        assert_eq!(pages, 30 / limit, "limit {limit}");
    }
}

#[tokio::test]
async fn a_range_after_today_has_no_rows() {
    let app = spawn(auto()).await;
    let t = app.login().await;
    let today = app.sb.dataset().today();
    let future = time_range(today + Days::new(1), today + Days::new(30));
    for limit in [25, 500] {
        let a = campaign_days(&app, &t, &future, limit).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["data"], Value::Array(Vec::new()));
        assert!(a.body["paging"]["cursors"]["before"].is_string());
        assert!(a.body["paging"].get("next").is_none());
    }
    // The same range through a report run: completed, and empty.
    let acc = app.sb.dataset().accounts()[0].id.clone();
    let post = app
        .post(
            &format!("{acc}/insights"),
            &[
                ("access_token", t.as_str()),
                ("level", "ad"),
                ("time_range", future.as_str()),
            ],
        )
        .await;
    let run = post.body["report_run_id"].as_str().expect("run id").to_string();
    for _ in 0..4 {
        app.get(&run, &[("access_token", &t)]).await;
    }
    let status = app.get(&run, &[("access_token", &t)]).await;
    assert_eq!(status.body["async_status"], "Job Completed");
    assert_eq!(status.body["date_start"], (today + Days::new(1)).to_string());
    let rows = app.get(&format!("{run}/insights"), &[("access_token", &t)]).await;
    assert_eq!(rows.body["data"], Value::Array(Vec::new()), "{}", rows.body);

    // A range reaching past today stops at today.
    let across = time_range(today - Days::new(2), today + Days::new(5));
    let (rows, _) = all_pages(&app, campaign_days(&app, &t, &across, 500).await).await;
    assert_eq!(rows.len(), 9, "3 campaigns, 3 days");
    assert!(
        rows.iter()
            .all(|r| r["date_stop"].as_str() <= Some(today.to_string().as_str()))
    );
}
