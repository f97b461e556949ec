//! Sign-in, sessions, API tokens, team scoping and bad input, on both backends.

use adsync_common::ids::Role;
use adsync_storage::api_tokens;
use serde_json::json;

use adsync_common::password::bearer_digest;

use crate::helpers::{Backend, PASSWORD, assert_problem, client, set_cookie, spawn_app, stored_text};

async fn login_sets_a_safe_cookie_and_lists_teams(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.user("ann@example.com").await;
    let team = app.team("Acme", &[(ann, Role::Owner)]).await;
    let c = client();
    let res = app.sign_in(&c, "ANN@example.com ", PASSWORD).await;
    assert_eq!(res.status(), 200);
    let cookie = set_cookie(&res);
    assert!(cookie.starts_with("adsync_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http public URL → no Secure flag");
    let (status, body) = app.get_json(&c, "/api/v1/teams").await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"teams": [{"id": team.0, "name": "Acme", "role": "owner"}]})
    );

    // Logging out ends the session server-side, not just in the browser.
    let res = c.delete(app.url("/api/v1/session")).send().await.expect("logout");
    assert_eq!(res.status(), 204);
    assert_problem(app.get(&c, "/api/v1/teams").await, 401).await;
}

async fn wrong_password_and_unknown_email_look_the_same(backend: Backend) {
    let app = spawn_app(backend).await;
    app.user("ann@example.com").await;
    let c = client();
    let mut details = Vec::new();
    for (email, password) in [
        ("ann@example.com", "wrong password"),
        ("nobody@example.com", "whatever1"),
        ("not an email", "x"),
    ] {
        let res = app.sign_in(&c, email, password).await;
        assert!(res.headers().get("set-cookie").is_none());
        details.push(assert_problem(res, 401).await);
    }
    assert!(details.windows(2).all(|w| w[0] == w[1]), "{details:?}");
}

async fn bad_input_is_a_helpful_4xx(backend: Backend) {
    let app = spawn_app(backend).await;
    let c = client();
    let post = |body: &'static str, ct: &'static str| {
        c.post(app.url("/api/v1/session"))
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let detail = assert_problem(post("{not json", "application/json").await.expect("req"), 400).await;
    assert!(detail.contains("Invalid JSON"), "{detail}");
    let detail = assert_problem(
        post(r#"{"email":"a@b.co"}"#, "application/json").await.expect("req"),
        400,
    )
    .await;
    assert!(detail.contains("password"), "missing field named: {detail}");
    let detail = assert_problem(
        post(r#"{"email":"a@b.co","password":"x","admin":true}"#, "application/json")
            .await
            .expect("req"),
        400,
    )
    .await;
    assert!(detail.contains("admin"), "unknown field named: {detail}");
    let detail = assert_problem(
        post(r#"{"email":"a@b.co","password":"x"}"#, "text/plain")
            .await
            .expect("req"),
        400,
    )
    .await;
    assert!(detail.contains("Content-Type"), "{detail}");
    let detail = assert_problem(app.get(&c, "/api/v1/nope").await, 404).await;
    assert!(detail.contains("/api/v1/nope"));
}

async fn api_tokens_authenticate_scripts(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.user("ann@example.com").await;
    app.team("Acme", &[(ann, Role::Member)]).await;
    let (_, secret) = api_tokens::create(&app.db, ann, "script").await.expect("token");
    let c = client();
    let teams = || c.get(app.url("/api/v1/teams")).bearer_auth(secret.expose()).send();
    let res = teams().await.expect("req");
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["teams"][0]["role"], "member");
    let listed = api_tokens::list(&app.db, Some(ann)).await.expect("list");
    assert!(listed[0].last_used_at.is_some(), "use is recorded");

    let detail = assert_problem(
        c.get(app.url("/api/v1/teams"))
            .bearer_auth("ads_forged")
            .send()
            .await
            .expect("req"),
        401,
    )
    .await;
    assert!(detail.contains("invalid"), "{detail}");
    let res = c
        .get(app.url("/api/v1/teams"))
        .header("authorization", "Basic abc")
        .send()
        .await
        .expect("req");
    assert_problem(res, 401).await;
    assert_problem(app.get(&c, "/api/v1/teams").await, 401).await;

    api_tokens::revoke(&app.db, listed[0].id).await.expect("revoke");
    assert_problem(teams().await.expect("req"), 401).await;
}

async fn a_member_of_team_a_cannot_read_or_change_team_b(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.user("ann@example.com").await;
    let bob = app.user("bob@example.com").await;
    let team_a = app.team("A", &[(ann, Role::Owner), (bob, Role::Member)]).await;
    let team_b = app.team("B", &[(bob, Role::Owner)]).await;
    crate::helpers::store_connection(&app.db, team_b, bob, "not-a-token".into()).await;
    let ann_c = app.signed_in("ann@example.com").await;
    let bob_c = app.signed_in("bob@example.com").await;

    // Ann is in A only: B looks exactly like a team that does not exist.
    for path in [
        format!("/api/v1/teams/{team_b}"),
        format!("/api/v1/teams/{team_b}/syncs"),
        "/api/v1/teams/999999/syncs".into(),
        "/api/v1/teams/abc/syncs".into(),
    ] {
        assert_problem(app.get(&ann_c, &path).await, 404).await;
    }
    let syncs = format!("/api/v1/teams/{team_b}/syncs");
    let res = app.post(&ann_c, &syncs, json!({})).await;
    assert_problem(res, 404).await;

    // Bob is a member of A: he sees its runs but cannot start one.
    let syncs = format!("/api/v1/teams/{team_a}/syncs");
    let (status, _) = app.get_json(&bob_c, &syncs).await;
    assert_eq!(status, 200);
    let res = app.post(&bob_c, &syncs, json!({})).await;
    let detail = assert_problem(res, 403).await;
    assert!(detail.contains("owner"), "{detail}");

    // A run of team B is not reachable through team A's URL.
    let (status, run) = app
        .post_json(&bob_c, &format!("/api/v1/teams/{team_b}/syncs"), json!({}))
        .await;
    assert_eq!(status, 202, "{run}");
    let res = app
        .get(&ann_c, &format!("/api/v1/teams/{team_a}/syncs/{}", run["id"]))
        .await;
    assert_problem(res, 404).await;
    let (status, listed) = app.get_json(&ann_c, &format!("/api/v1/teams/{team_a}/syncs")).await;
    assert_eq!((status, listed["syncs"].as_array().map(Vec::len)), (200, Some(0)));

    // Team B's webhook and its deliveries are not reachable through team A, whose owner
    // Ann is: not listed, not removable, not replayable.
    let (status, hook) = app
        .post_json(
            &bob_c,
            &format!("/api/v1/teams/{team_b}/webhooks"),
            json!({"url": "https://hooks.example.com/b"}),
        )
        .await;
    assert_eq!(status, 201, "{hook}");
    let id = hook["webhook"]["id"].as_i64().expect("id");
    adsync_storage::webhooks::alert(&app.db, team_b, "sync.failed", json!({}))
        .await
        .expect("alert");
    let delivery = adsync_storage::webhooks::deliveries(&app.db, team_b, id, 1)
        .await
        .expect("d")[0]
        .id;
    let (_, listed) = app.get_json(&ann_c, &format!("/api/v1/teams/{team_a}/webhooks")).await;
    assert_eq!(listed["webhooks"].as_array().map(Vec::len), Some(0), "{listed}");
    let res = ann_c
        .delete(app.url(&format!("/api/v1/teams/{team_a}/webhooks/{id}")))
        .send()
        .await
        .expect("req");
    assert_problem(res, 404).await;
    let res = ann_c
        .post(app.url(&format!(
            "/api/v1/teams/{team_a}/webhooks/{id}/deliveries/{delivery}/replay"
        )))
        .send()
        .await
        .expect("req");
    assert_problem(res, 404).await;
    let res = app
        .get(&ann_c, &format!("/api/v1/teams/{team_a}/webhooks/{id}/deliveries"))
        .await;
    assert_problem(res, 404).await;
    let (_, still) = app.get_json(&bob_c, &format!("/api/v1/teams/{team_b}/webhooks")).await;
    assert_eq!(still["webhooks"][0]["id"], id, "Bob's webhook is untouched");
}

async fn resync_requests_are_validated(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, team, c) = app.owner("ann@example.com", "A").await;
    let path = format!("/api/v1/teams/{team}/syncs");
    for (body, needle) in [
        (json!({"since": "2026-13-01"}), "since"),
        (json!({"since": "2026-02-01", "until": "2026-01-01"}), "after"),
        (json!({"since": "2020-01-01", "until": "2026-01-01"}), "37 months"),
        (json!({"until": 20260101}), "until"),
        (json!({"everything": true}), "everything"),
    ] {
        let res = app.post(&c, &path, body.clone()).await;
        let detail = assert_problem(res, 400).await;
        assert!(detail.contains(needle), "{body} → {detail}");
    }
}

async fn sessions_and_api_tokens_are_stored_only_as_digests(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.user("ann@example.com").await;
    let res = app.sign_in(&client(), "ann@example.com", PASSWORD).await;
    assert_eq!(res.status(), 200);
    let cookie = set_cookie(&res);
    let session = cookie
        .split(';')
        .next()
        .and_then(|pair| pair.strip_prefix("adsync_session="))
        .expect("session cookie")
        .to_string();
    let (_, token) = api_tokens::create(&app.db, ann, "script").await.expect("token");
    let stored = stored_text(&app.db, app.config.database_url.expose()).await;
    assert!(stored.contains("ann@example.com"), "the database was read");
    for (what, secret) in [("session", session.as_str()), ("API token", token.expose().as_str())] {
        assert!(!stored.contains(secret), "the {what} in plaintext in the database");
        assert!(
            stored.contains(&bearer_digest(secret)),
            "the {what}'s digest is what is stored"
        );
    }
}

crate::on_both_backends!(
    sessions_and_api_tokens_are_stored_only_as_digests,
    login_sets_a_safe_cookie_and_lists_teams,
    wrong_password_and_unknown_email_look_the_same,
    bad_input_is_a_helpful_4xx,
    api_tokens_authenticate_scripts,
    a_member_of_team_a_cannot_read_or_change_team_b,
    resync_requests_are_validated,
);
