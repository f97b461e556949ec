//! The PostgreSQL side of writing a page's rows: plain inserts as one binary `COPY`,
//! upserts as one prepared `INSERT ... SELECT FROM UNNEST(arrays)` statement.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use sqlx::postgres::PgCopyIn;

use super::PageTarget;
use super::{
    ValueSink, WriteFacts, WriteMode, column_names, put_values, upsert_tail, value_columns, write_actions_json,
};
use crate::StorageResult;
use crate::copy_binary::CopyBinary;
use adsync_common::normalize::DailyRow;

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

/// How much of a `COPY` payload is encoded before it is sent. The connection's write buffer
/// grows to the largest message it sends and keeps that size, so a page sent whole would
/// leave every pooled connection holding a page's worth of memory.
const COPY_MESSAGE_BYTES: usize = 64 * 1024;

/// Plain inserts on PostgreSQL: the rows as one binary `COPY`, which PostgreSQL takes in with
/// less work than the same rows through `INSERT ... SELECT FROM UNNEST` (docs/benchmarks.md).
/// A row already there fails it as a unique violation, like an insert.
async fn copy_rows(
    conn: &mut PgConnection,
    t: &PageTarget<'_>,
    rows: &[&DailyRow],
    at: DateTime<Utc>,
) -> StorageResult<()> {
    let mut sink = conn.copy_in_raw(&COPY_ROWS_PG).await?;
    if let Err(e) = send_rows(&mut sink, t, rows, at).await {
        // The connection is left as it was before the COPY; the error is the one to report.
        let _ = sink.abort("adsync could not send the page").await;
        return Err(e);
    }
    sink.finish().await?;
    Ok(())
}

async fn send_rows(
    sink: &mut PgCopyIn<&mut PgConnection>,
    t: &PageTarget<'_>,
    rows: &[&DailyRow],
    at: DateTime<Utc>,
) -> StorageResult<()> {
    // The key, the value columns, synced_at.
    let fields = i16::try_from(6 + value_columns().len() + 1).unwrap_or(i16::MAX);
    let mut copy = CopyBinary::new(COPY_MESSAGE_BYTES + 4 * 1024);
    for r in rows {
        copy.row(fields);
        copy.int8(t.team.0);
        copy.text(t.ad_account_id);
        copy.text(t.level);
        copy.text(&r.object_id);
        copy.date(r.date);
        copy.text(&r.breakdown);
        put_values(r, &mut copy);
        copy.timestamptz(at);
        if copy.bytes().len() >= COPY_MESSAGE_BYTES {
            sink.send(copy.bytes()).await?;
            copy.clear();
        }
    }
    copy.end();
    sink.send(copy.bytes()).await?;
    Ok(())
}

impl ValueSink for CopyBinary {
    fn text(&mut self, v: Option<&str>) {
        self.opt_text(v);
    }
    fn int8(&mut self, v: Option<i64>) {
        self.opt_int8(v);
    }
    fn actions(&mut self, r: &DailyRow) {
        self.text_with(|out| write_actions_json(out, r));
    }
}

/// A page's value columns as one array each, for `UNNEST`.
#[derive(Default)]
struct ColumnArrays {
    columns: Vec<ColumnArray>,
    /// The column the next value goes to.
    next: usize,
}

enum ColumnArray {
    Text(Vec<Option<String>>),
    Int8(Vec<Option<i64>>),
}

impl ColumnArrays {
    fn add_row(&mut self, r: &DailyRow) {
        self.next = 0;
        put_values(r, self);
    }

    fn column(&mut self, new: impl FnOnce() -> ColumnArray) -> &mut ColumnArray {
        if self.next == self.columns.len() {
            self.columns.push(new());
        }
        self.next += 1;
        &mut self.columns[self.next - 1]
    }
}

impl ValueSink for ColumnArrays {
    fn text(&mut self, v: Option<&str>) {
        if let ColumnArray::Text(c) = self.column(|| ColumnArray::Text(Vec::new())) {
            c.push(v.map(str::to_owned));
        }
    }
    fn int8(&mut self, v: Option<i64>) {
        if let ColumnArray::Int8(c) = self.column(|| ColumnArray::Int8(Vec::new())) {
            c.push(v);
        }
    }
}

impl WriteFacts for PgConnection {
    async fn write_facts(
        &mut self,
        t: &PageTarget<'_>,
        rows: &[&DailyRow],
        at: DateTime<Utc>,
        mode: WriteMode,
    ) -> StorageResult<()> {
        // A page may hold no rows (a day or a campaign without data). The upsert would bind no
        // value arrays then, fewer parameters than its prepared statement takes.
        if rows.is_empty() {
            return Ok(());
        }
        if mode == WriteMode::Insert {
            return copy_rows(self, t, rows, at).await;
        }
        let n = rows.len();
        let (mut object, mut date, mut breakdown) =
            (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        let mut values = ColumnArrays::default();
        for r in rows {
            object.push(r.object_id.as_str());
            date.push(r.date);
            breakdown.push(r.breakdown.as_str());
            values.add_row(r);
        }
        let mut upsert = sqlx::query(UPSERT_ROWS_PG.as_str())
            .bind(t.team)
            .bind(t.ad_account_id)
            .bind(t.level)
            .bind(&object)
            .bind(&date)
            .bind(&breakdown);
        for column in &values.columns {
            upsert = match column {
                ColumnArray::Text(c) => upsert.bind(c),
                ColumnArray::Int8(c) => upsert.bind(c),
            };
        }
        upsert.bind(at).execute(&mut *self).await?;
        // The statement went out as one message the size of the page; give the connection's
        // write buffer back rather than keep that much per pooled connection.
        sqlx::Connection::shrink_buffers(self);
        Ok(())
    }
}
