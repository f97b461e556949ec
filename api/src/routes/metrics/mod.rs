//! `GET /api/v1/teams/{team}/metrics`: synced numbers for members and owners.

use adsync_common::breakdowns::Breakdown;
use adsync_common::dates::DateRange;
use adsync_common::graph::Window;
use adsync_common::reporting::query::{Aggregate, MetricsQuery};
use adsync_common::reporting::{self, Metric, SortBy};
use adsync_storage::StorageError;
use adsync_storage::metrics::aggregate;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::TeamMember;
use crate::extract::ApiQuery;
use crate::paging;
use crate::{ApiError, AppState};

mod csv;
mod plan;
mod schema;

use plan::{MetricsCursor, bad, plan};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(metrics))
}

const DEFAULT_LIMIT: usize = 1000;
const MAX_LIMIT: usize = 10_000;

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MetricsParams {
    /// First day, `YYYY-MM-DD` in the ad account's time zone (default: 29 days before `until`).
    pub since: Option<String>,
    /// Last day, inclusive (default: the account's today). At most 37 months after `since`.
    pub until: Option<String>,
    /// `account` (default), `campaign`, `adset` or `ad`.
    pub level: Option<String>,
    /// `day` (default), `week`, `month` or `total`.
    pub granularity: Option<String>,
    /// Comma-separated (default: impressions, clicks, spend, purchases, purchase_value).
    /// Delivery: impressions, reach, clicks, inline_link_clicks, spend, ctr, cpc, cpm. Standard
    /// conversions, counted as Ads Manager does (docs/schema.md): purchases, purchase_value,
    /// cost_per_purchase, roas, leads, lead_value, cost_per_lead, add_to_cart,
    /// add_to_cart_value, cost_per_add_to_cart, initiate_checkout, initiate_checkout_value,
    /// cost_per_initiate_checkout, complete_registration, complete_registration_value,
    /// cost_per_complete_registration, app_installs, app_install_value, cost_per_app_install.
    /// The team's primary conversion: results, result_value, cost_per_result, result_roas.
    /// Any action type (a custom conversion, say): action:<type>, action_value:<type>,
    /// cost_per_action:<type>.
    pub metrics: Option<String>,
    /// Only this ad account (`act_…` or its number); required when accounts differ in currency.
    pub ad_account_id: Option<String>,
    /// Attribution window of every conversion metric: `default`, `1d_click`, `7d_click`,
    /// `28d_click`, `1d_view`, `7d_view` or `28d_view`.
    pub window: Option<String>,
    /// A requested metric, `date` or `name`; prefix `-` for descending.
    pub sort: Option<String>,
    /// Rows returned, 1 to 10000 (default 1000); `truncated` says when more existed, and
    /// `next_cursor` asks for them.
    pub limit: Option<String>,
    /// Only campaigns, ad sets or ads whose status (what the advertiser set) is one of these,
    /// comma-separated: `ACTIVE`, `PAUSED`, `ARCHIVED`, `DELETED`. Not for `level=account`.
    pub status: Option<String>,
    /// Only objects whose effective status is one of these: `ACTIVE`, `PAUSED`,
    /// `CAMPAIGN_PAUSED`, `ADSET_PAUSED`, `ARCHIVED`, `IN_PROCESS`, `WITH_ISSUES`, ….
    pub effective_status: Option<String>,
    /// Only campaigns whose objective is one of these: `OUTCOME_SALES`, `OUTCOME_LEADS`,
    /// `OUTCOME_TRAFFIC`, …; `level=campaign` only.
    pub objective: Option<String>,
    /// One row per value of this breakdown (the team must have it enabled): `age`, `gender`,
    /// `country`, `region`, `publisher_platform`, `platform_position` (with its platform),
    /// `device_platform`; rows then carry `breakdown: {key: value}`. `level=account` or
    /// `campaign` only. Reach stays per value (never summed) and is missing for days older
    /// than 13 months, which Facebook does not report it for by breakdown.
    pub breakdown: Option<String>,
    /// `json` (default) or `csv`: every row as CSV, streamed, without the row cap (also
    /// chosen by `Accept: text/csv`). CSV rows are in date order; `sort` by a metric or
    /// name only with `granularity=total`.
    pub format: Option<String>,
    /// `next_cursor` of the previous answer: the rows after its last (same `sort`).
    pub cursor: Option<String>,
}

/// The answer for one team, shared by the API and the dashboard page.
pub async fn answer(state: &AppState, team: adsync_common::ids::TeamId, p: &MetricsParams) -> Result<Answer, ApiError> {
    let plan = plan(state, team, p).await?;
    let _slot = team_slot(state, team)?;
    let mut aggregates = read(state, &plan.q).await?;
    // Sorted and cut while still typed: only the rows returned become JSON.
    reporting::sort(&mut aggregates, plan.sort_by(), plan.descending, plan.dp);
    if let Some(after) = &plan.after {
        let seen = reporting::rows_through(&aggregates, after, plan.sort_by(), plan.descending, plan.dp);
        aggregates.drain(..seen);
    }
    let limit = plan.limit.unwrap_or(DEFAULT_LIMIT);
    let truncated = aggregates.len() > limit;
    aggregates.truncate(limit);
    let next_cursor = aggregates.last().filter(|_| truncated).map(|last| {
        paging::encode(&MetricsCursor {
            sort: plan.sort_spec.clone(),
            after: reporting::cursor_of(last, plan.sort_by(), plan.dp),
        })
    });
    Ok(Answer {
        rows: Rows {
            fields: reporting::ObjectFields::of_level(plan.head.level),
            breakdown: plan.breakdown.is_some(),
            total_label: plan.total_label,
            aggregates,
            metrics: plan.metrics,
            dp: plan.dp,
        },
        head: Head {
            truncated,
            next_cursor,
            ..plan.head
        },
    })
}

/// A checked request: the query to run and how its rows are shown.
pub(super) struct Plan {
    head: Head,
    q: MetricsQuery,
    metrics: Vec<Metric>,
    dp: u32,
    sort: SortKey,
    descending: bool,
    /// As asked; `None`: the default cap for JSON, every row for CSV.
    limit: Option<usize>,
    range: DateRange,
    breakdown: Option<Breakdown>,
    /// `since..until`, the period of every row with granularity=total.
    total_label: Option<String>,
    /// `sort` as asked (`""`: none), which a cursor must have been made with.
    sort_spec: String,
    /// The cursor's place: rows up to it were on earlier pages.
    after: Option<reporting::RowCursor>,
}

/// What rows are sorted by ([`SortBy`] without the borrow of the metric).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortKey {
    Date,
    Name,
    /// The metric at this place of the requested list.
    Metric(usize),
}

impl Plan {
    fn sort_by(&self) -> SortBy<'_> {
        match self.sort {
            SortKey::Date => SortBy::Date,
            SortKey::Name => SortBy::Name,
            SortKey::Metric(at) => SortBy::Metric(&self.metrics[at]),
        }
    }
}

/// One of the team's places for a running metrics query, or 429.
fn team_slot(state: &AppState, team: adsync_common::ids::TeamId) -> Result<crate::heavy::QuerySlot, ApiError> {
    state
        .metrics_queries
        .try_start(team)
        .ok_or_else(|| ApiError::TooManyRequests {
            detail: format!(
                "This team already runs {} metrics queries at once; send this one again when one has finished.",
                state.metrics_queries.per_team()
            ),
            retry_after_secs: 1,
        })
}

/// Runs `q` under the query timeout (503 past it).
async fn read(state: &AppState, q: &MetricsQuery) -> Result<Vec<Aggregate>, ApiError> {
    let within = state.config.http.metrics_query_timeout;
    aggregate(&state.db, q, within).await.map_err(|e| match e {
        StorageError::TimedOut => ApiError::TooHeavy(format!(
            "The query ran longer than {} ms and was stopped: ask for fewer days, a higher level or a coarser granularity.",
            within.as_millis()
        )),
        other => other.into(),
    })
}

/// The answer as JSON, for the pages that read it.
pub async fn query(state: &AppState, team: adsync_common::ids::TeamId, p: &MetricsParams) -> Result<Value, ApiError> {
    let answer = answer(state, team, p).await?;
    serde_json::from_slice(&answer.to_json()).map_err(|e| ApiError::Internal(Box::new(e)))
}

/// What the metrics API returns: `{currency, time_zone, level, granularity, since, until,
/// window, primary_conversion, truncated, next_cursor, notes, rows}`.
pub struct Answer {
    head: Head,
    rows: Rows,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = MetricsHead)]
struct Head {
    currency: Option<String>,
    time_zone: Option<String>,
    level: &'static str,
    granularity: String,
    since: chrono::NaiveDate,
    until: chrono::NaiveDate,
    #[schema(value_type = String)]
    window: Window,
    /// The team's primary conversion (what `results` counts): a conversion key or
    /// `action:<type>`.
    primary_conversion: String,
    truncated: bool,
    /// Present when `truncated`: pass it as `cursor` for the next rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
    notes: Vec<&'static str>,
}

struct Rows {
    /// The status fields of each row (campaigns, ad sets, ads).
    fields: reporting::ObjectFields,
    /// Whether rows carry their breakdown values.
    breakdown: bool,
    aggregates: Vec<Aggregate>,
    metrics: Vec<Metric>,
    dp: u32,
    /// `since..until`, the period of every row with granularity=total.
    total_label: Option<String>,
}

impl Answer {
    /// The answer's JSON. The few head fields go through serde; the rows, the bulk of a
    /// large answer, are written by [`reporting::write_rows`].
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::new();
        // Writing a plain struct into a `Vec` cannot fail; `{}` keeps the JSON whole if it did.
        if serde_json::to_writer(&mut out, &self.head).is_err() || out.pop() != Some(b'}') {
            out = b"{".to_vec();
        } else {
            out.push(b',');
        }
        out.extend_from_slice(b"\"rows\":");
        let r = &self.rows;
        let shape = reporting::RowShape {
            label: r.total_label.as_deref(),
            objects: r.fields,
            breakdown: r.breakdown,
        };
        reporting::write_rows(&mut out, &r.aggregates, &r.metrics, r.dp, &shape);
        out.push(b'}');
        out
    }
}

/// Sums per period and object, ratios from sums; counts as JSON integers, money and ratios
/// as exact decimal strings in the account's currency; reach only from that level's own
/// daily rows (see `notes`).
#[utoipa::path(get, path = "/api/v1/teams/{team}/metrics", operation_id = "team_metrics", tag = "metrics", security(("session" = []), ("api_token" = [])),
    params(("team" = i64, Path, description = "Team id"), MetricsParams), responses(
    (status = 200, description = "JSON `{currency, time_zone, level, granularity, since, until, window, primary_conversion, truncated, next_cursor (when truncated), notes, rows}`; with `format=csv` (or `Accept: text/csv`) every row as CSV: a header row, then the rows' columns (`date`, `id`, `name`, status fields, breakdown values, the metrics) as exact decimal strings", content(
        (schema::MetricsAnswer = "application/json"),
        (String = "text/csv"),
    )),
    (status = 400, description = "A parameter is invalid; `detail` names it", body = crate::error::Problem, content_type = "application/problem+json"), (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"), (status = 404, description = "No such team, or the caller is not a member of it (the same answer, so team ids reveal nothing)", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 429, description = "The team already runs as many metrics queries as allowed (`ADSYNC_METRICS_QUERIES_PER_TEAM`); `Retry-After` says when to try again", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 503, description = "The query ran longer than `ADSYNC_METRICS_QUERY_TIMEOUT` and was stopped", body = crate::error::Problem, content_type = "application/problem+json"),
))]
async fn metrics(
    State(state): State<AppState>,
    member: TeamMember,
    headers: HeaderMap,
    ApiQuery(p): ApiQuery<MetricsParams>,
) -> Result<Response, ApiError> {
    if wants_csv(&p, &headers)? {
        let plan = plan(&state, member.team, &p).await?;
        return csv::export(state, member.team, plan).await;
    }
    let json = answer(&state, member.team, &p).await?.to_json();
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        json,
    )
        .into_response())
}

/// `format=csv`, or no `format` and an `Accept` that names `text/csv`.
fn wants_csv(p: &MetricsParams, headers: &HeaderMap) -> Result<bool, ApiError> {
    match p.format.as_deref() {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(other) => Err(bad(format!("format: {other:?} is not json or csv"))),
        None => Ok(headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|media| {
                media
                    .split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/csv"))
            })),
    }
}
