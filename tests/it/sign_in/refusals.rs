//! Every way a sign-in with a provider is refused says why, changes nothing, and signs no
//! one in: a declined consent, a state used twice, from another browser, or too late, and a
//! provider that is not configured.

use adsync_storage::users;

use super::{app, as_person, location, through_provider};
use crate::helpers::{Backend, client, spawn_app};

/// The verifier cookie the app set when starting, as `name=value`.
fn verifier_cookie(start: &reqwest::Response) -> String {
    start
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("adsync_sign_in_"))
        .and_then(|v| v.split(';').next())
        .expect("verifier cookie")
        .to_string()
}

async fn a_declined_consent_says_so(backend: Backend) {
    let app = app(backend, false).await;
    let c = client();
    let start = app.get(&c, "/login/google").await;
    let consent = url::Url::parse(&location(&start)).expect("consent URL");
    let page = c
        .get(consent.as_str())
        .send()
        .await
        .expect("consent")
        .text()
        .await
        .expect("page");
    assert!(
        page.contains("owner@demo.adsync.test"),
        "the consent page names who signs in"
    );
    let mut form: Vec<(String, String)> = consent.query_pairs().into_owned().collect();
    form.push(("decision".into(), "deny".into()));
    let mut target = consent.clone();
    target.set_query(None);
    let back = c.post(target.as_str()).form(&form).send().await.expect("deny");
    let callback = location(&back);
    assert!(callback.contains("error=access_denied"), "{callback}");
    let res = c.get(callback).send().await.expect("callback");
    assert_eq!(res.status(), 403);
    let page = res.text().await.expect("page");
    assert!(page.contains("You declined to sign in with Google"), "{page}");
    assert!(
        page.contains("Sign in with Google"),
        "the login page, to try again: {page}"
    );
    assert_eq!(app.get(&c, "/api/v1/teams").await.status(), 401);
}

async fn a_sign_in_works_once_in_the_browser_that_started_it_and_in_time(backend: Backend) {
    let app = app(backend, true).await;
    as_person(&app, "new.person@example.test", true);
    let text = |res: reqwest::Response| async move { (res.status().as_u16(), res.text().await.expect("page")) };

    // The callback URL in another browser (no verifier): refused, and left usable.
    let c = client();
    let start = app.get(&c, "/login/google").await;
    let cookie = verifier_cookie(&start);
    let callback = through_provider(&c, start).await;
    let (status, page) = text(client().get(&callback).send().await.expect("elsewhere")).await;
    assert_eq!(status, 400);
    assert!(page.contains("started in another browser"), "{page}");
    // Another browser presenting a verifier of its own is refused the same way.
    let cookie_name = cookie.split('=').next().expect("name");
    let forged = client()
        .get(&callback)
        .header("cookie", format!("{cookie_name}=forged-verifier"))
        .send()
        .await;
    assert_eq!(forged.expect("forged").status(), 400);
    assert!(users::list(&app.db).await.expect("users").is_empty());

    // The browser that started: signed in; the same callback again: refused.
    let res = c.get(&callback).send().await.expect("callback");
    assert_eq!(location(&res), "/teams");
    let again = client()
        .get(&callback)
        .header("cookie", &cookie)
        .send()
        .await
        .expect("again");
    let (status, page) = text(again).await;
    assert_eq!(status, 400);
    assert!(page.contains("already finished"), "{page}");

    // A Google state presented at Facebook's callback is not Facebook's.
    let c = client();
    let start = app.get(&c, "/login/google").await;
    let google_callback = url::Url::parse(&through_provider(&c, start).await).expect("callback");
    let mut at_facebook = google_callback.clone();
    at_facebook.set_path("/login/facebook/callback");
    let (status, page) = text(c.get(at_facebook.as_str()).send().await.expect("crossed")).await;
    assert_eq!(status, 400);
    assert!(page.contains("not known here"), "{page}");

    // Two sign-ins started in two tabs of one browser: each finishes.
    let c = client();
    let first = through_provider(&c, app.get(&c, "/login/google").await).await;
    let second = through_provider(&c, app.get(&c, "/login/google").await).await;
    assert_eq!(location(&c.get(&first).send().await.expect("first")), "/teams");
    assert_eq!(location(&c.get(&second).send().await.expect("second")), "/teams");

    // No state, or one never issued.
    let (status, page) = text(
        client()
            .get(app.url("/login/google/callback?code=x"))
            .send()
            .await
            .expect("no state"),
    )
    .await;
    assert_eq!(status, 400);
    assert!(page.contains("no state"), "{page}");
    let forged = client()
        .get(app.url("/login/google/callback?code=x&state=forged"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("unknown");
    assert_eq!(forged.status(), 400);

    // Too late: a state past its 10 minutes fails, and is spent.
    let c = client();
    let start = app.get(&c, "/login/google").await;
    let callback = through_provider(&c, start).await;
    crate::on_pool!(&app.db, p => {
        sqlx::query("UPDATE sign_in_states SET expires_at = created_at WHERE used_at IS NULL")
            .execute(p).await.expect("age the state");
    });
    let (status, page) = text(c.get(&callback).send().await.expect("late")).await;
    assert_eq!(status, 400);
    assert!(page.contains("took too long"), "{page}");
    assert_eq!(app.get(&c, "/api/v1/teams").await.status(), 401);
}

async fn providers_not_configured_are_not_offered(backend: Backend) {
    let app = spawn_app(backend).await;
    let c = client();
    let login = app.page_text(&c, "/login").await;
    assert!(!login.contains("Sign in with"), "{login}");
    assert_eq!(app.get(&c, "/login/google").await.status(), 404);
    assert_eq!(
        app.get(&c, "/login/facebook/callback?code=x&state=y").await.status(),
        404
    );
    assert_eq!(app.get(&c, "/login/twitter").await.status(), 404);
}

crate::on_both_backends!(
    a_declined_consent_says_so,
    a_sign_in_works_once_in_the_browser_that_started_it_and_in_time,
    providers_not_configured_are_not_offered,
);
