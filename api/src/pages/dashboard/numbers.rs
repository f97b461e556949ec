//! Exact amounts for the dashboard: the metrics API's integers and decimal strings as millionths,
//! summed without rounding and written with the currency's decimals and thousands separators.

use serde_json::Value;

pub(super) const MICRO: i128 = 1_000_000;

pub(super) fn micros(s: &str) -> i128 {
    let (neg, s) = s.strip_prefix('-').map(|r| (true, r)).unwrap_or((false, s));
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let frac: String = frac.chars().chain(std::iter::repeat('0')).take(6).collect();
    let v = int.parse::<i128>().unwrap_or(0) * MICRO + frac.parse::<i128>().unwrap_or(0);
    if neg { -v } else { v }
}

/// A metric of a row in millionths: counts are JSON integers, money and ratios decimal
/// strings.
pub(super) fn field(row: &Value, key: &str) -> Option<i128> {
    match row.get(key)? {
        Value::String(s) => Some(micros(s)),
        Value::Number(n) => n.as_i64().map(|n| i128::from(n) * MICRO),
        _ => None,
    }
}

/// `a / b` rounded half away from zero.
pub(super) fn div_round(a: i128, b: i128) -> i128 {
    let (q, r) = (a / b, a % b);
    if 2 * r.abs() >= b.abs() {
        q + (a.signum() * b.signum())
    } else {
        q
    }
}

/// Thousands separators: 1234567 → 1,234,567.
pub(in crate::pages) fn group(int: i128) -> String {
    let digits = int.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if int < 0 { format!("-{out}") } else { out }
}

/// A micro-unit amount with exactly `dp` decimals and thousands separators.
pub(super) fn fixed(m: i128, dp: u32) -> String {
    let scaled = div_round(m, 10i128.pow(6 - dp.min(6)));
    let unit = 10i128.pow(dp);
    let sign = if scaled < 0 { "-" } else { "" };
    let (int, frac) = (scaled.abs() / unit, scaled.abs() % unit);
    if dp == 0 {
        format!("{sign}{}", group(int))
    } else {
        format!("{sign}{}.{frac:0width$}", group(int), width = dp as usize)
    }
}

#[derive(Clone, Copy)]
pub(super) enum Kind {
    Money,
    Count,
    Percent,
    Times,
}

pub(super) fn fmt_metric(kind: Kind, m: Option<i128>, dp: u32) -> String {
    match (kind, m) {
        (_, None) => "–".into(),
        (Kind::Money, Some(m)) => fixed(m, dp),
        (Kind::Count, Some(m)) => fixed(m, 0),
        (Kind::Percent, Some(m)) => format!("{}%", fixed(m, 2)),
        (Kind::Times, Some(m)) => format!("{}×", fixed(m, 2)),
    }
}

/// Summed base metrics (micro-units); ratios are always computed from these sums. Results
/// are the team's primary conversion (the metrics API's `results` and `result_value`).
#[derive(Default, Clone, Copy)]
pub(super) struct Sums {
    pub(super) impressions: i128,
    pub(super) clicks: i128,
    pub(super) spend: i128,
    pub(super) results: i128,
    pub(super) value: i128,
}

impl Sums {
    pub(super) fn add(&mut self, row: &Value) {
        self.impressions += field(row, "impressions").unwrap_or(0);
        self.clicks += field(row, "clicks").unwrap_or(0);
        self.spend += field(row, "spend").unwrap_or(0);
        self.results += field(row, "results").unwrap_or(0);
        self.value += field(row, "result_value").unwrap_or(0);
    }

    pub(super) fn get(&self, key: &str) -> Option<i128> {
        let ratio = |n: i128, d: i128| (d != 0).then(|| div_round(n * MICRO, d));
        match key {
            "impressions" => Some(self.impressions),
            "clicks" => Some(self.clicks),
            "spend" => Some(self.spend),
            "results" => Some(self.results),
            "result_value" => Some(self.value),
            "ctr" => ratio(self.clicks * 100, self.impressions),
            "cpc" => ratio(self.spend, self.clicks),
            "cost_per_result" => ratio(self.spend, self.results),
            "result_roas" => ratio(self.value, self.spend),
            _ => None,
        }
    }
}

/// A column of the KPI tiles and the table.
pub(super) struct Column {
    pub(super) key: &'static str,
    pub(super) label: String,
    pub(super) kind: Kind,
    /// Whether higher is better (`None`: neither).
    pub(super) up_good: Option<bool>,
}

/// The tiles' and the table's columns, the results named after what they count; their value
/// and ROAS only for a conversion that carries values (leads, say, usually do not).
pub(super) fn columns(results: &str, with_value: bool) -> Vec<Column> {
    let c = |key, label: &str, kind, up_good| Column {
        key,
        label: label.to_string(),
        kind,
        up_good,
    };
    let mut out = vec![
        c("spend", "Spend", Kind::Money, None),
        c("impressions", "Impressions", Kind::Count, Some(true)),
        c("clicks", "Clicks", Kind::Count, Some(true)),
        c("ctr", "CTR", Kind::Percent, Some(true)),
        c("cpc", "CPC", Kind::Money, Some(false)),
        c("results", results, Kind::Count, Some(true)),
        c("cost_per_result", "Cost per result", Kind::Money, Some(false)),
        c("result_value", &format!("{results} value"), Kind::Money, Some(true)),
        c("result_roas", "ROAS", Kind::Times, Some(true)),
    ];
    if !with_value {
        out.retain(|c| !matches!(c.key, "result_value" | "result_roas"));
    }
    out
}

/// The digits a column's money shows: cost ratios keep cents even in whole-unit currencies.
pub(super) fn digits(key: &str, dp: u32) -> u32 {
    if matches!(key, "cpc" | "cost_per_result") {
        dp.max(2)
    } else {
        dp
    }
}
pub(super) const TABLE_METRICS: &str =
    "spend,impressions,clicks,ctr,cpc,results,result_value,cost_per_result,result_roas";
pub(super) const MAX_TABLE_ROWS: usize = 200;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_amounts_are_formatted_with_the_currency_decimals() {
        assert_eq!(micros("15772.07"), 15_772_070_000);
        assert_eq!(fixed(micros("15772.07"), 2), "15,772.07");
        assert_eq!(fixed(micros("1234567.5"), 0), "1,234,568");
        assert_eq!(fixed(micros("0.1234"), 3), "0.123");
        assert_eq!(fixed(micros("-12.345"), 2), "-12.35");
        assert_eq!(fixed(micros("999"), 2), "999.00");
        assert_eq!(div_round(5, 2), 3);
        assert_eq!(div_round(-5, 2), -3);
    }

    #[test]
    fn ratios_come_from_sums() {
        let mut s = Sums::default();
        s.add(&serde_json::json!({"impressions": "1000", "clicks": "10", "spend": "5.00", "results": "3", "result_value": "20.00"}));
        s.add(&serde_json::json!({"impressions": "3000", "clicks": "30", "spend": "15.00", "results": "5", "result_value": "10.00"}));
        assert_eq!(fmt_metric(Kind::Percent, s.get("ctr"), 2), "1.00%");
        assert_eq!(fmt_metric(Kind::Money, s.get("cpc"), 2), "0.50");
        assert_eq!(fmt_metric(Kind::Money, s.get("cost_per_result"), 2), "2.50");
        assert_eq!(fmt_metric(Kind::Times, s.get("result_roas"), 2), "1.50×");
    }
}
