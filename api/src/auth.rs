//! Who is calling, and what they may do in the team named in the path. Team scoping is
//! decided here once: a handler that takes `TeamMember` or `TeamOwner` cannot forget it.

use std::collections::HashMap;

use adsync_common::ids::{Role, TeamId, UserId};
use adsync_storage::{api_tokens, sessions, teams};
use axum::extract::{FromRequestParts, Path};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;

use crate::{ApiError, AppState};

pub const SESSION_COOKIE: &str = "adsync_session";

/// The signed-in user (session cookie or `Authorization: Bearer <api token>`).
#[derive(Debug, Clone, Copy)]
pub struct CurrentUser {
    pub id: UserId,
}

/// Resolves the caller, if any. A bearer header that is present but wrong is an error
/// (scripts should hear about a revoked token) rather than a silent fallback to the cookie.
pub async fn authenticate(parts: &Parts, state: &AppState) -> Result<Option<UserId>, ApiError> {
    if let Some(header) = parts.headers.get(AUTHORIZATION) {
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::Unauthorized("The Authorization header must be `Bearer <api token>`.".into()))?;
        return match api_tokens::user_for(&state.db, token).await? {
            Some(id) => Ok(Some(id)),
            None => Err(ApiError::Unauthorized(
                "The API token is invalid or has been revoked.".into(),
            )),
        };
    }
    let jar = CookieJar::from_headers(&parts.headers);
    match jar.get(SESSION_COOKIE) {
        Some(c) => Ok(sessions::user_for(&state.db, c.value()).await?),
        None => Ok(None),
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match authenticate(parts, state).await? {
            Some(id) => Ok(CurrentUser { id }),
            None => Err(ApiError::Unauthorized(
                "Sign in first: POST /api/v1/session, or send Authorization: Bearer <api token>.".into(),
            )),
        }
    }
}

/// The caller is a member (any role) of the team in the path.
#[derive(Debug, Clone, Copy)]
pub struct TeamMember {
    pub user: UserId,
    pub team: TeamId,
    pub role: Role,
}

/// Reads `{team}` from the path and the caller's role in it. Not a member → 404, the same
/// answer as a team that does not exist, so team ids reveal nothing.
pub async fn team_access(parts: &mut Parts, state: &AppState, user: UserId) -> Result<TeamMember, ApiError> {
    let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
        .await
        .map_err(|_| ApiError::NotFound("No such team.".into()))?;
    let raw = params.get("team").map(String::as_str).unwrap_or_default();
    let not_found = || ApiError::NotFound(format!("You are not a member of a team {raw:?}."));
    let team: TeamId = raw.parse().map_err(|_| not_found())?;
    let role = teams::role_of(&state.db, team, user).await?.ok_or_else(not_found)?;
    Ok(TeamMember { user, team, role })
}

impl FromRequestParts<AppState> for TeamMember {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        team_access(parts, state, user.id).await
    }
}

/// The caller owns the team in the path. Members get 403 with a pointer to the owner.
#[derive(Debug, Clone, Copy)]
pub struct TeamOwner(pub TeamMember);

impl FromRequestParts<AppState> for TeamOwner {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let member = TeamMember::from_request_parts(parts, state).await?;
        if member.role == Role::Owner {
            Ok(TeamOwner(member))
        } else {
            Err(ApiError::Forbidden(
                "Only the team's owner can do this. Ask your team owner to connect or manage it.".into(),
            ))
        }
    }
}
