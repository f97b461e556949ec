//! The caller's teams.

use adsync_common::storage::teams;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde_json::{Value, json};

use crate::auth::{CurrentUser, TeamMember};
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/teams", get(list_teams))
        .route("/api/v1/teams/{team}", get(show_team))
}

async fn list_teams(State(state): State<AppState>, user: CurrentUser) -> Result<axum::Json<Value>, ApiError> {
    let teams = teams::of_user(&state.db, user.id).await?;
    Ok(axum::Json(json!({ "teams": teams })))
}

async fn show_team(State(state): State<AppState>, member: TeamMember) -> Result<axum::Json<Value>, ApiError> {
    let team = teams::get(&state.db, member.team)
        .await?
        .ok_or_else(|| ApiError::NotFound("No such team.".into()))?;
    Ok(axum::Json(
        json!({ "id": team.id, "name": team.name, "role": member.role }),
    ))
}
