//! How a long export is read: in ranges of whole periods, oldest first, so each range is
//! one bounded metrics query and the export's memory does not grow with its length.

use chrono::{Datelike, Days, NaiveDate};

use crate::dates::DateRange;
use crate::reporting::query::Granularity;

/// Days of daily rows read at once.
const DAYS_PER_READ: u64 = 31;
/// Weeks of weekly rows read at once.
const WEEKS_PER_READ: u64 = 5;

/// `range` cut into consecutive ranges, oldest first, that never split a period of `g`
/// (weeks start on Monday, as the stored weeks do): every row of the export comes from
/// exactly one range. `Total` is one period, so one range.
pub fn export_ranges(range: DateRange, g: Granularity) -> Vec<DateRange> {
    let mut out = Vec::new();
    let mut start = range.since();
    loop {
        let end = match g {
            Granularity::Total => range.until(),
            Granularity::Day => start + Days::new(DAYS_PER_READ - 1),
            Granularity::Week => {
                let to_sunday = 6 - u64::from(start.weekday().num_days_from_monday());
                start + Days::new(to_sunday + 7 * (WEEKS_PER_READ - 1))
            }
            Granularity::Month => last_of_month(start),
        }
        .min(range.until());
        // Both ends lie within `range`, so the range is valid.
        out.extend(DateRange::new(start, end).ok());
        match end.succ_opt() {
            Some(next) if end < range.until() => start = next,
            _ => return out,
        }
    }
}

fn last_of_month(day: NaiveDate) -> NaiveDate {
    let first_of_next = day
        .with_day(1)
        .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
        .unwrap_or(NaiveDate::MAX);
    first_of_next.pred_opt().unwrap_or(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(since: &str, until: &str) -> DateRange {
        DateRange::new(since.parse().expect("since"), until.parse().expect("until")).expect("range")
    }

    /// The period a day falls in, as the metrics statement computes it.
    fn period(day: NaiveDate, g: Granularity) -> Option<NaiveDate> {
        match g {
            Granularity::Day => Some(day),
            Granularity::Week => day.checked_sub_days(Days::new(u64::from(day.weekday().num_days_from_monday()))),
            Granularity::Month => day.with_day(1),
            Granularity::Total => None,
        }
    }

    #[test]
    fn ranges_cover_every_day_once_and_never_split_a_period() {
        let cases = [
            range("2025-01-01", "2026-12-31"),
            range("2026-02-27", "2026-03-02"),
            range("2026-03-04", "2026-03-04"),
            range("2024-02-29", "2025-03-01"),
        ];
        for r in cases {
            for g in [
                Granularity::Day,
                Granularity::Week,
                Granularity::Month,
                Granularity::Total,
            ] {
                let parts = export_ranges(r, g);
                assert_eq!(parts.first().map(DateRange::since), Some(r.since()), "{r} {g:?}");
                assert_eq!(parts.last().map(DateRange::until), Some(r.until()), "{r} {g:?}");
                for pair in parts.windows(2) {
                    assert_eq!(
                        pair[0].until().succ_opt(),
                        Some(pair[1].since()),
                        "{r} {g:?}: contiguous"
                    );
                    assert_ne!(
                        period(pair[0].until(), g),
                        period(pair[1].since(), g),
                        "{r} {g:?}: a period split between {} and {}",
                        pair[0],
                        pair[1]
                    );
                }
                if g != Granularity::Total {
                    assert!(parts.iter().all(|p| p.days() <= 35), "{r} {g:?}: each read is bounded");
                }
            }
        }
        assert_eq!(
            export_ranges(range("2025-01-01", "2026-12-31"), Granularity::Month).len(),
            24
        );
        assert_eq!(
            export_ranges(range("2025-01-01", "2026-12-31"), Granularity::Total).len(),
            1
        );
    }
}
