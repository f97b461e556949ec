//! Asking for less when Facebook asks for less. "Please reduce the amount of data you're asking
//! for" (code 1, or code 100 subcode 1504018) has no documented threshold: it depends on the
//! fields, the range and the account's size. A unit is fetched as *pieces*; a refused piece
//! gets smaller step by step (pages down to [`MIN_PAGE_SIZE`] rows, then halves of its days
//! down to one, then an async report run, then one campaign at a time), and the run fails only
//! when nothing smaller exists. What worked is remembered per ad account and level, so the
//! account's later chunks start there instead of being refused again.
//!
//! A refusal is not always about size: Facebook also refuses under load, at random. So a
//! refused request no bigger than one that worked is asked again before a step down
//! ([`asks_before`]), the smallest [`RETRIES_AT_SMALLEST`] times before the run gives up; and
//! sizes grow back when the refusals were passing ones after all: a shrunk piece asks for
//! twice the rows after [`GROW_AFTER_PAGES`] pages in a row worked ([`Regrowth`]), and after
//! units that needed no shrinking one unit tries the account's sizing a step relaxed
//! ([`Sizing::relax`], [`Sizing::for_unit`]). A growth or a trial refused again doubles the
//! successes the next one waits for, so a real threshold costs a few refusals in all, not one
//! per chunk.
//!
//! Pure decisions only; `fetch` carries them out.

use adsync_common::dates::DateRange;
use adsync_common::graph::{Level, MAX_PAGE_SIZE};

/// The smallest page asked for.
pub const MIN_PAGE_SIZE: u32 = 25;

/// Pages in a row that worked after which a shrunk piece asks for twice the rows again.
pub const GROW_AFTER_PAGES: u32 = 8;

/// Units in a row that needed no shrinking after which an account's sizing relaxes a step.
pub const RELAX_AFTER_UNITS: u32 = 4;

/// Times the smallest request is asked again before the run gives up on it.
pub const RETRIES_AT_SMALLEST: u32 = 3;

/// Longer ranges than this are never kept split once the sizing has relaxed to them.
const MAX_KEPT_DAYS: u32 = 366;

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

/// How many times a refused request is asked again before `next` is taken. A request no
/// bigger than one that worked (`proven`) was likely refused by chance (Facebook refuses
/// under load too): it is asked once more before a step down. A bigger one was likely too
/// big: the step is taken at once. The smallest is asked [`RETRIES_AT_SMALLEST`] times
/// before the run gives up.
pub fn asks_before(next: &Shrink, proven: bool) -> u32 {
    match next {
        Shrink::GiveUp => RETRIES_AT_SMALLEST,
        _ => u32::from(proven),
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

/// A piece's page size growing back after Facebook asked for less.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regrowth {
    /// Pages that worked since the last change of size.
    streak: u32,
    /// Pages that must work before the next growth.
    needed: u32,
    /// Whether the size grew and no page has worked at it yet.
    just_grew: bool,
}

impl Default for Regrowth {
    fn default() -> Self {
        Regrowth {
            streak: 0,
            needed: GROW_AFTER_PAGES,
            just_grew: false,
        }
    }
}

impl Regrowth {
    /// A page of `limit` rows worked: the page size to ask for next, never beyond `ceiling`
    /// (what the account's level asks for now).
    pub fn worked(&mut self, limit: u32, ceiling: u32) -> u32 {
        self.just_grew = false;
        if limit >= ceiling {
            return limit;
        }
        self.streak += 1;
        if self.streak < self.needed {
            return limit;
        }
        self.streak = 0;
        self.just_grew = true;
        limit.saturating_mul(2).min(ceiling)
    }

    /// A page was refused: a refusal right after growing makes the next growth wait twice as
    /// long (the size is likely a real threshold, not chance).
    pub fn refused(&mut self) {
        if self.just_grew {
            self.needed = self.needed.saturating_mul(2);
        }
        self.just_grew = false;
        self.streak = 0;
    }
}

/// What an account's level needs, learnt from the pieces that worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizing {
    pub limit: u32,
    /// The longest range that worked after a split; longer ones start split to it.
    pub max_days: Option<u32>,
    pub via: Via,
    pub by_campaign: bool,
    /// Units in a row that needed no shrinking.
    clean_units: u32,
    /// Clean units needed before the next relaxing step.
    relax_after: u32,
    /// Whether a relaxing step waits for a unit to try it (see [`Sizing::for_unit`]).
    trial_ready: bool,
    /// The biggest page and the longest range that worked (see [`Sizing::proven`]).
    worked_limit: u32,
    worked_days: i64,
}

impl Default for Sizing {
    fn default() -> Self {
        Sizing {
            limit: MAX_PAGE_SIZE,
            max_days: None,
            via: Via::Paged,
            by_campaign: false,
            clean_units: 0,
            relax_after: RELAX_AFTER_UNITS,
            trial_ready: false,
            worked_limit: 0,
            worked_days: 0,
        }
    }
}

impl Sizing {
    /// Whether requests start as big as they can be.
    fn is_unbounded(&self) -> bool {
        self.limit >= MAX_PAGE_SIZE && self.max_days.is_none() && self.via == Via::Paged && !self.by_campaign
    }

    /// A page of `piece` came back.
    pub fn page_worked(&mut self, piece: &Piece) {
        self.worked_limit = self.worked_limit.max(piece.limit);
        self.worked_days = self.worked_days.max(piece.range.days());
    }

    /// Whether pages as big and ranges as long as `piece`'s have worked before.
    pub fn proven(&self, piece: &Piece) -> bool {
        piece.limit <= self.worked_limit && piece.range.days() <= self.worked_days
    }

    /// Takes in a piece that worked after a refusal: later pieces start no bigger. `on_trial`:
    /// the unit was trying a relaxed step, which the refusal turned down: the next step waits
    /// for twice as many clean units.
    pub fn learn(&mut self, worked: &Piece, was_split: bool, on_trial: bool) {
        if on_trial {
            self.relax_after = self.relax_after.saturating_mul(2);
        }
        self.trial_ready = false;
        self.clean_units = 0;
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

    /// A unit went through without a refusal. After enough of them in a row, one relaxing
    /// step is ready for the next unit to try ([`Sizing::for_unit`]).
    pub fn relax(&mut self) {
        if self.is_unbounded() || self.trial_ready {
            return;
        }
        self.clean_units += 1;
        if self.clean_units >= self.relax_after {
            self.clean_units = 0;
            self.trial_ready = true;
        }
    }

    /// The sizing a new unit starts with, and whether it is a trial: when a relaxing step is
    /// ready, one unit (only one, so a real threshold costs one refusal) gets it.
    pub fn for_unit(&mut self) -> (Sizing, bool) {
        if !self.trial_ready {
            return (*self, false);
        }
        self.trial_ready = false;
        (self.relaxed(), true)
    }

    /// A trial unit went through without a refusal: its sizing is the account's from now on.
    pub fn confirm(&mut self, trial: &Sizing) {
        self.limit = self.limit.max(trial.limit);
        self.max_days = match (self.max_days, trial.max_days) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        };
        self.via = self.via.min(trial.via);
        self.by_campaign &= trial.by_campaign;
        self.clean_units = 0;
    }

    /// One step back up, the last the ladder took first: one campaign at a time, then the
    /// report, then the range's split, then the page size.
    fn relaxed(&self) -> Sizing {
        let mut next = *self;
        if next.by_campaign {
            next.by_campaign = false;
        } else if next.via == Via::Report {
            next.via = Via::Paged;
        } else if let Some(days) = next.max_days {
            next.max_days = days.checked_mul(2).filter(|d| *d <= MAX_KEPT_DAYS);
        } else {
            next.limit = next.limit.saturating_mul(2).min(MAX_PAGE_SIZE);
        }
        next
    }

    /// A unit's range in pieces no longer than what worked.
    pub fn ranges(&self, range: DateRange) -> Vec<DateRange> {
        match self.max_days {
            Some(days) if range.days() > i64::from(days) => range.chunks_newest_first(days),
            _ => vec![range],
        }
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

mod tried;
pub use tried::Tried;

#[cfg(test)]
mod tests;
