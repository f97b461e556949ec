//! `GET /api/v1/teams/{team}/metrics`: synced numbers for members and owners.

use adsync_common::dates::{DateRange, parse_day};
use adsync_common::reporting::{self, DEFAULT_METRICS, WINDOWS};
use adsync_common::storage::connections::{self, AdAccount};
use adsync_common::storage::metrics::{Granularity, MetricsQuery, aggregate};
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::TeamMember;
use crate::extract::ApiQuery;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/teams/{team}/metrics", get(metrics))
}

const DEFAULT_LIMIT: usize = 1000;
const MAX_LIMIT: usize = 10_000;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MetricsParams {
    pub since: Option<String>,
    pub until: Option<String>,
    pub level: Option<String>,
    pub granularity: Option<String>,
    pub metrics: Option<String>,
    pub ad_account_id: Option<String>,
    pub window: Option<String>,
    pub sort: Option<String>,
    pub limit: Option<String>,
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::BadRequest(msg.into())
}

/// The answer for one team, shared by the API and the dashboard page.
pub async fn query(state: &AppState, team: adsync_common::ids::TeamId, p: &MetricsParams) -> Result<Value, ApiError> {
    let level = reporting::parse_level(p.level.as_deref().unwrap_or("account")).map_err(bad)?;
    let granularity = reporting::parse_granularity(p.granularity.as_deref().unwrap_or("day")).map_err(bad)?;
    let metrics = match &p.metrics {
        Some(m) => reporting::parse_metrics(m).map_err(bad)?,
        None => DEFAULT_METRICS.to_vec(),
    };
    let window = p.window.clone().unwrap_or_else(|| "default".into());
    if !WINDOWS.contains(&window.as_str()) {
        return Err(bad(format!(
            "window: unknown attribution window {window:?} (one of {})",
            WINDOWS.join(", ")
        )));
    }
    let limit = match &p.limit {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| bad(format!("limit: expected 1 to {MAX_LIMIT}")))?,
    };
    let accounts: Vec<AdAccount> = connections::all_ad_accounts(&state.db, team)
        .await?
        .into_iter()
        .filter(|a| {
            p.ad_account_id
                .as_deref()
                .is_none_or(|id| id == a.id || id == a.account_id)
        })
        .collect();
    if let Some(id) = &p.ad_account_id
        && accounts.is_empty()
    {
        return Err(bad(format!("ad_account_id: {id:?} is not an ad account of this team")));
    }
    let mut currencies: Vec<&str> = accounts.iter().map(|a| a.currency.as_str()).collect();
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
    let until = p
        .until
        .as_deref()
        .map(|s| parse_day("until", s))
        .transpose()
        .map_err(|e| bad(e.to_string()))?
        .unwrap_or(today);
    let since = p
        .since
        .as_deref()
        .map(|s| parse_day("since", s))
        .transpose()
        .map_err(|e| bad(e.to_string()))?
        .unwrap_or(until - chrono::Duration::days(29));
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
        window: window.clone(),
    };
    let dp = currency.as_deref().map(reporting::currency_decimals).unwrap_or(2);
    let mut rows: Vec<Value> = aggregate(&state.db, &q)
        .await?
        .iter()
        .map(|a| {
            let label = match granularity {
                Granularity::Total => Some(format!("{}..{}", range.since(), range.until())),
                _ => a.period.map(|d| d.to_string()),
            };
            reporting::row_json(a, &metrics, dp, label)
        })
        .collect();
    match p.sort.as_deref() {
        Some(s) => {
            let (desc, key) = s.strip_prefix('-').map(|k| (true, k)).unwrap_or((false, s));
            if !metrics.contains(&key) && key != "date" && key != "name" {
                return Err(bad(format!(
                    "sort: {key:?} is not one of the requested metrics, date or name"
                )));
            }
            rows.sort_by(|a, b| {
                let ord = match key {
                    "date" | "name" => a[key].as_str().cmp(&b[key].as_str()),
                    m => reporting::sort_key(a, m).cmp(&reporting::sort_key(b, m)),
                };
                if desc { ord.reverse() } else { ord }
            });
        }
        None => {
            rows.sort_by(|a, b| (a["date"].as_str(), a["id"].as_str()).cmp(&(b["date"].as_str(), b["id"].as_str())))
        }
    }
    let truncated = rows.len() > limit;
    rows.truncate(limit);
    let mut notes = Vec::new();
    if metrics.contains(&"reach") && granularity != Granularity::Day {
        notes.push("reach is not additive across days, so it is only reported with granularity=day");
    }
    Ok(json!({
        "currency": currency,
        "time_zone": time_zone,
        "level": level,
        "granularity": p.granularity.as_deref().unwrap_or("day"),
        "since": range.since(),
        "until": range.until(),
        "window": window,
        "rows": rows,
        "truncated": truncated,
        "notes": notes,
    }))
}

async fn metrics(
    State(state): State<AppState>,
    member: TeamMember,
    ApiQuery(p): ApiQuery<MetricsParams>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(query(&state, member.team, &p).await?))
}
