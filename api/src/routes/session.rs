//! Sign in and out of the JSON API (the same session cookie the pages use).

use adsync_common::Secret;
use adsync_common::ids::{Email, UserId};
use adsync_common::password::verify_password;
use adsync_common::storage::{sessions, users};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;
use serde_json::json;

use crate::auth::SESSION_COOKIE;
use crate::extract::ApiJson;
use crate::{ApiError, AppState};

pub const SESSION_DAYS: i64 = 14;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/session", post(sign_in).delete(sign_out))
}

#[derive(Deserialize)]
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

async fn sign_in(
    State(state): State<AppState>,
    jar: CookieJar,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<(CookieJar, axum::Json<serde_json::Value>), ApiError> {
    let user = check_credentials(&state, &body.email, body.password).await?;
    let cookie = start_session(&state, user).await?;
    Ok((jar.add(cookie), axum::Json(json!({"user_id": user}))))
}

async fn sign_out(State(state): State<AppState>, jar: CookieJar) -> Result<(CookieJar, StatusCode), ApiError> {
    Ok((end_session(&state, jar).await?, StatusCode::NO_CONTENT))
}
