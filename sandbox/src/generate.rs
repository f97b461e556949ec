//! Generation of the object tree from (name, seed): shapes of the three datasets,
//! ids, names and each ad's delivery period and rates.

use std::collections::HashMap;
use std::sync::atomic::AtomicU32;

use chrono::{Days, NaiveDate};

use crate::config::DatasetName;
use crate::dataset::{Account, Ad, AdSet, Campaign, Dataset, Level, Profile, Reporting};
use crate::hash::{h, range, unit};

const ADJ: &[&str] = &[
    "Spring",
    "Summer",
    "Autumn",
    "Winter",
    "Evergreen",
    "Flash",
    "Holiday",
    "Launch",
];
const GOAL: &[&str] = &["Sale", "Prospecting", "Retargeting", "Awareness", "Catalog"];
const AUDIENCE: &[&str] = &["Lookalike 1%", "Broad", "Interests", "Website visitors"];
const CREATIVE: &[&str] = &["Video", "Carousel", "Single image", "Collection", "UGC"];

/// An account: name, currency, time zone, its offset from UTC and how it reports conversions.
type AccountShape = (&'static str, &'static str, &'static str, i32, Reporting);

struct Shape {
    accounts: &'static [AccountShape],
    campaigns: usize,
    adsets: usize,
    ads: usize,
    days: u32,
}

fn shape(name: DatasetName) -> Shape {
    use Reporting::{AllBuckets, AppOnly, LeadGen, OmniOnly, PixelOnly, PurchaseOnly};
    const SMALL: &[AccountShape] = &[("Acme Shop", "EUR", "Europe/Berlin", 1, AllBuckets)];
    const MEDIUM: &[AccountShape] = &[
        ("Acme US", "USD", "America/Los_Angeles", -8, OmniOnly),
        ("Acme Japan", "JPY", "Asia/Tokyo", 9, PixelOnly),
    ];
    // The benchmark datasets keep the older shape, so their figures stay comparable.
    const LARGE: &[AccountShape] = &[
        ("Acme Europe", "EUR", "Europe/Berlin", 1, PurchaseOnly),
        ("Acme Americas", "USD", "America/New_York", -5, PurchaseOnly),
    ];
    const SHAPES: &[AccountShape] = &[
        ("Acme Shop", "EUR", "Europe/Berlin", 1, AllBuckets),
        ("Pixel Store", "USD", "America/New_York", -5, PixelOnly),
        ("Omni Outlet", "GBP", "Europe/London", 0, OmniOnly),
        ("Puzzle Apps", "USD", "America/Los_Angeles", -8, AppOnly),
        ("Lead Partners", "EUR", "Europe/Paris", 1, LeadGen),
        ("Classic Catalog", "JPY", "Asia/Tokyo", 9, PurchaseOnly),
    ];
    const MANY: &[AccountShape] = &[
        ("Shop 01", "EUR", "Europe/Berlin", 1, PurchaseOnly),
        ("Shop 02", "USD", "America/New_York", -5, PurchaseOnly),
        ("Shop 03", "GBP", "Europe/London", 0, PurchaseOnly),
        ("Shop 04", "JPY", "Asia/Tokyo", 9, PurchaseOnly),
        ("Shop 05", "EUR", "Europe/Paris", 1, PurchaseOnly),
        ("Shop 06", "USD", "America/Chicago", -6, PurchaseOnly),
        ("Shop 07", "AUD", "Australia/Sydney", 11, PurchaseOnly),
        ("Shop 08", "EUR", "Europe/Madrid", 1, PurchaseOnly),
        ("Shop 09", "USD", "America/Los_Angeles", -8, PurchaseOnly),
        ("Shop 10", "CAD", "America/Toronto", -5, PurchaseOnly),
        ("Shop 11", "EUR", "Europe/Rome", 1, PurchaseOnly),
        ("Shop 12", "SEK", "Europe/Stockholm", 1, PurchaseOnly),
        ("Shop 13", "USD", "America/Denver", -7, PurchaseOnly),
        ("Shop 14", "CHF", "Europe/Zurich", 1, PurchaseOnly),
        ("Shop 15", "EUR", "Europe/Vienna", 1, PurchaseOnly),
        ("Shop 16", "BRL", "America/Sao_Paulo", -3, PurchaseOnly),
    ];
    match name {
        DatasetName::Many => Shape {
            accounts: MANY,
            campaigns: 3,
            adsets: 2,
            ads: 2,
            days: 90,
        },
        DatasetName::Shapes => Shape {
            accounts: SHAPES,
            campaigns: 3,
            adsets: 2,
            ads: 2,
            days: 90,
        },
        DatasetName::Small => Shape {
            accounts: SMALL,
            campaigns: 3,
            adsets: 2,
            ads: 2,
            days: 90,
        },
        DatasetName::Medium => Shape {
            accounts: MEDIUM,
            campaigns: 5,
            adsets: 4,
            ads: 5,
            days: 365,
        },
        DatasetName::Large => Shape {
            accounts: LARGE,
            campaigns: 20,
            adsets: 5,
            ads: 10,
            days: 365,
        },
    }
}

fn pick<'a>(list: &[&'a str], x: u64) -> &'a str {
    list[(x % list.len() as u64) as usize]
}

impl Dataset {
    /// The dataset's fixed "today" (not the wall clock).
    pub const TODAY: (i32, u32, u32) = (2026, 11, 20);

    /// The fixed [`Self::TODAY`] as a date.
    pub fn fixed_today() -> NaiveDate {
        NaiveDate::from_ymd_opt(Self::TODAY.0, Self::TODAY.1, Self::TODAY.2).unwrap_or(NaiveDate::MIN)
    }

    /// Builds the object tree ending on [`Self::TODAY`]; O(ads) work and memory.
    pub fn generate(name: DatasetName, seed: u64) -> Self {
        Self::generate_until(name, seed, Self::fixed_today())
    }

    /// The same objects and history length ending on `today` (figures follow the calendar:
    /// weekends differ), for a sandbox whose "today" is the wall clock's.
    pub fn generate_until(name: DatasetName, seed: u64, today: NaiveDate) -> Self {
        let sh = shape(name);
        let first_day = today - Days::new(u64::from(sh.days - 1));
        let id_base = 100_000 + h(&[seed, 1]) % 800_000;
        let mut ds = Dataset {
            name,
            seed,
            today,
            first_day,
            days: sh.days,
            accounts: Vec::new(),
            campaigns: Vec::new(),
            adsets: Vec::new(),
            ads: Vec::new(),
            by_id: HashMap::new(),
            restatement: AtomicU32::new(0),
        };
        for (ai, (acc_name, currency, tz, offset, reporting)) in sh.accounts.iter().enumerate() {
            let n = format!("{}{:02}", 100_000_000_000 + id_base * 10, ai + 1);
            let custom_conversion = (*reporting == Reporting::LeadGen).then(|| {
                format!(
                    "offsite_conversion.custom.{}",
                    100_000_000_000_000 + h(&[seed, 40, ai as u64]) % 899_999_999_999_999
                )
            });
            ds.accounts.push(Account {
                id: format!("act_{n}"),
                account_id: n,
                name: (*acc_name).to_string(),
                currency: (*currency).to_string(),
                timezone_name: (*tz).to_string(),
                timezone_offset_hours_utc: *offset,
                account_status: 1,
                reporting: *reporting,
                custom_conversion,
                campaigns: Vec::new(),
            });
            for _ in 0..sh.campaigns {
                ds.add_campaign(ai, &sh);
            }
        }
        let index = ds.index();
        ds.by_id = index;
        ds
    }

    fn add_campaign(&mut self, account: usize, sh: &Shape) {
        let ci = self.campaigns.len();
        let x = h(&[self.seed, 2, ci as u64]);
        self.campaigns.push(Campaign {
            id: self.object_id(120, ci),
            name: format!("{} {} #{}", pick(ADJ, x), pick(GOAL, x >> 8), ci + 1),
            objective: match self.accounts[account].reporting {
                Reporting::LeadGen => pick(&["OUTCOME_LEADS", "OUTCOME_LEADS", "OUTCOME_TRAFFIC"], x >> 16),
                Reporting::AppOnly => pick(
                    &["OUTCOME_APP_PROMOTION", "OUTCOME_APP_PROMOTION", "OUTCOME_AWARENESS"],
                    x >> 16,
                ),
                _ => pick(&["OUTCOME_SALES", "OUTCOME_TRAFFIC", "OUTCOME_AWARENESS"], x >> 16),
            }
            .into(),
            account,
            adsets: Vec::new(),
        });
        self.accounts[account].campaigns.push(ci);
        for _ in 0..sh.adsets {
            let si = self.adsets.len();
            let y = h(&[self.seed, 3, si as u64]);
            self.adsets.push(AdSet {
                id: self.object_id(121, si),
                name: format!("{} #{}", pick(AUDIENCE, y), si + 1),
                account,
                campaign: ci,
                ads: Vec::new(),
            });
            self.campaigns[ci].adsets.push(si);
            for _ in 0..sh.ads {
                let ad = self.make_ad(account, ci, si);
                self.adsets[si].ads.push(self.ads.len());
                self.ads.push(ad);
            }
        }
    }

    fn make_ad(&self, account: usize, campaign: usize, adset: usize) -> Ad {
        let i = self.ads.len() as u64;
        let s = self.seed;
        let days = self.days;
        let always_on = if self.name == DatasetName::Small { 0.5 } else { 0.85 };
        let (start_idx, end_idx) = if unit(h(&[s, 4, i])) < always_on {
            (0, days - 1)
        } else {
            let start = (range(&[s, 5, i], 0.0, 0.7) * f64::from(days)) as u32;
            let len = 7 + (range(&[s, 6, i], 0.0, 1.0) * f64::from(days)) as u32;
            (start, (start + len).min(days - 1))
        };
        let jpy = self.accounts[account].currency == "JPY";
        let money = if jpy { 1.5 } else { 1.0 };
        let imps = match self.name {
            DatasetName::Small => range(&[s, 7, i], 1500.0, 9000.0),
            _ => range(&[s, 7, i], 200.0, 4000.0),
        };
        Ad {
            id: self.object_id(122, i as usize),
            name: format!(
                "{} {} #{}",
                pick(CREATIVE, h(&[s, 8, i])),
                pick(ADJ, h(&[s, 9, i])),
                i + 1
            ),
            account,
            campaign,
            adset,
            start: self.first_day + Days::new(u64::from(start_idx)),
            end: self.first_day + Days::new(u64::from(end_idx)),
            start_idx,
            end_idx,
            profile: Profile {
                imps,
                ctr: range(&[s, 10, i], 0.006, 0.025),
                link_ratio: range(&[s, 11, i], 0.55, 0.9),
                cpm_minor: range(&[s, 12, i], 400.0, 1500.0) * money,
                cvr: range(&[s, 13, i], 0.01, 0.06),
                aov_minor: range(&[s, 14, i], 2000.0, 12000.0) * money,
                freq: range(&[s, 15, i], 1.02, 1.6),
                app_share: range(&[s, 16, i], 0.1, 0.4),
            },
        }
    }

    fn object_id(&self, prefix: u64, index: usize) -> String {
        let base = 100_000 + h(&[self.seed, prefix]) % 800_000;
        format!("{prefix}{base:06}{:09}", index + 1)
    }

    fn index(&self) -> HashMap<String, (Level, usize)> {
        let mut m = HashMap::new();
        for (i, a) in self.accounts.iter().enumerate() {
            m.insert(a.id.clone(), (Level::Account, i));
            m.insert(a.account_id.clone(), (Level::Account, i));
        }
        for (i, c) in self.campaigns.iter().enumerate() {
            m.insert(c.id.clone(), (Level::Campaign, i));
        }
        for (i, s) in self.adsets.iter().enumerate() {
            m.insert(s.id.clone(), (Level::Adset, i));
        }
        for (i, a) in self.ads.iter().enumerate() {
            m.insert(a.id.clone(), (Level::Ad, i));
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use chrono::Days;

    use super::*;

    #[test]
    fn a_later_today_moves_the_history_not_the_objects() {
        let fixed = Dataset::generate(DatasetName::Small, 42);
        let later = fixed.today() + Days::new(40);
        let moved = Dataset::generate_until(DatasetName::Small, 42, later);
        assert_eq!(fixed.today(), Dataset::fixed_today());
        assert_eq!(moved.today(), later);
        assert_eq!(moved.first_day(), fixed.first_day() + Days::new(40));
        let ids = |d: &Dataset| d.all_ads().iter().map(|a| a.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&moved), ids(&fixed));
        let span = |d: &Dataset| {
            d.all_ads()
                .iter()
                .map(|a| ((a.start - d.first_day()).num_days(), (a.end - d.first_day()).num_days()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            span(&moved),
            span(&fixed),
            "each ad runs on the same days of the history"
        );
    }
}
