//! The metrics API's domain: which metrics exist, how derived ratios are computed (from
//! sums, never by averaging averages) and how values are written (counts as integers,
//! amounts and ratios as exact decimal strings in the account currency).

use rust_decimal::Decimal;

use crate::conversions::{self, Goal};
use crate::json_text::push_padded;
use query::{Aggregate, Figures, Granularity, Source};

mod export;
pub mod query;
mod rows_csv;
mod rows_json;
mod sort;
pub use export::export_ranges;
pub use rows_csv::{CsvRows, CsvShape};
pub use rows_json::{ObjectFields, RowShape, write_rows};
pub use sort::{RowCursor, SortBy, SortValue, cursor_of, rows_through, sort};

/// The metrics of the ad delivery itself, in display order.
const BASE_METRICS: &[(&str, Kind)] = &[
    ("impressions", Kind::Impressions),
    ("reach", Kind::Reach),
    ("clicks", Kind::Clicks),
    ("inline_link_clicks", Kind::InlineLinkClicks),
    ("spend", Kind::Spend),
    ("ctr", Kind::Ctr),
    ("cpc", Kind::Cpc),
    ("cpm", Kind::Cpm),
];
pub const DEFAULT_METRICS: &str = "impressions,clicks,spend,purchases,purchase_value";
/// The metrics of the team's primary conversion ([`Goal`]): count, value, cost per result and
/// return on ad spend.
pub const RESULT_METRICS: [(&str, Figure); 4] = [
    ("results", Figure::Count),
    ("result_value", Figure::Value),
    ("cost_per_result", Figure::CostPer),
    ("result_roas", Figure::Roas),
];
/// Prefixes of a raw action type's metrics: `action:link_click`,
/// `action_value:offsite_conversion.custom.123`, `cost_per_action:lead`.
pub const ACTION_METRICS: [(&str, Figure); 3] = [
    ("action:", Figure::Count),
    ("action_value:", Figure::Value),
    ("cost_per_action:", Figure::CostPer),
];

/// Which figure of a conversion a metric shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    Count,
    /// The conversions' value (`action_values`), in the account currency.
    Value,
    /// Spend per conversion.
    CostPer,
    /// Value per unit of spend.
    Roas,
}

/// Where an aggregate keeps a conversion's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// The purchase rollup columns (`Aggregate::purchases`).
    Purchases,
    /// Entry n of `Aggregate::conversions` (the query's source n).
    Source(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Impressions,
    Reach,
    Clicks,
    InlineLinkClicks,
    Spend,
    Ctr,
    Cpc,
    Cpm,
    Conversion(Slot, Figure),
}

/// A requested metric: its name as asked (the key in every row) and what it computes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metric {
    pub name: String,
    pub kind: Kind,
}

impl Metric {
    /// Whether the metric is a count (impressions, clicks, conversions), written as a JSON
    /// integer; money and ratios are exact decimal strings.
    pub fn is_count(&self) -> bool {
        matches!(
            self.kind,
            Kind::Impressions
                | Kind::Reach
                | Kind::Clicks
                | Kind::InlineLinkClicks
                | Kind::Conversion(_, Figure::Count)
        )
    }
}

/// A metric list as parsed: the metrics, and the conversions they read beside purchases
/// (`MetricsQuery::sources`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricList {
    pub metrics: Vec<Metric>,
    pub sources: Vec<Source>,
}

impl MetricList {
    /// Where `source`'s figures are kept, adding it to the sources if new. Purchases are
    /// always read from their rollup columns.
    fn slot(&mut self, source: Source) -> Slot {
        if source == Source::Conversion(&conversions::PURCHASES) {
            return Slot::Purchases;
        }
        match self.sources.iter().position(|s| *s == source) {
            Some(at) => Slot::Source(at),
            None => {
                self.sources.push(source);
                Slot::Source(self.sources.len() - 1)
            }
        }
    }

    fn resolve(&mut self, name: &str, goal: &Goal) -> Result<Option<Kind>, String> {
        if let Some((_, kind)) = BASE_METRICS.iter().find(|(n, _)| *n == name) {
            return Ok(Some(*kind));
        }
        if name == "roas" {
            return Ok(Some(Kind::Conversion(Slot::Purchases, Figure::Roas)));
        }
        for c in conversions::CONVERSIONS {
            let figure = [
                (c.count_metric, Figure::Count),
                (c.value_metric, Figure::Value),
                (c.cost_metric, Figure::CostPer),
            ]
            .into_iter()
            .find_map(|(n, f)| (n == name).then_some(f));
            if let Some(figure) = figure {
                return Ok(Some(Kind::Conversion(self.slot(Source::Conversion(c)), figure)));
            }
        }
        if let Some((_, figure)) = RESULT_METRICS.iter().find(|(n, _)| *n == name) {
            let source = match goal {
                Goal::Standard(c) => Source::Conversion(c),
                Goal::ActionType(t) => Source::ActionType(t.clone()),
            };
            return Ok(Some(Kind::Conversion(self.slot(source), *figure)));
        }
        for (prefix, figure) in ACTION_METRICS {
            if let Some(t) = name.strip_prefix(prefix) {
                let t = conversions::check_action_type(t).map_err(|e| format!("metrics: {name:?}: {e}"))?;
                return Ok(Some(Kind::Conversion(self.slot(Source::ActionType(t.into())), figure)));
            }
        }
        Ok(None)
    }
}

/// Every metric name the API knows besides the `action…:<type>` ones, for messages and docs.
pub fn metric_names() -> Vec<&'static str> {
    let mut out: Vec<&str> = BASE_METRICS.iter().map(|(n, _)| *n).collect();
    for c in conversions::CONVERSIONS {
        out.extend([c.count_metric, c.value_metric, c.cost_metric]);
    }
    out.push("roas");
    out.extend(RESULT_METRICS.iter().map(|(n, _)| *n));
    out
}

pub fn parse_granularity(raw: &str) -> Result<Granularity, String> {
    match raw {
        "day" => Ok(Granularity::Day),
        "week" => Ok(Granularity::Week),
        "month" => Ok(Granularity::Month),
        "total" => Ok(Granularity::Total),
        other => Err(format!(
            "granularity: unknown value {other:?} (day, week, month or total)"
        )),
    }
}

pub fn parse_level(raw: &str) -> Result<&'static str, String> {
    ["account", "campaign", "adset", "ad"]
        .into_iter()
        .find(|l| *l == raw)
        .ok_or_else(|| format!("level: unknown value {raw:?} (account, campaign, adset or ad)"))
}

/// A comma-separated metric list, checked; `results` and its kin count `goal`.
pub fn parse_metrics(raw: &str, goal: &Goal) -> Result<MetricList, String> {
    let mut out = MetricList::default();
    for m in raw.split(',').map(str::trim).filter(|m| !m.is_empty()) {
        if out.metrics.iter().any(|k| k.name == m) {
            continue;
        }
        let kind = out.resolve(m, goal)?.ok_or_else(|| {
            format!(
                "metrics: unknown metric {m:?} (known: {}, and action:<type>, action_value:<type>, cost_per_action:<type> \
                 for any action type)",
                metric_names().join(", ")
            )
        })?;
        out.metrics.push(Metric {
            name: m.to_string(),
            kind,
        });
    }
    if out.metrics.is_empty() {
        return Err("metrics: name at least one metric".into());
    }
    Ok(out)
}

/// Minor-unit digits of a currency (ISO 4217); amounts are shown with exactly these.
pub fn currency_decimals(code: &str) -> u32 {
    match code {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "VND" | "VUV"
        | "XAF" | "XOF" | "XPF" | "HUF" | "TWD" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// A metric's value before it is shown: counts and money stay integers (the bulk of a large
/// answer is written straight from them); ratios are exact decimals.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Value {
    Count(i64),
    /// Micro-units of the account currency.
    Money(i64),
    /// Already rounded to 4 digits.
    Ratio(Decimal),
}

fn ratio(num: Decimal, den: Decimal) -> Option<Value> {
    (!den.is_zero()).then(|| Value::Ratio((num / den).round_dp(4)))
}

/// A metric of an aggregate. `None` when it has none: reach outside daily rows, a ratio
/// without a denominator (no impressions, no clicks, no conversions, no spend).
fn value(a: &Aggregate, metric: &Metric) -> Option<Value> {
    let spend = || Decimal::new(a.spend_micros, 6);
    match metric.kind {
        Kind::Impressions => Some(Value::Count(a.impressions)),
        Kind::Reach => a.reach.map(Value::Count),
        Kind::Clicks => Some(Value::Count(a.clicks)),
        Kind::InlineLinkClicks => Some(Value::Count(a.inline_link_clicks)),
        Kind::Spend => Some(Value::Money(a.spend_micros)),
        Kind::Ctr => ratio(Decimal::from(a.clicks) * Decimal::from(100), a.impressions.into()),
        Kind::Cpc => ratio(spend(), a.clicks.into()),
        Kind::Cpm => ratio(spend() * Decimal::from(1000), a.impressions.into()),
        Kind::Conversion(slot, figure) => {
            let f = match slot {
                Slot::Purchases => Figures {
                    count: a.purchases,
                    value_micros: a.purchase_value_micros,
                },
                Slot::Source(at) => a.conversions.get(at).copied().unwrap_or_default(),
            };
            match figure {
                Figure::Count => Some(Value::Count(f.count)),
                Figure::Value => Some(Value::Money(f.value_micros)),
                Figure::CostPer => ratio(spend(), f.count.into()),
                Figure::Roas => ratio(Decimal::new(f.value_micros, 6), spend()),
            }
        }
    }
}

impl Value {
    /// Money rounded to the currency's `dp` digits (half to even), ratios to 4.
    fn decimal(self, dp: u32) -> Decimal {
        match self {
            Value::Count(n) => n.into(),
            Value::Money(micros) => Decimal::new(micros, 6).round_dp(dp),
            Value::Ratio(r) => r,
        }
    }

    /// Writes the value as [`Value::decimal`]'s `Display` would, without building a
    /// `Decimal` for counts and money (most of a large answer's CPU went there).
    fn write(self, dp: u32, out: &mut Vec<u8>) {
        match self {
            Value::Count(n) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
            Value::Money(micros) if micros >= 0 && dp <= 6 => {
                let scale = 10i64.pow(6 - dp);
                let (mut units, rest) = (micros / scale, micros % scale);
                if 2 * rest > scale || (2 * rest == scale && units % 2 == 1) {
                    units += 1;
                }
                let unit = 10i64.pow(dp);
                out.extend_from_slice(itoa::Buffer::new().format(units / unit).as_bytes());
                if dp > 0 {
                    out.push(b'.');
                    push_padded(out, units % unit, dp as usize);
                }
            }
            other => {
                // Writing into a `Vec` cannot fail.
                let _ = std::io::Write::write_fmt(out, format_args!("{}", other.decimal(dp)));
            }
        }
    }
}

/// A metric's value for one aggregate, as shown (money rounded to the currency's `dp`
/// digits, ratios to 4). `None` when it has none (see [`value`]).
pub fn metric_value(a: &Aggregate, metric: &Metric, dp: u32) -> Option<Decimal> {
    value(a, metric).map(|v| v.decimal(dp))
}

#[cfg(test)]
mod tests;
