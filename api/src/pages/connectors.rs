//! The connectors page: owners connect, reconnect, disconnect, resync and watch syncs;
//! members are asked to get the owner to connect.

use adsync_common::ids::Role;
use adsync_connect::FACEBOOK;
use adsync_storage::events;
use adsync_storage::sync_runs::{self, NewRun, RunKind, SyncRun};
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;

use super::PageTeam;
use super::history::days_done;
use super::layout::{notice, page};
use crate::routes::connectors::{connect_error, connector, connectors_page, facebook_view};
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/teams/{team}/connectors", get(show))
        .route("/teams/{team}/connectors/facebook/connect", post(connect))
        .route("/teams/{team}/connectors/facebook/disconnect", post(disconnect))
        .route("/teams/{team}/connectors/facebook/ad-accounts", post(choose_accounts))
}

/// The ad-account form: one `synced` field per checked account.
async fn choose_accounts(State(state): State<AppState>, team: PageTeam, body: axum::body::Bytes) -> Response {
    if team.member.role != Role::Owner {
        return ApiError::Forbidden("Only the team's owner can choose the ad accounts to sync.".into()).into_response();
    }
    let synced: Vec<String> = url::form_urlencoded::parse(&body)
        .filter(|(k, _)| k == "synced")
        .map(|(_, v)| v.into_owned())
        .collect();
    match crate::routes::connectors::choose(&state, team.member.team, &synced).await {
        Ok(_) => Redirect::to(&format!("{}?saved=accounts", connectors_page(team.member.team))).into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize, Default)]
struct Flash {
    connect: Option<String>,
    disconnected: Option<String>,
    saved: Option<String>,
}

/// `newest`: the team's newest run, which a connection just queued.
fn flash_message(f: &Flash, failure_detail: Option<&str>, newest: Option<&SyncRun>) -> Option<Markup> {
    if let Some(kind) = f.connect.as_deref() {
        return Some(if kind == "ok" {
            match newest.filter(|r| r.kind == RunKind::Incremental).and_then(|r| r.since) {
                Some(since) => notice(
                    "ok",
                    &format!(
                        "Facebook is connected again. What was synced before is kept; adsync fetches only what is missing: the days from {since} on."
                    ),
                ),
                None => notice(
                    "ok",
                    "Facebook is connected. A full sync of its history has started; recent days arrive first.",
                ),
            }
        } else {
            notice(
                "error",
                failure_detail.unwrap_or("Connecting Facebook did not work. Please try again."),
            )
        });
    }
    match f.saved.as_deref() {
        Some("accounts") => return Some(notice("ok", "Ad accounts saved: only the checked ones are synced.")),
        Some("alerts") => return Some(notice("ok", "Alerts saved.")),
        Some(_) => return Some(notice("ok", "Settings saved.")),
        None => {}
    }
    match f.disconnected.as_deref() {
        Some("revoked") => Some(notice(
            "ok",
            "Facebook is disconnected and adsync's access was revoked there. Synced data is kept.",
        )),
        Some("kept_for_others") => Some(notice(
            "ok",
            "Facebook is disconnected for this team. Its access at Facebook was kept: the same Facebook user still connects other teams in adsync. Synced data is kept.",
        )),
        Some(_) => Some(notice(
            "error",
            "Facebook is disconnected here, but revoking access at Facebook failed: remove adsync under Facebook settings → Business integrations. Synced data is kept.",
        )),
        None => None,
    }
}

fn status_label(status: &str) -> &'static str {
    match status {
        "connected" => "Connected",
        "needs_reconnect" => "Needs reconnect",
        "revoked" => "Revoked at Facebook",
        _ => "Not connected",
    }
}

async fn show(State(state): State<AppState>, team: PageTeam, Query(flash): Query<Flash>) -> Response {
    if team.member.role != Role::Owner {
        // Still 403: connectors are the owner's; the page says what a member may know.
        return match render_member(&state, &team).await {
            Ok(m) => (
                axum::http::StatusCode::FORBIDDEN,
                Html(page("Connectors", Some(&team.email), m).into_string()),
            )
                .into_response(),
            Err(e) => e.into_response(),
        };
    }
    match render_owner(&state, &team, &flash).await {
        Ok(m) => Html(page("Connectors", Some(&team.email), m).into_string()).into_response(),
        Err(e) => e.into_response(),
    }
}

/// A member sees whether Facebook is connected and whom to ask; only owners manage it.
async fn render_member(state: &AppState, team: &PageTeam) -> Result<Markup, ApiError> {
    let t = team.member.team;
    let connection = adsync_storage::connections::get(&state.db, t, FACEBOOK.platform).await?;
    let owners: Vec<String> = adsync_storage::teams::members(&state.db, t)
        .await?
        .into_iter()
        .filter(|m| m.role == Role::Owner)
        .map(|m| m.email)
        .collect();
    let ask = if owners.is_empty() {
        "your team owner".to_string()
    } else {
        format!("your team owner ({})", owners.join(", "))
    };
    let status = connection.as_ref().map_or("not_connected", |c| c.status.as_str());
    let (kind, text) = match status {
        "connected" => (
            "ok",
            format!(
                "Facebook Ads is connected. Its data is on the dashboard for everyone in the team; only {ask} manages the connection."
            ),
        ),
        "not_connected" => (
            "info",
            format!(
                "Facebook Ads is not connected yet. Ask {ask} to connect Facebook Ads; the data then appears on the dashboard for everyone in the team."
            ),
        ),
        _ => (
            "error",
            format!(
                "Facebook Ads needs to be connected again: syncing has stopped. Ask {ask} to reconnect it; the data synced so far stays on the dashboard."
            ),
        ),
    };
    Ok(html! {
        h1 { (team.name) ": connectors" }
        section.card aria-labelledby="fb-title" data-status=(status) {
            h2 id="fb-title" { "Facebook Ads" }
            p { strong { "Status: " } span class={ "status badge " (status) } { (status_label(status)) } }
            (notice(kind, &text))
        }
        p { a href={ "/teams/" (t) "/dashboard" } { "Go to the dashboard" } }
    })
}

async fn render_owner(state: &AppState, team: &PageTeam, flash: &Flash) -> Result<Markup, ApiError> {
    let t = team.member.team;
    let fb = facebook_view(state, t).await?;
    let evs = events::list(&state.db, t, 20).await?;
    let runs = sync_runs::list(&state.db, t, 10).await?;
    let failure = evs
        .iter()
        .find(|e| e.kind == "connection_failed")
        .map(|e| e.detail.as_str());
    let settings = super::settings::card(state, t).await?;
    let alerts = super::alerts::card(state, t).await?;
    Ok(html! {
        h1 { (team.name) ": connectors" }
        @if let Some(m) = flash_message(flash, failure, runs.first()) { (m) }
        section.card aria-labelledby="fb-title" data-status=(fb.status) {
            h2 id="fb-title" { "Facebook Ads" }
            @if !fb.configured {
                p { "Not configured on this server. An operator must set " code { "FACEBOOK_APP_ID" } " and " code { "FACEBOOK_APP_SECRET" } "." }
            } @else {
                p { strong { "Status: " } span class={ "status badge " (fb.status) } { (status_label(fb.status)) } }
                @if let Some(d) = &fb.status_detail { p.detail { (d) } }
                @if let Some(u) = &fb.external_user { p { "Connected as " (u.name.as_deref().unwrap_or("a Facebook user")) } }
                @if let Some(at) = fb.connected_at { p { "Connected on " (at.format("%Y-%m-%d %H:%M UTC")) } }
                @if let Some(exp) = fb.expires_at {
                    @if fb.status == "connected" {
                        p { "Access expires on " (exp.format("%Y-%m-%d %H:%M UTC")) " (adsync renews it before then when Facebook allows)." }
                    }
                }
                @if !fb.ad_accounts.is_empty() {
                    form.accounts method="post" action={ "/teams/" (t) "/connectors/facebook/ad-accounts" } {
                        fieldset {
                            legend { "Ad accounts to sync" }
                            ul.accounts {
                                @for a in &fb.ad_accounts {
                                    li { label { input type="checkbox" name="synced" value=(a.id) checked[a.synced]; " " (a.name) " (" (a.id) ", " (a.currency) ", " (a.timezone_name) ")" } }
                                }
                            }
                        }
                        button.secondary type="submit" { "Save accounts" }
                        p.hint { "Unchecked accounts are not synced, and what was synced of them is deleted." }
                    }
                }
                form method="post" action={ "/teams/" (t) "/connectors/facebook/connect" } {
                    button type="submit" { @if fb.status == "not_connected" { "Connect Facebook Ads" } @else { "Reconnect" } }
                }
                @if fb.status != "not_connected" {
                    form method="post" action={ "/teams/" (t) "/connectors/facebook/disconnect" } data-confirm="Disconnect Facebook Ads? Syncing stops; data already synced is kept." {
                        button.secondary type="submit" { "Disconnect" }
                        @if fb.grant_shared_with_teams > 0 {
                            p.hint { "This Facebook user's access also connects " (fb.grant_shared_with_teams) " other team(s) in adsync: disconnecting stops syncing here and leaves that access in place at Facebook for them. Data already synced is kept." }
                        } @else {
                            p.hint { "Disconnecting revokes adsync's access at Facebook and stops syncing. Data already synced is kept." }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="runs-title" {
            h2 id="runs-title" { "Syncs" }
            p { a href={ "/teams/" (t) "/syncs" } { "Sync history" } ": every sync, with its times, rows and outcome" }
            div data-poll={ "/api/v1/teams/" (t) "/syncs" } { (runs_table(&runs)) }
            script src="/assets/progress.js" defer {}
            @if fb.status == "connected" {
                form.resync method="post" action={ "/teams/" (t) "/syncs" } data-confirm="Start a resync of this range? It fetches those days from Facebook again." {
                    h3 { "Resync a date range" }
                    label for="since" { "From" } input id="since" name="since" type="text" inputmode="numeric" pattern="[0-9]{4}-[0-9]{2}-[0-9]{2}" placeholder="YYYY-MM-DD";
                    label for="until" { "To" } input id="until" name="until" type="text" inputmode="numeric" pattern="[0-9]{4}-[0-9]{2}-[0-9]{2}" placeholder="YYYY-MM-DD";
                    label for="acct" { "Ad account" }
                    select id="acct" name="ad_account_id" {
                        option value="" { "All ad accounts" }
                        @for a in &fb.ad_accounts { option value=(a.id) { (a.name) } }
                    }
                    button type="submit" { "Resync" }
                }
            }
        }
        (settings)
        (alerts)
        section.card aria-labelledby="events-title" {
            h2 id="events-title" { "Connection history" }
            @if evs.is_empty() { p { "Nothing yet." } }
            ul.events {
                @for e in &evs { li { time datetime=(e.created_at.to_rfc3339()) { (e.created_at.format("%Y-%m-%d %H:%M UTC")) } " — " (e.detail) } }
            }
        }
    })
}

pub fn runs_table(runs: &[SyncRun]) -> Markup {
    html! {
        @if runs.is_empty() { p { "No syncs yet." } } @else {
            table.runs {
                thead { tr { th scope="col" { "Run" } th scope="col" { "Kind" } th scope="col" { "Status" } th scope="col" { "Progress (days of data)" } th scope="col" { "Rows" } } }
                tbody {
                    @for r in runs {
                        tr data-run=(r.id) data-status=(r.status.as_str()) {
                            td { (r.id) } td { (r.kind.as_str()) }
                            td data-cell="status" aria-live="polite" {
                                (r.status.as_str())
                                @if let Some(e) = &r.error { br; small.error { (e) } }
                                @if let (Some(until), Some(why)) = (r.paused_until, &r.pause_reason) {
                                    br; small.paused data-cell="paused" { "paused until " time datetime=(until.to_rfc3339()) { (until.format("%H:%M:%S UTC")) } ": " (why) }
                                }
                            }
                            td {
                                progress max=(r.progress.total.max(1)) value=(r.progress.done) aria-label={ "Run " (r.id) " progress" } { (days_done(r)) }
                                " " small data-cell="done" { (days_done(r)) }
                            }
                            td data-cell="rows" { (r.rows_written) }
                        }
                    }
                }
            }
        }
    }
}

async fn connect(State(state): State<AppState>, team: PageTeam) -> Response {
    if team.member.role != Role::Owner {
        return ApiError::Forbidden("Only the team's owner can connect Facebook Ads.".into()).into_response();
    }
    let result = async {
        let url = connector(&state)?
            .start(team.member.team, team.member.user, &connectors_page(team.member.team))
            .await
            .map_err(connect_error)?;
        Ok::<_, ApiError>(Redirect::to(url.as_str()))
    };
    result.await.into_response()
}

async fn disconnect(State(state): State<AppState>, team: PageTeam) -> Response {
    if team.member.role != Role::Owner {
        return ApiError::Forbidden("Only the team's owner can disconnect Facebook Ads.".into()).into_response();
    }
    let t = team.member.team;
    match connector(&state) {
        Ok(c) => match c.disconnect(t, team.member.user).await {
            Ok(o) => Redirect::to(&format!(
                "{}?disconnected={}",
                connectors_page(t),
                match (o.revoked_at_provider, o.grant_kept_for) {
                    (true, _) => "revoked",
                    (false, 0) => "local_only",
                    (false, _) => "kept_for_others",
                }
            ))
            .into_response(),
            Err(e) => connect_error(e).into_response(),
        },
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
pub struct ResyncForm {
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    ad_account_id: String,
}

/// The resync form: same validation as the API.
pub async fn resync(State(state): State<AppState>, team: PageTeam, axum::Form(f): axum::Form<ResyncForm>) -> Response {
    if team.member.role != Role::Owner {
        return ApiError::Forbidden("Only the team's owner can start a resync.".into()).into_response();
    }
    // A form sends empty fields for dates left blank: those are not given.
    let given = |v: &str| Some(v.to_string()).filter(|v| !v.trim().is_empty());
    let run = async {
        let (since, until) = adsync_common::dates::parse_bounds(given(&f.since).as_deref(), given(&f.until).as_deref())
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let account = Some(f.ad_account_id.trim().to_string()).filter(|a| !a.is_empty());
        let new = NewRun::manual(team.member.team, account, since, until, Some(team.member.user));
        if let Some(refusal) = adsync_storage::syncs::refusal(&state.db, FACEBOOK.platform, &new).await? {
            return Err(ApiError::from(refusal));
        }
        Ok::<_, ApiError>(adsync_storage::syncs::request(&state.db, &state.queue, &new).await?)
    };
    match run.await {
        Ok(_) => Redirect::to(&connectors_page(team.member.team)).into_response(),
        Err(e) => e.into_response(),
    }
}
