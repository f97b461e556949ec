//! An invitation link (`/invites/{secret}`): whoever holds it joins the team, once, before
//! it expires. Someone without an account chooses a password and is signed in; someone with
//! one signs in first, as the invited address (a link forwarded to another person's account
//! does not make them a member).

use adsync_common::ids::Email;
use adsync_storage::invites::{self, Invite, Joiner};
use adsync_storage::{StorageError, users};
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use axum_extra::extract::CookieJar;
use maud::{Markup, html};

use super::account::{NewPassword, SECRET_IN_URL, hash_new_password};
use super::layout::{notice, page};
use super::{MaybeUser, PageUser};
use crate::routes::session::start_session;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/invites/{secret}", get(show).post(accept))
}

/// The page an invitation opens: `ADSYNC_PUBLIC_URL` + `invites/<secret>`.
pub fn invite_link(public_url: &url::Url, secret: &adsync_common::Secret<String>) -> String {
    format!(
        "{}/invites/{}",
        public_url.as_str().trim_end_matches('/'),
        secret.expose()
    )
}

/// The invitation the link names, if it still works.
async fn usable(state: &AppState, secret: &str) -> Result<(Invite, Email), ApiError> {
    let invite = invites::find(&state.db, secret).await?.ok_or_else(|| {
        ApiError::NotFound("This invitation link is not known. Ask the team's owner for a new one.".into())
    })?;
    if !invite.usable() {
        return Err(used());
    }
    let email = Email::parse(&invite.email).map_err(|e| ApiError::internal(std::io::Error::other(e)))?;
    Ok((invite, email))
}

async fn show(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(secret): Path<String>,
) -> Result<Response, ApiError> {
    let (invite, email) = usable(&state, &secret).await?;
    let has_account = users::find_by_email(&state.db, &email).await?.is_some();
    let who = user.as_ref().map(|u| u.email.as_str());
    let action = format!("/invites/{secret}");
    let body = html! {
        h1 { "Join " (invite.team_name) }
        p { "You are invited to the team " strong { (invite.team_name) } " on adsync as " (invite.role) ", at " (invite.email) "." }
        p.hint { "The link works once, until " (invite.expires_at.format("%Y-%m-%d %H:%M UTC")) "." }
        (answer(&invite, &action, who, has_account))
    };
    Ok((SECRET_IN_URL, Html(page("Invitation", who, body).into_string())).into_response())
}

/// What the visitor can do with the invitation.
fn answer(invite: &Invite, action: &str, signed_in_as: Option<&str>, has_account: bool) -> Markup {
    html! {
        @match signed_in_as {
            Some(me) if me == invite.email => {
                form.card method="post" action=(action) {
                    button type="submit" { "Join " (invite.team_name) }
                }
            }
            Some(me) => {
                (notice("error", &format!("This invitation is for {}, and you are signed in as {me}. Sign out, then open the link again.", invite.email)))
                form method="post" action="/logout" { button type="submit" { "Sign out" } }
            }
            None if has_account => {
                p { a href={ "/login?next=" (url::form_urlencoded::byte_serialize(action.as_bytes()).collect::<String>()) } { "Sign in as " (invite.email) } " to join." }
            }
            None => {
                form.card method="post" action=(action) {
                    p { "Choose a password for your new account (" (invite.email) ")." }
                    (NewPassword::fields())
                    button type="submit" { "Create account and join" }
                }
            }
        }
    }
}

async fn accept(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    jar: CookieJar,
    Path(secret): Path<String>,
    Form(password): Form<NewPassword>,
) -> Result<Response, ApiError> {
    let (invite, email) = usable(&state, &secret).await?;
    match user {
        Some(PageUser { id, email: mine }) => {
            if mine != invite.email {
                return Err(ApiError::Forbidden(format!(
                    "This invitation is for {}, and you are signed in as {mine}.",
                    invite.email
                )));
            }
            let (_, team) = invites::accept(&state.db, &secret, &email, Joiner::User(id))
                .await?
                .ok_or_else(used)?;
            Ok(Redirect::to(&format!("/teams/{team}/dashboard")).into_response())
        }
        None => {
            if users::find_by_email(&state.db, &email).await?.is_some() {
                return Err(sign_in_first(&invite));
            }
            let hash = hash_new_password(password).await?;
            let joiner = Joiner::NewUser { password_hash: &hash };
            let (user, team) = match invites::accept(&state.db, &secret, &email, joiner).await {
                Err(StorageError::Conflict) => return Err(sign_in_first(&invite)),
                other => other?.ok_or_else(used)?,
            };
            let cookie = start_session(&state, user).await?;
            Ok((jar.add(cookie), Redirect::to(&format!("/teams/{team}/dashboard"))).into_response())
        }
    }
}

/// A link that was used, or expired (also when another use of it won the race).
fn used() -> ApiError {
    ApiError::Gone("This invitation was used already or has expired. Ask the team's owner for a new one.".into())
}

fn sign_in_first(invite: &Invite) -> ApiError {
    ApiError::Conflict(format!(
        "{} has an account: sign in with it, then open the invitation link again.",
        invite.email
    ))
}
