//! Ground truth: exactly what insights returns, as typed values, without a server.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Value, json};

use crate::action_json::{self, Windows};
use crate::dataset::{Account, Dataset, Level, Reporting};
use crate::figures::{
    ADD_TO_CART, CLICKS, Figures, IMPRESSIONS, INITIATE_CHECKOUT, INSTALLS, LANDING_PAGE_VIEWS, LEADS, LINK_CLICKS,
    PURCHASE_VALUE, PURCHASES, REACH, SPEND, UNIQUE_CLICKS,
};
use crate::format::money;

/// One value per attribution window plus the default-attribution `value`
/// (7-day click + 1-day view), as in `actions` / `action_values`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ByWindow<T> {
    pub value: T,
    #[serde(rename = "1d_click")]
    pub click_1d: T,
    #[serde(rename = "7d_click")]
    pub click_7d: T,
    #[serde(rename = "28d_click")]
    pub click_28d: T,
    #[serde(rename = "1d_view")]
    pub view_1d: T,
    #[serde(rename = "7d_view")]
    pub view_7d: T,
    #[serde(rename = "28d_view")]
    pub view_28d: T,
}

impl<T: Copy> ByWindow<T> {
    /// By API name: `value`, `1d_click`, ... `28d_view`.
    pub fn get(&self, window: &str) -> Option<T> {
        Some(match window {
            "value" | "default" => self.value,
            "1d_click" => self.click_1d,
            "7d_click" => self.click_7d,
            "28d_click" => self.click_28d,
            "1d_view" => self.view_1d,
            "7d_view" => self.view_7d,
            "28d_view" => self.view_28d,
            _ => return None,
        })
    }
}

fn windows<T: Copy>(m: &Figures, source: Windows, f: impl Fn(u64) -> T) -> ByWindow<T> {
    let v = |w: usize| f(source.get(m, w));
    ByWindow {
        value: f(source.default_value(m)),
        click_1d: v(0),
        click_7d: v(1),
        click_28d: v(2),
        view_1d: v(3),
        view_7d: v(4),
        view_28d: v(5),
    }
}

/// A standard conversion as Ads Manager shows it: its count and value in every window.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Conversion {
    pub count: ByWindow<u64>,
    pub value: ByWindow<Decimal>,
}

/// The figure behind each Ads Manager conversion column an account's rows carry, whatever
/// action types report it (`purchases`, `leads`, `add_to_cart`, `initiate_checkout`,
/// `app_installs`): the sandbox's own account of what the redundant buckets add up to.
fn standard(reporting: Reporting) -> &'static [(&'static str, usize, Option<usize>)] {
    const SHOP: &[(&str, usize, Option<usize>)] = &[
        ("purchases", PURCHASES, Some(PURCHASE_VALUE)),
        ("add_to_cart", ADD_TO_CART, None),
        ("initiate_checkout", INITIATE_CHECKOUT, None),
    ];
    match reporting {
        Reporting::PurchaseOnly => &SHOP[..2],
        Reporting::AllBuckets | Reporting::PixelOnly | Reporting::OmniOnly => SHOP,
        Reporting::AppOnly => &[
            ("purchases", PURCHASES, Some(PURCHASE_VALUE)),
            ("add_to_cart", ADD_TO_CART, None),
            ("app_installs", INSTALLS, None),
        ],
        Reporting::LeadGen => &[("purchases", PURCHASES, Some(PURCHASE_VALUE)), ("leads", LEADS, None)],
    }
}

/// What an account's rows report beyond the delivery figures: the standard conversions and
/// every raw action type (`actions`) and value (`action_values`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Reported {
    pub conversions: BTreeMap<&'static str, Conversion>,
    pub actions: BTreeMap<String, ByWindow<u64>>,
    pub action_values: BTreeMap<String, ByWindow<Decimal>>,
}

impl Reported {
    fn of(account: &Account, m: &Figures, dec: u32) -> Self {
        let conversions = standard(account.reporting)
            .iter()
            .map(|&(key, count, value)| {
                let value = match value {
                    Some(block) => windows(m, Windows::Block(block), |x| money(x, dec)),
                    None => ByWindow::default(),
                };
                (
                    key,
                    Conversion {
                        count: windows(m, Windows::Block(count), |x| x),
                        value,
                    },
                )
            })
            .collect();
        Reported {
            conversions,
            actions: action_json::actions(account, m)
                .into_iter()
                .map(|a| (a.name.to_string(), windows(m, a.windows, |x| x)))
                .collect(),
            action_values: action_json::values(account)
                .into_iter()
                .map(|a| (a.name.to_string(), windows(m, a.windows, |x| money(x, dec))))
                .collect(),
        }
    }

    /// A standard conversion's figures; zero in every window when the account reports none.
    pub fn conversion(&self, key: &str) -> Conversion {
        self.conversions.get(key).cloned().unwrap_or_default()
    }
}

/// What insights returns for one object on one day (including that level's reach).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricsRow {
    pub date: NaiveDate,
    pub level: Level,
    pub object_id: String,
    pub impressions: u64,
    pub reach: u64,
    pub clicks: u64,
    pub unique_clicks: u64,
    pub inline_link_clicks: u64,
    pub landing_page_views: u64,
    pub spend: Decimal,
    pub add_to_cart: ByWindow<u64>,
    pub purchases: ByWindow<u64>,
    pub purchase_value: ByWindow<Decimal>,
    /// The conversions and action types the row carries.
    pub reported: Reported,
}

/// Additive sums over days (no reach, no unique clicks).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Totals {
    pub impressions: u64,
    pub clicks: u64,
    pub inline_link_clicks: u64,
    pub landing_page_views: u64,
    pub spend: Decimal,
    pub add_to_cart: ByWindow<u64>,
    /// Every account's purchases, whichever action types carry them (the Ads Manager
    /// "Purchases" column; `reported` says which types).
    pub purchases: ByWindow<u64>,
    pub purchase_value: ByWindow<Decimal>,
    /// The conversions and action types the rows carry.
    pub reported: Reported,
}

impl Totals {
    fn from_metrics(account: &Account, m: &Figures, dec: u32) -> Self {
        let reported = Reported::of(account, m, dec);
        Totals {
            impressions: m.get(IMPRESSIONS),
            clicks: m.get(CLICKS),
            inline_link_clicks: m.get(LINK_CLICKS),
            landing_page_views: m.get(LANDING_PAGE_VIEWS),
            spend: money(m.get(SPEND), dec),
            add_to_cart: reported.conversion("add_to_cart").count,
            purchases: windows(m, Windows::Block(PURCHASES), |x| x),
            purchase_value: windows(m, Windows::Block(PURCHASE_VALUE), |x| money(x, dec)),
            reported,
        }
    }
}

/// One breakdown value's figures: its `(key, value)` labels, its sums, its reach.
pub type SplitTotals = (Vec<(&'static str, &'static str)>, Totals, u64);

impl Serialize for Level {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl Dataset {
    /// Resolves an object id of a level; accounts accept `act_<n>` or `<n>`.
    pub(crate) fn resolve(&self, level: Level, object_id: &str) -> Option<usize> {
        match self.lookup(object_id) {
            Some((l, i)) if l == level => Some(i),
            _ => None,
        }
    }

    /// The account an object belongs to.
    pub(crate) fn account_of(&self, level: Level, idx: usize) -> &Account {
        let account = match level {
            Level::Account => idx,
            Level::Campaign => self.campaigns[idx].account,
            Level::Adset => self.adsets[idx].account,
            Level::Ad => self.ads[idx].account,
        };
        &self.accounts[account]
    }

    /// Exactly what insights returns for that object and day, or `None` when it had no
    /// delivery (no row).
    pub fn row(&self, level: Level, object_id: &str, date: NaiveDate) -> Option<MetricsRow> {
        let idx = self.resolve(level, object_id)?;
        let day = self.day_index(date)?;
        let m = self.aggregate(level, idx, day..day + 1);
        if m.is_empty() {
            return None;
        }
        let account = self.account_of(level, idx);
        let t = Totals::from_metrics(account, &m, account.currency_decimals());
        Some(MetricsRow {
            date,
            level,
            object_id: object_id.to_string(),
            impressions: t.impressions,
            reach: m.get(REACH),
            clicks: t.clicks,
            unique_clicks: m.get(UNIQUE_CLICKS),
            inline_link_clicks: t.inline_link_clicks,
            landing_page_views: t.landing_page_views,
            spend: t.spend,
            add_to_cart: t.add_to_cart,
            purchases: t.purchases,
            purchase_value: t.purchase_value,
            reported: t.reported,
        })
    }

    /// Sums over the days `since..=until` (clamped to the history).
    pub fn totals(&self, level: Level, object_id: &str, since: NaiveDate, until: NaiveDate) -> Totals {
        let Some(idx) = self.resolve(level, object_id) else {
            return Totals::default();
        };
        let account = self.account_of(level, idx);
        let dec = account.currency_decimals();
        match self.day_range(since, until) {
            Some(r) => Totals::from_metrics(account, &self.aggregate(level, idx, r), dec),
            None => Totals::from_metrics(account, &Figures::default(), dec),
        }
    }

    /// What insights returns for an object broken down by `breakdowns` (their API names, as
    /// in the `breakdowns` parameter) over `since..=until`: one entry per value combination
    /// with delivery, its `(key, value)` labels and additive sums, and the reach of that
    /// value over the range (a day's when the range is one day).
    pub fn split_totals(
        &self,
        level: Level,
        object_id: &str,
        since: NaiveDate,
        until: NaiveDate,
        breakdowns: &[&str],
    ) -> Vec<SplitTotals> {
        let Some(idx) = self.resolve(level, object_id) else {
            return Vec::new();
        };
        let Some(days) = self.day_range(since, until) else {
            return Vec::new();
        };
        let dims: Vec<crate::Breakdown> = breakdowns.iter().filter_map(|b| crate::Breakdown::parse(b)).collect();
        let account = self.account_of(level, idx);
        let segs = crate::breakdowns::Segments::new(&dims, &account.currency);
        self.aggregate_split(level, idx, days, &segs)
            .into_iter()
            .enumerate()
            .filter(|(_, m)| !m.is_empty())
            .map(|(i, m)| {
                (
                    segs.labels(i),
                    Totals::from_metrics(account, &m, account.currency_decimals()),
                    m.get(REACH),
                )
            })
            .collect()
    }

    /// Day indices of `since..=until` within the history, if any.
    pub(crate) fn day_range(&self, since: NaiveDate, until: NaiveDate) -> Option<std::ops::Range<u32>> {
        let lo = since.max(self.first_day);
        let hi = until.min(self.today);
        if lo > hi {
            return None;
        }
        Some(self.day_index(lo)?..self.day_index(hi)? + 1)
    }
}

/// Ground truth as JSON for `adsync sandbox truth`: totals of the account, per day, per
/// object of `level`, and every (day, object) row.
pub fn truth(ds: &Dataset, account: &str, level: Level, since: NaiveDate, until: NaiveDate) -> Result<Value, String> {
    let acc = ds
        .account(account)
        .ok_or_else(|| format!("unknown account {account}"))?;
    let ids: Vec<String> = ds
        .objects_of(&acc.id, level)
        .into_iter()
        .map(|i| match level {
            Level::Account => ds.accounts[i].id.clone(),
            Level::Campaign => ds.campaigns[i].id.clone(),
            Level::Adset => ds.adsets[i].id.clone(),
            Level::Ad => ds.ads[i].id.clone(),
        })
        .collect();
    let mut by_day = Vec::new();
    let mut rows = Vec::new();
    let mut date = since.max(ds.first_day);
    while date <= until.min(ds.today) {
        by_day.push(json!({"date": date, "totals": ds.totals(Level::Account, &acc.id, date, date)}));
        for id in &ids {
            if let Some(r) = ds.row(level, id, date) {
                rows.push(r);
            }
        }
        date = date.succ_opt().ok_or("date overflow")?;
    }
    let by_object: Vec<Value> = ids
        .iter()
        .map(|id| json!({"id": id, "totals": ds.totals(level, id, since, until)}))
        .collect();
    Ok(json!({
        "dataset": ds.name.to_string(),
        "seed": ds.seed,
        "restatement": ds.restatement(),
        "today": ds.today,
        "account": {"id": acc.id, "name": acc.name, "currency": acc.currency, "timezone_name": acc.timezone_name,
                    "reporting": acc.reporting.as_str(), "custom_conversion": acc.custom_conversion},
        "level": level,
        "since": since,
        "until": until,
        "totals": ds.totals(Level::Account, &acc.id, since, until),
        "by_day": by_day,
        "by_object": by_object,
        "rows": rows,
    }))
}
