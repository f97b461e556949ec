//! Errors on pages are pages. A browser that asks for a page, or posts a page's form, and is
//! answered with a problem (an unknown team, a bad date, a path that does not exist) gets an
//! HTML page with the same status that says what went wrong and links back. Content
//! negotiation decides: only a request that accepts `text/html` outside the JSON API gets
//! one, so scripts, the JSON API and the tests that read problems keep problem+json.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use maud::html;

use super::layout;

/// A problem body is a few hundred bytes; anything larger is not one of ours.
const PROBLEM_LIMIT: usize = 64 * 1024;

pub async fn problems_as_pages(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let wants_page = is_page(&path) && accepts_html(req.headers());
    let is_form = req.method() == axum::http::Method::POST;
    let res = next.run(req).await;
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !is_problem || !is_page(&path) {
        return res;
    }
    // The same URL answers a page or a problem depending on Accept: caches must tell them apart.
    let mut res = res;
    res.headers_mut()
        .append(header::VARY, HeaderValue::from_static("accept"));
    if !wants_page {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let problem: serde_json::Value = match axum::body::to_bytes(body, PROBLEM_LIMIT).await {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_default(),
        Err(_) => serde_json::Value::Null,
    };
    let title = problem["title"].as_str().unwrap_or("Something went wrong");
    let detail = problem["detail"].as_str().unwrap_or_default();
    let (href, label) = way_back(&path, parts.status, is_form);
    let page = layout::page(
        title,
        None,
        html! {
            section.card.error-page {
                p.status { (parts.status.as_u16()) }
                h1 { (title) }
                @if !detail.is_empty() { p.detail { (detail) } }
                p { a href=(href) { (label) } }
            }
        },
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    parts
        .headers
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Response::from_parts(parts, Body::from(page.into_string()))
}

/// Paths a browser navigates to (everything but the JSON API and the operators' endpoints).
fn is_page(path: &str) -> bool {
    !(path.starts_with("/api/") || matches!(path, "/metrics" | "/healthz" | "/readyz"))
}

fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/html"))
}

/// Where to go from an error: a team's form back to its connectors page (where every form
/// is), a team's page to its dashboard, and anything else, or a team one cannot see, to the
/// list of one's teams.
fn way_back(path: &str, status: StatusCode, is_form: bool) -> (String, &'static str) {
    let team = path
        .strip_prefix("/teams/")
        .and_then(|rest| rest.split('/').next())
        .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()));
    match team {
        // A team one cannot see: its pages answer 404 too.
        Some(_) if status == StatusCode::NOT_FOUND => ("/teams".into(), "Back to your teams"),
        Some(_) if status == StatusCode::FORBIDDEN && !is_form => ("/teams".into(), "Back to your teams"),
        Some(id) if is_form => (format!("/teams/{id}/connectors"), "Back to the connectors page"),
        Some(id) => (format!("/teams/{id}/dashboard"), "Back to the team's dashboard"),
        None => ("/teams".into(), "Back to your teams"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_way_back_fits_where_the_error_happened() {
        let back = |p, s, f| way_back(p, s, f).0;
        assert_eq!(back("/teams/99/dashboard", StatusCode::NOT_FOUND, false), "/teams");
        assert_eq!(
            back("/teams/7/syncs", StatusCode::BAD_REQUEST, true),
            "/teams/7/connectors"
        );
        assert_eq!(
            back("/teams/7/syncs", StatusCode::FORBIDDEN, true),
            "/teams/7/connectors"
        );
        assert_eq!(
            back("/teams/8/syncs", StatusCode::NOT_FOUND, true),
            "/teams",
            "not one's team"
        );
        assert_eq!(
            back("/teams/7/dashboard", StatusCode::BAD_REQUEST, false),
            "/teams/7/dashboard"
        );
        assert_eq!(back("/no/such/page", StatusCode::NOT_FOUND, false), "/teams");
        assert_eq!(
            back("/teams/x%2F..%2Fevil/dashboard", StatusCode::NOT_FOUND, false),
            "/teams"
        );
    }

    #[test]
    fn the_json_api_and_operators_endpoints_are_not_pages() {
        assert!(is_page("/teams/1/dashboard") && is_page("/nope") && is_page("/login"));
        assert!(!is_page("/api/v1/teams") && !is_page("/metrics") && !is_page("/readyz"));
    }
}
