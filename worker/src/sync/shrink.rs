//! Asking for less when Facebook asks for less. "Please reduce the amount of data you're asking
//! for" (code 1, or code 100 subcode 1504018) has no documented threshold: it depends on the
//! fields, the range and the account's size. A unit is fetched as *pieces*; a refused piece
//! gets smaller step by step (pages down to [`MIN_PAGE_SIZE`] rows, then halves of its days
//! down to one, then an async report run, then one campaign at a time), and the run fails only
//! when nothing smaller exists. What worked is remembered per ad account and level, so the
//! account's later chunks start there instead of being refused again.
//!
//! Pure decisions only; `fetch` carries them out.

use std::fmt;

use adsync_common::dates::DateRange;
use adsync_common::graph::{Level, MAX_PAGE_SIZE};

/// The smallest page asked for.
pub const MIN_PAGE_SIZE: u32 = 25;

/// How a piece's rows are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Via {
    /// Synchronous insights calls, page by page.
    Paged,
    /// An async report run, then its result pages.
    Report,
}

/// One request of a unit (and its pages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub range: DateRange,
    pub limit: u32,
    pub via: Via,
    /// Only this campaign's rows (`filtering` on `campaign.id`).
    pub campaign: Option<String>,
    /// Whether synchronous calls were refused at the smallest page and range: a report that
    /// fails then has nothing to fall back to but splitting.
    pub paged_exhausted: bool,
}

/// The next move after Facebook refused a piece as too much data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shrink {
    /// The same piece with smaller pages, from the refused page on.
    Limit(u32),
    /// The piece's days in two halves (older, newer), fetched from their start.
    Split(Piece, Piece),
    /// Another request for the piece's rows instead (an async report run; pages again after
    /// a planned report failed).
    Instead(Piece),
    /// The piece once per campaign of the account.
    ByCampaign,
    /// Nothing smaller exists.
    GiveUp,
}

/// Where a refusal came from: the request itself, or the pages of a report that was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Request,
    ReportPages,
}

impl Piece {
    /// A unit's range as its first piece, sized by what the account's level needs.
    pub fn new(range: DateRange, via: Via, sizing: &Sizing) -> Self {
        Piece {
            range,
            limit: sizing.limit,
            via: via.max(sizing.via),
            campaign: None,
            paged_exhausted: sizing.via == Via::Report,
        }
    }

    fn halves(&self) -> Option<(Piece, Piece)> {
        let (older, newer) = split(self.range)?;
        let part = |range| Piece { range, ..self.clone() };
        Some((part(older), part(newer)))
    }
}

/// The smaller request to try after `piece` was refused.
pub fn shrink(piece: &Piece, level: Level, refused: Refused) -> Shrink {
    let smaller_pages = (piece.limit / 2).max(MIN_PAGE_SIZE);
    let pages_can_shrink = piece.limit > MIN_PAGE_SIZE;
    match piece.via {
        Via::Paged if pages_can_shrink => Shrink::Limit(smaller_pages),
        Via::Paged => match piece.halves() {
            Some((older, newer)) => Shrink::Split(older, newer),
            None => Shrink::Instead(Piece {
                via: Via::Report,
                limit: MAX_PAGE_SIZE,
                paged_exhausted: true,
                ..piece.clone()
            }),
        },
        Via::Report if refused == Refused::ReportPages && pages_can_shrink => Shrink::Limit(smaller_pages),
        Via::Report => match piece.halves() {
            Some((older, newer)) => Shrink::Split(older, newer),
            None if piece.campaign.is_none() && level != Level::Account => Shrink::ByCampaign,
            None => Shrink::GiveUp,
        },
    }
}

/// A report run that failed without saying it was too big: a planned report falls back to
/// synchronous pages (the run is retried another way); one the ladder reached shrinks on.
pub fn report_failed(piece: &Piece, level: Level) -> Shrink {
    if piece.paged_exhausted {
        shrink(piece, level, Refused::Request)
    } else {
        Shrink::Instead(Piece {
            via: Via::Paged,
            ..piece.clone()
        })
    }
}

/// The pieces of one campaign each, for a piece split by campaign; they start as paged
/// requests again (one campaign's rows are far fewer).
pub fn by_campaign(piece: &Piece, campaigns: &[String]) -> Vec<Piece> {
    campaigns
        .iter()
        .map(|c| Piece {
            campaign: Some(c.clone()),
            via: Via::Paged,
            limit: MAX_PAGE_SIZE,
            paged_exhausted: false,
            ..piece.clone()
        })
        .collect()
}

/// What an account's level needs, learnt from the pieces that worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizing {
    pub limit: u32,
    /// The longest range that worked after a split; longer ones start split to it.
    pub max_days: Option<u32>,
    pub via: Via,
    pub by_campaign: bool,
}

impl Default for Sizing {
    fn default() -> Self {
        Sizing {
            limit: MAX_PAGE_SIZE,
            max_days: None,
            via: Via::Paged,
            by_campaign: false,
        }
    }
}

impl Sizing {
    /// Takes in a piece that worked after a refusal: later pieces start no bigger.
    pub fn learn(&mut self, worked: &Piece, was_split: bool) {
        self.limit = self.limit.min(worked.limit);
        if was_split {
            let days = worked.range.days().clamp(1, i64::from(u32::MAX)) as u32;
            self.max_days = Some(self.max_days.map_or(days, |d| d.min(days)));
        }
        if worked.via == Via::Report && worked.paged_exhausted {
            self.via = Via::Report;
        }
        if worked.campaign.is_some() {
            self.by_campaign = true;
        }
    }

    /// A unit's range in pieces no longer than what worked.
    pub fn ranges(&self, range: DateRange) -> Vec<DateRange> {
        match self.max_days {
            Some(days) if range.days() > i64::from(days) => range.chunks_newest_first(days),
            _ => vec![range],
        }
    }
}

/// What a run tried before giving up, for its error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tried {
    pub smallest_page: Option<u32>,
    pub fewest_days: Option<i64>,
    pub report: bool,
    pub by_campaign: bool,
}

impl Tried {
    pub fn note(&mut self, piece: &Piece) {
        self.smallest_page = Some(self.smallest_page.map_or(piece.limit, |l| l.min(piece.limit)));
        let days = piece.range.days();
        self.fewest_days = Some(self.fewest_days.map_or(days, |d| d.min(days)));
        self.report |= piece.via == Via::Report;
        self.by_campaign |= piece.campaign.is_some();
    }
}

impl fmt::Display for Tried {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(l) = self.smallest_page {
            parts.push(format!("pages down to {l} rows"));
        }
        if let Some(d) = self.fewest_days {
            parts.push(format!("ranges down to {d} day{}", if d == 1 { "" } else { "s" }));
        }
        if self.report {
            parts.push("an async report run".into());
        }
        if self.by_campaign {
            parts.push("one campaign at a time".into());
        }
        f.write_str(&parts.join(", "))
    }
}

/// Splits a range of two or more days into its older and newer halves.
pub fn split(range: DateRange) -> Option<(DateRange, DateRange)> {
    if range.days() < 2 {
        return None;
    }
    let mid = range.since() + chrono::Duration::days(range.days() / 2 - 1);
    let older = DateRange::new(range.since(), mid).ok()?;
    let newer = DateRange::new(mid.succ_opt()?, range.until()).ok()?;
    Some((older, newer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(since: &str, until: &str) -> DateRange {
        DateRange::new(since.parse().expect("day"), until.parse().expect("day")).expect("range")
    }

    fn paged(r: DateRange) -> Piece {
        Piece::new(r, Via::Paged, &Sizing::default())
    }

    /// Follows the ladder from a piece that is always refused, to the end.
    fn ladder(mut piece: Piece, level: Level) -> Vec<String> {
        let mut steps = Vec::new();
        loop {
            match shrink(&piece, level, Refused::Request) {
                Shrink::Limit(l) => {
                    steps.push(format!("limit {l}"));
                    piece.limit = l;
                }
                // Follow the newer half, as the newest days are fetched first.
                Shrink::Split(_, newer) => {
                    steps.push(format!("{} days", newer.range.days()));
                    piece = newer;
                }
                Shrink::Instead(p) => {
                    steps.push("report".into());
                    piece = p;
                }
                Shrink::ByCampaign => {
                    steps.push("by campaign".into());
                    piece = by_campaign(&piece, &["c1".into()]).remove(0);
                }
                Shrink::GiveUp => {
                    steps.push("give up".into());
                    return steps;
                }
            }
            assert!(steps.len() < 40, "the ladder ends: {steps:?}");
        }
    }

    #[test]
    fn pages_then_days_then_a_report_then_campaigns_then_nothing() {
        let steps = ladder(paged(range("2026-11-01", "2026-11-04")), Level::Ad);
        assert_eq!(
            steps,
            [
                "limit 250",
                "limit 125",
                "limit 62",
                "limit 31",
                "limit 25",
                "2 days",
                "1 days",
                "report",
                "by campaign",
                // The campaign's piece climbs down again: pages, then its report.
                "limit 250",
                "limit 125",
                "limit 62",
                "limit 31",
                "limit 25",
                "report",
                "give up",
            ]
        );
    }

    #[test]
    fn account_rows_cannot_be_split_by_campaign() {
        let steps = ladder(paged(range("2026-11-01", "2026-11-01")), Level::Account);
        assert_eq!(steps.last().map(String::as_str), Some("give up"));
        assert!(!steps.iter().any(|s| s == "by campaign"));
    }

    #[test]
    fn report_pages_shrink_before_the_report_is_given_up() {
        let report = Piece {
            via: Via::Report,
            paged_exhausted: true,
            ..paged(range("2026-11-01", "2026-11-01"))
        };
        assert_eq!(shrink(&report, Level::Ad, Refused::ReportPages), Shrink::Limit(250));
        assert_eq!(shrink(&report, Level::Ad, Refused::Request), Shrink::ByCampaign);
    }

    #[test]
    fn a_planned_report_that_fails_falls_back_to_pages() {
        let planned = paged(range("2026-10-01", "2026-10-30"));
        let planned = Piece {
            via: Via::Report,
            ..planned
        };
        match report_failed(&planned, Level::Ad) {
            Shrink::Instead(p) => assert_eq!((p.via, p.limit), (Via::Paged, MAX_PAGE_SIZE)),
            other => panic!("{other:?}"),
        }
        let reached = Piece {
            paged_exhausted: true,
            ..planned
        };
        assert!(matches!(report_failed(&reached, Level::Ad), Shrink::Split(..)));
    }

    #[test]
    fn what_worked_sizes_the_next_units() {
        let mut sizing = Sizing::default();
        let worked = Piece {
            limit: 125,
            ..paged(range("2026-11-01", "2026-11-03"))
        };
        sizing.learn(&worked, true);
        assert_eq!((sizing.limit, sizing.max_days, sizing.via), (125, Some(3), Via::Paged));
        let next = sizing.ranges(range("2026-10-01", "2026-10-10"));
        assert_eq!(next.len(), 4, "10 days in pieces of 3: {next:?}");
        assert_eq!(next[0].until(), "2026-10-10".parse().expect("day"), "newest first");
        let piece = Piece::new(next[0], Via::Paged, &sizing);
        assert_eq!(piece.limit, 125);
        // A bigger piece working later never grows the sizing back.
        sizing.learn(&paged(range("2026-09-01", "2026-09-30")), false);
        assert_eq!((sizing.limit, sizing.max_days), (125, Some(3)));
        let report = Piece {
            via: Via::Report,
            paged_exhausted: true,
            campaign: Some("c1".into()),
            ..worked
        };
        sizing.learn(&report, false);
        assert_eq!((sizing.via, sizing.by_campaign), (Via::Report, true));
        let next = Piece::new(range("2026-08-01", "2026-08-01"), Via::Paged, &sizing);
        assert_eq!((next.via, next.paged_exhausted), (Via::Report, true));
    }

    #[test]
    fn the_error_says_what_was_tried() {
        let mut tried = Tried::default();
        tried.note(&paged(range("2026-11-01", "2026-11-08")));
        tried.note(&Piece {
            limit: 25,
            via: Via::Report,
            campaign: Some("c".into()),
            ..paged(range("2026-11-08", "2026-11-08"))
        });
        assert_eq!(
            tried.to_string(),
            "pages down to 25 rows, ranges down to 1 day, an async report run, one campaign at a time"
        );
    }

    #[test]
    fn halves_cover_the_range() {
        let (older, newer) = split(range("2026-11-01", "2026-11-05")).expect("split");
        assert_eq!((older.days(), newer.days()), (2, 3));
        assert_eq!(older.until().succ_opt(), Some(newer.since()));
        assert!(split(range("2026-11-01", "2026-11-01")).is_none());
    }
}
