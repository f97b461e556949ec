//! The account page's sign-in methods: the providers linked to the user, a button to link
//! each configured one, and one to unlink, refused when it is the last way to sign in.

use adsync_connect::sign_in::{IdProvider, Verified};
use adsync_storage::identities::{self, Unlinked};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use maud::{Markup, html};

use super::{begin, failed, link_problem, provider_of};
use crate::pages::{MaybeUser, PageUser};
use crate::security::ClientAddress;
use crate::{ApiError, AppState};

/// The section of `/account` listing sign-in methods; empty when no provider is configured
/// and none is linked.
pub async fn section(state: &AppState, user: &PageUser) -> Result<Markup, ApiError> {
    let linked = identities::of_user(&state.db, user.id).await?;
    let offered = state.sign_in.providers();
    if linked.is_empty() && offered.is_empty() {
        return Ok(html! {});
    }
    let has_password = identities::has_password(&state.db, user.id).await?;
    let ways = linked.len() + usize::from(has_password);
    Ok(html! {
        section.card aria-labelledby="sign-in-title" {
            h2 id="sign-in-title" { "Ways to sign in" }
            ul.sign-in-methods {
                li { "E-mail and password: " @if has_password { "set" } @else { "none set yet" } }
                @for p in IdProvider::ALL {
                    @let mine = linked.iter().find(|i| i.provider == p.id());
                    @if mine.is_some() || offered.contains(&p) {
                        li {
                            (p.display_name()) ": "
                            @if let Some(i) = mine {
                                "linked" @if let Some(e) = &i.email { " (" (e) ")" } " "
                                @if ways > 1 {
                                    form.inline method="post" action={ "/account/sign-in/" (p.id()) "/unlink" } {
                                        button.secondary type="submit" { "Unlink " (p.display_name()) }
                                    }
                                } @else {
                                    span.hint { "(your only way to sign in: set a password or link another first)" }
                                }
                            } @else {
                                "not linked "
                                form.inline method="post" action={ "/account/sign-in/" (p.id()) "/link" } {
                                    button type="submit" { "Link " (p.display_name()) }
                                }
                            }
                        }
                    }
                }
            }
        }
    })
}

pub(super) async fn link(
    State(state): State<AppState>,
    user: PageUser,
    Path(provider): Path<String>,
    client: ClientAddress,
    jar: CookieJar,
) -> Result<Response, ApiError> {
    let provider = provider_of(&state, &provider)?;
    begin(&state, jar, provider, Some(user.id), "/account", client).await
}

pub(super) async fn unlink(
    State(state): State<AppState>,
    user: PageUser,
    Path(provider): Path<String>,
) -> Result<Response, ApiError> {
    let provider = IdProvider::from_id(&provider).ok_or_else(|| ApiError::NotFound("No such provider.".into()))?;
    match identities::unlink(&state.db, user.id, provider.id()).await? {
        Unlinked::Done => Ok(Redirect::to(&format!("/account?done=unlinked-{}", provider.id())).into_response()),
        Unlinked::NotLinked => Err(ApiError::NotFound(format!(
            "{} is not linked.",
            provider.display_name()
        ))),
        Unlinked::LastWay => Err(ApiError::Conflict(format!(
            "{} is your only way to sign in. Set a password or link another provider first.",
            provider.display_name()
        ))),
    }
}

/// The callback of a link started on `user`'s account page: only that user, still signed
/// in, gets it linked.
pub(super) async fn finish_link(
    state: &AppState,
    jar: CookieJar,
    session: MaybeUser,
    user: adsync_common::ids::UserId,
    v: Verified,
) -> Result<Response, ApiError> {
    if session.0.as_ref().map(|u| u.id) != Some(user) {
        let message = "The account that started linking is no longer signed in here. Sign in and link again.";
        return Ok((jar, failed(state, StatusCode::FORBIDDEN, message)).into_response());
    }
    let email = v.email.as_ref().map(|e| e.as_str());
    let outcome = identities::link(&state.db, user, v.provider.id(), &v.subject, email).await?;
    if let Some(problem) = link_problem(outcome, v.provider.display_name()) {
        return Err(ApiError::Conflict(problem));
    }
    tracing::info!(provider = v.provider.id(), user = %user, "provider linked from the account page");
    Ok((jar, Redirect::to(&format!("/account?done=linked-{}", v.provider.id()))).into_response())
}
