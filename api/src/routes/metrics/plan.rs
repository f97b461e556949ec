//! Checking a metrics request and building its query, reading only the team's settings and
//! accounts.

use adsync_common::breakdowns::Breakdown;
use adsync_common::dates::{DateRange, bounds_or_default};
use adsync_common::graph::Window;
use adsync_common::reporting::query::{Granularity, MetricsQuery, ObjectFilter};
use adsync_common::reporting::{self, DEFAULT_METRICS};
use adsync_storage::connections::{self, AdAccount};
use adsync_storage::conversions;
use serde::{Deserialize, Serialize};

use super::{Head, MAX_LIMIT, MetricsParams, Plan, SortKey};
use crate::paging;
use crate::{ApiError, AppState};

/// Where a metrics answer ended, in the order it was sorted by.
#[derive(Serialize, Deserialize)]
pub(super) struct MetricsCursor {
    pub(super) sort: String,
    pub(super) after: reporting::RowCursor,
}

/// A comma list of Facebook enum values (`ACTIVE`, `OUTCOME_SALES`), checked.
fn enum_list(param: &str, raw: &Option<String>) -> Result<Vec<String>, ApiError> {
    let Some(raw) = raw else { return Ok(Vec::new()) };
    let values: Vec<String> = raw
        .split(',')
        .map(|v| v.trim().to_ascii_uppercase())
        .filter(|v| !v.is_empty())
        .collect();
    match values
        .iter()
        .find(|v| v.len() > 64 || !v.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
    {
        Some(bad) => Err(ApiError::BadRequest(format!(
            "{param}: {bad:?} is not a Facebook status or objective (letters and '_')"
        ))),
        None if values.is_empty() => Err(ApiError::BadRequest(format!("{param}: name at least one value"))),
        None => Ok(values),
    }
}

pub(super) fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::BadRequest(msg.into())
}

/// Checks the parameters and builds the query, reading only the team's settings and
/// accounts.
pub(super) async fn plan(
    state: &AppState,
    team: adsync_common::ids::TeamId,
    p: &MetricsParams,
) -> Result<Plan, ApiError> {
    let level = reporting::parse_level(p.level.as_deref().unwrap_or("account")).map_err(bad)?;
    let granularity = reporting::parse_granularity(p.granularity.as_deref().unwrap_or("day")).map_err(bad)?;
    let filter = ObjectFilter {
        status: enum_list("status", &p.status)?,
        effective_status: enum_list("effective_status", &p.effective_status)?,
        objective: enum_list("objective", &p.objective)?,
    };
    if level == "account" && !filter.is_empty() {
        return Err(bad(
            "status, effective_status and objective filter campaigns, ad sets and ads: not with level=account",
        ));
    }
    if level != "campaign" && !filter.objective.is_empty() {
        return Err(bad("objective: only with level=campaign"));
    }
    let breakdown = match p.breakdown.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
        None => None,
        Some(raw) => {
            let b = Breakdown::parse(raw).map_err(|e| bad(format!("breakdown: {e}")))?;
            if !matches!(level, "account" | "campaign") {
                return Err(bad(
                    "breakdown: only with level=account or level=campaign (the levels synced by breakdown)",
                ));
            }
            if !adsync_storage::teams::breakdowns(&state.db, team).await?.contains(&b) {
                return Err(bad(format!(
                    "breakdown: {b} is not enabled for this team; the owner enables it in the team's settings"
                )));
            }
            Some(b)
        }
    };
    let goal = conversions::goal(&state.db, team).await?;
    let list = reporting::parse_metrics(p.metrics.as_deref().unwrap_or(DEFAULT_METRICS), &goal).map_err(bad)?;
    let metrics = list.metrics;
    let window = match p.window.as_deref() {
        None => Window::Default,
        Some(name) => Window::parse(name).ok_or_else(|| {
            bad(format!(
                "window: unknown attribution window {name:?} (one of {})",
                Window::names()
            ))
        })?,
    };
    let limit = match &p.limit {
        None => None,
        Some(l) => Some(
            l.parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| bad(format!("limit: expected 1 to {MAX_LIMIT}")))?,
        ),
    };
    let accounts: Vec<AdAccount> = connections::narrow(
        connections::all_ad_accounts(&state.db, team).await?,
        p.ad_account_id.as_deref(),
    )
    .map_err(|id| bad(format!("ad_account_id: {id:?} is not an ad account of this team")))?;
    let mut currencies: Vec<&str> = accounts.iter().map(|a| a.currency.as_str()).collect();
    currencies.sort_unstable();
    currencies.dedup();
    if currencies.len() > 1 {
        return Err(bad(format!(
            "ad_account_id: this team's ad accounts use different currencies ({}); choose one account",
            currencies.join(", ")
        )));
    }
    let currency = currencies.first().map(|c| c.to_string());
    let time_zone = accounts.first().map(|a| a.timezone_name.clone());
    let today = accounts
        .first()
        .map(AdAccount::today)
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let (since, until) =
        bounds_or_default(p.since.as_deref(), p.until.as_deref(), today).map_err(|e| bad(e.to_string()))?;
    let range = DateRange::new(since, until).map_err(|e| bad(format!("since: {e}")))?;
    let q = MetricsQuery {
        team,
        level,
        granularity,
        since: range.since(),
        until: range.until(),
        ad_account_id: accounts
            .first()
            .filter(|_| p.ad_account_id.is_some())
            .map(|a| a.id.clone()),
        window,
        sources: list.sources,
        filter,
        breakdown,
    };
    let dp = currency.as_deref().map(reporting::currency_decimals).unwrap_or(2);
    let (descending, sort) = match p.sort.as_deref() {
        None => (false, SortKey::Date),
        Some(s) => {
            let (desc, key) = s.strip_prefix('-').map(|k| (true, k)).unwrap_or((false, s));
            let by = match key {
                "date" => SortKey::Date,
                "name" => SortKey::Name,
                m => match metrics.iter().position(|k| k.name == m) {
                    Some(at) => SortKey::Metric(at),
                    None => {
                        return Err(bad(format!(
                            "sort: {key:?} is not one of the requested metrics, date or name"
                        )));
                    }
                },
            };
            (desc, by)
        }
    };
    let sort_spec = p.sort.clone().unwrap_or_default();
    let after = match p.cursor.as_deref() {
        None => None,
        Some(raw) => {
            let c: MetricsCursor = paging::decode(raw)?;
            if c.sort != sort_spec {
                return Err(bad(format!(
                    "cursor: it continues an answer sorted by {:?}; ask with that sort, or without the cursor",
                    c.sort
                )));
            }
            Some(c.after)
        }
    };
    let mut notes = Vec::new();
    if metrics.iter().any(|m| m.name == "reach") && granularity != Granularity::Day {
        notes.push("reach is not additive across days, so it is only reported with granularity=day");
    }
    if breakdown.is_some() && metrics.iter().any(|m| m.name == "reach") {
        notes.push("reach is each breakdown value's own (never summed across values); Facebook reports it by breakdown for the last 13 months only, so older days have none");
    }
    Ok(Plan {
        head: Head {
            currency,
            time_zone,
            level,
            granularity: p.granularity.clone().unwrap_or_else(|| "day".into()),
            since: range.since(),
            until: range.until(),
            window,
            primary_conversion: goal.as_setting(),
            truncated: false,
            next_cursor: None,
            notes,
        },
        q,
        metrics,
        dp,
        sort,
        descending,
        limit,
        total_label: (granularity == Granularity::Total).then(|| format!("{}..{}", range.since(), range.until())),
        range,
        breakdown,
        sort_spec,
        after,
    })
}
