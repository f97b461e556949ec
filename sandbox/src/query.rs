//! Parsing and validation of insights parameters into an `InsightsQuery`.

use std::ops::Range;

use chrono::{Datelike, Days, Months, NaiveDate};
use serde_json::Value;

use crate::breakdowns::Breakdown;
use crate::dataset::{Dataset, Level};
use crate::errors::GraphError;
use crate::figures::WINDOWS;
use crate::request::Req;

pub(crate) const FIELDS: &[&str] = &[
    "account_id",
    "account_name",
    "account_currency",
    "campaign_id",
    "campaign_name",
    "adset_id",
    "adset_name",
    "ad_id",
    "ad_name",
    "objective",
    "date_start",
    "date_stop",
    "impressions",
    "reach",
    "frequency",
    "clicks",
    "unique_clicks",
    "spend",
    "cpc",
    "cpm",
    "cpp",
    "ctr",
    "unique_ctr",
    "inline_link_clicks",
    "inline_link_click_ctr",
    "cost_per_inline_link_click",
    "actions",
    "action_values",
    "cost_per_action_type",
    "purchase_roas",
];
const DEFAULT_FIELDS: &[&str] = &["impressions", "spend"];

#[derive(Clone, Debug)]
pub(crate) struct TimeBucket {
    pub start: NaiveDate,
    pub stop: NaiveDate,
    /// Day indices with data in this bucket.
    pub days: Option<Range<u32>>,
}

#[derive(Clone, Debug)]
pub(crate) struct InsightsQuery {
    pub account: usize,
    pub level: Level,
    /// Object indices at `level`, in id order.
    pub objects: Vec<usize>,
    pub buckets: Vec<TimeBucket>,
    pub breakdowns: Vec<Breakdown>,
    pub fields: Vec<String>,
    /// Requested attribution windows (indices into `WINDOWS`).
    pub windows: Vec<usize>,
    pub since: NaiveDate,
    pub until: NaiveDate,
}

/// A list parameter: JSON list or comma list.
pub(crate) fn list_param(raw: &str) -> Result<Vec<String>, GraphError> {
    let t = raw.trim();
    if t.starts_with('[') {
        let v: Vec<Value> = serde_json::from_str(&t.replace('\'', "\""))
            .map_err(|_| GraphError::param(format!("Invalid JSON list: {t}")))?;
        return Ok(v
            .iter()
            .map(|x| x.as_str().map(str::to_string).unwrap_or_else(|| x.to_string()))
            .collect());
    }
    Ok(t.split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect())
}

fn date(s: &str) -> Result<NaiveDate, GraphError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| GraphError::param(format!("Invalid date {s:?}; expected YYYY-MM-DD")))
}

fn time_range(req: &Req, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), GraphError> {
    if let Some(raw) = req.param("time_range") {
        let v: Value = serde_json::from_str(&raw.replace('\'', "\""))
            .map_err(|_| GraphError::param("param time_range must be a JSON object with since and until"))?;
        let get = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .ok_or_else(|| GraphError::param(format!("time_range must contain {k}")))
        };
        return Ok((date(get("since")?)?, date(get("until")?)?));
    }
    let back = |n: u64| today - Days::new(n);
    let month_start = today.with_day(1).unwrap_or(today);
    Ok(match req.param("date_preset").unwrap_or("last_30d") {
        "today" => (today, today),
        "yesterday" => (back(1), back(1)),
        "last_3d" => (back(3), back(1)),
        "last_7d" => (back(7), back(1)),
        "last_14d" => (back(14), back(1)),
        "last_28d" => (back(28), back(1)),
        "last_30d" => (back(30), back(1)),
        "last_90d" => (back(90), back(1)),
        "this_month" => (month_start, today),
        "last_month" => (month_start - Months::new(1), month_start - Days::new(1)),
        "maximum" => (today - Months::new(37) + Days::new(1), today),
        other => {
            return Err(GraphError::param(format!(
                "date_preset must be one of the following values: today, yesterday, last_3d, last_7d, last_14d, last_28d, last_30d, last_90d, this_month, last_month, maximum (got {other})"
            )));
        }
    })
}

fn buckets(ds: &Dataset, req: &Req, since: NaiveDate, until: NaiveDate) -> Result<Vec<TimeBucket>, GraphError> {
    let mk = |start: NaiveDate, stop: NaiveDate| TimeBucket {
        start,
        stop,
        days: ds.day_range(start, stop),
    };
    let inc = req.param("time_increment").unwrap_or("all_days");
    let mut out = Vec::new();
    let mut start = since;
    match inc {
        "all_days" => out.push(mk(since, until)),
        "monthly" => {
            while start <= until {
                let next_month = start.with_day(1).unwrap_or(start) + Months::new(1);
                let stop = (next_month - Days::new(1)).min(until);
                out.push(mk(start, stop));
                start = next_month;
            }
        }
        n => {
            let n: u64 = n.parse().ok().filter(|n| (1..=90).contains(n)).ok_or_else(|| {
                GraphError::param("time_increment must be an integer between 1 and 90, monthly or all_days")
            })?;
            while start <= until {
                let stop = (start + Days::new(n - 1)).min(until);
                out.push(mk(start, stop));
                start = start + Days::new(n);
            }
        }
    }
    Ok(out)
}

/// The ancestor index of an object at a coarser level.
pub(crate) fn ancestor(ds: &Dataset, level: Level, idx: usize, at: Level) -> usize {
    match (level, at) {
        (l, a) if l == a => idx,
        (Level::Ad, Level::Adset) => ds.ads[idx].adset,
        (Level::Ad, Level::Campaign) => ds.ads[idx].campaign,
        (Level::Ad, _) => ds.ads[idx].account,
        (Level::Adset, Level::Campaign) => ds.adsets[idx].campaign,
        (Level::Adset, _) => ds.adsets[idx].account,
        (Level::Campaign, _) => ds.campaigns[idx].account,
        (Level::Account, _) => idx,
    }
}

/// `filtering=[{"field":"campaign.id","operator":"IN","value":[...]}]`.
fn apply_filtering(ds: &Dataset, req: &Req, level: Level, objects: &mut Vec<usize>) -> Result<(), GraphError> {
    let Some(raw) = req.param("filtering") else {
        return Ok(());
    };
    let filters: Vec<Value> = serde_json::from_str(&raw.replace('\'', "\""))
        .map_err(|_| GraphError::param("param filtering must be an array"))?;
    for f in filters {
        let field = f.get("field").and_then(Value::as_str).unwrap_or_default();
        let at = match field {
            "campaign.id" => Level::Campaign,
            "adset.id" => Level::Adset,
            "ad.id" => Level::Ad,
            _ => {
                return Err(GraphError::param(format!("Filtering field {field} is invalid")));
            }
        };
        if at > level {
            return Err(GraphError::param(format!(
                "Filtering on {field} requires level {} or finer",
                at.as_str()
            )));
        }
        let values: Vec<String> = match f.get("value") {
            Some(Value::Array(a)) => a
                .iter()
                .map(|x| x.as_str().map(str::to_string).unwrap_or_else(|| x.to_string()))
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Number(n)) => vec![n.to_string()],
            _ => return Err(GraphError::param("Filtering value is missing")),
        };
        let wanted: Vec<usize> = values.iter().filter_map(|v| ds.resolve(at, v)).collect();
        let keep_in = match f.get("operator").and_then(Value::as_str).unwrap_or("IN") {
            "IN" | "EQUAL" => true,
            "NOT_IN" | "NOT_EQUAL" => false,
            op => {
                return Err(GraphError::param(format!(
                    "Filtering operator {op} is not supported for {field}"
                )));
            }
        };
        objects.retain(|&o| wanted.contains(&ancestor(ds, level, o, at)) == keep_in);
    }
    Ok(())
}

impl InsightsQuery {
    /// Days of the requested range (the history's days beyond it count too: Facebook
    /// scans the range asked for).
    fn days(&self) -> u64 {
        ((self.until - self.since).num_days() + 1).max(1) as u64
    }

    /// Rows the request spans: objects × days × breakdown segments.
    pub fn spanned_rows(&self, ds: &Dataset) -> u64 {
        let segments: u64 = self
            .breakdowns
            .iter()
            .map(|b| b.value_count(&ds.accounts[self.account].currency) as u64)
            .product();
        self.objects.len().max(1) as u64 * self.days() * segments.max(1)
    }

    /// Refuses a synchronous call as Facebook does one it finds too big: too many days ×
    /// fields (code 100 / 1504018), or too many rows (code 1). Checked before paging, so a
    /// smaller `limit` alone does not get the call through; a shorter range, fewer objects
    /// (filtering) or an async report may.
    pub fn check_sync_size(&self, ds: &Dataset, cfg: &crate::config::SandboxConfig) -> Result<(), GraphError> {
        if cfg
            .max_days_x_fields
            .is_some_and(|max| self.days() * self.fields.len() as u64 > max)
        {
            return Err(GraphError::too_much_data());
        }
        self.check_rows(ds, cfg)
    }

    /// The rows limit alone, which async report runs are held to as well.
    pub fn check_rows(&self, ds: &Dataset, cfg: &crate::config::SandboxConfig) -> Result<(), GraphError> {
        match cfg.max_request_rows {
            Some(max) if self.spanned_rows(ds) > max => Err(GraphError::reduce_data()),
            _ => Ok(()),
        }
    }
}

/// Parses an insights request on an object (`scope`: the node the path names).
pub(crate) fn parse(ds: &Dataset, req: &Req, scope: (Level, usize)) -> Result<InsightsQuery, GraphError> {
    let account = ancestor(ds, scope.0, scope.1, Level::Account);
    let level = match req.param("level") {
        Some(l) => l.parse::<Level>().map_err(|_| {
            GraphError::param("level must be one of the following values: ad, adset, campaign, account")
        })?,
        None => scope.0,
    };
    if level < scope.0 {
        return Err(GraphError::param(format!(
            "level {} is not valid for a {} node",
            level.as_str(),
            scope.0.as_str()
        )));
    }
    let breakdowns = match req.param("breakdowns") {
        Some(raw) => list_param(raw)?
            .iter()
            .map(|b| Breakdown::parse(b).ok_or_else(|| GraphError::param(format!("{b} is not a valid breakdown"))))
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    let fields = match req.param("fields") {
        Some(raw) => list_param(raw)?,
        None => DEFAULT_FIELDS.iter().map(|s| s.to_string()).collect(),
    };
    for f in &fields {
        if Breakdown::parse(f).is_some() {
            return Err(GraphError::param(format!(
                "{f} is not valid for fields param. please use breakdowns instead"
            )));
        }
        if !FIELDS.contains(&f.as_str()) {
            return Err(GraphError::param(format!(
                "{f} is not valid for fields param. please check https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ for all valid values"
            )));
        }
    }
    let windows = match req.param("action_attribution_windows") {
        Some(raw) => list_param(raw)?
            .iter()
            .filter(|w| w.as_str() != "default")
            .map(|w| {
                WINDOWS
                    .iter()
                    .position(|x| x == w)
                    .ok_or_else(|| GraphError::param(format!("{w} is not a valid action_attribution_windows value")))
            })
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    if let Some(ab) = req.param("action_breakdowns")
        && list_param(ab)?.iter().any(|a| a != "action_type")
    {
        return Err(GraphError::param("Only action_type is supported as action_breakdowns"));
    }
    let today = ds.today();
    let (since, until) = time_range(req, today)?;
    if since > until {
        return Err(GraphError::param("Time range since should be before or equal to until"));
    }
    if since < today - Months::new(37) {
        return Err(GraphError::too_old());
    }
    if breakdowns.contains(&Breakdown::PlatformPosition) && !breakdowns.contains(&Breakdown::PublisherPlatform) {
        return Err(GraphError::param(
            "Breakdown platform_position must be requested together with publisher_platform",
        ));
    }
    // Unique counts (reach) by breakdown only go back 13 months.
    let unique = ["reach", "frequency", "unique_clicks", "cpp", "unique_ctr"];
    if !breakdowns.is_empty() && fields.iter().any(|f| unique.contains(&f.as_str())) && since < today - Months::new(13)
    {
        return Err(GraphError::param(
            "Reach-related metric breakdowns are unavailable for time ranges older than 13 months",
        ));
    }
    // Days after the dataset's today have no figures yet: a range reaching past it stops
    // at today, and one entirely after it has no rows at all (capping its start too would
    // serve today's row). Buckets are built on the capped range, so their number stays
    // bounded whatever `until` says, and `time_increment` is checked either way.
    let future = since > today;
    let capped = until.min(today);
    let mut buckets = buckets(ds, req, since.min(capped), capped)?;
    if future {
        buckets.clear();
    }
    let until = if future { until } else { capped };
    let account_id = &ds.accounts[account].id;
    let mut objects: Vec<usize> = ds
        .objects_of(account_id, level)
        .into_iter()
        .filter(|&o| ancestor(ds, level, o, scope.0) == scope.1)
        .collect();
    apply_filtering(ds, req, level, &mut objects)?;
    Ok(InsightsQuery {
        account,
        level,
        objects,
        buckets,
        breakdowns,
        fields,
        windows,
        since,
        until,
    })
}
