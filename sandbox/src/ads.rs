//! Ad account node, object lists (campaigns / adsets / ads) and synchronous insights.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::dataset::{Dataset, Level};
use crate::errors::GraphError;
use crate::paging::{decode, encode, limit, next_url, page_list, paging};
use crate::query::{InsightsQuery, ancestor, list_param, parse};
use crate::request::Req;
use crate::rows::page;
use crate::state::Shared;

const ACCOUNT_FIELDS: &[&str] = &[
    "id",
    "account_id",
    "name",
    "currency",
    "timezone_name",
    "timezone_offset_hours_utc",
    "account_status",
    "business_name",
    "amount_spent",
];

fn fields(req: &Req, default: &[&str]) -> Result<Vec<String>, GraphError> {
    match req.param("fields") {
        Some(raw) => list_param(raw),
        None => Ok(default.iter().map(|s| s.to_string()).collect()),
    }
}

/// An ad account as the node and `/me/adaccounts` show it.
pub(crate) fn account_json(ds: &Dataset, idx: usize, wanted: &[String]) -> Result<Value, GraphError> {
    let a = &ds.accounts[idx];
    let mut m = Map::new();
    m.insert("id".into(), json!(a.id));
    for f in wanted {
        let v = match f.as_str() {
            "id" => continue,
            "account_id" => json!(a.account_id),
            "name" => json!(a.name),
            "currency" => json!(a.currency),
            "timezone_name" => json!(a.timezone_name),
            "timezone_offset_hours_utc" => json!(a.timezone_offset_hours_utc),
            "account_status" => json!(a.account_status),
            "business_name" => json!("Acme Holdings"),
            "amount_spent" => {
                let t = ds.totals(Level::Account, &a.id, ds.first_day(), ds.today());
                json!(
                    (t.spend * rust_decimal::Decimal::from(10u64.pow(a.currency_decimals())))
                        .trunc()
                        .to_string()
                )
            }
            other => {
                return Err(GraphError::param(format!(
                    "Tried accessing nonexisting field ({other}) on node type (AdAccount); valid: {}",
                    ACCOUNT_FIELDS.join(", ")
                )));
            }
        };
        m.insert(f.clone(), v);
    }
    Ok(Value::Object(m))
}

/// `GET /act_<n>`.
pub(crate) fn account_node(sh: &Shared, req: &Req, idx: usize) -> Result<Value, GraphError> {
    account_json(&sh.dataset, idx, &fields(req, &["account_id"])?)
}

/// `GET /act_<n>/{campaigns,adsets,ads}`.
pub(crate) fn list_objects(sh: &Shared, req: &Req, account: usize, level: Level) -> Result<Value, GraphError> {
    let ds = &sh.dataset;
    let wanted = fields(req, &["id"])?;
    let acc_id = &ds.accounts[account].id;
    let mut items = Vec::new();
    for i in ds.objects_of(acc_id, level) {
        let mut m = Map::new();
        let (id, name) = match level {
            Level::Campaign => (&ds.campaigns[i].id, &ds.campaigns[i].name),
            Level::Adset => (&ds.adsets[i].id, &ds.adsets[i].name),
            _ => (&ds.ads[i].id, &ds.ads[i].name),
        };
        m.insert("id".into(), json!(id));
        for f in &wanted {
            let v = match f.as_str() {
                "id" => continue,
                "name" => json!(name),
                "account_id" => json!(ds.accounts[account].account_id),
                "status" => json!(ds.status(level, i).0),
                "effective_status" => json!(ds.status(level, i).1),
                "campaign_id" if level > Level::Campaign => {
                    json!(ds.campaigns[ancestor(ds, level, i, Level::Campaign)].id)
                }
                "adset_id" if level == Level::Ad => json!(ds.adsets[ds.ads[i].adset].id),
                "objective" if level == Level::Campaign => json!(ds.campaigns[i].objective),
                other => {
                    return Err(GraphError::param(format!(
                        "Tried accessing nonexisting field ({other})"
                    )));
                }
            };
            m.insert(f.clone(), v);
        }
        items.push(Value::Object(m));
    }
    page_list(req, items, 25, sh.cfg().max_page_size)
}

/// A page of insights rows for a parsed query; `path` is the path `next` points to,
/// `extra` parameters `next` carries besides the request's own.
pub(crate) fn insights_page(
    sh: &Shared,
    req: &Req,
    q: &InsightsQuery,
    default_limit: u32,
    path: &str,
    extra: &BTreeMap<String, String>,
) -> Result<String, GraphError> {
    let limit = limit(req, default_limit, sh.cfg().max_page_size)? as usize;
    let start = match req.param("after") {
        Some(c) => {
            let v = decode(c, 3)?;
            [v[0], v[1], v[2]]
        }
        None => [0, 0, 0],
    };
    let p = page(&sh.dataset, q, start, limit);
    sh.stats().rows_served += p.rows as u64;
    let after = encode(&p.end);
    let next = p.more.then(|| next_url(req, path, extra, &after));
    let mut body = p.json;
    body.splice(0..0, b"{\"data\":".iter().copied());
    body.extend_from_slice(b",\"paging\":");
    body.extend_from_slice(paging(&encode(&start), &after, next).to_string().as_bytes());
    body.push(b'}');
    // Only `json_str`-escaped text and ASCII went in.
    String::from_utf8(body).map_err(|_| GraphError::unknown_error())
}

/// `GET /{node}/insights`.
pub(crate) fn sync_insights(sh: &Shared, req: &Req, scope: (Level, usize)) -> Result<String, GraphError> {
    let q = parse(&sh.dataset, req, scope)?;
    q.check_sync_size(&sh.dataset, &sh.cfg())?;
    insights_page(sh, req, &q, 25, &req.path(), &BTreeMap::new())
}
