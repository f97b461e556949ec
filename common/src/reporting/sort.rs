//! Ordering report rows and paging through them: by period, name or a metric's value,
//! with a cursor that names the last row given.

use super::query::Aggregate;
use super::{Metric, metric_value};
use rust_decimal::Decimal;

/// How rows are ordered: by period, name or a metric's value (numerically, so 9 sorts
/// below 10), ties by period and object id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy<'a> {
    Date,
    Name,
    Metric(&'a Metric),
}

/// A row's place in a sorted answer: the value it is sorted by. `None` (no value) sorts
/// below every number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortValue {
    Date(Option<chrono::NaiveDate>),
    Name(Option<String>),
    Number(Option<Decimal>),
}

/// Where a page of sorted rows ended: the last row's sort value and identity. The next page
/// starts at the first row after it, so rows written meanwhile neither repeat nor push
/// others off the page.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowCursor {
    pub value: SortValue,
    pub period: Option<chrono::NaiveDate>,
    pub object_id: String,
    pub breakdown: String,
}

fn sort_value(a: &Aggregate, by: SortBy<'_>, dp: u32) -> SortValue {
    match by {
        SortBy::Date => SortValue::Date(a.period),
        SortBy::Name => SortValue::Name(a.name.clone()),
        SortBy::Metric(m) => SortValue::Number(metric_value(a, m, dp)),
    }
}

/// The order of rows: by value (descending if asked), ties by period, object and breakdown
/// value, ascending, so that every row has one place.
fn order(
    (va, a): (&SortValue, (Option<chrono::NaiveDate>, &str, &str)),
    (vb, b): (&SortValue, (Option<chrono::NaiveDate>, &str, &str)),
    descending: bool,
) -> std::cmp::Ordering {
    let primary = if descending { vb.cmp(va) } else { va.cmp(vb) };
    primary.then_with(|| a.cmp(&b))
}

/// Sorts aggregates before they become JSON, computing each row's key once.
pub fn sort(rows: &mut [Aggregate], by: SortBy<'_>, descending: bool, dp: u32) {
    let mut keyed: Vec<(SortValue, usize)> = rows
        .iter()
        .enumerate()
        .map(|(i, a)| (sort_value(a, by, dp), i))
        .collect();
    keyed.sort_by(|(ka, ia), (kb, ib)| order((ka, rows[*ia].key()), (kb, rows[*ib].key()), descending));
    let order: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
    permute(rows, &order);
}

/// Where `a` stands in an answer sorted by `by`, for the next page to start after it.
pub fn cursor_of(a: &Aggregate, by: SortBy<'_>, dp: u32) -> RowCursor {
    RowCursor {
        value: sort_value(a, by, dp),
        period: a.period,
        object_id: a.object_id.clone(),
        breakdown: a.breakdown.clone(),
    }
}

/// How many of `rows` (sorted by [`sort`] with the same order) come up to and including
/// `cursor`'s place: the next page starts there.
pub fn rows_through(rows: &[Aggregate], cursor: &RowCursor, by: SortBy<'_>, descending: bool, dp: u32) -> usize {
    let at = (cursor.period, cursor.object_id.as_str(), cursor.breakdown.as_str());
    rows.partition_point(|a| order((&sort_value(a, by, dp), a.key()), (&cursor.value, at), descending).is_le())
}

/// Puts `rows[order[k]]` at position `k`.
fn permute<T: Default>(rows: &mut [T], order: &[usize]) {
    let mut taken: Vec<T> = rows.iter_mut().map(std::mem::take).collect();
    for (slot, &from) in rows.iter_mut().zip(order) {
        *slot = std::mem::take(&mut taken[from]);
    }
}
