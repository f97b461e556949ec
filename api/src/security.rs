//! What protects browser users on every request: cross-site state changes refused (CSRF
//! and login CSRF), security headers on every answer, and the client's address for the
//! sign-in limit.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::{ApiError, AppState};

/// Facebook's server-to-server callbacks: authenticated by their `signed_request`, never by
/// a cookie, and sent from Facebook's servers rather than a page of ours.
const SIGNED_CALLBACKS: &[&str] = &["/facebook/deauthorize", "/facebook/data-deletion"];

/// Refuses a state-changing request a browser sent from another site. Browsers say where a
/// request comes from (`Sec-Fetch-Site`, or `Origin` in older ones) and pages cannot forge
/// either; a request with neither is not from a browser and carries no ambient cookie risk.
/// Bearer-token requests pass: a cross-site page cannot set `Authorization` without CORS,
/// which adsync does not grant.
pub async fn refuse_cross_site(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let exempt = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || req.headers().contains_key(header::AUTHORIZATION)
        || SIGNED_CALLBACKS.contains(&req.uri().path());
    if !exempt && let Some(why) = cross_site(req.headers(), &state.config.public_url) {
        tracing::info!(path = %loggable_path(req.uri().path()), why, "refused a cross-site request");
        return ApiError::Forbidden(format!(
            "Cross-site request refused ({why}): adsync only accepts changes from its own pages \
             or from clients with an API token."
        ))
        .into_response();
    }
    next.run(req).await
}

/// Pages whose path ends in a link's secret (an invitation, a password reset).
const SECRET_PATHS: [&str; 2] = ["/invites/", "/password/reset/"];

/// The path as logs may show it: a single-use link's secret is left out.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    match SECRET_PATHS.iter().find(|p| path.starts_with(*p)) {
        Some(prefix) => format!("{prefix}[secret]").into(),
        None => path.into(),
    }
}

/// Why the request looks cross-site, if it does.
fn cross_site(headers: &HeaderMap, public_url: &url::Url) -> Option<&'static str> {
    let text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        return match site {
            // `none`: the user typed or bookmarked it; nothing on another site started it.
            "same-origin" | "none" => None,
            "same-site" => Some("sent from another origin of the same site"),
            _ => Some("sent from another site"),
        };
    }
    let origin = text("origin")?;
    let same = |expected: &str| origin.eq_ignore_ascii_case(expected.trim_end_matches('/'));
    let public = public_url.origin().ascii_serialization();
    // The request's own host: the page that sent it was served by this server.
    let own = text("host").map(|host| {
        let without_scheme = origin.split_once("://").map(|(_, rest)| rest);
        without_scheme.is_some_and(|o| o.eq_ignore_ascii_case(host))
    });
    if same(&public) || own == Some(true) {
        None
    } else {
        Some("its Origin is another site")
    }
}

/// Security headers on every answer. The pages use only our own scripts and styles (no
/// inline ones), so the policy can be strict.
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut HeaderMap, name: header::HeaderName, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    );
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "same-origin");
    if state.config.secure_cookies() {
        set(h, header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    res
}

/// The client's address: the peer of the connection, or, behind a trusted reverse proxy
/// (`ADSYNC_TRUST_FORWARDED_FOR`), the last address it appended to `X-Forwarded-For`.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let forwarded = state
            .config
            .trust_forwarded_for
            .then(|| parts.headers.get_all("x-forwarded-for").iter().next_back())
            .flatten()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|last| last.trim().parse::<IpAddr>().ok());
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        Ok(ClientAddress(forwarded.or(peer)))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn logs_never_show_a_links_secret() {
        assert_eq!(super::loggable_path("/invites/inv_abc"), "/invites/[secret]");
        assert_eq!(
            super::loggable_path("/password/reset/pwr_abc"),
            "/password/reset/[secret]"
        );
        assert_eq!(super::loggable_path("/teams/1/members"), "/teams/1/members");
    }

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn only_same_origin_browser_requests_and_non_browsers_pass() {
        let public = url::Url::parse("https://adsync.example.com/").expect("url");
        let cases: &[(&[(&'static str, &'static str)], bool)] = &[
            (&[], true),
            (&[("sec-fetch-site", "same-origin")], true),
            (&[("sec-fetch-site", "none")], true),
            (
                &[
                    ("sec-fetch-site", "cross-site"),
                    ("origin", "https://adsync.example.com"),
                ],
                false,
            ),
            (&[("sec-fetch-site", "same-site")], false),
            (&[("origin", "https://adsync.example.com")], true),
            (&[("origin", "http://127.0.0.1:8080"), ("host", "127.0.0.1:8080")], true),
            (&[("origin", "https://evil.example")], false),
            (
                &[("origin", "https://evil.example"), ("host", "adsync.example.com")],
                false,
            ),
            (&[("origin", "null")], false),
            (&[("origin", "https://adsync.example.com.evil.example")], false),
        ];
        for (pairs, allowed) in cases {
            assert_eq!(cross_site(&headers(pairs), &public).is_none(), *allowed, "{pairs:?}");
        }
    }
}
