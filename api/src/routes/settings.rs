//! A team's settings (members read them, owners change them) and the conversions it can
//! count: the standard ones with their precedence lists and every action type in its data.

use adsync_common::breakdowns::Breakdown;
use adsync_common::conversions::{CONVERSIONS, Goal};
use adsync_common::ids::TeamId;
use adsync_common::schedule;
use adsync_storage::sync_runs::NewRun;
use adsync_storage::{connections, conversions, teams};
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::{TeamMember, TeamOwner};
use crate::extract::ApiJson;
use crate::{ApiError, AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(show_settings, change_settings))
        .routes(routes!(list_conversions))
}

/// The settings as the API shows them.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Settings {
    /// What the dashboard and the `results` metrics count: a standard conversion's key
    /// (`purchases`, `leads`, …) or `action:<action type>`.
    primary_conversion: String,
    /// Its label ("Purchases", or the action type).
    primary_conversion_label: String,
    /// The breakdowns synced beside the unbroken rows (account and campaign levels).
    breakdowns: Vec<&'static str>,
    /// Time between scheduled syncs (`1h`, `30m`, `1day`): the team's own, or the server's
    /// `ADSYNC_SYNC_INTERVAL`.
    #[schema(example = "1h")]
    sync_interval: String,
    /// Whether `sync_interval` is the server's default rather than the team's own.
    sync_interval_is_default: bool,
}

async fn settings_of(state: &AppState, team: TeamId) -> Result<Settings, ApiError> {
    let goal = conversions::goal(&state.db, team).await?;
    let breakdowns = teams::breakdowns(&state.db, team).await?;
    let own = teams::sync_interval(&state.db, team).await?;
    Ok(Settings {
        primary_conversion: goal.as_setting(),
        primary_conversion_label: goal.label(),
        breakdowns: breakdowns.iter().map(|b| b.key()).collect(),
        sync_interval: schedule::format_interval(own.unwrap_or(state.config.sync_interval)),
        sync_interval_is_default: own.is_none(),
    })
}

/// The team's settings.
#[utoipa::path(get, path = "/api/v1/teams/{team}/settings", tag = "teams", security(("session" = []), ("api_token" = [])), params(("team" = i64, Path, description = "Team id")), responses(
    (status = 200, description = "The settings", body = Settings), (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"), (status = 404, description = "No such team, or the caller is not a member of it (the same answer, so team ids reveal nothing)", body = crate::error::Problem, content_type = "application/problem+json"),
))]
async fn show_settings(State(state): State<AppState>, member: TeamMember) -> Result<axum::Json<Settings>, ApiError> {
    Ok(axum::Json(settings_of(&state, member.team).await?))
}

/// Fields to change; the others stay as they are.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsChange {
    /// `purchases`, `leads`, `add_to_cart`, `initiate_checkout`, `complete_registration`,
    /// `app_installs`, or `action:<action type>` (a custom conversion
    /// `action:offsite_conversion.custom.<id>`, say).
    primary_conversion: Option<String>,
    /// The breakdowns to sync: any of `age`, `gender`, `country`, `region`,
    /// `publisher_platform`, `platform_position`, `device_platform`. Enabling one queues a
    /// backfill, so its history arrives too.
    breakdowns: Option<Vec<String>>,
    /// Time between scheduled syncs, 15 minutes to 31 days (`30m`, `6h`, `1day`), or
    /// `default` for the server's `ADSYNC_SYNC_INTERVAL`. Teams are spread over their
    /// interval, each at its own minute.
    sync_interval: Option<String>,
}

/// Changes the team's settings (owners only).
#[utoipa::path(patch, path = "/api/v1/teams/{team}/settings", tag = "teams", security(("session" = []), ("api_token" = [])), params(("team" = i64, Path, description = "Team id")),
    request_body = SettingsChange, responses(
    (status = 200, description = "The settings after the change", body = Settings),
    (status = 400, description = "A value is invalid; `detail` names it", body = crate::error::Problem, content_type = "application/problem+json"), (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"), (status = 403, description = "Not an owner of this team", body = crate::error::Problem, content_type = "application/problem+json"), (status = 404, description = "No such team, or the caller is not a member of it (the same answer, so team ids reveal nothing)", body = crate::error::Problem, content_type = "application/problem+json"),
))]
async fn change_settings(
    State(state): State<AppState>,
    TeamOwner(owner): TeamOwner,
    ApiJson(change): ApiJson<SettingsChange>,
) -> Result<axum::Json<Settings>, ApiError> {
    let goal = change
        .primary_conversion
        .map(|raw| Goal::parse(raw.trim()).map_err(|e| ApiError::BadRequest(format!("primary_conversion: {e}"))))
        .transpose()?;
    let breakdowns = change
        .breakdowns
        .map(|list| {
            Breakdown::parse_list(&list.join(",")).map_err(|e| ApiError::BadRequest(format!("breakdowns: {e}")))
        })
        .transpose()?;
    let interval = change
        .sync_interval
        .map(|raw| schedule::parse_team_interval(&raw).map_err(|e| ApiError::BadRequest(format!("sync_interval: {e}"))))
        .transpose()?;
    // Checked first, then saved: a bad value changes nothing.
    if let Some(goal) = goal {
        conversions::set_goal(&state.db, owner.team, &goal).await?;
    }
    if let Some(list) = breakdowns {
        set_breakdowns(&state, owner.team, owner.user, &list).await?;
    }
    if let Some(interval) = interval {
        teams::set_sync_interval(&state.db, owner.team, interval).await?;
    }
    Ok(axum::Json(settings_of(&state, owner.team).await?))
}

/// Saves the team's breakdowns; one newly enabled queues a backfill (if the team is
/// connected), so its history arrives, not only the days the next syncs re-pull.
pub async fn set_breakdowns(
    state: &AppState,
    team: TeamId,
    user: adsync_common::ids::UserId,
    list: &[Breakdown],
) -> Result<(), ApiError> {
    let before = teams::breakdowns(&state.db, team).await?;
    teams::set_breakdowns(&state.db, team, list).await?;
    let added = list.iter().any(|b| !before.contains(b));
    let connected = connections::get(&state.db, team, adsync_connect::FACEBOOK.platform)
        .await?
        .is_some_and(|c| c.status == connections::ConnectionStatus::Connected);
    if added && connected {
        let run = NewRun::backfill(team, Some(user));
        adsync_storage::syncs::request(&state.db, &state.queue, &run).await?;
    }
    Ok(())
}

/// The team's conversions: the standard ones and every action type in its data.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct ConversionList {
    /// What `results` counts: a conversion key or `action:<type>`.
    primary_conversion: String,
    conversions: Vec<StandardConversion>,
    action_types: Vec<conversions::ActionTypeSeen>,
}

/// A standard conversion, counted as Ads Manager counts it.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct StandardConversion {
    key: &'static str,
    label: &'static str,
    ads_manager_column: &'static str,
    metrics: ConversionMetrics,
    /// In precedence order: the first one a row carries is its figure.
    action_types: &'static [&'static str],
}

/// The metric names of a conversion's count, value and cost per conversion.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct ConversionMetrics {
    count: &'static str,
    value: &'static str,
    cost_per: &'static str,
}

/// The conversions the team can count: each standard conversion with the Ads Manager column
/// it matches, its metric names and its action types in precedence order (the first one a
/// row carries is its figure), and every action type in the team's synced data with the
/// attribution windows it has figures in. Any of those types is a metric
/// (`action:<type>`, `action_value:<type>`, `cost_per_action:<type>`) and a possible primary
/// conversion (`action:<type>`).
#[utoipa::path(get, path = "/api/v1/teams/{team}/conversions", tag = "metrics", security(("session" = []), ("api_token" = [])), params(("team" = i64, Path, description = "Team id")), responses(
    (status = 200, description = "The team's conversions", body = ConversionList), (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"), (status = 404, description = "No such team, or the caller is not a member of it (the same answer, so team ids reveal nothing)", body = crate::error::Problem, content_type = "application/problem+json"),
))]
async fn list_conversions(
    State(state): State<AppState>,
    member: TeamMember,
) -> Result<axum::Json<ConversionList>, ApiError> {
    let goal = conversions::goal(&state.db, member.team).await?;
    let action_types = conversions::action_types(&state.db, member.team).await?;
    let conversions = CONVERSIONS
        .iter()
        .map(|c| StandardConversion {
            key: c.key,
            label: c.label,
            ads_manager_column: c.ads_manager,
            metrics: ConversionMetrics {
                count: c.count_metric,
                value: c.value_metric,
                cost_per: c.cost_metric,
            },
            action_types: c.action_types,
        })
        .collect();
    Ok(axum::Json(ConversionList {
        primary_conversion: goal.as_setting(),
        conversions,
        action_types,
    }))
}
