//! Calendar days and ranges of them. Ad data is reported per day in the ad account's time
//! zone, so these are plain dates; the zone travels with the account, not the date.

use chrono::{Days, NaiveDate};

/// How far back Facebook keeps insights.
pub const MAX_HISTORY_MONTHS: u32 = 37;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DateError {
    #[error("{field}: expected a date as YYYY-MM-DD, got {value:?}")]
    Malformed { field: &'static str, value: String },
    #[error("since ({since}) is after until ({until})")]
    Reversed { since: NaiveDate, until: NaiveDate },
    #[error("the range {since}..{until} spans more than {MAX_HISTORY_MONTHS} months")]
    TooLong { since: NaiveDate, until: NaiveDate },
}

/// Days kept off the oldest edge of a history limit. Facebook counts its 37 months (and the
/// 13 months of reach by breakdown) back from *its* date, not the account's, and refuses a
/// start a day too old (code 100, subcode 1487534). Its date can be up to two calendar days
/// ahead of the account's (an account at UTC−12 against a clock at UTC+14).
const EDGE_DAYS: u64 = 2;

/// The oldest day a request may start on when Facebook keeps `months` of history, seen
/// from the account's `today`: safe whatever time zone Facebook's clock is in. The days are
/// added before the months are taken off (months differ in length: 2024-02-28 + 2 days is
/// 2024-03-01, whose 37 months reach back to 2021-02-01, not 2021-01-28 + 2 days).
pub fn oldest_day(today: NaiveDate, months: u32) -> NaiveDate {
    today
        .checked_add_days(chrono::Days::new(EDGE_DAYS))
        .and_then(|d| d.checked_sub_months(chrono::Months::new(months)))
        .unwrap_or(today)
}

/// Optional bounds (a resync's `since` and `until`), each a day; given both, they must make
/// a [`DateRange`].
pub fn parse_bounds(
    since: Option<&str>,
    until: Option<&str>,
) -> Result<(Option<NaiveDate>, Option<NaiveDate>), DateError> {
    let since = since.map(|s| parse_day("since", s)).transpose()?;
    let until = until.map(|u| parse_day("until", u)).transpose()?;
    if let (Some(s), Some(u)) = (since, until) {
        DateRange::new(s, u)?;
    }
    Ok((since, until))
}

/// The days a report covers when its bounds are optional: `until` defaults to `today`,
/// `since` to 29 days before `until` (30 days in all). Not checked as a [`DateRange`].
pub fn bounds_or_default(
    since: Option<&str>,
    until: Option<&str>,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), DateError> {
    let until = until.map(|u| parse_day("until", u)).transpose()?.unwrap_or(today);
    let since = match since {
        Some(s) => parse_day("since", s)?,
        None => DateRange::ending(until, 30).since(),
    };
    Ok((since, until))
}

pub fn parse_day(field: &'static str, raw: &str) -> Result<NaiveDate, DateError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| DateError::Malformed {
        field,
        value: raw.to_string(),
    })
}

/// An inclusive range of days, `since <= until`, at most 37 months long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    since: NaiveDate,
    until: NaiveDate,
}

/// `2026-11-01`, or `2026-11-01..2026-11-07` (both days included).
impl std::fmt::Display for DateRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.since == self.until {
            write!(f, "{}", self.since)
        } else {
            write!(f, "{}..{}", self.since, self.until)
        }
    }
}

impl DateRange {
    pub fn new(since: NaiveDate, until: NaiveDate) -> Result<Self, DateError> {
        if since > until {
            return Err(DateError::Reversed { since, until });
        }
        let earliest = until
            .checked_sub_months(chrono::Months::new(MAX_HISTORY_MONTHS))
            .unwrap_or(NaiveDate::MIN);
        if since < earliest {
            return Err(DateError::TooLong { since, until });
        }
        Ok(Self { since, until })
    }

    /// The `days` days ending at `until` (inclusive).
    pub fn ending(until: NaiveDate, days: u32) -> Self {
        let since = until
            .checked_sub_days(Days::new(u64::from(days.max(1)) - 1))
            .unwrap_or(until);
        Self { since, until }
    }

    pub fn since(&self) -> NaiveDate {
        self.since
    }

    pub fn until(&self) -> NaiveDate {
        self.until
    }

    pub fn days(&self) -> i64 {
        (self.until - self.since).num_days() + 1
    }

    /// Consecutive chunks of at most `size` days, newest first (so recent data lands first).
    pub fn chunks_newest_first(&self, size: u32) -> Vec<DateRange> {
        let mut out = Vec::new();
        let mut end = self.until;
        loop {
            let start = end
                .checked_sub_days(Days::new(u64::from(size.max(1)) - 1))
                .unwrap_or(self.since)
                .max(self.since);
            out.push(DateRange {
                since: start,
                until: end,
            });
            match start.pred_opt() {
                Some(prev) if start > self.since => end = prev,
                _ => break,
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_day("d", s).expect("date")
    }

    #[test]
    fn the_oldest_day_is_inside_facebooks_history_whatever_its_clock_says() {
        // Facebook's date is the account's, or up to two days ahead of it (UTC−12 against
        // UTC+14). Every day of five years, leap days and month ends included.
        let mut today = d("2024-01-01");
        while today <= d("2028-12-31") {
            for months in [MAX_HISTORY_MONTHS, 13] {
                let oldest = oldest_day(today, months);
                for ahead in 0..=2 {
                    let facebook_today = today + chrono::Days::new(ahead);
                    let facebook_limit = facebook_today - chrono::Months::new(months);
                    assert!(
                        oldest >= facebook_limit,
                        "{today} +{ahead}d, {months} months: {oldest} is before {facebook_limit}"
                    );
                }
                let loss = (oldest - (today - chrono::Months::new(months))).num_days();
                assert!(
                    (0..=5).contains(&loss),
                    "{today}, {months} months: {loss} days given up"
                );
            }
            today = today.succ_opt().expect("date");
        }
    }

    #[test]
    fn missing_report_bounds_are_the_30_days_up_to_today() {
        let today = d("2026-11-20");
        assert_eq!(bounds_or_default(None, None, today), Ok((d("2026-10-22"), today)));
        assert_eq!(
            bounds_or_default(None, Some("2026-03-01"), today),
            Ok((d("2026-01-31"), d("2026-03-01")))
        );
        assert_eq!(
            bounds_or_default(Some("2026-11-01"), None, today),
            Ok((d("2026-11-01"), today))
        );
        assert!(matches!(
            bounds_or_default(Some("1 Nov"), None, today),
            Err(DateError::Malformed { field: "since", .. })
        ));
    }

    #[test]
    fn bounds_are_each_optional_and_together_a_range() {
        assert_eq!(parse_bounds(None, None), Ok((None, None)));
        assert_eq!(
            parse_bounds(Some("2026-11-01"), None),
            Ok((Some(d("2026-11-01")), None))
        );
        assert_eq!(
            parse_bounds(Some(" 2026-11-01"), Some("2026-11-02 ")),
            Ok((Some(d("2026-11-01")), Some(d("2026-11-02"))))
        );
        assert!(matches!(
            parse_bounds(Some("2026-11-02"), Some("2026-11-01")),
            Err(DateError::Reversed { .. })
        ));
        assert!(matches!(
            parse_bounds(None, Some("11/02/2026")),
            Err(DateError::Malformed { field: "until", .. })
        ));
        assert!(matches!(
            parse_bounds(Some("2020-01-01"), Some("2026-01-01")),
            Err(DateError::TooLong { .. })
        ));
    }

    #[test]
    fn parses_and_rejects() {
        assert_eq!(d("2026-01-31"), NaiveDate::from_ymd_opt(2026, 1, 31).expect("valid"));
        for bad in ["", "2026-02-30", "31.01.2026", "2026-1-1x", "yesterday"] {
            assert!(parse_day("since", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ranges_are_checked() {
        assert!(matches!(
            DateRange::new(d("2026-02-01"), d("2026-01-01")),
            Err(DateError::Reversed { .. })
        ));
        assert!(matches!(
            DateRange::new(d("2020-01-01"), d("2026-01-01")),
            Err(DateError::TooLong { .. })
        ));
        let r = DateRange::new(d("2026-01-01"), d("2026-01-31")).expect("ok");
        assert_eq!(r.days(), 31);
        assert_eq!(DateRange::ending(d("2026-01-31"), 28).since(), d("2026-01-04"));
    }

    #[test]
    fn chunks_cover_the_range_newest_first_without_overlap() {
        let r = DateRange::new(d("2026-01-01"), d("2026-01-31")).expect("ok");
        let chunks = r.chunks_newest_first(7);
        assert_eq!(chunks.len(), 5);
        assert_eq!(chunks[0].until(), d("2026-01-31"));
        assert_eq!(chunks[0].since(), d("2026-01-25"));
        assert_eq!(chunks.last().map(|c| c.since()), Some(d("2026-01-01")));
        assert_eq!(chunks.iter().map(DateRange::days).sum::<i64>(), 31);
        assert_eq!(
            DateRange::new(d("2026-01-01"), d("2026-01-01"))
                .expect("one")
                .chunks_newest_first(7)
                .len(),
            1
        );
    }
}
