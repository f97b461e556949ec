//! HTTP details: errors the router and the body limit produce are problem+json like all
//! others, and the session cookie is `Secure` exactly when the public URL is https.

use adsync_common::ids::Role;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::Backend;
use crate::helpers::{PASSWORD, assert_problem, client, set_cookie, spawn_app, spawn_app_with};

/// More than the 64 KiB the API accepts.
const TOO_BIG: usize = 70 * 1024;

#[tokio::test]
async fn a_wrong_method_is_a_problem_and_keeps_allow() {
    let app = spawn_app(Backend::Sqlite).await;
    let c = client();
    let res = c.put(app.url("/api/v1/teams")).send().await.expect("req");
    let allow = res
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    assert!(
        allow.as_deref().is_some_and(|a| a.contains("GET")),
        "Allow kept: {allow:?}"
    );
    let detail = assert_problem(res, 405).await;
    assert!(
        detail.contains("PUT") && detail.contains("/api/v1/teams") && detail.contains("Allow"),
        "{detail}"
    );
    // Pages too: the router answers the same way for every route.
    assert_problem(c.delete(app.url("/login")).send().await.expect("req"), 405).await;
    app.stop().await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_problem_with_or_without_content_length() {
    let app = spawn_app(Backend::Sqlite).await;
    let big = format!(r#"{{"email":"{}","password":"x"}}"#, "a".repeat(TOO_BIG));
    // Content-Length announces it: the limit answers before the handler runs.
    let res = client()
        .post(app.url("/api/v1/session"))
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .expect("req");
    let detail = assert_problem(res, 413).await;
    assert!(detail.contains("64 KiB"), "{detail}");
    let form = client()
        .post(app.url("/facebook/deauthorize"))
        .form(&[("signed_request", "x".repeat(TOO_BIG))])
        .send()
        .await
        .expect("req");
    assert_problem(form, 413).await;

    // Chunked: the limit is only hit while the handler reads the body.
    let (status, content_type, body) = chunked_post(&app.base, "/api/v1/session", big.as_bytes()).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(content_type, "application/problem+json", "{body}");
    assert!(body.contains("64 KiB"), "{body}");
    app.stop().await;
}

/// POSTs `body` as one chunk of a chunked request (no Content-Length) over a raw
/// connection; returns status, content type and body text.
async fn chunked_post(base: &str, path: &str, body: &[u8]) -> (u16, String, String) {
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    // The server may answer and close before it has read everything: write errors are fine.
    let _ = stream.write_all(body).await;
    let _ = stream.write_all(b"\r\n0\r\n\r\n").await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text}"));
    let content_type = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type:")
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_default();
    (status, content_type, body.to_string())
}

/// The `Set-Cookie` of a successful `POST /api/v1/session` on an app with `public_url`.
async fn session_cookie(public_url: &str) -> String {
    let app = spawn_app_with(Backend::Sqlite, &[("ADSYNC_PUBLIC_URL", public_url)]).await;
    let ann = app.user("ann@example.com").await;
    app.team("Acme", &[(ann, Role::Owner)]).await;
    let res = app.sign_in(&client(), "ann@example.com", PASSWORD).await;
    assert_eq!(res.status(), 200);
    let cookie = set_cookie(&res);
    app.stop().await;
    cookie
}

#[tokio::test]
async fn the_session_cookie_is_secure_exactly_behind_https() {
    let attributes = |cookie: &str| -> Vec<String> { cookie.split(';').map(|a| a.trim().to_string()).collect() };
    let https = attributes(&session_cookie("https://ads.example.com").await);
    for wanted in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(https.iter().any(|a| a == wanted), "{wanted} in {https:?}");
    }
    let http = attributes(&session_cookie("http://127.0.0.1:8080").await);
    assert!(!http.iter().any(|a| a.eq_ignore_ascii_case("secure")), "{http:?}");
    for wanted in ["HttpOnly", "SameSite=Lax"] {
        assert!(http.iter().any(|a| a == wanted), "{wanted} in {http:?}");
    }
}
