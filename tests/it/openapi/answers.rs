//! After a real connection and backfill, the answers that carry data match their schemas.

use std::collections::HashSet;

use serde_json::{Value, json};

use super::{answered, check_answer, operations};
use crate::helpers::{Backend, client};

/// After a real connection and backfill, the answers that carry data match their schemas
/// too: every metric of the catalogue with its JSON type, a truncated answer's cursor, runs,
/// events, the connector card, conversions, settings, and Facebook's callbacks.
async fn answers_with_data_match_their_schemas(backend: Backend) {
    let f = crate::metrics::synced(backend).await;
    let (status, doc) = f.app.get_json(&client(), "/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    let ops = operations(&doc);
    let t = f.team;
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    let (since, until) = (ds.today() - chrono::Duration::days(29), ds.today());
    let every_metric = format!(
        "{},action:link_click,action_value:offsite_conversion.fb_pixel_purchase,cost_per_action:link_click",
        adsync_common::reporting::metric_names().join(",")
    );
    let range = format!("since={since}&until={until}");
    let runs = adsync_storage::sync_runs::list(&f.app.db, t, 1).await.expect("runs");
    let run = runs[0].id.0;
    let accounts: Vec<String> = ds.accounts().iter().map(|a| a.id.clone()).collect();
    let hook = adsync_storage::webhooks::create(&f.app.db, t, "https://hooks.example.com/a", "unused")
        .await
        .expect("webhook")
        .id;
    adsync_storage::webhooks::alert(&f.app.db, t, "sync.failed", json!({"run_id": run}))
        .await
        .expect("alert");
    let delivery = adsync_storage::webhooks::deliveries(&f.app.db, t, hook, 1)
        .await
        .expect("deliveries")[0]
        .id;
    let calls: Vec<(&str, &str, String, Option<Value>)> = vec![
        ("get", "/api/v1/teams", "/api/v1/teams".into(), None),
        ("get", "/api/v1/teams/{team}", format!("/api/v1/teams/{t}"), None),
        (
            "get",
            "/api/v1/teams/{team}/connectors",
            format!("/api/v1/teams/{t}/connectors"),
            None,
        ),
        (
            "get",
            "/api/v1/teams/{team}/connectors/events",
            format!("/api/v1/teams/{t}/connectors/events?limit=1"),
            None,
        ),
        (
            "get",
            "/api/v1/teams/{team}/connectors/{provider}/proxy/{path}",
            format!("/api/v1/teams/{t}/connectors/facebook/proxy/me/adaccounts?fields=name"),
            None,
        ),
        (
            "get",
            "/api/v1/teams/{team}/conversions",
            format!("/api/v1/teams/{t}/conversions"),
            None,
        ),
        (
            "get",
            "/api/v1/teams/{team}/settings",
            format!("/api/v1/teams/{t}/settings"),
            None,
        ),
        (
            "get",
            "/api/v1/teams/{team}/syncs",
            format!("/api/v1/teams/{t}/syncs"),
            None,
        ),
        (
            "get",
            "/api/v1/teams/{team}/syncs/{id}",
            format!("/api/v1/teams/{t}/syncs/{run}"),
            None,
        ),
        (
            "get",
            "/api/v1/teams/{team}/metrics",
            format!(
                "/api/v1/teams/{t}/metrics?{range}&level=campaign&granularity=day&metrics={every_metric}&limit=5&ad_account_id={}",
                accounts[0]
            ),
            None,
        ),
        (
            "get",
            "/api/v1/teams/{team}/metrics",
            format!(
                "/api/v1/teams/{t}/metrics?{range}&level=ad&granularity=total&metrics=reach,spend,ctr&ad_account_id={}",
                accounts[0]
            ),
            None,
        ),
        (
            "patch",
            "/api/v1/teams/{team}/settings",
            format!("/api/v1/teams/{t}/settings"),
            Some(json!({"primary_conversion": "leads"})),
        ),
        (
            "post",
            "/api/v1/teams/{team}/syncs",
            format!("/api/v1/teams/{t}/syncs"),
            Some(json!({})),
        ),
        (
            "put",
            "/api/v1/teams/{team}/connectors/facebook/ad-accounts",
            format!("/api/v1/teams/{t}/connectors/facebook/ad-accounts"),
            Some(json!({"synced": accounts})),
        ),
        (
            "post",
            "/api/v1/teams/{team}/connectors/facebook/connect",
            format!("/api/v1/teams/{t}/connectors/facebook/connect"),
            None,
        ),
        (
            "post",
            "/api/v1/teams/{team}/webhooks",
            format!("/api/v1/teams/{t}/webhooks"),
            Some(json!({"url": "https://hooks.example.com/b"})),
        ),
        (
            "get",
            "/api/v1/teams/{team}/webhooks",
            format!("/api/v1/teams/{t}/webhooks"),
            None,
        ),
        (
            "get",
            "/api/v1/teams/{team}/webhooks/{id}/deliveries",
            format!("/api/v1/teams/{t}/webhooks/{hook}/deliveries"),
            None,
        ),
        (
            "post",
            "/api/v1/teams/{team}/webhooks/{id}/deliveries/{delivery}/replay",
            format!("/api/v1/teams/{t}/webhooks/{hook}/deliveries/{delivery}/replay"),
            None,
        ),
        (
            "delete",
            "/api/v1/teams/{team}/webhooks/{id}",
            format!("/api/v1/teams/{t}/webhooks/{hook}"),
            None,
        ),
        ("get", "/healthz", "/healthz".into(), None),
        ("get", "/readyz", "/readyz".into(), None),
        ("get", "/api/v1/openapi.json", "/api/v1/openapi.json".into(), None),
        (
            "delete",
            "/api/v1/teams/{team}/connectors/facebook",
            format!("/api/v1/teams/{t}/connectors/facebook"),
            None,
        ),
    ];
    let mut checked = HashSet::new();
    for (method, template, url, body) in calls {
        let (_, _, op) = ops
            .iter()
            .find(|(m, p, _)| m == method && p == template)
            .unwrap_or_else(|| panic!("{method} {template} is documented"));
        let mut req =
            f.c.request(method.to_uppercase().parse().expect("method"), f.app.url(&url));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("request");
        let (status, content_type, text) = answered(res).await;
        assert!((200..300).contains(&status), "{method} {url}: {status} {text}");
        if url.contains("limit=5") {
            let v: Value = serde_json::from_str(&text).expect("json");
            assert!(
                v["next_cursor"].is_string() && v["rows"][0]["impressions"].is_u64(),
                "{text}"
            );
        }
        check_answer(
            &doc,
            &format!("{method} {url}"),
            op,
            status,
            content_type.as_deref(),
            &text,
        );
        checked.insert((method, template));
    }
    // Facebook's callbacks, signed with the app secret.
    let signed = f.signed_for_user(&f.app_secret());
    for path in ["/facebook/deauthorize", "/facebook/data-deletion"] {
        let (_, _, op) = ops
            .iter()
            .find(|(m, p, _)| m == "post" && p == path)
            .expect("documented");
        let res = f.post_signed(path, &signed).await;
        let (status, content_type, text) = answered(res).await;
        check_answer(&doc, path, op, status, content_type.as_deref(), &text);
        checked.insert(("post", path));
        if path.ends_with("data-deletion") {
            let code = serde_json::from_str::<Value>(&text).expect("json")["confirmation_code"]
                .as_str()
                .expect("code")
                .to_string();
            let status_path = "/facebook/deletion-status/{code}";
            let (_, _, op) = ops
                .iter()
                .find(|(m, p, _)| m == "get" && p == status_path)
                .expect("documented");
            let res = client()
                .get(f.app.url(&format!("/facebook/deletion-status/{code}")))
                .header("accept", "application/json")
                .send()
                .await
                .expect("status");
            let (status, content_type, text) = answered(res).await;
            assert_eq!(status, 200, "{text}");
            check_answer(&doc, status_path, op, status, content_type.as_deref(), &text);
            checked.insert(("get", status_path));
        }
    }
    // Signing in.
    let (_, _, op) = ops
        .iter()
        .find(|(m, p, _)| m == "post" && p == "/api/v1/session")
        .expect("documented");
    let res = f
        .app
        .sign_in(&client(), "owner@example.com", crate::helpers::PASSWORD)
        .await;
    let (status, content_type, text) = answered(res).await;
    assert_eq!(status, 200, "{text}");
    check_answer(&doc, "sign in", op, status, content_type.as_deref(), &text);
    checked.insert(("post", "/api/v1/session"));
    // The rest carry no JSON: signing out (204), the OAuth callback (a redirect) and
    // Prometheus text.
    let mut rest: Vec<String> = ops
        .iter()
        .filter(|(m, p, _)| !checked.contains(&(m.as_str(), p.as_str())))
        .map(|(m, p, _)| format!("{m} {p}"))
        .collect();
    rest.sort();
    assert_eq!(
        rest,
        ["delete /api/v1/session", "get /metrics", "get /oauth/facebook/callback"],
        "every other route's success answer is checked here"
    );
    f.app.stop().await;
}

crate::on_both_backends!(answers_with_data_match_their_schemas);
