//! Signing in with Google or Facebook: the buttons on the login page start here, the
//! provider sends the browser back to the callback, and what the identity then does is
//! decided here:
//! - linked to a user: that user is signed in;
//! - started from the account page: it is linked to the signed-in user;
//! - its verified e-mail is an existing user's: that user confirms with their password
//!   first (`confirm`), so whoever controls an address at a provider cannot take over an
//!   adsync account by it alone;
//! - otherwise a user is created, without a password.
//!
//! The provider half (state, nonce, PKCE, ID token checks) is `adsync_connect::sign_in`.

mod confirm;
mod linked;

use adsync_connect::CallbackParams;
use adsync_connect::sign_in::{IdProvider, SignInError, Verified, browser_key};
use adsync_storage::identities::{self, Linked};
use adsync_storage::sign_in_states::{self, Confirmation};
use adsync_storage::{StorageError, sign_in_failures, users};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::Cookie;
use serde::Deserialize;

pub use linked::section as account_section;

use super::MaybeUser;
use super::login::{form, safe_next};
use crate::routes::session::{private_cookie, refuse_when_over, start_session};
use crate::security::ClientAddress;
use crate::{ApiError, AppState};

/// The browser's half of a sign-in on its way, the PKCE verifier, is in the cookie named
/// this and the sign-in's `browser_key`.
const VERIFIER_COOKIE: &str = "adsync_sign_in_";
/// Sign-ins one client may start in [`START_WINDOW_MINUTES`] (each stores a row).
const STARTS_PER_CLIENT: u32 = 30;
const START_WINDOW_MINUTES: i64 = 15;
/// A provider sign-in waiting for the password of the user whose e-mail it has.
const CONFIRM_COOKIE: &str = "adsync_link_confirm";
/// How long a password confirmation may wait.
const CONFIRM_MINUTES: i64 = 10;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login/confirm", get(confirm::show).post(confirm::submit))
        .route("/login/{provider}", get(start))
        .route("/login/{provider}/callback", get(callback))
        .route("/account/sign-in/{provider}/link", post(linked::link))
        .route("/account/sign-in/{provider}/unlink", post(linked::unlink))
}

/// A configured provider named in the path; anything else is a 404.
fn provider_of(state: &AppState, id: &str) -> Result<IdProvider, ApiError> {
    IdProvider::from_id(id)
        .filter(|p| state.sign_in.providers().contains(p))
        .ok_or_else(|| ApiError::NotFound(format!("Signing in with {id:?} is not offered here.")))
}

/// A short-lived cookie for the sign-in pages only.
fn cookie(state: &AppState, name: String, value: String, path: &'static str, minutes: i64) -> Cookie<'static> {
    private_cookie(state, name, value, path, time::Duration::minutes(minutes))
}

fn removal(name: String, path: &'static str) -> Cookie<'static> {
    Cookie::build(name).path(path).build()
}

/// The cookie holding the verifier of the sign-in `browser_key` names.
fn verifier_cookie_name(browser_key: &str) -> String {
    format!("{VERIFIER_COOKIE}{browser_key}")
}

/// Sends the browser to the provider, keeping the PKCE verifier in its cookie.
pub(super) async fn begin(
    state: &AppState,
    jar: CookieJar,
    provider: IdProvider,
    link_user: Option<adsync_common::ids::UserId>,
    next: &str,
    client: ClientAddress,
) -> Result<Response, ApiError> {
    // Starting stores a row and needs no account: bounded per client address.
    if let Some(ip) = client.0 {
        let limits = [(format!("sign-in-start:{ip}"), STARTS_PER_CLIENT)];
        refuse_when_over(state, &limits, "sign-ins started").await?;
        let window = chrono::Duration::minutes(START_WINDOW_MINUTES);
        sign_in_failures::record(&state.db, &limits[0].0, window).await?;
    }
    let started = state
        .sign_in
        .start(provider, link_user, next)
        .await
        .map_err(|e| into_api(provider, e))?;
    let minutes = (adsync_connect::sign_in::STATE_TTL.as_secs() / 60) as i64;
    let name = verifier_cookie_name(&started.browser_key);
    let c = cookie(state, name, started.verifier.into_inner(), "/login", minutes);
    Ok((jar.add(c), Redirect::to(started.url.as_str())).into_response())
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn start(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    Query(q): Query<NextQuery>,
    client: ClientAddress,
    jar: CookieJar,
) -> Result<Response, ApiError> {
    let provider = provider_of(&state, &provider)?;
    begin(&state, jar, provider, None, safe_next(q.next.as_deref()), client).await
}

/// Failures before any page of ours is involved (starting): problems, shown as pages.
fn into_api(provider: IdProvider, e: SignInError) -> ApiError {
    match e {
        SignInError::Unavailable { .. } => ApiError::Unavailable(e.to_string()),
        e if e.is_internal() => ApiError::internal(e),
        e => ApiError::BadRequest(format!("{} ({})", e, provider.display_name())),
    }
}

/// The login page again, saying what went wrong.
fn failed(state: &AppState, status: StatusCode, message: &str) -> Response {
    (status, form(state, Some(message), "", "/teams")).into_response()
}

fn status_of(e: &SignInError) -> StatusCode {
    match e {
        SignInError::Declined(_) => StatusCode::FORBIDDEN,
        SignInError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        SignInError::Provider { .. } | SignInError::Invalid { .. } => StatusCode::BAD_GATEWAY,
        _ => StatusCode::BAD_REQUEST,
    }
}

async fn callback(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    Query(params): Query<CallbackParams>,
    session: MaybeUser,
    jar: CookieJar,
) -> Result<Response, ApiError> {
    let provider = provider_of(&state, &provider)?;
    let name = verifier_cookie_name(&browser_key(params.state.as_deref().unwrap_or_default()));
    let verifier = jar.get(&name).map(|c| c.value().to_string());
    let jar = jar.remove(removal(name, "/login"));
    let verified = match state.sign_in.finish(provider, params, verifier.as_deref()).await {
        Ok(v) => v,
        Err(e) if e.is_internal() => return Err(ApiError::internal(e)),
        Err(e) => {
            tracing::info!(provider = provider.id(), error = %e, "sign-in with a provider failed");
            return Ok((jar, failed(&state, status_of(&e), &e.to_string())).into_response());
        }
    };
    match verified.link_user {
        Some(user) => linked::finish_link(&state, jar, session, user, verified).await,
        None => sign_in(&state, jar, verified).await,
    }
}

/// A verified identity on the login page: sign in its user, ask the user with its e-mail
/// for their password, or create a user.
async fn sign_in(state: &AppState, jar: CookieJar, v: Verified) -> Result<Response, ApiError> {
    let name = v.provider.display_name();
    if let Some(user) = identities::user_for(&state.db, v.provider.id(), &v.subject).await? {
        return signed_in(state, jar, user, &v.next).await;
    }
    let Some(email) = v.email else {
        let message = format!(
            "{name} did not share a verified e-mail address, and this {name} account is not linked to an adsync user. \
             Sign in with your e-mail and password, then link {name} on your account page."
        );
        return Ok((jar, failed(state, StatusCode::FORBIDDEN, &message)).into_response());
    };
    if let Some(user) = users::find_by_email(&state.db, &email).await? {
        // No password to confirm with: the user signs in with another provider.
        if !identities::has_password(&state.db, user.id).await? {
            let linked: Vec<&str> = identities::of_user(&state.db, user.id)
                .await?
                .iter()
                .filter_map(|i| IdProvider::from_id(&i.provider).map(IdProvider::display_name))
                .collect();
            let message = format!(
                "{} signs in to adsync with {}, not with a password. Sign in with it, then link {name} on your account page.",
                user.email,
                if linked.is_empty() {
                    "another provider".to_string()
                } else {
                    linked.join(" or ")
                }
            );
            return Ok((jar, failed(state, StatusCode::CONFLICT, &message)).into_response());
        }
        let c = Confirmation {
            user_id: user.id,
            email: user.email,
            provider: v.provider.id().to_string(),
            subject: v.subject,
            next: v.next,
        };
        let secret =
            sign_in_states::create_confirmation(&state.db, &c, chrono::Duration::minutes(CONFIRM_MINUTES)).await?;
        let c = cookie(
            state,
            CONFIRM_COOKIE.into(),
            secret.into_inner(),
            "/login/confirm",
            CONFIRM_MINUTES,
        );
        return Ok((jar.add(c), Redirect::to("/login/confirm")).into_response());
    }
    match identities::create_user(&state.db, &email, v.provider.id(), &v.subject).await {
        Ok(user) => {
            tracing::info!(provider = v.provider.id(), user = %user, "user created by a provider sign-in");
            signed_in(state, jar, user, &v.next).await
        }
        // Someone took the address or linked the account meanwhile: signing in again decides anew.
        Err(StorageError::Conflict) => Ok((
            jar,
            failed(
                state,
                StatusCode::CONFLICT,
                "Your account changed while signing in. Please sign in again.",
            ),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

async fn signed_in(
    state: &AppState,
    jar: CookieJar,
    user: adsync_common::ids::UserId,
    next: &str,
) -> Result<Response, ApiError> {
    let session = start_session(state, user).await?;
    Ok((jar.add(session), Redirect::to(safe_next(Some(next)))).into_response())
}

/// What linking to `user` said, for the account page.
fn link_problem(outcome: Linked, name: &str) -> Option<String> {
    match outcome {
        Linked::Done | Linked::Already => None,
        Linked::OtherUser => Some(format!(
            "This {name} account is already linked to another adsync user; unlink it there first."
        )),
        Linked::OtherAccount => Some(format!(
            "Another {name} account is linked to you; unlink it first to link this one."
        )),
    }
}
