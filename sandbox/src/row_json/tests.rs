//! Tests of `row_json`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::*;
use crate::config::DatasetName;
use crate::figures::PURCHASES;
use crate::query::parse;
use crate::request::{Method, Req};

fn query(ds: &Dataset, params: &[(&str, &str)]) -> InsightsQuery {
    let req = Req {
        method: Method::Get,
        version: None,
        segments: vec![],
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        token: None,
        base_url: String::new(),
        in_batch: false,
    };
    parse(ds, &req, (Level::Account, 0)).unwrap_or_else(|e| panic!("{}", e.body("t")))
}

/// The JSON `w` writes for the query's first object with figures `m` on 2026-11-01.
fn written(w: &RowWriter, q: &InsightsQuery, m: &Figures, labels: &[(&'static str, &'static str)]) -> String {
    let mut out = Vec::new();
    let at = RowAt {
        idx: q.objects[0],
        metrics: m,
        labels,
        dates: ("2026-11-01", "2026-11-01"),
    };
    w.write(&at, &mut out);
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn a_row_carries_what_was_asked_in_the_apis_encoding() {
    let mut ds = Dataset::generate(DatasetName::Small, 1);
    ds.accounts[0].reporting = crate::dataset::Reporting::PurchaseOnly;
    let q = query(
        &ds,
        &[
            ("level", "ad"),
            ("time_increment", "1"),
            ("date_preset", "last_7d"),
            (
                "fields",
                "ad_id,spend,impressions,clicks,actions,action_values,campaign_name",
            ),
            ("action_attribution_windows", "[\"7d_click\",\"1d_view\"]"),
        ],
    );
    let writer = RowWriter::new(&ds, &q);
    let mut m = Figures::default();
    m.0[IMPRESSIONS] = 1200;
    m.0[SPEND] = 4567;
    m.0[PURCHASES + 1] = 3; // 7d_click
    m.0[PURCHASES + 2] = 9; // 28d_click: not asked for
    m.0[PURCHASE_VALUE + 1] = 12_500;
    let text = written(&writer, &q, &m, &[("age", "25-34")]);
    let row: Value = serde_json::from_str(&text).expect("json");
    let ad = &ds.ads[q.objects[0]];
    assert_eq!(row["ad_id"], ad.id.as_str());
    assert_eq!(row["campaign_name"], ds.campaigns[ad.campaign].name.as_str());
    assert_eq!(row["impressions"], "1200");
    assert_eq!(row["spend"], "45.67");
    // Zero counts are omitted, as Facebook omits them; so are fields not asked for.
    assert!(row.get("clicks").is_none() && row.get("reach").is_none());
    assert_eq!(
        row["actions"],
        serde_json::json!([{"action_type": "purchase", "value": "3", "7d_click": "3"}])
    );
    assert_eq!(
        row["action_values"],
        serde_json::json!([{"action_type": "purchase", "value": "125.00", "7d_click": "125.00"}])
    );
    assert_eq!(row["age"], "25-34");
    assert!(
        text.ends_with(r#""date_start":"2026-11-01","date_stop":"2026-11-01"}"#),
        "{text}"
    );
}

#[test]
fn each_reporting_shape_lists_its_own_buckets() {
    use crate::dataset::Reporting;
    use crate::figures::{APP_PURCHASE_VALUE, APP_PURCHASES, LEADS, QUALIFIED_LEADS};
    let mut ds = Dataset::generate(DatasetName::Shapes, 1);
    let mut m = Figures::default();
    m.0[IMPRESSIONS] = 1000;
    m.0[SPEND] = 5000;
    m.0[PURCHASES + 1] = 4; // 7d_click
    m.0[APP_PURCHASES + 1] = 1;
    m.0[PURCHASE_VALUE + 1] = 40_000;
    m.0[APP_PURCHASE_VALUE + 1] = 10_000;
    m.0[LEADS + 1] = 9;
    m.0[QUALIFIED_LEADS + 1] = 2;
    let fields = [
        ("level", "account"),
        ("fields", "actions,action_values"),
        ("action_attribution_windows", "[\"7d_click\"]"),
    ];
    let mut listed = |reporting: Reporting| {
        ds.accounts[0].reporting = reporting;
        ds.accounts[0].custom_conversion = Some("offsite_conversion.custom.77".into());
        let q = query(&ds, &fields);
        let row: Value = serde_json::from_str(&written(&RowWriter::new(&ds, &q), &q, &m, &[])).expect("json");
        let pick = |list: &str| -> Vec<(String, String)> {
            row[list]
                .as_array()
                .map(|l| {
                    l.iter()
                        .map(|a| {
                            (
                                a["action_type"].as_str().unwrap_or("").to_string(),
                                a["7d_click"].as_str().unwrap_or("").to_string(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        (pick("actions"), pick("action_values"))
    };
    let (actions, values) = listed(Reporting::AllBuckets);
    let count = |t: &str| actions.iter().find(|a| a.0 == t).map(|a| a.1.clone());
    assert_eq!(count("omni_purchase").as_deref(), Some("4"));
    assert_eq!(count("purchase").as_deref(), Some("4"));
    assert_eq!(
        count("offsite_conversion.fb_pixel_purchase").as_deref(),
        Some("3"),
        "the web part"
    );
    assert_eq!(
        count("app_custom_event.fb_mobile_purchase").as_deref(),
        Some("1"),
        "the app part"
    );
    assert!(values.contains(&("offsite_conversion.fb_pixel_purchase".into(), "300.00".into())));
    let (actions, _) = listed(Reporting::PixelOnly);
    assert!(
        actions.iter().all(|a| !a.0.contains("omni") && a.0 != "purchase"),
        "{actions:?}"
    );
    let (actions, values) = listed(Reporting::LeadGen);
    assert!(actions.contains(&("lead".into(), "9".into())));
    assert!(actions.contains(&("leadgen_grouped".into(), "9".into())));
    assert!(actions.contains(&("offsite_conversion.custom.77".into(), "2".into())));
    assert!(actions.contains(&("offline_conversion.purchase".into(), "4".into())));
    assert!(
        values.contains(&("offsite_conversion.custom.77".into(), "50.00".into())),
        "{values:?}"
    );
}

#[test]
fn zero_impressions_spend_and_costs_are_omitted() {
    let ds = Dataset::generate(DatasetName::Small, 1);
    let fields = "impressions,spend,clicks,cpc,cpm,ctr,actions,cost_per_action_type";
    let q = query(&ds, &[("level", "account"), ("fields", fields)]);
    let writer = RowWriter::new(&ds, &q);
    let row = |imps: u64, spend: u64, clicks: u64| {
        let mut m = Figures::default();
        m.0[IMPRESSIONS] = imps;
        m.0[SPEND] = spend;
        m.0[CLICKS] = clicks;
        serde_json::from_str::<Value>(&written(&writer, &q, &m, &[])).expect("json")
    };
    // A breakdown segment can get clicks and impressions but no spend...
    let no_spend = row(40, 0, 2);
    assert_eq!(no_spend["impressions"], "40");
    assert_eq!(no_spend["clicks"], "2");
    for k in ["spend", "cpc", "cpm", "actions", "cost_per_action_type"] {
        assert!(no_spend.get(k).is_none(), "{k} in {no_spend}");
    }
    // ...or spend but no impressions.
    let no_imps = row(0, 5, 0);
    assert_eq!(no_imps["spend"], "0.05");
    for k in ["impressions", "clicks", "cpm", "ctr"] {
        assert!(no_imps.get(k).is_none(), "{k} in {no_imps}");
    }
}
