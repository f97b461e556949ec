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

mod plain;

use super::accounts::Paging;
use super::client::MAX_PAGE_SIZE;
use super::error::GraphError;
use super::insights::InsightsPage;
use super::json_reader::{JsonReader, Kind, Malformed};
use super::row::{ActionStat, InsightRow, KNOWN, Windows};
use super::window::Window;
use plain::{plain_date, plain_decimal};

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
            // Lists adsync does not store.
            "cost_per_action_type" | "purchase_roas" => {
                r.skip()?;
            }
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
                    "inline_link_clicks" => row.inline_link_clicks = v.count("inline_link_clicks")?,
                    "spend" => row.spend = v.decimal("spend")?.unwrap_or_default(),
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
            k => match Window::parse(k).filter(|w| *w != Window::Default) {
                Some(w) => {
                    if let Some(d) = scalar(r)?.decimal(field)? {
                        windows.set(w, d);
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
mod tests;
