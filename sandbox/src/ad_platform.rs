//! The sandbox as a generic OAuth 2 ad platform, as Google Ads or LinkedIn play one: an
//! authorization endpoint (auto-approving, or a consent page), a token endpoint for codes
//! and refresh tokens, RFC 7009 revocation and one API call (`/platform/v1/me`). Adsync's
//! providers described by configuration are tested against it.
//!
//! Refresh tokens rotate: a refresh answers a new refresh token and the old one stops
//! working. Presenting a spent one again is taken as theft (RFC 9700, "refresh token
//! rotation"): the whole grant is revoked and every token of it answers `invalid_grant` or
//! 401, as after the person removed the app at the platform (`Control::revoke_platform_grants`).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use crate::platform_records::{Grant, PlatformStore};
use crate::request::lock;
use crate::state::Shared;

/// Access tokens live an hour, as Google's do.
pub const ACCESS_SECONDS: i64 = 3600;
const CODE_SECONDS: i64 = 600;

/// The OAuth client the platform knows: `(client id, client secret)`, from the app's.
pub(crate) fn client(sh: &Shared) -> (String, String) {
    (
        format!("platform-{}", sh.creds.0),
        format!("platform-secret-{}", sh.creds.1),
    )
}

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/platform/oauth/authorize", get(authorize).post(decide))
        .route("/platform/oauth/token", post(token))
        .route("/platform/oauth/revoke", post(revoke))
        .route("/platform/v1/me", get(me))
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[derive(Debug, Clone, Deserialize, Default)]
struct AuthRequest {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    state: String,
    decision: Option<String>,
}

fn back(r: &AuthRequest, pairs: &[(&str, &str)]) -> Response {
    let Ok(mut url) = url::Url::parse(&r.redirect_uri) else {
        return (StatusCode::BAD_REQUEST, "redirect_uri is not a URL").into_response();
    };
    url.query_pairs_mut().extend_pairs(pairs).append_pair("state", &r.state);
    Redirect::to(url.as_str()).into_response()
}

fn grant_code(sh: &Shared, r: &AuthRequest) -> Response {
    let code = format!("pc_{}", sh.random_string(32));
    let mut store = lock(&sh.platform);
    store.grants.push(Grant {
        scope: r.scope.clone(),
        revoked: false,
    });
    let grant = store.grants.len() - 1;
    store
        .codes
        .insert(code.clone(), (grant, r.redirect_uri.clone(), now() + CODE_SECONDS));
    drop(store);
    back(r, &[("code", &code)])
}

async fn authorize(State(sh): State<Arc<Shared>>, Query(r): Query<AuthRequest>) -> Response {
    if r.client_id != client(&sh).0 || url::Url::parse(&r.redirect_uri).is_err() {
        return (StatusCode::BAD_REQUEST, Html("<h1>invalid_client or redirect_uri</h1>")).into_response();
    }
    if sh.cfg().auto_approve {
        return grant_code(&sh, &r);
    }
    let field = |k: &str, v: &str| format!("<input type=\"hidden\" name=\"{k}\" value=\"{}\">", html_escape(v));
    Html(format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Authorize (sandbox ad platform)</title></head><body>\
         <h1>Allow adsync to read your ad data?</h1><p>Scopes: {}</p><form method=\"post\">{}{}{}{}\
         <button name=\"decision\" value=\"approve\">Allow</button> <button name=\"decision\" value=\"deny\">Deny</button></form></body></html>",
        html_escape(&r.scope),
        field("client_id", &r.client_id),
        field("redirect_uri", &r.redirect_uri),
        field("scope", &r.scope),
        field("state", &r.state),
    ))
    .into_response()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('"', "&quot;")
}

async fn decide(State(sh): State<Arc<Shared>>, Form(r): Form<AuthRequest>) -> Response {
    if r.client_id != client(&sh).0 {
        return (StatusCode::BAD_REQUEST, "invalid_client").into_response();
    }
    match r.decision.as_deref() {
        Some("approve") => grant_code(&sh, &r),
        _ => back(&r, &[("error", "access_denied")]),
    }
}

#[derive(Deserialize)]
struct TokenRequest {
    #[serde(default)]
    grant_type: String,
    code: Option<String>,
    redirect_uri: Option<String>,
    refresh_token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// New access and refresh tokens for `grant`.
fn issue(sh: &Shared, store: &mut PlatformStore, grant: usize) -> Response {
    let access = format!("pa_{}", sh.random_string(40));
    let refresh = format!("pr_{}", sh.random_string(40));
    store.access.insert(access.clone(), (grant, now() + ACCESS_SECONDS));
    store.refresh.insert(refresh.clone(), (grant, false));
    let scope = store.grants.get(grant).map(|g| g.scope.clone()).unwrap_or_default();
    axum::Json(json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ACCESS_SECONDS,
        "refresh_token": refresh,
        "scope": scope,
    }))
    .into_response()
}

async fn token(State(sh): State<Arc<Shared>>, Form(t): Form<TokenRequest>) -> Response {
    let (id, secret) = client(&sh);
    if t.client_id.as_deref() != Some(id.as_str()) || t.client_secret.as_deref() != Some(secret.as_str()) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed.",
        );
    }
    let mut store = lock(&sh.platform);
    match t.grant_type.as_str() {
        "authorization_code" => {
            let Some((grant, redirect, expires)) = t.code.as_deref().and_then(|c| store.codes.remove(c)) else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Unknown or used code.");
            };
            if expires < now() || t.redirect_uri.as_deref() != Some(redirect.as_str()) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Expired code or redirect_uri mismatch.",
                );
            }
            issue(&sh, &mut store, grant)
        }
        "refresh_token" => {
            let presented = t.refresh_token.unwrap_or_default();
            let Some((grant, spent)) = store.refresh.get(&presented).copied() else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Unknown refresh token.");
            };
            if spent {
                // Reuse of a rotated refresh token: revoke the whole grant.
                if let Some(g) = store.grants.get_mut(grant) {
                    g.revoked = true;
                }
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Refresh token reused; the grant is revoked.",
                );
            }
            if store.grants.get(grant).is_none_or(|g| g.revoked) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Token has been expired or revoked.",
                );
            }
            store.refresh.insert(presented, (grant, true));
            issue(&sh, &mut store, grant)
        }
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "authorization_code or refresh_token",
        ),
    }
}

#[derive(Deserialize)]
struct RevokeRequest {
    #[serde(default)]
    token: String,
}

/// RFC 7009: revokes the grant of an access or refresh token; 200 even for unknown tokens.
async fn revoke(State(sh): State<Arc<Shared>>, Form(r): Form<RevokeRequest>) -> Response {
    let mut store = lock(&sh.platform);
    let grant = store
        .refresh
        .get(&r.token)
        .map(|(g, _)| *g)
        .or_else(|| store.access.get(&r.token).map(|(g, _)| *g));
    if let Some(g) = grant.and_then(|g| store.grants.get_mut(g)) {
        g.revoked = true;
    }
    StatusCode::OK.into_response()
}

async fn me(State(sh): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or_default();
    let store = lock(&sh.platform);
    let valid = store
        .access
        .get(bearer)
        .filter(|(g, expires)| *expires > now() && store.grants.get(*g).is_some_and(|g| !g.revoked));
    match valid {
        Some((g, _)) => {
            axum::Json(json!({"id": format!("platform-user-{g}"), "name": "Sandbox Advertiser"})).into_response()
        }
        None => oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "The access token is invalid, expired or revoked.",
        ),
    }
}
