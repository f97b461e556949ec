//! The team's settings card on the connectors page (owners only): what the dashboard counts
//! as results.

use adsync_common::conversions::{CONVERSIONS, Goal};
use adsync_common::ids::{Role, TeamId};
use adsync_common::storage::conversions;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::PageTeam;
use crate::routes::connectors::connectors_page;
use crate::{ApiError, AppState};

/// The card: a choice of the standard conversions and of every other action type in the
/// team's data (custom conversions among them).
pub(super) async fn card(state: &AppState, team: TeamId) -> Result<Markup, ApiError> {
    let goal = conversions::goal(&state.db, team).await?;
    let current = goal.as_setting();
    let others: Vec<String> = conversions::action_types(&state.db, team)
        .await?
        .into_iter()
        .filter(|t| t.conversion.is_none())
        .map(|t| t.action_type)
        .collect();
    Ok(html! {
        section.card #settings aria-labelledby="settings-title" {
            h2 id="settings-title" { "Dashboard results" }
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
                button type="submit" { "Save" }
            }
            p.hint { "The dashboard's results, cost per result and ROAS count this conversion. Facebook reports one purchase under several action types (omni_purchase, purchase, the pixel's…); adsync counts the first one a row carries, never their sum." }
        }
    })
}

#[derive(Deserialize)]
pub(super) struct SettingsForm {
    primary_conversion: String,
}

/// Saves the card's form, then back to the connectors page.
pub(super) async fn save(
    State(state): State<AppState>,
    team: PageTeam,
    axum::Form(f): axum::Form<SettingsForm>,
) -> Response {
    if team.member.role != Role::Owner {
        return ApiError::Forbidden("Only the team's owner can change its settings.".into()).into_response();
    }
    let result = async {
        let goal = Goal::parse(f.primary_conversion.trim())
            .map_err(|e| ApiError::BadRequest(format!("primary_conversion: {e}")))?;
        conversions::set_goal(&state.db, team.member.team, &goal).await?;
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
