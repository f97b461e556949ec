//! What a run tried before giving up on a piece, for its error.

use std::fmt;

use super::{Piece, Via};

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
