//! The list of the user's teams.

use adsync_connect::ConnectError;
use adsync_storage::teams;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use maud::html;

use super::PageUser;
use super::layout::{notice, page};
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/teams", get(list_teams))
}

#[derive(serde::Deserialize, Default)]
struct Flash {
    connect: Option<String>,
}

/// An OAuth callback that could not name its team lands here: say why, in the words the
/// connectors page would use.
fn connect_failure(kind: &str) -> String {
    match kind {
        "state_missing" => ConnectError::StateMissing.to_string(),
        "state_unknown" => ConnectError::StateUnknown.to_string(),
        "not_configured" => ConnectError::NotConfigured { provider: "Facebook" }.to_string(),
        _ => "Connecting did not work. Start again from the team's connectors page.".into(),
    }
}

async fn list_teams(State(state): State<AppState>, user: PageUser, Query(flash): Query<Flash>) -> Response {
    let failure = flash.connect.as_deref().map(connect_failure);
    let teams = match teams::of_user(&state.db, user.id).await {
        Ok(t) => t,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let body = html! {
        h1 { "Your teams" }
        @if let Some(m) = &failure { (notice("error", m)) }
        @if teams.is_empty() {
            p.card { "You are not in a team yet. Ask a team's owner to invite you." }
        } @else {
            table {
                thead { tr { th scope="col" { "Team" } th scope="col" { "Your role" } th scope="col" { "Pages" } } }
                tbody {
                    @for t in &teams {
                        tr data-team=(t.id) {
                            td { (t.name) }
                            td.role { (t.role) }
                            td {
                                a href={ "/teams/" (t.id) "/dashboard" } { "Dashboard" }
                                " · " a href={ "/teams/" (t.id) "/syncs" } { "Sync history" }
                                " · " a href={ "/teams/" (t.id) "/members" } { "Members" }
                                @if t.role == adsync_common::ids::Role::Owner { " · " a href={ "/teams/" (t.id) "/connectors" } { "Connectors" } }
                            }
                        }
                    }
                }
            }
        }
    };
    Html(page("Teams", Some(&user.email), body).into_string()).into_response()
}
