//! The metrics API's rows as CSV (`format=csv`): a header row, then one record per row with
//! the columns of the JSON rows in their order. Quoting follows RFC 4180 (the `csv` crate);
//! values are the JSON's exact decimal strings, days ISO 8601, a metric without a value an
//! empty field.
//!
//! Text that a spreadsheet would run as a formula (a campaign named `=HYPERLINK(…)`) is
//! written with a leading `'`, as OWASP advises for CSV files opened in spreadsheets: names
//! come from whoever edits the ad account, the file is opened by every member.

use super::{Aggregate, Metric, ObjectFields, value};

/// The columns besides the metrics: which object fields, and the breakdown's dimensions
/// (`age`, `gender`; none for unbroken rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvShape<'a> {
    /// Written as every row's `date` instead of its period (`granularity=total`).
    pub label: Option<&'a str>,
    pub objects: ObjectFields,
    pub breakdown_keys: &'a [&'a str],
}

/// Writes CSV records into a byte buffer, one batch of rows at a time.
pub struct CsvRows<'a> {
    shape: CsvShape<'a>,
    metrics: &'a [Metric],
    dp: u32,
}

impl<'a> CsvRows<'a> {
    pub fn new(shape: CsvShape<'a>, metrics: &'a [Metric], dp: u32) -> Self {
        CsvRows { shape, metrics, dp }
    }

    /// The header record.
    pub fn header(&self) -> Vec<u8> {
        let mut names: Vec<&str> = vec!["date", "id", "name"];
        match self.shape.objects {
            ObjectFields::None => {}
            ObjectFields::Status => names.extend(["status", "effective_status"]),
            ObjectFields::WithObjective => names.extend(["status", "effective_status", "objective"]),
        }
        names.extend(self.shape.breakdown_keys);
        names.extend(self.metrics.iter().map(|m| m.name.as_str()));
        let mut w = csv::Writer::from_writer(Vec::new());
        // Writing into a `Vec` cannot fail.
        let _ = w.write_record(&names);
        w.into_inner().unwrap_or_default()
    }

    /// The records of `rows`, in their order.
    pub fn records(&self, rows: &[Aggregate]) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::with_capacity(rows.len() * (48 + 12 * self.metrics.len())));
        let mut field = Vec::with_capacity(32);
        for a in rows {
            let mut record = csv::ByteRecord::new();
            match (self.shape.label, a.period) {
                (Some(label), _) => record.push_field(label.as_bytes()),
                (None, Some(day)) => {
                    field.clear();
                    super::rows_json::iso_date(day, &mut field);
                    record.push_field(&field);
                }
                (None, None) => record.push_field(b""),
            }
            push_text(&mut record, &a.object_id);
            push_text(&mut record, a.name.as_deref().unwrap_or(""));
            if self.shape.objects != ObjectFields::None {
                push_text(&mut record, a.info.status.as_deref().unwrap_or(""));
                push_text(&mut record, a.info.effective_status.as_deref().unwrap_or(""));
            }
            if self.shape.objects == ObjectFields::WithObjective {
                push_text(&mut record, a.info.objective.as_deref().unwrap_or(""));
            }
            if !self.shape.breakdown_keys.is_empty() {
                let values = crate::breakdowns::values(&a.breakdown);
                for key in self.shape.breakdown_keys {
                    let v = values.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
                    push_text(&mut record, v.unwrap_or(""));
                }
            }
            for metric in self.metrics {
                field.clear();
                if let Some(v) = value(a, metric) {
                    v.write(self.dp, &mut field);
                }
                record.push_field(&field);
            }
            let _ = w.write_byte_record(&record);
        }
        w.into_inner().unwrap_or_default()
    }
}

/// Text as a field, with a leading `'` where a spreadsheet would read a formula.
fn push_text(record: &mut csv::ByteRecord, text: &str) {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        let mut guarded = Vec::with_capacity(text.len() + 1);
        guarded.push(b'\'');
        guarded.extend_from_slice(text.as_bytes());
        record.push_field(&guarded);
    } else {
        record.push_field(text.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::reporting::query::ObjectInfo;
    use crate::reporting::tests::metrics as parse_names;

    fn row(day: &str, id: &str, name: &str, breakdown: &str) -> Aggregate {
        Aggregate {
            period: Some(day.parse::<NaiveDate>().expect("day")),
            object_id: id.into(),
            breakdown: breakdown.into(),
            name: Some(name.into()),
            info: ObjectInfo {
                status: Some("ACTIVE".into()),
                effective_status: Some("ACTIVE".into()),
                objective: Some("OUTCOME_SALES".into()),
            },
            impressions: 1234,
            clicks: 7,
            spend_micros: 12_345_678,
            ..Aggregate::default()
        }
    }

    /// Every record reads back with the `csv` crate as the fields written: quotes, commas
    /// and line breaks in names survive, formulas are defused, empty metrics stay empty.
    #[test]
    fn records_read_back_field_for_field() {
        let metrics = parse_names(&["impressions", "spend", "cpc", "purchases", "cost_per_purchase"]);
        let shape = CsvShape {
            label: None,
            objects: ObjectFields::WithObjective,
            breakdown_keys: &["age", "gender"],
        };
        let csv_rows = CsvRows::new(shape, &metrics, 2);
        let rows = [
            row(
                "2026-03-01",
                "c1",
                "Spring, \"big\" sale\nline two",
                "age=25-34&gender=female",
            ),
            row(
                "2026-03-02",
                "c2",
                "=HYPERLINK(\"http://evil.example\")",
                "age=65%2B&gender=male",
            ),
        ];
        let mut text = csv_rows.header();
        text.extend(csv_rows.records(&rows));
        let mut reader = csv::Reader::from_reader(text.as_slice());
        let header: Vec<String> = reader.headers().expect("header").iter().map(String::from).collect();
        assert_eq!(
            header,
            [
                "date",
                "id",
                "name",
                "status",
                "effective_status",
                "objective",
                "age",
                "gender",
                "impressions",
                "spend",
                "cpc",
                "purchases",
                "cost_per_purchase"
            ]
        );
        let records: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.expect("record").iter().map(String::from).collect())
            .collect();
        assert_eq!(
            records[0],
            [
                "2026-03-01",
                "c1",
                "Spring, \"big\" sale\nline two",
                "ACTIVE",
                "ACTIVE",
                "OUTCOME_SALES",
                "25-34",
                "female",
                "1234",
                "12.35",
                "1.7637",
                "0",
                ""
            ]
        );
        assert_eq!(records[1][2], "'=HYPERLINK(\"http://evil.example\")");
        assert_eq!(records[1][6], "65+");
        assert_eq!(records.len(), 2);
    }

    #[test]
    fn a_label_replaces_the_period_and_accounts_have_no_status_columns() {
        let metrics = parse_names(&["clicks"]);
        let shape = CsvShape {
            label: Some("2026-03-01..2026-03-31"),
            objects: ObjectFields::None,
            breakdown_keys: &[],
        };
        let csv_rows = CsvRows::new(shape, &metrics, 0);
        assert_eq!(csv_rows.header(), b"date,id,name,clicks\n");
        assert_eq!(
            csv_rows.records(&[row("2026-03-05", "act_1", "Main", "")]),
            b"2026-03-01..2026-03-31,act_1,Main,7\n"
        );
    }
}
