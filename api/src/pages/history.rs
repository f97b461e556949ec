//! The sync history page: every run of a team, newest first, a page at a time. For each run,
//! what it fetched, when it started and ended (with the time zone), how long it took, the
//! rows it wrote, how far it got, and in plain words how it ended or why it is waiting.
//! Members see it too: it is the team's data, not the connection.

use adsync_storage::sync_runs::{self, RunKind, RunStatus, SyncRun};
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use maud::{Markup, html};

use super::PageTeam;
use super::dashboard::numbers::group;
use super::layout::page;
use crate::paging::{self, ListParams};
use crate::{ApiError, AppState};

pub async fn show(State(state): State<AppState>, team: PageTeam, Query(p): Query<ListParams>) -> Response {
    let t = team.member.team;
    let runs = async {
        let limit = p.limit()?;
        let before = p.before()?.map(adsync_common::ids::RunId);
        let runs = sync_runs::list_before(&state.db, t, before, limit as i64 + 1).await?;
        Ok::<_, ApiError>(paging::page(runs, limit, |r| r.id.0))
    };
    let (runs, next) = match runs.await {
        Ok(page) => page,
        Err(e) => return e.into_response(),
    };
    let body = html! {
        h1 { (team.name) ": sync history" }
        p { a href={ "/teams/" (t) "/dashboard" } { "Dashboard" } " · " a href={ "/teams/" (t) "/connectors" } { "Connectors" } }
        section.card aria-labelledby="history-title" {
            h2 id="history-title" { "Every sync, newest first" }
            @if runs.is_empty() { p { "No syncs yet." } } @else { (table(&runs)) }
            @if let Some(cursor) = next {
                p { a rel="next" href={ "/teams/" (t) "/syncs?cursor=" (cursor) } { "Older syncs" } }
            }
        }
    };
    Html(page("Sync history", Some(&team.email), body).into_string()).into_response()
}

fn table(runs: &[SyncRun]) -> Markup {
    html! {
        table.history {
            thead { tr {
                th scope="col" { "Run" } th scope="col" { "What" } th scope="col" { "Started" }
                th scope="col" { "Finished" } th scope="col" { "Took" } th scope="col" { "Progress" }
                th scope="col" { "Rows" } th scope="col" { "Outcome" }
            } }
            tbody {
                @for r in runs {
                    tr data-run=(r.id) data-status=(r.status.as_str()) {
                        td { (r.id) }
                        td { (kind(r)) br; small { (range(r)) } }
                        td { (at(r.started_at)) }
                        td { (at(r.finished_at)) }
                        td { (took(r)) }
                        td { (days_done(r)) }
                        td.num { (group(i128::from(r.rows_written))) }
                        td { (outcome(r)) }
                    }
                }
            }
        }
    }
}

fn kind(r: &SyncRun) -> &'static str {
    match (r.kind, r.since) {
        (RunKind::Backfill, _) => "First sync (all history)",
        // The schedule's runs re-pull the lookback window; a reconnect's start on a day.
        (RunKind::Incremental, None) => "Scheduled sync",
        (RunKind::Incremental, Some(_)) => "Catch-up after reconnecting",
        (RunKind::Manual, _) => "Resync",
    }
}

/// The days asked for, and of which ad account.
fn range(r: &SyncRun) -> String {
    let days = match (r.since, r.until) {
        (Some(s), Some(u)) => format!("{s} to {u}"),
        (Some(s), None) => format!("{s} to today"),
        (None, Some(u)) => format!("the recent days up to {u}"),
        (None, None) if r.kind == RunKind::Backfill => "everything Facebook keeps".into(),
        (None, None) => "the recent days (the attribution window)".into(),
    };
    match &r.ad_account_id {
        Some(a) => format!("{days}, ad account {a}"),
        None => format!("{days}, every ad account"),
    }
}

/// "312 of 1,104 days": days of data fetched of those planned (progress.js writes the same).
pub fn days_done(r: &SyncRun) -> String {
    let p = &r.progress;
    if p.total == 0 {
        return match r.status {
            RunStatus::Succeeded => "no days to fetch".into(),
            _ => "not planned yet".into(),
        };
    }
    format!("{} of {} days", group(i128::from(p.done)), group(i128::from(p.total)))
}

fn at(t: Option<DateTime<Utc>>) -> Markup {
    html! {
        @match t {
            Some(t) => time datetime=(t.to_rfc3339()) { (t.format("%Y-%m-%d %H:%M UTC")) },
            None => "—",
        }
    }
}

/// How long a finished run took, or a running one has taken so far.
fn took(r: &SyncRun) -> String {
    let Some(start) = r.started_at else { return "—".into() };
    let end = r.finished_at.unwrap_or_else(Utc::now);
    let secs = (end - start).num_seconds().max(0);
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

fn outcome(r: &SyncRun) -> Markup {
    html! {
        @match r.status {
            RunStatus::Queued => "Waiting for a worker",
            RunStatus::Running => {
                "Running"
                @if let (Some(until), Some(why)) = (r.paused_until, &r.pause_reason) {
                    br; small.paused { "Waiting, at the latest until " (until.format("%H:%M UTC")) ": " (why) }
                }
            },
            RunStatus::Succeeded => "Done",
            RunStatus::Cancelled => "Cancelled",
            RunStatus::Failed => {
                "Failed: " (plain_words(r.error.as_deref().unwrap_or_default()))
                @if let Some(e) = &r.error { details { summary { "What Facebook or adsync said" } small { (e) } } }
            },
        }
    }
}

/// Why a run failed, for the people who look at the page: what happened and what to do,
/// from the worker's message (which the details keep whole).
pub fn plain_words(error: &str) -> &'static str {
    const WORDS: &[(&str, &str)] = &[
        (
            "Facebook access expired or was revoked",
            "Facebook no longer accepts adsync's access (it expired or was revoked). The team's owner connects Facebook again on the connectors page; syncing resumes then.",
        ),
        (
            "a Facebook permission is missing",
            "Facebook did not grant the permission to read ads. The team's owner connects again and allows it.",
        ),
        (
            "Facebook kept asking for less data",
            "Facebook refused the request as too large, even in the smallest pieces adsync can ask for. A shorter date range or a single ad account may go through.",
        ),
        (
            "Facebook is not configured",
            "Facebook is not set up on this server: an operator sets the Facebook app's id and secret.",
        ),
        (
            "ad account",
            "The ad account is no longer reachable through the connection, or no longer chosen for syncing.",
        ),
        (
            "Facebook API error",
            "Facebook refused a request and adsync could not work around it. The next scheduled sync tries again.",
        ),
        (
            "the run was taken over by another worker",
            "Another worker took this sync over and carried on with it.",
        ),
        (
            "stopped before finishing",
            "adsync stopped before the sync finished; it carries on where it left off.",
        ),
    ];
    WORDS.iter().find(|(starts, _)| error.starts_with(starts)).map_or(
        "adsync could not finish this sync; the details say why.",
        |(_, words)| words,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_error_still_gets_words() {
        assert!(plain_words("something new").contains("details"));
        assert!(plain_words("Facebook access expired or was revoked (x); …").contains("connects Facebook again"));
    }
}
