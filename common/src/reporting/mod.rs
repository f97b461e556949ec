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
pub use export::export_ranges;
pub use rows_csv::{CsvRows, CsvShape};
pub use rows_json::{ObjectFields, RowShape, write_rows};

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

/// How rows are ordered: by period, name or a metric's value (numerically, so 9 sorts
/// below 10), ties by period and object id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy<'a> {
    Date,
    Name,
    Metric(&'a Metric),
}

/// A row's place in a sorted answer: the value it is sorted by. `None` (no value) sorts
/// below every number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortValue {
    Date(Option<chrono::NaiveDate>),
    Name(Option<String>),
    Number(Option<Decimal>),
}

/// Where a page of sorted rows ended: the last row's sort value and identity. The next page
/// starts at the first row after it, so rows written meanwhile neither repeat nor push
/// others off the page.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowCursor {
    pub value: SortValue,
    pub period: Option<chrono::NaiveDate>,
    pub object_id: String,
    pub breakdown: String,
}

fn sort_value(a: &Aggregate, by: SortBy<'_>, dp: u32) -> SortValue {
    match by {
        SortBy::Date => SortValue::Date(a.period),
        SortBy::Name => SortValue::Name(a.name.clone()),
        SortBy::Metric(m) => SortValue::Number(metric_value(a, m, dp)),
    }
}

/// The order of rows: by value (descending if asked), ties by period, object and breakdown
/// value, ascending, so that every row has one place.
fn order(
    (va, a): (&SortValue, (Option<chrono::NaiveDate>, &str, &str)),
    (vb, b): (&SortValue, (Option<chrono::NaiveDate>, &str, &str)),
    descending: bool,
) -> std::cmp::Ordering {
    let primary = if descending { vb.cmp(va) } else { va.cmp(vb) };
    primary.then_with(|| a.cmp(&b))
}

/// Sorts aggregates before they become JSON, computing each row's key once.
pub fn sort(rows: &mut [Aggregate], by: SortBy<'_>, descending: bool, dp: u32) {
    let mut keyed: Vec<(SortValue, usize)> = rows
        .iter()
        .enumerate()
        .map(|(i, a)| (sort_value(a, by, dp), i))
        .collect();
    keyed.sort_by(|(ka, ia), (kb, ib)| order((ka, rows[*ia].key()), (kb, rows[*ib].key()), descending));
    let order: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
    permute(rows, &order);
}

/// Where `a` stands in an answer sorted by `by`, for the next page to start after it.
pub fn cursor_of(a: &Aggregate, by: SortBy<'_>, dp: u32) -> RowCursor {
    RowCursor {
        value: sort_value(a, by, dp),
        period: a.period,
        object_id: a.object_id.clone(),
        breakdown: a.breakdown.clone(),
    }
}

/// How many of `rows` (sorted by [`sort`] with the same order) come up to and including
/// `cursor`'s place: the next page starts there.
pub fn rows_through(rows: &[Aggregate], cursor: &RowCursor, by: SortBy<'_>, descending: bool, dp: u32) -> usize {
    let at = (cursor.period, cursor.object_id.as_str(), cursor.breakdown.as_str());
    rows.partition_point(|a| order((&sort_value(a, by, dp), a.key()), (&cursor.value, at), descending).is_le())
}

/// Puts `rows[order[k]]` at position `k`.
fn permute<T: Default>(rows: &mut [T], order: &[usize]) {
    let mut taken: Vec<T> = rows.iter_mut().map(std::mem::take).collect();
    for (slot, &from) in rows.iter_mut().zip(order) {
        *slot = std::mem::take(&mut taken[from]);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value as Json;

    use super::*;

    /// The metrics of a list of names, for the default goal.
    pub(super) fn metrics(names: &[&str]) -> Vec<Metric> {
        parse_metrics(&names.join(","), &Goal::default())
            .expect("metrics")
            .metrics
    }

    fn row_json(a: &Aggregate, names: &[&str], dp: u32, label: Option<String>) -> Json {
        let mut out = Vec::new();
        let shape = RowShape {
            label: label.as_deref(),
            ..RowShape::PLAIN
        };
        write_rows(&mut out, std::slice::from_ref(a), &metrics(names), dp, &shape);
        let rows: Json = serde_json::from_slice(&out).expect("valid JSON");
        rows[0].clone()
    }

    #[test]
    fn ratios_come_from_sums_and_money_is_exact() {
        let a = Aggregate {
            object_id: "c1".into(),
            impressions: 3000,
            clicks: 30,
            spend_micros: 45_670_000,
            purchases: 3,
            purchase_value_micros: 137_010_000,
            ..Default::default()
        };
        let v = row_json(
            &a,
            &["spend", "ctr", "cpc", "cpm", "roas", "purchase_value", "reach"],
            2,
            Some("2026-11-01".into()),
        );
        assert_eq!(v["spend"], "45.67");
        assert_eq!(v["ctr"], "1");
        assert_eq!(v["cpc"], "1.5223");
        assert_eq!(v["cpm"], "15.2233");
        assert_eq!(v["roas"], "3");
        assert_eq!(v["purchase_value"], "137.01");
        assert!(v.get("reach").is_none(), "no reach for aggregated periods");
        let jpy = row_json(&a, &["spend"], currency_decimals("JPY"), None);
        assert_eq!(jpy["spend"], "46");
    }

    #[test]
    fn bad_parameters_name_themselves() {
        let goal = Goal::default();
        assert!(
            parse_metrics("spend,bogus", &goal)
                .expect_err("bogus")
                .starts_with("metrics")
        );
        assert!(parse_metrics(" , ", &goal).is_err());
        let names: Vec<String> = parse_metrics("spend,spend,clicks", &goal)
            .expect("ok")
            .metrics
            .into_iter()
            .map(|m| m.name)
            .collect();
        assert_eq!(names, ["spend", "clicks"]);
        assert!(
            parse_metrics("action:a b", &goal)
                .expect_err("space")
                .contains("action type")
        );
        assert!(parse_level("country").expect_err("country").starts_with("level"));
        assert!(parse_granularity("year").expect_err("year").starts_with("granularity"));
    }

    #[test]
    fn values_are_written_as_their_decimals_would_be() {
        let amounts = [
            0, 1, 4_999, 5_000, 5_001, 15_000, 25_000, 994_999, 995_000, 1_005_000, 45_670_000,
        ];
        let big = [123_456_789_012_345, i64::MAX / 2, -5_000, -1];
        for micros in amounts.into_iter().chain(big).chain((0..20_000).map(|n| n * 2_500 + 7)) {
            for dp in [0, 2, 3] {
                let v = Value::Money(micros);
                let mut shown = Vec::new();
                v.write(dp, &mut shown);
                assert_eq!(
                    String::from_utf8_lossy(&shown),
                    v.decimal(dp).to_string(),
                    "{micros} µ at {dp} digits"
                );
            }
        }
        for n in [0, 7, -3, i64::MAX, i64::MIN] {
            let mut shown = Vec::new();
            Value::Count(n).write(2, &mut shown);
            assert_eq!(String::from_utf8_lossy(&shown), n.to_string());
        }
        for day in ["2026-01-05", "0999-12-31", "2024-02-29"] {
            let mut shown = Vec::new();
            rows_json::iso_date(day.parse().expect("day"), &mut shown);
            assert_eq!(String::from_utf8_lossy(&shown), day);
        }
    }

    #[test]
    fn conversions_get_one_source_each_and_purchases_read_the_rollup() {
        let leads = Goal::Standard(&conversions::LEADS);
        let list = parse_metrics(
            "purchases,roas,leads,cost_per_lead,results,result_roas,action:offsite_conversion.custom.7,\
             action_value:offsite_conversion.custom.7",
            &leads,
        )
        .expect("ok");
        assert_eq!(
            list.sources,
            [
                Source::Conversion(&conversions::LEADS),
                Source::ActionType("offsite_conversion.custom.7".into())
            ],
            "leads named twice (directly and as the goal) is read once"
        );
        let kinds: Vec<Kind> = list.metrics.iter().map(|m| m.kind).collect();
        assert_eq!(kinds[0], Kind::Conversion(Slot::Purchases, Figure::Count));
        assert_eq!(kinds[4], Kind::Conversion(Slot::Source(0), Figure::Count));
        assert_eq!(kinds[7], Kind::Conversion(Slot::Source(1), Figure::Value));
        let by_default = parse_metrics("results", &Goal::default()).expect("ok");
        assert!(by_default.sources.is_empty(), "purchases as results read the rollup");
        let a = Aggregate {
            object_id: "c1".into(),
            spend_micros: 30_000_000,
            conversions: vec![
                Figures {
                    count: 4,
                    value_micros: 0,
                },
                Figures {
                    count: 2,
                    value_micros: 90_000_000,
                },
            ],
            ..Default::default()
        };
        let mut out = Vec::new();
        write_rows(&mut out, std::slice::from_ref(&a), &list.metrics, 2, &RowShape::PLAIN);
        let v: Json = serde_json::from_slice(&out).expect("json");
        assert_eq!(v[0]["leads"], 4, "counts are JSON integers");
        assert_eq!(v[0]["cost_per_lead"], "7.5000");
        assert_eq!(v[0]["result_roas"], "0");
        assert_eq!(v[0]["action_value:offsite_conversion.custom.7"], "90.00");
        assert_eq!(v[0]["roas"], "0", "spend without purchase value");
        assert!(v[0].get("purchases").is_some_and(|p| p == 0));
    }

    #[test]
    fn zero_denominators_omit_the_ratio() {
        let a = Aggregate {
            object_id: "x".into(),
            ..Default::default()
        };
        let v = row_json(&a, &["ctr", "cpc", "roas", "spend"], 2, None);
        assert!(v.get("ctr").is_none() && v.get("cpc").is_none() && v.get("roas").is_none());
        assert_eq!(v["spend"], "0.00");
    }

    #[test]
    fn sorting_is_numeric_with_missing_values_lowest_and_ties_by_period_and_id() {
        let row = |id: &str, clicks: i64, impressions: i64| Aggregate {
            object_id: id.into(),
            clicks,
            impressions,
            ..Default::default()
        };
        let mut rows = vec![row("b", 9, 100), row("a", 10, 100), row("c", 9, 0), row("d", 9, 100)];
        let m = metrics(&["clicks", "ctr"]);
        sort(&mut rows, SortBy::Metric(&m[0]), true, 2);
        let ids: Vec<&str> = rows.iter().map(|r| r.object_id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c", "d"], "10 above 9; equal clicks by id");
        sort(&mut rows, SortBy::Metric(&m[1]), false, 2);
        let ids: Vec<&str> = rows.iter().map(|r| r.object_id.as_str()).collect();
        assert_eq!(ids, ["c", "b", "d", "a"], "no impressions, no ctr: lowest");
    }

    /// Pages cut at any size, in any order, hold every row exactly once: ties (equal
    /// spend, missing ratios) are ordered by period, object and breakdown value.
    #[test]
    fn cursors_page_through_every_row_once() {
        let m = metrics(&["spend", "cpc"]);
        let mut rows: Vec<Aggregate> = Vec::new();
        for day in 1..=4 {
            for (id, spend, clicks) in [("a", 5, 0), ("b", 5, 1), ("c", 7, 2)] {
                for breakdown in ["", "age=18-24"] {
                    rows.push(Aggregate {
                        period: chrono::NaiveDate::from_ymd_opt(2026, 3, day),
                        object_id: id.into(),
                        breakdown: breakdown.into(),
                        name: (id != "b").then(|| format!("name {id}")),
                        spend_micros: spend * 1_000_000,
                        clicks,
                        ..Default::default()
                    });
                }
            }
        }
        let by_each = [SortBy::Date, SortBy::Name, SortBy::Metric(&m[0]), SortBy::Metric(&m[1])];
        for by in by_each {
            for descending in [false, true] {
                let mut sorted = rows.clone();
                sort(&mut sorted, by, descending, 2);
                for size in [1, 5, 7, 24] {
                    let mut seen = Vec::new();
                    let mut start = 0;
                    while start < sorted.len() {
                        let page = &sorted[start..(start + size).min(sorted.len())];
                        seen.extend(page.iter().map(|a| a.key()));
                        let cursor = cursor_of(page.last().expect("a row"), by, 2);
                        let next = rows_through(&sorted, &cursor, by, descending, 2);
                        assert_eq!(next, start + page.len(), "{by:?} {descending} {size}");
                        start = next;
                    }
                    let mut unique = seen.clone();
                    unique.sort();
                    unique.dedup();
                    assert_eq!(
                        (seen.len(), unique.len()),
                        (rows.len(), rows.len()),
                        "{by:?} {descending} {size}"
                    );
                }
            }
        }
    }
}
