//! The sign-in form (a plain form POST; no JavaScript needed).

use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use maud::html;
use serde::Deserialize;

use super::layout::{notice, page};
use crate::routes::session::{check_credentials, end_session, start_session};
use crate::security::ClientAddress;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
}

/// Where to go after signing in: a path of this site only (no scheme, no `//host`, no
/// backslash tricks), so a link to the login page cannot send the user elsewhere.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control)
                && n.len() <= 2048 =>
        {
            n
        }
        _ => "/teams",
    }
}

/// The sign-in page: e-mail and password, and a button per configured identity provider.
pub fn form(state: &AppState, error: Option<&str>, email: &str, next: &str) -> Html<String> {
    let providers = state.sign_in.providers();
    let next_query = if next == "/teams" {
        String::new()
    } else {
        format!(
            "?next={}",
            url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        )
    };
    Html(
        page(
            "Sign in",
            None,
            html! {
                h1 { "Sign in to adsync" }
                @if let Some(e) = error { (notice("error", e)) }
                form.card method="post" action="/login" {
                    @if next != "/teams" { input type="hidden" name="next" value=(next); }
                    label for="email" { "E-mail" }
                    input id="email" name="email" type="email" autocomplete="username" required value=(email);
                    label for="password" { "Password" }
                    input id="password" name="password" type="password" autocomplete="current-password" required;
                    button type="submit" { "Sign in" }
                }
                p { a href="/password/forgot" { "Forgot your password?" } }
                @if !providers.is_empty() {
                    section.card.providers aria-label="Sign in with a provider" {
                        @for p in &providers {
                            a.button.provider href={ "/login/" (p.id()) (next_query) } { "Sign in with " (p.display_name()) }
                        }
                    }
                }
            },
        )
        .into_string(),
    )
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_form(State(state): State<AppState>, Query(q): Query<NextQuery>) -> Html<String> {
    form(&state, None, "", safe_next(q.next.as_deref()))
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    client: ClientAddress,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = safe_next(f.next.as_deref());
    match check_credentials(&state, &f.email, f.password, client).await {
        Ok(user) => match start_session(&state, user).await {
            Ok(cookie) => (jar.add(cookie), Redirect::to(next)).into_response(),
            Err(e) => e.into_response(),
        },
        Err(ApiError::Unauthorized(msg)) => {
            (StatusCode::UNAUTHORIZED, form(&state, Some(&msg), &f.email, next)).into_response()
        }
        Err(ApiError::TooManyRequests {
            detail,
            retry_after_secs,
        }) => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, retry_after_secs.to_string())],
            form(&state, Some(&detail), &f.email, next),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

async fn logout(State(state): State<AppState>, jar: CookieJar) -> Response {
    match end_session(&state, jar).await {
        Ok(jar) => (jar, Redirect::to("/login")).into_response(),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_paths_of_this_site_are_followed_after_sign_in() {
        for ok in ["/teams/1/dashboard", "/teams/1/dashboard?since=2026-01-01", "/"] {
            assert_eq!(safe_next(Some(ok)), ok);
        }
        for bad in [
            "https://evil.example/",
            "//evil.example/x",
            "/\\evil.example",
            "\\\\evil.example",
            "evil.example",
            "/teams\n/x",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/teams", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/teams");
    }
}
