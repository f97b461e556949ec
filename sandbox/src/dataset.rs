//! The generated advertising world: accounts, campaigns, ad sets and ads with their
//! delivery periods. Metrics are never stored: `metrics.rs` derives them from hashes.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{Days, NaiveDate};

use crate::config::DatasetName;
use crate::hash::{h, range, unit};

/// Insights level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    Account,
    Campaign,
    Adset,
    Ad,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Campaign => "campaign",
            Self::Adset => "adset",
            Self::Ad => "ad",
        }
    }
}

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "account" => Ok(Self::Account),
            "campaign" => Ok(Self::Campaign),
            "adset" => Ok(Self::Adset),
            "ad" => Ok(Self::Ad),
            other => Err(format!("unknown level {other:?}")),
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug)]
pub struct Account {
    /// `act_<n>`
    pub id: String,
    /// `<n>`
    pub account_id: String,
    pub name: String,
    pub currency: String,
    pub timezone_name: String,
    pub timezone_offset_hours_utc: i32,
    pub account_status: u32,
    pub campaigns: Vec<usize>,
}

impl Account {
    /// Decimal places of the account currency (0 for JPY, 2 otherwise).
    pub fn currency_decimals(&self) -> u32 {
        crate::format::currency_decimals(&self.currency)
    }
}

#[derive(Clone, Debug)]
pub struct Campaign {
    pub id: String,
    pub name: String,
    pub objective: String,
    pub account: usize,
    pub adsets: Vec<usize>,
}

#[derive(Clone, Debug)]
pub struct AdSet {
    pub id: String,
    pub name: String,
    pub account: usize,
    pub campaign: usize,
    pub ads: Vec<usize>,
}

/// Per-ad rates from which each day's figures are drawn.
#[derive(Clone, Debug)]
pub(crate) struct Profile {
    pub imps: f64,
    pub ctr: f64,
    pub link_ratio: f64,
    pub cpm_minor: f64,
    pub cvr: f64,
    pub aov_minor: f64,
    pub freq: f64,
}

#[derive(Clone, Debug)]
pub struct Ad {
    pub id: String,
    pub name: String,
    pub account: usize,
    pub campaign: usize,
    pub adset: usize,
    /// First day the ad may deliver (clamped to the dataset's history).
    pub start: NaiveDate,
    /// Last day the ad may deliver.
    pub end: NaiveDate,
    pub(crate) start_idx: u32,
    pub(crate) end_idx: u32,
    pub(crate) profile: Profile,
}

/// The dataset: a pure function of (name, seed) plus the restatement knob.
#[derive(Debug)]
pub struct Dataset {
    pub name: DatasetName,
    pub seed: u64,
    pub(crate) today: NaiveDate,
    pub(crate) first_day: NaiveDate,
    pub(crate) days: u32,
    pub(crate) accounts: Vec<Account>,
    pub(crate) campaigns: Vec<Campaign>,
    pub(crate) adsets: Vec<AdSet>,
    pub(crate) ads: Vec<Ad>,
    pub(crate) by_id: HashMap<String, (Level, usize)>,
    restatement: AtomicU32,
}

const ADJ: &[&str] = &[
    "Spring", "Summer", "Autumn", "Winter", "Evergreen", "Flash", "Holiday", "Launch",
];
const GOAL: &[&str] = &["Sale", "Prospecting", "Retargeting", "Awareness", "Catalog"];
const AUDIENCE: &[&str] = &["Lookalike 1%", "Broad", "Interests", "Website visitors"];
const CREATIVE: &[&str] = &["Video", "Carousel", "Single image", "Collection", "UGC"];

struct Shape {
    accounts: &'static [(&'static str, &'static str, &'static str, i32)],
    campaigns: usize,
    adsets: usize,
    ads: usize,
    days: u32,
}

fn shape(name: DatasetName) -> Shape {
    const SMALL: &[(&str, &str, &str, i32)] = &[("Acme Shop", "EUR", "Europe/Berlin", 1)];
    const MEDIUM: &[(&str, &str, &str, i32)] = &[
        ("Acme US", "USD", "America/Los_Angeles", -8),
        ("Acme Japan", "JPY", "Asia/Tokyo", 9),
    ];
    const LARGE: &[(&str, &str, &str, i32)] = &[
        ("Acme Europe", "EUR", "Europe/Berlin", 1),
        ("Acme Americas", "USD", "America/New_York", -5),
    ];
    match name {
        DatasetName::Small => Shape { accounts: SMALL, campaigns: 3, adsets: 2, ads: 2, days: 90 },
        DatasetName::Medium => Shape { accounts: MEDIUM, campaigns: 5, adsets: 4, ads: 5, days: 365 },
        DatasetName::Large => Shape { accounts: LARGE, campaigns: 20, adsets: 5, ads: 10, days: 365 },
    }
}

fn pick<'a>(list: &[&'a str], x: u64) -> &'a str {
    list[(x % list.len() as u64) as usize]
}

impl Dataset {
    /// The dataset's fixed "today" (not the wall clock).
    pub const TODAY: (i32, u32, u32) = (2026, 11, 20);

    /// Builds the object tree; O(ads) work and memory.
    pub fn generate(name: DatasetName, seed: u64) -> Self {
        let sh = shape(name);
        let today = NaiveDate::from_ymd_opt(Self::TODAY.0, Self::TODAY.1, Self::TODAY.2)
            .unwrap_or(NaiveDate::MIN);
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
        for (ai, (acc_name, currency, tz, offset)) in sh.accounts.iter().enumerate() {
            let n = format!("{}{:02}", 100_000_000_000 + id_base * 10, ai + 1);
            ds.accounts.push(Account {
                id: format!("act_{n}"),
                account_id: n,
                name: (*acc_name).to_string(),
                currency: (*currency).to_string(),
                timezone_name: (*tz).to_string(),
                timezone_offset_hours_utc: *offset,
                account_status: 1,
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
            objective: pick(&["OUTCOME_SALES", "OUTCOME_TRAFFIC", "OUTCOME_AWARENESS"], x >> 16).into(),
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
        let (start_idx, end_idx) = if unit(h(&[s, 4, i])) < 0.6 {
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
            name: format!("{} {} #{}", pick(CREATIVE, h(&[s, 8, i])), pick(ADJ, h(&[s, 9, i])), i + 1),
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

    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }
    pub fn today(&self) -> NaiveDate {
        self.today
    }
    /// First day with data (today minus the history length plus one).
    pub fn first_day(&self) -> NaiveDate {
        self.first_day
    }
    pub fn all_campaigns(&self) -> &[Campaign] {
        &self.campaigns
    }
    pub fn all_adsets(&self) -> &[AdSet] {
        &self.adsets
    }
    pub fn all_ads(&self) -> &[Ad] {
        &self.ads
    }
    /// Accepts `act_<n>` or `<n>`.
    pub fn account(&self, id: &str) -> Option<&Account> {
        match self.by_id.get(id) {
            Some((Level::Account, i)) => self.accounts.get(*i),
            _ => None,
        }
    }
    pub(crate) fn account_index(&self, id: &str) -> Option<usize> {
        match self.by_id.get(id) {
            Some((Level::Account, i)) => Some(*i),
            _ => None,
        }
    }
    pub fn campaigns(&self, account_id: &str) -> Vec<&Campaign> {
        self.objects_of(account_id, Level::Campaign).into_iter().map(|i| &self.campaigns[i]).collect()
    }
    pub fn adsets(&self, account_id: &str) -> Vec<&AdSet> {
        self.objects_of(account_id, Level::Adset).into_iter().map(|i| &self.adsets[i]).collect()
    }
    pub fn ads(&self, account_id: &str) -> Vec<&Ad> {
        self.objects_of(account_id, Level::Ad).into_iter().map(|i| &self.ads[i]).collect()
    }

    /// Indices of the objects of `level` in an account, in id order.
    pub(crate) fn objects_of(&self, account_id: &str, level: Level) -> Vec<usize> {
        let Some(a) = self.account_index(account_id) else { return Vec::new() };
        match level {
            Level::Account => vec![a],
            Level::Campaign => self.accounts[a].campaigns.clone(),
            Level::Adset => (0..self.adsets.len()).filter(|&i| self.adsets[i].account == a).collect(),
            Level::Ad => (0..self.ads.len()).filter(|&i| self.ads[i].account == a).collect(),
        }
    }

    /// Level and index of any object id.
    pub fn lookup(&self, id: &str) -> Option<(Level, usize)> {
        self.by_id.get(id).copied()
    }

    pub(crate) fn day_index(&self, date: NaiveDate) -> Option<u32> {
        let d = (date - self.first_day).num_days();
        (0..i64::from(self.days)).contains(&d).then_some(d as u32)
    }
    pub(crate) fn date_of(&self, idx: u32) -> NaiveDate {
        self.first_day + Days::new(u64::from(idx))
    }

    pub fn restatement(&self) -> u32 {
        self.restatement.load(Ordering::Relaxed)
    }
    /// Changes conversions of the last 28 days; 0 restores the original figures.
    pub fn set_restatement(&self, generation: u32) {
        self.restatement.store(generation, Ordering::Relaxed);
    }
}
