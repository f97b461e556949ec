//! The caller's teams.

use adsync_common::ids::{Role, TeamId};
use adsync_storage::teams;
use adsync_storage::teams::TeamWithRole;
use axum::extract::State;
use serde::Serialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::{CurrentUser, TeamMember};
use crate::{ApiError, AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_teams))
        .routes(routes!(show_team))
}

/// The caller's teams.
#[derive(Serialize, utoipa::ToSchema)]
struct TeamList {
    teams: Vec<TeamWithRole>,
}

/// One team and the caller's role in it.
#[derive(Serialize, utoipa::ToSchema)]
struct TeamView {
    id: TeamId,
    name: String,
    role: Role,
}

/// The caller's teams with their role in each (`owner` or `member`).
#[utoipa::path(get, path = "/api/v1/teams", tag = "teams", security(("session" = []), ("api_token" = [])), responses(
    (status = 200, description = "The caller's teams", body = TeamList), (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
))]
async fn list_teams(State(state): State<AppState>, user: CurrentUser) -> Result<axum::Json<TeamList>, ApiError> {
    let teams = teams::of_user(&state.db, user.id).await?;
    Ok(axum::Json(TeamList { teams }))
}

/// One team of the caller.
#[utoipa::path(get, path = "/api/v1/teams/{team}", tag = "teams", security(("session" = []), ("api_token" = [])), params(("team" = i64, Path, description = "Team id")), responses(
    (status = 200, description = "The team", body = TeamView), (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"), (status = 404, description = "No such team, or the caller is not a member of it (the same answer, so team ids reveal nothing)", body = crate::error::Problem, content_type = "application/problem+json"),
))]
async fn show_team(State(state): State<AppState>, member: TeamMember) -> Result<axum::Json<TeamView>, ApiError> {
    let team = teams::get(&state.db, member.team)
        .await?
        .ok_or_else(|| ApiError::NotFound("No such team.".into()))?;
    Ok(axum::Json(TeamView {
        id: team.id,
        name: team.name,
        role: member.role,
    }))
}
