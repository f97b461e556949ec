//! The metrics API's domain: which metrics exist, how derived ratios are computed (from
//! sums, never by averaging averages) and how amounts are written (exact decimal strings in
//! the account currency).

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::storage::metrics::{Aggregate, Granularity};

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
pub const WINDOWS: &[&str] = &[
    "default",
    "1d_click",
    "7d_click",
    "28d_click",
    "1d_view",
    "7d_view",
    "28d_view",
];

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

fn money(micros: i64, dp: u32) -> String {
    Decimal::new(micros, 6).round_dp(dp).to_string()
}

fn ratio(num: Decimal, den: Decimal, dp: u32) -> Option<String> {
    (!den.is_zero()).then(|| (num / den).round_dp(dp).to_string())
}

/// One aggregate as a JSON row with the requested metrics. Ratios without a denominator
/// (no impressions, no clicks) are omitted rather than shown as zero.
pub fn row_json(a: &Aggregate, metrics: &[&str], dp: u32, period_label: Option<String>) -> Value {
    let mut m = Map::new();
    m.insert("date".into(), period_label.map(Value::String).unwrap_or(Value::Null));
    m.insert("id".into(), Value::String(a.object_id.clone()));
    m.insert("name".into(), a.name.clone().map(Value::String).unwrap_or(Value::Null));
    let spend = Decimal::new(a.spend_micros, 6);
    let value = Decimal::new(a.purchase_value_micros, 6);
    for metric in metrics {
        let v = match *metric {
            "impressions" => Some(a.impressions.to_string()),
            "reach" => a.reach.map(|r| r.to_string()),
            "clicks" => Some(a.clicks.to_string()),
            "inline_link_clicks" => Some(a.inline_link_clicks.to_string()),
            "spend" => Some(money(a.spend_micros, dp)),
            "ctr" => ratio(
                Decimal::from(a.clicks) * Decimal::from(100),
                Decimal::from(a.impressions),
                4,
            ),
            "cpc" => ratio(spend, Decimal::from(a.clicks), 4),
            "cpm" => ratio(spend * Decimal::from(1000), Decimal::from(a.impressions), 4),
            "purchases" => Some(a.purchases.to_string()),
            "purchase_value" => Some(money(a.purchase_value_micros, dp)),
            "roas" => ratio(value, spend, 4),
            _ => None,
        };
        if let Some(v) = v {
            m.insert((*metric).to_string(), Value::String(v));
        }
    }
    Value::Object(m)
}

/// Sort key of a row for a metric (numeric, so "9" sorts below "10").
pub fn sort_key(row: &Value, metric: &str) -> Decimal {
    row.get(metric)
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .unwrap_or(Decimal::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn zero_denominators_omit_the_ratio() {
        let a = Aggregate {
            object_id: "x".into(),
            ..Default::default()
        };
        let v = row_json(&a, &["ctr", "cpc", "roas", "spend"], 2, None);
        assert!(v.get("ctr").is_none() && v.get("cpc").is_none() && v.get("roas").is_none());
        assert_eq!(v["spend"], "0.00");
    }
}
