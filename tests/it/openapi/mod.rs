//! `GET /api/v1/openapi.json`: every route of the contract is documented, and every
//! documented operation behaves as documented: secured ones refuse anonymous callers, and
//! each answers a signed-in owner with one of its documented statuses.

use std::collections::HashSet;

use adsync_common::ids::Role;
use serde_json::{Value, json};

use crate::helpers::{Backend, client, spawn_app};

mod answers;

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
    ("get", "/api/v1/teams/{team}/connectors/{provider}/proxy/{path}"),
    ("get", "/api/v1/teams/{team}/syncs"),
    ("post", "/api/v1/teams/{team}/syncs"),
    ("get", "/api/v1/teams/{team}/syncs/{id}"),
    ("get", "/api/v1/teams/{team}/metrics"),
    ("get", "/api/v1/teams/{team}/conversions"),
    ("get", "/api/v1/teams/{team}/settings"),
    ("patch", "/api/v1/teams/{team}/settings"),
    ("get", "/api/v1/teams/{team}/webhooks"),
    ("post", "/api/v1/teams/{team}/webhooks"),
    ("delete", "/api/v1/teams/{team}/webhooks/{id}"),
    ("get", "/api/v1/teams/{team}/webhooks/{id}/deliveries"),
    (
        "post",
        "/api/v1/teams/{team}/webhooks/{id}/deliveries/{delivery}/replay",
    ),
    ("get", "/api/v1/openapi.json"),
    ("get", "/oauth/facebook/callback"),
    ("post", "/facebook/deauthorize"),
    ("post", "/facebook/data-deletion"),
    ("get", "/facebook/deletion-status/{code}"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
];

/// What `instance` breaks of `schema`, an OpenAPI schema object that may `$ref` the
/// document's components.
pub fn schema_errors(doc: &Value, schema: &Value, instance: &Value) -> Vec<String> {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"],
        "allOf": [schema],
    });
    let validator = jsonschema::draft202012::new(&root).unwrap_or_else(|e| panic!("a valid schema: {e}: {schema}"));
    validator
        .iter_errors(instance)
        .map(|e| format!("{e} (at {})", e.instance_path))
        .collect()
}

/// Checks an answer against what `op` documents for its status: a documented media type,
/// and a JSON body valid against that media type's schema.
pub fn check_answer(doc: &Value, label: &str, op: &Value, status: u16, content_type: Option<&str>, body: &str) {
    let response = &op["responses"][status.to_string()];
    assert!(response.is_object(), "{label}: {status} is not documented");
    let Some(content) = response["content"].as_object() else {
        assert!(body.is_empty(), "{label}: {status} documents no body, got {body}");
        return;
    };
    let media = content_type
        .and_then(|c| c.split(';').next())
        .map(str::trim)
        .unwrap_or_default();
    let Some(documented) = content.get(media) else {
        panic!(
            "{label}: {status} answered {media:?}, documented {:?}",
            content.keys().collect::<Vec<_>>()
        )
    };
    if media.ends_with("json") {
        let value: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{label}: {e}: {body}"));
        let errors = schema_errors(doc, &documented["schema"], &value);
        assert!(errors.is_empty(), "{label} {status}: {errors:#?}\n{body}");
    }
}

/// An answer's status, media type and body.
pub async fn answered(res: reqwest::Response) -> (u16, Option<String>, String) {
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    (status, content_type, res.text().await.unwrap_or_default())
}

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
                .replace("{delivery}", "987654")
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
            let (status, content_type, body) = answered(request(&anonymous).send().await.expect("request")).await;
            assert_eq!(status, 401, "{method} {path} without credentials");
            check_answer(
                &doc,
                &format!("{method} {path} (anonymous)"),
                op,
                401,
                content_type.as_deref(),
                &body,
            );
        }
        // A fresh session per call: DELETE /api/v1/session ends the one it is sent with.
        let signed_in = app.signed_in("owner@example.com").await;
        let label = format!("{} {path}", method.to_uppercase());
        let (status, content_type, body) = answered(request(&signed_in).send().await.expect("request")).await;
        assert!(
            documented.contains(&status.to_string()),
            "{label} answered {status}, documented {documented:?}: {body}"
        );
        assert!(!body.contains("No route for"), "{label} is routed: {body}");
        check_answer(&doc, &label, op, status, content_type.as_deref(), &body);

        // Someone signed in who is not in the team gets a documented answer too.
        if path.contains("{team}") && op.get("security").is_some() {
            let stranger = app.signed_in("stranger@example.com").await;
            let (status, content_type, body) = answered(request(&stranger).send().await.expect("request")).await;
            check_answer(
                &doc,
                &format!("{label} (non-member)"),
                op,
                status,
                content_type.as_deref(),
                &body,
            );
        }
    }
}

/// The document is valid OpenAPI 3.1 by the OpenAPI Initiative's own schema for it
/// (`tests/fixtures/openapi-3.1-schema.json`, published at
/// https://spec.openapis.org/oas/3.1/schema/2022-10-07 under Apache-2.0), every operation has
/// its own id, every `$ref` names a schema of the document, and every success answer with a
/// JSON body has a named schema.
#[tokio::test]
async fn the_document_is_valid_openapi_with_named_schemas() {
    let app = spawn_app(Backend::Sqlite).await;
    let (status, doc) = app.get_json(&client(), "/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    let spec: Value = serde_json::from_str(include_str!("../../fixtures/openapi-3.1-schema.json")).expect("schema");
    let validator = jsonschema::draft202012::new(&spec).expect("the OpenAPI schema");
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} (at {})", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let ops = operations(&doc);
    let ids: Vec<&str> = ops
        .iter()
        .map(|(_, _, op)| op["operationId"].as_str().expect("an operationId"))
        .collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "operationIds repeat: {ids:?}");

    // The answer check sees a wrong answer: a count sent as a string, a row without its id.
    let row = json!({"$ref": "#/components/schemas/MetricsRow"});
    let good = json!({"date": "2026-03-01", "id": "1", "name": null, "impressions": 12, "spend": "1.50"});
    assert_eq!(schema_errors(&doc, &row, &good), Vec::<String>::new());
    assert!(
        !schema_errors(
            &doc,
            &row,
            &json!({"date": "2026-03-01", "id": "1", "name": null, "impressions": "12"})
        )
        .is_empty()
    );
    assert!(!schema_errors(&doc, &row, &json!({"date": "2026-03-01", "name": "x"})).is_empty());

    let schemas = doc["components"]["schemas"].as_object().expect("component schemas");
    let text = doc.to_string();
    for reference in text
        .split("\"$ref\":\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
    {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("a local ref: {reference}"));
        assert!(schemas.contains_key(name), "{reference} names no schema");
    }
    for (method, path, op) in &ops {
        for (status, response) in op["responses"].as_object().expect("responses") {
            for (media, content) in response["content"].as_object().into_iter().flatten() {
                if media.ends_with("json") {
                    assert!(
                        content["schema"]["$ref"].is_string(),
                        "{method} {path} {status} {media}: a named schema, not {}",
                        content["schema"]
                    );
                }
            }
        }
    }
    app.stop().await;
}
