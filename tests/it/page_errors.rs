//! Errors on pages are pages: a browser (asking for `text/html`) gets an HTML page with the
//! status, what went wrong and a way back; the JSON API and scripts keep problem+json.

use crate::helpers::{Backend, assert_problem, content_type, spawn_app};

/// What Chromium sends when it navigates or posts a form.
const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8";

async fn error_page(res: reqwest::Response, status: u16) -> String {
    assert_eq!(res.status().as_u16(), status);
    assert_eq!(content_type(&res), "text/html; charset=utf-8");
    let html = res.text().await.expect("body");
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains(&format!("<p class=\"status\">{status}</p>")), "{html}");
    html
}

async fn a_browser_gets_error_pages_and_scripts_get_problems(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, team, c) = app.owner("ann@example.com", "A").await;
    let get = |path: &str, accept: &str| c.get(app.url(path)).header("accept", accept).send();

    // A team that does not exist (or is not one's own): back to one's teams.
    let html = error_page(get("/teams/999999/dashboard", BROWSER).await.expect("req"), 404).await;
    assert!(html.contains("<a href=\"/teams\">Back to your teams</a>"), "{html}");

    // A path that does not exist.
    let html = error_page(get("/no/such/page", BROWSER).await.expect("req"), 404).await;
    assert!(html.contains("No route for /no/such/page"), "{html}");

    // A resync form with From after To: the reason, and back to the connectors page.
    let res = c
        .post(app.url(&format!("/teams/{team}/syncs")))
        .header("accept", BROWSER)
        .form(&[("since", "2026-02-01"), ("until", "2026-01-01"), ("ad_account_id", "")])
        .send()
        .await
        .expect("post");
    let html = error_page(res, 400).await;
    assert!(
        html.contains("since (2026-02-01) is after until (2026-01-01)"),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            "<a href=\"/teams/{team}/connectors\">Back to the connectors page</a>"
        )),
        "{html}"
    );

    // Not asking for HTML, or asking the JSON API: problem+json as before.
    assert_problem(get("/teams/999999/dashboard", "*/*").await.expect("req"), 404).await;
    assert_problem(get("/api/v1/teams/999999/syncs", BROWSER).await.expect("req"), 404).await;
    assert_problem(get("/api/v1/no/such/route", BROWSER).await.expect("req"), 404).await;
    app.stop().await;
}

/// Every page names the icon, and the path browsers ask for regardless answers it.
async fn the_favicon_is_served(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/favicon.ico", "/favicon.svg"] {
        let res = app.http.get(app.url(path)).send().await.expect("req");
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["content-type"], "image/svg+xml");
        assert!(res.text().await.expect("body").starts_with("<svg"), "{path}");
    }
    let login = app.http.get(app.url("/login")).send().await.expect("req");
    let html = login.text().await.expect("body");
    assert!(
        html.contains(r#"<link rel="icon" type="image/svg+xml" href="/favicon.svg">"#),
        "{html}"
    );
    app.stop().await;
}

crate::on_both_backends!(
    a_browser_gets_error_pages_and_scripts_get_problems,
    the_favicon_is_served
);
