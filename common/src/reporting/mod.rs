//! The metrics API's domain: which metrics exist, how derived ratios are computed (from
//! sums, never by averaging averages) and how amounts are written (exact decimal strings in
//! the account currency).

use rust_decimal::Decimal;

use crate::json_text::push_padded;
use crate::storage::metrics::{Aggregate, Granularity};

mod rows_json;
pub use rows_json::write_rows;

/// Every metric the API knows, in display order.
pub const METRICS: &[&str] = &[
    "impressions",
    "reach",
    "clicks",
    "inline_link_clicks",
    "spend",
    "ctr",
    "cpc",
    "cpm",
    "purchases",
    "purchase_value",
    "roas",
];
pub const DEFAULT_METRICS: &[&str] = &["impressions", "clicks", "spend", "purchases", "purchase_value"];
/// Attribution windows of purchases, `default` first.
pub const WINDOWS: &[&str] = &crate::insights::WINDOWS;

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

/// A comma-separated metric list, checked.
pub fn parse_metrics(raw: &str) -> Result<Vec<&'static str>, String> {
    let mut out = Vec::new();
    for m in raw.split(',').map(str::trim).filter(|m| !m.is_empty()) {
        let known = METRICS
            .iter()
            .find(|k| **k == m)
            .ok_or_else(|| format!("metrics: unknown metric {m:?} (known: {})", METRICS.join(", ")))?;
        if !out.contains(known) {
            out.push(*known);
        }
    }
    if out.is_empty() {
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
/// without a denominator (no impressions, no clicks), an unknown metric.
fn value(a: &Aggregate, metric: &str) -> Option<Value> {
    let spend = || Decimal::new(a.spend_micros, 6);
    match metric {
        "impressions" => Some(Value::Count(a.impressions)),
        "reach" => a.reach.map(Value::Count),
        "clicks" => Some(Value::Count(a.clicks)),
        "inline_link_clicks" => Some(Value::Count(a.inline_link_clicks)),
        "spend" => Some(Value::Money(a.spend_micros)),
        "ctr" => ratio(Decimal::from(a.clicks) * Decimal::from(100), a.impressions.into()),
        "cpc" => ratio(spend(), a.clicks.into()),
        "cpm" => ratio(spend() * Decimal::from(1000), a.impressions.into()),
        "purchases" => Some(Value::Count(a.purchases)),
        "purchase_value" => Some(Value::Money(a.purchase_value_micros)),
        "roas" => ratio(Decimal::new(a.purchase_value_micros, 6), spend()),
        _ => None,
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
pub fn metric_value(a: &Aggregate, metric: &str, dp: u32) -> Option<Decimal> {
    value(a, metric).map(|v| v.decimal(dp))
}

/// How rows are ordered: by period, name or a metric's value (numerically, so 9 sorts
/// below 10), ties by period and object id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy<'a> {
    Date,
    Name,
    Metric(&'a str),
}

/// Sorts aggregates before they become JSON, computing each row's key once.
pub fn sort(rows: &mut [Aggregate], by: SortBy<'_>, descending: bool, dp: u32) {
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    enum Key {
        Date(Option<chrono::NaiveDate>),
        Name(Option<String>),
        // `None` (no value) sorts below every number.
        Number(Option<Decimal>),
    }
    let key = |a: &Aggregate| match by {
        SortBy::Date => Key::Date(a.period),
        SortBy::Name => Key::Name(a.name.clone()),
        SortBy::Metric(m) => Key::Number(metric_value(a, m, dp)),
    };
    let mut keyed: Vec<(Key, usize)> = rows.iter().enumerate().map(|(i, a)| (key(a), i)).collect();
    keyed.sort_by(|(ka, ia), (kb, ib)| {
        let primary = if descending { kb.cmp(ka) } else { ka.cmp(kb) };
        let (a, b) = (&rows[*ia], &rows[*ib]);
        primary.then_with(|| (a.period, &a.object_id).cmp(&(b.period, &b.object_id)))
    });
    let order: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
    permute(rows, &order);
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

    fn row_json(a: &Aggregate, metrics: &[&str], dp: u32, label: Option<String>) -> Json {
        let mut out = Vec::new();
        write_rows(&mut out, std::slice::from_ref(a), metrics, dp, label.as_deref());
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
        assert!(parse_metrics("spend,bogus").expect_err("bogus").starts_with("metrics"));
        assert!(parse_metrics(" , ").is_err());
        assert_eq!(
            parse_metrics("spend,spend,clicks").expect("ok"),
            vec!["spend", "clicks"]
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
        sort(&mut rows, SortBy::Metric("clicks"), true, 2);
        let ids: Vec<&str> = rows.iter().map(|r| r.object_id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c", "d"], "10 above 9; equal clicks by id");
        sort(&mut rows, SortBy::Metric("ctr"), false, 2);
        let ids: Vec<&str> = rows.iter().map(|r| r.object_id.as_str()).collect();
        assert_eq!(ids, ["c", "b", "d", "a"], "no impressions, no ctr: lowest");
    }
}
