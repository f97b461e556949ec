//! The bulk part of writing a page: its daily rows and their actions, inside the page's
//! transaction. This is the hot path of a backfill, so each dialect gets the statement shape
//! that is cheap for it:
//!
//! - PostgreSQL takes plain inserts as one binary `COPY` ([`super::copy_binary`]); upserts
//!   bind one array per column (`UNNEST`), so every page runs the same prepared statement,
//!   whatever its size: no parsing or planning of statements with thousands of parameters,
//!   and nothing new for the statement cache to keep.
//! - SQLite runs in-process; multi-row `VALUES` statements are cheap to prepare there.
//!
//! A row's actions (~17 per ad-day: types × attribution windows) travel on the row as one
//! JSON array (migration 0005), so the upsert that writes the row replaces them whole: an
//! action a restatement removed disappears with the page that no longer reports it, and no
//! action row enters a B-tree of its own.

use foldhash::{HashMap, HashMapExt};
use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::query_builder::Separated;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::StorageResult;
use adsync_common::ids::TeamId;
use adsync_common::json_text::{json_str, push_padded};
use adsync_common::normalize::{DailyRow, purchase_columns};

mod postgres;

/// Which object rows a page holds.
#[derive(Debug, Clone)]
pub struct PageTarget<'a> {
    pub team: TeamId,
    pub ad_account_id: &'a str,
    pub level: &'a str,
    /// The breakdown the rows are broken down by (`age`, …), `""` for the unbroken rows:
    /// the run's chunks are recorded per breakdown.
    pub breakdown: &'a str,
}

/// The page's rows, one per natural key: a source that repeats an object-day within a page
/// (Facebook should not) must not fail the page, and the last report of it wins, as an
/// upsert would have it. Within a row, an action type's window likewise (see [`actions_json`]).
pub(crate) fn unique_rows(rows: &[DailyRow]) -> Vec<&DailyRow> {
    // Hashed with foldhash: these keys come from the page being written, and SipHash's
    // protection against chosen keys costs more than the rest of this function.
    let mut last: HashMap<(&str, NaiveDate, &str), usize> = HashMap::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        last.insert((r.object_id.as_str(), r.date, r.breakdown.as_str()), i);
    }
    rows.iter()
        .enumerate()
        .filter(|(i, r)| last.get(&(r.object_id.as_str(), r.date, r.breakdown.as_str())) == Some(i))
        .map(|(_, r)| r)
        .collect()
}

/// The row's actions as stored in `insights_daily.actions` (migration 0008): one element per
/// action type, `[action_type, counts, values]`. `counts` has an entry per window of
/// [`WINDOWS`], in that order, up to the last one with a figure: the count, or `null` where
/// Facebook reported nothing in that window; `values` likewise holds the value in
/// micro-units, or is `null` when the type has none (e.g. link clicks). `[["purchase",[2,null,
/// 3],[45670000,null,50000000]]]` is 2 purchases worth 45.67 by default and 3 worth 50.00
/// within 7 days of a click. A window past the end of a list has no figure, as a `null` in it
/// (the `insight_actions` view reads both alike; lists written by older versions have all seven).
///
/// One element per type rather than per type and window, and no trailing `null`s: the text
/// is a third as long, and PostgreSQL's work on a backfill grows with the bytes it stores
/// (docs/benchmarks.md, sessions 7 and 9). Written by hand (~17 figures a row): through serde this was a tenth of a
/// backfill's CPU.
pub(crate) fn actions_json(r: &DailyRow) -> String {
    let mut out = Vec::with_capacity(2 + 96 * r.actions.len());
    write_actions_json(&mut out, r);
    // Only escaped text and ASCII went in; "[]" keeps the row writable were that to change.
    String::from_utf8(out).unwrap_or_else(|_| "[]".into())
}

/// [`actions_json`] appended to `out`: a `COPY` payload takes it in place.
fn write_actions_json(out: &mut Vec<u8>, r: &DailyRow) {
    out.push(b'[');
    for (i, t) in r.actions.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'[');
        json_str(out, &t.action_type);
        out.push(b',');
        push_figures(out, &t.counts);
        out.push(b',');
        if t.values.iter().any(Option::is_some) {
            push_figures(out, &t.values);
        } else {
            out.extend_from_slice(b"null");
        }
        out.push(b']');
    }
    out.push(b']');
}

/// `[f, f, ...]` up to the last figure, `null` for a missing one before it.
fn push_figures(out: &mut Vec<u8>, figures: &[Option<i64>]) {
    let len = figures.iter().rposition(Option::is_some).map_or(0, |last| last + 1);
    out.push(b'[');
    for (i, f) in figures[..len].iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match f {
            Some(n) => push_padded(out, *n, 0),
            None => out.extend_from_slice(b"null"),
        }
    }
    out.push(b']');
}

/// How a page's rows go in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Plain inserts: the chunk's days held no rows of this account and level when its first
    /// page was written (see `super::page_writes::range_is_empty`). An upsert first looks for the
    /// row it may have to update, which cost PostgreSQL nearly as much again as the insert
    /// (docs/benchmarks.md); a backfill finds nothing. Should a row be there after
    /// all (pages that overlap), the page is written again as upserts.
    Insert,
    /// Idempotent upserts on the natural key: re-syncs, lookback, resumed chunks.
    Upsert,
}

/// Writes the daily rows with their actions.
pub(crate) trait WriteFacts {
    async fn write_facts(
        &mut self,
        t: &PageTarget<'_>,
        rows: &[&DailyRow],
        at: DateTime<Utc>,
        mode: WriteMode,
    ) -> StorageResult<()>;
}

/// `insights_daily`'s columns after the key, in bind order, with their PostgreSQL types
/// (the purchase rollup, then the actions, last).
fn value_columns() -> Vec<(String, &'static str)> {
    let fixed = [
        ("campaign_id", "text"),
        ("adset_id", "text"),
        ("impressions", "int8"),
        ("reach", "int8"),
        ("clicks", "int8"),
        ("inline_link_clicks", "int8"),
        ("spend_micros", "int8"),
    ];
    fixed
        .iter()
        .map(|(c, t)| (c.to_string(), *t))
        .chain(purchase_columns().into_iter().map(|c| (c, "int8")))
        .chain(std::iter::once(("actions".to_string(), "text")))
        .collect()
}

/// Where a row's values after its key go: one call per column of [`value_columns`], in order.
trait ValueSink {
    fn text(&mut self, v: Option<&str>);
    fn int8(&mut self, v: Option<i64>);
    /// The row's actions, as text ([`actions_json`]).
    fn actions(&mut self, r: &DailyRow) {
        self.text(Some(&actions_json(r)));
    }
}

/// A row's values after its key, in the order of [`value_columns`]: the one place that lists
/// them, for each way a page is written (`COPY`, `UNNEST` arrays, SQLite's `VALUES`).
fn put_values(r: &DailyRow, out: &mut impl ValueSink) {
    out.text(r.campaign_id.as_deref());
    out.text(r.adset_id.as_deref());
    for v in [
        Some(r.impressions),
        r.reach,
        Some(r.clicks),
        Some(r.inline_link_clicks),
        Some(r.spend_micros),
    ] {
        out.int8(v);
    }
    for v in r.purchase_rollup() {
        out.int8(Some(v));
    }
    out.actions(r);
}

fn column_names() -> String {
    value_columns()
        .into_iter()
        .map(|(c, _)| c)
        .collect::<Vec<_>>()
        .join(", ")
}

fn upsert_tail() -> String {
    let sets: Vec<String> = value_columns()
        .into_iter()
        .map(|(c, _)| c)
        .chain(std::iter::once("synced_at".to_string()))
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    format!(
        " ON CONFLICT (team_id, ad_account_id, level, object_id, date, breakdown) DO UPDATE SET {}",
        sets.join(", ")
    )
}

// Rows per multi-row statement (× 29 parameters; SQLite allows 32,766). Each statement is
// compiled once and holds its bound text (a row's actions are ~700 bytes) in the connection
// thread's allocator: 1,000-row statements cost ~10 MB of peak memory over 100-row ones and
// were no faster (docs/benchmarks.md).
const SQLITE_ROW_BATCH: usize = 100;

/// The SQLite insert before its `VALUES` list, built once.
static INSERT_ROWS_SQLITE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO insights_daily (team_id, ad_account_id, level, object_id, date, breakdown, {}, synced_at) ",
        column_names()
    )
});
static UPSERT_TAIL: LazyLock<String> = LazyLock::new(upsert_tail);

impl ValueSink for Separated<'_, Sqlite, &'static str> {
    fn text(&mut self, v: Option<&str>) {
        self.push_bind(v);
    }
    fn int8(&mut self, v: Option<i64>) {
        self.push_bind(v);
    }
}

impl WriteFacts for SqliteConnection {
    async fn write_facts(
        &mut self,
        t: &PageTarget<'_>,
        rows: &[&DailyRow],
        at: DateTime<Utc>,
        mode: WriteMode,
    ) -> StorageResult<()> {
        // Multi-row statements change text with their row count: not kept prepared, or the
        // per-connection statement cache fills with huge one-off statements.
        for batch in rows.chunks(SQLITE_ROW_BATCH) {
            let mut q = QueryBuilder::new(INSERT_ROWS_SQLITE.as_str());
            q.push_values(batch, |mut b, r| {
                b.push_bind(t.team)
                    .push_bind(t.ad_account_id)
                    .push_bind(t.level)
                    .push_bind(r.object_id.as_str())
                    .push_bind(r.date)
                    .push_bind(&r.breakdown);
                put_values(r, &mut b);
                b.push_bind(at);
            });
            if mode == WriteMode::Upsert {
                q.push(UPSERT_TAIL.as_str());
            }
            q.build().persistent(false).execute(&mut *self).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{ValueSink, actions_json, put_values, unique_rows, value_columns};
    use adsync_common::normalize::{ActionFigures, DailyRow, Names};

    fn row(object: &str, impressions: i64, actions: &[(&str, &str, i64, Option<i64>)]) -> DailyRow {
        DailyRow {
            object_id: object.into(),
            date: "2026-11-20".parse().expect("date"),
            breakdown: String::new(),
            campaign_id: None,
            adset_id: None,
            impressions,
            reach: None,
            clicks: 0,
            inline_link_clicks: 0,
            spend_micros: 0,
            actions: ActionFigures::group(actions.iter().copied()),
            names: Names::default(),
        }
    }

    #[test]
    fn a_repeated_object_day_keeps_its_last_report() {
        let rows = [row("a1", 1, &[]), row("a2", 5, &[]), row("a1", 2, &[])];
        let kept: Vec<(&str, i64)> = unique_rows(&rows)
            .iter()
            .map(|r| (r.object_id.as_str(), r.impressions))
            .collect();
        assert_eq!(kept, [("a2", 5), ("a1", 2)]);
    }

    #[test]
    fn a_rows_values_come_in_the_columns_order_and_types() {
        struct Kinds(Vec<&'static str>);
        impl ValueSink for Kinds {
            fn text(&mut self, _: Option<&str>) {
                self.0.push("text");
            }
            fn int8(&mut self, _: Option<i64>) {
                self.0.push("int8");
            }
        }
        let mut kinds = Kinds(Vec::new());
        put_values(&row("a1", 1, &[]), &mut kinds);
        let expected: Vec<&str> = value_columns().into_iter().map(|(_, t)| t).collect();
        assert_eq!(kinds.0, expected);
    }

    #[test]
    fn actions_are_stored_as_one_array_per_row() {
        let r = row(
            "a1",
            1,
            &[
                ("purchase", "default", 1, None),
                ("link_click", "7d_click", 4, None),
                ("purchase", "default", 2, None),
            ],
        );
        assert_eq!(
            actions_json(&r),
            r#"[["purchase",[2],null],["link_click",[null,null,4],null]]"#,
            "one element per type; the repeated (purchase, default) keeps its last report"
        );
        let r = row(
            "a1",
            1,
            &[
                ("purchase", "default", 1, Some(45_670_000)),
                ("link_click", "7d_click", 4, Some(1)),
                ("purchase", "default", 2, None),
                ("purchase", "28d_view", 1, Some(12_500_000)),
            ],
        );
        assert_eq!(
            actions_json(&r),
            r#"[["purchase",[2,null,null,null,null,null,1],[null,null,null,null,null,null,12500000]],["link_click",[null,null,4],[null,null,1]]]"#,
            "the last report's value, null where it had none"
        );
        assert_eq!(actions_json(&row("a2", 1, &[])), "[]");
    }
}
