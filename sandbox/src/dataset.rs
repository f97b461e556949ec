//! The generated advertising world: accounts, campaigns, ad sets and ads with their
//! delivery periods. Figures are never stored: `figures.rs` derives them from hashes.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{Days, NaiveDate};

use crate::config::DatasetName;

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

/// Which action types an account reports its conversions under. Meta reports one event under
/// several redundant types, and which of them an account gets depends on how it tracks
/// (pixel, app SDK, offline uploads, lead forms) and on when it was set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reporting {
    /// `purchase` and `add_to_cart` alone (the older shape the first datasets used).
    PurchaseOnly,
    /// Every redundant bucket: `omni_purchase` and `purchase` carry all purchases, the
    /// pixel and web types the web part, `app_custom_event.fb_mobile_purchase` the app part;
    /// likewise add to cart and initiate checkout. Adding the buckets up counts twice or more.
    AllBuckets,
    /// The pixel types alone (`offsite_conversion.fb_pixel_purchase`, …).
    PixelOnly,
    /// The `omni_` types alone.
    OmniOnly,
    /// An app: `app_custom_event.fb_mobile_purchase` and `…add_to_cart`, installs as
    /// `mobile_app_install` and `omni_app_install`.
    AppOnly,
    /// Lead generation: leads as `lead`, `onsite_conversion.lead_grouped` and
    /// `leadgen_grouped`, a custom conversion `offsite_conversion.custom.<id>` (qualified
    /// leads, with a value) and the deals closed as `offline_conversion.purchase`.
    LeadGen,
}

impl Reporting {
    pub const ALL: [Reporting; 6] = [
        Reporting::AllBuckets,
        Reporting::PixelOnly,
        Reporting::OmniOnly,
        Reporting::AppOnly,
        Reporting::LeadGen,
        Reporting::PurchaseOnly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PurchaseOnly => "purchase_only",
            Self::AllBuckets => "all_buckets",
            Self::PixelOnly => "pixel_only",
            Self::OmniOnly => "omni_only",
            Self::AppOnly => "app_only",
            Self::LeadGen => "lead_gen",
        }
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
    /// The action types its conversions come under.
    pub reporting: Reporting,
    /// The custom conversion it reports (`offsite_conversion.custom.<id>`), for
    /// [`Reporting::LeadGen`].
    pub custom_conversion: Option<String>,
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
    /// Share of the purchases made in the app rather than on the web.
    pub app_share: f64,
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
    pub(crate) restatement: AtomicU32,
}

impl Dataset {
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
        self.objects_of(account_id, Level::Campaign)
            .into_iter()
            .map(|i| &self.campaigns[i])
            .collect()
    }
    pub fn adsets(&self, account_id: &str) -> Vec<&AdSet> {
        self.objects_of(account_id, Level::Adset)
            .into_iter()
            .map(|i| &self.adsets[i])
            .collect()
    }
    pub fn ads(&self, account_id: &str) -> Vec<&Ad> {
        self.objects_of(account_id, Level::Ad)
            .into_iter()
            .map(|i| &self.ads[i])
            .collect()
    }

    /// Indices of the objects of `level` in an account, in id order.
    pub(crate) fn objects_of(&self, account_id: &str, level: Level) -> Vec<usize> {
        let Some(a) = self.account_index(account_id) else {
            return Vec::new();
        };
        match level {
            Level::Account => vec![a],
            Level::Campaign => self.accounts[a].campaigns.clone(),
            Level::Adset => (0..self.adsets.len())
                .filter(|&i| self.adsets[i].account == a)
                .collect(),
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

    /// An object's `status` (what the advertiser set) and `effective_status` (what its
    /// parents make of it). An object is `ACTIVE` while one of its ads still delivers,
    /// `ARCHIVED` when its last ad ended more than 60 days ago, else `PAUSED`; an active ad
    /// or ad set under a campaign (or ad set) that is not is `CAMPAIGN_PAUSED` (`ADSET_PAUSED`).
    pub fn status(&self, level: Level, idx: usize) -> (&'static str, &'static str) {
        let own = |level: Level, idx: usize| {
            let last = self.ads_under(level, idx).iter().map(|&a| self.ads[a].end).max();
            match last {
                Some(end) if end >= self.today => "ACTIVE",
                Some(end) if (self.today - end).num_days() > 60 => "ARCHIVED",
                _ => "PAUSED",
            }
        };
        let status = own(level, idx);
        let effective = match level {
            Level::Ad | Level::Adset if status == "ACTIVE" => {
                let (campaign, adset) = match level {
                    Level::Ad => (self.ads[idx].campaign, Some(self.ads[idx].adset)),
                    _ => (self.adsets[idx].campaign, None),
                };
                if own(Level::Campaign, campaign) != "ACTIVE" {
                    "CAMPAIGN_PAUSED"
                } else if adset.is_some_and(|s| own(Level::Adset, s) != "ACTIVE") {
                    "ADSET_PAUSED"
                } else {
                    status
                }
            }
            _ => status,
        };
        (status, effective)
    }

    pub fn restatement(&self) -> u32 {
        self.restatement.load(Ordering::Relaxed)
    }
    /// Changes conversions of the last 28 days; 0 restores the original figures.
    pub fn set_restatement(&self, generation: u32) {
        self.restatement.store(generation, Ordering::Relaxed);
    }
}
