//! The team dashboard: a date range with presets, KPI tiles against the previous period of
//! equal length, daily trend charts (inline SVG drawn here, no JavaScript) and a sortable
//! campaign → ad set → ad table. Every number comes from the metrics API's `query()`, so the
//! page and `GET /api/v1/teams/{team}/metrics` always agree.

mod all_accounts;
mod breakdowns;
mod chart;
pub(super) mod numbers;
mod panels;
mod table;

use std::collections::BTreeMap;

use adsync_common::dates::{DateRange, bounds_or_default};
use adsync_common::graph::Window;
use adsync_common::ids::{Role, TeamId};
use adsync_common::reporting::currency_decimals;
use adsync_connect::FACEBOOK;
use adsync_storage::connections::{self, AdAccount, ConnectionStatus};
use adsync_storage::metrics as stored;
use adsync_storage::sync_runs::{self, RunStatus};
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::{Datelike, NaiveDate};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::PageTeam;
use super::layout::{notice, page};
use crate::routes::metrics::{MetricsParams, query};
use crate::{ApiError, AppState};
use numbers::Sums;
use panels::{empty_state, freshness, kpis, picker};

pub fn router() -> Router<AppState> {
    Router::new().route("/teams/{team}/dashboard", get(dashboard))
}

/// What the page shows; also what its links and forms carry (unknown parameters are ignored).
#[derive(Deserialize, Default, Clone)]
pub(super) struct View {
    pub(super) range: Option<String>,
    pub(super) since: Option<String>,
    pub(super) until: Option<String>,
    pub(super) account: Option<String>,
    pub(super) level: Option<String>,
    pub(super) campaign: Option<String>,
    pub(super) adset: Option<String>,
    pub(super) sort: Option<String>,
    pub(super) dir: Option<String>,
    /// The table's effective-status filter (`ACTIVE`, `PAUSED`, …).
    pub(super) status: Option<String>,
    /// Attribution window of every conversion figure (`default`, `7d_click`, …).
    pub(super) window: Option<String>,
    /// The trend charts' period: `day`, `week` or `month` (none: by the range's length).
    pub(super) granularity: Option<String>,
}

pub(super) const PRESETS: &[(&str, &str)] = &[
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
    ("90d", "Last 90 days"),
    ("month", "This month"),
];

impl View {
    pub(super) fn href(&self, team: TeamId, change: impl FnOnce(&mut View)) -> String {
        let mut v = self.clone();
        change(&mut v);
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, val) in [
            ("range", &v.range),
            ("since", &v.since),
            ("until", &v.until),
            ("account", &v.account),
            ("level", &v.level),
            ("campaign", &v.campaign),
            ("adset", &v.adset),
            ("sort", &v.sort),
            ("dir", &v.dir),
            ("status", &v.status),
            ("window", &v.window),
            ("granularity", &v.granularity),
        ] {
            if let Some(val) = val.as_deref().filter(|s| !s.is_empty()) {
                q.append_pair(k, val);
            }
        }
        let q = q.finish();
        format!("/teams/{team}/dashboard{}{q}", if q.is_empty() { "" } else { "?" })
    }

    /// The attribution window asked for, when it is one.
    pub(super) fn window(&self) -> Option<Window> {
        self.window.as_deref().and_then(Window::parse)
    }

    /// The trend charts' period: the one asked for, else days up to 4 months, weeks up to
    /// 2 years, months beyond.
    fn chart_granularity(&self, range: DateRange) -> &'static str {
        match (self.granularity.as_deref(), range.days()) {
            (Some("day"), _) => "day",
            (Some("week"), _) => "week",
            (Some("month"), _) => "month",
            (_, ..=120) => "day",
            (_, 121..=730) => "week",
            _ => "month",
        }
    }

    /// The preset key, or `custom` when dates were given.
    fn range_key(&self) -> &str {
        match self.range.as_deref() {
            Some(r) if PRESETS.iter().any(|(k, _)| *k == r) => r,
            _ if self.since.is_some() || self.until.is_some() => "custom",
            _ => "30d",
        }
    }
}

/// Resolves the range; a bad custom range falls back to the last 30 days with a message.
fn resolve_range(v: &View, today: NaiveDate) -> (DateRange, Option<String>) {
    let last = |n| DateRange::ending(today, n);
    match v.range_key() {
        "7d" => (last(7), None),
        "90d" => (last(90), None),
        "month" => (DateRange::ending(today, today.day()), None),
        "custom" => {
            // A form sends empty fields for dates left blank: those are not given.
            let given = |raw: &Option<String>| raw.clone().filter(|s| !s.trim().is_empty());
            let parsed = bounds_or_default(given(&v.since).as_deref(), given(&v.until).as_deref(), today)
                .and_then(|(since, until)| DateRange::new(since, until))
                .map_err(|e| e.to_string());
            match parsed {
                Ok(r) => (r, None),
                Err(e) => (last(30), Some(format!("{e}. Showing the last 30 days instead."))),
            }
        }
        _ => (last(30), None),
    }
}

/// The metrics API's parameters for what `view` shows at `level` over `r`.
pub(super) fn params(view: &View, level: &str, granularity: &str, metrics: &str, r: DateRange) -> MetricsParams {
    MetricsParams {
        since: Some(r.since().to_string()),
        until: Some(r.until().to_string()),
        level: Some(level.into()),
        granularity: Some(granularity.into()),
        metrics: Some(metrics.into()),
        ad_account_id: view.account.clone(),
        window: view.window().map(|w| w.as_str().to_string()),
        limit: Some("10000".into()),
        ..MetricsParams::default()
    }
}

/// The metrics API's CSV export of what `p` shows: every row, not just those on the page.
pub(super) fn csv_href(team: TeamId, p: &MetricsParams) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    let fields = [
        ("since", &p.since),
        ("until", &p.until),
        ("level", &p.level),
        ("granularity", &p.granularity),
        ("metrics", &p.metrics),
        ("ad_account_id", &p.ad_account_id),
        ("window", &p.window),
        ("effective_status", &p.effective_status),
        ("sort", &p.sort),
    ];
    for (key, value) in fields {
        if let Some(v) = value {
            query.append_pair(key, v);
        }
    }
    query.append_pair("format", "csv");
    format!("/api/v1/teams/{team}/metrics?{}", query.finish())
}

pub(super) fn rows(v: &Value) -> &[Value] {
    v["rows"].as_array().map(Vec::as_slice).unwrap_or_default()
}

async fn totals(state: &AppState, team: TeamId, view: &View, r: DateRange) -> Result<Sums, ApiError> {
    let v = query(
        state,
        team,
        &params(
            view,
            "account",
            "total",
            "impressions,clicks,spend,results,result_value",
            r,
        ),
    )
    .await?;
    let mut s = Sums::default();
    rows(&v).iter().for_each(|row| s.add(row));
    Ok(s)
}

/// A day as every page writes it, the same `YYYY-MM-DD` the date fields take.
pub(super) fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

async fn dashboard(State(state): State<AppState>, team: PageTeam, Query(view): Query<View>) -> Response {
    match render(&state, &team, view).await {
        Ok(body) => {
            Html(page(&format!("{} dashboard", team.name), Some(&team.email), body).into_string()).into_response()
        }
        Err(e) => e.into_response(),
    }
}

async fn render(state: &AppState, team: &PageTeam, mut view: View) -> Result<Markup, ApiError> {
    let t = team.member.team;
    let accounts = connections::all_ad_accounts(&state.db, t).await?;
    let connection = connections::get(&state.db, t, FACEBOOK.platform).await?;
    let runs = sync_runs::list(&state.db, t, 20).await?;
    let interval = adsync_storage::teams::sync_interval(&state.db, t)
        .await?
        .unwrap_or(state.config.sync_interval);
    if accounts.is_empty() {
        return Ok(empty_state(team, connection.is_some(), runs.iter().any(is_open)));
    }
    // One currency per view: the chosen account, or all of them when they share one. When
    // they do not, "all ad accounts" is an overview of each account in its own currency:
    // adsync converts nothing.
    let chosen = view
        .account
        .as_deref()
        .and_then(|id| accounts.iter().find(|a| a.is(id)));
    let overview = chosen.is_none() && accounts.iter().any(|a| a.currency != accounts[0].currency);
    let account: Option<&AdAccount> = chosen;
    view.account = account.map(|a| a.id.clone());
    let shown = account.unwrap_or(&accounts[0]);
    let dp = currency_decimals(&shown.currency);
    // The overview's days end on the newest "today" among the accounts' time zones.
    let today = match overview {
        true => accounts
            .iter()
            .map(AdAccount::today)
            .max()
            .unwrap_or_else(|| shown.today()),
        false => shown.today(),
    };
    let (range, range_error) = resolve_range(&view, today);
    let previous = DateRange::ending(range.since().pred_opt().unwrap_or(range.since()), range.days() as u32);

    let goal = adsync_storage::conversions::goal(&state.db, t).await?;
    let latest = stored::latest_day(&state.db, t).await?;

    let header = html! {
        header.dash-head {
            div {
                h1 { (team.name) }
                p.sub {
                    "Facebook Ads · "
                    @match account.or((accounts.len() == 1).then(|| &accounts[0])) { Some(a) => { (a.name) }, None => { (accounts.len()) " ad accounts" } }
                    @if overview {
                        " · amounts and days in each account's own currency and time zone"
                    } @else {
                        " · amounts in " strong { (shown.currency) }
                        " · days in " strong { (shown.timezone_name) } " (the ad account's time zone)"
                    }
                    " · results are " strong { (goal.label()) }
                    @if team.member.role == Role::Owner {
                        " (" a href={ "/teams/" (t) "/connectors#settings" } { "change" } ")"
                    }
                }
            }
            (freshness(interval, &runs, latest, connection.as_ref().map(|c| c.status)))
        }
        nav.subnav aria-label="Team pages" {
            a href={ "/teams/" (t) "/dashboard" } aria-current="page" { "Dashboard" }
            a href={ "/teams/" (t) "/syncs" } { "Sync history" }
            @if team.member.role == Role::Owner { a href={ "/teams/" (t) "/connectors" } { "Connectors" } }
        }
        @if connection.as_ref().is_some_and(|c| c.status != ConnectionStatus::Connected) {
            (notice("error", if team.member.role == Role::Owner {
                "Facebook Ads needs to be reconnected before new data can be synced. Open Connectors and click Reconnect."
            } else {
                "Facebook Ads needs to be reconnected before new data can be synced. Ask your team owner to reconnect it."
            }))
        }
        @if let Some(e) = &range_error { (notice("error", e)) }
    };
    if overview {
        let each = all_accounts::section(state, t, &view, &accounts, &goal.label()).await?;
        return Ok(html! {
            div.dash {
                (header)
                (picker(t, &view, range, previous, &accounts))
                (each)
            }
        });
    }

    let current = totals(state, t, &view, range).await?;
    let before = totals(state, t, &view, previous).await?;
    let columns = numbers::columns(&goal.label(), current.value != 0 || before.value != 0);
    let granularity = view.chart_granularity(range);
    let series_v = query(
        state,
        t,
        &params(&view, "account", granularity, "spend,impressions,clicks,results", range),
    )
    .await?;
    let mut series: BTreeMap<String, Sums> = BTreeMap::new();
    if granularity == "day" {
        let mut d = range.since();
        while d <= range.until() {
            series.insert(d.to_string(), Sums::default());
            d = d.succ_opt().unwrap_or(NaiveDate::MAX);
        }
    }
    for row in rows(&series_v) {
        if let Some(date) = row["date"].as_str() {
            series.entry(date.to_string()).or_default().add(row);
        }
    }
    let partial_left_out = drop_partial_periods(&mut series, granularity, range);

    let no_data = current.impressions == 0 && current.spend == 0;
    let table = table::table_section(state, team, &view, range, dp, &columns).await?;
    let enabled = adsync_storage::teams::breakdowns(&state.db, t).await?;
    let by_breakdown = breakdowns::panel(state, t, &view, range, dp, &goal.label(), &enabled).await?;
    Ok(html! {
        div.dash {
            (header)
            (picker(t, &view, range, previous, &accounts))
            @if no_data {
                div.notice.info role="status" {
                    "No delivery in this range."
                    @if let Some(l) = latest.filter(|l| *l < range.since()) {
                        " The newest synced day is " (day(l)) ". "
                        a href=(view.href(t, |v| { v.range = Some("custom".into()); v.since = Some((l - chrono::Duration::days(29)).to_string()); v.until = Some(l.to_string()); })) {
                            "Show the 30 days up to " (day(l))
                        }
                    }
                }
            }
            (kpis(&columns, &current, &before, &shown.currency, dp, previous))
            (chart::charts(&series, granularity, &shown.currency, dp, &goal.label(), partial_left_out))
            (table)
            (by_breakdown)
        }
    })
}

/// Weeks or months cut by the range's edges hold fewer days than the others, and would dip
/// in the trend: they are left out of the charts (the key figures count every day), unless
/// nothing whole is left. True when some were.
fn drop_partial_periods(series: &mut BTreeMap<String, Sums>, granularity: &str, range: DateRange) -> bool {
    let last_day = |start: NaiveDate| match granularity {
        "week" => Some(start + chrono::Duration::days(6)),
        "month" => start
            .checked_add_months(chrono::Months::new(1))
            .and_then(|next| next.pred_opt()),
        _ => Some(start),
    };
    let whole = |key: &String| {
        NaiveDate::parse_from_str(key, "%Y-%m-%d")
            .ok()
            .is_some_and(|start| start >= range.since() && last_day(start).is_some_and(|end| end <= range.until()))
    };
    if granularity == "day" || !series.keys().any(whole) {
        return false;
    }
    let before = series.len();
    series.retain(|key, _| whole(key));
    series.len() < before
}

pub(super) fn is_open(r: &sync_runs::SyncRun) -> bool {
    matches!(r.status, RunStatus::Queued | RunStatus::Running)
}

#[cfg(test)]
mod tests;
