//! The team's alerts card on the connectors page (owners only): the webhooks registered,
//! a form to add one (its signing secret is shown once, on the page that answers the
//! form), and each webhook's latest deliveries with their outcome and a replay button.

use adsync_common::ids::TeamId;
use adsync_storage::webhooks;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::PageTeam;
use super::layout::page;
use crate::routes::connectors::connectors_page;
use crate::{ApiError, AppState};

/// Deliveries shown per webhook.
const SHOWN: i64 = 5;

pub(super) async fn card(state: &AppState, team: TeamId) -> Result<Markup, ApiError> {
    let hooks = webhooks::list(&state.db, team).await?;
    let mut rows = Vec::new();
    for h in &hooks {
        rows.push((h, webhooks::deliveries(&state.db, team, h.id, SHOWN).await?));
    }
    Ok(html! {
        section.card #alerts aria-labelledby="alerts-title" {
            h2 id="alerts-title" { "Alerts" }
            p.hint { "adsync POSTs a signed JSON event to each webhook when a sync fails, when Facebook access needs reconnecting or was revoked, and when a token is about to expire (docs/api.md shows the payload and how to check the signature)." }
            @for (h, deliveries) in &rows {
                div.webhook data-id=(h.id) {
                    p { code { (h.url) } " · added " (h.created_at.format("%Y-%m-%d %H:%M UTC")) }
                    form method="post" action={ "/teams/" (team) "/webhooks/" (h.id) "/delete" } {
                        button type="submit" { "Remove" }
                    }
                    @if deliveries.is_empty() {
                        p.hint { "No deliveries yet." }
                    } @else {
                        table.deliveries {
                            caption.visually-hidden { "Latest deliveries to " (h.url) }
                            thead { tr { th scope="col" { "Event" } th scope="col" { "Created (UTC)" } th scope="col" { "Outcome" } th scope="col" { "" } } }
                            tbody {
                                @for d in deliveries {
                                    tr data-status=(d.status) {
                                        td { (d.event_type) }
                                        td { (d.created_at.format("%Y-%m-%d %H:%M")) }
                                        td { (outcome(d)) }
                                        td {
                                            form method="post" action={ "/teams/" (team) "/webhooks/" (h.id) "/deliveries/" (d.id) "/replay" } {
                                                button type="submit" { "Send again" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            form method="post" action={ "/teams/" (team) "/webhooks" } {
                label for="webhook_url" { "Webhook URL" }
                input id="webhook_url" name="url" type="url" required placeholder="https://hooks.example.com/adsync";
                button type="submit" { "Add webhook" }
            }
        }
    })
}

/// A delivery's outcome in words.
fn outcome(d: &webhooks::Delivery) -> String {
    let answered = d.last_status.map(|s| format!(" (HTTP {s})")).unwrap_or_default();
    match d.status.as_str() {
        "delivered" => format!("Delivered{answered}"),
        "failed" => format!(
            "Failed after {} attempts{answered}: {}",
            d.attempts,
            d.last_error.as_deref().unwrap_or("")
        ),
        _ if d.attempts == 0 => "Sending".to_string(),
        _ => format!(
            "Retrying at {}{answered}: {}",
            d.next_attempt_at.format("%H:%M UTC"),
            d.last_error.as_deref().unwrap_or("")
        ),
    }
}

fn back(team: TeamId) -> Response {
    Redirect::to(&format!("{}?saved=alerts#alerts", connectors_page(team))).into_response()
}

/// Registers the form's webhook and answers with its secret, shown this once.
pub(super) async fn add(State(state): State<AppState>, team: PageTeam, body: axum::body::Bytes) -> Response {
    if let Err(e) = team.require_owner("can change its alerts") {
        return e.into_response();
    }
    let url = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "url")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    match crate::routes::webhooks::add(&state, team.member.team, &url).await {
        Ok((hook, secret)) => {
            let body = html! {
                h1 { "Webhook added" }
                section.card {
                    p { "Alerts for " (team.name) " now go to " code { (hook.url) } "." }
                    p { "Its signing secret, shown this once: keep it where the receiver can read it." }
                    p { code.secret { (secret) } }
                    p { a href={ (connectors_page(team.member.team)) "#alerts" } { "Back to the connectors page" } }
                }
            };
            // Shown once: not kept by the browser or a proxy.
            (
                [(axum::http::header::CACHE_CONTROL, "no-store")],
                Html(page("Webhook added", Some(&team.email), body).into_string()),
            )
                .into_response()
        }
        Err(e) => e.into_response(),
    }
}

pub(super) async fn remove(
    State(state): State<AppState>,
    team: PageTeam,
    Path(path): Path<(String, String)>,
) -> Response {
    if let Err(e) = team.require_owner("can change its alerts") {
        return e.into_response();
    }
    let Ok(id) = path.1.parse::<i64>() else {
        return ApiError::NotFound("No such webhook in this team.".into()).into_response();
    };
    match webhooks::delete(&state.db, team.member.team, id).await {
        Ok(()) => back(team.member.team),
        Err(adsync_storage::StorageError::NotFound) => {
            ApiError::NotFound("No such webhook in this team.".into()).into_response()
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

pub(super) async fn replay(
    State(state): State<AppState>,
    team: PageTeam,
    Path(path): Path<(String, String, String)>,
) -> Response {
    if let Err(e) = team.require_owner("can change its alerts") {
        return e.into_response();
    }
    let (Ok(hook), Ok(delivery)) = (path.1.parse::<i64>(), path.2.parse::<i64>()) else {
        return ApiError::NotFound("No such delivery in this team.".into()).into_response();
    };
    match webhooks::replay(&state.db, team.member.team, hook, delivery).await {
        Ok(()) => back(team.member.team),
        Err(adsync_storage::StorageError::NotFound) => {
            ApiError::NotFound("No such delivery in this team.".into()).into_response()
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}
