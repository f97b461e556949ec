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
mod tests {
    use std::collections::BTreeMap;

    use serde_json::Value;

    use super::*;
    use crate::config::DatasetName;
    use crate::figures::PURCHASES;
    use crate::query::parse;
    use crate::request::{Method, Req};

    fn query(ds: &Dataset, params: &[(&str, &str)]) -> InsightsQuery {
        let req = Req {
            method: Method::Get,
            version: None,
            segments: vec![],
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
            token: None,
            base_url: String::new(),
            in_batch: false,
        };
        parse(ds, &req, (Level::Account, 0)).unwrap_or_else(|e| panic!("{}", e.body("t")))
    }

    /// The JSON `w` writes for the query's first object with figures `m` on 2026-11-01.
    fn written(w: &RowWriter, q: &InsightsQuery, m: &Figures, labels: &[(&'static str, &'static str)]) -> String {
        let mut out = Vec::new();
        let at = RowAt {
            idx: q.objects[0],
            metrics: m,
            labels,
            dates: ("2026-11-01", "2026-11-01"),
        };
        w.write(&at, &mut out);
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn a_row_carries_what_was_asked_in_the_apis_encoding() {
        let mut ds = Dataset::generate(DatasetName::Small, 1);
        ds.accounts[0].reporting = crate::dataset::Reporting::PurchaseOnly;
        let q = query(
            &ds,
            &[
                ("level", "ad"),
                ("time_increment", "1"),
                ("date_preset", "last_7d"),
                (
                    "fields",
                    "ad_id,spend,impressions,clicks,actions,action_values,campaign_name",
                ),
                ("action_attribution_windows", "[\"7d_click\",\"1d_view\"]"),
            ],
        );
        let writer = RowWriter::new(&ds, &q);
        let mut m = Figures::default();
        m.0[IMPRESSIONS] = 1200;
        m.0[SPEND] = 4567;
        m.0[PURCHASES + 1] = 3; // 7d_click
        m.0[PURCHASES + 2] = 9; // 28d_click: not asked for
        m.0[PURCHASE_VALUE + 1] = 12_500;
        let text = written(&writer, &q, &m, &[("age", "25-34")]);
        let row: Value = serde_json::from_str(&text).expect("json");
        let ad = &ds.ads[q.objects[0]];
        assert_eq!(row["ad_id"], ad.id.as_str());
        assert_eq!(row["campaign_name"], ds.campaigns[ad.campaign].name.as_str());
        assert_eq!(row["impressions"], "1200");
        assert_eq!(row["spend"], "45.67");
        // Zero counts are omitted, as Facebook omits them; so are fields not asked for.
        assert!(row.get("clicks").is_none() && row.get("reach").is_none());
        assert_eq!(
            row["actions"],
            serde_json::json!([{"action_type": "purchase", "value": "3", "7d_click": "3"}])
        );
        assert_eq!(
            row["action_values"],
            serde_json::json!([{"action_type": "purchase", "value": "125.00", "7d_click": "125.00"}])
        );
        assert_eq!(row["age"], "25-34");
        assert!(
            text.ends_with(r#""date_start":"2026-11-01","date_stop":"2026-11-01"}"#),
            "{text}"
        );
    }

    #[test]
    fn each_reporting_shape_lists_its_own_buckets() {
        use crate::dataset::Reporting;
        use crate::figures::{APP_PURCHASE_VALUE, APP_PURCHASES, LEADS, QUALIFIED_LEADS};
        let mut ds = Dataset::generate(DatasetName::Shapes, 1);
        let mut m = Figures::default();
        m.0[IMPRESSIONS] = 1000;
        m.0[SPEND] = 5000;
        m.0[PURCHASES + 1] = 4; // 7d_click
        m.0[APP_PURCHASES + 1] = 1;
        m.0[PURCHASE_VALUE + 1] = 40_000;
        m.0[APP_PURCHASE_VALUE + 1] = 10_000;
        m.0[LEADS + 1] = 9;
        m.0[QUALIFIED_LEADS + 1] = 2;
        let fields = [
            ("level", "account"),
            ("fields", "actions,action_values"),
            ("action_attribution_windows", "[\"7d_click\"]"),
        ];
        let mut listed = |reporting: Reporting| {
            ds.accounts[0].reporting = reporting;
            ds.accounts[0].custom_conversion = Some("offsite_conversion.custom.77".into());
            let q = query(&ds, &fields);
            let row: Value = serde_json::from_str(&written(&RowWriter::new(&ds, &q), &q, &m, &[])).expect("json");
            let pick = |list: &str| -> Vec<(String, String)> {
                row[list]
                    .as_array()
                    .map(|l| {
                        l.iter()
                            .map(|a| {
                                (
                                    a["action_type"].as_str().unwrap_or("").to_string(),
                                    a["7d_click"].as_str().unwrap_or("").to_string(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            };
            (pick("actions"), pick("action_values"))
        };
        let (actions, values) = listed(Reporting::AllBuckets);
        let count = |t: &str| actions.iter().find(|a| a.0 == t).map(|a| a.1.clone());
        assert_eq!(count("omni_purchase").as_deref(), Some("4"));
        assert_eq!(count("purchase").as_deref(), Some("4"));
        assert_eq!(
            count("offsite_conversion.fb_pixel_purchase").as_deref(),
            Some("3"),
            "the web part"
        );
        assert_eq!(
            count("app_custom_event.fb_mobile_purchase").as_deref(),
            Some("1"),
            "the app part"
        );
        assert!(values.contains(&("offsite_conversion.fb_pixel_purchase".into(), "300.00".into())));
        let (actions, _) = listed(Reporting::PixelOnly);
        assert!(
            actions.iter().all(|a| !a.0.contains("omni") && a.0 != "purchase"),
            "{actions:?}"
        );
        let (actions, values) = listed(Reporting::LeadGen);
        assert!(actions.contains(&("lead".into(), "9".into())));
        assert!(actions.contains(&("leadgen_grouped".into(), "9".into())));
        assert!(actions.contains(&("offsite_conversion.custom.77".into(), "2".into())));
        assert!(actions.contains(&("offline_conversion.purchase".into(), "4".into())));
        assert!(
            values.contains(&("offsite_conversion.custom.77".into(), "50.00".into())),
            "{values:?}"
        );
    }

    #[test]
    fn zero_impressions_spend_and_costs_are_omitted() {
        let ds = Dataset::generate(DatasetName::Small, 1);
        let fields = "impressions,spend,clicks,cpc,cpm,ctr,actions,cost_per_action_type";
        let q = query(&ds, &[("level", "account"), ("fields", fields)]);
        let writer = RowWriter::new(&ds, &q);
        let row = |imps: u64, spend: u64, clicks: u64| {
            let mut m = Figures::default();
            m.0[IMPRESSIONS] = imps;
            m.0[SPEND] = spend;
            m.0[CLICKS] = clicks;
            serde_json::from_str::<Value>(&written(&writer, &q, &m, &[])).expect("json")
        };
        // A breakdown segment can get clicks and impressions but no spend...
        let no_spend = row(40, 0, 2);
        assert_eq!(no_spend["impressions"], "40");
        assert_eq!(no_spend["clicks"], "2");
        for k in ["spend", "cpc", "cpm", "actions", "cost_per_action_type"] {
            assert!(no_spend.get(k).is_none(), "{k} in {no_spend}");
        }
        // ...or spend but no impressions.
        let no_imps = row(0, 5, 0);
        assert_eq!(no_imps["spend"], "0.05");
        for k in ["impressions", "clicks", "cpm", "ctr"] {
            assert!(no_imps.get(k).is_none(), "{k} in {no_imps}");
        }
    }
}
