//! Alerts to webhooks: an owner registers an endpoint, a token that expired produces exactly
//! one signed `connection.needs_reconnect` event, a failed delivery is kept with its status
//! and retried later, and a replay sends it again. Members cannot see or change webhooks.

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};

use adsync_worker::expiry;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::connect::{auto_approve, fixture};
use crate::helpers::{Backend, assert_problem};

/// Delivers the due webhook events as the worker does, returning how many were sent.
async fn deliver(state: &adsync_worker::WorkerState, http: &reqwest::Client) -> usize {
    adsync_worker::alerts::deliver_due(state, http).await.expect("deliver")
}

/// A request the endpoint received.
struct Received {
    headers: HeaderMap,
    body: String,
}

/// A local endpoint that answers `status` and hands every request to the test.
async fn endpoint() -> (String, mpsc::UnboundedReceiver<Received>, Arc<AtomicU16>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let status = Arc::new(AtomicU16::new(200));
    let answer = status.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let (tx, answer) = (tx.clone(), answer.clone());
            async move {
                let _ = tx.send(Received { headers, body });
                StatusCode::from_u16(answer.load(Ordering::SeqCst)).unwrap_or(StatusCode::OK)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, rx, status)
}

/// Checks `Adsync-Signature` as a receiver would: the HMAC of `"<t>.<body>"` under the secret.
fn signature_is_valid(received: &Received, secret: &str) -> bool {
    let Some(header) = received.headers.get("adsync-signature").and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let parts: Vec<(&str, &str)> = header.split(',').filter_map(|p| p.split_once('=')).collect();
    let find = |k: &str| parts.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
    let (Some(t), Some(v1)) = (find("t"), find("v1")) else {
        return false;
    };
    let fresh = t
        .parse::<i64>()
        .is_ok_and(|t| (chrono::Utc::now().timestamp() - t).abs() < 300);
    let expected =
        adsync_common::crypto::hmac_sha256_hex(secret.as_bytes(), format!("{t}.{}", received.body).as_bytes());
    fresh && v1 == expected
}

async fn an_expired_token_sends_one_signed_event_and_deliveries_can_be_replayed(backend: Backend) {
    let f = fixture(backend, auto_approve()).await;
    assert_eq!(f.connect().await, f.connected_location());
    let (url, mut received, status) = endpoint().await;
    let hooks = format!("/api/v1/teams/{}/webhooks", f.team);

    // Registering: bad URLs are refused, members get 403, the secret is in the answer once.
    for bad in ["http://hooks.example.com/x", "not a url"] {
        let res = f.app.post(&f.c, &hooks, json!({ "url": bad })).await;
        assert!(assert_problem(res, 400).await.contains("url"));
    }
    let res = f.app.post(&f.c, &hooks, json!({ "url": url })).await;
    assert_eq!(res.status(), 201);
    let registered: Value = res.json().await.expect("json");
    let secret = registered["secret"].as_str().expect("secret").to_string();
    let webhook = registered["webhook"]["id"].as_i64().expect("id");
    let (_, listed) = f.app.get_json(&f.c, &hooks).await;
    assert_eq!(listed["webhooks"][0]["url"], url.as_str());
    assert!(!listed.to_string().contains(&secret), "the secret is shown once");
    let member = f.app.user("member@example.com").await;
    adsync_storage::teams::set_member(&f.app.db, f.team, member, adsync_common::ids::Role::Member)
        .await
        .expect("member");
    let mc = f.app.signed_in("member@example.com").await;
    assert_eq!(f.app.get_json(&mc, &hooks).await.0, 403);
    let stored = crate::helpers::stored_text(&f.app.db, f.app.config.database_url.expose()).await;
    assert!(!stored.contains(&secret), "the secret is encrypted at rest");

    // The token expires; the watch marks the connection, and one event goes out, signed.
    let (_, token) = f.stored_token().await;
    f.control().expire_token(token.expose());
    let connector = f.app.connector.as_ref().expect("connector");
    assert_eq!(expiry::check_all(connector).await.expect("check").needs_reconnect, 1);
    let state = f.app.worker().await;
    let http = adsync_worker::alerts::client();
    assert_eq!(deliver(&state, &http).await, 1);
    let first = received.recv().await.expect("a delivery");
    assert!(signature_is_valid(&first, &secret), "{:?}", first.headers);
    let event: Value = serde_json::from_str(&first.body).expect("json");
    assert_eq!(event["type"], "connection.needs_reconnect", "{event}");
    assert_eq!(event["team_id"], f.team.0);
    assert_eq!(event["data"]["platform"], "facebook");
    assert!(event["id"].as_str().is_some_and(|id| id.starts_with("evt_")));
    assert_eq!(first.headers["adsync-event-id"], event["id"].as_str().expect("id"));
    // Checked again, the connection is already marked: nothing more is sent.
    expiry::check_all(connector).await.expect("check");
    assert_eq!(deliver(&state, &http).await, 0);
    assert!(received.try_recv().is_err(), "exactly one event");
    let deliveries = format!("{hooks}/{webhook}/deliveries");
    let (_, list) = f.app.get_json(&f.c, &deliveries).await;
    let d = &list["deliveries"][0];
    assert_eq!(
        (d["status"].as_str(), d["attempts"].as_i64(), d["last_status"].as_i64()),
        (Some("delivered"), Some(1), Some(200)),
        "{list}"
    );
    assert_eq!(list["deliveries"].as_array().map(Vec::len), Some(1));

    // Replayed while the endpoint fails: kept pending with its status, retried later.
    status.store(503, Ordering::SeqCst);
    let replay = format!("{deliveries}/{}/replay", d["id"]);
    assert_eq!(f.c.post(f.app.url(&replay)).send().await.expect("replay").status(), 202);
    assert_eq!(deliver(&state, &http).await, 1);
    let again = received.recv().await.expect("sent again");
    assert_eq!(again.body, first.body, "the same event");
    assert!(signature_is_valid(&again, &secret));
    let (_, list) = f.app.get_json(&f.c, &deliveries).await;
    let d = &list["deliveries"][0];
    assert_eq!(
        (d["status"].as_str(), d["attempts"].as_i64(), d["last_status"].as_i64()),
        (Some("pending"), Some(2), Some(503)),
        "{list}"
    );
    let next: chrono::DateTime<chrono::Utc> = d["next_attempt_at"].as_str().expect("time").parse().expect("rfc3339");
    assert!(next > chrono::Utc::now(), "retried later, not at once");
    assert_eq!(deliver(&state, &http).await, 0, "not due yet");
    status.store(200, Ordering::SeqCst);
    assert_eq!(f.c.post(f.app.url(&replay)).send().await.expect("replay").status(), 202);
    assert_eq!(deliver(&state, &http).await, 1);
    received.recv().await.expect("delivered at last");
    let (_, list) = f.app.get_json(&f.c, &deliveries).await;
    assert_eq!(list["deliveries"][0]["status"], "delivered", "{list}");

    // Other teams' deliveries are not reachable; removing the endpoint removes them.
    assert_eq!(
        f.c.post(f.app.url(&format!("{hooks}/{webhook}/deliveries/999999/replay")))
            .send()
            .await
            .expect("replay")
            .status(),
        404
    );
    assert_eq!(f.app.delete_json(&f.c, &format!("{hooks}/{webhook}")).await.0, 204);
    assert_eq!(f.app.get_json(&f.c, &deliveries).await.0, 404);
    f.app.stop().await;
}

/// The connectors page's alerts card: the form adds a webhook and the answer shows its
/// secret once; the card lists it; Remove takes it away; members cannot post the forms.
async fn the_alerts_card_adds_and_removes_webhooks(backend: Backend) {
    let f = fixture(backend, auto_approve()).await;
    let page = format!("/teams/{}/connectors", f.team);
    let res =
        f.c.post(f.app.url(&format!("/teams/{}/webhooks", f.team)))
            .header("origin", f.app.base.as_str())
            .form(&[("url", "https://hooks.example.com/from-the-page")])
            .send()
            .await
            .expect("add");
    assert_eq!(res.status(), 200);
    let html = res.text().await.expect("html");
    let secret = html
        .split("whsec_")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .map(|s| format!("whsec_{s}"))
        .expect("the secret on the page");
    let listed = f.app.page_text(&f.c, &page).await;
    assert!(listed.contains("https://hooks.example.com/from-the-page"), "listed");
    assert!(!listed.contains(&secret), "shown once");
    let hook = adsync_storage::webhooks::list(&f.app.db, f.team).await.expect("hooks")[0].id;

    let member = f.app.user("member@example.com").await;
    adsync_storage::teams::set_member(&f.app.db, f.team, member, adsync_common::ids::Role::Member)
        .await
        .expect("member");
    let mc = f.app.signed_in("member@example.com").await;
    let res = mc
        .post(f.app.url(&format!("/teams/{}/webhooks/{hook}/delete", f.team)))
        .header("origin", f.app.base.as_str())
        .send()
        .await
        .expect("member delete");
    assert_eq!(res.status(), 403);

    let res =
        f.c.post(f.app.url(&format!("/teams/{}/webhooks/{hook}/delete", f.team)))
            .header("origin", f.app.base.as_str())
            .send()
            .await
            .expect("delete");
    assert_eq!(res.status(), 303);
    assert!(
        adsync_storage::webhooks::list(&f.app.db, f.team)
            .await
            .expect("hooks")
            .is_empty()
    );
    f.app.stop().await;
}

crate::on_both_backends!(
    an_expired_token_sends_one_signed_event_and_deliveries_can_be_replayed,
    the_alerts_card_adds_and_removes_webhooks,
);
