//! The wire format: nodes, rows as strings with empty fields left out, paging cursors, the
//! error envelope and the stats and truth endpoints.

use adsync_sandbox::{DatasetName, Level, SandboxConfig};
use chrono::{Days, Months};
use serde_json::Value;

use crate::insights::time_range;
use crate::{auto, spawn};

#[tokio::test]
async fn account_node_matches_the_notes() {
    let app = spawn(auto()).await;
    let t = app.login().await;
    let acc = app.sb.dataset().accounts()[0].clone();
    let a = app
        .get(
            &acc.id,
            &[
                ("access_token", &t),
                (
                    "fields",
                    "account_id,name,currency,timezone_name,timezone_offset_hours_utc,account_status",
                ),
            ],
        )
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.body,
        serde_json::json!({"id": acc.id, "account_id": acc.account_id, "name": acc.name, "currency": "EUR",
            "timezone_name": "Europe/Berlin", "timezone_offset_hours_utc": 1, "account_status": 1})
    );
    for h in [
        "x-app-usage",
        "x-ad-account-usage",
        "x-business-use-case-usage",
        "x-fb-ads-insights-throttle",
    ] {
        assert!(a.headers.contains_key(h), "{h}");
    }
    let buc = a.header_json("x-business-use-case-usage");
    assert_eq!(buc[&acc.account_id][0]["type"], "ads_management");
    let usage = a.header_json("x-ad-account-usage");
    assert!(usage["acc_id_util_pct"].is_number() && usage["reset_time_duration"].is_number());
}

#[tokio::test]
async fn rows_use_strings_and_omit_empty_fields() {
    let app = spawn(SandboxConfig {
        dataset: DatasetName::Medium,
        ..auto()
    })
    .await;
    let t = app.login().await;
    let ds = app.sb.dataset();
    let acc = ds.accounts()[0].id.clone();
    let (since, until) = (ds.today() - Days::new(59), ds.today());
    let fields = r#"["ad_id","ad_name","impressions","reach","frequency","clicks","spend","cpc","cpm","ctr","inline_link_clicks","actions","action_values","cost_per_action_type","purchase_roas"]"#;
    let first = app
        .get(
            &format!("{acc}/insights"),
            &[
                ("access_token", &t),
                ("level", "ad"),
                ("fields", fields),
                ("time_range", &time_range(since, until)),
                ("time_increment", "1"),
                ("limit", "500"),
                ("action_attribution_windows", "1d_click,7d_click,1d_view"),
            ],
        )
        .await;
    let (rows, _) = crate::all_pages(&app, first).await;
    let mut without_actions = 0;
    for r in &rows {
        let obj = r.as_object().expect("row");
        for (k, v) in obj {
            match k.as_str() {
                "actions" | "action_values" | "cost_per_action_type" | "purchase_roas" => {
                    for a in v.as_array().expect("list") {
                        for (ak, av) in a.as_object().expect("entry") {
                            assert!(av.is_string(), "{ak} in {k} must be a string: {av}");
                        }
                    }
                }
                _ => assert!(v.is_string(), "{k} must be a string: {v}"),
            }
        }
        match obj.get("actions") {
            None => without_actions += 1,
            Some(a) => assert!(a.as_array().is_some_and(|a| !a.is_empty()), "an empty list: {r}"),
        }
        if let Some(p) = r["actions"]
            .as_array()
            .and_then(|a| a.iter().find(|a| a["action_type"] == "purchase"))
        {
            assert!(p.get("28d_click").is_none(), "unrequested window");
        }
        assert!(!obj.contains_key("campaign_id"), "not requested");
        let spend = r["spend"].as_str().expect("spend");
        assert_eq!(spend.split('.').nth(1).map(str::len), Some(2), "{spend}");
        if !obj.contains_key("clicks") {
            assert!(!obj.contains_key("cpc"));
        }
        assert_eq!(r["date_start"], r["date_stop"]);
    }
    assert!(rows.len() > 1000);
    // Every ad has link clicks every day, but broken down by age and gender an ad-day
    // splits into small segments, many with no action at all: the key is omitted, not
    // empty, while the row is still there with its impressions.
    let split = app
        .get(
            &format!("{acc}/insights"),
            &[
                ("access_token", &t),
                ("level", "ad"),
                ("fields", "ad_id,impressions,actions"),
                ("breakdowns", "age,gender"),
                ("time_range", &time_range(until, until)),
                ("limit", "500"),
            ],
        )
        .await;
    let (split, _) = crate::all_pages(&app, split).await;
    for r in &split {
        match r.get("actions") {
            None => without_actions += 1,
            Some(a) => assert!(a.as_array().is_some_and(|a| !a.is_empty()), "an empty list: {r}"),
        }
    }
    assert!(without_actions > 0, "expected rows without an actions key");
    assert!(
        split
            .iter()
            .any(|r| r.get("actions").is_none() && r.get("impressions").is_some()),
        "a row without actions is still a row"
    );
    let some_zero = rows.iter().any(|r| {
        r.get("actions").is_none()
            || r["actions"]
                .as_array()
                .is_some_and(|a| a.iter().all(|x| x["action_type"] != "purchase"))
    });
    assert!(some_zero, "expected at least one row without purchases");
}

#[tokio::test]
async fn paging_cursors_and_next() {
    let app = spawn(auto()).await;
    let t = app.login().await;
    let acc = app.sb.dataset().accounts()[0].id.clone();
    let ds = app.sb.dataset();
    let tr = time_range(ds.today() - Days::new(9), ds.today());
    let path = format!("{acc}/insights");
    let q = [
        ("access_token", t.as_str()),
        ("level", "campaign"),
        ("time_range", tr.as_str()),
        ("time_increment", "1"),
        ("limit", "7"),
    ];
    let first = app.get(&path, &q).await;
    let next = first.body["paging"]["next"].as_str().expect("next").to_string();
    assert!(
        next.starts_with(&format!("{}/v25.0/{acc}/insights?", app.base)),
        "{next}"
    );
    for p in [
        "level=campaign",
        "limit=7",
        "time_increment=1",
        "after=",
        "access_token=",
    ] {
        assert!(next.contains(p), "{p} in {next}");
    }
    let (rows, pages) = crate::all_pages(&app, first).await;
    assert_eq!(rows.len(), 30);
    assert_eq!(pages, 5);
    // Exactly one page: no next, cursors still there.
    let one = app
        .get(&path, &[("access_token", t.as_str()), ("time_range", tr.as_str())])
        .await;
    assert!(one.body["paging"].get("next").is_none());
    assert!(one.body["paging"]["cursors"]["before"].is_string());
    // Explicit `after` works like the next URL.
    let after = app
        .get(
            &path,
            &[
                q[0],
                q[1],
                q[2],
                q[3],
                ("limit", "28"),
                ("after", one_after(&app, &path, &q).await.as_str()),
            ],
        )
        .await;
    assert_eq!(after.body["data"].as_array().map(Vec::len), Some(23));
    assert!(after.body["paging"].get("next").is_none());
}

async fn one_after(app: &crate::TestApp, path: &str, q: &[(&str, &str)]) -> String {
    app.get(path, q).await.body["paging"]["cursors"]["after"]
        .as_str()
        .expect("after")
        .to_string()
}

#[tokio::test]
async fn errors_use_the_envelope() {
    let app = spawn(auto()).await;
    let t = app.login().await;
    let ds = app.sb.dataset();
    let acc = ds.accounts()[0].id.clone();
    let path = format!("{acc}/insights");
    let check = |a: &crate::Answer, status: u16, code: i64| {
        assert_eq!(a.status, status, "{}", a.body);
        assert_eq!(a.error_code(), Some(code), "{}", a.body);
        let e = &a.body["error"];
        assert!(e["message"].is_string() && e["fbtrace_id"].is_string());
        assert!(e["type"].is_string());
        assert!(a.headers.contains_key("x-app-usage"));
    };
    let big = app.get(&path, &[("access_token", &t), ("limit", "501")]).await;
    check(&big, 500, 1);
    assert_eq!(
        big.body["error"]["message"],
        "Please reduce the amount of data you're asking for, then retry your request"
    );
    assert!(big.headers.contains_key("x-business-use-case-usage"));
    let old = (ds.today() - Months::new(38)).to_string();
    let too_old = app
        .get(
            &path,
            &[
                ("access_token", &t),
                ("time_range", &format!(r#"{{"since":"{old}","until":"{old}"}}"#)),
            ],
        )
        .await;
    check(&too_old, 400, 100);
    for (k, v) in [
        ("level", "country"),
        ("fields", "impressions,age"),
        ("fields", "bogus"),
        ("time_increment", "91"),
        ("breakdowns", "hair"),
        ("time_range", "{nope"),
        ("action_attribution_windows", "2d_click"),
        ("after", "!!"),
        ("limit", "x"),
        ("filtering", r#"[{"field":"foo","operator":"IN","value":["1"]}]"#),
    ] {
        let a = app.get(&path, &[("access_token", &t), (k, v)]).await;
        check(&a, 400, 100);
    }
    let unknown = app.get("act_999/insights", &[("access_token", &t)]).await;
    check(&unknown, 400, 100);
    assert_eq!(unknown.subcode(), Some(33));
    let value: Value = unknown.body.clone();
    assert_eq!(value["error"]["type"], "GraphMethodException");
    assert_eq!(Level::Ad.as_str(), "ad");
}

#[tokio::test]
async fn stats_endpoint_and_truth_json() {
    let app = spawn(auto()).await;
    let t = app.login().await;
    let acc = app.sb.dataset().accounts()[0].id.clone();
    let r = app
        .get(
            &format!("{acc}/insights"),
            &[("access_token", &t), ("level", "ad"), ("time_increment", "1")],
        )
        .await;
    let n = r.body["data"].as_array().map(Vec::len).unwrap_or(0) as u64;
    let stats = app.send(app.http.get(format!("{}/__sandbox/stats", app.base))).await;
    assert_eq!(stats.body["rows_served"], n);
    assert_eq!(stats.body["requests_by_endpoint"]["GET /{act}/insights"], 1);
    assert_eq!(app.sb.stats().rows_served, n);
    let ds = app.sb.dataset();
    let truth = adsync_sandbox::truth(ds, &acc, Level::Campaign, ds.today() - Days::new(6), ds.today()).expect("truth");
    assert_eq!(truth["by_day"].as_array().map(Vec::len), Some(7));
    assert_eq!(truth["by_object"].as_array().map(Vec::len), Some(3));
    assert!(truth["totals"]["spend"].is_string());
}
