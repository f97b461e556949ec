//! A provider sign-in whose verified e-mail is an existing user's: linked, and the user
//! signed in, only once they type that user's password (with the same limit on failures as
//! the login form). The pending link lives in a cookie for this page only, and works once.

use adsync_storage::identities;
use adsync_storage::sign_in_states;
use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::CookieJar;
use maud::html;
use serde::Deserialize;

use super::{CONFIRM_COOKIE, link_problem, removal, signed_in};
use crate::pages::layout::{notice, page};
use crate::routes::session::check_credentials;
use crate::security::ClientAddress;
use crate::{ApiError, AppState};
use adsync_connect::sign_in::IdProvider;

fn provider_name(id: &str) -> &'static str {
    IdProvider::from_id(id).map_or("the provider", IdProvider::display_name)
}

fn confirm_page(email: &str, provider: &str, error: Option<&str>) -> Html<String> {
    let name = provider_name(provider);
    Html(
        page(
            "Confirm your password",
            None,
            html! {
                h1 { "Link " (name) " to your adsync account" }
                @if let Some(e) = error { (notice("error", e)) }
                p { "An adsync account already uses " strong { (email) } ". Type its password to link your "
                    (name) " account to it; afterwards either signs you in." }
                form.card method="post" action="/login/confirm" {
                    label for="password" { "Password of " (email) }
                    input id="password" name="password" type="password" autocomplete="current-password" required;
                    button type="submit" { "Link and sign in" }
                }
                p { a href="/login" { "Cancel" } " · " a href="/password/forgot" { "Forgot your password?" } }
            },
        )
        .into_string(),
    )
}

fn expired() -> ApiError {
    ApiError::Gone("This confirmation is no longer open (they last 10 minutes and work once). Sign in again.".into())
}

/// The confirmation this browser's cookie holds, and its secret.
async fn pending(state: &AppState, jar: &CookieJar) -> Result<(String, sign_in_states::Confirmation), ApiError> {
    let secret = jar
        .get(CONFIRM_COOKIE)
        .map(|c| c.value().to_string())
        .ok_or_else(expired)?;
    let c = sign_in_states::confirmation(&state.db, &secret)
        .await?
        .ok_or_else(expired)?;
    Ok((secret, c))
}

pub(super) async fn show(State(state): State<AppState>, jar: CookieJar) -> Result<Response, ApiError> {
    let (_, c) = pending(&state, &jar).await?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        confirm_page(&c.email, &c.provider, None),
    )
        .into_response())
}

#[derive(Deserialize)]
pub(super) struct ConfirmForm {
    #[serde(default)]
    password: String,
}

pub(super) async fn submit(
    State(state): State<AppState>,
    client: ClientAddress,
    jar: CookieJar,
    Form(f): Form<ConfirmForm>,
) -> Result<Response, ApiError> {
    let (secret, c) = pending(&state, &jar).await?;
    let user = match check_credentials(&state, &c.email, f.password, client).await {
        Ok(user) => user,
        Err(ApiError::Unauthorized(_)) => {
            let page = confirm_page(&c.email, &c.provider, Some("Wrong password."));
            return Ok((StatusCode::UNAUTHORIZED, page).into_response());
        }
        Err(e) => return Err(e),
    };
    let jar = jar.remove(removal(CONFIRM_COOKIE.into(), "/login/confirm"));
    // Used once: a second tab posting the same confirmation finds it gone.
    let Some(c) = sign_in_states::take_confirmation(&state.db, &secret).await? else {
        return Err(expired());
    };
    if c.user_id != user {
        return Err(expired());
    }
    let outcome = identities::link(&state.db, user, &c.provider, &c.subject, Some(&c.email)).await?;
    if let Some(problem) = link_problem(outcome, provider_name(&c.provider)) {
        return Ok((
            StatusCode::CONFLICT,
            jar,
            confirm_page(&c.email, &c.provider, Some(&problem)),
        )
            .into_response());
    }
    tracing::info!(provider = %c.provider, user = %user, "provider linked after a password confirmation");
    signed_in(&state, jar, user, &c.next).await
}
