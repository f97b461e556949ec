//! The user's own account: changing the password, and setting a new one through a
//! single-use link when it is forgotten (e-mailed on request when an SMTP server is
//! configured, or issued by an admin with `adsync admin reset-link`). A new password ends
//! every session of the user; the browser that set it is signed in again.

use adsync_common::Secret;
use adsync_common::ids::Email;
use adsync_common::password::{check_new_password, hash_password};
use adsync_storage::{identities, password_resets, sign_in_failures, users};
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::CookieJar;
use maud::{Markup, html};
use serde::Deserialize;

use super::PageUser;
use super::layout::{notice, page};
use super::sign_in::account_section as sign_in_section;
use crate::routes::session::{check_credentials, refuse_when_over, start_session};
use crate::security::ClientAddress;
use crate::{ApiError, AppState};

/// How long an e-mailed reset link works.
pub const EMAILED_RESET_MINUTES: i64 = 60;
/// How long a link an admin issued works (it travels by hand).
pub const ADMIN_RESET_HOURS: i64 = 24;
/// Reset e-mails one address, or one client, may ask for in [`REQUEST_WINDOW_MINUTES`].
const REQUESTS_PER_ADDRESS: u32 = 3;
const REQUESTS_PER_CLIENT: u32 = 10;
const REQUEST_WINDOW_MINUTES: i64 = 15;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account", get(show))
        .route("/account/password", post(change_password))
        .route("/password/forgot", get(forgot_form).post(forgot))
        .route("/password/reset/{secret}", get(reset_form).post(reset))
}

/// Where a single-use link leads: `ADSYNC_PUBLIC_URL` + `page` + `/` + the secret.
pub fn link(public_url: &url::Url, page: &str, secret: &Secret<String>) -> String {
    format!(
        "{}{page}/{}",
        public_url.as_str().trim_end_matches('/'),
        secret.expose()
    )
}

/// The page a reset link opens.
pub fn reset_link(public_url: &url::Url, secret: &Secret<String>) -> String {
    link(public_url, "/password/reset", secret)
}

/// Headers of a page whose URL holds a link's secret: no `Referer` carries it to another
/// request, and no cache keeps the page.
pub const SECRET_IN_URL: [(axum::http::HeaderName, &str); 2] = [
    (axum::http::header::REFERRER_POLICY, "no-referrer"),
    (axum::http::header::CACHE_CONTROL, "no-store"),
];

/// A new password typed twice.
#[derive(Deserialize)]
pub struct NewPassword {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

impl NewPassword {
    pub fn fields() -> Markup {
        html! {
            label for="password" { "New password (at least 8 characters)" }
            input id="password" name="password" type="password" autocomplete="new-password" minlength="8" required;
            label for="password_confirm" { "The same password again" }
            input id="password_confirm" name="password_confirm" type="password" autocomplete="new-password" minlength="8" required;
        }
    }
}

/// Checks the two entries and the rule, and hashes (on a blocking thread: argon2 is slow on
/// purpose).
pub async fn hash_new_password(new: NewPassword) -> Result<String, ApiError> {
    if new.password != new.password_confirm {
        return Err(ApiError::BadRequest("The two passwords differ.".into()));
    }
    let password = Secret::new(new.password);
    check_new_password(&password).map_err(|e| ApiError::BadRequest(e.into()))?;
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

#[derive(Deserialize, Default)]
struct Flash {
    done: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Query(flash): Query<Flash>,
) -> Result<Html<String>, ApiError> {
    let done = flash.done.as_deref().unwrap_or_default();
    let provider = |prefix: &str| {
        done.strip_prefix(prefix)
            .and_then(adsync_connect::sign_in::IdProvider::from_id)
            .map(|p| p.display_name())
    };
    let said = match done {
        "password" => Some(notice("ok", "Password changed. You were signed out everywhere else.")),
        "reset" => Some(notice("ok", "New password set; you are signed in.")),
        "reset-unlinked" => Some(notice(
            "ok",
            "New password set; you are signed in. The Google or Facebook accounts linked before were unlinked: \
             link yours again below.",
        )),
        _ => match (provider("linked-"), provider("unlinked-")) {
            (Some(name), _) => Some(notice("ok", &format!("{name} is linked: it signs you in from now on."))),
            (_, Some(name)) => Some(notice("ok", &format!("{name} is unlinked: it no longer signs you in."))),
            _ => None,
        },
    };
    let has_password = identities::has_password(&state.db, user.id).await?;
    let sign_in_methods = sign_in_section(&state, &user).await?;
    let body = html! {
        h1 { "Your account" }
        @if let Some(n) = said { (n) }
        p { "Signed in as " strong { (user.email) } "." }
        section.card aria-labelledby="password-title" {
            @if has_password {
                h2 id="password-title" { "Change your password" }
            } @else {
                h2 id="password-title" { "Set a password" }
                p.hint { "You sign in with a provider; a password lets you sign in without it too." }
            }
            form.password method="post" action="/account/password" {
                @if has_password {
                    label for="current_password" { "Current password" }
                    input id="current_password" name="current_password" type="password" autocomplete="current-password" required;
                }
                (NewPassword::fields())
                button type="submit" { @if has_password { "Change password" } @else { "Set password" } }
            }
            p.hint { "Changing it signs you out on every other browser and device." }
        }
        (sign_in_methods)
    };
    Ok(Html(page("Account", Some(&user.email), body).into_string()))
}

#[derive(Deserialize)]
struct ChangeForm {
    #[serde(default)]
    current_password: String,
    #[serde(flatten)]
    new: NewPassword,
}

async fn change_password(
    State(state): State<AppState>,
    user: PageUser,
    client: ClientAddress,
    jar: CookieJar,
    Form(f): Form<ChangeForm>,
) -> Result<Response, ApiError> {
    // The same check (and limit on failures) as signing in; a user created by a provider
    // sign-in has no password to check yet.
    let had_password = identities::has_password(&state.db, user.id).await?;
    if had_password {
        check_credentials(&state, &user.email, f.current_password, client)
            .await
            .map_err(|e| match e {
                ApiError::Unauthorized(_) => ApiError::BadRequest("The current password is wrong.".into()),
                e => e,
            })?;
    }
    let hash = hash_new_password(f.new).await?;
    if had_password {
        users::set_password(&state.db, user.id, &hash).await?;
    } else if !users::set_first_password(&state.db, user.id, &hash).await? {
        // Set in another tab meanwhile: only with that password from now on.
        return Err(ApiError::BadRequest(
            "A password was set for this account meanwhile; type it as the current password.".into(),
        ));
    }
    let cookie = start_session(&state, user.id).await?;
    Ok((jar.add(cookie), Redirect::to("/account?done=password")).into_response())
}

async fn forgot_form(State(state): State<AppState>) -> Html<String> {
    Html(forgot_page(&state, None, ""))
}

fn forgot_page(state: &AppState, said: Option<Markup>, email: &str) -> String {
    let body = html! {
        h1 { "Forgot your password?" }
        @if let Some(n) = said { (n) }
        @if state.mailer.is_some() {
            form.card method="post" action="/password/forgot" {
                label for="email" { "Your e-mail" }
                input id="email" name="email" type="email" autocomplete="username" required value=(email);
                button type="submit" { "E-mail me a link" }
            }
            p.hint { "The link sets a new password; it works once, for " (EMAILED_RESET_MINUTES) " minutes." }
        } @else {
            p.card {
                "This adsync sends no e-mail (no SMTP server is configured). Ask your administrator for a reset link: "
                code { "adsync admin reset-link --email you@example.com" } "."
            }
        }
        p { a href="/login" { "Back to sign in" } }
    };
    page("Forgot password", None, body).into_string()
}

#[derive(Deserialize)]
struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// Answers the same whether or not the address has an account, and as fast (the e-mail goes
/// out after the answer), so the form tells no one who uses adsync. Each address and each
/// client may ask a few times per window: enough to retry, too few to flood an inbox.
async fn forgot(
    State(state): State<AppState>,
    client: ClientAddress,
    Form(f): Form<ForgotForm>,
) -> Result<Response, ApiError> {
    let Some(mailer) = state.mailer.clone() else {
        return Err(ApiError::Conflict(
            "This adsync sends no e-mail; ask your administrator for a reset link.".into(),
        ));
    };
    let email = Email::parse(&f.email).map_err(|e| ApiError::BadRequest(format!("email: {e}")))?;
    let window = chrono::Duration::minutes(REQUEST_WINDOW_MINUTES);
    let mut limits = vec![(format!("reset:{}", email.as_str()), REQUESTS_PER_ADDRESS)];
    if let Some(ip) = client.0 {
        limits.push((format!("reset-address:{ip}"), REQUESTS_PER_CLIENT));
    }
    refuse_when_over(&state, &limits, "reset requests").await?;
    for (key, _) in &limits {
        sign_in_failures::record(&state.db, key, window).await?;
    }
    // Everything that depends on the address having an account happens after the answer,
    // so the answer takes as long either way.
    let (db, public_url) = (state.db.clone(), state.config.public_url.clone());
    tokio::spawn(async move {
        if let Err(e) = email_reset_link(&db, &public_url, &mailer, &email).await {
            tracing::warn!(error = %e, "could not e-mail a password-reset link");
        }
    });
    let said = notice(
        "ok",
        &format!(
            "If {} has an adsync account, a link to set a new password is on its way. It works for {EMAILED_RESET_MINUTES} minutes.",
            f.email.trim()
        ),
    );
    Ok(Html(forgot_page(&state, Some(said), "")).into_response())
}

/// Creates a reset link for the address's user, if it has one, and e-mails it.
async fn email_reset_link(
    db: &adsync_storage::Db,
    public_url: &url::Url,
    mailer: &crate::Mailer,
    email: &Email,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let Some(user) = users::find_by_email(db, email).await? else {
        return Ok(());
    };
    let secret = password_resets::create(db, user.id, chrono::Duration::minutes(EMAILED_RESET_MINUTES)).await?;
    let link = reset_link(public_url, &secret);
    let body = format!(
        "Someone (we hope you) asked to set a new adsync password for {email}.\n\n\
         Open this link to choose one (it works once, for {EMAILED_RESET_MINUTES} minutes):\n\n{link}\n\n\
         If you did not ask, ignore this message: your password stays as it is.\n"
    );
    mailer.send(email.as_str(), "Set a new adsync password", body).await?;
    Ok(())
}

fn link_gone() -> ApiError {
    ApiError::Gone("This link was used already or has expired. Ask for a new one on the sign-in page.".into())
}

async fn reset_form(State(state): State<AppState>, Path(secret): Path<String>) -> Result<Response, ApiError> {
    let (_, email) = password_resets::user_for(&state.db, &secret)
        .await?
        .ok_or_else(link_gone)?;
    let body = html! {
        h1 { "Set a new password" }
        form.card method="post" action={ "/password/reset/" (secret) } {
            p { "For " strong { (email) } "." }
            (NewPassword::fields())
            button type="submit" { "Set password" }
        }
        p.hint { "Setting it signs you out everywhere else." }
    };
    Ok((SECRET_IN_URL, Html(page("New password", None, body).into_string())).into_response())
}

async fn reset(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(secret): Path<String>,
    Form(new): Form<NewPassword>,
) -> Result<Response, ApiError> {
    // Refused before hashing when the link cannot work anyway.
    password_resets::user_for(&state.db, &secret)
        .await?
        .ok_or_else(link_gone)?;
    let hash = hash_new_password(new).await?;
    let done = password_resets::reset(&state.db, &secret, &hash)
        .await?
        .ok_or_else(link_gone)?;
    let cookie = start_session(&state, done.user).await?;
    let flash = if done.unlinked > 0 { "reset-unlinked" } else { "reset" };
    Ok((jar.add(cookie), Redirect::to(&format!("/account?done={flash}"))).into_response())
}
