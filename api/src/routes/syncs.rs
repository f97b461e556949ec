//! Sync runs of a team: members watch them, owners start manual resyncs.

use adsync_common::dates::{DateRange, parse_day};
use adsync_common::ids::RunId;
use adsync_common::storage::sync_runs::{self, NewRun, RunKind, SyncRun};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{TeamMember, TeamOwner};
use crate::extract::ApiJson;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/teams/{team}/syncs", get(list_runs).post(start_resync))
        .route("/api/v1/teams/{team}/syncs/{id}", get(show_run))
}

async fn list_runs(State(state): State<AppState>, member: TeamMember) -> Result<axum::Json<Value>, ApiError> {
    let runs = sync_runs::list(&state.db, member.team, 50).await?;
    Ok(axum::Json(json!({ "syncs": runs })))
}

async fn show_run(
    State(state): State<AppState>,
    member: TeamMember,
    Path((_, id)): Path<(String, String)>,
) -> Result<axum::Json<SyncRun>, ApiError> {
    let not_found = || ApiError::NotFound(format!("No sync {id:?} in this team."));
    let id: RunId = id.parse().map_err(|_| not_found())?;
    let run = sync_runs::get(&state.db, member.team, id)
        .await?
        .ok_or_else(not_found)?;
    Ok(axum::Json(run))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResyncRequest {
    since: Option<String>,
    until: Option<String>,
    ad_account_id: Option<String>,
}

/// Records a manual run and queues it (or joins an identical one still waiting).
async fn start_resync(
    State(state): State<AppState>,
    TeamOwner(owner): TeamOwner,
    ApiJson(body): ApiJson<ResyncRequest>,
) -> Result<(StatusCode, axum::Json<SyncRun>), ApiError> {
    let since = body
        .since
        .as_deref()
        .map(|s| parse_day("since", s))
        .transpose()
        .map_err(bad)?;
    let until = body
        .until
        .as_deref()
        .map(|s| parse_day("until", s))
        .transpose()
        .map_err(bad)?;
    if let (Some(s), Some(u)) = (since, until) {
        DateRange::new(s, u).map_err(bad)?;
    }
    let ad_account_id = body
        .ad_account_id
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty());
    let new = NewRun {
        team_id: owner.team,
        kind: RunKind::Manual,
        ad_account_id,
        since,
        until,
        requested_by: Some(owner.user),
    };
    let run = adsync_common::syncs::request(&state.db, &state.queue, &new).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(run)))
}

fn bad(e: impl std::fmt::Display) -> ApiError {
    ApiError::BadRequest(e.to_string())
}
