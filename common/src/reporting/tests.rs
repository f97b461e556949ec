//! Tests of `reporting`.

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
