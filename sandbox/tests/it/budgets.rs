use std::time::Duration;

use adsync_sandbox::{AccountThrottle, BudgetConfig, SandboxConfig};

use crate::{auto, spawn};

#[tokio::test]
async fn account_budget_blocks_and_counts_calls_while_blocked() {
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
    let node = app.get(&acc.id, &[("access_token", &t)]).await;
    assert_eq!(node.error_code(), Some(80004));
    assert_eq!(
        app.get("me", &[("access_token", &t)]).await.status,
        200,
        "other calls still work"
    );
    let s = app.sb.stats();
    assert_eq!((s.throttled_calls, s.calls_while_blocked), (2, 1));
    tokio::time::sleep(Duration::from_millis(320)).await;
    assert_eq!(app.get(&path, &[("access_token", &t)]).await.status, 200);
    assert_eq!(app.sb.stats().calls_while_blocked, 1);
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
        assert_eq!(app.get(&acc, &[("access_token", &t)]).await.error_code(), Some(code));
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
    assert_eq!(a.header_json("x-app-usage")["call_count"], 100);
    let acc = app.sb.dataset().accounts()[0].id.clone();
    assert_eq!(app.get(&acc, &[("access_token", &t)]).await.error_code(), Some(4));
    assert_eq!(app.sb.stats().calls_while_blocked, 1);
}
