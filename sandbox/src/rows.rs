//! Insights rows: generated page by page from a position (bucket, object, segment),
//! so resuming at a cursor is O(page), and encoded as the API does ([`crate::row_json`]).

use crate::breakdowns::Segments;
use crate::dataset::Dataset;
use crate::query::InsightsQuery;
use crate::row_json::{RowAt, RowWriter};

/// One page of rows and the positions around it.
pub(crate) struct Page {
    /// The rows, as a JSON array.
    pub json: Vec<u8>,
    pub rows: usize,
    /// Position of the row after the page (or the end).
    pub end: [u64; 3],
    pub more: bool,
}

/// Rows from `start`, at most `limit`.
pub(crate) fn page(ds: &Dataset, q: &InsightsQuery, start: [u64; 3], limit: usize) -> Page {
    let segs = (!q.breakdowns.is_empty()).then(|| Segments::new(&q.breakdowns, &ds.accounts[q.account].currency));
    let writer = RowWriter::new(ds, q);
    // A daily ad row with every window is ~1.3 kB.
    let mut json = Vec::with_capacity(limit.min(500) * 1400);
    json.push(b'[');
    let mut rows = 0;
    let (mut o0, mut s0) = (start[1] as usize, start[2] as usize);
    for b in (start[0] as usize)..q.buckets.len() {
        let bucket = &q.buckets[b];
        let Some(days) = bucket.days.clone() else {
            (o0, s0) = (0, 0);
            continue;
        };
        let (since, until) = (bucket.start.to_string(), bucket.stop.to_string());
        for o in o0..q.objects.len() {
            let idx = q.objects[o];
            let parts = match &segs {
                Some(sg) => ds.aggregate_split(q.level, idx, days.clone(), sg),
                None => vec![ds.aggregate(q.level, idx, days.clone())],
            };
            for (s, m) in parts.iter().enumerate().skip(s0) {
                if m.is_empty() {
                    continue;
                }
                if rows == limit {
                    json.push(b']');
                    return Page {
                        json,
                        rows,
                        end: [b as u64, o as u64, s as u64],
                        more: true,
                    };
                }
                let labels = segs.as_ref().map(|sg| sg.labels(s)).unwrap_or_default();
                if rows > 0 {
                    json.push(b',');
                }
                let at = RowAt {
                    idx,
                    metrics: m,
                    labels: &labels,
                    dates: (&since, &until),
                };
                writer.write(&at, &mut json);
                rows += 1;
            }
            s0 = 0;
        }
        o0 = 0;
    }
    json.push(b']');
    Page {
        json,
        rows,
        end: [q.buckets.len() as u64, 0, 0],
        more: false,
    }
}
