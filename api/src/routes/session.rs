//! Sign in and out of the JSON API (the same session cookie the pages use).

use adsync_common::Secret;
use adsync_common::ids::{Email, UserId};
use adsync_common::password::verify_password;
use adsync_storage::{sessions, sign_in_failures, users};
use axum::extract::State;
use axum::http::StatusCode;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::SESSION_COOKIE;
use crate::extract::ApiJson;
use crate::security::ClientAddress;
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

/// Failed sign-ins one account may have in a window before it must wait for the window to
/// end; a successful sign-in clears its count.
const ACCOUNT_FAILURES: u32 = 5;
/// Failed sign-ins one client address may have in a window, over every account it tries
/// (guessing one password across many accounts). Not cleared by a success, which an
/// attacker with an account of their own could otherwise use to reset it.
const ADDRESS_FAILURES: u32 = 20;
const FAILURE_WINDOW_MINUTES: i64 = 15;

/// Checks e-mail and password; unknown e-mail and wrong password get the same answer
/// (and cost the same time), so the endpoint does not reveal who has an account. An account
/// or address that has failed too often is refused with 429 before any password is hashed.
pub async fn check_credentials(
    state: &AppState,
    email: &str,
    password: String,
    client: ClientAddress,
) -> Result<UserId, ApiError> {
    let rejected = || ApiError::Unauthorized("Wrong e-mail or password.".into());
    let password = Secret::new(password);
    let email = Email::parse(email).ok();
    let account_key = format!(
        "account:{}",
        email.as_ref().map_or(String::new(), |e| e.as_str().to_string())
    );
    let mut limits = vec![(account_key.clone(), ACCOUNT_FAILURES)];
    if let Some(ip) = client.0 {
        limits.push((format!("address:{ip}"), ADDRESS_FAILURES));
    }
    refuse_when_over(state, &limits, "failed sign-ins").await?;
    let found = match &email {
        Some(email) => users::credentials(&state.db, email).await?,
        None => None,
    };
    let (user, hash) = match found {
        Some((id, hash)) => (Some(id), Some(hash)),
        None => (None, None),
    };
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, hash.as_deref()))
        .await
        .map_err(ApiError::internal)?;
    match (ok, user) {
        (true, Some(id)) => {
            sign_in_failures::clear(&state.db, &account_key).await?;
            Ok(id)
        }
        _ => {
            let window = chrono::Duration::minutes(FAILURE_WINDOW_MINUTES);
            for (key, _) in &limits {
                sign_in_failures::record(&state.db, key, window).await?;
            }
            Err(rejected())
        }
    }
}

/// 429 when any `(key, limit)` of `limits` has reached its limit in its window (counted in
/// `sign_in_failures`); `what` names what was counted.
pub async fn refuse_when_over(state: &AppState, limits: &[(String, u32)], what: &str) -> Result<(), ApiError> {
    for (key, limit) in limits {
        if let Some(until) = sign_in_failures::blocked_until(&state.db, key, *limit).await? {
            let wait = (until - chrono::Utc::now()).num_seconds().max(1) as u64;
            return Err(ApiError::TooManyRequests {
                detail: format!("Too many {what}; try again in {} minute(s).", wait.div_ceil(60)),
                retry_after_secs: wait,
            });
        }
    }
    Ok(())
}

/// Starts a session and returns the cookie that carries it.
pub async fn start_session(state: &AppState, user: UserId) -> Result<Cookie<'static>, ApiError> {
    let secret = sessions::create(&state.db, user, chrono::Duration::days(SESSION_DAYS)).await?;
    Ok(private_cookie(
        state,
        SESSION_COOKIE.to_string(),
        secret.into_inner(),
        "/",
        time::Duration::days(SESSION_DAYS),
    ))
}

/// A cookie only this site's pages under `path` get, never scripts: `HttpOnly`,
/// `SameSite=Lax` (sent on the navigation back from a provider), `Secure` over https.
pub fn private_cookie(
    state: &AppState,
    name: String,
    value: String,
    path: &'static str,
    max_age: time::Duration,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies())
        .path(path)
        .max_age(max_age)
        .build()
}

/// Signs the cookie's user out everywhere (every session they have, on every browser) and
/// clears the cookie: signing out is how a user ends a session left open elsewhere.
pub async fn end_session(state: &AppState, jar: CookieJar) -> Result<CookieJar, ApiError> {
    if let Some(c) = jar.get(SESSION_COOKIE)
        && let Some(user) = sessions::user_for(&state.db, c.value()).await?
    {
        sessions::delete_all_of(&state.db, user).await?;
    }
    Ok(jar.remove(Cookie::build(SESSION_COOKIE).path("/")))
}

/// The signed-in user.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct SignedIn {
    user_id: UserId,
}

/// Signs in with e-mail and password; sets the `adsync_session` cookie (HttpOnly, SameSite=Lax).
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = Credentials, responses(
    (status = 200, description = "Signed in; the cookie is set", body = SignedIn),
    (status = 400, description = "Malformed body", body = crate::error::Problem, content_type = "application/problem+json"), (status = 401, description = "Wrong e-mail or password", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Sent from another site", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many failed sign-ins for this account or address; see Retry-After", body = crate::error::Problem, content_type = "application/problem+json"),
))]
async fn sign_in(
    State(state): State<AppState>,
    client: ClientAddress,
    jar: CookieJar,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<(CookieJar, axum::Json<SignedIn>), ApiError> {
    let user = check_credentials(&state, &body.email, body.password, client).await?;
    let cookie = start_session(&state, user).await?;
    Ok((jar.add(cookie), axum::Json(SignedIn { user_id: user })))
}

/// Ends every session of the cookie's user, if any, and clears the cookie.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", responses((status = 204, description = "Signed out")))]
async fn sign_out(State(state): State<AppState>, jar: CookieJar) -> Result<(CookieJar, StatusCode), ApiError> {
    Ok((end_session(&state, jar).await?, StatusCode::NO_CONTENT))
}
