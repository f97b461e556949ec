//! Insights rows: generated page by page from a position (bucket, object, segment),
//! so resuming at a cursor is O(page), and encoded as the API does (strings, omitted
//! fields without data).

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use crate::breakdowns::Segments;
use crate::dataset::{Dataset, Level};
use crate::format::{count_str, money, money_str, rate_str};
use crate::insights::{InsightsQuery, ancestor};
use crate::metrics::{
    ADD_TO_CART, CLICKS, IMPRESSIONS, LANDING_PAGE_VIEWS, LINK_CLICKS, Metrics, PURCHASE_VALUE, PURCHASES, REACH,
    SPEND, UNIQUE_CLICKS, WINDOWS,
};

/// One page of rows and the positions around it.
pub(crate) struct Page {
    pub rows: Vec<Value>,
    /// Position of the row after the page (or the end).
    pub end: [u64; 3],
    pub more: bool,
}

/// Rows from `start`, at most `limit`.
pub(crate) fn page(ds: &Dataset, q: &InsightsQuery, start: [u64; 3], limit: usize) -> Page {
    let segs = (!q.breakdowns.is_empty()).then(|| Segments::new(&q.breakdowns, &ds.accounts[q.account].currency));
    let mut rows = Vec::new();
    let (mut o0, mut s0) = (start[1] as usize, start[2] as usize);
    for b in (start[0] as usize)..q.buckets.len() {
        let bucket = &q.buckets[b];
        let Some(days) = bucket.days.clone() else {
            (o0, s0) = (0, 0);
            continue;
        };
        for o in o0..q.objects.len() {
            let idx = q.objects[o];
            let parts = match &segs {
                Some(sg) => ds.aggregate_split(q.level, idx, days.clone(), sg),
                None => vec![ds.aggregate(q.level, idx, days.clone())],
            };
            for (s, m) in parts.iter().enumerate().skip(s0) {
                if m.is_empty() {
                    continue;
                }
                if rows.len() == limit {
                    return Page {
                        rows,
                        end: [b as u64, o as u64, s as u64],
                        more: true,
                    };
                }
                let labels = segs.as_ref().map(|sg| sg.labels(s)).unwrap_or_default();
                rows.push(row_json(ds, q, idx, b, m, &labels));
            }
            s0 = 0;
        }
        o0 = 0;
    }
    Page {
        rows,
        end: [q.buckets.len() as u64, 0, 0],
        more: false,
    }
}

fn wants(q: &InsightsQuery, f: &str) -> bool {
    q.fields.iter().any(|x| x == f)
}

fn ids(ds: &Dataset, q: &InsightsQuery, idx: usize, row: &mut Map<String, Value>) {
    let acc = &ds.accounts[q.account];
    let mut put = |k: &str, v: &str| {
        if wants(q, k) {
            row.insert(k.into(), json!(v));
        }
    };
    put("account_id", &acc.account_id);
    put("account_name", &acc.name);
    put("account_currency", &acc.currency);
    if q.level >= Level::Campaign {
        let c = &ds.campaigns[ancestor(ds, q.level, idx, Level::Campaign)];
        put("campaign_id", &c.id);
        put("campaign_name", &c.name);
        put("objective", &c.objective);
    }
    if q.level >= Level::Adset {
        let s = &ds.adsets[ancestor(ds, q.level, idx, Level::Adset)];
        put("adset_id", &s.id);
        put("adset_name", &s.name);
    }
    if q.level == Level::Ad {
        put("ad_id", &ds.ads[idx].id);
        put("ad_name", &ds.ads[idx].name);
    }
}

/// One `actions` / `action_values` entry; `None` when it has no data at all.
fn action(
    q: &InsightsQuery,
    kind: &str,
    value: u64,
    window: impl Fn(usize) -> u64,
    fmt: &impl Fn(u64) -> String,
) -> Option<Value> {
    let mut e = Map::new();
    e.insert("action_type".into(), json!(kind));
    e.insert("value".into(), json!(fmt(value)));
    let mut any = value > 0;
    for &w in &q.windows {
        let v = window(w);
        if v > 0 {
            e.insert(WINDOWS[w].into(), json!(fmt(v)));
            any = true;
        }
    }
    any.then_some(Value::Object(e))
}

fn actions(q: &InsightsQuery, m: &Metrics) -> Vec<(String, u64, Value)> {
    let plain = |n: u64| count_str(n);
    let clicks_only = |n: u64| move |w: usize| if w < 3 { n } else { 0 };
    let conv = |block: usize| move |w: usize| m.get(block + w);
    let mut out = Vec::new();
    let list = [
        ("add_to_cart", m.conv_value(ADD_TO_CART), Some(ADD_TO_CART)),
        ("landing_page_view", m.get(LANDING_PAGE_VIEWS), None),
        ("link_click", m.get(LINK_CLICKS), None),
        ("purchase", m.conv_value(PURCHASES), Some(PURCHASES)),
    ];
    for (kind, value, block) in list {
        let entry = match block {
            Some(b) => action(q, kind, value, conv(b), &plain),
            None => action(q, kind, value, clicks_only(value), &plain),
        };
        if let Some(e) = entry {
            out.push((kind.to_string(), value, e));
        }
    }
    out
}

fn row_json(ds: &Dataset, q: &InsightsQuery, idx: usize, b: usize, m: &Metrics, labels: &[(&str, &str)]) -> Value {
    let dec = ds.accounts[q.account].currency_decimals();
    let mut row = Map::new();
    ids(ds, q, idx, &mut row);
    let spend = money(m.get(SPEND), dec);
    let (imps, reach, clicks) = (m.get(IMPRESSIONS), m.get(REACH), m.get(CLICKS));
    let d = Decimal::from;
    // Values are computed only for requested fields (rates divide decimals: not free).
    let mut put = |k: &str, v: &dyn Fn() -> Option<String>| {
        if wants(q, k)
            && let Some(v) = v()
        {
            row.insert(k.into(), json!(v));
        }
    };
    let nz = |n: u64| (n > 0).then(|| count_str(n));
    put("impressions", &|| Some(count_str(imps)));
    put("spend", &|| Some(money_str(m.get(SPEND), dec)));
    put("reach", &|| nz(reach));
    put("frequency", &|| rate_str(d(imps), d(reach)));
    put("clicks", &|| nz(clicks));
    put("unique_clicks", &|| nz(m.get(UNIQUE_CLICKS)));
    put("inline_link_clicks", &|| nz(m.get(LINK_CLICKS)));
    put("cpc", &|| rate_str(spend, d(clicks)));
    put("cpm", &|| rate_str(spend * d(1000), d(imps)));
    put("cpp", &|| rate_str(spend * d(1000), d(reach)));
    let uniq = m.get(UNIQUE_CLICKS);
    let link = m.get(LINK_CLICKS);
    put("ctr", &|| {
        (clicks > 0).then(|| rate_str(d(clicks * 100), d(imps))).flatten()
    });
    put("unique_ctr", &|| {
        (uniq > 0).then(|| rate_str(d(uniq * 100), d(reach))).flatten()
    });
    put("inline_link_click_ctr", &|| {
        (link > 0).then(|| rate_str(d(link * 100), d(imps))).flatten()
    });
    put("cost_per_inline_link_click", &|| rate_str(spend, d(link)));
    let acts = if wants(q, "actions") || wants(q, "cost_per_action_type") {
        actions(q, m)
    } else {
        Vec::new()
    };
    if wants(q, "actions") && !acts.is_empty() {
        row.insert(
            "actions".into(),
            Value::Array(acts.iter().map(|a| a.2.clone()).collect()),
        );
    }
    if wants(q, "cost_per_action_type") {
        let costs: Vec<Value> = acts
            .iter()
            .filter(|a| a.1 > 0)
            .filter_map(|a| rate_str(spend, d(a.1)).map(|v| json!({"action_type": a.0, "value": v})))
            .collect();
        if !costs.is_empty() {
            row.insert("cost_per_action_type".into(), Value::Array(costs));
        }
    }
    let pv = m.conv_value(PURCHASE_VALUE);
    if wants(q, "action_values") {
        let fmt = |n: u64| money_str(n, dec);
        if let Some(e) = action(q, "purchase", pv, |w| m.get(PURCHASE_VALUE + w), &fmt) {
            row.insert("action_values".into(), json!([e]));
        }
    }
    if wants(q, "purchase_roas")
        && pv > 0
        && let Some(r) = rate_str(d(pv), d(m.get(SPEND)))
    {
        row.insert(
            "purchase_roas".into(),
            json!([{"action_type": "omni_purchase", "value": r}]),
        );
    }
    for (k, v) in labels {
        row.insert((*k).into(), json!(v));
    }
    let bucket = &q.buckets[b];
    row.insert("date_start".into(), json!(bucket.start.to_string()));
    row.insert("date_stop".into(), json!(bucket.stop.to_string()));
    Value::Object(row)
}
