//! `format=csv`: every row of a metrics query as CSV, streamed. The range is read in pieces
//! of whole periods (`reporting::export_ranges`), each one metrics query under the query
//! timeout, so memory stays flat however long the range; the team's query place is held
//! until the last row is sent.

use adsync_common::ids::TeamId;
use adsync_common::reporting::query::{Aggregate, Granularity, MetricsQuery};
use adsync_common::reporting::{self, CsvRows, CsvShape, ObjectFields, export_ranges};
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;

use super::{Plan, SortKey, bad, read, team_slot};
use crate::heavy::QuerySlot;
use crate::{ApiError, AppState};

pub(super) async fn export(state: AppState, team: TeamId, plan: Plan) -> Result<Response, ApiError> {
    if plan.q.granularity != Granularity::Total && plan.sort != SortKey::Date {
        return Err(bad(
            "sort: a CSV export of days, weeks or months is in date order (date or -date); sort by a metric or name with granularity=total, or in the JSON answer",
        ));
    }
    if plan.after.is_some() {
        return Err(bad("cursor: a CSV export has every row; cursors page the JSON answer"));
    }
    let slot = team_slot(&state, team)?;
    let mut ranges = export_ranges(plan.range, plan.q.granularity);
    if plan.descending {
        ranges.reverse();
    }
    let filename = format!(
        "attachment; filename=\"adsync-team{team}-{}-{}-{}.csv\"",
        plan.head.level,
        plan.range.since(),
        plan.range.until()
    );
    let mut ranges = ranges.into_iter();
    let mut export = Export {
        remaining: plan.limit.unwrap_or(usize::MAX),
        state,
        plan,
        ranges: Vec::new().into_iter(),
        _slot: slot,
    };
    // The first piece is read before the answer starts, so its errors are problem answers;
    // a later one's can only cut the answer short, which the client sees as a broken transfer.
    let mut first = export.rows_of().header();
    if let Some(range) = ranges.next() {
        let rows = export.piece(range).await?;
        first.extend(export.records(rows));
    }
    export.ranges = ranges;
    let rest = futures::stream::unfold(Some(export), |export| async move {
        let mut export = export?;
        let range = export.ranges.next().filter(|_| export.remaining > 0)?;
        match export.piece(range).await {
            Ok(rows) => {
                let bytes = export.records(rows);
                Some((Ok(Bytes::from(bytes)), Some(export)))
            }
            Err(e) => {
                tracing::warn!(error = %e, "a CSV export stopped part way");
                Some((Err(std::io::Error::other(e.to_string())), None))
            }
        }
    });
    let body = futures::stream::once(std::future::ready(Ok::<_, std::io::Error>(Bytes::from(first)))).chain(rest);
    let disposition = HeaderValue::from_str(&filename).map_err(|e| ApiError::Internal(Box::new(e)))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

/// An export under way: the pieces still to read and the rows still allowed.
struct Export {
    state: AppState,
    plan: Plan,
    ranges: std::vec::IntoIter<adsync_common::dates::DateRange>,
    remaining: usize,
    _slot: QuerySlot,
}

impl Export {
    /// The rows of one piece of the range, in the export's order.
    async fn piece(&self, range: adsync_common::dates::DateRange) -> Result<Vec<Aggregate>, ApiError> {
        let q = MetricsQuery {
            since: range.since(),
            until: range.until(),
            ..self.plan.q.clone()
        };
        let mut rows = read(&self.state, &q).await?;
        let p = &self.plan;
        reporting::sort(&mut rows, p.sort_by(), p.descending, p.dp);
        Ok(rows)
    }

    /// `rows` as CSV records, cut to the rows still allowed.
    fn records(&mut self, mut rows: Vec<Aggregate>) -> Vec<u8> {
        rows.truncate(self.remaining);
        self.remaining -= rows.len();
        self.rows_of().records(&rows)
    }

    fn rows_of(&self) -> CsvRows<'_> {
        let p = &self.plan;
        CsvRows::new(
            CsvShape {
                label: p.total_label.as_deref(),
                objects: ObjectFields::of_level(p.head.level),
                breakdown_keys: p.breakdown.map(|b| b.api_keys()).unwrap_or_default(),
            },
            &p.metrics,
            p.dp,
        )
    }
}
