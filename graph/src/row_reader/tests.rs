//! Reading pages: rows, cursors, errors that quote nothing, the reused row.

use super::*;

/// The page's rows as `InsightRow`s, as `GraphClient::insights_page` reads them.
fn read(what: &str, text: &str) -> Result<InsightsPage, GraphError> {
    InsightsPage::from_text(what, text, |row| Ok(std::mem::take(row)))
}

#[test]
fn a_page_reads_its_rows_and_cursor() {
    let page = read(
        "insights response",
        r#"{"data": [{"ad_id": "1", "date_start": "2026-11-01", "date_stop": "2026-11-01"}],
            "summary": {"x": [1, 2]},
            "paging": {"cursors": {"before": "a", "after": "b"}, "next": "https://graph.facebook.com/x?after=b"}}"#,
    )
    .expect("page");
    assert_eq!(page.rows.len(), 1);
    assert_eq!(page.rows[0].ad_id.as_deref(), Some("1"));
    assert_eq!(page.after.as_deref(), Some("b"));
    let last = read("r", r#"{"data": [], "paging": {"cursors": {"after": "b"}}}"#).expect("last");
    assert_eq!((last.rows.len(), last.after), (0, None), "no next: the last page");
}

#[test]
fn a_page_without_rows_is_an_error_that_quotes_nothing() {
    for text in [
        r#"{"paging": {}}"#,
        r#"{"data": "SECRET"}"#,
        r#"{"data": ["SECRET"]}"#,
        r#"{"data": [], "paging": "SECRET"}"#,
        r#"{"data": [SECRET]}"#,
        r#"["SECRET"]"#,
        r#"{"data": []} SECRET"#,
    ] {
        let e = read("insights response", text).expect_err(text).to_string();
        assert!(e.contains("insights response: "), "{e}");
        assert!(!e.contains("SECRET"), "{text}: {e}");
    }
}

#[test]
fn rows_read_into_one_row_keep_nothing_of_the_one_before() {
    let text = r#"{"data": [
        {"ad_id": "1", "ad_name": "First", "age": "25-34", "date_start": "2026-11-01", "date_stop": "2026-11-01",
         "impressions": "7", "spend": "1.5", "actions": [{"action_type": "purchase", "value": "2"}],
         "action_values": [{"action_type": "purchase", "value": "9.99"}]},
        {"ad_id": "2", "date_start": "2026-11-02", "date_stop": "2026-11-02"}
    ]}"#;
    let mut seen = Vec::new();
    let read = InsightsPage::from_text("insights response", text, |row| {
        seen.push(row.clone());
        Ok(row.ad_id.clone())
    })
    .expect("page");
    assert_eq!(read.rows, [Some("1".into()), Some("2".into())]);
    let second = InsightRow {
        ad_id: Some("2".into()),
        date_start: "2026-11-02".parse().expect("day"),
        date_stop: "2026-11-02".parse().expect("day"),
        ..InsightRow::default()
    };
    assert_eq!(seen[1], second, "the second row as if read alone");
    assert_eq!(seen[0].actions.len(), 1);
    assert_eq!(seen[0].breakdowns.len(), 1);
}

#[test]
fn a_conversion_error_is_reported_as_it_is() {
    let e = InsightsPage::<()>::from_text(
        "insights response",
        r#"{"data": [{"date_start": "2026-11-01", "date_stop": "2026-11-01"}]}"#,
        |_| Err(GraphError::Decode("no id".into())),
    )
    .expect_err("refused");
    assert!(matches!(&e, GraphError::Decode(m) if m == "no id"), "{e:?}");
}
