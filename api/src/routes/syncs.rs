//! Sync runs of a team: members watch them, owners start manual resyncs.

use adsync_common::dates::parse_bounds;
use adsync_common::ids::RunId;
use adsync_connect::FACEBOOK;
use adsync_storage::sync_runs::{self, NewRun, SyncRun};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::{TeamMember, TeamOwner};
use crate::extract::{ApiJson, ApiQuery};
use crate::paging::{self, ListParams};
use crate::{ApiError, AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_runs, start_resync))
        .routes(routes!(show_run))
}

/// The team's sync runs, newest first, with progress and rows written; `limit` at a time,
/// `next_cursor` for older ones.
#[utoipa::path(get, path = "/api/v1/teams/{team}/syncs", tag = "syncs", security(("session" = []), ("api_token" = [])), params(("team" = i64, Path, description = "Team id"), ListParams), responses(
    (status = 200, description = "A page of runs", body = RunPage), (status = 400, description = "A bad `cursor` or `limit`", body = crate::error::Problem, content_type = "application/problem+json"), (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"), (status = 404, description = "No such team, or the caller is not a member of it (the same answer, so team ids reveal nothing)", body = crate::error::Problem, content_type = "application/problem+json"),
))]
async fn list_runs(
    State(state): State<AppState>,
    member: TeamMember,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<axum::Json<RunPage>, ApiError> {
    let limit = p.limit()?;
    let before = p.before()?.map(RunId);
    let runs = sync_runs::list_before(&state.db, member.team, before, limit as i64 + 1).await?;
    let (syncs, next_cursor) = paging::page(runs, limit, |r| r.id.0);
    Ok(axum::Json(RunPage { syncs, next_cursor }))
}

/// One page of the team's runs, newest first.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct RunPage {
    syncs: Vec<SyncRun>,
    /// The `cursor` for older runs; `null` on the last page.
    next_cursor: Option<String>,
}

/// One sync run: status, `progress {done, total}` in days of data, rows written, error.
#[utoipa::path(get, path = "/api/v1/teams/{team}/syncs/{id}", tag = "syncs", security(("session" = []), ("api_token" = [])),
    params(("team" = i64, Path, description = "Team id"), ("id" = i64, Path, description = "Sync run id")), responses(
    (status = 200, description = "The run", body = SyncRun), (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"), (status = 404, description = "No such run in this team, or no such team for the caller", body = crate::error::Problem, content_type = "application/problem+json"),
))]
async fn show_run(
    State(state): State<AppState>,
    member: TeamMember,
    Path(path): Path<(String, String)>,
) -> Result<axum::Json<SyncRun>, ApiError> {
    let id = path.1;
    let not_found = || ApiError::NotFound(format!("No sync {id:?} in this team."));
    let id: RunId = id.parse().map_err(|_| not_found())?;
    let run = sync_runs::get(&state.db, member.team, id)
        .await?
        .ok_or_else(not_found)?;
    Ok(axum::Json(run))
}

/// Dates are `YYYY-MM-DD` in the ad account's time zone; all optional (default: the
/// lookback window up to today, every ad account).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ResyncRequest {
    since: Option<String>,
    until: Option<String>,
    ad_account_id: Option<String>,
}

/// Records a manual run and queues it (or joins an identical one still waiting).
#[utoipa::path(post, path = "/api/v1/teams/{team}/syncs", tag = "syncs", security(("session" = []), ("api_token" = [])), params(("team" = i64, Path, description = "Team id")),
    request_body = ResyncRequest, responses(
    (status = 202, description = "The queued run (or the identical one already waiting)", body = SyncRun),
    (status = 400, description = "Bad dates or body, an ad account the team does not sync, or a day after today", body = crate::error::Problem, content_type = "application/problem+json"), (status = 409, description = "Facebook is not connected, needs reconnecting, or no ad account is chosen", body = crate::error::Problem, content_type = "application/problem+json"), (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"), (status = 403, description = "Not an owner of this team", body = crate::error::Problem, content_type = "application/problem+json"), (status = 404, description = "No such team, or the caller is not a member of it (the same answer, so team ids reveal nothing)", body = crate::error::Problem, content_type = "application/problem+json"),
))]
async fn start_resync(
    State(state): State<AppState>,
    TeamOwner(owner): TeamOwner,
    ApiJson(body): ApiJson<ResyncRequest>,
) -> Result<(StatusCode, axum::Json<SyncRun>), ApiError> {
    let (since, until) = parse_bounds(body.since.as_deref(), body.until.as_deref()).map_err(bad)?;
    let ad_account_id = body
        .ad_account_id
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty());
    let new = NewRun::manual(owner.team, ad_account_id, since, until, Some(owner.user));
    if let Some(refusal) = adsync_storage::syncs::refusal(&state.db, FACEBOOK.platform, &new).await? {
        return Err(refusal.into());
    }
    let run = adsync_storage::syncs::request(&state.db, &state.queue, &new).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(run)))
}

fn bad(e: impl std::fmt::Display) -> ApiError {
    ApiError::BadRequest(e.to_string())
}
