//! The reporting query model: what the metrics API asks storage to aggregate
//! ([`MetricsQuery`]) and what comes back ([`Aggregate`], one object in one period).
//! `adsync-storage` runs it in SQL; `reporting` turns the answers into rows.

use chrono::NaiveDate;

use crate::breakdowns::Breakdown;
use crate::conversions::Conversion;
use crate::graph::Window;
use crate::ids::TeamId;

/// How rows are grouped in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    Day,
    Week,
    Month,
    Total,
}

/// What to aggregate.
#[derive(Debug, Clone)]
pub struct MetricsQuery {
    pub team: TeamId,
    pub level: &'static str,
    pub granularity: Granularity,
    pub since: NaiveDate,
    pub until: NaiveDate,
    pub ad_account_id: Option<String>,
    /// Attribution window of every conversion (`default` = Facebook's default attribution).
    pub window: Window,
    /// Conversions read beside purchases (whose rollup columns every query reads), each
    /// summed into [`Aggregate::conversions`] in this order.
    pub sources: Vec<Source>,
    /// Only objects (campaigns, ad sets, ads) whose status, effective status or (campaigns)
    /// objective is one of these; empty: any.
    pub filter: ObjectFilter,
    /// Rows of this breakdown, one per value (`None`: the unbroken rows).
    pub breakdown: Option<Breakdown>,
}

/// Which objects a query keeps, by what their lists say of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectFilter {
    pub status: Vec<String>,
    pub effective_status: Vec<String>,
    pub objective: Vec<String>,
}

impl ObjectFilter {
    pub fn is_empty(&self) -> bool {
        self.status.is_empty() && self.effective_status.is_empty() && self.objective.is_empty()
    }

    /// Whether an object with `o`'s lists passes the filter.
    pub fn keeps(&self, o: &ObjectInfo) -> bool {
        let matches = |wanted: &[String], got: &Option<String>| {
            wanted.is_empty() || got.as_ref().is_some_and(|g| wanted.iter().any(|w| w == g))
        };
        matches(&self.status, &o.status)
            && matches(&self.effective_status, &o.effective_status)
            && matches(&self.objective, &o.objective)
    }
}

/// What the object lists said of an object (see `storage::objects`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectInfo {
    pub status: Option<String>,
    pub effective_status: Option<String>,
    /// Campaigns only.
    pub objective: Option<String>,
}

/// A conversion figure the metrics API reads through a view, beside the purchase rollup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A standard conversion, by its precedence list (the `insight_conversions` view).
    Conversion(&'static Conversion),
    /// One raw action type (the `insight_actions` view), a custom conversion say.
    ActionType(String),
}

/// A conversion's count and value (micro-units) summed over an aggregate's rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    pub count: i64,
    pub value_micros: i64,
}

/// One object in one period, summed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Aggregate {
    pub period: Option<NaiveDate>,
    pub object_id: String,
    /// The breakdown values' key (`age=25-34`), `""` for unbroken rows.
    pub breakdown: String,
    pub name: Option<String>,
    /// Status and objective of a campaign, ad set or ad (empty for accounts, or before the
    /// object lists were read).
    pub info: ObjectInfo,
    pub impressions: i64,
    pub clicks: i64,
    pub inline_link_clicks: i64,
    pub spend_micros: i64,
    /// The level's own reach; only for daily rows (never summed).
    pub reach: Option<i64>,
    pub purchases: i64,
    pub purchase_value_micros: i64,
    /// One entry per [`MetricsQuery::sources`], in its order.
    pub conversions: Vec<Figures>,
}

impl Aggregate {
    /// What rows are merged and ordered by: the period, the object, the breakdown value.
    pub fn key(&self) -> (Option<NaiveDate>, &str, &str) {
        (self.period, &self.object_id, &self.breakdown)
    }
}
