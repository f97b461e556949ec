//! Sign in and out of the JSON API (the same session cookie the pages use).

use adsync_common::Secret;
use adsync_common::ids::{Email, UserId};
use adsync_common::password::verify_password;
use adsync_common::storage::{sessions, users};
use axum::extract::State;
use axum::http::StatusCode;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::SESSION_COOKIE;
use crate::extract::ApiJson;
use crate::{ApiError, AppState};

pub const SESSION_DAYS: i64 = 14;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(sign_in, sign_out))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Credentials {
    email: String,
    password: String,
}

/// Checks e-mail and password; unknown e-mail and wrong password get the same answer
/// (and cost the same time), so the endpoint does not reveal who has an account.
pub async fn check_credentials(state: &AppState, email: &str, password: String) -> Result<UserId, ApiError> {
    let rejected = || ApiError::Unauthorized("Wrong e-mail or password.".into());
    let password = Secret::new(password);
    let found = match Email::parse(email) {
        Ok(email) => users::credentials(&state.db, &email).await?,
        Err(_) => None,
    };
    let (user, hash) = match found {
        Some((id, hash)) => (Some(id), Some(hash)),
        None => (None, None),
    };
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, hash.as_deref()))
        .await
        .map_err(ApiError::internal)?;
    match (ok, user) {
        (true, Some(id)) => Ok(id),
        _ => Err(rejected()),
    }
}

/// Starts a session and returns the cookie that carries it.
pub async fn start_session(state: &AppState, user: UserId) -> Result<Cookie<'static>, ApiError> {
    let secret = sessions::create(&state.db, user, chrono::Duration::days(SESSION_DAYS)).await?;
    Ok(Cookie::build((SESSION_COOKIE, secret.into_inner()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies())
        .path("/")
        .max_age(time_days(SESSION_DAYS))
        .build())
}

fn time_days(days: i64) -> time::Duration {
    time::Duration::days(days)
}

/// Ends the session in the cookie (if any) and clears the cookie.
pub async fn end_session(state: &AppState, jar: CookieJar) -> Result<CookieJar, ApiError> {
    if let Some(c) = jar.get(SESSION_COOKIE) {
        sessions::delete(&state.db, c.value()).await?;
    }
    Ok(jar.remove(Cookie::build(SESSION_COOKIE).path("/")))
}

/// Signs in with e-mail and password; sets the `adsync_session` cookie (HttpOnly, SameSite=Lax).
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = Credentials, responses(
    (status = 200, description = "Signed in; the cookie is set", body = Object),
    (status = 400, description = "Malformed body", body = crate::error::Problem, content_type = "application/problem+json"), (status = 401, description = "Wrong e-mail or password", body = crate::error::Problem, content_type = "application/problem+json"),
))]
async fn sign_in(
    State(state): State<AppState>,
    jar: CookieJar,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<(CookieJar, axum::Json<serde_json::Value>), ApiError> {
    let user = check_credentials(&state, &body.email, body.password).await?;
    let cookie = start_session(&state, user).await?;
    Ok((jar.add(cookie), axum::Json(json!({"user_id": user}))))
}

/// Ends the session of the cookie sent, if any, and clears the cookie.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", responses((status = 204, description = "Signed out")))]
async fn sign_out(State(state): State<AppState>, jar: CookieJar) -> Result<(CookieJar, StatusCode), ApiError> {
    Ok((end_session(&state, jar).await?, StatusCode::NO_CONTENT))
}
