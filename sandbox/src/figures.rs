//! Raw figures of one object over some days, derived from hashes: an ad-day is O(1),
//! higher levels and longer periods aggregate exactly (reach and unique clicks are the
//! non-additive exceptions: a parent's value lies between the largest child and the sum).

use std::ops::Range;

use chrono::Datelike;

use crate::dataset::{Dataset, Level};
use crate::hash::{h, range};

pub(crate) const IMPRESSIONS: usize = 0;
pub(crate) const REACH: usize = 1;
pub(crate) const CLICKS: usize = 2;
pub(crate) const UNIQUE_CLICKS: usize = 3;
pub(crate) const LINK_CLICKS: usize = 4;
pub(crate) const LANDING_PAGE_VIEWS: usize = 5;
pub(crate) const SPEND: usize = 6;
/// Conversion blocks: six windows each, in `WINDOWS` order.
pub(crate) const ADD_TO_CART: usize = 7;
pub(crate) const PURCHASES: usize = 13;
pub(crate) const PURCHASE_VALUE: usize = 19;
pub(crate) const INITIATE_CHECKOUT: usize = 25;
/// The part of the purchases (and their value) made in the app; the rest are on the web.
pub(crate) const APP_PURCHASES: usize = 31;
pub(crate) const APP_PURCHASE_VALUE: usize = 37;
pub(crate) const LEADS: usize = 43;
/// Leads a lead-generation account's custom conversion counts as qualified.
pub(crate) const QUALIFIED_LEADS: usize = 49;
pub(crate) const INSTALLS: usize = 55;
pub(crate) const N: usize = 61;

/// Attribution windows in the order of a conversion block. The sandbox keeps its own list
/// rather than adsync's `Window`: it plays Facebook and shares no code with the client.
pub const WINDOWS: [&str; 6] = ["1d_click", "7d_click", "28d_click", "1d_view", "7d_view", "28d_view"];
/// Index of the windows forming the default `value` (7-day click + 1-day view).
pub(crate) const DEFAULT_WINDOWS: [usize; 2] = [1, 3];

/// Non-additive slots.
pub(crate) fn is_additive(slot: usize) -> bool {
    slot != REACH && slot != UNIQUE_CLICKS
}

/// Figures in minor currency units and counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Figures(pub [u64; N]);

impl Default for Figures {
    fn default() -> Self {
        Figures([0; N])
    }
}

impl Figures {
    pub fn get(&self, slot: usize) -> u64 {
        self.0[slot]
    }
    pub fn is_empty(&self) -> bool {
        self.0[IMPRESSIONS] == 0 && self.0[SPEND] == 0
    }
    pub fn add_additive(&mut self, o: &Figures) {
        for s in 0..N {
            if is_additive(s) {
                self.0[s] += o.0[s];
            }
        }
    }
    /// Default-attribution value of a conversion block.
    pub fn conv_value(&self, block: usize) -> u64 {
        DEFAULT_WINDOWS.iter().map(|w| self.0[block + w]).sum()
    }
}

fn frac(x: u64, k: u32) -> f64 {
    ((x >> (k * 16)) & 0xffff) as f64 / 65536.0
}

fn round(x: f64) -> u64 {
    x.round().max(0.0) as u64
}

/// Combines non-additive counts: between the largest part and the sum.
fn combine(max: u64, sum: u64, factor: f64) -> u64 {
    round(sum as f64 * factor).clamp(max, sum)
}

impl Dataset {
    /// Figures of one ad on one day (all zero when it did not deliver).
    pub(crate) fn ad_day(&self, ad: usize, day: u32) -> Figures {
        let mut m = Figures::default();
        let Some(a) = self.ads.get(ad) else { return m };
        if day < a.start_idx || day > a.end_idx {
            return m;
        }
        let (s, ai, d) = (self.seed, ad as u64, u64::from(day));
        let x = h(&[s, 20, ai, d]);
        if frac(x, 3) < 0.02 {
            return m;
        }
        let p = &a.profile;
        let wd = match self.date_of(day).weekday().num_days_from_monday() {
            5 | 6 => 1.15,
            0 => 0.9,
            _ => 1.0,
        };
        let imps = round(p.imps * (0.55 + 0.9 * frac(x, 0)) * wd).max(1);
        let clicks = round(imps as f64 * p.ctr * (0.7 + 0.6 * frac(x, 1)));
        let link = round(clicks as f64 * p.link_ratio);
        let y = h(&[s, 21, ai, d]);
        m.0[IMPRESSIONS] = imps;
        m.0[REACH] = round(imps as f64 / (p.freq * (0.95 + 0.1 * frac(y, 0)))).clamp(1, imps);
        m.0[CLICKS] = clicks;
        m.0[UNIQUE_CLICKS] = clicks - round(clicks as f64 * 0.12 * frac(x, 2)).min(clicks);
        m.0[LINK_CLICKS] = link;
        m.0[LANDING_PAGE_VIEWS] = round(link as f64 * (0.6 + 0.3 * frac(y, 1)));
        m.0[SPEND] = round(imps as f64 * p.cpm_minor / 1000.0 * (0.85 + 0.3 * frac(y, 2))).max(1);
        let z = h(&[s, 22, ai, d]);
        let c7 = round(link as f64 * p.cvr * (0.4 + 1.2 * frac(z, 0)));
        let c1 = round(c7 as f64 * (0.55 + 0.3 * frac(z, 1)));
        let c28 = c7 + round(c7 as f64 * 0.25 * frac(z, 2));
        let v1 = round(imps as f64 * 0.00004 * (0.5 + frac(z, 3) * 8.0));
        let v7 = v1 + round(v1 as f64 * 0.6 * frac(y, 3));
        let v28 = v7 + (z >> 60) % 2;
        let mut purch = [c1, c7, c28, v1, v7, v28];
        let generation = self.restatement();
        if generation > 0 && day + 28 >= self.days {
            let r = h(&[s, 23, u64::from(generation), ai, d]);
            let (dc, dv) = (r % 3, (r >> 8) % 2);
            purch[1] += dc;
            purch[2] += dc;
            purch[3] += dv;
            purch[4] += dv;
            purch[5] += dv;
        }
        let aov = round(p.aov_minor * (0.8 + 0.4 * frac(y, 3)));
        // Every block grows with the window (1, 7, 28 days; clicks, then views) as
        // purchases do: the `(w + 1)` terms and the floor of a fixed share keep that order.
        for (w, &count) in purch.iter().enumerate() {
            let step = |rate: f64| round(link as f64 * rate * (w as f64 + 1.0));
            let app = (count as f64 * p.app_share).floor() as u64;
            m.0[PURCHASES + w] = count;
            m.0[ADD_TO_CART + w] = count * 3 + step(0.01);
            m.0[PURCHASE_VALUE + w] = count * aov;
            m.0[INITIATE_CHECKOUT + w] = count * 2 + step(0.004);
            m.0[APP_PURCHASES + w] = app;
            m.0[APP_PURCHASE_VALUE + w] = app * aov;
            m.0[LEADS + w] = count * 4 + step(0.012);
            m.0[QUALIFIED_LEADS + w] = count + step(0.002);
            m.0[INSTALLS + w] = count * 2 + step(0.03);
        }
        m
    }

    /// Figures of any object over a range of day indices (exact sums; reach combined).
    pub(crate) fn aggregate(&self, level: Level, idx: usize, days: Range<u32>) -> Figures {
        let (start, len) = (u64::from(days.start), u64::from(days.end.saturating_sub(days.start)));
        let mut total = Figures::default();
        let (mut rmax, mut rsum, mut umax, mut usum) = (0, 0, 0, 0);
        let mut fold = |m: Figures, total: &mut Figures| {
            total.add_additive(&m);
            rmax = rmax.max(m.0[REACH]);
            rsum += m.0[REACH];
            umax = umax.max(m.0[UNIQUE_CLICKS]);
            usum += m.0[UNIQUE_CLICKS];
        };
        let salt = match level {
            Level::Ad => {
                for d in days {
                    fold(self.ad_day(idx, d), &mut total);
                }
                30
            }
            Level::Adset => {
                for &c in &self.adsets[idx].ads {
                    fold(self.aggregate(Level::Ad, c, days.clone()), &mut total);
                }
                31
            }
            Level::Campaign => {
                for &c in &self.campaigns[idx].adsets {
                    fold(self.aggregate(Level::Adset, c, days.clone()), &mut total);
                }
                32
            }
            Level::Account => {
                for &c in &self.accounts[idx].campaigns {
                    fold(self.aggregate(Level::Campaign, c, days.clone()), &mut total);
                }
                33
            }
        };
        let parts = [self.seed, salt, idx as u64, start, len];
        let (lo, hi) = if level == Level::Ad { (0.55, 0.9) } else { (0.8, 0.98) };
        total.0[REACH] = combine(rmax, rsum, range(&parts, lo, hi));
        total.0[UNIQUE_CLICKS] = combine(umax, usum, range(&parts, 0.85, 0.99));
        total
    }

    /// Ads under an object.
    pub(crate) fn ads_under(&self, level: Level, idx: usize) -> Vec<usize> {
        match level {
            Level::Ad => vec![idx],
            Level::Adset => self.adsets[idx].ads.clone(),
            Level::Campaign => self.campaigns[idx]
                .adsets
                .iter()
                .flat_map(|&s| self.adsets[s].ads.iter().copied())
                .collect(),
            Level::Account => (0..self.ads.len()).filter(|&a| self.ads[a].account == idx).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatasetName;

    #[test]
    fn parents_sum_children_and_reach_is_bounded() {
        let ds = Dataset::generate(DatasetName::Small, 7);
        for day in [0u32, 40, 89] {
            for (ci, c) in ds.campaigns.iter().enumerate() {
                let parent = ds.aggregate(Level::Campaign, ci, day..day + 1);
                let kids: Vec<Figures> = c
                    .adsets
                    .iter()
                    .map(|&s| ds.aggregate(Level::Adset, s, day..day + 1))
                    .collect();
                let mut sum = Figures::default();
                kids.iter().for_each(|k| sum.add_additive(k));
                for s in (0..N).filter(|&s| is_additive(s)) {
                    assert_eq!(parent.0[s], sum.0[s], "slot {s}");
                }
                let rsum: u64 = kids.iter().map(|k| k.0[REACH]).sum();
                let rmax = kids.iter().map(|k| k.0[REACH]).max().unwrap_or(0);
                assert!(parent.0[REACH] <= rsum && parent.0[REACH] >= rmax);
            }
        }
    }

    /// Every conversion block, for the checks that hold for each.
    const BLOCKS: [usize; 9] = [
        ADD_TO_CART,
        PURCHASES,
        PURCHASE_VALUE,
        INITIATE_CHECKOUT,
        APP_PURCHASES,
        APP_PURCHASE_VALUE,
        LEADS,
        QUALIFIED_LEADS,
        INSTALLS,
    ];

    #[test]
    fn windows_are_monotone() {
        let ds = Dataset::generate(DatasetName::Medium, 3);
        for ad in 0..50 {
            for day in 0..365 {
                let m = ds.ad_day(ad, day);
                for b in BLOCKS {
                    assert!(m.0[b] <= m.0[b + 1] && m.0[b + 1] <= m.0[b + 2]);
                    assert!(m.0[b + 3] <= m.0[b + 4] && m.0[b + 4] <= m.0[b + 5]);
                }
                assert!(m.0[REACH] <= m.0[IMPRESSIONS]);
                for w in 0..6 {
                    assert!(m.0[APP_PURCHASES + w] <= m.0[PURCHASES + w]);
                    assert!(m.0[QUALIFIED_LEADS + w] <= m.0[LEADS + w]);
                }
            }
        }
    }

    #[test]
    fn generating_ad_days_is_cheap() {
        let ds = Dataset::generate(DatasetName::Large, 42);
        let started = std::time::Instant::now();
        let mut sum = 0;
        for ad in 0..500 {
            sum += ds.aggregate(Level::Ad, ad, 200..201).get(IMPRESSIONS);
        }
        assert!(sum > 0);
        // ~0.3 µs per ad-day in release; generous for debug builds on a busy machine.
        assert!(
            started.elapsed() < std::time::Duration::from_millis(50),
            "{:?}",
            started.elapsed()
        );
    }
}
