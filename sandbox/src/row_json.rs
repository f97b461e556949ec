//! One insights row as the API encodes it (numbers as strings, fields without data
//! omitted), written straight into the page's buffer.
//!
//! Written by hand rather than as a `serde_json::Value`: a benchmark backfill asks for
//! ~750k rows, and building, sorting and dropping a map per row (and one per action) was
//! most of the sandbox's CPU, which shares the machine with adsync (docs/benchmarks.md).
//! Keys come out in the order Facebook writes them: ids, figures, actions,
//! breakdown values, then the dates.

use rust_decimal::Decimal;

use crate::action_json::{ActionType, Amount, List, actions, values, write_costs};
use crate::dataset::{Dataset, Level};
use crate::figures::{CLICKS, Figures, IMPRESSIONS, LINK_CLICKS, PURCHASE_VALUE, REACH, SPEND, UNIQUE_CLICKS};
use crate::format::{Object, rate_str, write_str};
use crate::query::{InsightsQuery, ancestor};

/// The row fields this module writes, in writing order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Field {
    AccountId,
    AccountName,
    AccountCurrency,
    CampaignId,
    CampaignName,
    Objective,
    AdsetId,
    AdsetName,
    AdId,
    AdName,
    Impressions,
    Spend,
    Reach,
    Frequency,
    Clicks,
    UniqueClicks,
    InlineLinkClicks,
    Cpc,
    Cpm,
    Cpp,
    Ctr,
    UniqueCtr,
    InlineLinkClickCtr,
    CostPerInlineLinkClick,
    Actions,
    CostPerActionType,
    ActionValues,
    PurchaseRoas,
}

impl Field {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "account_id" => Self::AccountId,
            "account_name" => Self::AccountName,
            "account_currency" => Self::AccountCurrency,
            "campaign_id" => Self::CampaignId,
            "campaign_name" => Self::CampaignName,
            "objective" => Self::Objective,
            "adset_id" => Self::AdsetId,
            "adset_name" => Self::AdsetName,
            "ad_id" => Self::AdId,
            "ad_name" => Self::AdName,
            "impressions" => Self::Impressions,
            "spend" => Self::Spend,
            "reach" => Self::Reach,
            "frequency" => Self::Frequency,
            "clicks" => Self::Clicks,
            "unique_clicks" => Self::UniqueClicks,
            "inline_link_clicks" => Self::InlineLinkClicks,
            "cpc" => Self::Cpc,
            "cpm" => Self::Cpm,
            "cpp" => Self::Cpp,
            "ctr" => Self::Ctr,
            "unique_ctr" => Self::UniqueCtr,
            "inline_link_click_ctr" => Self::InlineLinkClickCtr,
            "cost_per_inline_link_click" => Self::CostPerInlineLinkClick,
            "actions" => Self::Actions,
            "cost_per_action_type" => Self::CostPerActionType,
            "action_values" => Self::ActionValues,
            "purchase_roas" => Self::PurchaseRoas,
            // date_start and date_stop are always written; anything else was refused when
            // the query was parsed.
            _ => return None,
        })
    }

    /// The lowest level whose rows carry this field (ids and names of the levels above).
    fn min_level(self) -> Level {
        match self {
            Self::CampaignId | Self::CampaignName | Self::Objective => Level::Campaign,
            Self::AdsetId | Self::AdsetName => Level::Adset,
            Self::AdId | Self::AdName => Level::Ad,
            _ => Level::Account,
        }
    }
}

/// Writes the rows of one query: what is requested is worked out once, not per row.
pub(crate) struct RowWriter<'a> {
    ds: &'a Dataset,
    q: &'a InsightsQuery,
    fields: Vec<Field>,
    decimals: u32,
}

/// One row's place in the query: the object, its figures, its breakdown values and period.
pub(crate) struct RowAt<'r> {
    pub idx: usize,
    pub metrics: &'r Figures,
    pub labels: &'r [(&'static str, &'static str)],
    /// `date_start` and `date_stop`, formatted.
    pub dates: (&'r str, &'r str),
}

impl<'a> RowWriter<'a> {
    pub fn new(ds: &'a Dataset, q: &'a InsightsQuery) -> Self {
        let mut fields: Vec<Field> = q
            .fields
            .iter()
            .filter_map(|f| Field::parse(f))
            .filter(|f| q.level >= f.min_level())
            .collect();
        fields.sort();
        fields.dedup();
        RowWriter {
            ds,
            q,
            fields,
            decimals: ds.accounts[q.account].currency_decimals(),
        }
    }

    /// Appends the row as a JSON object.
    pub fn write(&self, row: &RowAt<'_>, out: &mut Vec<u8>) {
        let (ds, q, m) = (self.ds, self.q, row.metrics);
        let mut w = Object::open(out);
        let d = Decimal::from;
        let spend = crate::format::money(m.get(SPEND), self.decimals);
        let (imps, reach, clicks) = (m.get(IMPRESSIONS), m.get(REACH), m.get(CLICKS));
        let (uniq, link) = (m.get(UNIQUE_CLICKS), m.get(LINK_CLICKS));
        let acc = &ds.accounts[q.account];
        let actions = actions(acc, m);
        for &f in &self.fields {
            match f {
                Field::AccountId => w.text("account_id", &acc.account_id),
                Field::AccountName => w.text("account_name", &acc.name),
                Field::AccountCurrency => w.text("account_currency", &acc.currency),
                Field::CampaignId => w.text("campaign_id", &self.campaign(row.idx).id),
                Field::CampaignName => w.text("campaign_name", &self.campaign(row.idx).name),
                Field::Objective => w.text("objective", &self.campaign(row.idx).objective),
                Field::AdsetId => w.text("adset_id", &self.adset(row.idx).id),
                Field::AdsetName => w.text("adset_name", &self.adset(row.idx).name),
                Field::AdId => w.text("ad_id", &ds.ads[row.idx].id),
                Field::AdName => w.text("ad_name", &ds.ads[row.idx].name),
                // Zero like any other figure: omitted (a breakdown segment can get
                // impressions without spend or the other way round).
                Field::Impressions => w.nonzero("impressions", imps),
                Field::Spend if m.get(SPEND) > 0 => w.money("spend", m.get(SPEND), self.decimals),
                Field::Spend => {}
                // A cost out of no spend would be "0": omitted like the spend itself.
                Field::Cpc | Field::Cpm | Field::Cpp | Field::CostPerInlineLinkClick | Field::CostPerActionType
                    if spend.is_zero() => {}
                Field::Reach => w.nonzero("reach", reach),
                Field::Frequency => w.rate("frequency", d(imps), d(reach)),
                Field::Clicks => w.nonzero("clicks", clicks),
                Field::UniqueClicks => w.nonzero("unique_clicks", uniq),
                Field::InlineLinkClicks => w.nonzero("inline_link_clicks", link),
                Field::Cpc => w.rate("cpc", spend, d(clicks)),
                Field::Cpm => w.rate("cpm", spend * d(1000), d(imps)),
                Field::Cpp => w.rate("cpp", spend * d(1000), d(reach)),
                Field::Ctr if clicks > 0 => w.rate("ctr", d(clicks * 100), d(imps)),
                Field::UniqueCtr if uniq > 0 => w.rate("unique_ctr", d(uniq * 100), d(reach)),
                Field::InlineLinkClickCtr if link > 0 => w.rate("inline_link_click_ctr", d(link * 100), d(imps)),
                Field::CostPerInlineLinkClick => w.rate("cost_per_inline_link_click", spend, d(link)),
                Field::Ctr | Field::UniqueCtr | Field::InlineLinkClickCtr => {}
                Field::Actions => self.write_actions(&mut w, m, &actions),
                Field::CostPerActionType => write_costs(&mut w, spend, &actions, m),
                Field::ActionValues => self.write_values(&mut w, m, acc),
                Field::PurchaseRoas => {
                    let pv = m.conv_value(PURCHASE_VALUE);
                    if pv > 0
                        && let Some(r) = rate_str(d(pv), d(m.get(SPEND)))
                    {
                        w.key("purchase_roas");
                        w.out
                            .extend_from_slice(b"[{\"action_type\":\"omni_purchase\",\"value\":");
                        write_str(w.out, &r);
                        w.out.extend_from_slice(b"}]");
                    }
                }
            }
        }
        for (k, v) in row.labels {
            w.text(k, v);
        }
        w.text("date_start", row.dates.0);
        w.text("date_stop", row.dates.1);
        w.close();
    }

    fn campaign(&self, idx: usize) -> &crate::dataset::Campaign {
        &self.ds.campaigns[ancestor(self.ds, self.q.level, idx, Level::Campaign)]
    }

    fn adset(&self, idx: usize) -> &crate::dataset::AdSet {
        &self.ds.adsets[ancestor(self.ds, self.q.level, idx, Level::Adset)]
    }

    /// `actions`: one entry per type with data, its default `value` and requested windows.
    fn write_actions(&self, w: &mut Object<'_>, m: &Figures, actions: &[ActionType<'_>]) {
        let mut list = List::open(w, "actions");
        for a in actions {
            let windows = a.windows;
            list.entry(
                a.name,
                windows.default_value(m),
                &self.q.windows,
                |i| windows.get(m, i),
                Amount::Count,
            );
        }
        list.close();
    }

    /// `action_values`: the conversions' value in the account's currency.
    fn write_values(&self, w: &mut Object<'_>, m: &Figures, account: &crate::dataset::Account) {
        let mut list = List::open(w, "action_values");
        for a in values(account) {
            let windows = a.windows;
            let money = Amount::Money(self.decimals);
            list.entry(
                a.name,
                windows.default_value(m),
                &self.q.windows,
                |i| windows.get(m, i),
                money,
            );
        }
        list.close();
    }
}

#[cfg(test)]
mod tests;
