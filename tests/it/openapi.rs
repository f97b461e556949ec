//! `GET /api/v1/openapi.json`: every route of the contract is documented, and every
//! documented operation behaves as documented: secured ones refuse anonymous callers, and
//! each answers a signed-in owner with one of its documented statuses.

use adsync_common::ids::Role;
use serde_json::Value;

use crate::helpers::{Backend, client, spawn_app};

/// The routes of the outside interface (README), plus the ones this project added.
const PROMISED: &[(&str, &str)] = &[
    ("post", "/api/v1/session"),
    ("delete", "/api/v1/session"),
    ("get", "/api/v1/teams"),
    ("get", "/api/v1/teams/{team}"),
    ("get", "/api/v1/teams/{team}/connectors"),
    ("get", "/api/v1/teams/{team}/connectors/events"),
    ("post", "/api/v1/teams/{team}/connectors/facebook/connect"),
    ("delete", "/api/v1/teams/{team}/connectors/facebook"),
    ("put", "/api/v1/teams/{team}/connectors/facebook/ad-accounts"),
    ("get", "/api/v1/teams/{team}/syncs"),
    ("post", "/api/v1/teams/{team}/syncs"),
    ("get", "/api/v1/teams/{team}/syncs/{id}"),
    ("get", "/api/v1/teams/{team}/metrics"),
    ("get", "/api/v1/teams/{team}/conversions"),
    ("get", "/api/v1/teams/{team}/settings"),
    ("patch", "/api/v1/teams/{team}/settings"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/oauth/facebook/callback"),
    ("post", "/facebook/deauthorize"),
    ("post", "/facebook/data-deletion"),
    ("get", "/facebook/deletion-status/{code}"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
];

/// Every `(method, path, operation)` of an OpenAPI document.
pub fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            out.push((method.clone(), path.clone(), op.clone()));
        }
    }
    out
}

#[tokio::test]
async fn every_route_is_documented_and_behaves_as_documented() {
    let app = spawn_app(Backend::Sqlite).await;
    let owner = app.user("owner@example.com").await;
    let team = app.team("Acme", &[(owner, Role::Owner)]).await;
    app.user("stranger@example.com").await;
    let (status, doc) = app.get_json(&client(), "/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{doc}");
    let ops = operations(&doc);
    for (method, path) in PROMISED {
        assert!(
            ops.iter().any(|(m, p, _)| m == method && p == path),
            "{} {path} is missing from the OpenAPI document",
            method.to_uppercase()
        );
    }
    assert_eq!(
        ops.len(),
        PROMISED.len(),
        "undocumented extras or missing routes: {ops:?}"
    );

    let anonymous = client();
    for (method, path, op) in &ops {
        let url = app.url(
            &path
                .replace("{team}", &team.to_string())
                .replace("{id}", "987654")
                .replace("{code}", "unknowncode"),
        );
        let documented: Vec<String> = op["responses"]
            .as_object()
            .expect("responses")
            .keys()
            .cloned()
            .collect();
        let request = |c: &reqwest::Client| {
            let req = c.request(method.to_uppercase().parse().expect("method"), &url);
            match op["requestBody"]["content"]
                .as_object()
                .and_then(|c| c.keys().next().cloned())
            {
                Some(ct) if ct == "application/json" => req.json(&serde_json::json!({})),
                Some(_) => req.form(&[("signed_request", "not.signed")]),
                None => req,
            }
        };
        if op.get("security").is_some() {
            let res = request(&anonymous).send().await.expect("request");
            assert_eq!(res.status(), 401, "{method} {path} without credentials");
            assert!(
                documented.contains(&"401".to_string()),
                "{method} {path} documents its 401"
            );
        }
        // A fresh session per call: DELETE /api/v1/session ends the one it is sent with.
        let signed_in = app.signed_in("owner@example.com").await;
        let res = request(&signed_in).send().await.expect("request");
        let status = res.status().as_u16().to_string();
        let body = res.text().await.unwrap_or_default();
        assert!(
            documented.contains(&status),
            "{method} {path} answered {status}, documented {documented:?}: {body}"
        );
        assert!(!body.contains("No route for"), "{method} {path} is routed: {body}");

        // Someone signed in who is not in the team gets a documented answer too.
        if path.contains("{team}") && op.get("security").is_some() {
            let stranger = app.signed_in("stranger@example.com").await;
            let res = request(&stranger).send().await.expect("request");
            let status = res.status().as_u16().to_string();
            assert!(
                documented.contains(&status),
                "{method} {path} answered a non-member {status}, documented {documented:?}"
            );
        }
    }
}
