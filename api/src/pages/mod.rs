//! Server-rendered pages (maud, escaped by construction). No CDN: the stylesheet ships
//! inside the binary.

mod account;
mod alerts;
mod connectors;
mod dashboard;
mod errors;
mod history;
mod invites;
mod layout;
mod login;
mod members;
mod settings;
mod sign_in;
mod teams;

use adsync_common::ids::UserId;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::AppState;
use crate::auth::authenticate;

pub use account::{ADMIN_RESET_HOURS, reset_link};
pub use errors::problems_as_pages;

const FAVICON: &str = include_str!("favicon.svg");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/teams") }))
        .route("/assets/app.css", asset("text/css; charset=utf-8", layout::CSS))
        // Live progress of sync runs on the connectors page.
        .route("/assets/progress.js", asset(JAVASCRIPT, include_str!("progress.js")))
        // Asks before forms that start what cannot be taken back (see `data-confirm`).
        .route("/assets/confirm.js", asset(JAVASCRIPT, include_str!("confirm.js")))
        .route("/favicon.svg", asset("image/svg+xml", FAVICON))
        // Browsers ask for this path whatever the page says; an SVG served there is shown.
        .route("/favicon.ico", asset("image/svg+xml", FAVICON))
        .merge(login::router())
        .merge(sign_in::router())
        .merge(teams::router())
        .merge(connectors::router())
        .merge(dashboard::router())
        .merge(account::router())
        .merge(invites::router())
        .route("/teams/{team}/members", get(members::show))
        .route("/teams/{team}/members/invite", axum::routing::post(members::invite))
        .route(
            "/teams/{team}/members/{user}/remove",
            axum::routing::post(members::remove),
        )
        .route(
            "/teams/{team}/members/{user}/make-owner",
            axum::routing::post(members::make_owner),
        )
        .route(
            "/teams/{team}/invites/{id}/revoke",
            axum::routing::post(members::revoke),
        )
        .route("/teams/{team}/syncs", get(history::show).post(connectors::resync))
        .route("/teams/{team}/settings", axum::routing::post(settings::save))
        .route("/teams/{team}/webhooks", axum::routing::post(alerts::add))
        .route(
            "/teams/{team}/webhooks/{id}/delete",
            axum::routing::post(alerts::remove),
        )
        .route(
            "/teams/{team}/webhooks/{id}/deliveries/{delivery}/replay",
            axum::routing::post(alerts::replay),
        )
}

/// A file shipped inside the binary (no CDN), served with its type and cached for an hour.
fn asset(content_type: &'static str, body: &'static str) -> axum::routing::MethodRouter<AppState> {
    get(move || async move {
        (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            body,
        )
    })
}

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

/// A signed-in browser user; anyone else is sent to the login page.
pub struct PageUser {
    pub id: UserId,
    pub email: String,
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let MaybeUser(Some(user)) = MaybeUser::from_request_parts(parts, state).await? {
            return Ok(user);
        }
        // A page asked for comes back after signing in (see `login::safe_next`); a form post
        // does not (it cannot be replayed as a GET), nor the default page.
        let asked = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .filter(|p| parts.method == axum::http::Method::GET && *p != "/teams");
        Err(match asked {
            Some(asked) => {
                let next: String = url::form_urlencoded::byte_serialize(asked.as_bytes()).collect();
                Redirect::to(&format!("/login?next={next}")).into_response()
            }
            None => Redirect::to("/login").into_response(),
        })
    }
}

/// The signed-in browser user, if any: for pages that also serve visitors (an invitation).
pub struct MaybeUser(pub Option<PageUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(id) = authenticate(parts, state).await.map_err(|e| e.into_response())? else {
            return Ok(MaybeUser(None));
        };
        let user = adsync_storage::users::get(&state.db, id)
            .await
            .map_err(|e| crate::ApiError::from(e).into_response())?;
        Ok(MaybeUser(user.map(|u| PageUser { id, email: u.email })))
    }
}

/// A signed-in user's view of the team in the path; non-members get a 404 page.
pub struct PageTeam {
    pub member: crate::auth::TeamMember,
    pub email: String,
    pub name: String,
}

impl PageTeam {
    /// `Ok` for the team's owner; a member is told "Only the team's owner {does}."
    pub fn require_owner(&self, does: &str) -> Result<(), crate::ApiError> {
        if self.member.role == adsync_common::ids::Role::Owner {
            Ok(())
        } else {
            Err(crate::ApiError::Forbidden(format!("Only the team's owner {does}.")))
        }
    }
}

impl FromRequestParts<AppState> for PageTeam {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = PageUser::from_request_parts(parts, state).await?;
        let member = crate::auth::team_access(parts, state, user.id)
            .await
            .map_err(|e| e.into_response())?;
        let team = adsync_storage::teams::get(&state.db, member.team)
            .await
            .map_err(|e| crate::ApiError::from(e).into_response())?
            .ok_or_else(|| crate::ApiError::NotFound("No such team.".into()).into_response())?;
        Ok(PageTeam {
            member,
            email: user.email,
            name: team.name,
        })
    }
}
