//! The metrics API's rows as JSON, written by hand (see [`write_rows`]).

use super::{Aggregate, Metric, value};
use crate::json_text::{json_str, push_padded, quoted};

/// `YYYY-MM-DD`, as `NaiveDate`'s `Display` writes days of years 0 to 9999.
pub(super) fn iso_date(day: chrono::NaiveDate, out: &mut Vec<u8>) {
    use chrono::Datelike;
    push_padded(out, i64::from(day.year()), 4);
    out.push(b'-');
    push_padded(out, i64::from(day.month()), 2);
    out.push(b'-');
    push_padded(out, i64::from(day.day()), 2);
}

/// What each row carries besides its period, id, name and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowShape<'a> {
    /// Written as every row's `date` instead of its period (`granularity=total`).
    pub label: Option<&'a str>,
    pub objects: ObjectFields,
    /// A `breakdown` object of the row's values (`{"age": "25-34"}`).
    pub breakdown: bool,
}

impl RowShape<'_> {
    /// Rows of periods, nothing more (tests and the simplest answers).
    pub const PLAIN: RowShape<'static> = RowShape {
        label: None,
        objects: ObjectFields::None,
        breakdown: false,
    };
}

/// The object fields a row carries besides its id and name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectFields {
    /// Ad accounts: none.
    None,
    /// Ad sets and ads: `status` and `effective_status`.
    Status,
    /// Campaigns: those and `objective`.
    WithObjective,
}

impl ObjectFields {
    pub fn of_level(level: &str) -> Self {
        match level {
            "campaign" => Self::WithObjective,
            "adset" | "ad" => Self::Status,
            _ => Self::None,
        }
    }
}

/// Aggregates as the metrics API's `rows`: a JSON array of objects with `date` (the period,
/// or `label` when given), `id`, `name`, the object's status (see [`ObjectFields`]) and the
/// requested metrics: counts as JSON integers, money and ratios as exact decimal strings; a
/// metric without a value is omitted rather than shown as zero.
///
/// Written by hand rather than through serde: keys are constants and numbers need no
/// escaping, and for a year of daily rows serde's per-string escaping and dispatch were the
/// largest part of the API's time. Only ids and names can hold characters to escape.
pub fn write_rows(out: &mut Vec<u8>, rows: &[Aggregate], metrics: &[Metric], dp: u32, shape: &RowShape<'_>) {
    let (label, fields) = (shape.label, shape.objects);
    // About 200 bytes a row for the default metrics: one allocation for the whole answer.
    out.reserve(rows.len() * (64 + 24 * metrics.len()));
    out.push(b'[');
    for (i, a) in rows.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"date\":");
        match (label, a.period) {
            (Some(label), _) => json_str(out, label),
            (None, Some(day)) => {
                out.push(b'"');
                iso_date(day, out);
                out.push(b'"');
            }
            (None, None) => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"id\":");
        json_str(out, &a.object_id);
        let text = |out: &mut Vec<u8>, key: &[u8], v: &Option<String>| {
            out.extend_from_slice(key);
            match v {
                Some(v) => json_str(out, v),
                None => out.extend_from_slice(b"null"),
            }
        };
        text(out, b",\"name\":", &a.name);
        if fields != ObjectFields::None {
            text(out, b",\"status\":", &a.info.status);
            text(out, b",\"effective_status\":", &a.info.effective_status);
        }
        if fields == ObjectFields::WithObjective {
            text(out, b",\"objective\":", &a.info.objective);
        }
        if shape.breakdown {
            out.extend_from_slice(b",\"breakdown\":{");
            for (i, (k, v)) in crate::breakdowns::values(&a.breakdown).iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                json_str(out, k);
                out.push(b':');
                json_str(out, v);
            }
            out.push(b'}');
        }
        for metric in metrics {
            if let Some(v) = value(a, metric) {
                out.push(b',');
                // Metric names are known names or `action…:<type>` with a checked type
                // (`conversions::check_action_type`: letters, digits, `_.-`): nothing to escape.
                quoted(out, &metric.name);
                if metric.is_count() {
                    out.push(b':');
                    v.write(dp, out);
                } else {
                    out.extend_from_slice(b":\"");
                    v.write(dp, out);
                    out.push(b'"');
                }
            }
        }
        out.push(b'}');
    }
    out.push(b']');
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use serde_json::Value as Json;

    use super::*;
    use crate::reporting::{DEFAULT_METRICS, Metric, metric_names, metric_value, tests::metrics as parse_names};

    /// The rows as serde writes them, with each value from its `Decimal`: the reference the
    /// hand-written JSON must equal byte for byte.
    fn serde_rows(rows: &[Aggregate], metrics: &[Metric], dp: u32, shape: &RowShape<'_>) -> Vec<u8> {
        let (label, fields) = (shape.label, shape.objects);
        use serde::ser::{SerializeMap, SerializeSeq, Serializer};
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::new(&mut out);
        let mut seq = ser.serialize_seq(Some(rows.len())).expect("seq");
        for a in rows {
            let mut row = serde_json::Map::new();
            let date = match (label, a.period) {
                (Some(l), _) => Json::from(l),
                (None, Some(day)) => Json::from(day.to_string()),
                (None, None) => Json::Null,
            };
            row.insert("date".into(), date);
            row.insert("id".into(), Json::from(a.object_id.clone()));
            let text = |v: &Option<String>| v.clone().map_or(Json::Null, Json::from);
            row.insert("name".into(), text(&a.name));
            let mut keys = vec!["date", "id", "name"];
            if fields != ObjectFields::None {
                row.insert("status".into(), text(&a.info.status));
                row.insert("effective_status".into(), text(&a.info.effective_status));
                keys.extend(["status", "effective_status"]);
            }
            if fields == ObjectFields::WithObjective {
                row.insert("objective".into(), text(&a.info.objective));
                keys.push("objective");
            }
            if shape.breakdown {
                let values: serde_json::Map<String, Json> = crate::breakdowns::values(&a.breakdown)
                    .into_iter()
                    .map(|(k, v)| (k, Json::from(v)))
                    .collect();
                row.insert("breakdown".into(), Json::Object(values));
                keys.push("breakdown");
            }
            for m in metrics {
                if let Some(v) = metric_value(a, m, dp) {
                    let v = match m.is_count() {
                        true => Json::from(i64::try_from(v).expect("a count")),
                        false => Json::from(v.to_string()),
                    };
                    row.insert(m.name.clone(), v);
                }
            }
            // serde_json's `Map` sorts its keys; a map serializer keeps the order written.
            struct Ordered<'a>(Vec<(&'a str, &'a Json)>);
            impl serde::Serialize for Ordered<'_> {
                fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    let mut m = s.serialize_map(Some(self.0.len()))?;
                    for (k, v) in &self.0 {
                        m.serialize_entry(k, v)?;
                    }
                    m.end()
                }
            }
            let order = keys.into_iter().chain(metrics.iter().map(|m| m.name.as_str()));
            let entries = order.filter_map(|k| row.get(k).map(|v| (k, v))).collect();
            seq.serialize_element(&Ordered(entries)).expect("row");
        }
        SerializeSeq::end(seq).expect("end");
        out
    }

    #[test]
    fn hand_written_rows_equal_serde_byte_for_byte() {
        let names = [
            Some("Spring sale"),
            Some("quote \" and backslash \\ inside"),
            Some("line\nbreak\ttab\u{1}\u{1f}\u{7f}"),
            Some("Ünïcödé 🚀 — «soldes»"),
            Some(""),
            None,
        ];
        let mut metric_list = metric_names();
        metric_list.extend(["action:link_click", "cost_per_action:offsite_conversion.custom.1"]);
        let all = parse_names(&metric_list);
        let sources = all
            .iter()
            .filter_map(|m| match m.kind {
                crate::reporting::Kind::Conversion(crate::reporting::Slot::Source(at), _) => Some(at + 1),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        let rows: Vec<Aggregate> = (0..600i64)
            .map(|i| Aggregate {
                period: (i % 7 != 0)
                    .then(|| NaiveDate::from_ymd_opt(2025, 1, 1).expect("day") + chrono::Days::new(i as u64)),
                object_id: if i % 50 == 0 {
                    format!("id\"{i}")
                } else {
                    format!("12021{i:012}")
                },
                name: names[i as usize % names.len()].map(String::from),
                breakdown: match i % 4 {
                    0 => String::new(),
                    1 => crate::breakdowns::row_key([("age", "25-34")]),
                    2 => crate::breakdowns::row_key([("region", "Provence-Alpes-Côte d'Azur \"&\" =")]),
                    _ => crate::breakdowns::row_key([
                        ("publisher_platform", "instagram"),
                        ("platform_position", "reels"),
                    ]),
                },
                info: crate::reporting::query::ObjectInfo {
                    status: (i % 3 != 0).then(|| "ACTIVE".to_string()),
                    effective_status: names[(i as usize + 1) % names.len()].map(String::from),
                    objective: (i % 2 == 0).then(|| "OUTCOME_SALES".to_string()),
                },
                impressions: i * 7919 % 100_000,
                clicks: i * 31 % 977,
                inline_link_clicks: i * 17 % 500,
                spend_micros: i * 1_234_567 % 90_000_000 + i % 3 * 5_000,
                reach: (i % 2 == 0).then_some(i * 13),
                purchases: i % 5,
                purchase_value_micros: i * 9_876_543 % 400_000_000,
                conversions: (0..sources as i64)
                    .map(|k| crate::reporting::query::Figures {
                        count: (i + k) % 4,
                        value_micros: i * 7_654_321 * k % 300_000_000,
                    })
                    .collect(),
            })
            .collect();
        for dp in [0, 2, 3] {
            for label in [None, Some("2025-01-01..2025-12-31")] {
                for objects in [ObjectFields::None, ObjectFields::Status, ObjectFields::WithObjective] {
                    let shape = RowShape {
                        label,
                        objects,
                        breakdown: objects == ObjectFields::WithObjective,
                    };
                    let mut hand = Vec::new();
                    write_rows(&mut hand, &rows, &all, dp, &shape);
                    let reference = serde_rows(&rows, &all, dp, &shape);
                    assert_eq!(
                        String::from_utf8_lossy(&hand),
                        String::from_utf8_lossy(&reference),
                        "dp {dp}, {shape:?}"
                    );
                }
            }
        }
        let mut empty = Vec::new();
        write_rows(&mut empty, &[], &parse_names(&[DEFAULT_METRICS]), 2, &RowShape::PLAIN);
        assert_eq!(empty, b"[]");
    }
}
