//! A typed insights row. Facebook sends every number as a JSON string and omits fields
//! without data: counts become `i64` (missing → 0), money and rates exact `Decimal`s
//! (never floats), `actions` / `action_values` one entry per action type with a value per
//! attribution window. Unknown string keys are breakdown values (`"age": "25-34"`).

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::error::GraphError;

/// One `actions` / `action_values` / `cost_per_action_type` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActionStat {
    pub action_type: String,
    /// The default-attribution `value`.
    pub value: Decimal,
    /// By window name (`1d_click`, `7d_click`, ...); windows without data are absent.
    pub windows: BTreeMap<String, Decimal>,
}

impl ActionStat {
    /// The figure for a window (`"value"` or `"default"` for the default attribution);
    /// zero when Facebook omitted it.
    pub fn get(&self, window: &str) -> Decimal {
        match window {
            "value" | "default" => self.value,
            w => self.windows.get(w).copied().unwrap_or_default(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InsightRow {
    pub account_id: Option<String>,
    pub campaign_id: Option<String>,
    pub campaign_name: Option<String>,
    pub adset_id: Option<String>,
    pub adset_name: Option<String>,
    pub ad_id: Option<String>,
    pub ad_name: Option<String>,
    pub date_start: NaiveDate,
    pub date_stop: NaiveDate,
    pub impressions: i64,
    /// Not additive across objects or days: store per level, never sum.
    pub reach: i64,
    pub clicks: i64,
    pub unique_clicks: i64,
    pub inline_link_clicks: i64,
    /// In the account's currency.
    pub spend: Decimal,
    pub frequency: Option<Decimal>,
    pub cpc: Option<Decimal>,
    pub cpm: Option<Decimal>,
    pub ctr: Option<Decimal>,
    pub actions: Vec<ActionStat>,
    pub action_values: Vec<ActionStat>,
    pub cost_per_action_type: Vec<ActionStat>,
    /// Breakdown values and any other text field not listed above.
    pub breakdowns: BTreeMap<String, String>,
}

/// Keys handled by name (everything else that is a string counts as a breakdown).
const KNOWN: &[&str] = &[
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

fn bad(field: &str) -> GraphError {
    // The field's name only: values are not echoed into errors.
    GraphError::Decode(format!("insights row: {field} is not in the expected format"))
}

fn text(row: &Map<String, Value>, k: &str) -> Option<String> {
    match row.get(k)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn decimal_of(v: &Value, field: &str) -> Result<Decimal, GraphError> {
    let s = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return Err(bad(field)),
    };
    Decimal::from_str(&s)
        .or_else(|_| Decimal::from_scientific(&s))
        .map_err(|_| bad(field))
}

fn decimal(row: &Map<String, Value>, k: &str) -> Result<Option<Decimal>, GraphError> {
    row.get(k)
        .filter(|v| !v.is_null())
        .map(|v| decimal_of(v, k))
        .transpose()
}

fn count(row: &Map<String, Value>, k: &str) -> Result<i64, GraphError> {
    match row.get(k) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| bad(k)),
        Some(Value::String(s)) => s.trim().parse().map_err(|_| bad(k)),
        Some(_) => Err(bad(k)),
    }
}

fn date(row: &Map<String, Value>, k: &str) -> Result<NaiveDate, GraphError> {
    let s = row.get(k).and_then(Value::as_str).ok_or_else(|| bad(k))?;
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| bad(k))
}

fn action_list(row: &Map<String, Value>, k: &str) -> Result<Vec<ActionStat>, GraphError> {
    let Some(v) = row.get(k).filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let list = v.as_array().ok_or_else(|| bad(k))?;
    list.iter()
        .map(|e| {
            let e = e.as_object().ok_or_else(|| bad(k))?;
            let action_type = e
                .get("action_type")
                .and_then(Value::as_str)
                .ok_or_else(|| bad(k))?
                .to_string();
            let mut stat = ActionStat {
                action_type,
                ..ActionStat::default()
            };
            for (key, val) in e {
                match key.as_str() {
                    "action_type" => {}
                    "value" => stat.value = decimal_of(val, k)?,
                    // Other keys are attribution windows (or action breakdown labels).
                    w => match decimal_of(val, k) {
                        Ok(d) => {
                            stat.windows.insert(w.to_string(), d);
                        }
                        Err(_) if val.is_string() => {}
                        Err(e) => return Err(e),
                    },
                }
            }
            Ok(stat)
        })
        .collect()
}

impl InsightRow {
    /// Parses one row of an insights page.
    pub fn parse(row: &Map<String, Value>) -> Result<Self, GraphError> {
        let breakdowns = row
            .iter()
            .filter(|(k, _)| !KNOWN.contains(&k.as_str()))
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
            .collect();
        Ok(Self {
            account_id: text(row, "account_id"),
            campaign_id: text(row, "campaign_id"),
            campaign_name: text(row, "campaign_name"),
            adset_id: text(row, "adset_id"),
            adset_name: text(row, "adset_name"),
            ad_id: text(row, "ad_id"),
            ad_name: text(row, "ad_name"),
            date_start: date(row, "date_start")?,
            date_stop: date(row, "date_stop")?,
            impressions: count(row, "impressions")?,
            reach: count(row, "reach")?,
            clicks: count(row, "clicks")?,
            unique_clicks: count(row, "unique_clicks")?,
            inline_link_clicks: count(row, "inline_link_clicks")?,
            spend: decimal(row, "spend")?.unwrap_or_default(),
            frequency: decimal(row, "frequency")?,
            cpc: decimal(row, "cpc")?,
            cpm: decimal(row, "cpm")?,
            ctr: decimal(row, "ctr")?,
            actions: action_list(row, "actions")?,
            action_values: action_list(row, "action_values")?,
            cost_per_action_type: action_list(row, "cost_per_action_type")?,
            breakdowns,
        })
    }

    /// `actions[action_type]` in `window` (`"value"` for the default); zero when absent.
    pub fn action(&self, action_type: &str, window: &str) -> Decimal {
        find(&self.actions, action_type, window)
    }

    /// `action_values[action_type]` in `window`; zero when absent.
    pub fn action_value(&self, action_type: &str, window: &str) -> Decimal {
        find(&self.action_values, action_type, window)
    }
}

fn find(list: &[ActionStat], action_type: &str, window: &str) -> Decimal {
    list.iter()
        .find(|a| a.action_type == action_type)
        .map(|a| a.get(window))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("object")
    }

    #[test]
    fn parses_strings_into_exact_numbers() {
        let row = obj(json!({
            "account_id": "123", "campaign_id": "120001", "ad_id": "122001", "ad_name": "Video #1",
            "date_start": "2026-11-01", "date_stop": "2026-11-01",
            "impressions": "1234", "reach": "1000", "frequency": "1.234", "clicks": "20",
            "spend": "12.34", "cpc": "0.617", "inline_link_clicks": "15", "age": "25-34",
            "actions": [
                {"action_type": "link_click", "value": "15", "1d_click": "15", "7d_click": "15"},
                {"action_type": "purchase", "value": "3", "7d_click": "2", "1d_view": "1", "28d_click": "4"}
            ],
            "action_values": [{"action_type": "purchase", "value": "150.10", "7d_click": "100.05", "1d_view": "50.05"}]
        }));
        let r = InsightRow::parse(&row).expect("row");
        assert_eq!(
            (r.impressions, r.reach, r.clicks, r.inline_link_clicks),
            (1234, 1000, 20, 15)
        );
        assert_eq!(r.unique_clicks, 0, "missing counts are zero");
        assert_eq!(r.spend, Decimal::new(1234, 2));
        assert_eq!(r.frequency, Some(Decimal::new(1234, 3)));
        assert_eq!(r.cpm, None);
        assert_eq!(r.action("purchase", "value"), Decimal::from(3));
        assert_eq!(r.action("purchase", "28d_click"), Decimal::from(4));
        assert_eq!(r.action("purchase", "28d_view"), Decimal::ZERO);
        assert_eq!(r.action("add_to_cart", "value"), Decimal::ZERO);
        assert_eq!(r.action_value("purchase", "7d_click"), Decimal::new(10005, 2));
        assert_eq!(r.breakdowns.get("age").map(String::as_str), Some("25-34"));
        assert_eq!(r.breakdowns.len(), 1);
        assert_eq!(r.ad_name.as_deref(), Some("Video #1"));
        assert_eq!(r.date_start, NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"));
    }

    #[test]
    fn omitted_fields_are_zero_or_none() {
        let r = InsightRow::parse(&obj(
            json!({"date_start": "2026-01-01", "date_stop": "2026-01-07", "spend": "0"}),
        ))
        .expect("row");
        assert_eq!((r.impressions, r.spend, r.actions.len()), (0, Decimal::ZERO, 0));
        assert_eq!(r.campaign_id, None);
        // Zero-decimal currencies (JPY) come as whole numbers.
        let jpy = InsightRow::parse(&obj(
            json!({"date_start": "2026-01-01", "date_stop": "2026-01-01", "spend": "1234"}),
        ))
        .expect("row");
        assert_eq!(jpy.spend, Decimal::from(1234));
    }

    #[test]
    fn malformed_values_are_decode_errors() {
        for bad_row in [
            json!({"date_start": "2026-01-01", "date_stop": "2026-01-01", "impressions": "12.5"}),
            json!({"date_start": "2026-01-01", "date_stop": "2026-01-01", "spend": "abc"}),
            json!({"date_start": "01/01/2026", "date_stop": "2026-01-01"}),
            json!({"date_stop": "2026-01-01"}),
            json!({"date_start": "2026-01-01", "date_stop": "2026-01-01", "actions": {"a": 1}}),
            json!({"date_start": "2026-01-01", "date_stop": "2026-01-01", "actions": [{"value": "1"}]}),
        ] {
            let e = InsightRow::parse(&obj(bad_row.clone())).expect_err("malformed");
            assert!(matches!(e, GraphError::Decode(_)), "{bad_row}: {e:?}");
        }
    }
}
