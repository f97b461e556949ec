//! Exact amounts for the dashboard: the metrics API's decimal strings as integer millionths,
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

pub(super) fn field(row: &Value, key: &str) -> Option<i128> {
    row.get(key).and_then(Value::as_str).map(micros)
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

pub(super) fn group(int: i128) -> String {
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

/// Summed base metrics (micro-units); ratios are always computed from these sums.
#[derive(Default, Clone, Copy)]
pub(super) struct Sums {
    pub(super) impressions: i128,
    pub(super) clicks: i128,
    pub(super) spend: i128,
    pub(super) purchases: i128,
    pub(super) value: i128,
}

impl Sums {
    pub(super) fn add(&mut self, row: &Value) {
        self.impressions += field(row, "impressions").unwrap_or(0);
        self.clicks += field(row, "clicks").unwrap_or(0);
        self.spend += field(row, "spend").unwrap_or(0);
        self.purchases += field(row, "purchases").unwrap_or(0);
        self.value += field(row, "purchase_value").unwrap_or(0);
    }

    pub(super) fn get(&self, key: &str) -> Option<i128> {
        let ratio = |n: i128, d: i128| (d != 0).then(|| div_round(n * MICRO, d));
        match key {
            "impressions" => Some(self.impressions),
            "clicks" => Some(self.clicks),
            "spend" => Some(self.spend),
            "purchases" => Some(self.purchases),
            "purchase_value" => Some(self.value),
            "ctr" => ratio(self.clicks * 100, self.impressions),
            "cpc" => ratio(self.spend, self.clicks),
            "roas" => ratio(self.value, self.spend),
            _ => None,
        }
    }
}

/// Columns of the KPI tiles and the table: key, label, kind, whether higher is better.
pub(super) const COLUMNS: &[(&str, &str, Kind, Option<bool>)] = &[
    ("spend", "Spend", Kind::Money, None),
    ("impressions", "Impressions", Kind::Count, Some(true)),
    ("clicks", "Clicks", Kind::Count, Some(true)),
    ("ctr", "CTR", Kind::Percent, Some(true)),
    ("cpc", "CPC", Kind::Money, Some(false)),
    ("purchases", "Purchases", Kind::Count, Some(true)),
    ("purchase_value", "Purchase value", Kind::Money, Some(true)),
    ("roas", "ROAS", Kind::Times, Some(true)),
];
pub(super) const TABLE_METRICS: &str = "spend,impressions,clicks,ctr,cpc,purchases,purchase_value,roas";
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
        s.add(&serde_json::json!({"impressions": "1000", "clicks": "10", "spend": "5.00", "purchase_value": "20.00"}));
        s.add(&serde_json::json!({"impressions": "3000", "clicks": "30", "spend": "15.00", "purchase_value": "10.00"}));
        assert_eq!(fmt_metric(Kind::Percent, s.get("ctr"), 2), "1.00%");
        assert_eq!(fmt_metric(Kind::Money, s.get("cpc"), 2), "0.50");
        assert_eq!(fmt_metric(Kind::Times, s.get("roas"), 2), "1.50×");
    }
}
