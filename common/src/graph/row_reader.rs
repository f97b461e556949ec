//! Reading a page of insights rows from its JSON text into [`InsightRow`]s, walking the text
//! once with [`JsonReader`]: no `serde_json::Value` per row, and no serde visitor per key.
//!
//! Facebook's encoding rules are those of [`super::row`]: numbers arrive as strings (plain
//! JSON numbers are accepted too), omitted or `null` fields are zero or absent, unknown string
//! fields are breakdown values. Errors name the field, never its value.

use std::borrow::Cow;
use std::cell::RefCell;
use std::str::FromStr;
use std::sync::Arc;

use chrono::NaiveDate;
use compact_str::CompactString;
use rust_decimal::Decimal;

use super::accounts::Paging;
use super::error::GraphError;
use super::insights::{InsightsPage, MAX_PAGE_SIZE};
use super::json_reader::{JsonReader, Kind, Malformed};
use super::row::{ActionStat, InsightRow, KNOWN, Windows};

/// Why a page could not be read. The messages name a field or a byte offset, never a value
/// (a value could hold anything, a token included).
#[derive(Debug, thiserror::Error)]
enum ReadError {
    #[error("insights row: {0} is not in the expected format")]
    Field(&'static str),
    #[error("insights row is not an object")]
    NotARow,
    #[error("{0}")]
    Malformed(#[from] Malformed),
    #[error("data is not a list of rows")]
    NoData,
    #[error("paging is not in the expected format")]
    Paging,
    /// The caller's conversion of a row refused it; its error is reported as it is.
    #[error("{0}")]
    Convert(GraphError),
}

type Read<T> = Result<T, ReadError>;

impl<T> InsightsPage<T> {
    /// Reads an insights response (`{"data": [...], "paging": {...}}`), each row turned into
    /// a `T` by `convert` as it is read; `what` names the response in errors.
    pub(crate) fn from_text(
        what: &str,
        text: &str,
        convert: impl FnMut(&mut InsightRow) -> Result<T, GraphError>,
    ) -> Result<Self, GraphError> {
        read_page(text, convert).map_err(|e| match e {
            ReadError::Convert(e) => e,
            e => GraphError::Decode(format!("{what}: {e}")),
        })
    }
}

impl InsightRow {
    /// Reads one row given as JSON text.
    pub(crate) fn from_text(text: &str) -> Result<Self, GraphError> {
        let mut r = JsonReader::new(text);
        let mut row = InsightRow::default();
        let read = read_row(&mut r, &mut row).and_then(|()| Ok(r.finish()?));
        read.map(|()| row).map_err(|e| GraphError::Decode(e.to_string()))
    }
}

fn read_page<T>(
    text: &str,
    mut convert: impl FnMut(&mut InsightRow) -> Result<T, GraphError>,
) -> Read<InsightsPage<T>> {
    let mut r = JsonReader::new(text);
    let mut page = None;
    let mut after = None;
    r.begin_object()?;
    while let Some(key) = r.next_key()? {
        match key.as_ref() {
            "data" => {
                if r.peek()? != Kind::Array {
                    return Err(ReadError::NoData);
                }
                let mut rows = Vec::with_capacity(MAX_PAGE_SIZE as usize);
                let mut row = InsightRow::default();
                r.begin_array()?;
                while r.next_element()? {
                    read_row(&mut r, &mut row)?;
                    rows.push(convert(&mut row).map_err(ReadError::Convert)?);
                }
                page = Some(rows);
            }
            "paging" => {
                let paging: Option<Paging> = serde_json::from_str(r.skip()?).map_err(|_| ReadError::Paging)?;
                after = paging.and_then(|p| p.after());
            }
            _ => {
                r.skip()?;
            }
        }
    }
    r.finish()?;
    Ok(InsightsPage {
        rows: page.ok_or(ReadError::NoData)?,
        after,
    })
}

/// A scalar field's value: text, a number (its text), or nothing (`null`). Anything else
/// (an object, a list, a boolean) is `Other`, read past and left for the field to refuse.
enum Scalar<'a> {
    Text(Cow<'a, str>),
    Number(&'a str),
    Null,
    Other,
}

fn scalar<'a>(r: &mut JsonReader<'a>) -> Read<Scalar<'a>> {
    Ok(match r.peek()? {
        Kind::String => Scalar::Text(r.string()?),
        Kind::Number => Scalar::Number(r.number()?),
        Kind::Null => {
            r.skip()?;
            Scalar::Null
        }
        Kind::Object | Kind::Array | Kind::Bool => {
            r.skip()?;
            Scalar::Other
        }
    })
}

impl Scalar<'_> {
    fn text(self) -> Option<CompactString> {
        match self {
            Scalar::Text(s) => Some(CompactString::from(s.as_ref())),
            Scalar::Number(n) => Some(CompactString::from(n)),
            // Like a missing field: ids and names are optional.
            Scalar::Null | Scalar::Other => None,
        }
    }

    /// A count: missing or `null` is 0; `"12.5"` is an error.
    fn count(self, field: &'static str) -> Read<i64> {
        let parsed = match self {
            Scalar::Text(s) => s.parse().or_else(|_| s.trim().parse()).ok(),
            Scalar::Number(n) => n.parse().ok(),
            Scalar::Null => Some(0),
            Scalar::Other => None,
        };
        parsed.ok_or(ReadError::Field(field))
    }

    fn decimal(self, field: &'static str) -> Read<Option<Decimal>> {
        let parse = |s: &str| {
            plain_decimal(s)
                .map(Ok)
                .unwrap_or_else(|| {
                    let s = s.trim();
                    Decimal::from_str(s).or_else(|_| Decimal::from_scientific(s))
                })
                .map_err(|_| ReadError::Field(field))
        };
        match self {
            Scalar::Text(s) => parse(&s).map(Some),
            Scalar::Number(n) => parse(n).map(Some),
            Scalar::Null => Ok(None),
            Scalar::Other => Err(ReadError::Field(field)),
        }
    }

    fn date(self, field: &'static str) -> Read<NaiveDate> {
        match self {
            Scalar::Text(s) => plain_date(&s)
                .map(Ok)
                .unwrap_or_else(|| s.parse())
                .map_err(|_| ReadError::Field(field)),
            _ => Err(ReadError::Field(field)),
        }
    }
}

/// The form every figure of a page takes (`"12.34"`, `"-5"`), read without rust_decimal's
/// general parser: 18 digits at most, digits on both sides of a point. `None` for any other
/// form, which the general parser then reads (or refuses).
fn plain_decimal(s: &str) -> Option<Decimal> {
    let digits = s.strip_prefix('-').unwrap_or(s).as_bytes();
    let (mut mantissa, mut count, mut point) = (0i64, 0usize, None);
    for (i, &b) in digits.iter().enumerate() {
        match b {
            b'0'..=b'9' if count < 18 => {
                mantissa = mantissa * 10 + i64::from(b - b'0');
                count += 1;
            }
            b'.' if point.is_none() && i > 0 => point = Some(i),
            _ => return None,
        }
    }
    let scale = match point {
        Some(at) if at + 1 == digits.len() => return None,
        Some(at) => u32::try_from(digits.len() - at - 1).ok()?,
        None => 0,
    };
    if count == 0 {
        return None;
    }
    Some(Decimal::new(
        if digits.len() < s.len() { -mantissa } else { mantissa },
        scale,
    ))
}

/// `YYYY-MM-DD`, the form Facebook writes days in, read without chrono's format parser;
/// `None` for any other form, which chrono then reads (or refuses).
fn plain_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range]
            .iter()
            .try_fold(0u32, |n, &d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)
}

/// Reads the next row into `row`, which is emptied first.
fn read_row(r: &mut JsonReader, row: &mut InsightRow) -> Read<()> {
    if r.peek()? != Kind::Object {
        r.skip()?;
        return Err(ReadError::NotARow);
    }
    row.reset();
    let (mut start, mut stop) = (None, None);
    r.begin_object()?;
    while let Some(key) = r.next_key()? {
        match key.as_ref() {
            "actions" => action_list(r, "actions", &mut row.actions)?,
            "action_values" => action_list(r, "action_values", &mut row.action_values)?,
            "cost_per_action_type" => action_list(r, "cost_per_action_type", &mut row.cost_per_action_type)?,
            k => {
                let v = scalar(r)?;
                match k {
                    "account_id" => row.account_id = v.text(),
                    "campaign_id" => row.campaign_id = v.text(),
                    "campaign_name" => row.campaign_name = v.text(),
                    "adset_id" => row.adset_id = v.text(),
                    "adset_name" => row.adset_name = v.text(),
                    "ad_id" => row.ad_id = v.text(),
                    "ad_name" => row.ad_name = v.text(),
                    "date_start" => start = Some(v.date("date_start")?),
                    "date_stop" => stop = Some(v.date("date_stop")?),
                    "impressions" => row.impressions = v.count("impressions")?,
                    "reach" => row.reach = v.count("reach")?,
                    "clicks" => row.clicks = v.count("clicks")?,
                    "unique_clicks" => row.unique_clicks = v.count("unique_clicks")?,
                    "inline_link_clicks" => row.inline_link_clicks = v.count("inline_link_clicks")?,
                    "spend" => row.spend = v.decimal("spend")?.unwrap_or_default(),
                    "frequency" => row.frequency = v.decimal("frequency")?,
                    "cpc" => row.cpc = v.decimal("cpc")?,
                    "cpm" => row.cpm = v.decimal("cpm")?,
                    "ctr" => row.ctr = v.decimal("ctr")?,
                    // Other known fields are not stored.
                    _ if KNOWN.contains(&k) => {}
                    // Any other text field is a breakdown value.
                    _ => {
                        if let Scalar::Text(s) = v {
                            row.breakdowns.insert(key.into_owned(), s.into_owned());
                        }
                    }
                }
            }
        }
    }
    row.date_start = start.ok_or(ReadError::Field("date_start"))?;
    row.date_stop = stop.ok_or(ReadError::Field("date_stop"))?;
    Ok(())
}

/// One `actions` / `action_values` / `cost_per_action_type` list (`null` is empty), into
/// `out` (emptied first).
fn action_list(r: &mut JsonReader, field: &'static str, out: &mut Vec<ActionStat>) -> Read<()> {
    out.clear();
    match r.peek()? {
        Kind::Null => {
            r.skip()?;
            return Ok(());
        }
        Kind::Array => {}
        _ => {
            r.skip()?;
            return Err(ReadError::Field(field));
        }
    }
    r.begin_array()?;
    while r.next_element()? {
        out.push(action(r, field)?);
    }
    Ok(())
}

/// One entry of an action list: `action_type`, the default `value`, and a figure per
/// attribution window (the other keys; text that is not a number, such as an action
/// breakdown label, is skipped).
fn action(r: &mut JsonReader, field: &'static str) -> Read<ActionStat> {
    if r.peek()? != Kind::Object {
        r.skip()?;
        return Err(ReadError::Field(field));
    }
    let mut action_type = None;
    let mut value = Decimal::ZERO;
    let mut windows = Windows::default();
    r.begin_object()?;
    while let Some(key) = r.next_key()? {
        match key.as_ref() {
            "action_type" => match scalar(r)? {
                Scalar::Text(s) => action_type = Some(shared_action_type(&s)),
                _ => return Err(ReadError::Field(field)),
            },
            // `null` reads as omitted: 0 for the default value, no figure for a window.
            "value" => value = scalar(r)?.decimal(field)?.unwrap_or_default(),
            k => match Windows::index(k) {
                Some(i) => {
                    if let Some(d) = scalar(r)?.decimal(field)? {
                        windows.put(i, d);
                    }
                }
                // Not a figure adsync keeps (an action breakdown's label, a key Facebook
                // added).
                None => {
                    r.skip()?;
                }
            },
        }
    }
    Ok(ActionStat {
        action_type: action_type.ok_or(ReadError::Field(field))?,
        value,
        windows,
    })
}

/// The action type, shared: a row names a few types and every row names the same few, so
/// each is allocated once per thread rather than once per row and list. Up to 64 are kept
/// (Facebook has a few dozen); any beyond are allocated as they come.
fn shared_action_type(s: &str) -> Arc<str> {
    thread_local! {
        static SEEN: RefCell<Vec<Arc<str>>> = const { RefCell::new(Vec::new()) };
    }
    SEEN.with_borrow_mut(|seen| {
        if let Some(t) = seen.iter().find(|t| ***t == *s) {
            return t.clone();
        }
        let t: Arc<str> = s.into();
        if seen.len() < 64 {
            seen.push(t.clone());
        }
        t
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page's rows as `InsightRow`s, as `GraphClient::insights_page` reads them.
    fn read(what: &str, text: &str) -> Result<InsightsPage, GraphError> {
        InsightsPage::from_text(what, text, |row| Ok(std::mem::take(row)))
    }

    #[test]
    fn plain_figures_and_days_read_as_the_general_parsers_read_them() {
        for s in [
            "0",
            "12",
            "-5",
            "12.34",
            "0.000001",
            "999999999999999999",
            "12.50",
            "-0.5",
        ] {
            assert_eq!(plain_decimal(s), Decimal::from_str(s).ok(), "{s}");
            assert_eq!(
                plain_decimal(s).map(|d| d.scale()),
                Decimal::from_str(s).ok().map(|d| d.scale()),
                "{s}"
            );
        }
        for s in [
            "",
            "-",
            ".5",
            "5.",
            "1e3",
            "+1",
            "1,5",
            " 1",
            "1.2.3",
            "9999999999999999999",
            "١٢",
        ] {
            assert_eq!(plain_decimal(s), None, "{s}: left to the general parser");
        }
        for s in ["2026-11-01", "2024-02-29", "0001-01-01"] {
            assert_eq!(plain_date(s), s.parse().ok(), "{s}");
        }
        for s in [
            "2026-02-30",
            "2026-13-01",
            "2026-1-01",
            "2026/11/01",
            "20261101xx",
            "2026-11-0a",
        ] {
            assert_eq!(plain_date(s), None, "{s}");
        }
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
}
