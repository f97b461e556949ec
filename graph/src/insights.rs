//! Synchronous insights: `GET /{v}/act_{id}/insights`, one page at a time, with the
//! usage of each answer. Rows stay JSON objects (breakdowns add keys); [`super::row`]
//! turns them into typed [`super::InsightRow`]s.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::client::{Call, GraphClient, MAX_PAGE_SIZE};
use super::error::GraphError;
use super::row::InsightRow;
use super::usage::Usage;
use super::window::Window;
use crate::Secret;

/// Insights level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Account,
    Campaign,
    Adset,
    Ad,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Campaign => "campaign",
            Self::Adset => "adset",
            Self::Ad => "ad",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "account" => Ok(Self::Account),
            "campaign" => Ok(Self::Campaign),
            "adset" => Ok(Self::Adset),
            "ad" => Ok(Self::Ad),
            other => Err(format!(
                "unknown insights level {other:?} (expected account, campaign, adset or ad)"
            )),
        }
    }
}

/// `time_increment`: a row per N days (1–90), or per calendar month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeIncrement {
    Days(u8),
    Monthly,
}

impl TimeIncrement {
    fn param(self) -> String {
        match self {
            Self::Days(n) => n.clamp(1, 90).to_string(),
            Self::Monthly => "monthly".into(),
        }
    }
}

/// One `filtering` entry, e.g. `{"field":"campaign.id","operator":"IN","value":["1"]}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Filter {
    pub field: String,
    pub operator: String,
    pub value: Value,
}

impl Filter {
    /// `field IN [ids]`, e.g. `Filter::any_of("campaign.id", ["123"])`.
    pub fn any_of<I: IntoIterator<Item = S>, S: Into<String>>(field: &str, values: I) -> Self {
        let v: Vec<String> = values.into_iter().map(Into::into).collect();
        Self {
            field: field.into(),
            operator: "IN".into(),
            value: json!(v),
        }
    }
}

/// The default fields of a daily sync.
pub const DEFAULT_FIELDS: &[&str] = &[
    "account_id",
    "campaign_id",
    "campaign_name",
    "adset_id",
    "adset_name",
    "ad_id",
    "ad_name",
    "date_start",
    "date_stop",
    "impressions",
    "reach",
    "clicks",
    "spend",
    "inline_link_clicks",
    "actions",
    "action_values",
];

/// The fields of a daily sync at `level`: [`DEFAULT_FIELDS`] without the ids and names a row
/// at that level has no use for. Each object's name comes from its own level's rows, so an
/// ad row (nine in ten rows of a backfill) does not repeat its campaign's and ad set's names;
/// `account_id` names account rows only.
pub fn fields_for(level: Level) -> impl Iterator<Item = &'static str> {
    DEFAULT_FIELDS.iter().copied().filter(move |field| match *field {
        "account_id" => level == Level::Account,
        "campaign_id" => level != Level::Account,
        "campaign_name" => level == Level::Campaign,
        "adset_id" => matches!(level, Level::Adset | Level::Ad),
        "adset_name" => level == Level::Adset,
        "ad_id" | "ad_name" => level == Level::Ad,
        _ => true,
    })
}

/// An insights query on one ad account.
#[derive(Clone, Debug, PartialEq)]
pub struct InsightsRequest {
    /// `act_<n>` or `<n>`.
    pub account_id: String,
    pub level: Level,
    /// First day, inclusive, in the account's time zone.
    pub since: NaiveDate,
    /// Last day, inclusive.
    pub until: NaiveDate,
    pub time_increment: TimeIncrement,
    pub fields: Vec<String>,
    pub action_attribution_windows: Vec<String>,
    /// E.g. `age`, `gender`, `country`, `publisher_platform` (never listed in `fields`).
    pub breakdowns: Vec<String>,
    pub action_breakdowns: Vec<String>,
    pub limit: u32,
    pub filtering: Vec<Filter>,
}

impl InsightsRequest {
    /// Daily rows of the level's fields ([`fields_for`]) with every attribution window, 500 per
    /// page.
    pub fn daily(account_id: impl Into<String>, level: Level, since: NaiveDate, until: NaiveDate) -> Self {
        Self {
            account_id: account_id.into(),
            level,
            since,
            until,
            time_increment: TimeIncrement::Days(1),
            fields: fields_for(level).map(str::to_string).collect(),
            action_attribution_windows: Window::NAMED.iter().map(|w| w.as_str().to_string()).collect(),
            breakdowns: Vec::new(),
            action_breakdowns: Vec::new(),
            limit: MAX_PAGE_SIZE,
            filtering: Vec::new(),
        }
    }

    /// `act_<n>`, checked.
    pub fn account_path(&self) -> Result<String, GraphError> {
        let n = self.account_id.trim_start_matches("act_");
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err(GraphError::local("ad account id must be act_<digits> or <digits>"));
        }
        Ok(format!("act_{n}"))
    }

    /// The query parameters (the same for the sync GET and the async POST).
    pub fn params(&self) -> Result<Vec<(&'static str, String)>, GraphError> {
        if self.since > self.until {
            return Err(GraphError::local("insights range: since is after until"));
        }
        let list = |v: &[String]| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
        let mut p = vec![
            ("level", self.level.as_str().to_string()),
            (
                "time_range",
                json!({"since": self.since.to_string(), "until": self.until.to_string()}).to_string(),
            ),
            ("time_increment", self.time_increment.param()),
            ("limit", self.limit.clamp(1, MAX_PAGE_SIZE).to_string()),
        ];
        if !self.fields.is_empty() {
            p.push(("fields", self.fields.join(",")));
        }
        if !self.action_attribution_windows.is_empty() {
            p.push(("action_attribution_windows", list(&self.action_attribution_windows)));
        }
        if !self.breakdowns.is_empty() {
            p.push(("breakdowns", list(&self.breakdowns)));
        }
        if !self.action_breakdowns.is_empty() {
            p.push(("action_breakdowns", list(&self.action_breakdowns)));
        }
        if !self.filtering.is_empty() {
            p.push((
                "filtering",
                serde_json::to_string(&self.filtering).unwrap_or_else(|_| "[]".into()),
            ));
        }
        Ok(p)
    }
}

/// One page of insights rows, read straight from the page's text: as [`InsightRow`]s, or as
/// what the caller turns each row into while the page is read (see
/// [`GraphClient::insights_page_with`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InsightsPage<T = InsightRow> {
    pub rows: Vec<T>,
    /// The cursor of the next page; `None` on the last page (no `paging.next`).
    pub after: Option<String>,
}

impl GraphClient {
    /// One page of `GET /{v}/act_{id}/insights`, starting at `after`.
    pub async fn insights_page(
        &self,
        token: &Secret<String>,
        req: &InsightsRequest,
        after: Option<&str>,
    ) -> Result<(InsightsPage, Usage), GraphError> {
        self.insights_page_with(token, req, after, |row| Ok(std::mem::take(row)))
            .await
    }

    /// [`GraphClient::insights_page`] with each row turned into a `T` as it is read. The
    /// rows are read one after the other into the same [`InsightRow`], so a page costs no
    /// allocation per row for what `convert` does not keep.
    pub async fn insights_page_with<T>(
        &self,
        token: &Secret<String>,
        req: &InsightsRequest,
        after: Option<&str>,
        convert: impl FnMut(&mut InsightRow) -> Result<T, GraphError>,
    ) -> Result<(InsightsPage<T>, Usage), GraphError> {
        let account = req.account_path()?;
        let mut call = Call::get(format!("{account}/insights"), token);
        call.query = req.params()?.into_iter().map(|(k, v)| (k.into(), v)).collect();
        self.rows_page("insights response", call, after, convert).await
    }

    /// Sends `call` for the page after `after` and reads its rows (insights, or a report
    /// run's results: the same wire format).
    pub(crate) async fn rows_page<T>(
        &self,
        what: &'static str,
        mut call: Call<'_>,
        after: Option<&str>,
        convert: impl FnMut(&mut InsightRow) -> Result<T, GraphError>,
    ) -> Result<(InsightsPage<T>, Usage), GraphError> {
        if let Some(a) = after {
            call = call.query("after", a);
        }
        let (text, usage) = self.text(what, call).await?;
        Ok((InsightsPage::from_text(what, &text, convert)?, usage))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn params_are_what_facebook_expects() {
        let mut r = InsightsRequest::daily("123", Level::Ad, day("2026-01-01"), day("2026-01-31"));
        r.breakdowns = vec!["age".into(), "gender".into()];
        r.filtering = vec![Filter::any_of("campaign.id", ["9"])];
        r.limit = 10_000;
        assert_eq!(r.account_path().expect("path"), "act_123");
        let p: std::collections::HashMap<_, _> = r.params().expect("params").into_iter().collect();
        assert_eq!(p["level"], "ad");
        assert_eq!(p["time_range"], r#"{"since":"2026-01-01","until":"2026-01-31"}"#);
        assert_eq!(p["time_increment"], "1");
        assert_eq!(p["limit"], "500");
        assert_eq!(p["breakdowns"], r#"["age","gender"]"#);
        assert_eq!(
            p["filtering"],
            r#"[{"field":"campaign.id","operator":"IN","value":["9"]}]"#
        );
        assert!(p["fields"].starts_with("campaign_id,adset_id,ad_id,ad_name,date_start"));
        assert!(p["action_attribution_windows"].contains("28d_view"));
        assert!(!p.contains_key("action_breakdowns"));
    }

    #[test]
    fn each_level_asks_for_its_own_ids_and_name() {
        let ids_and_names = |level| -> Vec<&str> {
            fields_for(level)
                .filter(|f| f.ends_with("_id") || f.ends_with("_name"))
                .collect()
        };
        assert_eq!(ids_and_names(Level::Account), ["account_id"]);
        assert_eq!(ids_and_names(Level::Campaign), ["campaign_id", "campaign_name"]);
        assert_eq!(ids_and_names(Level::Adset), ["campaign_id", "adset_id", "adset_name"]);
        assert_eq!(
            ids_and_names(Level::Ad),
            ["campaign_id", "adset_id", "ad_id", "ad_name"]
        );
        let metrics = fields_for(Level::Ad).count() - 4;
        assert_eq!(metrics, DEFAULT_FIELDS.len() - 7, "every metric at every level");
    }

    #[test]
    fn bad_requests_are_refused_locally() {
        let r = InsightsRequest::daily("act_12/../me", Level::Ad, day("2026-01-01"), day("2026-01-02"));
        assert!(matches!(
            r.account_path(),
            Err(GraphError::InvalidRequest { code: 0, .. })
        ));
        let r = InsightsRequest::daily("act_1", Level::Ad, day("2026-01-02"), day("2026-01-01"));
        assert!(r.params().is_err());
        assert_eq!("adset".parse::<Level>(), Ok(Level::Adset));
        assert_eq!(TimeIncrement::Monthly.param(), "monthly");
        assert_eq!(TimeIncrement::Days(0).param(), "1");
    }
}
