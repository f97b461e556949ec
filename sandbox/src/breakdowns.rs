//! Breakdowns: each ad-day is split into segments with per-ad weights (largest
//! remainder, so segments sum exactly to the unbroken figures); higher levels sum the
//! ads' segments. Reach of a segment is the unbroken reach split by impressions.

use std::ops::Range;

use crate::dataset::{Dataset, Level};
use crate::figures::{Figures, IMPRESSIONS, N, REACH, UNIQUE_CLICKS, is_additive};
use crate::hash::{h, unit};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Breakdown {
    Age,
    Gender,
    Country,
    Region,
    PublisherPlatform,
    /// Only with `publisher_platform` (as Facebook has it): each platform has its own positions.
    PlatformPosition,
    DevicePlatform,
}

impl Breakdown {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "age" => Self::Age,
            "gender" => Self::Gender,
            "country" => Self::Country,
            "region" => Self::Region,
            "publisher_platform" => Self::PublisherPlatform,
            "platform_position" => Self::PlatformPosition,
            "device_platform" => Self::DevicePlatform,
            _ => return None,
        })
    }
    pub fn key(self) -> &'static str {
        match self {
            Self::Age => "age",
            Self::Gender => "gender",
            Self::Country => "country",
            Self::Region => "region",
            Self::PublisherPlatform => "publisher_platform",
            Self::PlatformPosition => "platform_position",
            Self::DevicePlatform => "device_platform",
        }
    }
    /// How many values a row can have in this breakdown (for the account's currency).
    pub(crate) fn value_count(self, currency: &str) -> usize {
        self.values(currency).len()
    }

    /// Values and base weights; countries depend on the account's currency.
    fn values(self, currency: &str) -> &'static [(&'static str, f64)] {
        match self {
            Self::Age => &[
                ("18-24", 0.8),
                ("25-34", 1.4),
                ("35-44", 1.2),
                ("45-54", 0.9),
                ("55-64", 0.6),
                ("65+", 0.4),
            ],
            Self::Gender => &[("female", 1.0), ("male", 1.0), ("unknown", 0.06)],
            Self::Country => match currency {
                "JPY" => &[("JP", 3.0), ("KR", 0.4), ("TW", 0.3)],
                "USD" => &[("US", 3.0), ("CA", 0.6), ("MX", 0.4), ("GB", 0.3)],
                _ => &[("DE", 2.0), ("AT", 0.5), ("CH", 0.5), ("FR", 0.6), ("NL", 0.4)],
            },
            Self::Region => match currency {
                "JPY" => &[("Tokyo", 3.0), ("Osaka", 1.4), ("Kanagawa", 1.0), ("Hokkaido", 0.4)],
                "USD" => &[
                    ("California", 2.2),
                    ("Texas", 1.6),
                    ("New York", 1.5),
                    ("Florida", 1.2),
                    ("Ontario", 0.4),
                ],
                "GBP" => &[
                    ("England", 3.0),
                    ("Scotland", 0.5),
                    ("Wales", 0.3),
                    ("Northern Ireland", 0.2),
                ],
                _ => &[
                    ("Bavaria", 1.4),
                    ("Berlin", 1.0),
                    ("North Rhine-Westphalia", 1.6),
                    ("Vienna", 0.5),
                    ("Île-de-France", 0.6),
                    ("Provence-Alpes-Côte d'Azur", 0.3),
                ],
            },
            Self::PublisherPlatform => &[
                ("facebook", 1.6),
                ("instagram", 1.3),
                ("audience_network", 0.2),
                ("messenger", 0.1),
            ],
            Self::PlatformPosition => &[
                ("feed", 2.0),
                ("story", 1.0),
                ("marketplace", 0.4),
                ("video_feeds", 0.5),
                ("right_hand_column", 0.2),
                ("instream_video", 0.3),
                ("stream", 1.5),
                ("reels", 1.2),
                ("explore", 0.3),
                ("classic", 0.8),
                ("rewarded_video", 0.3),
                ("messenger_inbox", 0.6),
            ],
            Self::DevicePlatform => &[("mobile_app", 2.4), ("mobile_web", 0.6), ("desktop", 0.8)],
        }
    }
}

/// Whether a platform has a position (Facebook's placements: each platform its own).
fn position_of(platform: &str, position: &str) -> bool {
    match platform {
        "facebook" => matches!(
            position,
            "feed" | "story" | "marketplace" | "video_feeds" | "right_hand_column" | "instream_video"
        ),
        "instagram" => matches!(position, "stream" | "story" | "reels" | "explore"),
        "audience_network" => matches!(position, "classic" | "rewarded_video"),
        "messenger" => matches!(position, "messenger_inbox" | "story"),
        _ => false,
    }
}

/// The cartesian product of the requested breakdowns' values, in request order.
#[derive(Clone, Debug)]
pub(crate) struct Segments {
    pub dims: Vec<Breakdown>,
    /// Per segment, the value index of each dim.
    combos: Vec<Vec<usize>>,
    values: Vec<&'static [(&'static str, f64)]>,
}

impl Segments {
    pub fn new(dims: &[Breakdown], currency: &str) -> Self {
        let values: Vec<_> = dims.iter().map(|d| d.values(currency)).collect();
        let mut combos = vec![Vec::new()];
        for v in &values {
            combos = combos
                .into_iter()
                .flat_map(|c| {
                    (0..v.len()).map(move |i| {
                        let mut c = c.clone();
                        c.push(i);
                        c
                    })
                })
                .collect();
        }
        // Only the placements that exist: a position belongs to one platform (or a few).
        let platform = dims.iter().position(|d| *d == Breakdown::PublisherPlatform);
        let position = dims.iter().position(|d| *d == Breakdown::PlatformPosition);
        if let (Some(pl), Some(po)) = (platform, position) {
            combos.retain(|c| position_of(values[pl][c[pl]].0, values[po][c[po]].0));
        }
        Self {
            dims: dims.to_vec(),
            combos,
            values,
        }
    }
    pub fn len(&self) -> usize {
        self.combos.len()
    }
    /// `(key, value)` pairs of one segment.
    pub fn labels(&self, seg: usize) -> Vec<(&'static str, &'static str)> {
        self.combos[seg]
            .iter()
            .enumerate()
            .map(|(d, &i)| (self.dims[d].key(), self.values[d][i].0))
            .collect()
    }
    /// Normalised weights of each segment for one ad.
    fn weights(&self, seed: u64, ad: usize) -> Vec<f64> {
        let per_dim: Vec<Vec<f64>> = self
            .values
            .iter()
            .enumerate()
            .map(|(d, vals)| {
                let raw: Vec<f64> = vals
                    .iter()
                    .enumerate()
                    .map(|(i, (_, base))| {
                        let salt = 50 + self.dims[d] as u64;
                        base * (0.6 + 0.8 * unit(h(&[seed, salt, ad as u64, i as u64])))
                    })
                    .collect();
                let sum: f64 = raw.iter().sum();
                raw.into_iter().map(|w| w / sum).collect()
            })
            .collect();
        let weights: Vec<f64> = self
            .combos
            .iter()
            .map(|c| c.iter().enumerate().map(|(d, &i)| per_dim[d][i]).product())
            .collect();
        // Placements that do not exist were left out: the rest share the whole.
        let sum: f64 = weights.iter().sum();
        weights.into_iter().map(|w| w / sum).collect()
    }
}

/// Largest-remainder split of `n` by `weights` (summing to ~1) into `out` (added).
pub(crate) fn split_into(n: u64, weights: &[f64], out: &mut [u64], order: &mut Vec<(f64, usize)>) {
    if n == 0 {
        return;
    }
    let mut given = 0u64;
    order.clear();
    for (i, w) in weights.iter().enumerate() {
        let exact = n as f64 * w;
        let floor = exact.floor() as u64;
        out[i] += floor;
        given += floor;
        order.push((exact - floor as f64, i));
    }
    order.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for k in 0..n.saturating_sub(given) as usize {
        out[order[k % order.len()].1] += 1;
    }
}

impl Dataset {
    /// Per-segment figures of an object over a range of days.
    pub(crate) fn aggregate_split(&self, level: Level, idx: usize, days: Range<u32>, segs: &Segments) -> Vec<Figures> {
        let k = segs.len();
        let mut out = vec![Figures::default(); k];
        let mut buf = vec![0u64; k];
        let mut order = Vec::with_capacity(k);
        for ad in self.ads_under(level, idx) {
            let weights = segs.weights(self.seed, ad);
            for d in days.clone() {
                let m = self.ad_day(ad, d);
                if m.is_empty() {
                    continue;
                }
                for slot in (0..N).filter(|&s| is_additive(s)) {
                    buf.iter_mut().for_each(|b| *b = 0);
                    split_into(m.0[slot], &weights, &mut buf, &mut order);
                    for (o, b) in out.iter_mut().zip(&buf) {
                        o.0[slot] += b;
                    }
                }
            }
        }
        let whole = self.aggregate(level, idx, days);
        let imps: Vec<f64> = out.iter().map(|m| m.0[IMPRESSIONS] as f64).collect();
        let total: f64 = imps.iter().sum();
        if total > 0.0 {
            let w: Vec<f64> = imps.iter().map(|i| i / total).collect();
            for slot in [REACH, UNIQUE_CLICKS] {
                buf.iter_mut().for_each(|b| *b = 0);
                split_into(whole.0[slot], &w, &mut buf, &mut order);
                for (o, b) in out.iter_mut().zip(&buf) {
                    o.0[slot] = *b;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatasetName;

    #[test]
    fn split_is_exact() {
        let mut order = Vec::new();
        for n in [0u64, 1, 7, 1000, 12345] {
            let mut out = vec![0; 3];
            split_into(n, &[0.2, 0.3, 0.5], &mut out, &mut order);
            assert_eq!(out.iter().sum::<u64>(), n);
        }
    }

    #[test]
    fn positions_come_with_their_platform_only() {
        let segs = Segments::new(&[Breakdown::PublisherPlatform, Breakdown::PlatformPosition], "USD");
        let pairs: Vec<Vec<(&str, &str)>> = (0..segs.len()).map(|i| segs.labels(i)).collect();
        assert_eq!(segs.len(), 6 + 4 + 2 + 2);
        assert!(pairs.contains(&vec![
            ("publisher_platform", "instagram"),
            ("platform_position", "reels")
        ]));
        assert!(!pairs.contains(&vec![
            ("publisher_platform", "audience_network"),
            ("platform_position", "reels")
        ]));
        let w = segs.weights(3, 0);
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn segments_sum_to_unbroken() {
        let ds = Dataset::generate(DatasetName::Small, 1);
        let segs = Segments::new(&[Breakdown::Age, Breakdown::Gender], "EUR");
        assert_eq!(segs.len(), 18);
        let parts = ds.aggregate_split(Level::Campaign, 0, 10..20, &segs);
        let whole = ds.aggregate(Level::Campaign, 0, 10..20);
        for slot in 0..N {
            assert_eq!(parts.iter().map(|m| m.0[slot]).sum::<u64>(), whole.0[slot]);
        }
    }
}
