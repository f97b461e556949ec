//! The dashboard's panels: the range picker, KPI tiles, the freshness line and the empty
//! state.

use super::numbers::{Column, Kind, Sums, digits, div_round, fixed, fmt_metric};
use super::{PRESETS, View, day, is_open};
use crate::pages::PageTeam;
use adsync_common::dates::DateRange;
use adsync_common::graph::Window;
use adsync_common::ids::{Role, TeamId};
use adsync_storage::connections::{AdAccount, ConnectionStatus};
use adsync_storage::sync_runs::{self, RunStatus};
use chrono::{NaiveDate, Utc};
use maud::{Markup, html};

pub(super) fn ago(d: chrono::Duration) -> String {
    let m = d.num_minutes();
    match m {
        i64::MIN..=0 => "just now".into(),
        1 => "1 minute ago".into(),
        2..=59 => format!("{m} minutes ago"),
        60..=119 => "1 hour ago".into(),
        120..=2879 => format!("{} hours ago", m / 60),
        _ => format!("{} days ago", m / 1440),
    }
}

pub(super) fn empty_state(team: &PageTeam, connected: bool, syncing: bool) -> Markup {
    let t = team.member.team;
    html! {
        div.dash {
            header.dash-head { div { h1 { (team.name) } p.sub { "Facebook Ads dashboard" } } }
            section.card.empty aria-labelledby="empty-title" {
                @if connected && syncing {
                    h2 id="empty-title" { "Your first sync is running" }
                    p { "adsync is fetching your ad accounts and their numbers from Facebook. Recent days arrive first; this usually takes a minute." }
                    a.button href={ "/teams/" (t) "/dashboard" } { "Reload" }
                } @else if team.member.role == Role::Owner {
                    h2 id="empty-title" { "Connect Facebook Ads to see your numbers" }
                    p { "Once connected, adsync syncs spend, impressions, clicks and purchases for every campaign, ad set and ad, and keeps them fresh every hour." }
                    a.button href={ "/teams/" (t) "/connectors" } { "Go to connectors" }
                } @else {
                    h2 id="empty-title" { "No ad data yet" }
                    p.ask { "This team has not connected Facebook Ads yet. Ask your team owner to connect it; the numbers then appear here for everyone in the team." }
                }
            }
        }
    }
}

/// `interval`: the team's time between scheduled syncs (its own or the server's).
pub(super) fn freshness(
    interval: std::time::Duration,
    runs: &[sync_runs::SyncRun],
    latest: Option<NaiveDate>,
    status: Option<ConnectionStatus>,
) -> Markup {
    let last_ok = runs
        .iter()
        .filter(|r| r.status == RunStatus::Succeeded)
        .filter_map(|r| r.finished_at)
        .max();
    let open = runs.iter().find(|r| is_open(r));
    let interval = chrono::Duration::from_std(interval).unwrap_or(chrono::Duration::hours(1));
    let (class, label) = match (open, last_ok) {
        (Some(_), _) => ("syncing", "Syncing"),
        (None, Some(at)) if Utc::now() - at <= interval * 2 && status == Some(ConnectionStatus::Connected) => {
            ("fresh", "Up to date")
        }
        (None, Some(_)) => ("stale", "Stale"),
        (None, None) => ("stale", "Not synced yet"),
    };
    html! {
        div.fresh role="status" {
            span class={ "pill " (class) } { (label) }
            @if let Some(r) = open {
                " " progress max=(r.progress.total.max(1)) value=(r.progress.done) aria-label="Sync progress" { (r.progress.done) "/" (r.progress.total) }
            }
            @if let Some(at) = last_ok {
                span.when { "Last synced " time datetime=(at.to_rfc3339()) title=(at.format("%Y-%m-%d %H:%M UTC")) { (ago(Utc::now() - at)) } }
            }
            @if let Some(l) = latest { span.when { "Data through " (day(l)) } }
        }
    }
}

pub(super) fn picker(t: TeamId, view: &View, range: DateRange, previous: DateRange, accounts: &[AdAccount]) -> Markup {
    let key = view.range_key();
    html! {
        section.card.picker aria-labelledby="range-title" {
            h2 id="range-title" .visually-hidden { "Date range" }
            ul.presets {
                @for (k, label) in PRESETS {
                    li { a.preset href=(view.href(t, |v| { v.range = Some((*k).into()); v.since = None; v.until = None; }))
                        aria-current=[(key == *k).then_some("true")] { (label) } }
                }
            }
            form.custom method="get" action={ "/teams/" (t) "/dashboard" } {
                input type="hidden" name="range" value="custom";
                @for (k, val) in [("level", &view.level), ("campaign", &view.campaign), ("adset", &view.adset), ("sort", &view.sort), ("dir", &view.dir), ("status", &view.status)] {
                    @if let Some(val) = val { input type="hidden" name=(k) value=(val); }
                }
                div.field { label for="since" { "From" } input id="since" name="since" type="text" inputmode="numeric" pattern="[0-9]{4}-[0-9]{2}-[0-9]{2}" placeholder="YYYY-MM-DD" value=(range.since()) required; }
                div.field { label for="until" { "To" } input id="until" name="until" type="text" inputmode="numeric" pattern="[0-9]{4}-[0-9]{2}-[0-9]{2}" placeholder="YYYY-MM-DD" value=(range.until()) required; }
                div.field {
                    label for="window" { "Attribution" }
                    select id="window" name="window" {
                        @for w in Window::ALL {
                            option value=(w.as_str()) selected[view.window().unwrap_or(Window::Default) == w] { (window_label(w)) }
                        }
                    }
                }
                div.field {
                    label for="granularity" { "Chart by" }
                    select id="granularity" name="granularity" {
                        @for (value, label) in [("", "Automatic"), ("day", "Day"), ("week", "Week"), ("month", "Month")] {
                            option value=(value) selected[view.granularity.as_deref().unwrap_or("") == value] { (label) }
                        }
                    }
                }
                @if accounts.len() > 1 {
                    div.field {
                        label for="account" { "Ad account" }
                        select id="account" name="account" {
                            option value="" { "All ad accounts" }
                            @for a in accounts {
                                option value=(a.id) selected[view.account.as_deref() == Some(a.id.as_str())] { (a.name) " (" (a.currency) ")" }
                            }
                        }
                    }
                }
                button type="submit" { "Apply" }
            }
            p.caption {
                strong { (day(range.since())) " – " (day(range.until())) }
                " (" (range.days()) (if range.days() == 1 { " day" } else { " days" }) ")"
                span.muted { " · compared with " (day(previous.since())) " – " (day(previous.until())) }
            }
        }
    }
}

/// How the picker names an attribution window.
fn window_label(w: Window) -> &'static str {
    match w {
        Window::Default => "Facebook's default (7-day click, 1-day view)",
        Window::Click1d => "1-day click",
        Window::Click7d => "7-day click",
        Window::Click28d => "28-day click",
        Window::View1d => "1-day view",
        Window::View7d => "7-day view",
        Window::View28d => "28-day view",
    }
}

pub(super) fn kpis(
    columns: &[Column],
    cur: &Sums,
    prev: &Sums,
    currency: &str,
    dp: u32,
    previous: DateRange,
) -> Markup {
    html! {
        section aria-labelledby="kpi-title" {
            h2 id="kpi-title" .visually-hidden { "Key figures" }
            ul.kpis {
                @for Column { key, label, kind, up_good } in columns {
                    @let now = cur.get(key);
                    @let then = prev.get(key);
                    @let change = match (now, then) { (Some(n), Some(p)) if p != 0 => Some(div_round((n - p) * 1000, p)), _ => None };
                    li.kpi data-metric=(key) data-value=[now.map(|m| fixed(m, if matches!(kind, Kind::Money) { dp } else { 4 }).replace(',', ""))] {
                        span.label { (label) }
                        span.value {
                            @if matches!(kind, Kind::Money) { span.cur { (currency) " " } }
                            (fmt_metric(*kind, now, digits(key, dp)))
                        }
                        @match change {
                            Some(c) => {
                                @let class = match up_good { _ if c == 0 => "flat", None => "neutral", Some(g) => if (c > 0) == *g { "good" } else { "bad" } };
                                span class={ "change " (class) } {
                                    span aria-hidden="true" { (if c > 0 { "▲ " } else if c < 0 { "▼ " } else { "" }) }
                                    (if c > 0 { "+" } else { "" }) (fixed(c * 100_000, 1)) "%"
                                    span.muted { " vs previous " (previous.days()) (if previous.days() == 1 { " day" } else { " days" }) }
                                }
                            },
                            None => span.change.flat { "no data in the previous period" },
                        }
                    }
                }
            }
        }
    }
}
