//! Fetching one piece of a unit as a state machine: what to ask Facebook next, and what to do
//! with its answer. Pure: `fetch` carries out each move (the calls, the writes, the waits)
//! and feeds back what came of it, so the three recoveries (ask again, step down, hand over
//! to smaller pieces) are decided here, in one place, and tested without a server.
//!
//! ```text
//!            ┌────────── ReportReady ─────────┐
//!   (report) StartReport                      ▼
//!   (paged) ─────────────────────────────▶ Page{after} ── PageWorked{next: Some} ──▶ Page{next}
//!                                             │                └─ {next: None} ──▶ Done
//!        refused (too much data, report failed)│
//!   ┌─────────────────────────────────────────┘
//!   ├─ asked again?     ──▶ AskAgain(n) ──▶ the same ask
//!   ├─ smaller pages    ──▶ the same ask, from the refused page on
//!   └─ smaller pieces   ──▶ Replace / ByCampaign / GiveUp
//! ```

use adsync_common::graph::Level;

use super::shrink::{self, Piece, Refused, Regrowth, Shrink, Via};

/// What to ask Facebook for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask<'a> {
    /// Start an async report run for the piece and wait for it.
    StartReport,
    /// A page of `limit` rows (the piece's page size): of the report run when there is one,
    /// else a synchronous call.
    Page {
        report: Option<&'a str>,
        after: Option<&'a str>,
        limit: u32,
    },
}

/// What came of an [`Ask`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The report run completed; its pages can be read.
    ReportReady(String),
    /// Facebook failed the report run as too much data.
    ReportTooBig,
    /// The report run failed or was skipped for another reason.
    ReportFailed,
    /// Facebook refused the page as too much data.
    Refused(Refused),
    /// The page came back (and was written); `next` is the cursor of the one after it.
    PageWorked { next: Option<String> },
}

/// What the account's level knows when an answer comes (it changes while pieces of other
/// units run, so it is read anew each time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    /// Whether requests as big as the piece's worked before ([`shrink::Sizing::proven`]).
    pub proven: bool,
    /// The page size the level asks for now: pages never grow past it.
    pub limit: u32,
}

/// The next move after an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Move {
    /// Ask for [`PieceFetch::ask`].
    Ask,
    /// Back off (attempt `n`), then ask the same again: Facebook refuses under load too.
    AskAgain(u32),
    /// Every page of the piece is written.
    Done,
    /// Fetch these pieces instead (pushed in order: the last is fetched first).
    Replace(Vec<Piece>),
    /// Fetch the piece once per campaign of the account.
    ByCampaign,
    /// Nothing smaller exists: the unit fails.
    GiveUp,
}

/// One piece in flight.
#[derive(Debug, Clone)]
pub struct PieceFetch {
    piece: Piece,
    level: Level,
    report: Option<String>,
    after: Option<String>,
    growth: Regrowth,
    /// Whether the piece is smaller than the unit's sizing asked for: the next page that
    /// works is then learnt from.
    to_learn: bool,
    asked_again: u32,
}

impl PieceFetch {
    /// `smaller`: the piece is already smaller than what its unit started with (a split,
    /// smaller pages, another way of reading), so its first page that works is learnt from.
    pub fn new(piece: Piece, level: Level, smaller: bool) -> Self {
        PieceFetch {
            piece,
            level,
            report: None,
            after: None,
            growth: Regrowth::default(),
            to_learn: smaller,
            asked_again: 0,
        }
    }

    pub fn piece(&self) -> &Piece {
        &self.piece
    }

    pub fn ask(&self) -> Ask<'_> {
        if self.piece.via == Via::Report && self.report.is_none() {
            return Ask::StartReport;
        }
        Ask::Page {
            report: self.report.as_deref(),
            after: self.after.as_deref(),
            limit: self.piece.limit,
        }
    }

    /// Whether the page that just worked is to be learnt from (once per change of size);
    /// asked before [`Answer::PageWorked`] is passed on.
    pub fn lesson(&mut self) -> bool {
        std::mem::take(&mut self.to_learn)
    }

    pub fn on(&mut self, answer: Answer, known: Known) -> Move {
        let (next, refused_for_size) = match answer {
            Answer::ReportReady(id) => {
                self.report = Some(id);
                return Move::Ask;
            }
            Answer::PageWorked { next } => {
                self.asked_again = 0;
                return match next {
                    Some(cursor) => {
                        self.after = Some(cursor);
                        self.piece.limit = self.growth.worked(self.piece.limit, known.limit);
                        Move::Ask
                    }
                    None => Move::Done,
                };
            }
            Answer::ReportTooBig => (shrink::shrink(&self.piece, self.level, Refused::Request), true),
            Answer::ReportFailed => (shrink::report_failed(&self.piece, self.level), false),
            Answer::Refused(refused) => (shrink::shrink(&self.piece, self.level, refused), true),
        };
        // A refusal may be chance: a request of a size that worked is asked again before a
        // step down, the smallest before giving up. A failed report run is not a refusal.
        if refused_for_size && self.asked_again < shrink::asks_before(&next, known.proven) {
            self.asked_again += 1;
            return Move::AskAgain(self.asked_again);
        }
        match next {
            Shrink::Limit(limit) => {
                self.asked_again = 0;
                self.growth.refused();
                // Straight to what another piece of the level already found works.
                self.piece.limit = limit.min(known.limit);
                self.to_learn = true;
                Move::Ask
            }
            Shrink::Split(older, newer) => Move::Replace(vec![older, newer]),
            Shrink::Instead(other) => Move::Replace(vec![other]),
            Shrink::ByCampaign => Move::ByCampaign,
            Shrink::GiveUp => Move::GiveUp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::shrink::{GROW_AFTER_PAGES, MIN_PAGE_SIZE, RETRIES_AT_SMALLEST, Sizing};
    use adsync_common::dates::DateRange;
    use adsync_common::graph::MAX_PAGE_SIZE;

    const FRESH: Known = Known {
        proven: false,
        limit: MAX_PAGE_SIZE,
    };
    const PROVEN: Known = Known {
        proven: true,
        limit: MAX_PAGE_SIZE,
    };

    fn range(since: &str, until: &str) -> DateRange {
        DateRange::new(since.parse().expect("day"), until.parse().expect("day")).expect("range")
    }

    fn fetch(via: Via) -> PieceFetch {
        let piece = Piece::new(range("2026-11-01", "2026-11-04"), via, &Sizing::default());
        PieceFetch::new(piece, Level::Ad, false)
    }

    fn worked(next: Option<&str>) -> Answer {
        Answer::PageWorked {
            next: next.map(str::to_string),
        }
    }

    #[test]
    fn pages_follow_their_cursors_to_the_end() {
        let mut f = fetch(Via::Paged);
        assert_eq!(
            f.ask(),
            Ask::Page {
                report: None,
                after: None,
                limit: MAX_PAGE_SIZE
            }
        );
        assert!(!f.lesson(), "a piece of the unit's own size teaches nothing");
        assert_eq!(f.on(worked(Some("c1")), FRESH), Move::Ask);
        assert_eq!(
            f.ask(),
            Ask::Page {
                report: None,
                after: Some("c1"),
                limit: MAX_PAGE_SIZE
            }
        );
        assert_eq!(f.on(worked(None), FRESH), Move::Done);
    }

    #[test]
    fn a_refused_page_is_asked_again_smaller_from_where_it_was_and_learnt_from() {
        let mut f = fetch(Via::Paged);
        f.on(worked(Some("c1")), FRESH);
        assert_eq!(f.on(Answer::Refused(Refused::Request), FRESH), Move::Ask);
        assert_eq!(
            f.ask(),
            Ask::Page {
                report: None,
                after: Some("c1"),
                limit: MAX_PAGE_SIZE / 2
            },
            "the refused page, not the first"
        );
        assert!(f.lesson(), "the smaller page that works is learnt from");
        assert!(!f.lesson(), "once");
    }

    #[test]
    fn pages_never_start_bigger_than_the_level_already_found_works() {
        let mut f = fetch(Via::Paged);
        let known = Known {
            proven: false,
            limit: 100,
        };
        assert_eq!(f.on(Answer::Refused(Refused::Request), known), Move::Ask);
        assert!(matches!(f.ask(), Ask::Page { limit: 100, .. }));
    }

    #[test]
    fn a_size_that_worked_is_asked_again_once_before_a_step_down() {
        let mut f = fetch(Via::Paged);
        assert_eq!(f.on(Answer::Refused(Refused::Request), PROVEN), Move::AskAgain(1));
        assert!(
            matches!(
                f.ask(),
                Ask::Page {
                    limit: MAX_PAGE_SIZE,
                    ..
                }
            ),
            "the same ask"
        );
        assert_eq!(f.on(Answer::Refused(Refused::Request), PROVEN), Move::Ask);
        assert!(matches!(f.ask(), Ask::Page { limit, .. } if limit == MAX_PAGE_SIZE / 2));
        // A page that works resets the count: the next refusal is asked again too.
        f.on(worked(Some("c1")), PROVEN);
        assert_eq!(f.on(Answer::Refused(Refused::Request), PROVEN), Move::AskAgain(1));
    }

    #[test]
    fn the_smallest_request_is_asked_again_before_the_unit_gives_up() {
        let piece = Piece {
            limit: MIN_PAGE_SIZE,
            via: Via::Report,
            campaign: Some("c1".into()),
            paged_exhausted: true,
            ..Piece::new(range("2026-11-04", "2026-11-04"), Via::Paged, &Sizing::default())
        };
        let mut f = PieceFetch::new(piece, Level::Ad, true);
        assert_eq!(f.ask(), Ask::StartReport);
        for attempt in 1..=RETRIES_AT_SMALLEST {
            assert_eq!(f.on(Answer::ReportTooBig, FRESH), Move::AskAgain(attempt));
            assert_eq!(f.ask(), Ask::StartReport, "the report is started again");
        }
        assert_eq!(f.on(Answer::ReportTooBig, FRESH), Move::GiveUp);
    }

    #[test]
    fn a_report_is_started_then_paged() {
        let mut f = fetch(Via::Report);
        assert_eq!(f.ask(), Ask::StartReport);
        assert_eq!(f.on(Answer::ReportReady("r1".into()), FRESH), Move::Ask);
        assert_eq!(
            f.ask(),
            Ask::Page {
                report: Some("r1"),
                after: None,
                limit: MAX_PAGE_SIZE
            }
        );
        // Its pages refused: smaller pages of the same report.
        assert_eq!(f.on(Answer::Refused(Refused::ReportPages), FRESH), Move::Ask);
        assert!(matches!(f.ask(), Ask::Page { report: Some("r1"), limit, .. } if limit == MAX_PAGE_SIZE / 2));
    }

    #[test]
    fn a_planned_report_that_fails_goes_back_to_pages_at_once() {
        let mut f = fetch(Via::Report);
        match f.on(Answer::ReportFailed, PROVEN) {
            Move::Replace(pieces) => {
                assert_eq!(pieces.len(), 1);
                assert_eq!(pieces[0].via, Via::Paged);
                assert_eq!(pieces[0].range, f.piece().range);
            }
            other => panic!("expected the piece as pages, got {other:?}"),
        }
    }

    #[test]
    fn the_smallest_page_refused_splits_the_days_newest_fetched_first() {
        let piece = Piece {
            limit: MIN_PAGE_SIZE,
            ..Piece::new(range("2026-11-01", "2026-11-04"), Via::Paged, &Sizing::default())
        };
        let mut f = PieceFetch::new(piece, Level::Ad, false);
        match f.on(Answer::Refused(Refused::Request), FRESH) {
            Move::Replace(pieces) => {
                let ranges: Vec<DateRange> = pieces.iter().map(|p| p.range).collect();
                assert_eq!(
                    ranges,
                    [range("2026-11-01", "2026-11-02"), range("2026-11-03", "2026-11-04")],
                    "pushed oldest first, so the newest half is fetched first"
                );
            }
            other => panic!("expected halves, got {other:?}"),
        }
    }

    #[test]
    fn a_one_day_report_refused_goes_one_campaign_at_a_time() {
        let piece = Piece {
            via: Via::Report,
            paged_exhausted: true,
            ..Piece::new(range("2026-11-04", "2026-11-04"), Via::Paged, &Sizing::default())
        };
        let mut f = PieceFetch::new(piece, Level::Ad, true);
        assert_eq!(f.on(Answer::ReportTooBig, FRESH), Move::ByCampaign);
    }

    #[test]
    fn shrunk_pages_grow_back_after_a_streak_never_past_the_level() {
        let mut f = fetch(Via::Paged);
        f.on(Answer::Refused(Refused::Request), FRESH);
        let shrunk = MAX_PAGE_SIZE / 2;
        for _ in 1..GROW_AFTER_PAGES {
            f.on(worked(Some("c")), FRESH);
            assert!(matches!(f.ask(), Ask::Page { limit, .. } if limit == shrunk));
        }
        f.on(worked(Some("c")), FRESH);
        assert!(
            matches!(
                f.ask(),
                Ask::Page {
                    limit: MAX_PAGE_SIZE,
                    ..
                }
            ),
            "doubled"
        );

        let mut f = fetch(Via::Paged);
        f.on(Answer::Refused(Refused::Request), FRESH);
        let level = Known {
            proven: false,
            limit: shrunk,
        };
        for _ in 0..2 * GROW_AFTER_PAGES {
            f.on(worked(Some("c")), level);
        }
        assert!(
            matches!(f.ask(), Ask::Page { limit, .. } if limit == shrunk),
            "the level's limit caps it"
        );
    }
}
