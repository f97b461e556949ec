//! Who may do what on every connectors route: the owner acts, a member gets 403 with a
//! pointer to the owner, another team's owner gets 404, nobody signed in gets 401 / login.

use adsync_common::ids::Role;
use reqwest::Method;

use super::{auto_approve, connected};
use crate::helpers::{Backend, client};

/// (method, path template, is a browser page).
const ROUTES: &[(&str, &str, bool)] = &[
    ("GET", "/api/v1/teams/{t}/connectors", false),
    ("GET", "/api/v1/teams/{t}/connectors/events", false),
    ("POST", "/api/v1/teams/{t}/connectors/facebook/connect", false),
    ("DELETE", "/api/v1/teams/{t}/connectors/facebook", false),
    ("GET", "/teams/{t}/connectors", true),
    ("POST", "/teams/{t}/connectors/facebook/connect", true),
    ("POST", "/teams/{t}/connectors/facebook/disconnect", true),
];

async fn send(c: &reqwest::Client, base: &str, method: &str, path: &str) -> reqwest::Response {
    let method = Method::from_bytes(method.as_bytes()).expect("method");
    c.request(method, format!("{base}{path}"))
        .send()
        .await
        .expect("request")
}

async fn every_connectors_route_is_owner_only(backend: Backend) {
    let f = connected(backend, auto_approve()).await;
    let member = f.app.user("member@example.com").await;
    adsync_storage::teams::set_member(&f.app.db, f.team, member, Role::Member)
        .await
        .expect("member");
    let stranger = f.app.user("other-owner@example.com").await;
    f.app.team("Other", &[(stranger, Role::Owner)]).await;
    let member_c = f.app.signed_in("member@example.com").await;
    let stranger_c = f.app.signed_in("other-owner@example.com").await;
    let anonymous = client();
    let before = f.stored_token().await.0;

    for (method, template, page) in ROUTES {
        let path = template.replace("{t}", &f.team.to_string());
        let res = send(&member_c, &f.app.base, method, &path).await;
        assert_eq!(res.status(), 403, "member {method} {path}");
        let text = res.text().await.expect("body");
        assert!(text.contains("owner"), "member {method} {path}: {text}");

        let res = send(&stranger_c, &f.app.base, method, &path).await;
        assert_eq!(res.status(), 404, "other team's owner {method} {path}");

        let res = send(&anonymous, &f.app.base, method, &path).await;
        if *page {
            assert_eq!(res.status(), 303, "anonymous {method} {path}");
            // A page comes back after signing in; a form post does not.
            let login = match *method {
                "GET" => format!("/login?next={}", path.replace('/', "%2F")),
                _ => "/login".to_string(),
            };
            assert_eq!(res.headers()["location"], login.as_str());
        } else {
            assert_eq!(res.status(), 401, "anonymous {method} {path}");
        }
    }
    // A member's API call gets problem+json asking for the owner.
    let res = send(
        &member_c,
        &f.app.base,
        "GET",
        &format!("/api/v1/teams/{}/connectors", f.team),
    )
    .await;
    let detail = crate::helpers::assert_problem(res, 403).await;
    assert!(detail.contains("owner"), "{detail}");
    // Nothing the others did changed the connection.
    assert_eq!(f.stored_token().await.0, before);
    assert_eq!(f.card().await["status"], "connected");

    // The owner may use every route.
    let t = f.team;
    let (status, events) = f
        .app
        .get_json(&f.c, &format!("/api/v1/teams/{t}/connectors/events"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(events["next_cursor"], serde_json::Value::Null, "one page");
    let events = &events["events"];
    assert_eq!(events[0]["kind"], "connection_created", "{events}");
    assert_eq!(events[0]["actor"], f.owner.0, "the owner is the actor");
    assert!(events[0]["detail"].is_string());
    let res = send(&f.c, &f.app.base, "GET", &format!("/teams/{t}/connectors")).await;
    assert_eq!(res.status(), 200);
    let res = send(
        &f.c,
        &f.app.base,
        "POST",
        &format!("/teams/{t}/connectors/facebook/connect"),
    )
    .await;
    assert_eq!(res.status(), 303, "the page redirects to the dialog");
    let dialog = res.headers()["location"].to_str().expect("location").to_string();
    assert!(dialog.starts_with(&f.sandbox_url()), "{dialog}");
    let res = send(
        &f.c,
        &f.app.base,
        "POST",
        &format!("/teams/{t}/connectors/facebook/disconnect"),
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/teams/{t}/connectors?disconnected=revoked").as_str()
    );
    let res = send(
        &f.c,
        &f.app.base,
        "DELETE",
        &format!("/api/v1/teams/{t}/connectors/facebook"),
    )
    .await;
    crate::helpers::assert_problem(res, 404).await;

    // A member's page explains whom to ask.
    let page = f.app.page_text(&member_c, &format!("/teams/{t}/connectors")).await;
    assert!(
        page.contains("Ask your team owner (owner@example.com) to connect Facebook Ads"),
        "{page}"
    );
    f.app.stop().await;
}

async fn not_configured_shows_no_connect(backend: Backend) {
    let app = crate::helpers::spawn_app(backend).await;
    let (_, team, c) = app.owner("owner@example.com", "Acme").await;
    let (status, body) = app.get_json(&c, &format!("/api/v1/teams/{team}/connectors")).await;
    assert_eq!(status, 200);
    assert_eq!(body["connectors"][0]["configured"], false, "{body}");
    let page = app.page_text(&c, &format!("/teams/{team}/connectors")).await;
    assert!(page.contains("Not configured") && !page.contains("Connect Facebook Ads"));
    let res = c
        .post(app.url(&format!("/api/v1/teams/{team}/connectors/facebook/connect")))
        .send()
        .await
        .expect("connect");
    crate::helpers::assert_problem(res, 409).await;
    // Facebook's callbacks need the app secret to verify anything.
    let res = c
        .post(app.url("/facebook/deauthorize"))
        .form(&[("signed_request", "a.b")])
        .send()
        .await
        .expect("deauthorize");
    crate::helpers::assert_problem(res, 404).await;
    app.stop().await;
}

crate::on_both_backends!(every_connectors_route_is_owner_only, not_configured_shows_no_connect);
