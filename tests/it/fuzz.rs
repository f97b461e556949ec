//! Bad input, generated: random paths, query strings, bodies, content types, cookies and
//! signed requests against every route of the API and the pages (the routes come from the
//! OpenAPI document, so a new route is fuzzed without editing this file). Whatever arrives,
//! adsync answers below 500 and keeps serving. The cases are drawn from a fixed seed, so a
//! failure replays exactly; the failing request is printed.

use adsync_connect::signed_request;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;

use crate::connect::{auto_approve, connected};
use crate::helpers::{Backend, client};

/// Browser pages (HTML forms), which the OpenAPI document does not list.
const PAGES: &[(&str, &str)] = &[
    ("get", "/"),
    ("get", "/login"),
    ("post", "/login"),
    ("post", "/logout"),
    ("get", "/teams"),
    ("get", "/teams/{team}/dashboard"),
    ("get", "/teams/{team}/connectors"),
    ("post", "/teams/{team}/connectors/facebook/connect"),
    ("post", "/teams/{team}/connectors/facebook/disconnect"),
    ("post", "/teams/{team}/syncs"),
    ("get", "/assets/app.css"),
    ("get", "/assets/progress.js"),
];

/// Parameter names the routes read, so random values reach the parsers behind them.
const KEYS: &[&str] = &[
    "since",
    "until",
    "level",
    "granularity",
    "metrics",
    "ad_account_id",
    "window",
    "sort",
    "limit",
    "code",
    "state",
    "error",
    "error_reason",
    "connect",
    "preset",
    "campaign",
    "adset",
    "email",
    "password",
    "signed_request",
    "next",
    "format",
];

const NASTY: &[&str] = &[
    "",
    "0",
    "-1",
    "99999999999999999999999",
    "9223372036854775807",
    "2026-02-30",
    "0000-01-01",
    "9999-12-31",
    "1970-01-01",
    "2026-11-20",
    "ad,campaign,,",
    "roas,ctr,cpc,cpm,reach",
    "-spend",
    "act_1",
    "'; DROP TABLE users; --",
    "%00",
    "\u{0}",
    "é🙂\u{202e}",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "NaN",
    "1e309",
    "true",
    "null",
];

const CASES: u32 = 1500;

#[derive(Debug, Clone)]
struct Case {
    route: usize,
    team: String,
    id: String,
    query: Vec<(String, String)>,
    body: Body,
    cookie: Cookie,
}

#[derive(Debug, Clone)]
enum Body {
    None,
    Json(Value),
    Form(Vec<(String, String)>),
    Bytes(String, Vec<u8>),
    SignedRequest(Value, bool),
}

#[derive(Debug, Clone)]
enum Cookie {
    Owner,
    Anonymous,
    Garbage(String),
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(NASTY).prop_map(str::to_string),
        any::<String>(),
        "[a-z0-9_,.-]{0,40}",
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((proptest::sample::select(KEYS).prop_map(str::to_string), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec(
        (
            prop_oneof![
                4 => proptest::sample::select(KEYS).prop_map(str::to_string),
                1 => text(),
            ],
            text(),
        ),
        0..6,
    )
}

fn case(routes: usize, team: String) -> impl Strategy<Value = Case> {
    let body = prop_oneof![
        Just(Body::None),
        json().prop_map(Body::Json),
        pairs().prop_map(Body::Form),
        (
            proptest::sample::select(
                &[
                    "application/json",
                    "application/x-www-form-urlencoded",
                    "text/plain",
                    ""
                ][..]
            ),
            proptest::collection::vec(any::<u8>(), 0..256)
        )
            .prop_map(|(ct, b)| Body::Bytes(ct.to_string(), b)),
        (json(), any::<bool>()).prop_map(|(p, valid)| Body::SignedRequest(p, valid)),
    ];
    let cookie = prop_oneof![
        Just(Cookie::Owner),
        Just(Cookie::Anonymous),
        text().prop_map(Cookie::Garbage),
    ];
    (
        0..routes,
        prop_oneof![3 => Just(team), 1 => text()],
        text(),
        pairs(),
        body,
        cookie,
    )
        .prop_map(|(route, team, id, query, body, cookie)| Case {
            route,
            team,
            id,
            query,
            body,
            cookie,
        })
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn random_input_never_gets_a_5xx_or_stops_the_server() {
    let f = connected(Backend::Postgres, auto_approve()).await;
    crate::connect::seed_synced_rows(&f.app, f.team).await;
    let secret = f.app.sandbox.as_ref().expect("sandbox").app_secret().to_string();
    let session = f.app.get(&f.c, "/teams").await.status();
    assert_eq!(session, 200, "the owner's session works");

    let (_, doc) = f.app.get_json(&client(), "/api/v1/openapi.json").await;
    let mut routes: Vec<(String, String)> = PAGES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    for (method, path, _) in crate::openapi::operations(&doc) {
        // Signing out would end the session the other cases use.
        if !(method == "delete" && path == "/api/v1/session") {
            routes.push((method, path));
        }
    }

    let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]));
    let strategy = case(routes.len(), f.team.to_string());
    let anonymous = client();
    let mut seen = std::collections::BTreeMap::<u16, u32>::new();
    for n in 0..CASES {
        let case = strategy.new_tree(&mut runner).expect("case").current();
        let (method, template) = &routes[case.route];
        let path = template
            .replace("{team}", &encode(&case.team))
            .replace("{id}", &encode(&case.id))
            .replace("{code}", &encode(&case.id));
        let query: Vec<String> = case
            .query
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        let url = format!("{}?{}", f.app.url(&path), query.join("&"));
        let http = match &case.cookie {
            Cookie::Owner => &f.c,
            _ => &anonymous,
        };
        let mut req = http.request(method.to_uppercase().parse().expect("method"), &url);
        if let Cookie::Garbage(v) = &case.cookie {
            req = req.header("cookie", format!("adsync_session={}", encode(v)));
        }
        req = match &case.body {
            Body::None => req,
            Body::Json(v) => req.json(v),
            Body::Form(kv) => req.form(kv),
            Body::Bytes(ct, b) if ct.is_empty() => req.body(b.clone()),
            Body::Bytes(ct, b) => req.header("content-type", ct.as_str()).body(b.clone()),
            Body::SignedRequest(payload, valid) => {
                let key = if *valid { secret.as_str() } else { "not-the-secret" };
                req.form(&[("signed_request", signed_request::sign(payload, key))])
            }
        };
        let res = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("case {n}: {method} {url}: {e}"));
        let status = res.status();
        *seen.entry(status.as_u16()).or_default() += 1;
        let body = res.text().await.unwrap_or_default();
        assert!(
            status.as_u16() < 500,
            "case {n}: {method} {url} with {:?} / {:?} answered {status}: {body}",
            case.body,
            case.cookie
        );
    }
    // The cases reached the handlers, not only the front door: some succeeded, some were
    // refused as bad input.
    eprintln!("statuses over {CASES} cases: {seen:?}");
    assert!(seen.contains_key(&200) && seen.contains_key(&400), "{seen:?}");
    let (status, _) = f.app.get_json(&client(), "/readyz").await;
    assert_eq!(status, 200, "still serving after the fuzzing");
}
