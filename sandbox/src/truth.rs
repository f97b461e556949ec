//! Ground truth: exactly what insights returns, as typed values, without a server.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Value, json};

use crate::dataset::{Dataset, Level};
use crate::format::money;
use crate::metrics::{
    ADD_TO_CART, CLICKS, DEFAULT_WINDOWS, IMPRESSIONS, LANDING_PAGE_VIEWS, LINK_CLICKS, Metrics, PURCHASE_VALUE,
    PURCHASES, REACH, SPEND, UNIQUE_CLICKS,
};

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

fn windows<T: Copy>(m: &Metrics, block: usize, f: impl Fn(u64) -> T) -> ByWindow<T> {
    let v = |w: usize| f(m.get(block + w));
    ByWindow {
        value: f(DEFAULT_WINDOWS.iter().map(|w| m.get(block + w)).sum()),
        click_1d: v(0),
        click_7d: v(1),
        click_28d: v(2),
        view_1d: v(3),
        view_7d: v(4),
        view_28d: v(5),
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
    pub purchases: ByWindow<u64>,
    pub purchase_value: ByWindow<Decimal>,
}

impl Totals {
    fn from_metrics(m: &Metrics, dec: u32) -> Self {
        Totals {
            impressions: m.get(IMPRESSIONS),
            clicks: m.get(CLICKS),
            inline_link_clicks: m.get(LINK_CLICKS),
            landing_page_views: m.get(LANDING_PAGE_VIEWS),
            spend: money(m.get(SPEND), dec),
            add_to_cart: windows(m, ADD_TO_CART, |x| x),
            purchases: windows(m, PURCHASES, |x| x),
            purchase_value: windows(m, PURCHASE_VALUE, |x| money(x, dec)),
        }
    }
}

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

    pub(crate) fn decimals_of(&self, level: Level, idx: usize) -> u32 {
        let account = match level {
            Level::Account => idx,
            Level::Campaign => self.campaigns[idx].account,
            Level::Adset => self.adsets[idx].account,
            Level::Ad => self.ads[idx].account,
        };
        self.accounts[account].currency_decimals()
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
        let t = Totals::from_metrics(&m, self.decimals_of(level, idx));
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
        })
    }

    /// Sums over the days `since..=until` (clamped to the history).
    pub fn totals(&self, level: Level, object_id: &str, since: NaiveDate, until: NaiveDate) -> Totals {
        let Some(idx) = self.resolve(level, object_id) else {
            return Totals::default();
        };
        let dec = self.decimals_of(level, idx);
        match self.day_range(since, until) {
            Some(r) => Totals::from_metrics(&self.aggregate(level, idx, r), dec),
            None => Totals::from_metrics(&Metrics::default(), dec),
        }
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
        "account": {"id": acc.id, "name": acc.name, "currency": acc.currency, "timezone_name": acc.timezone_name},
        "level": level,
        "since": since,
        "until": until,
        "totals": ds.totals(Level::Account, &acc.id, since, until),
        "by_day": by_day,
        "by_object": by_object,
        "rows": rows,
    }))
}
