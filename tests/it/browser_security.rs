//! What protects a browser user: cross-site requests refused (CSRF and login CSRF),
//! security headers, failed sign-ins limited, sign-out ending every session, deep links
//! kept through sign-in without an open redirect, and expired sessions purged.

use adsync_common::ids::Role;
use adsync_storage::{Db, api_tokens, sessions};
use reqwest::header::{HeaderMap, HeaderValue};

use crate::helpers::{Backend, PASSWORD, TestApp, assert_problem, client, spawn_app, spawn_app_with};

/// Headers a browser adds to a request a page on `site` sends to adsync.
fn from_site(site: &'static str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("origin", HeaderValue::from_static(site));
    h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
    h
}

/// The team's manual runs (the requests under test; the schedule may queue others any time
/// for a connected team).
async fn runs_of(app: &TestApp, c: &reqwest::Client, team: adsync_common::ids::TeamId) -> usize {
    let (status, body) = app.get_json(c, &format!("/api/v1/teams/{team}/syncs")).await;
    assert_eq!(status, 200, "{body}");
    body["syncs"]
        .as_array()
        .expect("runs")
        .iter()
        .filter(|r| r["kind"] == "manual")
        .count()
}

async fn cross_site_state_changes_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let (owner, team, c) = app.owner("owner@example.com", "Acme").await;
    crate::helpers::store_connection(&app.db, team, owner, "not-a-token".into()).await;

    // A form on evil.example posting to the resync form, as a browser sends it, and the
    // same from an older browser that only sends Origin.
    let evil = "https://evil.example";
    let form = [("since", "2026-01-01"), ("until", "2026-01-02")];
    let path = format!("/teams/{team}/syncs");
    let res = c
        .post(app.url(&path))
        .headers(from_site(evil))
        .form(&form)
        .send()
        .await
        .expect("post");
    let detail = assert_problem(res, 403).await;
    assert!(detail.contains("Cross-site"), "{detail}");
    let res = c
        .post(app.url(&path))
        .header("origin", evil)
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_problem(res, 403).await;
    // The JSON API with the cookie, the OAuth start, disconnect, settings: all refused.
    let api = format!("/api/v1/teams/{team}/syncs");
    let res = c
        .post(app.url(&api))
        .headers(from_site(evil))
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("post");
    assert_problem(res, 403).await;
    for (method, path) in [
        (
            reqwest::Method::POST,
            format!("/teams/{team}/connectors/facebook/connect"),
        ),
        (
            reqwest::Method::POST,
            format!("/api/v1/teams/{team}/connectors/facebook/connect"),
        ),
        (
            reqwest::Method::DELETE,
            format!("/api/v1/teams/{team}/connectors/facebook"),
        ),
        (reqwest::Method::PATCH, format!("/api/v1/teams/{team}/settings")),
        (reqwest::Method::POST, "/logout".to_string()),
        (reqwest::Method::DELETE, "/api/v1/session".to_string()),
    ] {
        let res = c
            .request(method.clone(), app.url(&path))
            .headers(from_site(evil))
            .send()
            .await
            .expect("send");
        assert_eq!(res.status(), 403, "{method} {path}");
    }
    // A sibling origin of the same site is another origin too.
    let res = c
        .post(app.url(&path))
        .header("sec-fetch-site", "same-site")
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 403);
    assert_eq!(runs_of(&app, &c, team).await, 0, "no refused request queued a run");
    assert_eq!(app.get_json(&c, "/api/v1/teams").await.0, 200, "still signed in");

    // Our own page (same origin), and a client that is not a browser, are served.
    let res = c
        .post(app.url(&path))
        .header("sec-fetch-site", "same-origin")
        .header("origin", app.url(""))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 303, "a same-origin form post is served");
    assert_eq!(runs_of(&app, &c, team).await, 1);
    let other_range = [("since", "2026-01-01"), ("until", "2026-01-03")];
    let res = c
        .post(app.url(&path))
        .header("origin", app.url(""))
        .form(&other_range)
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 303, "Origin naming this server is served");
    assert_eq!(runs_of(&app, &c, team).await, 2);
    // A bearer token is unaffected by where the request says it comes from.
    let (_, token) = api_tokens::create(&app.db, owner, "ci").await.expect("token");
    let res = client()
        .post(app.url(&api))
        .bearer_auth(token.expose())
        .headers(from_site(evil))
        .json(&serde_json::json!({"since": "2026-02-01", "until": "2026-02-02"}))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 202, "bearer requests pass");
    app.stop().await;
}

/// The login-CSRF chain: a page on another site signs the victim's browser into the
/// attacker's account, so the victim's next Facebook consent would land on the attacker's
/// team. The sign-in is refused and the victim's browser stays signed out.
async fn a_cross_site_sign_in_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let attacker = app.user("attacker@example.com").await;
    app.team("Attacker's", &[(attacker, Role::Owner)]).await;
    let victim = client();
    let form = [("email", "attacker@example.com"), ("password", PASSWORD)];
    let res = victim
        .post(app.url("/login"))
        .headers(from_site("https://evil.example"))
        .form(&form)
        .send()
        .await
        .expect("login");
    assert_problem(res, 403).await;
    let json = serde_json::json!({"email": "attacker@example.com", "password": PASSWORD});
    let res = victim
        .post(app.url("/api/v1/session"))
        .headers(from_site("https://evil.example"))
        .json(&json)
        .send()
        .await
        .expect("sign in");
    assert!(
        res.headers().get("set-cookie").is_none(),
        "no session cookie handed out"
    );
    assert_problem(res, 403).await;
    assert_eq!(
        app.get_json(&victim, "/api/v1/teams").await.0,
        401,
        "the victim is not signed in"
    );
    let res = app.get(&victim, "/teams").await;
    assert_eq!(res.status(), 303, "the pages send the victim to sign in");
    app.stop().await;
}

async fn every_answer_carries_the_security_headers(backend: Backend) {
    let app = spawn_app(backend).await;
    app.user("owner@example.com").await;
    let c = app.signed_in("owner@example.com").await;
    for path in [
        "/login",
        "/teams",
        "/assets/app.css",
        "/api/v1/teams",
        "/api/v1/nothing-here",
        "/healthz",
    ] {
        let res = app.get(&c, path).await;
        let h = res.headers();
        let csp = h
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        for directive in [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert!(h.get("strict-transport-security").is_none(), "no HSTS over plain http");
    }
    app.stop().await;
    let https = spawn_app_with(backend, &[("ADSYNC_PUBLIC_URL", "https://adsync.example.com")]).await;
    let res = https.get(&client(), "/login").await;
    assert_eq!(res.headers()["strict-transport-security"], "max-age=31536000");
    https.stop().await;
}

async fn failed_sign_ins_are_limited_per_account_and_address(backend: Backend) {
    let app = spawn_app(backend).await;
    for who in ["bob", "carol"] {
        app.user(&format!("{who}@example.com")).await;
    }
    // Four failures, then a success: the account's count starts again.
    for _ in 0..4 {
        assert_eq!(
            app.sign_in(&client(), "bob@example.com", "wrong-password")
                .await
                .status(),
            401
        );
    }
    assert_eq!(app.sign_in(&client(), "bob@example.com", PASSWORD).await.status(), 200);
    // Five failures in a row lock the account, the right password included.
    for _ in 0..5 {
        assert_eq!(
            app.sign_in(&client(), "BOB@example.com ", "wrong-password")
                .await
                .status(),
            401
        );
    }
    let res = app.sign_in(&client(), "bob@example.com", PASSWORD).await;
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert!((1..=15 * 60).contains(&retry), "{retry}");
    let detail = assert_problem(res, 429).await;
    assert!(detail.contains("try again in"), "{detail}");
    // The sign-in page says so too.
    let form = [("email", "bob@example.com"), ("password", PASSWORD)];
    let res = app.post_form(&client(), "/login", &form).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    assert!(res.text().await.expect("html").contains("Too many failed sign-ins"));
    // Another account from the same address is not locked out by bob's...
    assert_eq!(
        app.sign_in(&client(), "carol@example.com", PASSWORD).await.status(),
        200
    );
    // ...until the address has failed 20 times over any accounts (9 so far).
    for i in 0..11 {
        let email = format!("guess{i}@example.com");
        assert_eq!(
            app.sign_in(&client(), &email, "wrong-password").await.status(),
            401,
            "{email}"
        );
    }
    let res = app.sign_in(&client(), "carol@example.com", PASSWORD).await;
    assert_problem(res, 429).await;
    app.stop().await;
}

async fn signing_out_ends_every_session_of_the_user(backend: Backend) {
    let app = spawn_app(backend).await;
    app.user("owner@example.com").await;
    let laptop = app.signed_in("owner@example.com").await;
    let phone = app.signed_in("owner@example.com").await;
    let res = laptop
        .delete(app.url("/api/v1/session"))
        .send()
        .await
        .expect("sign out");
    assert_eq!(res.status(), 204);
    assert_eq!(app.get_json(&laptop, "/api/v1/teams").await.0, 401);
    assert_eq!(
        app.get_json(&phone, "/api/v1/teams").await.0,
        401,
        "the other session ended too"
    );
    // The page's sign-out does the same.
    let (a, b) = (
        app.signed_in("owner@example.com").await,
        app.signed_in("owner@example.com").await,
    );
    assert_eq!(a.post(app.url("/logout")).send().await.expect("logout").status(), 303);
    assert_eq!(app.get_json(&b, "/api/v1/teams").await.0, 401);
    app.stop().await;
}

async fn a_deep_link_returns_after_sign_in_and_never_leaves_the_site(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = app.user("owner@example.com").await;
    let team = app.team("Acme", &[(owner, Role::Owner)]).await;
    let c = client();
    let deep = format!("/teams/{team}/dashboard?since=2026-01-01");
    let res = app.get(&c, &deep).await;
    assert_eq!(res.status(), 303);
    let login = res.headers()["location"].to_str().expect("location").to_string();
    assert_eq!(
        login,
        format!("/login?next=%2Fteams%2F{team}%2Fdashboard%3Fsince%3D2026-01-01")
    );
    let page = app.page_text(&c, &login).await;
    assert!(
        page.contains(r#"name="next""#) && page.contains(&deep.replace('&', "&amp;")),
        "{page}"
    );
    let form = [
        ("email", "owner@example.com"),
        ("password", PASSWORD),
        ("next", deep.as_str()),
    ];
    let res = app.post_form(&c, "/login", &form).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], deep.as_str());
    for elsewhere in ["https://evil.example/", "//evil.example/", "/\\evil.example"] {
        let form = [
            ("email", "owner@example.com"),
            ("password", PASSWORD),
            ("next", elsewhere),
        ];
        let res = app.post_form(&client(), "/login", &form).await;
        assert_eq!(res.headers()["location"], "/teams", "{elsewhere}");
    }
    app.stop().await;
}

async fn session_rows(db: &Db) -> i64 {
    const SQL: &str = "SELECT COUNT(*) FROM sessions";
    crate::on_pool!(db, p => sqlx::query_scalar(SQL).fetch_one(p).await.expect("count"))
}

async fn expired_sessions_are_purged_by_the_worker(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = app.user("owner@example.com").await;
    let live = app.signed_in("owner@example.com").await;
    sessions::create(&app.db, owner, chrono::Duration::seconds(-1))
        .await
        .expect("expired");
    assert_eq!(session_rows(&app.db).await, 2);
    // Another worker replica starting: housekeeping's first pass runs at once.
    let stop = tokio_util::sync::CancellationToken::new();
    let housekeeping = tokio::spawn(adsync_worker::housekeeping::run(app.db.clone(), stop.clone()));
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while session_rows(&app.db).await != 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the expired session was not purged"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    stop.cancel();
    housekeeping.await.expect("housekeeping stops");
    assert_eq!(
        app.get_json(&live, "/api/v1/teams").await.0,
        200,
        "the live session stays"
    );
    app.stop().await;
}

crate::on_both_backends!(
    cross_site_state_changes_are_refused,
    a_cross_site_sign_in_is_refused,
    every_answer_carries_the_security_headers,
    failed_sign_ins_are_limited_per_account_and_address,
    signing_out_ends_every_session_of_the_user,
    a_deep_link_returns_after_sign_in_and_never_leaves_the_site,
    expired_sessions_are_purged_by_the_worker,
);
