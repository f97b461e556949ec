//! A typed insights row. Facebook sends every number as a JSON string and omits fields
//! without data: counts become `i64` (missing → 0), money and rates exact `Decimal`s
//! (never floats), `actions` / `action_values` one entry per action type with a value per
//! attribution window. Unknown string keys are breakdown values (`"age": "25-34"`).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use compact_str::CompactString;
use rust_decimal::Decimal;
use serde_json::Value;

use super::error::GraphError;
use super::window::Window;

/// One `actions` / `action_values` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActionStat {
    /// Shared by every row that names the type.
    pub action_type: Arc<str>,
    /// The default-attribution `value`.
    pub value: Decimal,
    /// The figure per attribution window Facebook reported.
    pub windows: Windows,
}

/// An action's figures per named attribution window ([`Window::NAMED`]); windows without
/// data are absent. Held in place, not in a map: a row carries a dozen of them, and building
/// and freeing a map per action was a large part of reading a page (docs/benchmarks.md).
/// Keys Facebook may add beside the windows are not figures adsync stores.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Windows([Option<Decimal>; Window::NAMED.len()]);

impl Windows {
    /// The figure of a named window; `None` when absent, and for [`Window::Default`] (the
    /// action's `value`).
    pub fn get(&self, window: Window) -> Option<Decimal> {
        window.named_index().and_then(|i| self.0[i])
    }

    /// Sets a named window's figure; false (and nothing set) for [`Window::Default`].
    pub fn set(&mut self, window: Window, figure: Decimal) -> bool {
        window.named_index().map(|i| self.0[i] = Some(figure)).is_some()
    }
}

/// Ids and names are [`CompactString`]s: Facebook's ids (and most names) fit in one without
/// an allocation, and a backfill reads three or four of them on each of its rows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InsightRow {
    pub account_id: Option<CompactString>,
    pub campaign_id: Option<CompactString>,
    pub campaign_name: Option<CompactString>,
    pub adset_id: Option<CompactString>,
    pub adset_name: Option<CompactString>,
    pub ad_id: Option<CompactString>,
    pub ad_name: Option<CompactString>,
    pub date_start: NaiveDate,
    pub date_stop: NaiveDate,
    pub impressions: i64,
    /// Not additive across objects or days: store per level, never sum.
    pub reach: i64,
    pub clicks: i64,
    pub inline_link_clicks: i64,
    /// In the account's currency.
    pub spend: Decimal,
    pub actions: Vec<ActionStat>,
    pub action_values: Vec<ActionStat>,
    /// Breakdown values and any other text field not listed above.
    pub breakdowns: BTreeMap<String, String>,
}

/// Keys handled by name, stored or not (everything else that is a string counts as a
/// breakdown). adsync asks for few of them; the rest are known so that a row carrying one
/// never has it mistaken for a breakdown value.
pub(super) const KNOWN: &[&str] = &[
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

impl InsightRow {
    /// Empties the row for the next one read into it, keeping its lists' memory.
    pub(crate) fn reset(&mut self) {
        let mut lists = [
            std::mem::take(&mut self.actions),
            std::mem::take(&mut self.action_values),
        ];
        lists.iter_mut().for_each(Vec::clear);
        let [actions, action_values] = lists;
        *self = InsightRow {
            actions,
            action_values,
            ..InsightRow::default()
        };
    }

    /// Parses one row given as a JSON value. Pages are read straight from their text (see
    /// `row_reader`); this reads a row alone through the same reader, for the normalization
    /// tests in `adsync-common`, which start from rows as Facebook writes them.
    pub fn parse(row: &Value) -> Result<Self, GraphError> {
        Self::from_text(&row.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_window_has_its_place() {
        let mut windows = Windows::default();
        assert!(windows.set(Window::View7d, Decimal::ONE));
        assert!(!windows.set(Window::Default, Decimal::ONE));
        assert_eq!(
            (
                windows.get(Window::View7d),
                windows.get(Window::Click1d),
                named(&windows)
            ),
            (Some(Decimal::ONE), None, 1)
        );
    }

    fn obj(v: Value) -> Value {
        v
    }

    /// The entry of `action_type` in `list`.
    fn stat<'a>(list: &'a [ActionStat], action_type: &str) -> Option<&'a ActionStat> {
        list.iter().find(|a| *a.action_type == *action_type)
    }

    /// How many named windows carry a figure.
    fn named(windows: &Windows) -> usize {
        Window::NAMED.iter().filter(|w| windows.get(**w).is_some()).count()
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
        assert_eq!(r.spend, Decimal::new(1234, 2));
        let bare = InsightRow::parse(&json!({"date_start": "2026-11-01", "date_stop": "2026-11-01"})).expect("row");
        assert_eq!((bare.impressions, bare.clicks), (0, 0), "missing counts are zero");
        let purchase = stat(&r.actions, "purchase").expect("purchases");
        assert_eq!(purchase.value, Decimal::from(3));
        assert_eq!(purchase.windows.get(Window::Click28d), Some(Decimal::from(4)));
        assert_eq!(purchase.windows.get(Window::View28d), None);
        assert!(stat(&r.actions, "add_to_cart").is_none());
        let value = stat(&r.action_values, "purchase").expect("purchase value");
        assert_eq!(value.windows.get(Window::Click7d), Some(Decimal::new(10005, 2)));
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

    /// A page's rows read from text, as the client reads them.
    fn from_text(text: &str) -> Result<Vec<InsightRow>, GraphError> {
        let text = format!(r#"{{"data": {text}}}"#);
        let page = super::super::InsightsPage::from_text("insights response", &text, |row| Ok(std::mem::take(row)))?;
        Ok(page.rows)
    }

    #[test]
    fn rows_read_from_text_with_escapes_numbers_and_labels() {
        let rows = from_text(
            r#"[{"ad_id": "122001", "ad_name": "Say \"hi\" \u00e9", "a\u0067e": "25-34", "date_start": "2026-11-01",
                 "date_stop": "2026-11-01", "impressions": 1234, "reach": null, "spend": 12.5, "clicks": " 7 ",
                 "actions": [{"action_type": "purchase", "value": "3", "7d_click": "2", "action_device": "iphone",
                              "28d_view": 1},
                             {"action_type": "lead", "value": null, "1d_click": null}],
                 "action_values": null, "objective": "OUTCOME_SALES", "ad_count": 3}]"#,
        )
        .expect("rows");
        let r = &rows[0];
        assert_eq!(r.ad_name.as_deref(), Some("Say \"hi\" é"));
        assert_eq!(r.breakdowns.get("age").map(String::as_str), Some("25-34"));
        assert_eq!(r.breakdowns.len(), 1, "known fields and numbers are not breakdowns");
        assert_eq!((r.impressions, r.reach, r.clicks), (1234, 0, 7));
        assert_eq!(r.spend, Decimal::new(125, 1));
        let purchase = stat(&r.actions, "purchase").expect("purchases");
        assert_eq!(purchase.value, Decimal::from(3));
        assert_eq!(purchase.windows.get(Window::Click7d), Some(Decimal::from(2)));
        assert_eq!(purchase.windows.get(Window::View28d), Some(Decimal::from(1)));
        assert_eq!(named(&r.actions[0].windows), 2, "the label is not a window");
        assert_eq!(
            stat(&r.actions, "lead").map(|a| a.value),
            Some(Decimal::ZERO),
            "null reads as omitted"
        );
        assert_eq!(named(&r.actions[1].windows), 0);
        assert!(r.action_values.is_empty());
    }

    #[test]
    fn errors_name_the_field_and_never_quote_the_value() {
        let row = |extra: &str| format!(r#"[{{"date_start": "2026-11-01", "date_stop": "2026-11-01", {extra}}}]"#);
        for (extra, field) in [
            (r#""impressions": "SECRET""#, "impressions"),
            (r#""impressions": "12.5""#, "impressions"),
            (r#""spend": "SECRET""#, "spend"),
            (r#""spend": {"SECRET": 1}"#, "spend"),
            (r#""actions": "SECRET""#, "actions"),
            (r#""actions": {"SECRET": 1}"#, "actions"),
            (r#""actions": ["SECRET"]"#, "actions"),
            (r#""actions": [{"value": "1"}]"#, "actions"),
            (
                r#""action_values": [{"action_type": "purchase", "7d_click": ["SECRET"]}]"#,
                "action_values",
            ),
            (r#""date_stop": "SECRET""#, "date_stop"),
        ] {
            let e = from_text(&row(extra)).expect_err(extra).to_string();
            assert!(e.contains(field), "{extra}: {e}");
            assert!(!e.contains("SECRET"), "{extra}: {e}");
        }
        let e = from_text(r#"[{"date_stop": "2026-11-01"}]"#)
            .expect_err("no start")
            .to_string();
        assert!(e.contains("date_start"), "{e}");
        let e = from_text(r#"["SECRET"]"#).expect_err("not a row").to_string();
        assert!(!e.contains("SECRET"), "{e}");
    }
}
