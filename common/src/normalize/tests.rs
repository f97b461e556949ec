//! Tests of `normalize`.

use super::*;
use serde_json::json;

#[test]
fn rollup_columns_follow_the_windows() {
    assert_eq!(purchase_columns()[0], "purchases_default");
    assert_eq!(purchase_columns()[8], "purchase_value_1d_click_micros");
    assert_eq!(purchase_column(Window::View7d, false), "purchases_7d_view");
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
    let d = normalize(Level::Ad, &r).expect("normalize");
    assert_eq!(
        (d.object_id.as_str(), d.impressions, d.spend_micros, d.reach),
        ("a1", 1000, 12_340_000, Some(800))
    );
    assert_eq!(d.names.ad.as_deref(), Some("A"));
    assert_eq!(d.names.campaign.as_deref(), Some("Spring"));
    assert_eq!(d.actions.len(), 1, "one entry per type");
    let windows: Vec<_> = d.actions[0].windows().map(|(w, c, v)| (w.as_str(), c, v)).collect();
    assert_eq!(
        windows,
        vec![
            ("default", 3, Some(99_900_000)),
            ("7d_click", 2, Some(66_600_000)),
            ("1d_view", 1, Some(33_300_000))
        ]
    );
    let acct = normalize(Level::Account, &r).expect("account");
    assert_eq!(acct.object_id, "act_123");
}

#[test]
fn a_window_in_either_list_is_stored_and_a_repeated_type_merges() {
    let r = row(json!({
        "ad_id": "a1", "date_start": "2026-11-01", "date_stop": "2026-11-01",
        "actions": [
            {"action_type": "purchase", "value": "3", "7d_click": "2"},
            {"action_type": "link_click", "value": "9", "1d_click": "9"},
            {"action_type": "purchase", "value": "4", "28d_click": "1"}
        ],
        "action_values": [{"action_type": "purchase", "value": "10", "1d_view": "5"}]
    }));
    let d = normalize(Level::Ad, &r).expect("normalize");
    let types: Vec<_> = d
        .actions
        .iter()
        .map(|a| {
            (
                &*a.action_type,
                a.windows().map(|(w, c, v)| (w.as_str(), c, v)).collect::<Vec<_>>(),
            )
        })
        .collect();
    assert_eq!(
        types,
        vec![
            (
                "purchase",
                vec![
                    ("default", 4, Some(10_000_000)),
                    ("7d_click", 2, Some(0)),
                    ("28d_click", 1, Some(0)),
                    ("1d_view", 0, Some(5_000_000)),
                ]
            ),
            ("link_click", vec![("default", 9, None), ("1d_click", 9, None)]),
        ],
        "the later purchase entry's windows win; a value without a count counts 0"
    );
    assert_eq!(d.purchase_rollup()[..7], [4, 0, 2, 1, 0, 0, 0]);
    assert_eq!(d.purchase_rollup()[7..], [10_000_000, 0, 0, 0, 5_000_000, 0, 0]);
}

#[test]
fn the_rollup_takes_the_first_purchase_type_present_not_the_sum() {
    let r = row(json!({
        "ad_id": "a1", "date_start": "2026-11-01", "date_stop": "2026-11-01",
        "actions": [
            {"action_type": "offsite_conversion.fb_pixel_purchase", "value": "2", "7d_click": "2"},
            {"action_type": "omni_purchase", "value": "3", "7d_click": "2", "1d_view": "1"}
        ],
        "action_values": [{"action_type": "omni_purchase", "value": "30", "7d_click": "20", "1d_view": "10"}]
    }));
    let d = normalize(Level::Ad, &r).expect("normalize");
    assert_eq!(d.purchase_rollup()[..7], [3, 0, 2, 0, 1, 0, 0], "omni_purchase alone");
    assert_eq!(
        d.purchase_rollup()[7..],
        [30_000_000, 0, 20_000_000, 0, 10_000_000, 0, 0]
    );
    let pixel_only = row(json!({
        "ad_id": "a1", "date_start": "2026-11-01", "date_stop": "2026-11-01",
        "actions": [{"action_type": "offsite_conversion.fb_pixel_purchase", "value": "5"}]
    }));
    let d = normalize(Level::Ad, &pixel_only).expect("normalize");
    assert_eq!(d.purchase_rollup()[0], 5, "a pixel-only row counts its purchases");
}

#[test]
fn a_value_without_a_count_is_kept() {
    let r = row(json!({
        "ad_id": "a1", "date_start": "2026-11-01", "date_stop": "2026-11-01",
        "actions": [{"action_type": "link_click", "value": "4"}],
        "action_values": [{"action_type": "omni_purchase", "value": "12.50", "7d_click": "12.50"}]
    }));
    let d = normalize(Level::Ad, &r).expect("normalize");
    assert_eq!(d.purchase_rollup()[0], 0);
    assert_eq!(d.purchase_rollup()[7], 12_500_000, "the value counts");
    assert_eq!(d.purchase_rollup()[9], 12_500_000);
}

#[test]
fn omitted_fields_are_zero_and_breakdowns_are_keyed() {
    let r = row(
        json!({"campaign_id": "c1", "date_start": "2026-11-01", "date_stop": "2026-11-01", "age": "25-34", "gender": "female"}),
    );
    let d = normalize(Level::Campaign, &r).expect("normalize");
    assert_eq!((d.impressions, d.spend_micros, d.actions.len()), (0, 0, 0));
    assert_eq!(d.breakdown, "age=25-34&gender=female");
    assert!(normalize(Level::Ad, &r).is_err(), "no ad id at ad level");
}
