//! The team's settings card on the connectors page (owners only): what the dashboard counts
//! as results, the breakdowns synced and how often the team is synced.

use adsync_common::breakdowns::Breakdown;
use adsync_common::conversions::{CONVERSIONS, Goal};
use adsync_common::ids::TeamId;
use adsync_common::schedule;
use adsync_storage::{conversions, teams};
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::PageTeam;
use crate::routes::connectors::connectors_page;
use crate::{ApiError, AppState};

/// The card: a choice of the standard conversions and of every other action type in the
/// team's data (custom conversions among them).
pub(super) async fn card(state: &AppState, team: TeamId) -> Result<Markup, ApiError> {
    let goal = conversions::goal(&state.db, team).await?;
    let current = goal.as_setting();
    let enabled = teams::breakdowns(&state.db, team).await?;
    let own_interval = teams::sync_interval(&state.db, team)
        .await?
        .map(schedule::format_interval);
    let default_interval = schedule::format_interval(state.config.sync_interval);
    let others: Vec<String> = conversions::action_types(&state.db, team)
        .await?
        .into_iter()
        .filter(|t| t.conversion.is_none())
        .map(|t| t.action_type)
        .collect();
    Ok(html! {
        section.card #settings aria-labelledby="settings-title" {
            h2 id="settings-title" { "Dashboard results and breakdowns" }
            form.settings method="post" action={ "/teams/" (team) "/settings" } {
                label for="primary_conversion" { "Count as results" }
                select id="primary_conversion" name="primary_conversion" {
                    optgroup label="Standard conversions (as Ads Manager counts them)" {
                        @for c in CONVERSIONS {
                            option value=(c.key) selected[current == c.key] { (c.label) }
                        }
                    }
                    @if !others.is_empty() {
                        optgroup label="Other action types in your data" {
                            @for t in &others {
                                @let value = Goal::ActionType(t.clone()).as_setting();
                                option value=(value) selected[current == value] { (t) }
                            }
                        }
                    }
                    @if let Goal::ActionType(t) = &goal && !others.contains(t) {
                        option value=(current) selected { (t) " (no data yet)" }
                    }
                }
                fieldset.breakdowns {
                    legend { "Breakdowns to sync" }
                    @for b in Breakdown::ALL {
                        label { input type="checkbox" name="breakdowns" value=(b.key()) checked[enabled.contains(&b)]; " " (b.label()) }
                    }
                }
                label for="sync_interval" { "Sync every" }
                select id="sync_interval" name="sync_interval" {
                    option value="default" selected[own_interval.is_none()] { (default_interval) " (the server's default)" }
                    @for i in schedule::SUGGESTED_INTERVALS {
                        option value=(i) selected[own_interval.as_deref() == Some(i)] { (i) }
                    }
                    @if let Some(own) = own_interval.as_deref().filter(|o| !schedule::SUGGESTED_INTERVALS.contains(o)) {
                        option value=(own) selected { (own) }
                    }
                }
                button type="submit" { "Save" }
            }
            p.hint { "The dashboard's results, cost per result and ROAS count this conversion. Facebook reports one purchase under several action types (omni_purchase, purchase, the pixel's…); adsync counts the first one a row carries, never their sum." }
            p.hint { "Scheduled syncs re-pull the recent days Facebook may still restate. Each team syncs at its own minute of the interval, so teams are not all synced at once." }
            p.hint { "Breakdowns are synced for the ad accounts and their campaigns, beside the unbroken numbers; enabling one fetches its history. Reach by breakdown goes back 13 months only (Facebook's limit)." }
        }
    })
}

/// Saves the card's form (one `breakdowns` field per checked box), then back to the
/// connectors page.
pub(super) async fn save(State(state): State<AppState>, team: PageTeam, body: axum::body::Bytes) -> Response {
    if let Err(e) = team.require_owner("can change its settings") {
        return e.into_response();
    }
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &'static str| fields.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str());
    let result = async {
        let raw = field("primary_conversion").next().unwrap_or("purchases");
        let goal = Goal::parse(raw.trim()).map_err(|e| ApiError::BadRequest(format!("primary_conversion: {e}")))?;
        let breakdowns = Breakdown::parse_list(&field("breakdowns").collect::<Vec<_>>().join(","))
            .map_err(|e| ApiError::BadRequest(format!("breakdowns: {e}")))?;
        let interval = match field("sync_interval").next() {
            Some(raw) => Some(
                schedule::parse_team_interval(raw).map_err(|e| ApiError::BadRequest(format!("sync_interval: {e}")))?,
            ),
            None => None,
        };
        conversions::set_goal(&state.db, team.member.team, &goal).await?;
        crate::routes::settings::set_breakdowns(&state, team.member.team, team.member.user, &breakdowns).await?;
        if let Some(interval) = interval {
            teams::set_sync_interval(&state.db, team.member.team, interval).await?;
        }
        Ok::<_, ApiError>(())
    };
    match result.await {
        Ok(()) => Redirect::to(&format!(
            "{}?saved=settings#settings",
            connectors_page(team.member.team)
        ))
        .into_response(),
        Err(e) => e.into_response(),
    }
}
