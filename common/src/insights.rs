//! Normalized insights: what one Graph API row becomes in our tables. Money turns into
//! integer micro-units of the account currency (exact, summable in SQL on both databases);
//! actions become one row per action type and attribution window.

use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::graph::{GraphError, InsightRow, Level};

/// The attribution window name used for Facebook's default `value`.
pub const DEFAULT_WINDOW: &str = "default";

/// Every attribution window stored: Facebook's default first, then the explicit ones. Also
/// the column order of the purchase rollup on `insights_daily`.
pub const WINDOWS: [&str; 7] = [
    DEFAULT_WINDOW,
    "1d_click",
    "7d_click",
    "28d_click",
    "1d_view",
    "7d_view",
    "28d_view",
];

/// The rollup's column of purchase counts (`value = false`) or values in a window; `None`
/// for an unknown window.
pub fn purchase_column(window: &str, value: bool) -> Option<String> {
    WINDOWS.contains(&window).then(|| match value {
        false => format!("purchases_{window}"),
        true => format!("purchase_value_{window}_micros"),
    })
}

/// The rollup's columns: the count for each window, then the value for each.
pub fn purchase_columns() -> Vec<String> {
    [false, true]
        .into_iter()
        .flat_map(|value| WINDOWS.iter().filter_map(move |w| purchase_column(w, value)))
        .collect()
}

/// One object's metrics on one day (and breakdown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyRow {
    pub object_id: String,
    pub date: NaiveDate,
    /// `""` when not broken down, else `key=value` pairs joined by `&` in key order.
    pub breakdown: String,
    pub campaign_id: Option<String>,
    pub adset_id: Option<String>,
    pub impressions: i64,
    pub reach: Option<i64>,
    pub clicks: i64,
    pub inline_link_clicks: i64,
    pub spend_micros: i64,
    pub actions: Vec<ActionRow>,
    /// Names seen on the row, for the campaigns / ad sets / ads tables.
    pub names: Names,
}

/// The names a row carries, for the campaigns / ad sets / ads tables: its campaign's (id
/// `campaign_id`), its ad set's (`adset_id`) and, on ad rows, its ad's (`object_id`). Only
/// names: the ids are the row's own, not copies of them on every row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    pub campaign: Option<String>,
    pub adset: Option<String>,
    pub ad: Option<String>,
}

/// One action type in one attribution window. A row carries ~17 of them (types × windows),
/// so the type is shared between its windows and the window is one of [`WINDOWS`]: no
/// allocation per action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRow {
    pub action_type: Arc<str>,
    pub window: &'static str,
    pub count: i64,
    pub value_micros: Option<i64>,
}

impl DailyRow {
    /// Purchases per window, then purchase values per window (micro-units), in the order of
    /// [`purchase_columns`]. A window Facebook did not report counts 0.
    pub fn purchase_rollup(&self) -> [i64; 14] {
        let mut out = [0; 14];
        for a in self.actions.iter().filter(|a| &*a.action_type == "purchase") {
            if let Some(i) = WINDOWS.iter().position(|w| *w == a.window) {
                // The last report of a (type, window) wins, as when the actions are stored.
                out[i] = a.count;
                out[i + 7] = a.value_micros.unwrap_or(0);
            }
        }
        out
    }
}

/// Decimal → micro-units, exactly (Facebook reports at most 2–4 decimals for money). Up to
/// six decimals the mantissa is scaled as an integer, without Decimal arithmetic (a row has
/// a few dozen figures); only more decimals are rounded.
pub fn to_micros(d: Decimal) -> Result<i64, GraphError> {
    let out_of_range = || GraphError::Decode(format!("amount {d} out of range"));
    if d.scale() <= 6 {
        let factor = 10i128.pow(6 - d.scale());
        return d
            .mantissa()
            .checked_mul(factor)
            .and_then(|m| i64::try_from(m).ok())
            .ok_or_else(out_of_range);
    }
    (d * Decimal::from(1_000_000)).round().to_i64().ok_or_else(out_of_range)
}

fn to_count(d: Decimal) -> Result<i64, GraphError> {
    let out_of_range = || GraphError::Decode(format!("count {d} out of range"));
    if d.scale() == 0 {
        return i64::try_from(d.mantissa()).map_err(|_| out_of_range());
    }
    d.round().to_i64().ok_or_else(out_of_range)
}

/// Converts a parsed Graph row at `level` into our normalized form. It takes the row, so
/// its ids and names move rather than being copied.
pub fn normalize(level: Level, row: InsightRow) -> Result<DailyRow, GraphError> {
    let missing = |what: &str| GraphError::Decode(format!("insights row at {} level without {what}", level.as_str()));
    let InsightRow {
        account_id,
        campaign_id,
        campaign_name,
        adset_id,
        adset_name,
        ad_id,
        ad_name,
        date_start,
        impressions,
        reach,
        clicks,
        inline_link_clicks,
        spend,
        actions: stats,
        action_values,
        breakdowns,
        ..
    } = row;
    let object_id = match level {
        Level::Account => account_id.map(|a| if a.starts_with("act_") { a } else { format!("act_{a}") }),
        Level::Campaign => campaign_id.clone(),
        Level::Adset => adset_id.clone(),
        Level::Ad => ad_id,
    }
    .ok_or_else(|| missing("its id"))?;
    let breakdown = breakdowns
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let mut actions = Vec::with_capacity(stats.iter().map(|a| (1 + a.windows.len()).min(WINDOWS.len())).sum());
    for a in &stats {
        let value = action_values
            .iter()
            .find(|v| Arc::ptr_eq(&v.action_type, &a.action_type) || v.action_type == a.action_type);
        // WINDOWS is the default (`value`), then ATTRIBUTION_WINDOWS in order. A window is
        // stored when either list reports it; the other's figure is then 0.
        for (i, w) in WINDOWS.into_iter().enumerate() {
            let (count, amount) = match i.checked_sub(1) {
                None => (Some(a.value), value.map(|v| v.value)),
                Some(at) => (a.windows.at(at), value.and_then(|v| v.windows.at(at))),
            };
            if count.is_none() && amount.is_none() {
                continue;
            }
            actions.push(ActionRow {
                action_type: a.action_type.clone(),
                window: w,
                count: to_count(count.unwrap_or_default())?,
                value_micros: value.map(|_| to_micros(amount.unwrap_or_default())).transpose()?,
            });
        }
    }
    Ok(DailyRow {
        object_id,
        date: date_start,
        breakdown,
        names: Names {
            campaign: campaign_id.as_ref().and(campaign_name),
            adset: adset_id.as_ref().and(adset_name),
            // Off ad rows the ad's id is not the row's; its ad rows carry the name.
            ad: (level == Level::Ad).then_some(ad_name).flatten(),
        },
        campaign_id,
        adset_id,
        impressions,
        reach: Some(reach),
        clicks,
        inline_link_clicks,
        spend_micros: to_micros(spend)?,
        actions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::ATTRIBUTION_WINDOWS;
    use serde_json::json;

    #[test]
    fn stored_windows_are_the_default_and_the_requested_ones() {
        assert_eq!(WINDOWS[0], DEFAULT_WINDOW);
        assert_eq!(&WINDOWS[1..], ATTRIBUTION_WINDOWS);
        assert_eq!(purchase_columns()[8], "purchase_value_1d_click_micros");
        assert_eq!(purchase_column("7d_view", false).as_deref(), Some("purchases_7d_view"));
        assert_eq!(purchase_column("2d_click", false), None);
    }

    fn row(v: serde_json::Value) -> InsightRow {
        InsightRow::parse(&v).expect("parse")
    }

    #[test]
    fn money_is_exact_micros() {
        assert_eq!(to_micros(Decimal::new(1234, 2)).expect("ok"), 12_340_000);
        assert_eq!(to_micros(Decimal::new(1, 0)).expect("ok"), 1_000_000);
        assert_eq!(to_micros(Decimal::new(5, 6)).expect("ok"), 5);
        assert_eq!(to_micros(Decimal::new(-250, 2)).expect("ok"), -2_500_000);
        assert_eq!(
            to_micros(Decimal::new(12_345_675, 7)).expect("ok"),
            1_234_568,
            "rounded past 6 decimals"
        );
        assert!(to_micros(Decimal::MAX).is_err());
        assert!(
            to_micros(Decimal::new(i64::MAX / 10, 0)).is_err(),
            "beyond i64 once scaled"
        );
        assert_eq!(to_count(Decimal::new(42, 0)).expect("ok"), 42);
        assert_eq!(
            to_count(Decimal::new(425, 1)).expect("ok"),
            42,
            "as before: rounded half to even"
        );
        assert!(to_count(Decimal::MAX).is_err());
    }

    #[test]
    fn an_ad_row_with_actions_per_window() {
        let r = row(json!({
            "account_id": "123", "campaign_id": "c1", "campaign_name": "Spring", "adset_id": "s1", "adset_name": "S",
            "ad_id": "a1", "ad_name": "A", "date_start": "2026-11-01", "date_stop": "2026-11-01",
            "impressions": "1000", "reach": "800", "clicks": "20", "inline_link_clicks": "15", "spend": "12.34",
            "actions": [{"action_type": "purchase", "value": "3", "7d_click": "2", "1d_view": "1"}],
            "action_values": [{"action_type": "purchase", "value": "99.90", "7d_click": "66.60", "1d_view": "33.30"}]
        }));
        let d = normalize(Level::Ad, r.clone()).expect("normalize");
        assert_eq!(
            (d.object_id.as_str(), d.impressions, d.spend_micros, d.reach),
            ("a1", 1000, 12_340_000, Some(800))
        );
        assert_eq!(d.names.ad.as_deref(), Some("A"));
        assert_eq!(d.names.campaign.as_deref(), Some("Spring"));
        let windows: Vec<_> = d.actions.iter().map(|a| (a.window, a.count, a.value_micros)).collect();
        assert_eq!(
            windows,
            vec![
                ("default", 3, Some(99_900_000)),
                ("7d_click", 2, Some(66_600_000)),
                ("1d_view", 1, Some(33_300_000))
            ]
        );
        let acct = normalize(Level::Account, r).expect("account");
        assert_eq!(acct.object_id, "act_123");
    }

    #[test]
    fn omitted_fields_are_zero_and_breakdowns_are_keyed() {
        let r = row(
            json!({"campaign_id": "c1", "date_start": "2026-11-01", "date_stop": "2026-11-01", "age": "25-34", "gender": "female"}),
        );
        let d = normalize(Level::Campaign, r.clone()).expect("normalize");
        assert_eq!((d.impressions, d.spend_micros, d.actions.len()), (0, 0, 0));
        assert_eq!(d.breakdown, "age=25-34&gender=female");
        assert!(normalize(Level::Ad, r.clone()).is_err(), "no ad id at ad level");
    }
}
