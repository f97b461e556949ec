//! Call budgets per bucket, the usage headers they report and the throttle kinds.

use std::time::Duration;

use adsync_sandbox::{AccountThrottle, BudgetConfig, SandboxConfig};
use serde_json::Value;

use crate::{auto, spawn};

#[tokio::test]
async fn insights_and_management_buckets_block_separately() {
    let app = spawn(SandboxConfig {
        budget: BudgetConfig::with_millis(5, 1000, 60_000, 300),
        ..auto()
    })
    .await;
    let t = app.login().await;
    let acc = app.sb.dataset().accounts()[0].clone();
    let path = format!("{}/insights", acc.id);
    let mut last_pct = 0.0;
    for _ in 0..5 {
        let a = app.get(&path, &[("access_token", &t)]).await;
        assert_eq!(a.status, 200);
        let pct = a.header_json("x-ad-account-usage")["acc_id_util_pct"]
            .as_f64()
            .expect("pct");
        assert!(pct > last_pct);
        last_pct = pct;
        let buc = a.header_json("x-business-use-case-usage");
        assert_eq!(buc[&acc.account_id].as_array().map(Vec::len), Some(1), "{buc}");
        assert_eq!(buc[&acc.account_id][0]["type"], "ads_insights");
        assert_eq!(buc[&acc.account_id][0]["estimated_time_to_regain_access"], 0);
    }
    assert_eq!(last_pct, 100.0);
    let over = app.get(&path, &[("access_token", &t)]).await;
    assert_eq!(
        (over.status, over.error_code(), over.subcode()),
        (400, Some(80000), Some(2_446_079))
    );
    assert_eq!(over.body["error"]["is_transient"], true);
    let buc = over.header_json("x-business-use-case-usage");
    assert_eq!(buc[&acc.account_id][0]["estimated_time_to_regain_access"], 1);
    assert_eq!(app.sb.stats().calls_while_blocked, 0);

    // Exhausted insights leave the account node (ads_management) its own budget. Its
    // headers put its bucket first and still show the blocked insights bucket.
    let node = app.get(&acc.id, &[("access_token", &t)]).await;
    assert_eq!(node.status, 200, "{}", node.body);
    let buc = node.header_json("x-business-use-case-usage");
    assert_eq!(buc[&acc.account_id][0]["type"], "ads_management");
    assert_eq!(buc[&acc.account_id][0]["call_count"], 20);
    assert_eq!(buc[&acc.account_id][1]["type"], "ads_insights");
    assert_eq!(buc[&acc.account_id][1]["estimated_time_to_regain_access"], 1);
    assert_eq!(node.header_json("x-ad-account-usage")["acc_id_util_pct"], 20.0);
    assert_eq!(node.header_json("x-fb-ads-insights-throttle")["acc_id_util_pct"], 100.0);

    // Management runs out on its own, with 80004; insights are still blocked with 80000.
    for _ in 0..4 {
        assert_eq!(app.get(&acc.id, &[("access_token", &t)]).await.status, 200);
    }
    let node = app.get(&acc.id, &[("access_token", &t)]).await;
    assert_eq!((node.status, node.error_code()), (400, Some(80004)));
    assert_eq!(app.sb.stats().calls_while_blocked, 0);
    assert_eq!(app.get(&path, &[("access_token", &t)]).await.error_code(), Some(80000));
    assert_eq!(
        app.get("me", &[("access_token", &t)]).await.status,
        200,
        "calls on no ad account still work"
    );
    let s = app.sb.stats();
    assert_eq!((s.throttled_calls, s.calls_while_blocked), (3, 1));
    // Both blocks (300 ms) are over after this wait; nothing here is timed.
    tokio::time::sleep(Duration::from_millis(320)).await;
    assert_eq!(app.get(&path, &[("access_token", &t)]).await.status, 200);
    assert_eq!(app.get(&acc.id, &[("access_token", &t)]).await.status, 200);
    assert_eq!(app.sb.stats().calls_while_blocked, 1);
}

/// The four usage headers with exactly the keys of the notes' examples, their types, and
/// the regain time in minutes (rounded up) while a bucket is blocked.
#[tokio::test]
async fn usage_headers_have_the_notes_keys() {
    let app = spawn(SandboxConfig {
        budget: BudgetConfig::with_millis(1, 1000, 60_000, 150_000),
        ..auto()
    })
    .await;
    let t = app.login().await;
    let acc = app.sb.dataset().accounts()[0].clone();
    let path = format!("{}/insights", acc.id);
    let ok = app.get(&path, &[("access_token", &t)]).await;
    assert_eq!(ok.status, 200);
    let blocked = app.get(&path, &[("access_token", &t)]).await;
    assert_eq!(blocked.error_code(), Some(80000));
    for a in [&ok, &blocked] {
        let app_usage = a.header_json("x-app-usage");
        assert_eq!(keys(&app_usage), ["call_count", "total_cputime", "total_time"]);
        assert!(app_usage.as_object().into_iter().flatten().all(|(_, v)| v.is_u64()));
        let account = a.header_json("x-ad-account-usage");
        assert_eq!(
            keys(&account),
            ["acc_id_util_pct", "ads_api_access_tier", "reset_time_duration"]
        );
        assert!(account["acc_id_util_pct"].is_number() && account["reset_time_duration"].is_u64());
        assert_eq!(account["ads_api_access_tier"], "standard_access");
        let buc = a.header_json("x-business-use-case-usage");
        assert_eq!(keys(&buc), [acc.account_id.as_str()], "keyed by the id without act_");
        let bucket = &buc[&acc.account_id][0];
        assert_eq!(
            keys(bucket),
            [
                "ads_api_access_tier",
                "call_count",
                "estimated_time_to_regain_access",
                "total_cputime",
                "total_time",
                "type"
            ]
        );
        assert_eq!(bucket["type"], "ads_insights");
        let throttle = a.header_json("x-fb-ads-insights-throttle");
        assert_eq!(
            keys(&throttle),
            ["acc_id_util_pct", "ads_api_access_tier", "app_id_util_pct"]
        );
        assert!(throttle["app_id_util_pct"].is_number() && throttle["acc_id_util_pct"].is_number());
    }
    let bucket = &blocked.header_json("x-business-use-case-usage")[&acc.account_id][0];
    assert_eq!(bucket["call_count"], 100);
    // 150 s of block: 3 minutes, while the account's reset is given in seconds.
    assert_eq!(bucket["estimated_time_to_regain_access"], 3);
    let reset = blocked.header_json("x-ad-account-usage")["reset_time_duration"]
        .as_u64()
        .expect("reset");
    assert!(reset > 60 && reset <= 150, "seconds, not minutes: {reset}");
    assert_eq!(
        blocked.header_json("x-fb-ads-insights-throttle")["acc_id_util_pct"],
        100.0
    );
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().into_iter().flatten().map(|(k, _)| k.as_str()).collect();
    k.sort_unstable();
    k
}

#[tokio::test]
async fn throttle_kinds_and_app_budget() {
    for (kind, code) in [
        (AccountThrottle::UserRequestLimit, 17),
        (AccountThrottle::TooManyCalls, 613),
    ] {
        let app = spawn(auto()).await;
        let t = app.login().await;
        app.sb.control().set_budget(BudgetConfig {
            account_error: kind,
            ..BudgetConfig::with_millis(1, 1000, 60_000, 60_000)
        });
        let acc = app.sb.dataset().accounts()[0].id.clone();
        assert_eq!(app.get(&acc, &[("access_token", &t)]).await.status, 200);
        let over = app.get(&acc, &[("access_token", &t)]).await;
        assert_eq!(over.error_code(), Some(code));
        assert_eq!(over.body["error"]["is_transient"], true, "{}", over.body);
    }
    let app = spawn(auto()).await;
    let t = app.login().await;
    app.sb
        .control()
        .set_budget(BudgetConfig::with_millis(1000, 3, 60_000, 60_000));
    for _ in 0..3 {
        let a = app.get("me", &[("access_token", &t)]).await;
        assert_eq!(a.status, 200);
        assert!(a.header_json("x-app-usage")["call_count"].as_u64().expect("cc") > 0);
        assert!(!a.headers.contains_key("x-ad-account-usage"));
    }
    let a = app.get("me", &[("access_token", &t)]).await;
    assert_eq!(a.error_code(), Some(4));
    assert_eq!(a.body["error"]["is_transient"], true);
    assert_eq!(a.header_json("x-app-usage")["call_count"], 100);
    let acc = app.sb.dataset().accounts()[0].id.clone();
    assert_eq!(app.get(&acc, &[("access_token", &t)]).await.error_code(), Some(4));
    assert_eq!(app.sb.stats().calls_while_blocked, 1);
}
