//! Tests of `pages::dashboard`.

use super::*;

#[test]
fn partial_edge_periods_leave_the_charts_unless_nothing_whole_is_left() {
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
    let series =
        |keys: &[&str]| -> BTreeMap<String, Sums> { keys.iter().map(|k| (k.to_string(), Sums::default())).collect() };
    // 2026-11-04 (a Wednesday) to 2026-11-29 (a Sunday): the week of 2 Nov is cut.
    let range = DateRange::new(d("2026-11-04"), d("2026-11-29")).expect("range");
    let mut weeks = series(&["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]);
    assert!(drop_partial_periods(&mut weeks, "week", range));
    assert_eq!(
        weeks.keys().map(String::as_str).collect::<Vec<_>>(),
        ["2026-11-09", "2026-11-16", "2026-11-23"],
        "no week starts before since, none ends after until"
    );
    let mut months = series(&["2026-10-01", "2026-11-01"]);
    let short = DateRange::new(d("2026-10-15"), d("2026-11-10")).expect("range");
    assert!(
        !drop_partial_periods(&mut months, "month", short),
        "nothing whole: kept"
    );
    assert_eq!(months.len(), 2);
    let mut days = series(&["2026-11-04", "2026-11-05"]);
    assert!(!drop_partial_periods(&mut days, "day", range));
}

#[test]
fn the_chart_period_is_the_one_asked_for_or_follows_the_range() {
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
    let range =
        |days: i64| DateRange::new(d("2026-11-20") - chrono::Duration::days(days - 1), d("2026-11-20")).expect("range");
    let view = |g: Option<&str>| View {
        granularity: g.map(Into::into),
        ..View::default()
    };
    assert_eq!(view(None).chart_granularity(range(30)), "day");
    assert_eq!(view(None).chart_granularity(range(200)), "week");
    assert_eq!(view(None).chart_granularity(range(800)), "month");
    assert_eq!(view(Some("week")).chart_granularity(range(30)), "week");
    assert_eq!(
        view(Some("fortnight")).chart_granularity(range(30)),
        "day",
        "unknown: automatic"
    );
    let unknown = View {
        window: Some("3d_click".into()),
        ..View::default()
    };
    assert_eq!(unknown.window(), None, "a window Facebook has not: the default");
    let w = View {
        window: Some("7d_click".into()),
        ..View::default()
    };
    assert_eq!(w.window(), Some(Window::Click7d));
}

#[test]
fn ranges_resolve_and_bad_ones_fall_back() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
    let v = |range: Option<&str>, since: Option<&str>, until: Option<&str>| View {
        range: range.map(Into::into),
        since: since.map(Into::into),
        until: until.map(Into::into),
        ..View::default()
    };
    let (r, e) = resolve_range(&View::default(), today);
    assert_eq!((r.since().to_string(), e), ("2026-10-22".to_string(), None));
    assert_eq!(
        resolve_range(&v(Some("month"), None, None), today)
            .0
            .since()
            .to_string(),
        "2026-11-01"
    );
    let (r, e) = resolve_range(&v(Some("custom"), Some("2026-11-10"), Some("2026-11-01")), today);
    assert_eq!(r.days(), 30);
    assert!(e.is_some_and(|e| e.contains("after")));
    let (_, e) = resolve_range(&v(None, Some("garbage"), None), today);
    assert!(e.is_some_and(|e| e.starts_with("since")));
}
