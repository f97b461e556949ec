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

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, QueryBuilder, SqliteConnection};

use super::StorageResult;
use super::copy_binary::CopyBinary;
use super::insights::PageTarget;
use crate::insights::{DailyRow, purchase_columns};
use crate::json_text::{json_str, push_padded};

/// The page's rows, one per natural key: a source that repeats an object-day within a page
/// (Facebook should not) must not fail the page, and the last report of it wins, as an
/// upsert would have it. Within a row, actions are unique per type and window likewise.
pub(crate) fn unique_rows(rows: &[DailyRow]) -> Vec<&DailyRow> {
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

/// A row's actions, one per (type, window), the last one winning.
fn unique_actions(r: &DailyRow) -> impl Iterator<Item = &crate::insights::ActionRow> {
    r.actions
        .iter()
        .enumerate()
        .filter(move |(i, a)| {
            !r.actions[i + 1..]
                .iter()
                .any(|b| b.action_type == a.action_type && b.window == a.window)
        })
        .map(|(_, a)| a)
}

/// The row's actions as stored in `insights_daily.actions`:
/// `[[action_type, attribution_window, count, value_micros], ...]`, one per type and window.
/// Written by hand (~17 actions a row): through serde this was a tenth of a backfill's CPU.
pub(crate) fn actions_json(r: &DailyRow) -> String {
    let mut out = Vec::with_capacity(40 * r.actions.len() + 2);
    out.push(b'[');
    for (i, a) in unique_actions(r).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'[');
        json_str(&mut out, &a.action_type);
        out.push(b',');
        json_str(&mut out, a.window);
        out.push(b',');
        push_padded(&mut out, a.count, 0);
        out.push(b',');
        match a.value_micros {
            Some(v) => push_padded(&mut out, v, 0),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b']');
    }
    out.push(b']');
    // Only escaped text and ASCII went in; "[]" keeps the row writable were that to change.
    String::from_utf8(out).unwrap_or_else(|_| "[]".into())
}

/// How a page's rows go in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Plain inserts: the chunk's days held no rows of this account and level when its first
    /// page was written (see `super::insights::range_is_empty`). An upsert first looks for the
    /// row it may have to update, which cost PostgreSQL nearly as much again as the insert
    /// (docs/benchmarks.md, session 6); a backfill finds nothing. Should a row be there after
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

static INSERT_ROWS_PG: LazyLock<String> = LazyLock::new(|| {
    // $4..: object, date, breakdown, then one array per value column; synced_at last.
    let types = ["text", "date", "text"]
        .into_iter()
        .chain(value_columns().into_iter().map(|(_, t)| t));
    let arrays: Vec<String> = types.enumerate().map(|(i, t)| format!("${}::{t}[]", i + 4)).collect();
    format!(
        "INSERT INTO insights_daily (team_id, ad_account_id, level, object_id, date, breakdown, {}, synced_at) \
         SELECT $1, $2, $3, u.*, ${} FROM UNNEST({}) AS u",
        column_names(),
        arrays.len() + 4,
        arrays.join(", "),
    )
});
static UPSERT_ROWS_PG: LazyLock<String> = LazyLock::new(|| format!("{}{}", *INSERT_ROWS_PG, upsert_tail()));
static COPY_ROWS_PG: LazyLock<String> = LazyLock::new(|| {
    format!(
        "COPY insights_daily (team_id, ad_account_id, level, object_id, date, breakdown, {}, synced_at) \
         FROM STDIN (FORMAT binary)",
        column_names()
    )
});

/// Plain inserts on PostgreSQL: the rows as one binary `COPY`, which PostgreSQL takes in with
/// less work than the same rows through `INSERT ... SELECT FROM UNNEST` (docs/benchmarks.md,
/// session 6). A row already there fails it as a unique violation, like an insert.
async fn copy_rows(
    conn: &mut PgConnection,
    t: &PageTarget<'_>,
    rows: &[&DailyRow],
    at: DateTime<Utc>,
) -> StorageResult<()> {
    // The key, the value columns, synced_at.
    let fields = i16::try_from(6 + value_columns().len() + 1).unwrap_or(i16::MAX);
    let mut copy = CopyBinary::new(rows.len() * 1_100);
    for r in rows {
        copy.row(fields);
        copy.int8(t.team.0);
        copy.text(t.ad_account_id);
        copy.text(t.level);
        copy.text(&r.object_id);
        copy.date(r.date);
        copy.text(&r.breakdown);
        // In the order of `value_columns`.
        copy.opt_text(r.campaign_id.as_deref());
        copy.opt_text(r.adset_id.as_deref());
        copy.int8(r.impressions);
        copy.opt_int8(r.reach);
        copy.int8(r.clicks);
        copy.int8(r.inline_link_clicks);
        copy.int8(r.spend_micros);
        for v in r.purchase_rollup() {
            copy.int8(v);
        }
        copy.text(&actions_json(r));
        copy.timestamptz(at);
    }
    let mut sink = conn.copy_in_raw(&COPY_ROWS_PG).await?;
    if let Err(e) = sink.send(copy.finish()).await {
        // The connection is left as it was before the COPY; the error is the one to report.
        let _ = sink.abort("adsync could not send the page").await;
        return Err(e.into());
    }
    sink.finish().await?;
    Ok(())
}

impl WriteFacts for PgConnection {
    async fn write_facts(
        &mut self,
        t: &PageTarget<'_>,
        rows: &[&DailyRow],
        at: DateTime<Utc>,
        mode: WriteMode,
    ) -> StorageResult<()> {
        if mode == WriteMode::Insert {
            return copy_rows(self, t, rows, at).await;
        }
        let n = rows.len();
        let (mut object, mut date, mut breakdown) =
            (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut campaign, mut adset) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut impressions, mut reach, mut clicks, mut link_clicks, mut spend) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let mut purchases: Vec<Vec<i64>> = (0..14).map(|_| Vec::with_capacity(n)).collect();
        let mut actions = Vec::with_capacity(n);
        for r in rows {
            actions.push(actions_json(r));
            object.push(r.object_id.as_str());
            date.push(r.date);
            breakdown.push(r.breakdown.as_str());
            campaign.push(r.campaign_id.as_deref());
            adset.push(r.adset_id.as_deref());
            impressions.push(r.impressions);
            reach.push(r.reach);
            clicks.push(r.clicks);
            link_clicks.push(r.inline_link_clicks);
            spend.push(r.spend_micros);
            for (column, v) in purchases.iter_mut().zip(r.purchase_rollup()) {
                column.push(v);
            }
        }
        let mut upsert = sqlx::query(UPSERT_ROWS_PG.as_str())
            .bind(t.team)
            .bind(t.ad_account_id)
            .bind(t.level)
            .bind(&object)
            .bind(&date)
            .bind(&breakdown)
            .bind(&campaign)
            .bind(&adset)
            .bind(&impressions)
            .bind(&reach)
            .bind(&clicks)
            .bind(&link_clicks)
            .bind(&spend);
        for column in &purchases {
            upsert = upsert.bind(column);
        }
        upsert.bind(&actions).bind(at).execute(&mut *self).await?;
        Ok(())
    }
}

// Rows per multi-row statement (× 29 parameters; SQLite allows 32,766). Each statement is
// compiled once and holds its bound text (a row's actions are ~700 bytes) in the connection
// thread's allocator: 1,000-row statements cost ~10 MB of peak memory over 100-row ones and
// were no faster (docs/benchmarks.md, session 5).
const SQLITE_ROW_BATCH: usize = 100;

/// The SQLite insert before its `VALUES` list, built once.
static INSERT_ROWS_SQLITE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO insights_daily (team_id, ad_account_id, level, object_id, date, breakdown, {}, synced_at) ",
        column_names()
    )
});
static UPSERT_TAIL: LazyLock<String> = LazyLock::new(upsert_tail);

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
                    .push_bind(&r.object_id)
                    .push_bind(r.date)
                    .push_bind(&r.breakdown)
                    .push_bind(&r.campaign_id)
                    .push_bind(&r.adset_id)
                    .push_bind(r.impressions)
                    .push_bind(r.reach)
                    .push_bind(r.clicks)
                    .push_bind(r.inline_link_clicks)
                    .push_bind(r.spend_micros);
                for v in r.purchase_rollup() {
                    b.push_bind(v);
                }
                b.push_bind(actions_json(r)).push_bind(at);
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
    use super::{actions_json, unique_actions, unique_rows};
    use crate::insights::{ActionRow, DailyRow, Names};

    fn row(object: &str, impressions: i64, actions: &[(&str, &'static str, i64)]) -> DailyRow {
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
            actions: actions
                .iter()
                .map(|(t, w, c)| ActionRow {
                    action_type: (*t).into(),
                    window: w,
                    count: *c,
                    value_micros: None,
                })
                .collect(),
            names: Names::default(),
        }
    }

    #[test]
    fn a_repeated_object_day_or_action_keeps_its_last_report() {
        let rows = [row("a1", 1, &[]), row("a2", 5, &[]), row("a1", 2, &[])];
        let kept: Vec<(&str, i64)> = unique_rows(&rows)
            .iter()
            .map(|r| (r.object_id.as_str(), r.impressions))
            .collect();
        assert_eq!(kept, [("a2", 5), ("a1", 2)]);

        let r = row(
            "a1",
            1,
            &[
                ("purchase", "default", 1),
                ("purchase", "7d_click", 3),
                ("purchase", "default", 2),
            ],
        );
        let kept: Vec<(&str, i64)> = unique_actions(&r).map(|a| (a.window, a.count)).collect();
        assert_eq!(kept, [("7d_click", 3), ("default", 2)]);
    }

    #[test]
    fn actions_are_stored_as_one_array_per_row() {
        let mut r = row(
            "a1",
            1,
            &[
                ("purchase", "default", 1),
                ("link_click", "7d_click", 4),
                ("purchase", "default", 2),
            ],
        );
        r.actions[0].value_micros = Some(45_670_000);
        assert_eq!(
            actions_json(&r),
            r#"[["link_click","7d_click",4,null],["purchase","default",2,null]]"#
        );
        r.actions[2].value_micros = Some(12_500_000);
        assert_eq!(
            actions_json(&r),
            r#"[["link_click","7d_click",4,null],["purchase","default",2,12500000]]"#
        );
        assert_eq!(actions_json(&row("a2", 1, &[])), "[]");
    }
}
