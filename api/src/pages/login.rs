//! The sign-in form (a plain form POST; no JavaScript needed).

use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use maud::html;
use serde::Deserialize;

use super::layout::{notice, page};
use crate::routes::session::{check_credentials, end_session, start_session};
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
}

fn form(error: Option<&str>, email: &str) -> Html<String> {
    Html(
        page(
            "Sign in",
            None,
            html! {
                h1 { "Sign in to adsync" }
                @if let Some(e) = error { (notice("error", e)) }
                form.card method="post" action="/login" {
                    label for="email" { "E-mail" }
                    input id="email" name="email" type="email" autocomplete="username" required value=(email);
                    label for="password" { "Password" }
                    input id="password" name="password" type="password" autocomplete="current-password" required;
                    button type="submit" { "Sign in" }
                }
            },
        )
        .into_string(),
    )
}

async fn login_form() -> Html<String> {
    form(None, "")
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

async fn login(State(state): State<AppState>, jar: CookieJar, Form(f): Form<LoginForm>) -> Response {
    match check_credentials(&state, &f.email, f.password).await {
        Ok(user) => match start_session(&state, user).await {
            Ok(cookie) => (jar.add(cookie), Redirect::to("/teams")).into_response(),
            Err(e) => e.into_response(),
        },
        Err(ApiError::Unauthorized(msg)) => {
            (axum::http::StatusCode::UNAUTHORIZED, form(Some(&msg), &f.email)).into_response()
        }
        Err(e) => e.into_response(),
    }
}

async fn logout(State(state): State<AppState>, jar: CookieJar) -> Response {
    match end_session(&state, jar).await {
        Ok(jar) => (jar, Redirect::to("/login")).into_response(),
        Err(e) => e.into_response(),
    }
}
